// Parses Application Insights connection strings into validated ingestion settings, without exceptions.
//
// Grammar (.NET SDK 2.x is the strictest parser and the model):
//   `key=value;key=value...`, at most 4096 characters; keys are case-insensitive; ASCII whitespace
//   around keys and values is trimmed; empty segments (e.g. a trailing `;`) are ignored; a duplicate
//   key (case-insensitively) and a segment with no `=` or more than one `=` are errors; unknown keys
//   are kept in `connection_settings::unused_keys` and otherwise ignored. A string with no `=` and
//   no `;` that is a GUID is taken as a bare instrumentation key (as Node does).
//
// Error messages start with the function's name and name the offending key (by its canonical
// spelling) or the segment's 1-based position among all `;`-separated segments. They never contain
// the input, a value, or a key spelled by the user: a mistyped key may be a pasted secret.
#pragma once

#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport {

// The documented maximum (MicrosoftDocs sdk-connection-string.md; .NET ConnectionStringMaxLength).
inline constexpr std::size_t max_connection_string_length = 4096;

// The envelope schema's `iKey` limit.
inline constexpr std::size_t max_instrumentation_key_length = 40;

// Used when a connection string names neither IngestionEndpoint nor EndpointSuffix.
inline constexpr std::string_view default_ingestion_endpoint = "https://dc.services.visualstudio.com";

// A validated destination. Every field obeys the invariants written next to it.
struct connection_settings {
  // Non-empty, at most 40 characters, only [0-9A-Za-z-]. Kept as written (the service compares
  // keys case-insensitively, and "no code should rely on iKey being a GUID").
  std::string instrumentation_key;
  // Absolute http(s) URL: lowercase scheme and host, optional port and path, no user info, query,
  // fragment or trailing `/`. `http://` only for loopback hosts unless allow_insecure_http was set.
  std::string ingestion_endpoint = std::string(default_ingestion_endpoint);
  // `Authorization=AAD`: the sender must present an Entra ID bearer token (and use /v2.1/track).
  bool uses_aad = false;
  // Keys this library does not interpret (LiveEndpoint, ApplicationId, AADAudience, ...), with the
  // key's spelling and the value as written (trimmed), in input order.
  std::vector<std::pair<std::string, std::string>> unused_keys;

  friend bool operator==(const connection_settings&, const connection_settings&) = default;
};

struct parse_options {
  // Allow `http://` to a non-loopback host. Off by default because the instrumentation key, and
  // with AAD a bearer token, would cross the network in clear text.
  bool allow_insecure_http = false;
};

namespace detail {

// The parsers' reasons carry no function-name prefix; the public entry points add their own.
inline telemetry::error reason(std::string text) { return telemetry::error{std::move(text)}; }

constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

constexpr std::string_view trim_ascii(std::string_view s) noexcept {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  }
  return true;
}

ONEFUZZ_TELEMETRY_DECL std::string to_lower_copy(std::string_view s);

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 8-4-4-4-12 hex digits, either case.
constexpr bool is_guid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// The rules of the public validate_instrumentation_key, as a bare reason.
ONEFUZZ_TELEMETRY_DECL result<void> check_instrumentation_key(std::string_view key);

// Checks an absolute http(s) URL and returns its normal form (see connection_settings).
ONEFUZZ_TELEMETRY_DECL result<std::string> normalize_endpoint(std::string_view url,
                                                                        const parse_options& options);

enum class known_key : std::size_t {
  instrumentation_key,
  authorization,
  ingestion_endpoint,
  endpoint_suffix,
  location,
  count_
};

inline constexpr std::array<std::string_view, static_cast<std::size_t>(known_key::count_)> known_key_names = {
    "InstrumentationKey", "Authorization", "IngestionEndpoint", "EndpointSuffix", "Location"};

constexpr std::optional<known_key> find_known_key(std::string_view key) noexcept {
  for (std::size_t i = 0; i < known_key_names.size(); ++i) {
    if (iequals(key, known_key_names[i])) return static_cast<known_key>(i);
  }
  return std::nullopt;
}

// The grammar and endpoint rules of the file comment; errors are bare reasons.
ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_connection_string(std::string_view text,
                                                                                     const parse_options& options);

// Connection string if it has `=` or `;`, else a bare key checked by the instrumentation-key rules.
ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_key_or_connection_string(
    std::string_view text, const parse_options& options);

}  // namespace detail

// Parses `text` by the grammar above; on error, a message naming the key or segment, never a value.
ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_connection_string(std::string_view text,
                                                                                     const parse_options& options = {});

// As parse_connection_string, but throws std::invalid_argument with the same message.
ONEFUZZ_TELEMETRY_DECL connection_settings
parse_connection_string_or_throw(std::string_view text, const parse_options& options = {});

// Accepts a connection string (anything with `=` or `;`) or a bare instrumentation key of any valid
// form (not only a GUID), for settings whose name already says "key"; endpoint then the default.
ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_key_or_connection_string(
    std::string_view text, const parse_options& options = {});

// Succeeds iff `key` is non-empty, at most 40 characters, and only [0-9A-Za-z-]: the envelope's
// limit, and a charset that cannot break a JSON string, a header or a file name.
ONEFUZZ_TELEMETRY_DECL result<void> validate_instrumentation_key(std::string_view key);

// Returns the normal form of an ingestion endpoint (see connection_settings), or why it is refused.
ONEFUZZ_TELEMETRY_DECL result<std::string> normalize_ingestion_endpoint(std::string_view url,
                                                                                  const parse_options& options = {});

// `<endpoint>/v2/track` for ikey-only requests, `<endpoint>/v2.1/track` when a bearer token is sent
// (v2 does not accept Entra ID). Never a double slash: the endpoint has no trailing `/`.
ONEFUZZ_TELEMETRY_DECL std::string track_url(const connection_settings& settings, bool bearer);

// A form of the key safe for logs: "****-" plus the last 4 characters when the key has at least
// 16 (a GUID keeps 28 of its 32 hex digits hidden), else just "****" so a short key is not half shown.
ONEFUZZ_TELEMETRY_DECL std::string redact_key(std::string_view ikey);

}  // namespace onefuzz::telemetry::transport

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/connection_string.ipp>
#endif
