// Defines resolve_machine_id: the machine's GUID found as the original's machine_id.rs
// does (cached file, Azure IMDS vmId, /etc/machine-id, a random GUID), then cached; and
// keyed_machine_id, the opt-in keyed hash of it that an agent can send in its place.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/integrations/imds.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace onefuzz::telemetry::integrations {

struct machine_id_options {
  // The cache, read first and written with the result. The original keeps it in the
  // onefuzz etc directory ($ONEFUZZ_ROOT/etc, /onefuzz/etc by default). Empty: no cache.
  std::filesystem::path cache_file{"/onefuzz/etc/machine_id"};
  // Ask Azure IMDS for the vmId. Off by default: off Azure the address is not ours to
  // contact, and even a refused connection costs start-up time.
  bool use_imds = false;
  imds_options imds{};
  // The OS machine id (systemd's /etc/machine-id: 32 hex digits). Empty: skip this source.
  std::filesystem::path os_machine_id_file{"/etc/machine-id"};
};

// Where the id came from.
enum class machine_id_source { cache, imds, os, random };

constexpr std::string_view to_string(machine_id_source source) noexcept {
  switch (source) {
    case machine_id_source::cache: return "cache";
    case machine_id_source::imds: return "imds";
    case machine_id_source::os: return "os";
    case machine_id_source::random: return "random";
  }
  return "unknown";
}

struct resolved_machine_id {
  catalog::machine_id id;
  machine_id_source source = machine_id_source::random;
  // Why earlier sources were passed over, and whether the cache could be written, one
  // sentence each, for a start-up log line. Empty when the cache answered.
  std::vector<std::string> notes;
};

namespace detail {

// The GUID in a small file, or why there is none.
inline parse_result<catalog::machine_id> read_id_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return parse_error{"cannot open '" + path.string() + "': " + std::strerror(errno)};
  std::array<char, 256> buffer{};
  file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  const std::string_view text = trim(std::string_view{buffer.data(), static_cast<std::size_t>(file.gcount())});
  auto id = catalog::machine_id::parse(text);
  if (!id) return parse_error{"'" + path.string() + "' does not hold a GUID (" + id.error().message + ")"};
  // A zero-filled id (an image built with a blanked machine-id) would make every VM
  // built from it the same machine.
  if (id->value().is_nil()) return parse_error{"'" + path.string() + "' holds the nil GUID"};
  return *id;
}

// Writes the id so that a reader never sees a partial file: a temporary file in the same
// directory, then rename(), which replaces the old file atomically.
inline std::optional<std::string> write_id_file(const std::filesystem::path& path, const catalog::machine_id& id) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return "cannot create '" + path.parent_path().string() + "': " + ec.message();
  auto temporary = path;
  temporary += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) return "cannot write '" + temporary.string() + "': " + std::strerror(errno);
    file << id.to_string();
    file.flush();
    if (!file) return "cannot write '" + temporary.string() + "'";
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return "cannot rename into '" + path.string() + "'";
  }
  return std::nullopt;
}

}  // namespace detail

// Resolves the machine id: the cache file if it holds a GUID; else IMDS vmId when enabled;
// else the OS machine id; else a random v4 GUID. Anything not from the cache is written to
// the cache. Never fails: each source that did not answer adds a note instead. (The
// original failed when the cache held something other than a GUID; here that cache is
// passed over and rewritten, so one bad write cannot stop the agent for good.)
inline resolved_machine_id resolve_machine_id(const machine_id_options& options = {}) {
  resolved_machine_id out;
  if (!options.cache_file.empty()) {
    auto cached = detail::read_id_file(options.cache_file);
    if (cached) {
      out.id = *cached;
      out.source = machine_id_source::cache;
      return out;
    }
    out.notes.push_back("cache: " + cached.error().message);
  }
  bool found = false;
  if (options.use_imds) {
    auto vm_id = fetch_imds_vm_id(options.imds);
    if (vm_id) {
      out.id = *vm_id;
      out.source = machine_id_source::imds;
      found = true;
    } else {
      out.notes.push_back(vm_id.error().message);
    }
  }
  if (!found && !options.os_machine_id_file.empty()) {
    auto os_id = detail::read_id_file(options.os_machine_id_file);
    if (os_id) {
      out.id = *os_id;
      out.source = machine_id_source::os;
      found = true;
    } else {
      out.notes.push_back("os: " + os_id.error().message);
    }
  }
  if (!found) {
    out.id = catalog::machine_id::random();
    out.source = machine_id_source::random;
  }
  if (!options.cache_file.empty()) {
    if (auto problem = detail::write_id_file(options.cache_file, out.id)) out.notes.push_back("cache: " + *problem);
  }
  return out;
}

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
