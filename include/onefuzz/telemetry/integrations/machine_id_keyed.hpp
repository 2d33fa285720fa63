// Defines keyed_machine_id, the opt-in keyed hash of the machine id that an agent can send
// in its place, and reported_machine_id, which picks one or the other. Needs no transport
// and no OS call, so it builds everywhere (integrations/machine_id.hpp includes it).
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/uuid.hpp>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

// Prefixed to the salt to name the salt's namespace, in the RFC 4122 URL namespace.
inline constexpr std::string_view keyed_machine_id_prefix = "urn:onefuzz-telemetry:keyed-machine-id:";

namespace detail {

inline boost::uuids::uuid to_boost(const uuid& id) noexcept {
  boost::uuids::uuid out{};
  std::copy(id.bytes().begin(), id.bytes().end(), out.begin());
  return out;
}

inline uuid from_boost(const boost::uuids::uuid& id) noexcept {
  uuid::bytes_type bytes{};
  std::copy(id.begin(), id.end(), bytes.begin());
  return uuid{bytes};
}

}  // namespace detail

// A keyed hash of machine_id: the name-based (version 5, SHA-1) UUID of the id's lowercase
// hyphenated text in a namespace derived from the salt, itself the version-5 UUID of
// keyed_machine_id_prefix + salt in the RFC 4122 URL namespace. In Python:
//   ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:onefuzz-telemetry:keyed-machine-id:" + salt)
//   uuid.uuid5(ns, str(machine_id))
// The same id and salt always give the same result, so it still identifies one machine
// across starts and events (a stable pseudonym, not an anonymous value); without the salt it
// cannot be linked to the raw id, such as an Azure VM Unique ID, as long as the salt cannot
// be guessed: use a secret of the deployment, e.g. a random GUID, and never send it.
inline uuid keyed_machine_id(const uuid& machine_id, std::string_view salt) {
  const boost::uuids::name_generator_sha1 salt_namespace_of(boost::uuids::ns::url());
  std::string salt_name{keyed_machine_id_prefix};
  salt_name.append(salt);
  const boost::uuids::name_generator_sha1 keyed(salt_namespace_of(salt_name.data(), salt_name.size()));
  const std::string text = machine_id.to_string();
  return detail::from_boost(keyed(text.data(), text.size()));
}

inline catalog::machine_id keyed_machine_id(const catalog::machine_id& machine_id, std::string_view salt) {
  return catalog::machine_id{keyed_machine_id(machine_id.value(), salt)};
}

// The machine id an agent puts in its context: keyed_machine_id(id, *salt) when a salt is
// set (agent_environment::machine_id_salt, from ONEFUZZ_TELEMETRY_MACHINE_ID_SALT), otherwise
// the id itself, as the original sends it. The context has one machine_id, so with a salt
// the user's own instance gets the keyed id too.
inline catalog::machine_id reported_machine_id(const catalog::machine_id& id,
                                               const std::optional<std::string>& salt) {
  if (!salt) return id;
  return keyed_machine_id(id, *salt);
}

}  // namespace onefuzz::telemetry::integrations
