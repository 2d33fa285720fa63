// Decides what a sender does after an ingestion response: class of the response, which per-item
// codes are retried, how long to wait (Retry-After, exponential backoff with full jitter).
//
// The choices, from what the service and the official SDKs do with each status, and why:
//   200, other 2xx ............ success
//   206 ....................... partial (resend per item); with an unreadable body: drop, because
//                               most items were accepted and resending all would duplicate them
//   500 ....................... partial with a readable body (as .NET and the frigus02 exporter), else retry the batch
//   408, 429, 502, 503, 504 ... retry (every SDK agrees they are transient)
//   402, 439 .................. throttled_quota: the daily cap or quota; retrying only adds load
//                               (azure-sdk-for-js #26340), the caller drops and may pause sending
//   307, 308 .................. redirect (the caller follows Location, bounded)
//   401, 403 .................. retry only when a bearer token was sent (it may have expired or a
//                               role assignment may still be propagating, as .NET); else drop,
//                               since an ikey does not start working by itself
//   anything else ............. drop (400 bad request, 404 stamp-specific endpoint, 1xx, 3xx
//                               other than 307/308, unknown codes). Transport failures without a
//                               status (DNS, connect, timeout) are the caller's, and are retries.
#pragma once

#include <onefuzz/telemetry/transport/backoff_options.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

enum class response_class {
  success,          // everything accepted; reset the backoff
  partial,          // read the body's errors[] and resend only the retriable items
  retry,            // resend the whole batch after a delay
  throttled_quota,  // 402 or 439: over quota; do not resend
  redirect,         // 307 or 308: follow Location
  drop,             // do not resend; count the batch as rejected
};

// A stable name for logs and test output.
constexpr std::string_view to_string(response_class c) noexcept {
  switch (c) {
    case response_class::success: return "success";
    case response_class::partial: return "partial";
    case response_class::retry: return "retry";
    case response_class::throttled_quota: return "throttled_quota";
    case response_class::redirect: return "redirect";
    case response_class::drop: return "drop";
  }
  return "unknown";
}

// Classifies a whole response by the table in the file comment. `body_parsed`: the body was a
// well-formed ingestion response; `bearer`: the request carried an Entra ID token.
constexpr response_class classify_response(int status, bool body_parsed, bool bearer = false) noexcept {
  switch (status) {
    case 206: return body_parsed ? response_class::partial : response_class::drop;
    case 500: return body_parsed ? response_class::partial : response_class::retry;
    case 408:
    case 429:
    case 502:
    case 503:
    case 504: return response_class::retry;
    case 402:
    case 439: return response_class::throttled_quota;
    case 307:
    case 308: return response_class::redirect;
    case 401:
    case 403: return bearer ? response_class::retry : response_class::drop;
    default: break;
  }
  if (status >= 200 && status <= 299) return response_class::success;
  return response_class::drop;
}

// True for per-item statusCodes worth resending: 408, 429, 500, 503 (the set .NET, Node, the
// frigus02 OpenTelemetry exporter and the appinsights-rs crate share). Not 439/402: a per-item
// quota refusal repeats until the quota resets. Not 206.
constexpr bool is_retriable_item_status(int status_code) noexcept {
  return status_code == 408 || status_code == 429 || status_code == 500 || status_code == 503;
}

// True for the per-item 206 "Telemetry sampled out.": the service accepted the item and chose not
// to keep it, so it counts as accepted (by sampling); resending would be sampled out again.
constexpr bool is_sampled_out_item_status(int status_code) noexcept { return status_code == 206; }

// True for the quota codes, whole-request or per item.
constexpr bool is_quota_status(int status_code) noexcept { return status_code == 402 || status_code == 439; }

// Longest wait parse_retry_after reports by default: a server (or a skewed clock) must not be able
// to park the sender for longer than an hour.
inline constexpr std::chrono::seconds max_retry_after{3600};

// Parses a Retry-After value: delta-seconds (digits only: no sign, no fraction, nothing after) or an
// HTTP-date, with optional surrounding spaces or tabs. Returns how long to wait from `now`: a date in
// the past gives 0; anything longer than `max` gives `max` (huge numbers saturate, never wrap).
// Garbage gives nullopt, so the caller falls back to its backoff.
//
// http_client reads the header through libcurl (CURLINFO_RETRY_AFTER, into
// http_response::retry_after_delay, see retry_after_from_curl below); this function settles the
// values libcurl cannot tell apart from "no hint" (0, a past date, garbage and numbers too big for
// curl_off_t all read as 0 there) and serves raw values from elsewhere. Dates are parsed by
// libcurl's curl_getdate, the parser behind CURLINFO_RETRY_AFTER, so both paths agree: IMF-fixdate,
// RFC 850 (two-digit years above 70 are 19xx, the rest 20xx) and asctime are read, and curl_getdate
// is lenient beyond them (other zone names, any letter case, a day past the month's end rolls
// over, a 4-digit year below 100 is read as a 2-digit one); it refuses other years before 1583.
// Whatever it reads, the result stays within [0, max]. A date must start with a letter (every
// HTTP-date form starts with a day name) and hold no control characters other than tabs.
inline std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                             std::chrono::system_clock::time_point now,
                                                             std::chrono::seconds max = max_retry_after) {
  max = std::max(max, std::chrono::seconds{0});
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;

  if (value.front() >= '0' && value.front() <= '9') {
    std::int64_t seconds = 0;
    bool saturated = false;
    for (char c : value) {
      if (c < '0' || c > '9') return std::nullopt;
      const int digit = c - '0';
      // Stop accumulating before the value could pass `max` (so it can never overflow), but keep
      // checking that the rest is digits.
      if (!saturated && seconds > (max.count() - digit) / 10) saturated = true;
      if (!saturated) seconds = seconds * 10 + digit;
    }
    return saturated ? max : std::min(std::chrono::seconds{seconds}, max);
  }

  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!letter(value.front())) return std::nullopt;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return std::nullopt;  // a NUL would cut the C string
  }
  const std::string text(value);
  const std::time_t date = curl_getdate(text.c_str(), nullptr);
  if (date == static_cast<std::time_t>(-1)) return std::nullopt;
  // In whole seconds, never nanoseconds: a date in year 9999 would overflow a nanosecond count.
  // date - floor(now) equals ceil(date - now) because the date has no fraction.
  const std::chrono::seconds wait = std::chrono::seconds{static_cast<std::int64_t>(date)} -
                                    std::chrono::floor<std::chrono::seconds>(now).time_since_epoch();
  return std::clamp(wait, std::chrono::seconds{0}, max);
}

