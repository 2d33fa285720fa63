// Defines the OneFuzz id types (instance, job, task, machine, scaleset, pool, run), each a
// distinct basic_id so that one kind of id can never be passed where another is expected.
#pragma once

#include <onefuzz/telemetry/uuid.hpp>

#include <string>

namespace onefuzz::telemetry::catalog {

// Tags only; they are never defined, because nothing needs more than their names.
namespace tags {
struct instance;
struct job;
struct task;
struct machine;
struct scaleset;
struct pool;
struct run;
}  // namespace tags

// A random GUID created once per OneFuzz install (reference: "Instance ID"; issue #234).
using instance_id = basic_id<tags::instance>;

// A random GUID per job.
using job_id = basic_id<tags::job>;

// A random GUID per task.
using task_id = basic_id<tags::task>;

// The machine's GUID: cached file, Azure IMDS vmId, OS machine id, or a random v4 UUID as
// the last fallback (docs/integrations.md, "Machine id and agent ids").
using machine_id = basic_id<tags::machine>;

// The service's GUID for a VM scaleset (service events only). The agent's `scaleset_id`
// wire field is a different thing: the VMSS *name*, see scaleset_name.
using scaleset_id = basic_id<tags::scaleset>;

// A random GUID per pool.
using pool_id = basic_id<tags::pool>;

// A random GUID per start of a fuzzing target (the document era's RunID).
using run_id = basic_id<tags::run>;

// The VMSS name (IMDS vmScaleSetName, the cached `scaleset_name` file, or
// ONEFUZZ_SCALESET_NAME). The agent sends it under the wire name `scaleset_id`,
// instance-only (can_share_with_microsoft is false; docs/catalog.md, "Ids"): it is
// free text chosen by the user, so it stays a plain string and can never be central.
using scaleset_name = std::string;

}  // namespace onefuzz::telemetry::catalog
