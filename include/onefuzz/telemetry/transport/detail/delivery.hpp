// Defines delivery: how one destination's posting thread gets a batch accepted: post it,
// classify the answer, resend only the items the service asks for, back off, and say why
// a send failed. It holds no lock and touches nothing another thread uses but atomic
// counters; waiting is left to the caller, whose stop token ends it.
#pragma once

#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/detail/destination_reporter.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/http_client.hpp>
#include <onefuzz/telemetry/transport/ingestion_response.hpp>
#include <onefuzz/telemetry/transport/retry_policy.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace onefuzz::telemetry::transport::detail {

// How a delivery ended: every item accepted or dropped with a reason (finished), the
// attempts spent (exhausted), or the destination stopping (stopped); the caller spools or
// drops what is left in the last two cases.
enum class delivery_outcome { finished, exhausted, stopped };

class delivery {
 public:
  using clock = std::chrono::steady_clock;

  // Throws std::invalid_argument when the destination uses Authorization=AAD without a
  // bearer token provider (the sender's constructor reports it before any thread starts).
  delivery(const connection_settings& settings, bool gzip, const sender_options& common,
           destination_reporter& reporter, sink_counters& counters)
      : reporter_(reporter),
        counters_(counters),
        uses_aad_(settings.uses_aad),
        gzip_(gzip),
        retry_(common.retry),
        bearer_token_(common.bearer_token),
        bearer_token_rejected_(common.bearer_token_rejected),
        url_(track_url(settings, settings.uses_aad)),
        endpoint_(endpoint_label(url_)),
        client_(common.http),
        backoff_(common.retry.backoff) {
    if (uses_aad_ && !bearer_token_) {
      throw std::invalid_argument(
          "onefuzz::telemetry::transport::sender: a destination uses Authorization=AAD, so "
          "sender_options::bearer_token must be set");
    }
  }

  delivery(const delivery&) = delete;
  delivery& operator=(const delivery&) = delete;

  // "host:port" of the destination, for diagnostics.
  [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }

  // Posts `current` until every item is accepted or dropped with a reason, or until the
  // retries run out or `stop` is requested. A partial answer shrinks `current` to the
  // items still to send. `sleep_until(deadline, stop)` waits and returns false once stopped.
  // `before_wait(current)` is called before each wait to resend (a retriable status, a
  // network error, items to resend), so the caller can put the batch on disk first.
  template <class SleepUntil, class BeforeWait>
  delivery_outcome deliver(batch& current, const std::stop_token& stop, SleepUntil&& sleep_until,
                           BeforeWait&& before_wait) {
    unsigned attempt = 0;
    bool token_invalidated = false;  // once per batch: a missing role must not hammer the provider
    for (;;) {
      if (!sleep_until(pause_until_, stop)) return delivery_outcome::stopped;
      post_options post{.content_type = "application/x-json-stream",
                        .gzip = gzip_,
                        .precompressed = gzip_ ? current.compressed() : std::nullopt,
                        .stop = stop};
      if (uses_aad_) post.bearer_token = fetch_bearer_token();
      counters_.requests.fetch_add(1, std::memory_order_relaxed);
      const http_response response = client_.post(url_, current.view(), post);
      // A cancelled post is the sender's own doing: never reported.
      if (stop.stop_requested()) return delivery_outcome::stopped;
      if (response.status == 401 && post.bearer_token && !token_invalidated && bearer_token_rejected_) {
        token_invalidated = true;
        try {
          bearer_token_rejected_();
        } catch (...) {
          // A provider's failure to forget its token must not stop delivery; the retry asks
          // it for a token again, and a missing one is reported there.
        }
      }
      const auto verdict = judge(response, post.bearer_token.has_value(), current);
      if (verdict) return *verdict;

      if (++attempt >= retry_.max_attempts) return delivery_outcome::exhausted;
      before_wait(current);
      counters_.retried.fetch_add(current.items(), std::memory_order_relaxed);
      const auto delay = backoff_.next_delay(hint_);
      if (reporter_.wants(diagnostic_severity::info)) {
        reporter_.report({.severity = diagnostic_severity::info,
                          .kind = diagnostic_kind::retry_scheduled,
                          .message = "retrying " + std::to_string(current.items()) + " items to " + endpoint_ +
                                     " in " + std::to_string(delay.count()) + " ms (attempt " +
                                     std::to_string(attempt + 1) + " of " + std::to_string(retry_.max_attempts) +
                                     ")",
                          .detail = {},
                          .count = current.items(),
                          .delay = delay});
      }
      if (!sleep_until(clock::now() + delay, stop)) return delivery_outcome::stopped;
    }
  }

