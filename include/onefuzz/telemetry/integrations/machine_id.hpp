// Defines resolve_machine_id: the machine's GUID found as the original's machine_id.rs
// does (cached file, Azure IMDS vmId, the OS machine id, a random GUID), then cached. The
// chain and the OS sources are in machine_id_chain.hpp (Linux: /etc/machine-id; Windows:
// the registry's MachineGuid); this header adds IMDS, which needs the transport. Also
// brings keyed_machine_id (machine_id_keyed.hpp).
#pragma once

#include <onefuzz/telemetry/integrations/imds.hpp>
#include <onefuzz/telemetry/integrations/machine_id_chain.hpp>
#include <onefuzz/telemetry/integrations/machine_id_keyed.hpp>

#include <filesystem>

namespace onefuzz::telemetry::integrations {

// The OS source's fields come from os_machine_id_source: os_machine_id_file on Linux;
// os_machine_guid_root, os_machine_guid_key and os_machine_guid_value on Windows.
struct machine_id_options : os_machine_id_source {
  // The cache, read first and written with the result. The original keeps it in the
  // onefuzz etc directory ($ONEFUZZ_ROOT/etc, /onefuzz/etc by default; on Windows this
  // path is on the current drive, so an agent there should set it). Empty: no cache.
  std::filesystem::path cache_file{"/onefuzz/etc/machine_id"};
  // Ask Azure IMDS for the vmId. Off by default: off Azure the address is not ours to
  // contact, and even a refused connection costs start-up time.
  bool use_imds = false;
  imds_options imds{};
};

// Resolves the machine id: the cache file if it holds a GUID; else IMDS vmId when enabled;
// else the OS machine id; else a random v4 GUID. Anything not from the cache is written to
// the cache. Never fails: each source that did not answer adds a note instead. (The
// original failed when the cache held something other than a GUID; here that cache is
// passed over and rewritten, so one bad write cannot stop the agent for good.)
inline resolved_machine_id resolve_machine_id(const machine_id_options& options = {}) {
  vm_id_fetcher fetch_vm_id;
  if (options.use_imds) fetch_vm_id = [&options] { return fetch_imds_vm_id(options.imds); };
  return resolve_machine_id_chain(options.cache_file, fetch_vm_id, options);
}

}  // namespace onefuzz::telemetry::integrations
