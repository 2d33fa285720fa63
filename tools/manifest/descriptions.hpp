// The prose of docs/telemetry.md: what each type, event, context and field means. Only the
// meaning is written by hand; which fields exist, their types and where they go come from
// the code, and the generator refuses to run while a field has no description or a
// description names something that no longer exists (so this file cannot drift either).
#pragma once

#include <array>
#include <string_view>

namespace onefuzz::manifest {

// One description, found by key.
struct description {
  std::string_view key;
  std::string_view text;
};

// Named value types (ids, enums, version, reviewed types), by declared type name.
inline constexpr std::array type_descriptions = {
    description{"instance_id", "A randomly generated GUID that identifies one OneFuzz instance (install)."},
    description{"job_id", "A randomly generated GUID that identifies a job."},
    description{"machine_id",
                "A GUID that identifies the machine running the task. In Azure it is the "
                "[VM Unique ID](https://azure.microsoft.com/en-us/blog/accessing-and-using-azure-vm-unique-id/); "
                "elsewhere the operating system's machine id (`/etc/machine-id`, or `MachineGuid` "
                "on Windows), and a random GUID created once per node only when neither is "
                "available. An agent configured with a salt sends a keyed hash of it instead "
                "(see *The machine id*)."},
    description{"pool_id", "A randomly generated GUID that identifies a pool."},
    description{"run_id",
                "A randomly generated GUID that identifies one start of a fuzzing target (a "
                "fuzzer that restarts, such as libFuzzer, gets a new one each time)."},
    description{"scaleset_id",
                "A randomly generated GUID with which the service identifies a VM scaleset. (The "
                "agent's `scaleset_id` context property is something else: the scaleset's name, "
                "which is not sent to Microsoft.)"},
    description{"task_id", "A randomly generated GUID that identifies a fuzzing task."},
    description{"job_state", "The state of a job."},
    description{"node_state", "The state of a fuzzing node."},
    description{"node_task_state", "The state of a task on one node."},
    description{"os", "The operating system of a pool or scaleset."},
    description{"pool_state", "The state of a pool."},
    description{"role",
                "The OneFuzz program that sends the telemetry (also sent as the envelope's "
                "`ai.cloud.role`)."},
    description{"scaleset_state", "The state of a VM scaleset."},
    description{"task_state", "The state of a task."},
    description{"task_type", "The type of a task."},
    description{"version",
                "The OneFuzz version: `MAJOR.MINOR.PATCH` (from `CURRENT_VERSION`), in builds "
                "other than release tags followed by `+` (`-` before May 2023) and the git commit "
                "(7 to 40 lowercase hex digits), and by `.localchanges` (or `-local_changes`) "
                "for a build from a modified tree. Any other text is rejected: a version cannot "
                "carry free text, though its numbers and hex digits are whatever the build "
                "puts there."},
    description{"afl_mode", "AFL's `target_mode`, the mode AFL runs the target in."},
    description{"tool_name",
                "The tool of a `generic_generator` or `generic_analysis` task, as configured "
                "before expansion (e.g. `{tools_dir}/radamsa`); for a custom tool, the user's own "
                "path to it."},
    description{"vm_sku", "The [Azure VM size](https://docs.microsoft.com/en-us/azure/virtual-machines/sizes) of a scaleset."},
};

// Events and contexts, by C++ type name.
inline constexpr std::array type_summaries = {
    description{"task_start", "A task started."},
    description{"coverage_data",
                "Coverage measured by the coverage task, every 10 recorded inputs and when a pass "
                "over the inputs finishes."},
    description{"coverage_failed", "Recording the coverage of an input failed."},
    description{"coverage_empty", "An input covered nothing."},
    description{"libfuzzer_runtime_stats",
                "libFuzzer's execution statistics, summed over the task's workers: at start, on "
                "every libFuzzer status line, and every 60 seconds."},
    description{"afl_runtime_stats",
                "AFL's statistics, read from its `fuzzer_stats` file every 30 seconds. A field is "
                "left out when its key is missing from the file."},
    description{"new_result", "A crash file appeared (the original document's \"Crash Found\")."},
    description{"new_coverage", "A new input was added to the corpus."},
    description{"new_crashdump", "A crash dump appeared."},
    description{"crash_reported", "A crash was reproduced (sent before any upload)."},
    description{"new_report",
                "A crash report was created and uploaded (\"Crash Report Created\")."},
    description{"new_unique_report",
                "A crash report unique among the existing ones was created and uploaded "
                "(\"Unique Crash Report Created\")."},
    description{"new_unable_to_reproduce",
                "A crash could not be reproduced; a no-repro report was uploaded."},
    description{"regression_report", "A regression task saved a crash report."},
    description{"regression_unable_to_reproduce",
                "A regression task could not reproduce a crash."},
    description{"process_stats",
                "Process statistics of each libFuzzer worker, every 30 seconds (sent by earlier "
                "versions of the agent)."},
    description{"job_state_changed", "A job changed state."},
    description{"task_state_changed", "A task changed state."},
    description{"scaleset_state_changed", "A VM scaleset changed state."},
    description{"pool_state_changed", "A pool changed state."},
    description{"node_state_changed", "A fuzzing node changed state."},
    description{"node_task_state_changed", "The state of a task on one node changed."},
    description{"task_context", "`onefuzz-task`, which runs the fuzzing tasks on a node."},
    description{"supervisor_context", "`onefuzz-agent`, the node's supervisor."},
    description{"proxy_context", "The proxy manager."},
    description{"service_context", "The OneFuzz service."},
};

// Fields, by "<C++ type name>.<wire name>" for one type, or by wire name for every type that
// has the field and no more specific entry.
inline constexpr std::array field_descriptions = {
    // Ids and context properties.
    description{"instance_id", "The OneFuzz instance."},
    description{"job_id", "The job."},
    description{"task_id", "The task."},
    description{"machine_id", "The machine."},
    description{"pool_id", "The pool."},
    description{"version", "The version of the program that sent the event."},
    description{"role", "The program that sent the event."},
    description{"scaleset_id",
                "The scaleset; absent for a node outside a scaleset."},
    description{"scaleset_state_changed.scaleset_id", "The scaleset."},
    description{"task_context.scaleset_id",
                "The name of the VM scaleset the machine belongs to, when it belongs to one."},
    description{"supervisor_context.scaleset_id",
                "The name of the VM scaleset the machine belongs to, when it belongs to one."},
    description{"region", "The Azure region the proxy runs in."},

    // task_start.
    description{"event_type", "The type of the task that started."},
    description{"tool_name",
                "The task's tool; present for `generic_generator` and `generic_analysis` tasks "
                "only."},

    // coverage_data.
    description{"covered",
                "The number of coverage points (module offsets) that the inputs reached."},
    description{"features", "The number of coverage points (module offsets) in the target."},
    description{"rate", "`covered / features`, or 0 when `features` is 0."},

    // Paths of the file and report events.
    description{"coverage_failed.path", "The full path of the input."},
    description{"coverage_empty.path", "The full path of the input."},
    description{"new_result.path", "The crash file's name."},
    description{"new_coverage.path", "The input's file name."},
    description{"new_crashdump.path", "The crash dump's file name."},
    description{"crash_reported.path", "The report's unique blob name."},
    description{"new_report.path", "The report's blob name."},
    description{"new_unique_report.path", "The report's unique blob name."},
    description{"new_unable_to_reproduce.path", "The no-repro report's blob name."},
    description{"regression_report.path", "The report's name."},
    description{"regression_unable_to_reproduce.path", "The report's name."},

    // Execution statistics.
    description{"libfuzzer_runtime_stats.count",
                "The number of executions so far, summed over the workers (not reset when a "
                "worker restarts)."},
    description{"libfuzzer_runtime_stats.execs_sec",
                "Executions per second: the sum of the workers' latest `exec/s`."},
    description{"worker_id",
                "Which of the fuzzer copies running concurrently on the machine sent the event "
                "(the per-worker form of earlier versions)."},
    description{"run_id", "One start of the fuzzing target (the per-worker form of earlier versions)."},
    description{"process_stats.run_id", "One start of the fuzzing target."},
    description{"process_stats.worker_id",
                "Which of the fuzzer copies running concurrently on the machine this is."},
    description{"mode", "`target_mode`: the mode AFL runs the target in (e.g. `default`, `qemu`, `persistent`)."},
    description{"coverage_paths", "`paths_total`."},
    description{"afl_runtime_stats.pid", "`fuzzer_pid`: the fuzzer's process id."},
    description{"afl_runtime_stats.count", "`execs_done`: the number of executions so far."},
    description{"coverage_paths_favored", "`paths_favored`."},
    description{"coverage_paths_found", "`paths_found`."},
    description{"coverage_paths_imported", "`paths_imported`."},
    description{"afl_runtime_stats.execs_sec", "`execs_per_sec`: executions per second."},
    description{"coverage", "`bitmap_cvg` without its `%` sign: the share of the coverage bitmap hit."},
    description{"command_line", "`command_line`: the fuzzer's full command line."},
    description{"coverage_paths_depth",
                "Declared for AFL's `max_depth`, but never filled: the parser ignores that key."},
    description{"name", "The fuzzer process's name."},
    description{"process_stats.pid", "The fuzzer process's id."},
    description{"process_status", "The fuzzer process's status."},
    description{"cpu_usage", "The CPU use of the fuzzer process."},
    description{"physical_memory", "The physical memory in use by the fuzzer process, in KB."},
    description{"virtual_memory", "The virtual memory in use by the fuzzer process, in KB."},

    // Service events.
    description{"job_state_changed.state", "The job's new state."},
    description{"task_state_changed.state", "The task's new state."},
    description{"scaleset_state_changed.state", "The scaleset's new state."},
    description{"pool_state_changed.state", "The pool's new state."},
    description{"node_state_changed.state", "The node's new state."},
    description{"node_task_state_changed.state", "The task's new state on the node."},
    description{"task_type", "The type of the task."},
    description{"vm_count", "The number of VMs the task uses; absent for a task that runs in a pool."},
    description{"os", "The operating system of the pool or scaleset."},
    description{"vm_sku", "The size of the scaleset's VMs."},
    description{"size", "The number of VMs in the scaleset."},
    description{"spot_instances", "Whether the scaleset uses spot instances."},
    description{"managed", "Whether OneFuzz manages the pool's VMs."},
};

}  // namespace onefuzz::manifest
