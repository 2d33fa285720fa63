// A thin, blocking libcurl HTTP POST client for the ingestion endpoint: one reused
// connection, verified TLS, bounded time, optional gzip, and no exceptions or curl types
// leaking out of it.
#pragma once

#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/transport/detail/curl_handles.hpp"
#include "onefuzz/telemetry/transport/detail/loopback.hpp"
#include "onefuzz/telemetry/transport/retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

// Client-wide settings. Every field has a safe default, so `http_client{}` or
// `http_client{{.total_timeout = 10s}}` are both complete configurations.
struct http_options {
  // Budget for DNS + TCP connect + TLS handshake of each connection.
  std::chrono::milliseconds connect_timeout{5000};
  // Budget for a whole post, redirects included; post() returns (status 0) once it is spent.
  std::chrono::milliseconds total_timeout{30000};
  // PEM file of CA certificates to trust instead of the system store (libcurl's default bundle
  // and its default CA directory, e.g. /etc/ssl/certs, are then both unused); empty keeps
  // libcurl's defaults. Peer and host verification stay on either way.
  std::string ca_file{};
  // The same, given in memory: PEM text of one or more CA certificates (CURLOPT_CAINFO_BLOB,
  // libcurl >= 7.77, copied into libcurl, so the string need not outlive the client). When set
  // it is trusted instead of ca_file and of the system store. Empty: not used. Verification
  // stays on; text that is not PEM makes every https post fail (transport_code 77,
  // CURLE_SSL_CACERT_BADFILE). Neither this nor ca_file applies to an https:// proxy's own
  // certificate, which libcurl verifies against its default bundle.
  std::string ca_pem{};
  // Proxy for every post (CURLOPT_PROXY), as a URL: "http://127.0.0.1:3128",
  // "http://user:password@proxy.corp:8080", "socks5h://...". A scheme-less "host:port" is an
  // HTTP proxy. http:// targets are sent to an HTTP proxy in absolute form; https:// targets go
  // through a CONNECT tunnel, so TLS (and its verification) is still end to end with the
  // ingestion host and the proxy sees only the host name and port.
  // Empty: libcurl's default, which honours the http_proxy / https_proxy / all_proxy (and
  // upper-case) environment variables, unless use_proxy_environment is false.
  // Credentials in this URL are sent to the proxy only; they never appear in http_response::error
  // (they are masked there) or in any other text this client produces. options() returns them.
  std::string proxy{};
  // With an empty `proxy`: true keeps libcurl's reading of the proxy environment variables; false
  // connects directly whatever the environment says. Ignored when `proxy` is set.
  bool use_proxy_environment{true};
  // Hosts reached without the proxy (CURLOPT_NOPROXY): a comma-separated list of host names,
  // domain suffixes, IP addresses or CIDR ranges, or "*" for all. Unset: the no_proxy (NO_PROXY)
  // environment variable applies, also to an explicit `proxy`. "": no exceptions, every post
  // goes through the proxy, loopback included.
  std::optional<std::string> no_proxy{};
  // Plain `http://` is refused unless this is true AND the URL's host and the peer actually
  // connected to are both loopback (the local ingestion server in tests and the demo).
  // No setting allows cleartext, or unverified TLS, to any other host. Through a proxy the
  // peer is the proxy: plain http to a loopback URL is sent only to a loopback proxy (so the
  // cleartext stays on this machine, and the proxy's own "127.0.0.1" is this machine's too);
  // through any other proxy it is refused before a byte of the request is sent.
  bool allow_insecure_http_for_loopback_only{true};
  // Redirect hops followed (the service uses 307/308); the POST body is re-sent on each.
  long max_redirects{10};
  // Response bytes kept; a longer answer fails the post instead of growing memory.
  // Ingestion answers are a few hundred bytes per rejected item.
  std::size_t max_response_bytes{4 * 1024 * 1024};
  // Sent as User-Agent.
  std::string user_agent{"onefuzz-telemetry/0.1"};
};

// Per-request settings, usable with designated initialisers:
// `client.post(url, body, {.content_type = "application/x-json-stream", .gzip = true})`.
struct post_options {
  std::string content_type{"application/json"};
  // Compress the body with gzip and send `Content-Encoding: gzip`.
  bool gzip{false};
  // Sent as `Authorization: Bearer <token>` (Entra ID on /v2.1/track). libcurl does not
  // forward it when a redirect changes host, port or scheme.
  std::optional<std::string> bearer_token{};
  // Overrides http_options::total_timeout for this post (e.g. the rest of a flush deadline).
  std::optional<std::chrono::milliseconds> timeout{};
  // Requesting stop on the source aborts the post at once (status 0, error "cancelled"),
  // from any thread; this is how a sender's shutdown interrupts a slow server.
  std::stop_token stop{};
};

