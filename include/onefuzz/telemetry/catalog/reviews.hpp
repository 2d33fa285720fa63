// The privacy review of the whole catalog: for every agent event, service event and context,
// the exact set of fields approved for the central instance. Any catalog change that adds,
// removes or re-shares a central field fails the build here until the pin is updated, which
// is the moment a privacy reviewer must look (docs/telemetry.md is regenerated from it).
#pragma once

#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog.hpp>

namespace onefuzz::telemetry::catalog {

// Agent events (reference §1.1 can_share_with_microsoft, §1.3; docs/catalog.md).
// tool_name is central through its reviewed projection (file name only).
ONEFUZZ_TELEMETRY_REVIEWED(task_start, "event_type", "tool_name");
ONEFUZZ_TELEMETRY_REVIEWED(coverage_data, "covered", "features", "rate");
// Events whose only field is a path reach the central instance as a bare name.
ONEFUZZ_TELEMETRY_REVIEWED(coverage_failed);
ONEFUZZ_TELEMETRY_REVIEWED(coverage_empty);
ONEFUZZ_TELEMETRY_REVIEWED(libfuzzer_runtime_stats, "count", "execs_sec", "worker_id", "run_id");
// pid and command_line stay on the user's instance; mode is central through its reviewed
// projection (AFL mode words or "other").
ONEFUZZ_TELEMETRY_REVIEWED(afl_runtime_stats, "mode", "coverage_paths", "count",
                           "coverage_paths_favored", "coverage_paths_found",
                           "coverage_paths_imported", "execs_sec", "coverage",
                           "coverage_paths_depth");
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
ONEFUZZ_TELEMETRY_REVIEWED(process_stats, "worker_id", "run_id", "cpu_usage", "physical_memory",
                           "virtual_memory");

// Service events: the fields the original document lists, all central; vm_sku through its
// reviewed projection (an Azure VM size name or "other").
ONEFUZZ_TELEMETRY_REVIEWED(job_state_changed, "job_id", "state");
ONEFUZZ_TELEMETRY_REVIEWED(task_state_changed, "job_id", "task_id", "task_type", "state",
                           "vm_count");
ONEFUZZ_TELEMETRY_REVIEWED(scaleset_state_changed, "scaleset_id", "os", "vm_sku", "size",
                           "spot_instances", "state");
ONEFUZZ_TELEMETRY_REVIEWED(pool_state_changed, "pool_id", "os", "state", "managed");
ONEFUZZ_TELEMETRY_REVIEWED(node_state_changed, "machine_id", "scaleset_id", "state");
ONEFUZZ_TELEMETRY_REVIEWED(node_task_state_changed, "machine_id", "task_id", "state");

// Contexts (reference §1.2): the agent's scaleset_id (the VMSS name) and the proxy's region
// are free text chosen by the user and stay on their instance.
ONEFUZZ_TELEMETRY_REVIEWED(task_context, "job_id", "task_id", "machine_id", "version",
                           "instance_id", "role");
ONEFUZZ_TELEMETRY_REVIEWED(supervisor_context, "instance_id", "machine_id", "version", "role");
ONEFUZZ_TELEMETRY_REVIEWED(proxy_context, "version", "instance_id", "role");
ONEFUZZ_TELEMETRY_REVIEWED(service_context, "instance_id", "version", "role");

// Every type the catalog lists has a review: a new event or context without one fails here
// (event_has_no_review names it).
static_assert(audit::every_type_matches_review(agent_event_types));
static_assert(audit::every_type_matches_review(service_event_types));
static_assert(audit::every_type_matches_review(context_types));

}  // namespace onefuzz::telemetry::catalog
