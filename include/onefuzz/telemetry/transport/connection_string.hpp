// Parses Application Insights connection strings into validated ingestion settings, without exceptions.
//
// Grammar (reference appinsights-ingestion.md §5, .NET 2.x is the strictest parser and the model):
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

#include <onefuzz/telemetry/transport/detail/loopback.hpp>
#include <onefuzz/telemetry/transport/result.hpp>

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
inline transport::error reason(std::string text) { return transport::error{std::move(text)}; }

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

inline std::string to_lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_ascii(c);
  return out;
}

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
inline result<void> check_instrumentation_key(std::string_view key) {
  if (key.empty()) return reason("is empty");
  if (key.size() > max_instrumentation_key_length) {
    return reason("is longer than " + std::to_string(max_instrumentation_key_length) + " characters");
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (!is_alnum(key[i]) && key[i] != '-') {
      return reason("has a character other than [0-9A-Za-z-] at position " + std::to_string(i + 1));
    }
  }
  return {};
}


// Checks an absolute http(s) URL and returns its normal form (see connection_settings).
inline result<std::string> normalize_endpoint(std::string_view url, const parse_options& options) {
  url = trim_ascii(url);
  if (url.empty()) return reason("is empty");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return reason("contains whitespace, control or non-ASCII characters");
    // Characters RFC 3986 never allows unescaped; they would corrupt the request line.
    if (c == '\\' || c == '"' || c == '<' || c == '>' || c == '^' || c == '`' || c == '{' || c == '|' ||
        c == '}') {
      return reason("contains a character that is not allowed in a URL");
    }
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return reason("is not an absolute http:// or https:// URL");
  const std::string scheme = to_lower_copy(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return reason("is not an absolute http:// or https:// URL");

  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    // track_url appends a path; a query or fragment would end up before it.
    return reason("has a query or a fragment");
  }
  const auto authority_end = rest.find('/');
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.empty()) return reason("has no host");
  if (authority.find('@') != std::string_view::npos) {
    return reason("contains user information (credentials in a URL)");
  }

  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return reason("has an unterminated IPv6 literal");
    host = authority.substr(0, close + 1);
    const std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.empty()) return reason("has an empty IPv6 literal");
    for (char c : inner) {
      if (!is_hex(c) && c != ':' && c != '.') return reason("has an invalid IPv6 literal");
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return reason("has an invalid host");
      port = after.substr(1);
      if (port.empty()) return reason("has an empty port");
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return reason("has an empty port");
    }
    if (host.empty()) return reason("has no host");
    for (char c : host) {
      if (!is_alnum(c) && c != '-' && c != '.' && c != '_') return reason("has an invalid host");
    }
    if (host.front() == '.' || host.front() == '-') return reason("has an invalid host");
  }
  if (!port.empty()) {
    if (port.size() > 5) return reason("has an invalid port");
    long value = 0;
    for (char c : port) {
      if (!is_digit(c)) return reason("has an invalid port");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return reason("has an invalid port");
  }

  const std::string lower_host = to_lower_copy(host);
  if (scheme == "http" && !options.allow_insecure_http && !is_loopback_host(lower_host)) {
    return reason("uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)");
  }

  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string out;
  out.reserve(url.size());
  out.append(scheme).append("://").append(lower_host);
  if (!port.empty()) out.append(":").append(port);
  out.append(path);
  return out;
}

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
inline result<connection_settings> parse_connection_string(std::string_view text, const parse_options& options) {
  if (text.size() > max_connection_string_length) {
    return reason("is longer than " + std::to_string(max_connection_string_length) + " characters (" +
                  std::to_string(text.size()) + ")");
  }
  const std::string_view trimmed = trim_ascii(text);
  if (trimmed.empty()) return reason("is empty");

  if (trimmed.find_first_of("=;") == std::string_view::npos) {
    if (!is_guid(trimmed)) return reason("is neither 'key=value' pairs nor a bare GUID instrumentation key");
    connection_settings bare;
    bare.instrumentation_key = std::string(trimmed);
    return bare;
  }

  std::array<std::optional<std::string_view>, known_key_names.size()> known{};
  connection_settings settings;
  std::size_t position = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(';', start), text.size());
    const std::string_view segment = trim_ascii(text.substr(start, end - start));
    start = end + 1;
    ++position;
    if (segment.empty()) continue;

    const std::string at = " (segment " + std::to_string(position) + ")";
    const auto eq = segment.find('=');
    if (eq == std::string_view::npos) return reason("has a segment without '='" + at);
    if (segment.find('=', eq + 1) != std::string_view::npos) return reason("has a segment with more than one '='" + at);
    const std::string_view key = trim_ascii(segment.substr(0, eq));
    const std::string_view value = trim_ascii(segment.substr(eq + 1));
    if (key.empty()) return reason("has a segment with an empty key" + at);

    if (const auto id = find_known_key(key)) {
      const auto index = static_cast<std::size_t>(*id);
      const std::string name(known_key_names[index]);
      if (known[index]) return reason("has a duplicate key '" + name + "'" + at);
      if (value.empty()) return reason("has an empty value for '" + name + "'" + at);
      known[index] = value;
    } else {
      for (const auto& seen : settings.unused_keys) {
        if (iequals(seen.first, key)) return reason("has a duplicate key" + at);
      }
      settings.unused_keys.emplace_back(std::string(key), std::string(value));
    }
  }

  const auto get = [&known](known_key k) { return known[static_cast<std::size_t>(k)]; };

  const auto ikey = get(known_key::instrumentation_key);
  if (!ikey) return reason("has no 'InstrumentationKey'");
  if (auto checked = check_instrumentation_key(*ikey); !checked) {
    return reason("has an 'InstrumentationKey' that " + checked.error().message);
  }
  settings.instrumentation_key = std::string(*ikey);

  if (const auto authorization = get(known_key::authorization)) {
    if (iequals(*authorization, "aad")) {
      settings.uses_aad = true;
    } else if (!iequals(*authorization, "ikey")) {
      return reason("has an 'Authorization' other than 'ikey' or 'AAD'");
    }
  }

  if (const auto endpoint = get(known_key::ingestion_endpoint)) {
    // An explicit endpoint wins; Location and EndpointSuffix are then ignored, not validated (.NET).
    auto normal = normalize_endpoint(*endpoint, options);
    if (!normal) return reason("has an 'IngestionEndpoint' that " + normal.error().message);
    settings.ingestion_endpoint = std::move(*normal);
  } else if (auto suffix = get(known_key::endpoint_suffix)) {
    while (!suffix->empty() && suffix->front() == '.') suffix->remove_prefix(1);
    if (suffix->empty()) return reason("has an 'EndpointSuffix' with nothing but dots");
    for (char c : *suffix) {
      // A host suffix only: anything else would let the suffix smuggle a path or a port.
      if (!is_alnum(c) && c != '-' && c != '.') return reason("has an 'EndpointSuffix' that is not a host name");
    }
    std::string url = "https://";
    if (const auto location = get(known_key::location)) {
      for (char c : *location) {
        if (!is_alnum(c)) return reason("has a 'Location' that is not alphanumeric");
      }
      url.append(*location).append(".");
    }
    url.append("dc.").append(*suffix);
    auto normal = normalize_endpoint(url, options);
    if (!normal) return reason("has an 'EndpointSuffix' that " + normal.error().message);
    settings.ingestion_endpoint = std::move(*normal);
  }
  return settings;
}