 private:
  // Counts and reports one answer. Returns how the delivery ended, or nothing when what is
  // left of `current` is to be sent again.
  std::optional<delivery_outcome> judge(const http_response& response, bool had_token, batch& current) {
    std::optional<ingestion_response> parsed;
    if (response.status != 0 && !response.body.empty()) {
      auto body = parse_ingestion_response(response.body);
      if (body.has_value()) parsed = std::move(*body);
    }
    // Read by libcurl (CURLINFO_RETRY_AFTER) and bounded by http_client; unreadable: no hint.
    hint_.reset();
    if (response.retry_after_delay) hint_ = *response.retry_after_delay;

    // Status 0 is a network failure (refused, reset, timed out): retriable, like a 503.
    const response_class verdict = response.status == 0
                                       ? response_class::retry
                                       : classify_response(response.status, parsed.has_value(), had_token);
    if (verdict == response_class::success || (verdict == response_class::partial && response.status < 300)) {
      consecutive_failures_ = 0;
    } else {
      ++consecutive_failures_;
    }
    switch (verdict) {
      case response_class::success:
        counters_.accepted.fetch_add(current.items(), std::memory_order_release);
        backoff_.reset();
        return delivery_outcome::finished;
      case response_class::partial: {
        const resend_plan plan = select_resend(current.items(), *parsed);
        counters_.accepted.fetch_add(plan.accepted + plan.sampled_out, std::memory_order_release);
        counters_.sampled_out.fetch_add(plan.sampled_out, std::memory_order_relaxed);
        counters_.drop(drop_reason::rejected_by_server, plan.rejected.size());
        // A 500 whose body names the items is a failed request all the same.
        if (response.status >= 300) report_http_status(response.status, diagnostic_severity::warning, parsed, "");
        if (!plan.rejected.empty()) {
          reporter_.fail({.severity = diagnostic_severity::warning,
                          .kind = diagnostic_kind::partial_acceptance,
                          .message = "HTTP " + std::to_string(response.status) + " from " + endpoint_ + ": " +
                                     std::to_string(plan.rejected.size()) + " of " + std::to_string(current.items()) +
                                     " items refused (the first with " +
                                     std::to_string(plan.rejected.front().status_code) + ")",
                          .http_status = response.status,
                          .detail = plan.rejected.front().message,
                          .count = plan.rejected.size()});
        }
        if (plan.resend.empty()) {
          backoff_.reset();
          return delivery_outcome::finished;
        }
        // The next answer's indexes refer to this smaller batch.
        current.keep_only(plan.resend, retry_batch_);
        return std::nullopt;
      }
      case response_class::retry:
        if (response.status == 0) {
          report_transport_failure(response);
        } else {
          report_http_status(response.status, diagnostic_severity::warning, parsed, "");
        }
        return std::nullopt;
      case response_class::throttled_quota: {
        counters_.drop(drop_reason::quota, current.items());
        const auto pause = std::max(hint_.value_or(retry_.quota_pause), retry_.quota_pause);
        pause_until_ = clock::now() + pause;
        report_http_status(response.status, diagnostic_severity::error, parsed,
                           ": over quota, " + std::to_string(current.items()) + " items dropped, sending paused for " +
                               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(pause).count()) +
                               " ms");
        return delivery_outcome::finished;
      }
      case response_class::redirect:
      case response_class::drop:
        counters_.drop(drop_reason::rejected_by_server, current.items());
        report_http_status(response.status, diagnostic_severity::error, parsed,
                           ": " + std::to_string(current.items()) + " items rejected");
        return delivery_outcome::finished;
    }
    return std::nullopt;
  }

  // A post without an HTTP answer: connection, TLS, timeout or the client's own policy.
  void report_transport_failure(const http_response& response) {
    const diagnostic_kind kind = transport_failure_kind(response.transport_code);
    std::string message;
    switch (kind) {
      case diagnostic_kind::tls_failed: message = "TLS with " + endpoint_ + " failed"; break;
      case diagnostic_kind::timed_out: message = "request to " + endpoint_ + " timed out"; break;
      case diagnostic_kind::configuration: message = "request to " + endpoint_ + " not sent"; break;
      default:
        switch (response.transport_code) {
          case 7:  // CURLE_COULDNT_CONNECT
            message = response.os_error == ECONNREFUSED ? "connection refused by " + endpoint_
                                                         : "cannot connect to " + endpoint_;
            break;
          case 5: message = "cannot resolve the proxy for " + endpoint_; break;         // CURLE_COULDNT_RESOLVE_PROXY
          case 6: message = "cannot resolve the host of " + endpoint_; break;           // CURLE_COULDNT_RESOLVE_HOST
          case 52: message = "no answer from " + endpoint_ + " (connection closed)"; break;  // CURLE_GOT_NOTHING
          default: message = "connection to " + endpoint_ + " failed"; break;
        }
        break;
    }
    message += attempts_text(consecutive_failures_);
    std::string detail = response.error;
    if (response.os_error != 0) detail += " (" + std::system_category().message(response.os_error) + ")";
    const bool lasting = kind == diagnostic_kind::tls_failed || kind == diagnostic_kind::configuration;
    reporter_.fail({.severity = lasting ? diagnostic_severity::error : diagnostic_severity::warning,
                    .kind = kind,
                    .message = std::move(message),
                    .transport_code = response.transport_code,
                    .detail = std::move(detail)});
  }

  // An HTTP answer that is not success: the detail is the service's first error message,
  // never the body itself.
  void report_http_status(int status, diagnostic_severity severity, const std::optional<ingestion_response>& parsed,
                          std::string_view what) {
    std::string message = "HTTP " + std::to_string(status) + " from " + endpoint_;
    message += what;
    if (severity == diagnostic_severity::warning) message += attempts_text(consecutive_failures_);
    reporter_.fail({.severity = severity,
                    .kind = diagnostic_kind::http_status,
                    .message = std::move(message),
                    .http_status = status,
                    .detail = parsed && !parsed->errors.empty() ? parsed->errors.front().message : std::string{}});
  }

  // The bearer token for the next request; reports a provider that has none (or throws).
  std::optional<std::string> fetch_bearer_token() {
    std::optional<std::string> token;
    bool threw = false;
    try {
      token = bearer_token_();
    } catch (...) {
      threw = true;  // its text is not reported: it might hold the token or a secret
    }
    if (token && !token->empty()) return token;
    reporter_.fail({.severity = diagnostic_severity::error,
                    .kind = diagnostic_kind::configuration,
                    .message = std::string("the bearer token provider ") + (threw ? "threw" : "returned no token") +
                               "; the request to " + endpoint_ + " is sent without one",
                    .detail = {}});
    return std::nullopt;
  }

  destination_reporter& reporter_;
  sink_counters& counters_;
  const bool uses_aad_;
  const bool gzip_;
  const retry_options retry_;
  const std::function<std::optional<std::string>()> bearer_token_;
  const std::function<void()> bearer_token_rejected_;
  const std::string url_;
  const std::string endpoint_;  // "host:port", for diagnostics
  http_client client_;
  backoff backoff_;
  unsigned consecutive_failures_ = 0;  // failed requests since the last success
  std::optional<std::chrono::milliseconds> hint_;  // the last answer's Retry-After
  batch retry_batch_;                  // lends its buffers to partial resends
  clock::time_point pause_until_{};    // after a quota answer
};

}  // namespace onefuzz::telemetry::transport::detail
