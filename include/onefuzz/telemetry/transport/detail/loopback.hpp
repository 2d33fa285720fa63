// Loopback (and link-local) predicates for host names and IP literals: the one place that
// decides when plain http is tolerable because the bytes never leave the machine (or, for
// the metadata service, the local link).
//
// The IP literals are parsed here rather than with inet_pton: <arpa/inet.h> does not exist on
// Windows, and Winsock's inet_pton would add ws2_32 to every program's link line for a
// header-only library. One parser also gives Linux and Windows the same answer for the same
// text. It accepts exactly what glibc's inet_pton accepts (tests/transport/loopback_test.cpp
// compares the two): four decimal parts without leading zeros for IPv4; RFC 4291's text forms
// for IPv6 (hex groups of 1-4 digits, one "::", an optional dotted IPv4 tail). Text libcurl
// would read differently ("127.1", "0x7f.0.0.1", octal parts) is rejected, so it is never
// taken for loopback: plain http to it is refused, never let through.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::transport::detail {

// An IPv4 literal as inet_pton(AF_INET) reads it: "a.b.c.d", each part 0-255 in decimal,
// "0" or without a leading zero. Nothing else (no whitespace, no shorter forms).
inline std::optional<std::array<std::uint8_t, 4>> parse_ipv4_literal(std::string_view text) {
  std::array<std::uint8_t, 4> bytes{};
  std::size_t part = 0;
  std::size_t digits = 0;
  unsigned value = 0;
  for (char const c : text) {
    if (c >= '0' && c <= '9') {
      if (digits == 1 && value == 0) return std::nullopt;  // a leading zero
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return std::nullopt;
      ++digits;
    } else if (c == '.' && digits > 0 && part < 3) {
      bytes[part++] = static_cast<std::uint8_t>(value);
      digits = 0;
      value = 0;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || part != 3) return std::nullopt;
  bytes[3] = static_cast<std::uint8_t>(value);
  return bytes;
}

// An IPv6 literal as inet_pton(AF_INET6) reads it (RFC 4291 section 2.2): eight groups of 1-4
// hex digits, one "::" standing for one or more zero groups, and optionally an IPv4 literal
// in place of the last two groups. No zone id, no brackets.
inline std::optional<std::array<std::uint8_t, 16>> parse_ipv6_literal(std::string_view text) {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t filled = 0;                       // bytes written so far
  std::optional<std::size_t> gap;               // where "::" stands, in bytes
  std::size_t i = 0;
  if (text.starts_with("::")) {
    gap = 0;
    i = 2;
    if (i == text.size()) return bytes;         // "::"
  } else if (text.starts_with(":")) {
    return std::nullopt;
  }
  while (true) {
    // One group: hex digits up to ':' or the end, or a dotted IPv4 tail.
    std::size_t end = i;
    while (end < text.size() && text[end] != ':' && text[end] != '.') ++end;
    if (end < text.size() && text[end] == '.') {
      auto const v4 = parse_ipv4_literal(text.substr(i));
      if (!v4 || filled + 4 > bytes.size()) return std::nullopt;
      std::copy(v4->begin(), v4->end(), bytes.begin() + static_cast<std::ptrdiff_t>(filled));
      filled += 4;
      break;
    }
    if (end == i || end - i > 4 || filled + 2 > bytes.size()) return std::nullopt;
    unsigned group = 0;
    for (std::size_t k = i; k < end; ++k) {
      char const c = text[k];
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      group = group * 16 + digit;
    }
    bytes[filled++] = static_cast<std::uint8_t>(group >> 8);
    bytes[filled++] = static_cast<std::uint8_t>(group & 0xff);
    if (end == text.size()) break;
    // text[end] == ':': another group follows, or "::" (then perhaps nothing more).
    i = end + 1;
    if (i < text.size() && text[i] == ':') {
      if (gap) return std::nullopt;             // a second "::"
      gap = filled;
      ++i;
      if (i == text.size()) break;              // "...::" at the end
    } else if (i == text.size()) {
      return std::nullopt;                      // a single trailing ':'
    }
  }
  if (gap) {
    // "::" stands for at least one zero group: move what follows it to the end.
    if (filled == bytes.size()) return std::nullopt;
    std::size_t const tail = filled - *gap;
    std::copy_backward(bytes.begin() + static_cast<std::ptrdiff_t>(*gap),
                       bytes.begin() + static_cast<std::ptrdiff_t>(filled), bytes.end());
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(*gap), bytes.size() - tail - *gap, std::uint8_t{0});
  } else if (filled != bytes.size()) {
    return std::nullopt;
  }
  return bytes;
}

// True for an IPv4 literal in 127.0.0.0/8, the IPv6 literal ::1, or ::ffff:127.x.y.z.
// Anything else, including malformed text, is false.
inline bool is_loopback_ip(std::string_view ip) {
  if (auto const v4 = parse_ipv4_literal(ip)) {
    return (*v4)[0] == 127;
  }
  if (auto const v6 = parse_ipv6_literal(ip)) {
    std::array<std::uint8_t, 16> const& bytes = *v6;
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
  if (auto const v4 = parse_ipv4_literal(ip)) {
    return (*v4)[0] == 169 && (*v4)[1] == 254;
  }
  if (auto const v6 = parse_ipv6_literal(ip)) {
    return (*v6)[0] == 0xfe && ((*v6)[1] & 0xc0) == 0x80;
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
