// The privacy review of the whole catalog: for every agent event, service event and context,
// the exact set of fields approved for the central instance and what each one exposes
// ("wire_name: channel declared_type", see audit/review.hpp). Any catalog change that adds,
// removes or re-shares a central field, or changes its kind, its declared type or whether it
// is sent by value or through a reviewed projection, fails the build here until the pin is
// updated, which is the moment a privacy reviewer must look (docs/telemetry.md is
// regenerated from the types).
#pragma once

#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog.hpp>

namespace onefuzz::telemetry::catalog {

// Agent events (the original's can_share_with_microsoft; docs/catalog.md, "Agent events").
// tool_name is central through its reviewed projection (file name only).
ONEFUZZ_TELEMETRY_REVIEWED(task_start,
                           "event_type: enum task_type",
                           "tool_name: projection tool_name");
ONEFUZZ_TELEMETRY_REVIEWED(coverage_data,
                           "covered: count u64",
                           "features: count u64",
                           "rate: measure f64");
// Events whose only field is a path reach the central instance as a bare name.
ONEFUZZ_TELEMETRY_REVIEWED(coverage_failed);
ONEFUZZ_TELEMETRY_REVIEWED(coverage_empty);
ONEFUZZ_TELEMETRY_REVIEWED(libfuzzer_runtime_stats,
                           "count: count u64",
                           "execs_sec: measure f64",
                           "worker_id: count u64",
                           "run_id: identifier run_id");
// pid and command_line stay on the user's instance; mode is central through its reviewed
// projection (AFL mode words or "other").
ONEFUZZ_TELEMETRY_REVIEWED(afl_runtime_stats,
                           "mode: projection afl_mode",
                           "coverage_paths: count u64",
                           "count: count u64",
                           "coverage_paths_favored: count u64",
                           "coverage_paths_found: count u64",
                           "coverage_paths_imported: count u64",
                           "execs_sec: measure f64",
                           "coverage: measure f64",
                           "coverage_paths_depth: count u64");
ONEFUZZ_TELEMETRY_REVIEWED(new_result);
ONEFUZZ_TELEMETRY_REVIEWED(new_coverage);
ONEFUZZ_TELEMETRY_REVIEWED(new_crashdump);
ONEFUZZ_TELEMETRY_REVIEWED(crash_reported);
ONEFUZZ_TELEMETRY_REVIEWED(new_report);
ONEFUZZ_TELEMETRY_REVIEWED(new_unique_report);
ONEFUZZ_TELEMETRY_REVIEWED(new_unable_to_reproduce);
ONEFUZZ_TELEMETRY_REVIEWED(regression_report);
ONEFUZZ_TELEMETRY_REVIEWED(regression_unable_to_reproduce);
// name, pid and process_status describe the user's process and stay on their instance.
ONEFUZZ_TELEMETRY_REVIEWED(process_stats,
                           "worker_id: count u64",
                           "run_id: identifier run_id",
                           "cpu_usage: measure f32",
                           "physical_memory: count u64",
                           "virtual_memory: count u64");

// Service events: the fields the original document lists, all central; vm_sku through its
// reviewed projection (an Azure VM size name or "other").
ONEFUZZ_TELEMETRY_REVIEWED(job_state_changed,
                           "job_id: identifier job_id",
                           "state: enum job_state");
ONEFUZZ_TELEMETRY_REVIEWED(task_state_changed,
                           "job_id: identifier job_id",
                           "task_id: identifier task_id",
                           "task_type: enum task_type",
                           "state: enum task_state",
                           "vm_count: count u64");
ONEFUZZ_TELEMETRY_REVIEWED(scaleset_state_changed,
                           "scaleset_id: identifier scaleset_id",
                           "os: enum os",
                           "vm_sku: projection vm_sku",
                           "size: count u64",
                           "spot_instances: flag bool",
                           "state: enum scaleset_state");
ONEFUZZ_TELEMETRY_REVIEWED(pool_state_changed,
                           "pool_id: identifier pool_id",
                           "os: enum os",
                           "state: enum pool_state",
                           "managed: flag bool");
ONEFUZZ_TELEMETRY_REVIEWED(node_state_changed,
                           "machine_id: identifier machine_id",
                           "scaleset_id: identifier scaleset_id",
                           "state: enum node_state");
ONEFUZZ_TELEMETRY_REVIEWED(node_task_state_changed,
                           "machine_id: identifier machine_id",
                           "task_id: identifier task_id",
                           "state: enum node_task_state");

// Contexts (docs/catalog.md, "Contexts"): the agent's scaleset_id (the VMSS name) and the
// proxy's region are free text chosen by the user and stay on their instance.
ONEFUZZ_TELEMETRY_REVIEWED(task_context,
                           "job_id: identifier job_id",
                           "task_id: identifier task_id",
                           "machine_id: identifier machine_id",
                           "version: version version",
                           "instance_id: identifier instance_id",
                           "role: enum role");
ONEFUZZ_TELEMETRY_REVIEWED(supervisor_context,
                           "instance_id: identifier instance_id",
                           "machine_id: identifier machine_id",
                           "version: version version",
                           "role: enum role");
ONEFUZZ_TELEMETRY_REVIEWED(proxy_context,
                           "version: version version",
                           "instance_id: identifier instance_id",
                           "role: enum role");
ONEFUZZ_TELEMETRY_REVIEWED(service_context,
                           "instance_id: identifier instance_id",
                           "version: version version",
                           "role: enum role");

// Every type the catalog lists has a review: a new event or context without one fails here
// (event_has_no_review names it).
static_assert(audit::every_type_matches_review(agent_event_types));
static_assert(audit::every_type_matches_review(service_event_types));
static_assert(audit::every_type_matches_review(context_types));

}  // namespace onefuzz::telemetry::catalog
