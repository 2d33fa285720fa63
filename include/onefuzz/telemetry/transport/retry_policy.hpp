// Decides what a sender does after an ingestion response: class of the response, which per-item
// codes are retried, how long to wait (Retry-After, exponential backoff with full jitter).
//
// The choices, from the reference table (appinsights-ingestion.md §4) and why:
//   200, other 2xx ............ success
//   206 ....................... partial (resend per item); with an unreadable body: drop, because
//                               most items were accepted and resending all would duplicate them
//   500 ....................... partial with a readable body (as FRIGUS/.NET), else retry the batch
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

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
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

// True for per-item statusCodes worth resending: 408, 429, 500, 503 (the set .NET, Node, FRIGUS
// and AIRS share). Not 439/402: a per-item quota refusal repeats until the quota resets. Not 206.
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

namespace detail {

class http_date_cursor {
 public:
  explicit constexpr http_date_cursor(std::string_view text) noexcept : text_(text) {}

  constexpr bool literal(std::string_view expected) noexcept {
    if (text_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }

  // Exactly `count` ASCII digits.
  constexpr bool digits(std::size_t count, int& out) noexcept {
    if (text_.size() - pos_ < count) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    out = value;
    return true;
  }

  // One of `names` (case-sensitive, as RFC 9110 says); `index` is its position.
  template <std::size_t N>
  constexpr bool one_of(const std::array<std::string_view, N>& names, int& index) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ == text_.size(); }
  [[nodiscard]] constexpr char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

inline constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
inline constexpr std::array<std::string_view, 7> short_day_names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
// Longest first would not matter: no long name is a prefix of another.
inline constexpr std::array<std::string_view, 7> long_day_names = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                                   "Friday", "Saturday", "Sunday"};

inline bool time_of_day(http_date_cursor& c, int& h, int& m, int& s) noexcept {
  return c.digits(2, h) && c.literal(":") && c.digits(2, m) && c.literal(":") && c.digits(2, s) && h <= 23 &&
         m <= 59 && s <= 60;  // 60: a leap second is legal in an HTTP-date
}

inline std::optional<std::chrono::sys_seconds> to_time(int y, int mon, int d, int h, int m, int s) noexcept {
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mon)},
                                         std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
}

// IMF-fixdate, RFC 850 and asctime (RFC 9110 §5.6.7). The weekday must be a valid name but is not
// checked against the date: it is redundant, and a wrong one does not make the instant ambiguous.
inline std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) noexcept {
  int weekday = 0, day = 0, month = 0, year = 0, h = 0, m = 0, s = 0;
  {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    http_date_cursor c(text);
    if (c.one_of(short_day_names, weekday) && c.literal(", ") && c.digits(2, day) && c.literal(" ") &&
        c.one_of(month_names, month) && c.literal(" ") && c.digits(4, year) && c.literal(" ") &&
        time_of_day(c, h, m, s) && c.literal(" GMT") && c.at_end()) {
      return to_time(year, month + 1, day, h, m, s);
    }
  }
  {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". Two-digit years: 70-99 are 19xx, 00-69 are 20xx
     // (a fixed pivot; the form has been obsolete since 1996, so only the 20xx reading matters).
    http_date_cursor c(text);
    if (c.one_of(long_day_names, weekday) && c.literal(", ") && c.digits(2, day) && c.literal("-") &&
        c.one_of(month_names, month) && c.literal("-") && c.digits(2, year) && c.literal(" ") &&
        time_of_day(c, h, m, s) && c.literal(" GMT") && c.at_end()) {
      return to_time(year >= 70 ? 1900 + year : 2000 + year, month + 1, day, h, m, s);
    }
  }
  {  // asctime: "Sun Nov  6 08:49:37 1994" (day is two digits or a space and one digit)
    http_date_cursor c(text);
    if (c.one_of(short_day_names, weekday) && c.literal(" ") && c.one_of(month_names, month) && c.literal(" ")) {
      const bool day_ok = c.peek() == ' ' ? (c.literal(" ") && c.digits(1, day)) : c.digits(2, day);
      if (day_ok && c.literal(" ") && time_of_day(c, h, m, s) && c.literal(" ") && c.digits(4, year) &&
          c.at_end()) {
        return to_time(year, month + 1, day, h, m, s);
      }
    }
  }
  return std::nullopt;
}

}  // namespace detail

// Parses a Retry-After value: delta-seconds (digits only: no sign, no fraction, nothing after) or an
// HTTP-date (IMF-fixdate, RFC 850, asctime), with optional surrounding spaces or tabs. Returns how
// long to wait from `now`: a date in the past gives 0; anything longer than `max` gives `max` (huge
// numbers saturate, never wrap). Garbage gives nullopt, so the caller falls back to its backoff.
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

  const auto date = detail::parse_http_date(value);
  if (!date) return std::nullopt;
  // In whole seconds, never nanoseconds: a date in year 9999 would overflow a nanosecond count.
  // date - floor(now) equals ceil(date - now) because the date has no fraction.
  const std::chrono::seconds wait = *date - std::chrono::floor<std::chrono::seconds>(now);
  return std::clamp(wait, std::chrono::seconds{0}, max);
}

// Backoff settings; the defaults follow 1DS's shape (grow ×2 to 5 min) with FRIGUS's 500 ms floor.
struct backoff_options {
  // The floor of every delay, including a server's Retry-After: even "Retry-After: 0" must not
  // turn into a tight loop against a struggling service.
  std::chrono::milliseconds min_delay{500};
  // The ceiling of the first draw; later ceilings grow by `multiplier`.
  std::chrono::milliseconds initial_delay{1000};
  // The ceiling of every delay, including Retry-After: a flush or shutdown waiting on the sender
  // must finish in bounded time. Quota refusals, which can last hours, are not retried anyway.
  std::chrono::milliseconds max_delay{std::chrono::minutes{5}};
  double multiplier = 2.0;
};

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