// Connection string if it has `=` or `;`, else a bare key checked by the instrumentation-key rules.
inline result<connection_settings> parse_key_or_connection_string(std::string_view text,
                                                                  const parse_options& options) {
  const std::string_view trimmed = trim_ascii(text);
  if (trimmed.empty()) return reason("is empty");
  if (trimmed.find_first_of("=;") != std::string_view::npos) {
    auto parsed = detail::parse_connection_string(trimmed, options);
    if (!parsed) return reason("is a connection string that " + parsed.error().message);
    return parsed;
  }
  if (auto checked = check_instrumentation_key(trimmed); !checked) {
    return reason("is an instrumentation key that " + checked.error().message);
  }
  connection_settings settings;
  settings.instrumentation_key = std::string(trimmed);
  return settings;
}

}  // namespace detail

// Parses `text` by the grammar above; on error, a message naming the key or segment, never a value.
inline result<connection_settings> parse_connection_string(std::string_view text,
                                                           const parse_options& options = {}) {
  auto parsed = detail::parse_connection_string(text, options);
  if (!parsed) return transport::error{"parse_connection_string: the connection string " + parsed.error().message};
  return parsed;
}

// As parse_connection_string, but throws std::invalid_argument with the same message.
inline connection_settings parse_connection_string_or_throw(std::string_view text,
                                                            const parse_options& options = {}) {
  auto parsed = parse_connection_string(text, options);
  if (!parsed) throw std::invalid_argument(parsed.error().message);
  return std::move(*parsed);
}

// Accepts a connection string (anything with `=` or `;`) or a bare instrumentation key of any valid
// form (not only a GUID), for settings whose name already says "key"; endpoint then the default.
inline result<connection_settings> parse_key_or_connection_string(std::string_view text,
                                                                  const parse_options& options = {}) {
  auto parsed = detail::parse_key_or_connection_string(text, options);
  if (!parsed) return transport::error{"parse_key_or_connection_string: the value " + parsed.error().message};
  return parsed;
}

// Succeeds iff `key` is non-empty, at most 40 characters, and only [0-9A-Za-z-]: the envelope's
// limit, and a charset that cannot break a JSON string, a header or a file name.
inline result<void> validate_instrumentation_key(std::string_view key) {
  auto checked = detail::check_instrumentation_key(key);
  if (!checked) return transport::error{"validate_instrumentation_key: the key " + checked.error().message};
  return checked;
}

// Returns the normal form of an ingestion endpoint (see connection_settings), or why it is refused.
inline result<std::string> normalize_ingestion_endpoint(std::string_view url, const parse_options& options = {}) {
  auto normal = detail::normalize_endpoint(url, options);
  if (!normal) return transport::error{"normalize_ingestion_endpoint: the endpoint " + normal.error().message};
  return normal;
}

// `<endpoint>/v2/track` for ikey-only requests, `<endpoint>/v2.1/track` when a bearer token is sent
// (v2 does not accept Entra ID). Never a double slash: the endpoint has no trailing `/`.
inline std::string track_url(const connection_settings& settings, bool bearer) {
  std::string url = settings.ingestion_endpoint.empty() ? std::string(default_ingestion_endpoint)
                                                        : settings.ingestion_endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url.append(bearer ? "/v2.1/track" : "/v2/track");
  return url;
}

// A form of the key safe for logs: "****-" plus the last 4 characters when the key has at least
// 16 (a GUID keeps 28 of its 32 hex digits hidden), else just "****" so a short key is not half shown.
inline std::string redact_key(std::string_view ikey) {
  if (ikey.size() < 16) return "****";
  return "****-" + std::string(ikey.substr(ikey.size() - 4));
}

}  // namespace onefuzz::telemetry::transport
