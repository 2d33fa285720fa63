// Defines managed_identity_token_provider: Entra ID tokens for Azure Monitor from the Azure
// Instance Metadata Service (IMDS) of the VM the agent runs on, cached until shortly before
// they expire. One bounded GET (http_client::get) per fetch, never through a proxy.
#pragma once

#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/http_client.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/token_provider.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace onefuzz::telemetry::transport {

struct managed_identity_options {
  // Where IMDS answers; tests point it at a loopback server. Plain http by design: IMDS is
  // link-local and only reachable from the VM itself.
  std::string imds_base_url{"http://169.254.169.254"};
  // A user-assigned identity's client id; empty asks for the VM's system-assigned identity.
  std::string client_id{};
  // The audience. Azure Monitor ingestion in the public cloud; sovereign clouds differ (the
  // connection string's AADAudience names it, without the trailing `/.default`).
  std::string resource{"https://monitor.azure.com/"};
  // Budgets for one fetch: off Azure nothing answers at 169.254.169.254, and the sender's thread
  // waits for the fetch. IMDS itself may take a few seconds to issue a fresh token.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000};
  // A cached token is replaced once it is this close to expiry.
  std::chrono::seconds refresh_before_expiry{std::chrono::minutes{5}};
  // After a failed early refresh (the cached token still valid), the cached token is used and
  // IMDS is asked again no sooner than this; likewise after fetching a token that is already
  // inside the refresh window.
  std::chrono::seconds refresh_retry_delay{30};
};

namespace detail {

// Token answers are a JWT (1-3 KB) and a few fields; the cap keeps a wrong endpoint from
// filling memory.
inline constexpr std::size_t managed_identity_max_body = 64 * 1024;
// Longest IMDS error field quoted in an error message.
inline constexpr std::size_t managed_identity_max_quote = 200;

// RFC 3986 percent-encoding of everything but the unreserved characters.
inline std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

// <base>/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]
inline std::string managed_identity_token_url(const managed_identity_options& options) {
  std::string_view base = options.imds_base_url;
  while (base.ends_with('/')) base.remove_suffix(1);
  std::string url{base};
  url += "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=";
  url += percent_encode(options.resource);
  if (!options.client_id.empty()) url += "&client_id=" + percent_encode(options.client_id);
  return url;
}

inline telemetry::error managed_identity_error(std::string why) {
  return telemetry::error{"managed identity: " + std::move(why)};
}

// Whole seconds from a JSON number or a string of ASCII digits (IMDS sends strings); nullopt
// for anything else, negatives, and values past ~year 2200 (system_clock's range).
inline std::optional<std::int64_t> json_seconds(const boost::json::value* v) noexcept {
  constexpr std::int64_t max = std::int64_t{4'000'000'000} * 2;
  std::int64_t n = -1;
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = v->get_uint64() > static_cast<std::uint64_t>(max) ? max + 1 : static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_string()) {
    const auto& s = v->get_string();
    if (s.empty() || s.size() > 12) return std::nullopt;
    n = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
  }
  if (n < 0 || n > max) return std::nullopt;
  return n;
}

// A string field of an IMDS error answer, made fit for a log line (and scrubbed of anything
// shaped like a secret), or empty.
inline std::string quoted_field(const boost::json::object& object, std::string_view name) {
  const auto* v = object.if_contains(name);
  if (v == nullptr || !v->is_string()) return {};
  return sanitize_diagnostic_text(std::string_view{v->get_string()}, managed_identity_max_quote);
}

// The error for a non-200 answer: the status, and IMDS's error_description and error when the
// body is the usual JSON. Never the body itself.
inline telemetry::error imds_status_error(long status, std::string_view body) {
  std::string why = "IMDS answered HTTP " + std::to_string(status);
  std::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const std::string description = quoted_field(parsed.get_object(), "error_description");
    const std::string code = quoted_field(parsed.get_object(), "error");
    if (!description.empty()) why += ": " + description;
    if (!code.empty()) why += " (" + code + ")";
  }
  if (status == 400 || status == 404) why += "; is a managed identity assigned to this VM (and the client id right)?";
  return managed_identity_error(std::move(why));
}

