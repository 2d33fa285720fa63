// resolve_destinations and its helper: included by environment.hpp (header-only), or by
// src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/environment.hpp>

#include <optional>
#include <string>
#include <utility>

namespace onefuzz::telemetry::transport {
namespace detail {

ONEFUZZ_TELEMETRY_DECL result<std::optional<connection_settings>> parse_source(
    const std::optional<source_value>& found, const parse_options& options) {
  if (!found) return std::optional<connection_settings>{};
  auto parsed = detail::parse_key_or_connection_string(found->value, options);
  if (!parsed) return telemetry::error{"resolve_destinations: " + found->source + " " + parsed.error().message};
  return std::optional<connection_settings>{std::move(*parsed)};
}

}  // namespace detail

ONEFUZZ_TELEMETRY_DECL result<destinations> resolve_destinations(const destination_overrides& overrides,
                                                                           getenv_fn lookup) {
  destinations out;

  const auto instance = detail::first_set(overrides.instance, "destination_overrides.instance",
                                          instance_environment_variables, lookup);
  auto instance_settings = detail::parse_source(instance, overrides.options);
  if (!instance_settings) return instance_settings.error();
  out.instance = std::move(*instance_settings);
  if (instance) out.instance_source = instance->source;

  if (!overrides.central_disabled) {
    const auto central = detail::first_set(overrides.central, "destination_overrides.central",
                                           central_environment_variables, lookup);
    auto central_settings = detail::parse_source(central, overrides.options);
    if (!central_settings) return central_settings.error();
    out.central = std::move(*central_settings);
    if (central) out.central_source = central->source;
  }

  if (out.instance && out.central &&
      detail::iequals(out.instance->instrumentation_key, out.central->instrumentation_key)) {
    return telemetry::error{"resolve_destinations: " + out.instance_source + " and " + out.central_source +
                            " hold the same instrumentation key; central telemetry would receive the full "
                            "payloads. Set a different key, or turn central telemetry off "
                            "(destination_overrides.central_disabled)"};
  }
  return out;
}

}  // namespace onefuzz::telemetry::transport
