// Defines read_agent_environment: the ids an env-configured agent takes from
// ONEFUZZ_INSTANCE_ID, ONEFUZZ_MACHINE_ID and ONEFUZZ_SCALESET_NAME (StaticConfig::from_env),
// and the opt-in salt ONEFUZZ_TELEMETRY_MACHINE_ID_SALT that replaces the machine id sent by
// a keyed hash of it (reported_machine_id, machine_id.hpp).
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>

#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

// The variable that turns the keyed machine id on; unset (the default) sends the raw id.
inline constexpr const char* machine_id_salt_variable = "ONEFUZZ_TELEMETRY_MACHINE_ID_SALT";

// The shortest salt accepted: a salt that can be guessed hides nothing from whoever can list
// candidate machine ids (a random GUID, 36 characters, is the intended salt).
inline constexpr std::size_t min_machine_id_salt_size = 16;

// What the environment says; a variable that is unset or blank leaves its member empty.
struct agent_environment {
  std::optional<catalog::instance_id> instance_id;    // ONEFUZZ_INSTANCE_ID
  std::optional<catalog::machine_id> machine_id;      // ONEFUZZ_MACHINE_ID (wins over resolve_machine_id)
  std::optional<catalog::scaleset_name> scaleset_name; // ONEFUZZ_SCALESET_NAME (sent instance-only)
  // ONEFUZZ_TELEMETRY_MACHINE_ID_SALT, trimmed: when set, pass it to reported_machine_id so
  // the context carries keyed_machine_id(machine id, salt) instead of the machine id. Never sent.
  std::optional<std::string> machine_id_salt;
};

namespace detail {

// The trimmed value of `name`, or nothing when it is unset or blank.
inline std::optional<std::string> non_blank(const transport::getenv_fn& lookup, const char* name) {
  if (!lookup) return std::nullopt;
  const char* raw = lookup(name);
  if (raw == nullptr) return std::nullopt;
  const std::string_view value = trim(raw);
  if (value.empty()) return std::nullopt;
  return std::string{value};
}

template <class Id>
result<std::optional<Id>> id_from(const transport::getenv_fn& lookup, const char* name) {
  const auto text = non_blank(lookup, name);
  if (!text) return std::optional<Id>{};
  auto id = Id::parse(*text);
  // The message names the variable and the rule, not the value.
  if (!id) return error{std::string{"read_agent_environment: "} + name + " is not a GUID (" + id.error().message + ")"};
  return std::optional<Id>{*id};
}

}  // namespace detail

// Reads the four variables through `lookup` (std::getenv by default; tests pass their own).
// A set variable that does not parse is an error naming it: an agent must not report under
// an id nobody chose. So is a salt shorter than min_machine_id_salt_size: an agent asked to
// hide its machine id must not send one that is easy to reverse.
inline result<agent_environment> read_agent_environment(const transport::getenv_fn& lookup = &std::getenv) {
  agent_environment out;
  auto instance = detail::id_from<catalog::instance_id>(lookup, "ONEFUZZ_INSTANCE_ID");
  if (!instance) return instance.error();
  out.instance_id = *instance;
  auto machine = detail::id_from<catalog::machine_id>(lookup, "ONEFUZZ_MACHINE_ID");
  if (!machine) return machine.error();
  out.machine_id = *machine;
  out.scaleset_name = detail::non_blank(lookup, "ONEFUZZ_SCALESET_NAME");
  out.machine_id_salt = detail::non_blank(lookup, machine_id_salt_variable);
  if (out.machine_id_salt && out.machine_id_salt->size() < min_machine_id_salt_size) {
    // The message names the variable and the rule, not the value.
    return error{std::string{"read_agent_environment: "} + machine_id_salt_variable +
                       " is shorter than " + std::to_string(min_machine_id_salt_size) +
                       " characters; use a random GUID"};
  }
  return out;
}

}  // namespace onefuzz::telemetry::integrations
