// Defines role: which OneFuzz program sends the telemetry (the envelope's ai.cloud.role).
#pragma once

#include <onefuzz/telemetry/wire_enum.hpp>

namespace onefuzz::telemetry {

// The original's Role (agent, proxy, supervisor), plus service for the state-change
// events that service code sends; it is also the `role` context property.
enum class role { agent, proxy, supervisor, service };

constexpr auto onefuzz_wire_names(role) {
  return enum_wire_names<4>{"role", {"agent", "proxy", "supervisor", "service"}};
}

}  // namespace onefuzz::telemetry
