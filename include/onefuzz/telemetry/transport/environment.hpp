// Resolves the instance and central destinations from code overrides, then the environment, as OneFuzz did.
//
// Precedence (first non-empty source wins; an empty or all-whitespace variable counts as unset):
//   instance: destination_overrides::instance, APPLICATIONINSIGHTS_CONNECTION_STRING,
//             APPINSIGHTS_INSTRUMENTATIONKEY, ONEFUZZ_INSTANCE_TELEMETRY_KEY
//   central:  destination_overrides::central_disabled (=> none), destination_overrides::central,
//             ONEFUZZ_TELEMETRY, ONEFUZZ_MICROSOFT_TELEMETRY_KEY
// Every source may hold a connection string or a bare instrumentation key (parse_key_or_connection_string).
// No source at all gives no destination (an empty optional): OneFuzz's opt-out is deleting ONEFUZZ_TELEMETRY.
// The winning source must be valid: a malformed value is an error, never a silent fall-through to a
// lower-priority source, which could send telemetry somewhere the operator did not choose.
// One key cannot be both destinations: when the winning instance and central sources hold the same
// instrumentation key (compared case-insensitively, whatever the endpoints), the result is an error
// naming both sources, never the key. The user's instance would otherwise be the central one, and
// the full payloads (paths, command lines, host names) would be posted under the central key.
#pragma once

#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <array>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

// Looks up an environment variable: null when unset. Injectable so tests never touch the real
// environment. std::getenv is not safe against a concurrent setenv, so resolve at start-up.
using getenv_fn = std::function<const char*(const char*)>;

// Instance variables, highest priority first.
inline constexpr std::array<const char*, 3> instance_environment_variables = {
    "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPINSIGHTS_INSTRUMENTATIONKEY", "ONEFUZZ_INSTANCE_TELEMETRY_KEY"};

// Central variables, highest priority first.
inline constexpr std::array<const char*, 2> central_environment_variables = {"ONEFUZZ_TELEMETRY",
                                                                             "ONEFUZZ_MICROSOFT_TELEMETRY_KEY"};

// Configuration in code; it wins over the environment. An empty string counts as unset, as in
// the environment, because generated configs carry "" for "no key".
struct destination_overrides {
  std::optional<std::string> instance;  // a connection string or a key
  std::optional<std::string> central;   // a connection string or a key
  // No central destination whatever `central` or the environment say: the privacy-safe choice
  // wins a conflict.
  bool central_disabled = false;
  parse_options options{};  // applies to every source
};

// The resolved destinations, with where each came from (for a start-up log line; never the value).
struct destinations {
  std::optional<connection_settings> instance;
  std::optional<connection_settings> central;
  // "destination_overrides.instance", a variable's name, or "" when there is no destination.
  std::string instance_source;
  std::string central_source;
};

namespace detail {

struct source_value {
  std::string source;
  std::string value;
};

// The first non-blank of `override_value` and `variables`; an empty `lookup` means "no environment".
template <std::size_t N>
std::optional<source_value> first_set(const std::optional<std::string>& override_value, const char* override_name,
                                      const std::array<const char*, N>& variables, const getenv_fn& lookup) {
  if (override_value && !trim_ascii(*override_value).empty()) return source_value{override_name, *override_value};
  if (!lookup) return std::nullopt;
  for (const char* name : variables) {
    const char* raw = lookup(name);
    if (raw != nullptr && !trim_ascii(raw).empty()) return source_value{name, raw};
  }
  return std::nullopt;
}

// Parses the winning source; the error names the source, never its value.
ONEFUZZ_TELEMETRY_DECL result<std::optional<connection_settings>> parse_source(
    const std::optional<source_value>& found, const parse_options& options);

}  // namespace detail

// Applies the precedence in the file comment. Returns an error, and no destinations at all, when:
//  - the winning source of either destination is malformed: the message names the variable or
//    override and why;
//  - both destinations resolve to the same instrumentation key (case-insensitively): the message is
//    "resolve_destinations: <instance source> and <central source> hold the same instrumentation
//    key; central telemetry would receive the full payloads. Set a different key, or turn central
//    telemetry off (destination_overrides.central_disabled)", each source being a variable's name
//    or "destination_overrides.instance" / "destination_overrides.central". With central_disabled
//    the central sources are not read, so there is no conflict.
// No message contains a source's value or any key.
ONEFUZZ_TELEMETRY_DECL result<destinations> resolve_destinations(const destination_overrides& overrides = {},
                                                                           getenv_fn lookup = &std::getenv);

}  // namespace onefuzz::telemetry::transport

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/environment.ipp>
#endif
