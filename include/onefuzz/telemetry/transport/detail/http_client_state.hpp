// The state an http_client shares with libcurl's callbacks (on_body, on_header, on_prereq),
// and the policy checks those callbacks make while a request runs: the answer size limit,
// cleartext only to loopback (redirects and the peer actually connected to included), and
// proxy credentials masked out of failure messages. http_client.hpp includes this header.
#pragma once

#include "onefuzz/telemetry/transport/detail/curl_handles.hpp"
#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/transport/detail/loopback.hpp"
#include "onefuzz/telemetry/transport/http_options.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::transport::detail {

// Everything libcurl's callbacks touch lives here, at a stable heap address, so the
// client itself can be moved while the callbacks keep a valid pointer.
struct http_client_state {
  easy_ptr easy;
  multi_ptr multi;
  http_options options;
  char error_buffer[CURL_ERROR_SIZE]{};

  // Per-request scratch, reset by post() and get(). body and retry_after point into the
  // http_response being filled (http_client.hpp defines it), the parts the callbacks write.
  std::string* body{nullptr};
  std::optional<std::string>* retry_after{nullptr};
  std::size_t body_limit{0};         // answer bytes kept by on_body
  bool link_local_allowed{false};    // get_options::allow_link_local_http
  bool following_redirects{true};    // false during get()
  std::string policy_error;  // set by a callback that aborted the transfer on purpose
  int header_status{0};      // status of the answer whose headers are being read
  std::optional<::onefuzz::telemetry::detail::gzip_compressor> compressor;
  std::string compressed;  // reused across posts so steady-state sending does not allocate

  // "4 KB" for whole kibibytes, else "4000 bytes".
  static std::string size_text(std::size_t bytes) {
    return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + " KB" : std::to_string(bytes) + " bytes";
  }

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
    if (!is_loopback_host(url.host) && !(link_local_allowed && is_link_local_host(url.host))) {
      why = "http_client: refusing plain http to non-loopback host '" + url.host + "'";
      return false;
    }
    return true;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* self = static_cast<http_client_state*>(user);
    std::size_t const n = size * count;
    try {
      if (self->body->size() + n > self->body_limit) {
        self->policy_error = self->body_limit == self->options.max_response_bytes
                                 ? std::string("http_client: response body exceeds max_response_bytes")
                                 : "http_client: the answer is over " + size_text(self->body_limit);
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
      }
      self->body->append(data, n);
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
        self->retry_after->reset();
        self->body->clear();
        auto const sp = line.find(' ');
        self->header_status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
      } else if (iequals_prefix(line, "retry-after:")) {
        *self->retry_after = trim(line.substr(12));
      } else if (self->following_redirects && iequals_prefix(line, "location:") && self->header_status >= 300 &&
                 self->header_status < 400) {
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
      if (primary_ip == nullptr ||
          !(is_loopback_ip(primary_ip) || (self->link_local_allowed && is_link_local_ip(primary_ip)))) {
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

}  // namespace onefuzz::telemetry::transport::detail