// Outcome of one post. `status == 0` means no HTTP answer was received (connection
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
  // The URL that produced the final answer, after any redirects (for redirect caching).
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

namespace detail {

// Everything libcurl's callbacks touch lives here, at a stable heap address, so the
// client itself can be moved while the callbacks keep a valid pointer.
struct http_client_state {
  easy_ptr easy;
  multi_ptr multi;
  http_options options;
  char error_buffer[CURL_ERROR_SIZE]{};

  // Per-post scratch, reset by post().
  http_response* response{nullptr};
  std::string policy_error;  // set by a callback that aborted the transfer on purpose
  int header_status{0};      // status of the answer whose headers are being read
  std::optional<::onefuzz::telemetry::detail::gzip_compressor> compressor;
  std::string compressed;  // reused across posts so steady-state sending does not allocate

  static std::string trim(std::string_view s) {
    auto const not_space = [](unsigned char c) { return !std::isspace(c); };
    auto const b = std::find_if(s.begin(), s.end(), not_space);
    auto const e = std::find_if(s.rbegin(), s.rend(), not_space).base();
    return b < e ? std::string(b, e) : std::string();
  }

  static bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) {
      return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i]))) {
        return false;
      }
    }
    return true;
  }

  // Replaces the proxy URL's user information (as written and percent-decoded) in `text` with
  // "***", so a failure message cannot carry proxy credentials whatever libcurl puts in it.
  void mask_proxy_credentials(std::string& text) const {
    std::string_view p = options.proxy;
    if (auto const scheme_end = p.find("://"); scheme_end != std::string_view::npos) p.remove_prefix(scheme_end + 3);
    p = p.substr(0, p.find_first_of("/?#"));
    auto const at = p.rfind('@');
    if (at == std::string_view::npos) return;
    std::string_view const userinfo = p.substr(0, at);
    auto const decode = [](std::string_view in) {
      std::string out;
      for (std::size_t i = 0; i < in.size(); ++i) {
        auto const hex = [](char c) {
          return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        };
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
          out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
          i += 2;
        } else {
          out.push_back(in[i]);
        }
      }
      return out;
    };
    auto const mask = [&text](std::string_view secret) {
      if (secret.empty()) return;
      for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
        text.replace(pos, secret.size(), "***");
      }
    };
    // The whole user information first, then each part, raw and decoded.
    mask(userinfo);
    auto const colon = userinfo.find(':');
    std::string_view const user = userinfo.substr(0, colon);
    std::string_view const password = colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    mask(decode(userinfo));
    mask(password);
    mask(decode(password));
    // A user name of one or two characters would mask every such letter; it is no secret.
    if (user.size() >= 3) mask(user);
    if (auto const u = decode(user); u.size() >= 3) mask(u);
  }

  // Refuses cleartext to anything but loopback; `why` explains the refusal.
  bool cleartext_allowed(url_parts const& url, std::string& why) const {
    std::string scheme = url.scheme;
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "https") {
      return true;
    }
    if (scheme != "http") {
      why = "http_client: unsupported URL scheme '" + url.scheme + "'";
      return false;
    }
    if (!options.allow_insecure_http_for_loopback_only) {
      why = "http_client: plain http is disabled (allow_insecure_http_for_loopback_only is false)";
      return false;
    }
    if (!is_loopback_host(url.host)) {
      why = "http_client: refusing plain http to non-loopback host '" + url.host + "'";
      return false;
    }
    return true;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* self = static_cast<http_client_state*>(user);
    std::size_t const n = size * count;
    try {
      if (self->response->body.size() + n > self->options.max_response_bytes) {
        self->policy_error = "http_client: response body exceeds max_response_bytes";
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
      }
      self->response->body.append(data, n);
      return n;
    } catch (...) {
      self->policy_error = "http_client: out of memory reading the response";
      return 0;
    }
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* self = static_cast<http_client_state*>(user);
    std::size_t const n = size * count;
    try {
      std::string_view const line(data, n);
      if (iequals_prefix(line, "HTTP/")) {
        // A new answer starts (after a redirect or a 1xx): only the final one's headers count.
        self->response->retry_after.reset();
        self->response->body.clear();
        auto const sp = line.find(' ');
        self->header_status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
      } else if (iequals_prefix(line, "retry-after:")) {
        self->response->retry_after = trim(line.substr(12));
      } else if (iequals_prefix(line, "location:") && self->header_status >= 300 && self->header_status < 400) {
        // Judge a redirect target before libcurl connects to it: a loopback server must
        // not be able to bounce telemetry to a remote host in cleartext.
        char* current = nullptr;
        curl_easy_getinfo(self->easy.get(), CURLINFO_EFFECTIVE_URL, &current);
        auto const target = parse_url(trim(line.substr(9)), current ? std::string_view(current) : std::string_view());
        std::string why;
        if (!target) {
          self->policy_error = "http_client: redirect to an unparsable Location";
          return 0;
        }
        if (!self->cleartext_allowed(*target, why)) {
          self->policy_error = why + " (redirect)";
          return 0;
        }
      }
      return n;
    } catch (...) {
      self->policy_error = "http_client: out of memory reading headers";
      return 0;
    }
  }

  // Runs once a connection is up and before a byte of the request is sent; checks the
  // peer actually connected to, which catches a proxy or a resolver pointing elsewhere.
  static int on_prereq(void* user, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
                       int /*local_port*/) noexcept {
    auto* self = static_cast<http_client_state*>(user);
    try {
      char* current = nullptr;
      curl_easy_getinfo(self->easy.get(), CURLINFO_EFFECTIVE_URL, &current);
      auto const url = parse_url(current ? std::string_view(current) : std::string_view());
      if (!url) {
        self->policy_error = "http_client: cannot parse the effective URL";
        return CURL_PREREQFUNC_ABORT;
      }
      std::string scheme = url->scheme;
      std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (scheme == "https") {
        return CURL_PREREQFUNC_OK;
      }
      std::string why;
      if (!self->cleartext_allowed(*url, why)) {
        self->policy_error = why;
        return CURL_PREREQFUNC_ABORT;
      }
      if (primary_ip == nullptr || !is_loopback_ip(primary_ip)) {
        self->policy_error = std::string("http_client: refusing plain http through non-loopback peer ") +
                             (primary_ip ? primary_ip : "?") + " (a proxy?)";
        return CURL_PREREQFUNC_ABORT;
      }
      return CURL_PREREQFUNC_OK;
    } catch (...) {
      return CURL_PREREQFUNC_ABORT;
    }
  }
};

}  // namespace detail

