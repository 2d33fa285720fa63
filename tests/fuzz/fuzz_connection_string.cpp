// Fuzz target for the connection-string parser (transport/connection_string.hpp):
// parse_connection_string and parse_key_or_connection_string on any bytes, with and
// without allow_insecure_http.
//
// Properties:
//  - a successful parse yields an instrumentation key of 1-40 [0-9A-Za-z-] and an endpoint
//    in the documented normal form: http:// or https://, no user info, query, fragment,
//    whitespace, control or non-ASCII byte, no trailing '/', plain http only to a loopback
//    host unless allowed; normalizing it again changes nothing, and track_url appends
//    its path with exactly one '/';
//  - an error starts with the function's name, is one printable ASCII line, and never
//    contains the instrumentation key. "Never contains" is checked without guessing what
//    a leak looks like: the key's bytes are replaced by others of the same class for the
//    parser (hex digits stay hex digits, letters letters, other bytes other bytes), which
//    cannot change any decision it makes, so the message must stay byte for byte the
//    same; an echo of the key, or of any part of it, changes it;
//  - the same substitution on a success changes the key by the same substitution and
//    nothing else.
#include "fuzz_support.hpp"

#include <onefuzz/telemetry/transport/connection_string.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace transport = onefuzz::telemetry::transport;
using fuzz_support::reader;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// The bytes the parser treats alike when they sit in a key value: each class is rotated
// by one within itself. '=', ';', '-' and whitespace are structure and stay.
constexpr std::array<unsigned char, 256> same_class_substitute = [] {
  std::array<unsigned char, 256> map{};
  auto rotate = [&map](const unsigned char* members, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) map[members[i]] = members[(i + 1) % count];
  };
  unsigned char hex_lower[] = {'a', 'b', 'c', 'd', 'e', 'f'};
  unsigned char hex_upper[] = {'A', 'B', 'C', 'D', 'E', 'F'};
  unsigned char digits[10] = {};
  unsigned char other_lower[20] = {};
  unsigned char other_upper[20] = {};
  for (int i = 0; i < 10; ++i) digits[i] = static_cast<unsigned char>('0' + i);
  for (int i = 0; i < 20; ++i) {
    other_lower[i] = static_cast<unsigned char>('g' + i);
    other_upper[i] = static_cast<unsigned char>('G' + i);
  }
  std::array<unsigned char, 256> rest{};
  std::size_t rest_count = 0;
  for (int c = 0; c < 256; ++c) {
    map[c] = static_cast<unsigned char>(c);
    const char ch = static_cast<char>(c);
    const bool alnum = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    const bool structure = ch == '=' || ch == ';' || ch == '-' || ch == ' ' || ch == '\t' || ch == '\n' ||
                           ch == '\r' || ch == '\v' || ch == '\f';
    if (!alnum && !structure) rest[rest_count++] = static_cast<unsigned char>(c);
  }
  rotate(hex_lower, 6);
  rotate(hex_upper, 6);
  rotate(digits, 10);
  rotate(other_lower, 20);
  rotate(other_upper, 20);
  rotate(rest.data(), rest_count);
  return map;
}();

void substitute(std::string& text, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    text[i] = static_cast<char>(same_class_substitute[static_cast<unsigned char>(text[i])]);
  }
}

// The input with every instrumentation key value substituted: the whole text when it has
// no '=' and no ';' (a bare key), else the part after the first '=' of each segment whose
// key is InstrumentationKey (in any case).
std::string substitute_keys(std::string_view input) {
  std::string out(input);
  if (trim(input).find_first_of("=;") == std::string_view::npos) {
    substitute(out, 0, out.size());
    return out;
  }
  std::size_t start = 0;
  while (start <= input.size()) {
    const std::size_t end = std::min(input.find(';', start), input.size());
    const std::string_view segment = input.substr(start, end - start);
    const std::size_t eq = segment.find('=');
    if (eq != std::string_view::npos && iequals(trim(segment.substr(0, eq)), "InstrumentationKey")) {
      substitute(out, start + eq + 1, end);
    }
    start = end + 1;
  }
  return out;
}

bool valid_ikey(std::string_view key) {
  if (key.empty() || key.size() > 40) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

// Loopback by the address bytes (inet_pton), not by spelling: localhost, 127.0.0.0/8,
// [::1] and [::ffff:127.x.y.z] in any of their textual forms.
bool loopback_host(std::string_view host) {
  if (host == "localhost" || host == "localhost.") return true;
  unsigned char bytes[16] = {};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    const std::string inner(host.substr(1, host.size() - 2));
    if (inet_pton(AF_INET6, inner.c_str(), bytes) != 1) return false;
    const bool zero_prefix = std::all_of(bytes, bytes + 10, [](unsigned char b) { return b == 0; });
    const bool one = zero_prefix && bytes[10] == 0 && bytes[11] == 0 && bytes[12] == 0 && bytes[13] == 0 &&
                     bytes[14] == 0 && bytes[15] == 1;
    return one || (zero_prefix && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127);
  }
  const std::string text(host);
  return inet_pton(AF_INET, text.c_str(), bytes) == 1 && bytes[0] == 127;
}

