// A thin, blocking libcurl HTTP client: POSTs to the ingestion endpoint over one reused
// connection (verified TLS, bounded time, optional gzip) and bounded GETs of small documents
// (a metadata service's answers), with no exceptions or curl types leaking out of it.
#pragma once

#include "onefuzz/telemetry/transport/detail/curl_handles.hpp"
#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/transport/detail/http_client_state.hpp"
#include "onefuzz/telemetry/transport/http_options.hpp"
#include "onefuzz/telemetry/transport/retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport {

// Per-request settings, usable with designated initialisers:
// `client.post(url, body, {.content_type = "application/x-json-stream", .gzip = true})`.
struct post_options {
  std::string content_type{"application/json"};
  // Compress the body with gzip and send `Content-Encoding: gzip`.
  bool gzip{false};
  // With gzip: the body's gzip form, made beforehand (the sender's worker makes it while the
  // previous post is under way); sent as it is instead of compressing the body again. It
  // must stay valid until post() returns.
  std::optional<std::string_view> precompressed{};
  // Sent as `Authorization: Bearer <token>` (Entra ID on /v2.1/track). libcurl does not
  // forward it when a redirect changes host, port or scheme.
  std::optional<std::string> bearer_token{};
  // Requesting stop on the source aborts the post at once (status 0, error "cancelled"),
  // from any thread; this is how a sender's shutdown interrupts a slow server.
  std::stop_token stop{};
};

// Per-request settings of get(), a bounded read of a small document. A get never follows a
// redirect: a 3xx answer is returned as it is.
struct get_options {
  // Extra request headers, each "Name: value" (e.g. "Metadata: true").
  std::vector<std::string> headers{};
  // Answer bytes kept (and at most http_options::max_response_bytes); a longer answer fails
  // the get (status 0, an error saying "over N bytes", or "over N KB").
  std::size_t max_body_bytes{64 * 1024};
  // Also allows plain http to a link-local IP literal (169.254.0.0/16, fe80::/10) reached
  // without a proxy, besides loopback: the Azure Instance Metadata Service answers only
  // there, only over http, and only to the VM itself. Never for anything else.
  bool allow_link_local_http{false};
  // Requesting stop on the source aborts the get at once (status 0, error "cancelled").
  std::stop_token stop{};
};

// Outcome of one post or get. `status == 0` means no HTTP answer was received (connection
// refused or dropped, timeout, TLS failure, policy refusal, cancellation) and `error` says why.
struct http_response {
  int status{0};
  std::string body{};
  // Raw value of the final answer's Retry-After header (delta-seconds or HTTP-date).
  std::optional<std::string> retry_after{};
  // The wait that header asks for, as libcurl reads it (CURLINFO_RETRY_AFTER; see
  // retry_after_from_curl in retry_policy.hpp): whole seconds from now, a past date 0, bounded
  // to max_retry_after (1 h). Unset when there is no Retry-After or it is unreadable.
  std::optional<std::chrono::seconds> retry_after_delay{};
  // Human-readable failure reason; empty when an HTTP answer was received.
  std::string error{};
  // The URL that produced the final answer, after any redirects (where a redirect led).
  std::string effective_url{};
  // Content-Type of the final answer; empty if none.
  std::string content_type{};
  // libcurl's CURLcode (as an int) when no HTTP answer was received, for classifying the
  // failure (transport_failure_kind in diagnostics.hpp): 7 connection refused, 35 TLS, 28
  // timeout... Refusals by this client's own policy (plain http to a non-loopback host, an
  // unsupported scheme, a redirect it will not follow, an answer over max_response_bytes) are
  // 42 (CURLE_ABORTED_BY_CALLBACK) or 1 (CURLE_UNSUPPORTED_PROTOCOL), and a malformed URL 3.
  // 0 with an answer, and for a cancelled post (error "cancelled").
  int transport_code{0};
  // The system's errno of the failed connect (CURLINFO_OS_ERRNO), e.g. ECONNREFUSED, which
  // libcurl's error text does not always name; 0 when there is none.
  int os_error{0};
};

// gzip_compress(body) -> std::string: the same compression post() applies, for callers that
// want to measure or spool compressed batches.
using ::onefuzz::telemetry::detail::gzip_compress;

