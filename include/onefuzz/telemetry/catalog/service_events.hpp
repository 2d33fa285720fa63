// Defines the service's state-change events: the fields docs/telemetry.md lists under
// "Data recorded by the Service", all central as the document states.
#pragma once

#include <onefuzz/telemetry/catalog/enums.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/catalog/vm_sku.hpp>
#include <onefuzz/telemetry/detail/define_struct.hpp>
#include <onefuzz/telemetry/event.hpp>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

// Upstream never sent these (the Python ORM hook never fired; the C# service sends nothing
// centrally: docs/catalog.md, "Service events"), so there are no upstream event names to
// match. The names here are ours, <object>_state_changed, and each event carries the
// document's field list. Where the Python include-dicts differed from the document, the
// document wins and the difference is listed in docs/catalog.md. None has a metric twin:
// the original only twinned agent events. Member types are qualified (catalog::job_id) so
// that a member does not change the meaning of its type's name inside the class.
namespace onefuzz::telemetry::catalog {

// A job changed state. The document lists Job ID and State; the Python include-dict had
// no job_id, which would have made the event useless, so job_id is sent.
struct job_state_changed {
  static constexpr std::string_view event_name = "job_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(job_state_changed,
                                  (central<catalog::job_id>, job_id),
                                  (central<catalog::job_state>, state));
};
static_assert(event_check<job_state_changed>);

// A task changed state. Python nested the type and VM count (config.task.type,
// config.vm.count); they are flat here. vm_count is absent for pool-based tasks.
struct task_state_changed {
  static constexpr std::string_view event_name = "task_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(task_state_changed,
                                  (central<catalog::job_id>, job_id),
                                  (central<catalog::task_id>, task_id),
                                  (central<catalog::task_type>, task_type),
                                  (central<catalog::task_state>, state),
                                  (central<std::optional<std::uint64_t>>, vm_count));
};
static_assert(event_check<task_state_changed>);

// A scaleset changed state. The document lists os and, in its garbled "Size" bullet, the
// state; the Python model had no os and did not include state. Both are sent, so the
// event says what changed. vm_sku is reviewed: see vm_sku.hpp.
struct scaleset_state_changed {
  static constexpr std::string_view event_name = "scaleset_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(scaleset_state_changed,
                                  (central<catalog::scaleset_id>, scaleset_id),
                                  (central<catalog::os>, os),
                                  (central<catalog::vm_sku>, vm_sku),
                                  (central<std::uint64_t>, size),
                                  (central<bool>, spot_instances),
                                  (central<catalog::scaleset_state>, state));
};
static_assert(event_check<scaleset_state_changed>);

// A pool changed state. managed is the bool the document names, not the PoolType enum.
struct pool_state_changed {
  static constexpr std::string_view event_name = "pool_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(pool_state_changed,
                                  (central<catalog::pool_id>, pool_id),
                                  (central<catalog::os>, os),
                                  (central<catalog::pool_state>, state),
                                  (central<bool>, managed));
};
static_assert(event_check<pool_state_changed>);

// A node changed state. scaleset_id is the service's scaleset GUID, absent for nodes
// outside a scaleset; unlike the agent's VMSS name it is a random id, hence central.
struct node_state_changed {
  static constexpr std::string_view event_name = "node_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(node_state_changed,
                                  (central<catalog::machine_id>, machine_id),
                                  (central<std::optional<catalog::scaleset_id>>, scaleset_id),
                                  (central<catalog::node_state>, state));
};
static_assert(event_check<node_state_changed>);

// A task's state on one node changed (Python NodeTasks).
struct node_task_state_changed {
  static constexpr std::string_view event_name = "node_task_state_changed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(node_task_state_changed,
                                  (central<catalog::machine_id>, machine_id),
                                  (central<catalog::task_id>, task_id),
                                  (central<catalog::node_task_state>, state));
};
static_assert(event_check<node_task_state_changed>);

// Every service event type, for code that iterates the catalog.
inline constexpr auto service_event_types =
    boost::hana::tuple_t<job_state_changed, task_state_changed, scaleset_state_changed,
                         pool_state_changed, node_state_changed, node_task_state_changed>;

}  // namespace onefuzz::telemetry::catalog
