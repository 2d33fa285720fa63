// Defines the OneFuzz enums sent in telemetry, with every value and the exact wire name of
// each (docs/catalog.md, "Enums"; onefuzztypes/enums.py at HEAD). Role is core:
// telemetry/role.hpp.
#pragma once

#include <onefuzz/telemetry/wire_enum.hpp>

#include <cstddef>

namespace onefuzz::telemetry::catalog {

// The kind of a task: task_start's `event_type` and the service's task_type (15 values).
// The agent never sends libfuzzer_dotnet_fuzz (those tasks report libfuzzer_fuzz) and sent
// libfuzzer_coverage only until PR #2021; both stay so that every wire name parses.
enum class task_type {
  coverage,
  dotnet_coverage,
  dotnet_crash_report,
  libfuzzer_dotnet_fuzz,
  libfuzzer_fuzz,
  libfuzzer_coverage,  // deprecated upstream, kept for deserialization
  libfuzzer_crash_report,
  libfuzzer_merge,
  libfuzzer_regression,
  generic_analysis,
  generic_supervisor,
  generic_merge,
  generic_generator,
  generic_crash_report,
  generic_regression,
};

constexpr auto onefuzz_wire_names(task_type) {
  return enum_wire_names<15>{"task_type",
                             {"coverage", "dotnet_coverage", "dotnet_crash_report",
                              "libfuzzer_dotnet_fuzz", "libfuzzer_fuzz", "libfuzzer_coverage",
                              "libfuzzer_crash_report", "libfuzzer_merge", "libfuzzer_regression",
                              "generic_analysis", "generic_supervisor", "generic_merge",
                              "generic_generator", "generic_crash_report", "generic_regression"}};
}

// The state of a job (4 values).
enum class job_state { init, enabled, stopping, stopped };

constexpr auto onefuzz_wire_names(job_state) {
  return enum_wire_names<4>{"job_state", {"init", "enabled", "stopping", "stopped"}};
}

// The state of a task (8 values).
enum class task_state { init, waiting, scheduled, setting_up, running, stopping, stopped, wait_job };

constexpr auto onefuzz_wire_names(task_state) {
  return enum_wire_names<8>{"task_state",
                            {"init", "waiting", "scheduled", "setting_up", "running", "stopping",
                             "stopped", "wait_job"}};
}

// The state of a VM scaleset (7 values).
enum class scaleset_state { init, setup, resize, running, shutdown, halt, creation_failed };

constexpr auto onefuzz_wire_names(scaleset_state) {
  return enum_wire_names<7>{"scaleset_state",
                            {"init", "setup", "resize", "running", "shutdown", "halt",
                             "creation_failed"}};
}

// The state of a pool (4 values).
enum class pool_state { init, running, shutdown, halt };

constexpr auto onefuzz_wire_names(pool_state) {
  return enum_wire_names<4>{"pool_state", {"init", "running", "shutdown", "halt"}};
}

// The state of a fuzzing node (9 values).
enum class node_state { init, free, setting_up, rebooting, ready, busy, done, shutdown, halt };

constexpr auto onefuzz_wire_names(node_state) {
  return enum_wire_names<9>{"node_state",
                            {"init", "free", "setting_up", "rebooting", "ready", "busy", "done",
                             "shutdown", "halt"}};
}

// The state of a task on one node (3 values).
enum class node_task_state { init, setting_up, running };

constexpr auto onefuzz_wire_names(node_task_state) {
  return enum_wire_names<3>{"node_task_state", {"init", "setting_up", "running"}};
}

// The OS of a pool or scaleset (2 values). `linux` is a predefined macro in GNU mode
// (-std=gnu++20 expands it to 1), so the enumerator is linux_os; its wire name is "linux".
enum class os { windows, linux_os };

constexpr auto onefuzz_wire_names(os) {
  return enum_wire_names<2>{"os", {"windows", "linux"}};
}

// The state of a proxy or repro VM (7 values). No modelled event carries it: the only
// sender upstream is the C# service's instance-only `SetState Proxy` (docs/catalog.md,
// "Left out, and why").
enum class vm_state {
  init,
  extensions_launch,
  extensions_failed,
  vm_allocation_failed,
  running,
  stopping,
  stopped,
};

constexpr auto onefuzz_wire_names(vm_state) {
  return enum_wire_names<7>{"vm_state",
                            {"init", "extensions_launch", "extensions_failed",
                             "vm_allocation_failed", "running", "stopping", "stopped"}};
}

namespace detail {
// True when the table has exactly one name per enumerator: `last` is the last one.
template <wire_enum E>
constexpr bool names_cover(E last) {
  return wire_names_checked<E> &&
         static_cast<std::size_t>(last) + 1 == wire_names_of<E>.names.size();
}
}  // namespace detail

// Checked here, so a table with a typo or a missing name fails where the table is.
static_assert(detail::names_cover(task_type::generic_regression));
static_assert(detail::names_cover(job_state::stopped));
static_assert(detail::names_cover(task_state::wait_job));
static_assert(detail::names_cover(scaleset_state::creation_failed));
static_assert(detail::names_cover(pool_state::halt));
static_assert(detail::names_cover(node_state::halt));
static_assert(detail::names_cover(node_task_state::running));
static_assert(detail::names_cover(os::linux_os));
static_assert(detail::names_cover(vm_state::stopped));

}  // namespace onefuzz::telemetry::catalog
