// The connection string parser's non-template functions: included by connection_string.hpp
// (header-only), or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/loopback.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {
namespace detail {

ONEFUZZ_TELEMETRY_DECL std::string to_lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_ascii(c);
  return out;
}

ONEFUZZ_TELEMETRY_DECL result<void> check_instrumentation_key(std::string_view key) {
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

ONEFUZZ_TELEMETRY_DECL result<std::string> normalize_endpoint(std::string_view url,
                                                                        const parse_options& options) {
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

ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_connection_string(std::string_view text,
                                                                                     const parse_options& options) {
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

ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_key_or_connection_string(
    std::string_view text, const parse_options& options) {
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

ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_connection_string(std::string_view text,
                                                                                     const parse_options& options) {
  auto parsed = detail::parse_connection_string(text, options);
  if (!parsed) return telemetry::error{"parse_connection_string: the connection string " + parsed.error().message};
  return parsed;
}

ONEFUZZ_TELEMETRY_DECL connection_settings parse_connection_string_or_throw(std::string_view text,
                                                                                      const parse_options& options) {
  auto parsed = parse_connection_string(text, options);
  if (!parsed) throw std::invalid_argument(parsed.error().message);
  return std::move(*parsed);
}

ONEFUZZ_TELEMETRY_DECL result<connection_settings> parse_key_or_connection_string(
    std::string_view text, const parse_options& options) {
  auto parsed = detail::parse_key_or_connection_string(text, options);
  if (!parsed) return telemetry::error{"parse_key_or_connection_string: the value " + parsed.error().message};
  return parsed;
}

ONEFUZZ_TELEMETRY_DECL result<void> validate_instrumentation_key(std::string_view key) {
  auto checked = detail::check_instrumentation_key(key);
  if (!checked) return telemetry::error{"validate_instrumentation_key: the key " + checked.error().message};
  return checked;
}

ONEFUZZ_TELEMETRY_DECL result<std::string> normalize_ingestion_endpoint(std::string_view url,
                                                                                  const parse_options& options) {
  auto normal = detail::normalize_endpoint(url, options);
  if (!normal) return telemetry::error{"normalize_ingestion_endpoint: the endpoint " + normal.error().message};
  return normal;
}

ONEFUZZ_TELEMETRY_DECL std::string track_url(const connection_settings& settings, bool bearer) {
  std::string url = settings.ingestion_endpoint.empty() ? std::string(default_ingestion_endpoint)
                                                        : settings.ingestion_endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url.append(bearer ? "/v2.1/track" : "/v2/track");
  return url;
}

ONEFUZZ_TELEMETRY_DECL std::string redact_key(std::string_view ikey) {
  if (ikey.size() < 16) return "****";
  return "****-" + std::string(ikey.substr(ikey.size() - 4));
}

}  // namespace onefuzz::telemetry::transport
