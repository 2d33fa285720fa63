// Defines envelope: the per-destination part of an Application Insights envelope (iKey
// and tags), rendered once, and the timestamp format.
#pragma once

#include <onefuzz/telemetry/detail/host_name.hpp>
#include <onefuzz/telemetry/detail/std_names.hpp>  // std::chrono's clocks
#include <onefuzz/telemetry/json.hpp>
#include <onefuzz/telemetry/limits.hpp>
#include <onefuzz/telemetry/role.hpp>
#include <onefuzz/telemetry/version.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace onefuzz::telemetry {

using timestamp = std::chrono::system_clock::time_point;

// How the user's own instance is addressed and tagged.
struct envelope_options {
  std::string instrumentation_key;
  telemetry::role cloud_role = telemetry::role::agent;
  std::string role_instance;  // ai.cloud.roleInstance; empty: this host's name
  std::string device_id;      // ai.device.id; empty: this host's name
};

namespace detail {

// Rejects what cannot be an instrumentation key before it reaches a header or a payload;
// the message does not repeat the key.
inline void check_instrumentation_key(std::string_view key) {
  if (key.empty() || key.size() > max_instrumentation_key_size) {
    throw std::invalid_argument(
        "onefuzz::telemetry::envelope: the instrumentation key must be 1 to 40 characters");
  }
  for (char c : key) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) {
      throw std::invalid_argument(
          "onefuzz::telemetry::envelope: the instrumentation key may hold only letters, digits "
          "and '-'");
    }
  }
}

}  // namespace detail

namespace detail {

// Renders the destination part of an envelope:
//   {"ver":1,"iKey":"…","tags":{…},"time":"
// Used only by the two envelope classes below, which are final and keep it private: no
// code outside this file can add a tag (a host or user name) to a rendered prefix.
class envelope_prefix {
 public:
  envelope_prefix(std::string_view key, telemetry::role cloud_role) {
    check_instrumentation_key(key);
    prefix_ = R"({"ver":1,"iKey":")";
    prefix_.append(key);
    prefix_.append(R"(","tags":{"ai.cloud.role":")");
    prefix_.append(wire_name(cloud_role));
    prefix_.append(R"(","ai.internal.sdkVersion":"onefuzz-telemetry-cpp:)");
    prefix_.append(library_version);
    prefix_.push_back('"');
  }

  void tag(std::string_view name, std::string_view value, std::size_t limit) {
    output_buffer escaped;
    write_report ignored;  // host names are ours, not event data
    json::write_escaped(escaped, value, limit, ignored);
    prefix_.append(",\"");
    prefix_.append(name);
    prefix_.append("\":\"");
    prefix_.append(escaped.view());
    prefix_.push_back('"');
  }

  void append_raw(std::string_view text) { prefix_.append(text); }

  void end() { prefix_.append(R"(},"time":")"); }

  [[nodiscard]] std::string_view view() const noexcept { return prefix_; }

 private:
  std::string prefix_;
};

}  // namespace detail

// The envelope for the user's own instance, rendered once. Only the full serializers take
// it. Throws std::invalid_argument for a malformed instrumentation key.
class full_envelope final {
 public:
  explicit full_envelope(const envelope_options& options)
      : prefix_(options.instrumentation_key, options.cloud_role) {
    const std::string host = (options.role_instance.empty() || options.device_id.empty())
                                 ? detail::host_name()
                                 : std::string{};
    prefix_.tag("ai.cloud.roleInstance",
                options.role_instance.empty() ? host : options.role_instance,
                max_role_instance_size);
    prefix_.tag("ai.device.id", options.device_id.empty() ? host : options.device_id,
                max_device_id_size);
    prefix_.end();
  }

  // The rendered destination part, up to and including `"time":"`.
  [[nodiscard]] std::string_view prefix() const noexcept { return prefix_.view(); }

