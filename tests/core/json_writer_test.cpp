// The JSON writer: escaping, UTF-8 repair, limits at character boundaries, numbers.
#include <onefuzz/telemetry/json.hpp>
#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/limits.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace json_writer_test {

namespace tel = onefuzz::telemetry;

namespace {

struct escaped {
  std::string json;  // the quoted JSON string
  tel::write_report report;
};

escaped escape(std::string_view text, std::size_t limit = tel::max_property_value_size) {
  tel::output_buffer out;
  escaped result;
  out.push_back('"');
  tel::json::write_escaped(out, text, limit, result.report);
  out.push_back('"');
  result.json = out.str();
  return result;
}

// What Boost.JSON reads back from the writer's output.
std::string parsed(const escaped& e) {
  boost::json::error_code error;
  auto value = boost::json::parse(e.json, error);
  INFO(e.json);
  REQUIRE_FALSE(error);
  return std::string{value.as_string()};
}

std::string display(double value) {
  char buffer[tel::json::max_number_size];
  return {buffer, tel::json::format_display(buffer, value)};
}

std::string display(float value) {
  char buffer[tel::json::max_number_size];
  return {buffer, tel::json::format_display(buffer, value)};
}

}  // namespace

TEST_CASE("quotes, backslashes and control characters are escaped") {
  const auto e = escape("a\"b\\c\nd\te\r\b\f\x01\x1f\x7f");
  CHECK(e.json == R"("a\"b\\c\nd\te\r\b\f\u0001\u001f)" "\x7f\"");
  CHECK(parsed(e) == "a\"b\\c\nd\te\r\b\f\x01\x1f\x7f");
  CHECK(e.report.clean());
}

TEST_CASE("valid UTF-8 passes unchanged, including 4-byte sequences") {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x9B \xEF\xBF\xBF";
  const auto e = escape(text);
  CHECK(parsed(e) == text);
  CHECK(e.report.clean());
}

TEST_CASE("each byte that does not start well-formed UTF-8 becomes U+FFFD, and is counted") {
  const std::string replacement = "\xEF\xBF\xBD";
  struct row {
    std::string input;
    std::string output;
    std::uint32_t replaced;
  };
  const row table[] = {
      {"\xFF", replacement, 1},
      {"a\x80z", "a" + replacement + "z", 1},
      {"\xC0\xAF", replacement + replacement, 2},             // overlong '/'
      {"\xED\xA0\x80", replacement + replacement + replacement, 3},  // surrogate D800
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement, 4},  // > U+10FFFF
      {"\xE2\x82", replacement + replacement, 2},             // truncated sequence
      {"\xC3", replacement, 1},
  };
  for (const auto& r : table) {
    INFO(r.output);
    const auto e = escape(r.input);
    CHECK(parsed(e) == r.output);
    CHECK(e.report.invalid_utf8_replaced == r.replaced);
  }
}

TEST_CASE("values are cut to the limit at a character boundary, and counted") {
  // 8192 is the service's property value limit; the writer counts unescaped UTF-8 bytes.
  const std::string long_ascii(9000, 'x');
  auto e = escape(long_ascii);
  CHECK(parsed(e).size() == 8192);
  CHECK(e.report.truncated_values == 1);

  // A 2-byte character straddling the limit is dropped whole, never split.
  e = escape("abc\xC3\xA9", 4);
  CHECK(parsed(e) == "abc");
  CHECK(e.report.truncated_values == 1);
  e = escape("ab\xC3\xA9", 4);
  CHECK(parsed(e) == "ab\xC3\xA9");
  CHECK(e.report.truncated_values == 0);

  // An escaped character counts once, as the service sees it after parsing.
  e = escape("\n\n\n\n\n", 4);
  CHECK(parsed(e) == "\n\n\n\n");
  CHECK(e.report.truncated_values == 1);
}

TEST_CASE("numbers are formatted like Rust's Display, the original's to_string") {
  // Expected strings written from Rust's documented behaviour (shortest round trip, no
  // exponent), as docs/wire-format.md describes: 1.0 → "1", 0.5 → "0.5", 2666.67 → "2666.67".
  CHECK(display(1.0) == "1");
  CHECK(display(0.5) == "0.5");
  CHECK(display(2666.67) == "2666.67");
  CHECK(display(0.0) == "0");
  CHECK(display(-0.0) == "-0");
  CHECK(display(1e20) == "100000000000000000000");
  CHECK(display(1e-7) == "0.0000001");
  CHECK(display(0.1 + 0.2) == "0.30000000000000004");
  CHECK(display(0.1f) == "0.1");
  CHECK(display(12.5f) == "12.5");
  CHECK(display(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(display(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(display(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(display(std::numeric_limits<double>::max()).size() == 309);
  CHECK(display(std::numeric_limits<double>::denorm_min()).size() == 326);
  // The hard cases (ties, 2^53 and more, a table of Rust's own outputs) are in
  // float_exactness_test.cpp.
}

template <class T>
std::string integer_text(T value) {
  char buffer[tel::json::max_number_size];
  return {buffer, tel::json::format_integer(buffer, value)};
}

TEST_CASE("integers are written in plain decimal at every digit count") {
  CHECK(integer_text(0) == "0");
  CHECK(integer_text(7u) == "7");
  CHECK(integer_text(10) == "10");
  CHECK(integer_text(99) == "99");
  CHECK(integer_text(100) == "100");
  CHECK(integer_text(-1) == "-1");
  CHECK(integer_text(-10) == "-10");
  CHECK(integer_text(std::int8_t{-128}) == "-128");
  CHECK(integer_text(std::int16_t{-32768}) == "-32768");
  CHECK(integer_text(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(integer_text(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  // 9, 10, 99, 100, ... 10^19: each side of every change in the number of digits.
  std::uint64_t power = 1;
  std::string nines;
  std::string power_text = "1";
  for (int digits = 1; digits <= 19; ++digits) {
    power *= 10;
    nines += '9';
    power_text += '0';
    INFO(digits);
    CHECK(integer_text(power - 1) == nines);
    CHECK(integer_text(power) == power_text);
  }
}

TEST_CASE("typed numbers are valid JSON numbers that read back exactly") {
  for (double value : {1.0, 2666.67, 1e300, -5e-324, 123456789.125}) {
    char buffer[tel::json::max_number_size];
    const std::string text{buffer, tel::json::format_json_number(buffer, value)};
    INFO(text);
    CHECK(boost::json::parse(text).to_number<double>() == value);
  }
}

TEST_CASE("timestamps are ISO 8601 UTC with milliseconds and Z") {
  using std::chrono::milliseconds;
  char text[tel::timestamp_size];
  auto format = [&](long long ms) {
    tel::format_timestamp(text, tel::timestamp{milliseconds{ms}});
    return std::string{text, tel::timestamp_size};
  };
  CHECK(format(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format(1714566896789) == "2024-05-01T12:34:56.789Z");
  CHECK(format(951782400000) == "2000-02-29T00:00:00.000Z");    // leap day
  CHECK(format(4102444799999) == "2099-12-31T23:59:59.999Z");
  CHECK(format(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("output_buffer keeps its capacity across clear()") {
  tel::output_buffer out;
  out.append(std::string(5000, 'x'));
  const auto capacity = out.capacity();
  out.clear();
  CHECK(out.size() == 0);
  CHECK(out.capacity() == capacity);
  out.append("abc");
  CHECK(out.view() == "abc");
}

}  // namespace json_writer_test