// One connection's worth of HTTP POSTs (and GETs). Not thread-safe: use one client per sender
// thread (requests on one instance must not overlap). Moving is allowed between posts; a
// moved-from client may only be destroyed or assigned to.
// Proxies: http_options::proxy, or libcurl's standard variables (https_proxy, no_proxy, ...).
class http_client {
public:
  // Creates the easy handle and sets the fixed policy (TLS verification, timeouts,
  // redirects). Throws std::runtime_error if libcurl cannot be initialised.
  explicit http_client(http_options options = {}) : state_(std::make_unique<detail::http_client_state>()) {
    detail::ensure_curl_global_init();
    state_->options = std::move(options);
    state_->easy.reset(curl_easy_init());
    state_->multi.reset(curl_multi_init());
    if (!state_->easy || !state_->multi) {
      throw std::runtime_error("http_client: curl_easy_init/curl_multi_init failed");
    }
    CURL* h = state_->easy.get();
    auto const& o = state_->options;
    bool ok = true;
    auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
    // Signals are not thread-safe in a library; threaded DNS makes them unnecessary.
    set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, state_->error_buffer));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!o.ca_file.empty()) {
      set(curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str()));
    }
    if (!o.ca_pem.empty()) {
      // CURL_BLOB_COPY: libcurl keeps its own copy. The blob overrides CURLOPT_CAINFO.
      curl_blob blob{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_COPY};
      set(curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob));
    }
    if (!o.ca_file.empty() || !o.ca_pem.empty()) {
      // libcurl also searches its default CA directory (Debian: /etc/ssl/certs) besides any
      // CAINFO; "instead of the system store" means that directory too.
      set(curl_easy_setopt(h, CURLOPT_CAPATH, static_cast<char const*>(nullptr)));
    }
    if (!o.proxy.empty()) {
      set(curl_easy_setopt(h, CURLOPT_PROXY, o.proxy.c_str()));
    } else if (!o.use_proxy_environment) {
      set(curl_easy_setopt(h, CURLOPT_PROXY, ""));  // "" disables proxies, the environment's too
    }
    if (o.no_proxy) {
      set(curl_easy_setopt(h, CURLOPT_NOPROXY, o.no_proxy->c_str()));
    }
    set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L));
    set(curl_easy_setopt(h, CURLOPT_MAXREDIRS, o.max_redirects));
    // Without POSTREDIR libcurl turns a redirected POST into a GET and drops the body.
    set(curl_easy_setopt(h, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL)));
    // 0 would mean "libcurl's default" (300 s), so a non-positive budget becomes 1 ms.
    set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::max<std::chrono::milliseconds::rep>(o.connect_timeout.count(), 1))));
    set(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
    set(curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str()));
    set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &detail::http_client_state::on_body));
    set(curl_easy_setopt(h, CURLOPT_WRITEDATA, state_.get()));
    set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &detail::http_client_state::on_header));
    set(curl_easy_setopt(h, CURLOPT_HEADERDATA, state_.get()));
    set(curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, &detail::http_client_state::on_prereq));
    set(curl_easy_setopt(h, CURLOPT_PREREQDATA, state_.get()));
    if (!ok) {
      throw std::runtime_error("http_client: libcurl rejected an option (libcurl older than 7.85, or a "
                               "proxy or CA option it does not support?)");
    }
  }

  http_client(http_client&&) noexcept = default;
  http_client& operator=(http_client&&) noexcept = default;
  http_client(http_client const&) = delete;
  http_client& operator=(http_client const&) = delete;
  ~http_client() = default;

  // The options this client was built with.
  http_options const& options() const noexcept { return state_->options; }

  // POSTs `body` to `url` and returns the final answer (after redirects). Never throws
  // except std::bad_alloc; never blocks longer than the timeout; reuses the kept-alive
  // connection when the server allows it. Network failures come back as status 0.
  http_response post(std::string_view url, std::string_view body, post_options const& options = {}) {
    http_response response;
    auto& s = *state_;
    if (!begin(response, url, s.options.max_response_bytes, false, options.stop)) return response;

    std::string_view payload = body;
    if (options.gzip && options.precompressed) {
      payload = *options.precompressed;
    } else if (options.gzip) {
      if (!s.compressor) s.compressor.emplace(::onefuzz::telemetry::detail::request_gzip_level);
      if (!s.compressor->compress(body, s.compressed)) {
        response.error = "http_client: gzip compression failed";
        response.transport_code = CURLE_BAD_CONTENT_ENCODING;
        return response;
      }
      payload = s.compressed;
    }

    detail::slist_ptr headers;
    auto add_header = [&headers](std::string const& line) { append_header(headers, line); };
    add_header("Content-Type: " + options.content_type);
    if (options.gzip) {
      add_header("Content-Encoding: gzip");
    }
    if (options.bearer_token) {
      add_header("Authorization: Bearer " + *options.bearer_token);
    }
    // libcurl would otherwise wait up to 1 s for "100 Continue" before sending bodies > 1 MiB.
    add_header("Expect:");

    CURL* h = s.easy.get();
    std::string const url_text(url);
    curl_easy_setopt(h, CURLOPT_URL, url_text.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    perform(response, options.stop);
    return response;
  }

  // GETs `url` with the extra headers, reading at most options.max_body_bytes of answer;
  // the same TLS, proxy, cleartext and time policy as post() (see get_options for the one
  // exception). Never throws except std::bad_alloc; network failures come back as status 0.
  http_response get(std::string_view url, get_options const& options = {}) {
    http_response response;
    auto& s = *state_;
    auto const limit = std::min(options.max_body_bytes, s.options.max_response_bytes);
    if (!begin(response, url, limit, options.allow_link_local_http, options.stop)) return response;
    detail::slist_ptr headers;
    for (auto const& line : options.headers) append_header(headers, line);
    CURL* h = s.easy.get();
    std::string const url_text(url);
    curl_easy_setopt(h, CURLOPT_URL, url_text.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    s.following_redirects = false;
    perform(response, options.stop);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    s.following_redirects = true;
    s.link_local_allowed = false;
    return response;
  }

private:
  // Resets the per-request scratch and applies the checks made before any connection; false
  // (with `response` saying why) when the request must not be made.
  bool begin(http_response& response, std::string_view url, std::size_t body_limit, bool link_local,
             std::stop_token const& stop) {
    auto& s = *state_;
    s.body = &response.body;
    s.retry_after = &response.retry_after;
    s.body_limit = body_limit;
    s.link_local_allowed = link_local;
    s.policy_error.clear();
    s.header_status = 0;
    s.error_buffer[0] = '\0';

    auto const parts = detail::parse_url(url);
    if (!parts) {
      response.error = "http_client: invalid URL '" + std::string(url) + "'";
      response.transport_code = CURLE_URL_MALFORMAT;
    } else if (std::string why; !s.cleartext_allowed(*parts, why)) {
      response.error = std::move(why);
      response.transport_code = CURLE_UNSUPPORTED_PROTOCOL;
    } else if (stop.stop_requested()) {
      response.error = "cancelled";
    } else {
      return true;
    }
    s.link_local_allowed = false;
    return false;
  }

  static void append_header(detail::slist_ptr& headers, std::string const& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) {
      throw std::bad_alloc{};
    }
    (void)headers.release();
    headers.reset(next);
  }

  // Runs the request set up on the easy handle, within http_options::total_timeout, and
  // fills `response`.
  void perform(http_response& response, std::stop_token const& stop) {
    auto& s = *state_;
    CURL* h = s.easy.get();
    // 0 would mean "no timeout" to libcurl; a spent budget must still end the request.
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<std::chrono::milliseconds::rep>(s.options.total_timeout.count(), 1)));
    CURLcode result = CURLE_OK;
    bool cancelled = false;
    bool multi_failed = false;
    CURLM* m = s.multi.get();
    if (curl_multi_add_handle(m, h) != CURLM_OK) {
      response.error = "http_client: curl_multi_add_handle failed";
      response.transport_code = CURLE_FAILED_INIT;
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
      return;
    }
    {
      // The multi interface (rather than curl_easy_perform) exists only so that a stop
      // request can wake the poll immediately instead of after libcurl's next timer.
      std::stop_callback const wake(stop, [m]() noexcept { curl_multi_wakeup(m); });
      for (;;) {
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
          multi_failed = true;
          break;
        }
        if (running == 0) {
          break;
        }
        if (stop.stop_requested()) {
          cancelled = true;
          break;
        }
        // libcurl shortens this wait to its own next timeout, so 1 s only bounds idling.
        if (curl_multi_poll(m, nullptr, 0, 1000, nullptr) != CURLM_OK) {
          multi_failed = true;
          break;
        }
      }
    }
    if (!cancelled && !multi_failed) {
      int left = 0;
      result = CURLE_OK;
      while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) {
          result = msg->data.result;
        }
      }
    }
    curl_multi_remove_handle(m, h);
    // The header list dies with this call; do not leave libcurl pointing at it.
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);

    char* effective = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != nullptr) {
      response.effective_url = effective;
    }
    if (cancelled) {
      response = http_response{.error = "cancelled", .effective_url = std::move(response.effective_url)};
      return;
    }
    if (multi_failed || result != CURLE_OK) {
      std::string why = !s.policy_error.empty() ? s.policy_error
                        : s.error_buffer[0] != '\0' ? std::string(s.error_buffer)
                        : multi_failed             ? std::string("http_client: libcurl multi interface failed")
                                                   : std::string(curl_easy_strerror(result));
      // A callback that aborted on purpose makes libcurl say "write error" or "aborted";
      // what happened is a policy refusal, whichever callback it came from.
      int const code = !s.policy_error.empty() ? static_cast<int>(CURLE_ABORTED_BY_CALLBACK)
                       : multi_failed          ? static_cast<int>(CURLE_FAILED_INIT)
                                               : static_cast<int>(result);
      long os_error = 0;
      if (curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_error) != CURLE_OK) os_error = 0;
      s.mask_proxy_credentials(why);
      response = http_response{.error = std::move(why), .effective_url = std::move(response.effective_url)};
      response.transport_code = code;
      response.os_error = static_cast<int>(os_error);
      return;
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    if (response.retry_after) {
      // libcurl parsed the header too (delta-seconds and HTTP-date); the raw text, reset on every
      // answer, says whether the final answer carried one, which libcurl's value does not.
      curl_off_t after = 0;
      if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &after) != CURLE_OK) after = 0;
      response.retry_after_delay =
          retry_after_from_curl(static_cast<std::int64_t>(after), *response.retry_after, std::chrono::system_clock::now());
    }
    char* content_type = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK && content_type != nullptr) {
      response.content_type = content_type;
    }
  }

  std::unique_ptr<detail::http_client_state> state_;
};

}  // namespace onefuzz::telemetry::transport
