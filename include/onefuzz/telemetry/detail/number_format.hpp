// Number formatting for the JSON writer: integers in decimal, and floating-point numbers
// either as Rust's Display writes them (byte for byte, the rule is in docs/wire-format.md)
// or as the shortest JSON number. json.hpp includes this header; the names stay in
// onefuzz::telemetry::json (and json::detail), where the serializers and tests use them.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>
#include <type_traits>

namespace onefuzz::telemetry::json {

// Enough room for any number written below. The longest are a double's in fixed
// notation: a sign and 309 digits, or a sign, "0.", up to 323 zeros and up to 17 digits.
inline constexpr std::size_t max_number_size = 400;

namespace detail {

// "00" to "99": two decimal digits per entry, so each pair of digits is one 2-byte copy.
inline constexpr auto decimal_pairs = [] {
  std::array<char, 200> table{};
  for (std::size_t i = 0; i < 100; ++i) {
    table[2 * i] = static_cast<char>('0' + i / 10);
    table[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return table;
}();

// 10^n for n >= 1, and 0 for n = 0 so that 0 counts as one digit.
inline constexpr std::uint64_t decimal_thresholds[] = {
    0,
    10u,
    100u,
    1000u,
    10000u,
    100000u,
    1000000u,
    10000000u,
    100000000u,
    1000000000u,
    10000000000u,
    100000000000u,
    1000000000000u,
    10000000000000u,
    100000000000000u,
    1000000000000000u,
    10000000000000000u,
    100000000000000000u,
    1000000000000000000u,
    10000000000000000000u};

// The number of decimal digits of value: an estimate from its bit width (1233 / 4096 is
// just above log10(2)), corrected by one comparison.
constexpr int decimal_digits(std::uint64_t value) noexcept {
  const int estimate = (std::bit_width(value) * 1233) >> 12;
  return estimate + (value >= decimal_thresholds[estimate] ? 1 : 0);
}

// Writes value in decimal, two digits per step from the end, and returns the end; what
// std::to_chars writes, without its generic digit counting loop.
inline char* format_decimal(char* out, std::uint64_t value) noexcept {
  char* const end = out + decimal_digits(value);
  char* at = end;
  while (value >= 100) {
    at -= 2;
    std::memcpy(at, &decimal_pairs[2 * (value % 100)], 2);
    value /= 100;
  }
  // The one or two digits left are the first ones: written at out rather than below at,
  // which g++ 12 cannot prove stays within the buffer (-Wstringop-overflow at -O2).
  if (value >= 10) {
    std::memcpy(out, &decimal_pairs[2 * value], 2);
  } else {
    *out = static_cast<char>('0' + value);
  }
  return end;
}

}  // namespace detail

// Writes an integer in decimal.
template <class T>
  requires std::is_integral_v<T>
inline char* format_integer(char* out, T value) noexcept {
  if constexpr (sizeof(T) > sizeof(std::uint64_t)) {
    return std::to_chars(out, out + max_number_size, value).ptr;  // __int128
  } else {
    if constexpr (std::is_signed_v<T>) {
      if (value < 0) {
        *out++ = '-';
        // The magnitude in unsigned arithmetic, so the most negative value does not overflow.
        return detail::format_decimal(out, 0 - static_cast<std::uint64_t>(value));
      }
    }
    return detail::format_decimal(out, static_cast<std::uint64_t>(value));
  }
}

namespace detail {

inline constexpr double exact_powers_of_10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// The fast path of format_display for the common case, a double with few significant
// digits (2666.67, 41.8236, 100): writes value (finite, >= 0) in its shortest round-trip
// fixed form, byte for byte what std::to_chars writes, and returns the end; returns
// nullptr when the value needs more digits (0.1 + 0.2) or is 2^51 or more.
//
// Why it is exact: take the most decimals d <= 15 with P = value * 10^d < 2^51. A decimal
// m / 10^d reads back as value only if it lies within half an ulp of value, so
// |m - P| <= ulp(value) * 10^d / 2 <= P * 2^-53 < 1/4, and the computed product is within
// P * 2^-53 < 1/4 of P too: the nearest integer to the computed product is the only
// candidate. m and 10^d are exact doubles, so m / 10^d is rounded once, as a parser rounds
// the decimal: it equals value exactly when the decimal reads back. Any shorter form with
// d' < d decimals is also m / 10^d (m ending in d - d' zeros), so stripping m's trailing
// zeros gives the shortest form, and it is unique, so no tie-break is needed.
inline char* format_few_decimals(char* out, double value) noexcept {
  constexpr double limit = 2251799813685248.0;  // 2^51
  int decimals = 15;
  while (decimals >= 0 && !(value * exact_powers_of_10[decimals] < limit)) --decimals;
  if (decimals < 0) return nullptr;  // 2^51 or more
  // value * 10^d + 0.5 is exact below 2^51 and truncation rounds it to the nearest integer.
  auto mantissa = static_cast<std::uint64_t>(value * exact_powers_of_10[decimals] + 0.5);
  if (static_cast<double>(mantissa) / exact_powers_of_10[decimals] != value) return nullptr;
  // Strip the trailing zeros (at most 15) in steps of 8, 4, 2 and 1 digits.
  auto strip = [&](int digits, std::uint64_t power) {
    if (decimals >= digits && mantissa % power == 0) {
      mantissa /= power;
      decimals -= digits;
    }
  };
  strip(8, 100000000);
  strip(4, 10000);
  strip(2, 100);
  strip(1, 10);
  // mantissa < 2^51 has at most 16 digits, so every copy below moves a fixed 16 bytes (a
  // few register moves, no call) and the end returned cuts off what lies past the number.
  // They touch at most 34 bytes of out, which has room for max_number_size.
  char digits[32] = {};
  const auto count = static_cast<std::size_t>(format_decimal(digits, mantissa) - digits);
  const auto fraction = static_cast<std::size_t>(decimals);
  if (fraction == 0) {  // 100
    std::memcpy(out, digits, 16);
    return out + count;
  }
  if (count > fraction) {  // 2666.67
    const std::size_t whole = count - fraction;
    std::memcpy(out, digits, 16);
    out[whole] = '.';
    std::memcpy(out + whole + 1, digits + whole, 16);
    return out + count + 1;
  }
  // 0.0000001: "0." and fraction - count zeros (at most 15) before the digits.
  std::memcpy(out, "0.0000000000000000", 18);
  std::memcpy(out + 2 + (fraction - count), digits, 16);
  return out + 2 + fraction;
}

// The shortest digits that read back, laid out as Rust's Display does.
//
// std::to_chars (no precision) writes the shortest digits that read back and, among those,
// the nearest to the value: what Rust writes, with two exceptions. On an exact tie, when
// the value lies halfway between two shortest candidates, to_chars takes the even one and
// Rust the one above: 0x3fb0024000000000 is 0.062534332275390625 exactly, to_chars writes
// 0.06253433227539062 and Rust 0.06253433227539063; 41.2890625f gives 41.289062 against
// 41.289063. And from 2^53 (2^24 for a float) to_chars in fixed notation writes the exact
// integer (99999999999999991611392 for 1e23) where Rust pads the shortest digits with
// zeros (100000000000000000000000). docs/wire-format.md has the whole rule.

// 5^p for p = 0 to 27, the largest power of 5 below 2^64.
inline constexpr auto powers_of_5 = [] {
  std::array<std::uint64_t, 28> table{};
  table[0] = 1;
  for (std::size_t p = 1; p < table.size(); ++p) table[p] = table[p - 1] * 5;
  return table;
}();

// Turns the shortest fixed form [first, last) of value (finite, > 0, below 2^53) into the
// one Rust writes on a tie: if value is exactly halfway between the written digits D and
// D + 1 (in units of the last digit), and to_chars took the even D, the last digit goes
// up. The halfway decimal, with f digits after the point, is (10 * D + 5) / 10^(f + 1); as
// value = m * 2^e with m odd and the numerator odd too, they are equal only when
// e = -(f + 1) and m * 5^(f + 1) = 10 * D + 5. The first test, on the bits and the place
// of the point, rules out nearly every value before any digit is read. A whole number is
// never a tie (below 2^53, a value with a half is written with it). D has 17 digits at
// most, so 10 * D + 5 fits in 64 bits.
template <class T>
inline void round_tie_up(char* first, char* last, T value) noexcept {
  using bits_type = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  constexpr int mantissa_bits = std::numeric_limits<T>::digits - 1;
  constexpr int exponent_bias = std::numeric_limits<T>::max_exponent - 1 + mantissa_bits;
  const auto bits = std::bit_cast<bits_type>(value);
  std::uint64_t mantissa = bits & ((bits_type{1} << mantissa_bits) - 1);
  const int biased = static_cast<int>(bits >> mantissa_bits);  // the sign bit is clear
  int exponent = 1 - exponent_bias;                             // subnormal
  if (biased != 0) {
    mantissa |= std::uint64_t{1} << mantissa_bits;
    exponent = biased - exponent_bias;
  }
  const int zeros = std::countr_zero(mantissa);  // mantissa > 0: value > 0
  mantissa >>= zeros;
  exponent += zeros;
  // A tie has p = -e decimals plus one: the point must stand p characters from the end.
  if (exponent >= 0 || -exponent >= static_cast<int>(powers_of_5.size())) return;
  const auto p = static_cast<std::size_t>(-exponent);
  if (static_cast<std::size_t>(last - first) <= p) return;
  if (last[-static_cast<std::ptrdiff_t>(p)] != '.') return;
  const char last_digit = last[-1];
  if ((last_digit - '0') % 2 != 0) return;  // to_chars took the odd one: it is Rust's too
  std::uint64_t digits = 0;
  for (const char* at = first; at != last; ++at) {
    if (*at != '.') digits = 10 * digits + static_cast<std::uint64_t>(*at - '0');
  }
  const std::uint64_t halfway = 10 * digits + 5;
  if (mantissa <= halfway / powers_of_5[p] && mantissa * powers_of_5[p] == halfway) {
    last[-1] = static_cast<char>(last_digit + 1);  // 8 at most: no carry
  }
}

// Writes value (finite, >= 0) as Rust's Display does and returns the end.
template <class T>
inline char* format_shortest_fixed(char* out, T value) noexcept {
  constexpr T exact_integers = T(std::uint64_t{1} << std::numeric_limits<T>::digits);
  if (value < exact_integers) {
    // out + max_number_size - 1: the caller's room, less a sign already written.
    char* const end =
        std::to_chars(out, out + max_number_size - 1, value, std::chars_format::fixed).ptr;
    if (value > 0) round_tie_up(out, end, value);
    return end;
  }
  // A whole number: the shortest digits (at most 17, from d[.ddd]e+xxx) padded with zeros.
  char scientific[32];
  const char* const written = std::to_chars(scientific, scientific + sizeof scientific, value,
                                            std::chars_format::scientific).ptr;
  const char* at = scientific;
  std::size_t count = 0;
  for (; *at != 'e'; ++at) {
    if (*at != '.') out[count++] = *at;
  }
  std::size_t whole = 1;  // digits before the point: the exponent plus one
  std::size_t exponent = 0;
  for (at += 2; at != written; ++at) exponent = 10 * exponent + static_cast<std::size_t>(*at - '0');
  whole += exponent;
  std::memset(out + count, '0', whole - count);
  return out + whole;
}

}  // namespace detail

namespace detail {

// NaN, infinity, sign and magnitude read from the IEEE 754 bits of a float or a double:
// the same answers as std::isnan, std::isinf, std::isfinite, std::signbit and std::fabs
// without <cmath>, whose special functions every TU that includes the core would parse
// (about a tenth of its compile time and 10 MB of the compiler's memory).
template <class T>
struct float_bits;
template <>
struct float_bits<float> {
  using type = std::uint32_t;
  static constexpr type sign = 0x8000'0000u;
  static constexpr type exponent = 0x7F80'0000u;
};
template <>
struct float_bits<double> {
  using type = std::uint64_t;
  static constexpr type sign = 0x8000'0000'0000'0000u;
  static constexpr type exponent = 0x7FF0'0000'0000'0000u;
};

template <class T>
constexpr typename float_bits<T>::type bits_of(T value) noexcept {
  return std::bit_cast<typename float_bits<T>::type>(value);
}
template <class T>
constexpr bool is_nan(T value) noexcept {
  constexpr auto exponent = float_bits<T>::exponent;
  return (bits_of(value) & ~float_bits<T>::sign) > exponent;  // all-ones exponent, mantissa != 0
}
template <class T>
constexpr bool is_inf(T value) noexcept {
  return (bits_of(value) & ~float_bits<T>::sign) == float_bits<T>::exponent;
}
template <class T>
constexpr bool is_finite(T value) noexcept {
  return (bits_of(value) & float_bits<T>::exponent) != float_bits<T>::exponent;
}
template <class T>
constexpr bool sign_bit(T value) noexcept {
  return (bits_of(value) & float_bits<T>::sign) != 0;
}
template <class T>
constexpr T magnitude(T value) noexcept {
  using bits = typename float_bits<T>::type;
  return std::bit_cast<T>(static_cast<bits>(bits_of(value) & ~float_bits<T>::sign));
}

}  // namespace detail

// Writes a number as Rust's Display does (the original's to_string), byte for byte: the
// shortest digits that round-trip, the one above on a tie, never an exponent: 1.0 → "1",
// 2666.67 → "2666.67", -0.0 → "-0", 1e23 → "100000000000000000000000", 1e-7 → "0.0000001".
// A float is written as a float (41.2890625f → "41.289063"), not widened to a double.
// NaN and infinities become "NaN", "inf" and "-inf", as Rust prints them (a NaN's sign
// is not written). out must have room for max_number_size bytes, even for a short number.
template <class T>
  requires std::is_floating_point_v<T>
inline char* format_display(char* out, T value) noexcept {
  static_assert(std::numeric_limits<T>::digits <= 53, "format_display: float or double only");
  if (detail::is_nan(value)) return std::copy_n("NaN", 3, out);
  if (detail::is_inf(value)) {
    return value > 0 ? std::copy_n("inf", 3, out) : std::copy_n("-inf", 4, out);
  }
  *out = '-';  // kept only for a negative value; no branch to mispredict on random signs
  out += detail::sign_bit(value) ? 1 : 0;
  if constexpr (std::is_same_v<T, double>) {
    if (char* end = detail::format_few_decimals(out, detail::magnitude(value))) return end;
  }
  return detail::format_shortest_fixed(out, detail::magnitude(value));
}

// Writes a finite number as a JSON number, shortest round-trip form (exponent allowed).
template <class T>
  requires std::is_floating_point_v<T>
inline char* format_json_number(char* out, T value) noexcept {
  return std::to_chars(out, out + max_number_size, value).ptr;
}

}  // namespace onefuzz::telemetry::json
