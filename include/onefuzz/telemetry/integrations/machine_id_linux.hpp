// The OS source of the machine id on Linux: systemd's /etc/machine-id (32 hex digits).
// Included through integrations/machine_id_chain.hpp, the chain it is one step of; empty
// on Windows (machine_id_windows.hpp), so that every header compiles on its own.
#pragma once

#if !defined(_WIN32)

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/machine_id_file.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <filesystem>

namespace onefuzz::telemetry::integrations {

// Where the OS keeps the machine id. A base of machine_id_options: these are its fields.
struct os_machine_id_source {
  // The OS machine id (systemd's /etc/machine-id: 32 hex digits). Empty: skip this source.
  std::filesystem::path os_machine_id_file{"/etc/machine-id"};
};

namespace detail {

inline bool os_machine_id_enabled(const os_machine_id_source& source) noexcept {
  return !source.os_machine_id_file.empty();
}

inline result<catalog::machine_id> read_os_machine_id(const os_machine_id_source& source) {
  return read_id_file(source.os_machine_id_file);
}

}  // namespace detail

}  // namespace onefuzz::telemetry::integrations

#endif
