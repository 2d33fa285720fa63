// Strict parser for the ISO 8601 date-times Application Insights accepts in an envelope's
// `time` (".NET o", JavaScript toISOString, RFC 3339 with an offset), to a UTC time point.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace onefuzz::telemetry::testing::detail {

// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HHMM|-HHMM)`; the fraction may
// have any number of digits (digits beyond nanoseconds are ignored). Returns nullopt for
// anything else, including impossible dates (2023-02-30) and a missing zone, because a
// zoneless time cannot be placed on the service's UTC clock.
inline std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view s) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto digits = [&](std::size_t n) -> std::optional<int> {
    if (pos + n > s.size()) {
      return std::nullopt;
    }
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char const c = s[pos + i];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  };
  auto literal = [&](char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto const y = digits(4);
  if (!y || !literal('-')) return std::nullopt;
  auto const mo = digits(2);
  if (!mo || !literal('-')) return std::nullopt;
  auto const d = digits(2);
  if (!d || !literal('T')) return std::nullopt;
  auto const h = digits(2);
  if (!h || !literal(':')) return std::nullopt;
  auto const mi = digits(2);
  if (!mi || !literal(':')) return std::nullopt;
  auto const sec = digits(2);
  if (!sec) return std::nullopt;
  year_month_day const ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 59) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  if (literal('.')) {
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) {
        nanos = nanos * 10 + (s[pos] - '0');
      }
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (std::size_t i = n; i < 9; ++i) nanos *= 10;
  }
  minutes offset{0};
  if (literal('Z') || literal('z')) {
    // UTC
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int const sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    auto const oh = digits(2);
    if (!oh) return std::nullopt;
    (void)literal(':');
    auto const om = digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = minutes{sign * (*oh * 60 + *om)};
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  auto const local = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*sec} + nanoseconds{nanos};
  // "12:00+02:00" is 10:00 UTC.
  return time_point_cast<system_clock::duration>(local - offset);
}

}  // namespace onefuzz::telemetry::testing::detail
