// The IP literal parsers behind the loopback and link-local checks (detail/loopback.hpp):
// written by hand so that Windows needs no Winsock, they must accept exactly what glibc's
// inet_pton accepts, with the same bytes. Checked on fixed cases and on generated text
// compared with inet_pton itself (this test runs on Linux only: <arpa/inet.h>).
#include "onefuzz/telemetry/transport/detail/loopback.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <random>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build).
namespace loopback_test {

namespace detail = onefuzz::telemetry::transport::detail;

namespace {

// Parser and inet_pton agree on whether the text is an address of each family, and on its
// bytes when it is. Returns a description of the first disagreement, or "".
std::string disagreement(std::string const& text) {
  std::array<unsigned char, 4> v4{};
  std::array<unsigned char, 16> v6{};
  bool const libc4 = inet_pton(AF_INET, text.c_str(), v4.data()) == 1;
  bool const libc6 = inet_pton(AF_INET6, text.c_str(), v6.data()) == 1;
  auto const ours4 = detail::parse_ipv4_literal(text);
  auto const ours6 = detail::parse_ipv6_literal(text);
  if (libc4 != ours4.has_value() || (libc4 && std::memcmp(v4.data(), ours4->data(), 4) != 0)) {
    return "IPv4 '" + text + "': inet_pton " + (libc4 ? "accepts" : "rejects");
  }
  if (libc6 != ours6.has_value() || (libc6 && std::memcmp(v6.data(), ours6->data(), 16) != 0)) {
    return "IPv6 '" + text + "': inet_pton " + (libc6 ? "accepts" : "rejects");
  }
  return "";
}

}  // namespace

TEST_CASE("IP literals parse as inet_pton parses them: fixed cases", "[loopback]") {
  for (char const* text :
       {"", "0.0.0.0", "127.0.0.1", "127.255.255.255", "255.255.255.255", "256.0.0.1", "01.0.0.1", "127.0.0.01",
        "127.0.0", "127.0.0.1.", ".127.0.0.1", "127..0.1", "127.1", "0x7f.0.0.1", "0177.0.0.1", " 127.0.0.1",
        "127.0.0.1 ", "2130706433", "::", "::1", ":::1", "::1:", ":1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1:2:3:4:5:6:7:8:9", "1::2::3", "fe80::1", "FE80::1", "febf::1",
        "fe80::1%eth0", "[::1]", "::ffff:127.0.0.1", "::ffff:7f00:1", "::127.0.0.1", "1:2:3:4:5:6:1.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4", "::ffff:127.0.0.01", "::ffff:1.2.3", "00000::1", "0000::1", "g::1", "1.2.3.4::",
        "::1.2.3.4:1", "::1.2.3.4.5"}) {
    INFO(text);
    CHECK(disagreement(text).empty());
  }
}

TEST_CASE("IP literals parse as inet_pton parses them: generated text", "[loopback]") {
  // Text made of the pieces that matter (numbers with and without leading zeros, hex groups,
  // separators, a dotted tail), so that both families accept a good share of it.
  char const* const pieces[] = {"0",    "1",  "00", "01", "127", "255", "256", "ffff", "FFFF", "fe80", "12345",
                                "a",    "0000", "00000", ".", ".", ":", ":", "::", "g", "%1"};
  char const* const numbers[] = {"0", "1", "00", "01", "127", "169", "254", "255", "256", "099", "1000", "", "a"};
  std::mt19937 rng(14);
  auto pick = [&rng](auto const& list) { return std::string(list[rng() % std::size(list)]); };
  auto dotted = [&] {
    std::string t = pick(numbers);
    for (std::size_t k = 2 + rng() % 3; k > 0; --k) {
      t += '.';  // appended apart: g++ 12 at -O3 reports a false -Wrestrict for "." + string
      t += pick(numbers);
    }
    return t;
  };
  std::size_t accepted4 = 0;
  std::size_t accepted6 = 0;
  for (int n = 0; n < 300000; ++n) {
    std::string text;
    if (n % 3 == 0) {
      text = dotted();
    } else {
      for (std::size_t k = rng() % 14; k > 0; --k) text += pick(pieces);
      if (n % 3 == 1) text += dotted();
    }
    std::string const why = disagreement(text);
    if (!why.empty()) FAIL(why);
    accepted4 += detail::parse_ipv4_literal(text).has_value();
    accepted6 += detail::parse_ipv6_literal(text).has_value();
  }
  // The generator must reach the accepting paths, or the comparison proves little.
  CHECK(accepted4 > 1000);
  CHECK(accepted6 > 1000);
}

TEST_CASE("loopback and link-local hosts from parsed literals", "[loopback]") {
  CHECK(detail::is_loopback_host("127.0.0.1"));
  CHECK(detail::is_loopback_host("127.8.9.10"));
  CHECK(detail::is_loopback_host("[::1]"));
  CHECK(detail::is_loopback_host("[0:0:0:0:0:0:0:1]"));
  CHECK(detail::is_loopback_host("[::ffff:127.0.0.1]"));
  CHECK(detail::is_loopback_host("[::ffff:7f00:2]"));
  CHECK(detail::is_loopback_host("LocalHost"));
  CHECK_FALSE(detail::is_loopback_host("127.1"));  // libcurl reads 127.0.0.1: refused, not allowed
  CHECK_FALSE(detail::is_loopback_host("[::2]"));
  CHECK_FALSE(detail::is_loopback_host("[::127.0.0.1]"));  // IPv4-compatible, not mapped
  CHECK_FALSE(detail::is_loopback_host("128.0.0.1"));
  CHECK_FALSE(detail::is_loopback_host("127.0.0.1.example.com"));
  CHECK(detail::is_loopback_ip("::ffff:127.0.0.1"));
  CHECK_FALSE(detail::is_loopback_ip("[::1]"));  // an IP, not a URL host: no brackets

  CHECK(detail::is_link_local_ip("169.254.0.1"));
  CHECK(detail::is_link_local_ip("fe80::1"));
  CHECK(detail::is_link_local_ip("FEBF:ffff::"));
  CHECK_FALSE(detail::is_link_local_ip("fec0::1"));
  CHECK_FALSE(detail::is_link_local_ip("169.254.0.01"));
  CHECK(detail::is_link_local_host("[fe80::1%25eth0]"));
}

}  // namespace loopback_test
