// The machine-id chain as the original's machine_id.rs walks it: a cached file, Azure IMDS
// vmId (when asked), the OS machine id (machine_id_linux.hpp: /etc/machine-id;
// machine_id_windows.hpp: the registry's MachineGuid), a random GUID; the result is then
// cached. IMDS comes in as a function, so the chain needs no transport:
// integrations/machine_id.hpp plugs in fetch_imds_vm_id (imds.hpp).
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/machine_id_file.hpp>
#include <onefuzz/telemetry/result.hpp>

#if defined(_WIN32)
#include <onefuzz/telemetry/integrations/machine_id_windows.hpp>
#else
#include <onefuzz/telemetry/integrations/machine_id_linux.hpp>
#endif

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace onefuzz::telemetry::integrations {

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

// Asks IMDS (or a stand-in) for the VM's id; an error says why there is none.
using vm_id_fetcher = std::function<result<catalog::machine_id>()>;

// Resolves the machine id: `cache_file` if it holds a GUID; else fetch_vm_id() when given
// (IMDS); else the OS machine id (unless `os` is set to skip it); else a random v4 GUID.
// Anything not from the cache is written to the cache. An empty cache_file: no cache.
// Never fails: each source that did not answer adds a note instead.
inline resolved_machine_id resolve_machine_id_chain(const std::filesystem::path& cache_file,
                                                    const vm_id_fetcher& fetch_vm_id,
                                                    const os_machine_id_source& os) {
  resolved_machine_id out;
  if (!cache_file.empty()) {
    auto cached = detail::read_id_file(cache_file);
    if (cached) {
      out.id = *cached;
      out.source = machine_id_source::cache;
      return out;
    }
    out.notes.push_back("cache: " + cached.error().message);
  }
  bool found = false;
  if (fetch_vm_id) {
    auto vm_id = fetch_vm_id();
    if (vm_id) {
      out.id = *vm_id;
      out.source = machine_id_source::imds;
      found = true;
    } else {
      out.notes.push_back(vm_id.error().message);
    }
  }
  if (!found && detail::os_machine_id_enabled(os)) {
    auto os_id = detail::read_os_machine_id(os);
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
  if (!cache_file.empty()) {
    if (auto problem = detail::write_id_file(cache_file, out.id)) out.notes.push_back("cache: " + *problem);
  }
  return out;
}

}  // namespace onefuzz::telemetry::integrations
