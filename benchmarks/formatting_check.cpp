// Checks the writer's fast paths against plain references on many generated inputs: the
// word-at-a-time escaping against a byte-at-a-time escaper, the few-decimals doubles and
// the table integers against std::to_chars, the SSE2 uuid text against uuid::format_to,
// the per-thread date cache against <chrono>'s calendar. They exist for speed, so they
// live beside the benchmark; any difference fails (exit 1) with the input printed.
#include <onefuzz/telemetry.hpp>

#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace {

int failures = 0;

void fail(const char* what, const std::string& input, const std::string& got,
          const std::string& expected) {
  if (++failures <= 10) {
    std::fprintf(stderr, "formatting_check: %s differs for %s:\n  got      %s\n  expected %s\n",
                 what, input.c_str(), got.c_str(), expected.c_str());
  }
}

// ---------------------------------------------------------------------------------------
// Escaping: the byte-at-a-time algorithm write_escaped had before its fast path.
std::string reference_escape(std::string_view text, std::size_t max_bytes, tel::write_report& report) {
  std::string out;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t budget = max_bytes;
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = in[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      if (budget == 0) break;
      out += static_cast<char>(c);
      --budget;
      ++i;
    } else if (c < 0x80) {
      if (budget == 0) break;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        }
      }
      --budget;
      ++i;
    } else {
      const std::size_t length = tel::json::detail::utf8_sequence_length(in + i, n - i);
      if (length == 0) {
        if (budget < 3) break;
        out += "\xEF\xBF\xBD";
        budget -= 3;
        ++report.invalid_utf8_replaced;
        ++i;
      } else {
        if (budget < length) break;
        out.append(text.substr(i, length));
        budget -= length;
        i += length;
      }
    }
  }
  if (i < n) ++report.truncated_values;
  return out;
}

