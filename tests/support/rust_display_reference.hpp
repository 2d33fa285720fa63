#pragma once
#include <charconv>
#include <cmath>
#include <string>
// Rust's Display the slow way, independent of the writer, for values beyond the table.
// From the exact decimal expansion (800 significant digits are exact for any double), for
// n = 1, 2, ... the n-digit decimals just below and just above the value: at the first n
// where one reads back, that one, or, if both do, the nearer one, the one above on a tie.
// Then the digits without an exponent: zeros after them or after "0.".
template <class T>
inline std::string rust_display_reference(T value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const std::string sign = std::signbit(value) ? "-" : "";
  value = std::abs(value);
  if (value == 0) return sign + "0";
  char exact[1000];
  const auto end =
      std::to_chars(exact, exact + sizeof exact, value, std::chars_format::scientific, 800).ptr;
  const std::string text(exact, end);  // d.ddd...e±xx
  const auto e_at = text.find('e');
  const std::string all = text.substr(0, 1) + text.substr(2, e_at - 2);
  const int exponent = std::stoi(text.substr(e_at + 1));  // value = d.ddd... * 10^exponent
  auto reads_back = [&](const std::string& digits, int exp10) {
    const int scale = exp10 - static_cast<int>(digits.size()) + 1;
    const std::string decimal = digits + "e" + std::to_string(scale);
    T back{};
    std::from_chars(decimal.data(), decimal.data() + decimal.size(), back);
    return back == value;
  };
  std::string digits;
  int exp10 = exponent;
  for (std::size_t n = 1; n <= 17 && digits.empty(); ++n) {
    const std::string lower = all.substr(0, n);
    std::string upper = lower;
    int upper_exp10 = exponent;
    std::size_t i = n;  // adds one in the last place, carrying through nines
    for (; i > 0 && upper[i - 1] == '9'; --i) upper[i - 1] = '0';
    if (i == 0) {
      upper.assign(n, '0');  // 1 followed by n - 1 zeros (not "1" + std::string: a false
      upper[0] = '1';        // -Wrestrict from g++ 12 at -O2/-O3)
      ++upper_exp10;
    } else {
      ++upper[i - 1];
    }
    const std::string rest = all.substr(n);
    const bool exact_fit = rest.find_first_not_of('0') == std::string::npos;
    const bool tie = rest[0] == '5' && rest.find_first_not_of('0', 1) == std::string::npos;
    const bool above_half = rest[0] > '5' || (rest[0] == '5' && !tie);
    const bool lower_ok = reads_back(lower, exponent);
    const bool upper_ok = !exact_fit && reads_back(upper, upper_exp10);
    if (upper_ok && (!lower_ok || above_half || tie)) {
      digits = upper;
      exp10 = upper_exp10;
    } else if (lower_ok) {
      digits = lower;
    }
  }
  if (digits.empty()) return "(no candidate reads back)";  // 17 digits always do
  digits.erase(digits.find_last_not_of('0') + 1);
  const int point = exp10 + 1;  // digits before the point
  const auto count = static_cast<int>(digits.size());
  if (point <= 0) return sign + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  if (point < count) {
    return sign + digits.substr(0, static_cast<std::size_t>(point)) + "." +
           digits.substr(static_cast<std::size_t>(point));
  }
  return sign + digits + std::string(static_cast<std::size_t>(point - count), '0');
}

