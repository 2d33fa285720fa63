// Defines the Azure Instance Metadata Service (IMDS) client the machine id needs: one GET
// of a compute field, bounded in time and size, never through a proxy.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/detail/curl_handles.hpp>

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

struct imds_options {
  // Where IMDS answers. Only ever contacted when a caller asks (machine_id_options::use_imds
  // is off by default); tests point it at a loopback server.
  std::string base_url{"http://169.254.169.254"};
  // For connecting and the whole answer: off Azure nothing answers, and a start-up must
  // not hang on it (the original used 500 ms).
  std::chrono::milliseconds timeout{500};
  std::string api_version{"2021-02-01"};
};

namespace detail {

struct imds_body {
  std::string text;
  bool too_large = false;
};

// IMDS answers for one field are tens of bytes; the cap keeps a wrong endpoint from
// filling memory.
inline constexpr std::size_t imds_max_body = 4096;

inline std::size_t imds_on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<imds_body*>(user);
  const std::size_t bytes = size * count;
  if (body->text.size() + bytes > imds_max_body) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->text.append(data, bytes);
  return bytes;
}

}  // namespace detail

// GETs <base_url>/metadata/instance/compute/<field>?api-version=...&format=text with the
// `Metadata: true` header IMDS requires. Returns the trimmed body of a 200 answer; any other
// outcome (timeout, refused, other status, body over 4 KB) is an error saying which. No
// proxy (IMDS must be reached directly), no redirects, no retries.
inline parse_result<std::string> fetch_imds_compute_field(std::string_view field, const imds_options& options = {}) {
  using transport::detail::easy_ptr;
  using transport::detail::slist_ptr;
  transport::detail::ensure_curl_global_init();
  easy_ptr handle(curl_easy_init());
  if (!handle) return parse_error{"imds: curl_easy_init failed"};
  CURL* h = handle.get();
  const std::string url = options.base_url + "/metadata/instance/compute/" + std::string{field} +
                          "?api-version=" + options.api_version + "&format=text";
  slist_ptr headers(curl_slist_append(nullptr, "Metadata: true"));
  if (!headers) return parse_error{"imds: out of memory"};
  detail::imds_body body;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(options.timeout.count() > 0 ? options.timeout.count() : 1);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &detail::imds_on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(h);
  if (body.too_large) return parse_error{"imds: the answer for '" + std::string{field} + "' is over 4 KB"};
  if (rc != CURLE_OK) {
    return parse_error{"imds: GET " + std::string{field} + " failed: " +
                       (error_buffer[0] != '\0' ? std::string{error_buffer} : std::string{curl_easy_strerror(rc)})};
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return parse_error{"imds: GET " + std::string{field} + " answered HTTP " + std::to_string(status)};
  return std::string{detail::trim(body.text)};
}

// The VM's id (compute/vmId), the original's second machine-id source.
inline parse_result<catalog::machine_id> fetch_imds_vm_id(const imds_options& options = {}) {
  auto text = fetch_imds_compute_field("vmId", options);
  if (!text) return text.error();
  auto id = catalog::machine_id::parse(*text);
  if (!id) return parse_error{"imds: vmId is not a GUID (" + id.error().message + ")"};
  if (id->value().is_nil()) return parse_error{"imds: vmId is the nil GUID"};
  return *id;
}

// The VM scale set's name (compute/vmScaleSetName); an error when the VM is in none
// (IMDS then answers an empty string).
inline parse_result<std::string> fetch_imds_scaleset_name(const imds_options& options = {}) {
  auto text = fetch_imds_compute_field("vmScaleSetName", options);
  if (!text) return text.error();
  if (text->empty()) return parse_error{"imds: the VM is not in a scale set"};
  return *text;
}

}  // namespace onefuzz::telemetry::integrations
