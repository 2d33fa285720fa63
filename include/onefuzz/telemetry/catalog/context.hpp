// Defines the per-process context of each OneFuzz program (the original's set_property,
// docs/catalog.md, "Contexts"): the properties merged into every event that program sends.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/detail/define_struct.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/role.hpp>
#include <onefuzz/telemetry/version.hpp>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

// The contexts are plain aggregates adapted with ONEFUZZ_TELEMETRY_ADAPT_STRUCT (Hana's
// BOOST_HANA_ADAPT_STRUCT, cheaper to compile: detail/define_struct.hpp; not a
// DEFINE_STRUCT macro, which has no room for a default member initializer), so that
// `role` defaults to the right program: `task_context{.job_id = ..., ...}` is an agent
// context without saying so. detail::context_is_complete checks below that the adapted list
// names every member, so a member added without adapting it fails to compile.
namespace onefuzz::telemetry::catalog {

// onefuzz-task in managed mode (role agent; Config::run). All central except scaleset_id,
// the VMSS name, which is instance-only and present only when the machine belongs
// to a scaleset.
struct task_context {
  central<catalog::job_id> job_id;
  central<catalog::task_id> task_id;
  central<catalog::machine_id> machine_id;
  central<telemetry::version> version;
  central<catalog::instance_id> instance_id;
  central<telemetry::role> role{telemetry::role::agent};
  instance_only<std::optional<catalog::scaleset_name>> scaleset_id;
};

// onefuzz-agent, the node supervisor (role supervisor; onefuzz-agent main.rs). Same rule
// for scaleset_id as task_context.
struct supervisor_context {
  central<catalog::instance_id> instance_id;
  central<catalog::machine_id> machine_id;
  central<telemetry::version> version;
  central<telemetry::role> role{telemetry::role::supervisor};
  instance_only<std::optional<catalog::scaleset_name>> scaleset_id;
};

// The proxy manager (role proxy; proxy-manager config.rs). The Azure region is
// instance-only (Region is not shared upstream).
struct proxy_context {
  instance_only<std::string> region;
  central<telemetry::version> version;
  central<catalog::instance_id> instance_id;
  central<telemetry::role> role{telemetry::role::proxy};
};

// The service's own context for the state-change events (service_events.hpp). The
// original's service set no context properties; this is the agent's common set minus
// what a service has not got (machine, job, task).
struct service_context {
  central<catalog::instance_id> instance_id;
  central<telemetry::version> version;
  central<telemetry::role> role{telemetry::role::service};
};

namespace detail {

// Converts to any attributed field and nothing else, so that T{any_attributed{}...} is
// well-formed exactly up to T's number of members.
struct any_attributed {
  template <attributed_field F>
  operator F() const;  // declared only: used in unevaluated requires-expressions
};

template <std::size_t>
using any_attributed_at = any_attributed;

// True when T{} takes sizeof...(I) attributed initializers. For an aggregate of attributed
// members that holds up to its number of members and fails beyond it, so two probes (n and
// n + 1) pin the count without trying every length below it.
template <class T, std::size_t... I>
constexpr bool takes_initializers(std::index_sequence<I...>) {
  return requires { T{any_attributed_at<I>{}...}; };
}

// True when T has exactly n members.
template <class T, std::size_t N>
constexpr bool has_member_count() {
  return takes_initializers<T>(std::make_index_sequence<N>{}) &&
         !takes_initializers<T>(std::make_index_sequence<N + 1>{});
}

}  // namespace detail

}  // namespace onefuzz::telemetry::catalog

ONEFUZZ_TELEMETRY_ADAPT_STRUCT(onefuzz::telemetry::catalog::task_context, job_id, task_id,
                               machine_id, version, instance_id, role, scaleset_id);
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(onefuzz::telemetry::catalog::supervisor_context, instance_id,
                               machine_id, version, role, scaleset_id);
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(onefuzz::telemetry::catalog::proxy_context, region, version,
                               instance_id, role);
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(onefuzz::telemetry::catalog::service_context, instance_id, version,
                               role);

namespace onefuzz::telemetry::catalog {

namespace detail {
// True when C is a well-formed context whose adapted list names all of its members.
template <class C>
constexpr bool context_is_complete() {
  return event_check<C> && has_member_count<C, fields_of<C>.size()>();
}
}  // namespace detail

static_assert(detail::context_is_complete<task_context>(),
              "task_context: every member must be listed in ONEFUZZ_TELEMETRY_ADAPT_STRUCT");
static_assert(detail::context_is_complete<supervisor_context>(),
              "supervisor_context: every member must be listed in ONEFUZZ_TELEMETRY_ADAPT_STRUCT");
static_assert(detail::context_is_complete<proxy_context>(),
              "proxy_context: every member must be listed in ONEFUZZ_TELEMETRY_ADAPT_STRUCT");
static_assert(detail::context_is_complete<service_context>(),
              "service_context: every member must be listed in ONEFUZZ_TELEMETRY_ADAPT_STRUCT");

// Every context type, for code that iterates the catalog.
inline constexpr auto context_types =
    boost::hana::tuple_t<task_context, supervisor_context, proxy_context, service_context>;

}  // namespace onefuzz::telemetry::catalog
