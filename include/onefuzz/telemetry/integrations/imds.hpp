// Defines the Azure Instance Metadata Service (IMDS) client the machine id needs: one GET
// of a compute field (http_client::get), bounded in time and size, never through a proxy.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/http_client.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
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

// IMDS answers for one field are tens of bytes; the cap keeps a wrong endpoint from
// filling memory.
inline constexpr std::size_t imds_max_body = 4096;

}  // namespace detail

// GETs <base_url>/metadata/instance/compute/<field>?api-version=...&format=text with the
// `Metadata: true` header IMDS requires. Returns the trimmed body of a 200 answer; any other
// outcome (timeout, refused, other status, body over 4 KB) is an error saying which. No
// proxy (IMDS must be reached directly), no redirects, no retries; plain http only to a
// loopback or link-local address (http_client's policy; IMDS is 169.254.169.254).
inline result<std::string> fetch_imds_compute_field(std::string_view field, const imds_options& options = {}) {
  const std::string url = options.base_url + "/metadata/instance/compute/" + std::string{field} +
                          "?api-version=" + options.api_version + "&format=text";
  transport::http_response answer;
  try {
    // No proxy ("*" also overrides no_proxy in the environment), and plain http only to
    // loopback or IMDS's link-local address.
    transport::http_client client{transport::http_options{.connect_timeout = options.timeout,
                                                          .total_timeout = options.timeout,
                                                          .use_proxy_environment = false,
                                                          .no_proxy = "*"}};
    answer = client.get(url, {.headers = {"Metadata: true"},
                              .max_body_bytes = detail::imds_max_body,
                              .allow_link_local_http = true});
  } catch (const std::exception& e) {
    return error{"imds: GET " + std::string{field} + " failed: " + e.what()};
  }
  if (answer.status == 0) {
    return error{"imds: GET " + std::string{field} + " failed: " + answer.error};
  }
  if (answer.status != 200) {
    return error{"imds: GET " + std::string{field} + " answered HTTP " + std::to_string(answer.status)};
  }
  return std::string{detail::trim(answer.body)};
}

// The VM's id (compute/vmId), the original's second machine-id source.
inline result<catalog::machine_id> fetch_imds_vm_id(const imds_options& options = {}) {
  auto text = fetch_imds_compute_field("vmId", options);
  if (!text) return text.error();
  auto id = catalog::machine_id::parse(*text);
  if (!id) return error{"imds: vmId is not a GUID (" + id.error().message + ")"};
  if (id->value().is_nil()) return error{"imds: vmId is the nil GUID"};
  return *id;
}

// The VM scale set's name (compute/vmScaleSetName); an error when the VM is in none
// (IMDS then answers an empty string).
inline result<std::string> fetch_imds_scaleset_name(const imds_options& options = {}) {
  auto text = fetch_imds_compute_field("vmScaleSetName", options);
  if (!text) return text.error();
  if (text->empty()) return error{"imds: the VM is not in a scale set"};
  return *text;
}

}  // namespace onefuzz::telemetry::integrations
