// Fuzz target for Retry-After parsing (transport/retry_policy.hpp): the header comes from
// the server, so parse_retry_after (and retry_after_from_curl, which http_client feeds with
// libcurl's CURLINFO_RETRY_AFTER) sees any bytes, at any clock reading, with any max. Dates
// go through libcurl's curl_getdate, so this also fuzzes libcurl's date parser.
//
// Input: a mode byte, the clock (64-bit tick count), a max selector, then the value text
// (mode 0-5; mode 5 first takes a 64-bit libcurl reading) or the numbers of an HTTP-date the
// target writes itself (mode 6-7).
//
// Properties:
//  - the result is nullopt or within [0, max] (max below 0 counts as 0), whatever the
//    bytes, clock and max; no signed overflow (UBSan) on the way;
//  - delta-seconds (digits only, spaces and tabs around) give min(value, max) exactly,
//    however many digits; a value starting with a digit and holding anything else is
//    refused;
//  - an HTTP-date written in any of the three forms (IMF-fixdate, RFC 850, asctime) from
//    random calendar numbers gives the distance from the clock's whole second to that date,
//    clamped to [0, max], computed here with <chrono>, when the date exists and its year is
//    1583 or later (curl_getdate's range); other dates (31 February, year 0001, which
//    curl_getdate reads as 2001) may be refused or read loosely, but stay within bounds;
//  - retry_after_from_curl with a positive libcurl reading gives min(reading, max), and with
//    0 or less agrees with parse_retry_after on the text.
#include "fuzz_support.hpp"

#include <onefuzz/telemetry/transport/retry_policy.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace transport = onefuzz::telemetry::transport;
using fuzz_support::reader;
using std::chrono::seconds;

namespace {

seconds max_from(reader& in) {
  const auto code = in.byte();
  switch (code % 8) {
    case 0: return transport::max_retry_after;
    case 1: return seconds{0};
    case 2: return seconds{std::numeric_limits<seconds::rep>::max()};
    case 3: return seconds{std::numeric_limits<seconds::rep>::min()};
    case 4: return seconds{code};
    default: return seconds{in.integer<std::int64_t>()};
  }
}

std::string_view trim_spaces_tabs(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// min(digits, max) without overflow, by comparing decimal strings.
seconds expected_delta(std::string_view digits, seconds max) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  const std::string limit = std::to_string(max.count());
  const bool above = digits.size() != limit.size() ? digits.size() > limit.size() : digits > std::string_view(limit);
  if (above) return max;
  return seconds{std::stoll(std::string(digits))};
}

void check_bounds(const std::optional<seconds>& wait, seconds max) {
  if (!wait) return;
  FUZZ_CHECK(*wait >= seconds{0} && *wait <= std::max(max, seconds{0}),
             "Retry-After outside [0, max]: " + std::to_string(wait->count()) + " for max " + std::to_string(max.count()));
}

void check_text(std::string_view value, std::chrono::system_clock::time_point now, seconds max,
                std::int64_t curl_reading) {
  const auto wait = transport::parse_retry_after(value, now, max);
  check_bounds(wait, max);
  const auto from_curl = transport::retry_after_from_curl(curl_reading, value, now, max);
  check_bounds(from_curl, max);
  if (curl_reading > 0) {
    FUZZ_CHECK(from_curl && *from_curl == std::min(seconds{curl_reading}, std::max(max, seconds{0})),
               "a positive libcurl reading was not taken: " + std::to_string(curl_reading));
  } else {
    FUZZ_CHECK(from_curl == wait, "retry_after_from_curl disagrees with parse_retry_after");
  }
  const std::string_view trimmed = trim_spaces_tabs(value);
  if (trimmed.empty() || trimmed.front() < '0' || trimmed.front() > '9') return;
  const bool all_digits = trimmed.find_first_not_of("0123456789") == std::string_view::npos;
  if (!all_digits) {
    FUZZ_CHECK(!wait, "a delta-seconds value with a non-digit was accepted: " + fuzz_support::hex_prefix(value));
    return;
  }
  FUZZ_CHECK(wait.has_value(), "delta-seconds refused: " + std::string(trimmed.substr(0, 64)));
  const seconds expected = expected_delta(trimmed, std::max(max, seconds{0}));
  FUZZ_CHECK(*wait == expected, "delta-seconds " + std::string(trimmed.substr(0, 64)) + " gave " +
                                    std::to_string(wait->count()) + ", expected " + std::to_string(expected.count()));
}

void check_written_date(reader& in, std::chrono::system_clock::time_point now, seconds max) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr const char* short_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* long_days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                              "Friday", "Saturday", "Sunday"};
  const auto form = in.byte() % 3;
  int year = in.integer<std::uint16_t>() % 10000;
  const int month = in.byte() % 12;
  const int day = in.byte() % 32;  // 0 and past the month's end are impossible dates
  const int hour = in.byte() % 24;
  const int minute = in.byte() % 60;
  const int second = in.byte() % 61;  // 60: a leap second
  const int weekday = in.byte() % 7;  // not checked against the date, as documented
  const bool padding = (in.byte() & 1) != 0;

  char text[80];
  switch (form) {
    case 0:
      std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", short_days[weekday], day, months[month],
                    year, hour, minute, second);
      break;
    case 1:
      std::snprintf(text, sizeof text, "%s, %02d-%s-%02d %02d:%02d:%02d GMT", long_days[weekday], day, months[month],
                    year % 100, hour, minute, second);
      year = year % 100 > 70 ? 1900 + year % 100 : 2000 + year % 100;  // curl_getdate's pivot
      break;
    default:
      std::snprintf(text, sizeof text, "%s %s %2d %02d:%02d:%02d %04d", short_days[weekday], months[month], day, hour,
                    minute, second, year);
      break;
  }
  std::string value = text;
  if (padding) value = " \t" + value + "\t ";

  const auto wait = transport::parse_retry_after(value, now, max);
  check_bounds(wait, max);
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month + 1)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  // curl_getdate refuses most years before 1583 but reads "0001" as the two-digit year 01, and
  // may roll 31 February over: for those, only the bounds (checked above) are promised.
  if (year < 1583 || !date.ok()) return;
  FUZZ_CHECK(wait.has_value(), "an HTTP-date was refused: " + value);
  const auto instant = std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
                       seconds{second};
  const seconds distance = instant - std::chrono::floor<seconds>(now);
  const seconds expected = std::clamp(distance, seconds{0}, std::max(max, seconds{0}));
  FUZZ_CHECK(*wait == expected, "HTTP-date " + value + " gave " + std::to_string(wait->count()) + ", expected " +
                                    std::to_string(expected.count()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const auto mode = in.byte();
  // Any reading of the system clock: its tick count as a whole 64-bit integer.
  const std::chrono::system_clock::time_point now{std::chrono::system_clock::duration{in.integer<std::int64_t>()}};
  const seconds max = max_from(in);
  if (mode % 8 >= 6) {
    check_written_date(in, now, max);
  } else {
    // Mode 0-4: libcurl read 0 (or nothing); 5: any reading, as a hostile header could produce.
    const std::int64_t curl_reading = mode % 8 == 5 ? in.integer<std::int64_t>() : 0;
    check_text(in.rest(), now, max, curl_reading);
  }
  return 0;
}