// Reads a 200 answer: access_token, and expires_on (epoch seconds) or else expires_in
// (seconds from `now`). A token already expired at `now` is an error.
inline result<access_token> parse_managed_identity_token(std::string_view body,
                                                         std::chrono::system_clock::time_point now) {
  std::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return managed_identity_error("IMDS's token answer is not JSON (" + ec.message() + ")");
  if (!parsed.is_object()) return managed_identity_error("IMDS's token answer is not a JSON object");
  const auto& object = parsed.get_object();
  const auto* value = object.if_contains("access_token");
  if (value == nullptr || !value->is_string() || value->get_string().empty())
    return managed_identity_error("IMDS's token answer has no access_token string");
  std::optional<std::chrono::system_clock::time_point> expires;
  if (const auto on = json_seconds(object.if_contains("expires_on"))) {
    expires = std::chrono::system_clock::time_point{std::chrono::seconds{*on}};
  } else if (const auto in = json_seconds(object.if_contains("expires_in"))) {
    if (*in <= std::int64_t{366} * 24 * 3600) expires = now + std::chrono::seconds{*in};
  }
  if (!expires) return managed_identity_error("IMDS's token answer has no usable expires_on or expires_in");
  if (*expires <= now) {
    const auto at = std::chrono::duration_cast<std::chrono::seconds>(expires->time_since_epoch()).count();
    return managed_identity_error("IMDS returned a token that expired at " + std::to_string(at) +
                                  " (epoch seconds), before now; is the clock right?");
  }
  return access_token{std::string{value->get_string()}, *expires};
}

}  // namespace detail

// One GET of a token from IMDS, no cache: header `Metadata: true`, no proxy, no redirects,
// bounded by options' timeouts and a 64 KB answer. Errors say what failed (unreachable,
// IMDS's status and error_description, malformed answer, expired token) and never hold a token.
inline result<access_token> fetch_managed_identity_token(const managed_identity_options& options,
                                                         std::chrono::system_clock::time_point now) {
  using detail::managed_identity_error;
  http_response answer;
  try {
    // No proxy (IMDS must be reached directly, "*" also overrides no_proxy in the
    // environment), and plain http only to loopback or IMDS's link-local address.
    http_client client{http_options{.connect_timeout = options.connect_timeout,
                                    .total_timeout = options.timeout,
                                    .use_proxy_environment = false,
                                    .no_proxy = "*"}};
    answer = client.get(detail::managed_identity_token_url(options),
                        {.headers = {"Metadata: true"},
                         .max_body_bytes = detail::managed_identity_max_body,
                         .allow_link_local_http = true});
  } catch (const std::exception& e) {
    return managed_identity_error(e.what());  // libcurl could not be initialised, or memory ran out
  }
  if (answer.status == 0) {
    return managed_identity_error("cannot get a token from IMDS at " + options.imds_base_url + ": " +
                                  sanitize_diagnostic_text(answer.error));
  }
  if (answer.status != 200) return detail::imds_status_error(answer.status, answer.body);
  return detail::parse_managed_identity_token(answer.body, now);
}

// A token_provider backed by the VM's managed identity through IMDS. Thread-safe: concurrent
// token() calls that need a fetch wait for one fetch (the mutex is held during it, at most
// options.timeout). The token is cached until refresh_before_expiry (5 min) before it expires;
// within that window each call tries to refresh (no more often than refresh_retry_delay) and
// keeps using the cached token while IMDS fails. invalidate() never blocks.
class managed_identity_token_provider final : public token_provider {
 public:
  explicit managed_identity_token_provider(managed_identity_options options = {}) : options_(std::move(options)) {}

  const managed_identity_options& options() const noexcept { return options_; }

  result<access_token> token(std::chrono::system_clock::time_point now) override {
    std::lock_guard lock(mutex_);
    const std::uint64_t generation = generation_.load(std::memory_order_acquire);
    const bool usable = cached_ && cached_generation_ == generation && now < cached_->expires_on;
    if (usable && (now < cached_->expires_on - options_.refresh_before_expiry || now < next_attempt_)) return *cached_;
    auto fetched = fetch_managed_identity_token(options_, now);
    next_attempt_ = now + options_.refresh_retry_delay;
    if (fetched) {
      cached_ = *fetched;
      cached_generation_ = generation;
      return fetched;
    }
    if (usable) return *cached_;  // refreshing early failed; the old token still works
    cached_.reset();
    return fetched;
  }

  void invalidate() override { generation_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  const managed_identity_options options_;
  std::mutex mutex_;
  std::optional<access_token> cached_;                 // guarded by mutex_
  std::uint64_t cached_generation_ = 0;                // guarded by mutex_
  std::chrono::system_clock::time_point next_attempt_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};           // bumped by invalidate()
};

}  // namespace onefuzz::telemetry::transport