void check_settings(const transport::connection_settings& settings, const transport::parse_options& options) {
  FUZZ_CHECK(valid_ikey(settings.instrumentation_key), "the key is not 1-40 of [0-9A-Za-z-]");
  const std::string_view endpoint = settings.ingestion_endpoint;
  const bool https = endpoint.starts_with("https://");
  const bool http = endpoint.starts_with("http://");
  FUZZ_CHECK(https || http, "the endpoint is not http(s): " + std::string(endpoint));
  for (const char c : endpoint) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u > 0x20 && u < 0x7f, "the endpoint has whitespace, control or non-ASCII bytes");
    FUZZ_CHECK(c != '?' && c != '#' && c != '\\' && c != '"', "the endpoint has ? # \\ or \"");
  }
  FUZZ_CHECK(!endpoint.ends_with('/'), "the endpoint ends with '/'");
  const std::string_view after_scheme = endpoint.substr(https ? 8 : 7);
  const std::string_view authority = after_scheme.substr(0, after_scheme.find('/'));
  FUZZ_CHECK(!authority.empty(), "the endpoint has no host");
  FUZZ_CHECK(authority.find('@') == std::string_view::npos, "the endpoint has user information");
  for (const char c : authority) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "the host is not lowercase");
  if (http && !options.allow_insecure_http) {
    std::string_view host = authority;
    if (host.starts_with('[')) {
      host = host.substr(0, host.find(']') + 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    FUZZ_CHECK(loopback_host(host), "plain http to a host that is not loopback: " + std::string(endpoint));
  }
  const auto again = transport::normalize_ingestion_endpoint(endpoint, options);
  FUZZ_CHECK(again && *again == endpoint, "normalizing the endpoint again changes it: " + std::string(endpoint));
  // The endpoint has no trailing '/', so the track path joins it with exactly one.
  FUZZ_CHECK(transport::track_url(settings, false) == std::string(endpoint) + "/v2/track", "track_url (ikey) differs");
  FUZZ_CHECK(transport::track_url(settings, true) == std::string(endpoint) + "/v2.1/track", "track_url (bearer) differs");
}

void check_error(const onefuzz::telemetry::error& error, std::string_view function) {
  FUZZ_CHECK(error.message.starts_with(std::string(function) + ": "), "the error does not start with " + std::string(function));
  for (const char c : error.message) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u >= 0x20 && u < 0x7f, "the error has a control or non-ASCII byte: " + fuzz_support::hex_prefix(error.message, 400));
  }
}

template <class Parse>
void check(Parse parse, std::string_view function, std::string_view text, const transport::parse_options& options) {
  const auto parsed = parse(text, options);
  const std::string substituted = substitute_keys(text);
  const auto twin = parse(substituted, options);
  FUZZ_CHECK(parsed.has_value() == twin.has_value(), "the key's content, not its class, decided success");
  if (!parsed) {
    check_error(parsed.error(), function);
    FUZZ_CHECK(parsed.error().message == twin.error().message,
               "the error depends on the key's bytes (it quotes the key):\n  " + parsed.error().message + "\n  " +
                   twin.error().message);
    return;
  }
  check_settings(*parsed, options);
  check_settings(*twin, options);
  std::string key = parsed->instrumentation_key;
  substitute(key, 0, key.size());
  FUZZ_CHECK(twin->instrumentation_key == key, "the key is not kept as written");
  FUZZ_CHECK(twin->ingestion_endpoint == parsed->ingestion_endpoint && twin->uses_aad == parsed->uses_aad &&
                 twin->unused_keys == parsed->unused_keys,
             "the key's bytes changed another setting");
  FUZZ_CHECK(text.find(parsed->instrumentation_key) != std::string_view::npos, "the key is not from the input");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const auto flags = in.byte();
  transport::parse_options options;
  options.allow_insecure_http = (flags & 1) != 0;
  const std::string_view text = in.rest();
  check([](std::string_view t, const transport::parse_options& o) { return transport::parse_connection_string(t, o); },
        "parse_connection_string", text, options);
  check([](std::string_view t, const transport::parse_options& o) { return transport::parse_key_or_connection_string(t, o); },
        "parse_key_or_connection_string", text, options);
  return 0;
}