// The wait a final answer's Retry-After asks for, from libcurl's reading of it
// (CURLINFO_RETRY_AFTER: whole seconds, delta-seconds as given, an HTTP-date as its distance from
// libcurl's clock) and the raw header text, bounded to [0, max]. libcurl reports 0 alike for
// "retry now", a past date and a value it could not read, so a non-positive reading is settled by
// parse_retry_after on the raw text (nullopt for garbage: the caller's backoff decides).
inline std::optional<std::chrono::seconds> retry_after_from_curl(std::int64_t curl_seconds, std::string_view raw,
                                                                 std::chrono::system_clock::time_point now,
                                                                 std::chrono::seconds max = max_retry_after) {
  max = std::max(max, std::chrono::seconds{0});
  if (curl_seconds > 0) return std::min(std::chrono::seconds{curl_seconds}, max);
  return parse_retry_after(raw, now, max);
}

// Exponential backoff with full jitter: attempt n waits a uniform draw from
// [min_delay, clamp(initial_delay * multiplier^n, min_delay, max_delay)], so clients that failed
// together do not retry together. Not thread-safe: one per sender.
class backoff {
 public:
  // Uniform 64-bit values; injectable so tests are deterministic.
  using random_source = std::function<std::uint64_t()>;

  // Options are normalised, never trusted: negative durations become 0, max_delay is raised to
  // min_delay, and a multiplier below 1 (or NaN) becomes 1.
  explicit backoff(backoff_options options = {}, random_source random = {})
      : options_(normalise(options)), random_(std::move(random)) {
    if (!random_) {
      random_ = [engine = std::mt19937_64{std::random_device{}()}]() mutable { return engine(); };
    }
  }

  // The delay before the next attempt, and counts the attempt. A server's hint (Retry-After)
  // wins over the jittered draw but is clamped to [min_delay, max_delay].
  std::chrono::milliseconds next_delay(std::optional<std::chrono::milliseconds> server_hint = std::nullopt) {
    std::chrono::milliseconds delay;
    if (server_hint) {
      delay = std::clamp(*server_hint, options_.min_delay, options_.max_delay);
    } else {
      const auto top = ceiling(attempts_);
      // span <= INT64_MAX, so span + 1 cannot wrap; the modulo bias is negligible for ms ranges.
      const auto span = static_cast<std::uint64_t>(top.count() - options_.min_delay.count());
      const std::uint64_t draw = random_() % (span + 1);
      delay = options_.min_delay + std::chrono::milliseconds{static_cast<std::int64_t>(draw)};
    }
    if (attempts_ < std::numeric_limits<unsigned>::max()) ++attempts_;
    return delay;
  }

  // The upper bound of the draw for attempt `n` (0-based); useful for tests and logs.
  [[nodiscard]] std::chrono::milliseconds ceiling(unsigned n) const noexcept {
    const double grown = static_cast<double>(options_.initial_delay.count()) *
                         std::pow(options_.multiplier, static_cast<double>(n));
    const auto lo = static_cast<double>(options_.min_delay.count());
    const auto hi = static_cast<double>(options_.max_delay.count());
    // Compared as doubles before converting, so overflow and infinity end at max_delay.
    if (!(grown < hi)) return options_.max_delay;
    if (grown <= lo) return options_.min_delay;
    return std::chrono::milliseconds{static_cast<std::int64_t>(grown)};
  }

  // Call after a success (or a partial with nothing left to resend): the next failure starts small.
  void reset() noexcept { attempts_ = 0; }

  // Delays handed out since construction or the last reset.
  [[nodiscard]] unsigned attempts() const noexcept { return attempts_; }

  // The options after normalisation.
  [[nodiscard]] const backoff_options& options() const noexcept { return options_; }

 private:
  static backoff_options normalise(backoff_options o) noexcept {
    const std::chrono::milliseconds zero{0};
    o.min_delay = std::max(o.min_delay, zero);
    o.initial_delay = std::max(o.initial_delay, zero);
    o.max_delay = std::max(o.max_delay, o.min_delay);
    if (!(o.multiplier >= 1.0)) o.multiplier = 1.0;
    return o;
  }

  backoff_options options_;
  random_source random_;
  unsigned attempts_ = 0;
};

}  // namespace onefuzz::telemetry::transport