// One connection's worth of HTTP POSTs. Not thread-safe: use one client per sender
// thread (posts on one instance must not overlap). Moving is allowed between posts; a
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
    s.response = &response;
    s.policy_error.clear();
    s.header_status = 0;
    s.error_buffer[0] = '\0';

    auto const parts = detail::parse_url(url);
    if (!parts) {
      response.error = "http_client: invalid URL '" + std::string(url) + "'";
      response.transport_code = CURLE_URL_MALFORMAT;
      return response;
    }
    if (std::string why; !s.cleartext_allowed(*parts, why)) {
      response.error = std::move(why);
      response.transport_code = CURLE_UNSUPPORTED_PROTOCOL;
      return response;
    }
    if (options.stop.stop_requested()) {
      response.error = "cancelled";
      return response;
    }

    std::string_view payload = body;
    if (options.gzip) {
      if (!s.compressor) {
        // The fastest level: at the default level compressing a 500-item batch took 1.5 ms
        // of a 4.5 ms post cycle, for 2 % fewer bytes (benchmarks/end_to_end_benchmark).
        s.compressor.emplace(Z_BEST_SPEED);
      }
      if (!s.compressor->compress(body, s.compressed)) {
        response.error = "http_client: gzip compression failed";
        response.transport_code = CURLE_BAD_CONTENT_ENCODING;
        return response;
      }
      payload = s.compressed;
    }

    detail::slist_ptr headers;
    auto add_header = [&headers](std::string const& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next == nullptr) {
        throw std::bad_alloc{};
      }
      (void)headers.release();
      headers.reset(next);
    };
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
    auto const timeout = options.timeout.value_or(s.options.total_timeout);
    curl_easy_setopt(h, CURLOPT_URL, url_text.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    // 0 would mean "no timeout" to libcurl; a spent budget must still end the post.
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::chrono::milliseconds::rep>(timeout.count(), 1)));

    CURLcode result = CURLE_OK;
    bool cancelled = false;
    bool multi_failed = false;
    CURLM* m = s.multi.get();
    if (curl_multi_add_handle(m, h) != CURLM_OK) {
      response.error = "http_client: curl_multi_add_handle failed";
      response.transport_code = CURLE_FAILED_INIT;
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
      return response;
    }
    {
      // The multi interface (rather than curl_easy_perform) exists only so that a stop
      // request can wake the poll immediately instead of after libcurl's next timer.
      std::stop_callback const wake(options.stop, [m]() noexcept { curl_multi_wakeup(m); });
      for (;;) {
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
          multi_failed = true;
          break;
        }
        if (running == 0) {
          break;
        }
        if (options.stop.stop_requested()) {
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
      return response;
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
      return response;
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
    return response;
  }

private:
  std::unique_ptr<detail::http_client_state> state_;
};

}  // namespace onefuzz::telemetry::transport