 private:
  detail::envelope_prefix prefix_;
};

// The envelope for the central instance: it carries no host data; role instance and
// device id are "Redacted" and the IP 0.0.0.0, as the original's Microsoft client has set
// them since PR #1242 (docs/telemetry.md, "Data sent to Microsoft"). Only the central
// serializers take it, so a full payload cannot be addressed to the central key. It is
// final and its state private, so no subclass can add a tag. Throws std::invalid_argument
// for a malformed key.
class central_envelope final {
 public:
  central_envelope(std::string_view instrumentation_key, telemetry::role cloud_role)
      : prefix_(instrumentation_key, cloud_role) {
    prefix_.append_raw(
        R"(,"ai.cloud.roleInstance":"Redacted","ai.device.id":"Redacted","ai.location.ip":"0.0.0.0")");
    prefix_.end();
  }

  // The rendered destination part, up to and including `"time":"`.
  [[nodiscard]] std::string_view prefix() const noexcept { return prefix_.view(); }

 private:
  detail::envelope_prefix prefix_;
};

namespace detail {
// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm, as in <chrono>'s
// year_month_day, written out so formatting costs a few integer operations).
constexpr void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month,
                               unsigned& day) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
}
}  // namespace detail

// Size of a formatted timestamp: 2024-05-01T12:34:56.789Z
inline constexpr std::size_t timestamp_size = 24;

namespace detail {

// Days since 1970-01-01 and milliseconds into that day (UTC).
struct day_and_time {
  std::int64_t days;
  unsigned milliseconds;
};

constexpr day_and_time split_timestamp(timestamp time) noexcept {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::int64_t days = ms / 86400000;
  std::int64_t rest = ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  return {days, static_cast<unsigned>(rest)};
}

// Two digits of value (0-99), from the table of digit pairs.
constexpr void two_digits(char* at, unsigned value) noexcept {
  at[0] = json::detail::decimal_pairs[2 * value];
  at[1] = json::detail::decimal_pairs[2 * value + 1];
}

// Writes the date part, 2024-05-01T (11 characters; years 0000-9999).
constexpr void format_date(char* out, std::int64_t days) noexcept {
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  const auto y = static_cast<unsigned>(year);
  two_digits(out, y / 100);
  two_digits(out + 2, y % 100);
  out[4] = '-';
  two_digits(out + 5, month);
  out[7] = '-';
  two_digits(out + 8, day);
  out[10] = 'T';
}

// Writes the time of day, 12:34:56.789Z (13 characters).
constexpr void format_time_of_day(char* out, unsigned milliseconds) noexcept {
  const unsigned seconds = milliseconds / 1000;
  two_digits(out, seconds / 3600);
  out[2] = ':';
  two_digits(out + 3, seconds / 60 % 60);
  out[5] = ':';
  two_digits(out + 6, seconds % 60);
  out[8] = '.';
  const unsigned millis = milliseconds % 1000;
  out[9] = static_cast<char>('0' + millis / 100);
  two_digits(out + 10, millis % 100);
  out[12] = 'Z';
}

inline constexpr std::size_t date_size = 11;

}  // namespace detail

// Writes time as ISO 8601 UTC with milliseconds and a trailing Z (years 0000-9999).
constexpr void format_timestamp(char* out, timestamp time) noexcept {
  const auto [days, milliseconds] = detail::split_timestamp(time);
  detail::format_date(out, days);
  detail::format_time_of_day(out + detail::date_size, milliseconds);
}

// Writes what format_timestamp writes, with the date part kept per thread: a sender's
// events share a day, so the calendar arithmetic runs once a day, not once an event.
inline void format_timestamp_cached(char* out, timestamp time) noexcept {
  struct cached_date {
    std::int64_t days = std::numeric_limits<std::int64_t>::min();
    char text[detail::date_size] = {};
  };
  thread_local cached_date cache;
  const auto [days, milliseconds] = detail::split_timestamp(time);
  if (days != cache.days) {
    detail::format_date(cache.text, days);
    cache.days = days;
  }
  std::memcpy(out, cache.text, detail::date_size);
  detail::format_time_of_day(out + detail::date_size, milliseconds);
}

}  // namespace onefuzz::telemetry
