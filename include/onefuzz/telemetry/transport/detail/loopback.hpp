// Loopback (and link-local) predicates for host names and IP literals: the one place that
// decides when plain http is tolerable because the bytes never leave the machine (or, for
// the metadata service, the local link).
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::transport::detail {

// True for an IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1, or ::ffff:127.x.y.z.
// Anything else, including malformed text, is false.
inline bool is_loopback_ip(std::string_view ip) {
  std::string const text(ip);
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    return bytes[0] == 127;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    bool const upper_zero = std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; });
    if (upper_zero && std::all_of(bytes.begin() + 10, bytes.begin() + 15, [](std::uint8_t b) { return b == 0; }) &&
        bytes[15] == 1) {
      return true;  // ::1
    }
    // An IPv4-mapped address reaches the IPv4 stack, so it is loopback iff the IPv4 one is.
    return upper_zero && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127;
  }
  return false;
}

// True for a URL host that names this machine: "localhost" (which libcurl resolves
// without DNS), a loopback IP literal, or a bracketed IPv6 loopback literal ("[::1]").
inline bool is_loopback_host(std::string_view host) {
  std::string lowered(host);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered == "localhost" || lowered == "localhost.") {
    return true;
  }
  std::string_view h = lowered;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
    // A zone id ("%25eth0" or "%eth0") does not change which address it is.
    h = h.substr(0, h.find('%'));
  }
  return is_loopback_ip(h);
}

// True for an IPv4 literal in 169.254.0.0/16 or an IPv6 literal in fe80::/10: addresses that
// never leave the local link (the Azure Instance Metadata Service answers at 169.254.169.254).
inline bool is_link_local_ip(std::string_view ip) {
  std::string const text(ip);
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    return bytes[0] == 169 && bytes[1] == 254;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  }
  return false;
}

// The same for a URL host: a link-local IP literal, IPv6 bracketed ("[fe80::1%25eth0]").
// Names are never link-local: what they resolve to is not known here.
inline bool is_link_local_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    host = host.substr(0, host.find('%'));
  }
  return is_link_local_ip(host);
}

}  // namespace onefuzz::telemetry::transport::detail