void check_escaping(std::mt19937_64& rng) {
  const std::string_view pieces[] = {"a", "Z", "0", " ", "/", ".", "_", "\"", "\\", "\n", "\t",
                                     "\x01", "\x1f", "\x7f", "\xC3\xA9", "\xE2\x82\xAC",
                                     "\xF0\x9F\x90\x9B", "\xFF", "\x80", "\xED\xA0", "\xC3"};
  for (int round = 0; round < 300000; ++round) {
    std::string text;
    const std::size_t length = rng() % 80;
    const int mode = static_cast<int>(rng() % 4);
    while (text.size() < length) {
      if (mode == 0) text += static_cast<char>(rng());
      else if (mode == 1) text += static_cast<char>('a' + rng() % 26);
      else text += pieces[rng() % std::size(pieces)];
    }
    const std::size_t limit = rng() % 3 == 0 ? rng() % 90 : tel::max_property_value_size;
    tel::write_report ours_report;
    tel::write_report expected_report;
    tel::output_buffer out;
    out.push_back('x');  // an offset, so stores do not start aligned
    tel::json::write_escaped(out, text, limit, ours_report);
    const std::string expected = reference_escape(text, limit, expected_report);
    const std::string got{out.view().substr(1)};
    if (got != expected || ours_report.truncated_values != expected_report.truncated_values ||
        ours_report.invalid_utf8_replaced != expected_report.invalid_utf8_replaced) {
      fail("write_escaped", "a generated string of " + std::to_string(text.size()) +
                                " bytes, limit " + std::to_string(limit), got, expected);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Numbers.
// The few-decimals fast path claims to write what std::to_chars (fixed) writes. Where it
// declines, format_display follows Rust instead (ties go up, zeros from 2^53 on), which
// tests/core/float_exactness_test.cpp checks against Rust's own outputs.
void check_double(double value) {
  char ours[tel::json::max_number_size];
  char expected[tel::json::max_number_size];
  const char* const end = tel::json::detail::format_few_decimals(ours, std::fabs(value));
  if (end == nullptr) return;
  const std::string got(ours, static_cast<std::size_t>(end - ours));
  const std::string want{expected, std::to_chars(expected, expected + sizeof expected,
                                                 std::fabs(value), std::chars_format::fixed).ptr};
  if (got != want) {
    char input[40];
    std::snprintf(input, sizeof input, "%.17g", value);
    fail("format_few_decimals", input, got, want);
  }
}

void check_doubles(std::mt19937_64& rng) {
  for (double value : {0.0, 1.0, 0.5, 2666.67, 1e20, 1e-7, 0.1 + 0.2, 99.87, 41.8236,
                       2251799813685248.0, 2251799813685247.5, 1125899906842623.75,
                       std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                       std::numeric_limits<double>::denorm_min()}) {
    check_double(value);
    check_double(-value);
  }
  for (int i = 0; i < 400000; ++i) {  // any bit pattern
    const std::uint64_t bits = rng();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isfinite(value)) check_double(value);
  }
  for (int i = 0; i < 400000; ++i) {  // decimals with few digits, at every scale
    const int digits = 1 + static_cast<int>(rng() % 17);
    const std::uint64_t mantissa = rng() % static_cast<std::uint64_t>(std::pow(10.0, digits));
    const int exponent = static_cast<int>(rng() % 40) - 25;
    check_double(std::strtod((std::to_string(mantissa) + "e" + std::to_string(exponent)).c_str(), nullptr));
  }
  for (int i = 0; i < 200000; ++i) {  // neighbours of powers of two and of round decimals
    double value = rng() % 2 ? std::ldexp(1.0, static_cast<int>(rng() % 120) - 60)
                             : std::pow(10.0, static_cast<int>(rng() % 36) - 20) *
                                   static_cast<double>(1 + rng() % 9);
    for (int step = static_cast<int>(rng() % 4); step > 0; --step) {
      value = std::nextafter(value, rng() % 2 ? 1e300 : 0.0);
    }
    check_double(value);
  }
}

template <class T>
void check_integer(T value) {
  char ours[tel::json::max_number_size];
  char expected[64];
  const std::string got{ours, tel::json::format_integer(ours, value)};
  const std::string want{expected, std::to_chars(expected, expected + sizeof expected, value).ptr};
  if (got != want) fail("format_integer", want, got, want);
}

template <class T>
void check_integers(std::mt19937_64& rng) {
  using limits = std::numeric_limits<T>;
  for (T value : {limits::min(), limits::max(), T(0), T(1), T(9), T(10), T(99), T(100)}) {
    check_integer(value);
  }
  for (int i = 0; i < 200000; ++i) check_integer(static_cast<T>(rng() >> (rng() % 64)));
}

void check_powers_of_ten() {
  for (std::uint64_t power = 1;; power *= 10) {
    check_integer(power - 1);
    check_integer(power);
    check_integer(power + 1);
    if (power == 10000000000000000000u) break;
  }
}

// ---------------------------------------------------------------------------------------
// Ids and timestamps.
void check_uuids() {
  for (int i = 0; i < 100000; ++i) {
    const tel::uuid id = tel::uuid::random();
    char ours[tel::uuid::text_size];
    tel::json::format_uuid(ours, id.bytes().data());
    const std::string got{ours, tel::uuid::text_size};
    if (got != id.to_string()) fail("format_uuid", id.to_string(), got, id.to_string());
  }
  tel::uuid::bytes_type all_ones;
  all_ones.fill(0xFF);
  char ours[tel::uuid::text_size];
  tel::json::format_uuid(ours, all_ones.data());
  const tel::uuid id{all_ones};
  if (std::string{ours, tel::uuid::text_size} != id.to_string()) {
    fail("format_uuid", "ff...ff", std::string{ours, tel::uuid::text_size}, id.to_string());
  }
}

std::string calendar_timestamp(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds{ms}};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> clock{time - day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02" PRId64 ".%03" PRId64 "Z",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                static_cast<int>(clock.minutes().count()),
                static_cast<std::int64_t>(clock.seconds().count()),
                static_cast<std::int64_t>(clock.subseconds().count()));
  return text;
}

void check_timestamps(std::mt19937_64& rng) {
  for (int i = 0; i < 300000; ++i) {
    // 1970 to 2254 and back to 1685 (years 0000-9999 are not clamped in that range);
    // every third instant close to the previous one, so the date cache is hit too.
    static std::int64_t previous = 0;
    const std::int64_t ms = i % 3 == 0 ? previous + static_cast<std::int64_t>(rng() % 100000)
                                       : static_cast<std::int64_t>(rng() % 18000000000000u) -
                                             9000000000000;
    previous = ms;
    const tel::timestamp time{std::chrono::milliseconds{ms}};
    char plain[tel::timestamp_size];
    char cached[tel::timestamp_size];
    tel::format_timestamp(plain, time);
    tel::format_timestamp_cached(cached, time);
    const std::string expected = calendar_timestamp(ms);
    const std::string got_plain{plain, tel::timestamp_size};
    const std::string got_cached{cached, tel::timestamp_size};
    if (got_plain != expected) fail("format_timestamp", std::to_string(ms) + " ms", got_plain, expected);
    if (got_cached != expected) {
      fail("format_timestamp_cached", std::to_string(ms) + " ms", got_cached, expected);
    }
  }
}

}  // namespace

int main() {
  std::mt19937_64 rng(20240501);  // fixed: a failure reproduces
  check_escaping(rng);
  check_doubles(rng);
  check_powers_of_ten();
  check_integers<std::uint64_t>(rng);
  check_integers<std::int64_t>(rng);
  check_integers<std::int32_t>(rng);
  check_integers<std::uint32_t>(rng);
  check_integers<std::int16_t>(rng);
  check_integers<std::uint8_t>(rng);
  check_uuids();
  check_timestamps(rng);
  if (failures != 0) {
    std::fprintf(stderr, "formatting_check: %d differences\n", failures);
    return 1;
  }
  std::printf("formatting_check: the fast paths match their references\n");
  return 0;
}
