// Owning wrappers for libcurl handles and the once-per-process curl_global_init, so the
// HTTP client never leaks a handle on an early return or an exception.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::transport::detail {

// Runs curl_global_init exactly once per process, thread-safely (a function-local static
// is initialised under the compiler's guard), and throws std::runtime_error if it failed.
// curl_global_cleanup is deliberately never called: other code in the process may still
// use libcurl during static destruction.
inline void ensure_curl_global_init() {
  static CURLcode const rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("http_client: curl_global_init failed: ") + curl_easy_strerror(rc));
  }
}

struct easy_deleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct multi_deleter {
  void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct url_deleter {
  void operator()(CURLU* h) const noexcept { curl_url_cleanup(h); }
};
struct slist_deleter {
  void operator()(curl_slist* h) const noexcept { curl_slist_free_all(h); }
};

using easy_ptr = std::unique_ptr<CURL, easy_deleter>;
using multi_ptr = std::unique_ptr<CURLM, multi_deleter>;
using url_ptr = std::unique_ptr<CURLU, url_deleter>;
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

// Scheme and host of a URL as libcurl itself will parse it, so the loopback policy is
// judged on exactly what curl connects to.
struct url_parts {
  std::string scheme;  // lower case, e.g. "https"
  std::string host;    // IPv6 literals keep their brackets
};

// Parses `url` (resolved against `base` when `base` is non-empty, as a redirect Location
// is); returns nullopt if libcurl rejects it. Never throws except std::bad_alloc.
inline std::optional<url_parts> parse_url(std::string_view url, std::string_view base = {}) {
  url_ptr h(curl_url());
  if (!h) {
    return std::nullopt;
  }
  if (!base.empty() && curl_url_set(h.get(), CURLUPART_URL, std::string(base).c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  if (curl_url_set(h.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  url_parts parts;
  for (auto [part, dest] : {std::pair{CURLUPART_SCHEME, &parts.scheme}, std::pair{CURLUPART_HOST, &parts.host}}) {
    char* value = nullptr;
    if (curl_url_get(h.get(), part, &value, 0) != CURLUE_OK || value == nullptr) {
      return std::nullopt;
    }
    *dest = value;
    curl_free(value);
  }
  return parts;
}

}  // namespace onefuzz::telemetry::transport::detail
