// Pins, for every catalog event and context, its name, metric twin, and the exact sets of
// full and central keys: at compile time, and again at run time so a failure prints both sets.
#include <onefuzz/telemetry/catalog.hpp>

#include <boost/hana/for_each.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;

// A set of wire names, small enough to live in a constexpr table.
struct names {
  std::array<std::string_view, 16> items{};
  std::size_t size = 0;

  constexpr names() = default;
  constexpr names(std::initializer_list<std::string_view> list) {
    for (auto name : list) items[size++] = name;
  }
};

// One row of the table: what docs/catalog.md says an event (or context) must be.
struct pinned {
  std::string_view label;  // empty: the type has no row
  std::string_view event_name;
  bool metric_twin = false;
  names full;
  names central;
  names projected;  // central fields sent as a reviewed projection
};

// No row by default; every type the catalog lists must have one (checked below).
template <class E>
inline constexpr pinned expected{};

// Agent events (docs/catalog.md, "Agent events").
template <>
inline constexpr pinned expected<cat::task_start>{
    "task_start", "task_start", true, {"event_type", "tool_name"}, {"event_type", "tool_name"},
    {"tool_name"}};
template <>
inline constexpr pinned expected<cat::coverage_data>{
    "coverage_data", "coverage_data", true, {"covered", "features", "rate"},
    {"covered", "features", "rate"}, {}};
template <>
inline constexpr pinned expected<cat::coverage_failed>{
    "coverage_failed", "coverage_failed", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::coverage_empty>{
    "coverage_empty", "coverage_empty", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::libfuzzer_runtime_stats>{
    "libfuzzer_runtime_stats", "runtime_stats", true,
    {"count", "execs_sec", "worker_id", "run_id"},
    {"count", "execs_sec", "worker_id", "run_id"}, {}};
template <>
inline constexpr pinned expected<cat::afl_runtime_stats>{
    "afl_runtime_stats",
    "runtime_stats",
    false,
    {"mode", "coverage_paths", "pid", "count", "coverage_paths_favored", "coverage_paths_found",
     "coverage_paths_imported", "execs_sec", "coverage", "command_line", "coverage_paths_depth"},
    {"mode", "coverage_paths", "count", "coverage_paths_favored", "coverage_paths_found",
     "coverage_paths_imported", "execs_sec", "coverage", "coverage_paths_depth"},
    {"mode"}};
template <>
inline constexpr pinned expected<cat::new_result>{"new_result", "new_result", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::new_coverage>{
    "new_coverage", "new_coverage", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::new_crashdump>{
    "new_crashdump", "new_crashdump", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::crash_reported>{
    "crash_reported", "crash_reported", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::new_report>{"new_report", "new_report", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::new_unique_report>{
    "new_unique_report", "new_unique_report", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::new_unable_to_reproduce>{
    "new_unable_to_reproduce", "new_unable_to_reproduce", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::regression_report>{
    "regression_report", "regression_report", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::regression_unable_to_reproduce>{
    "regression_unable_to_reproduce", "regression_unable_to_reproduce", true, {"path"}, {}, {}};
template <>
inline constexpr pinned expected<cat::process_stats>{
    "process_stats",
    "process_stats",
    false,
    {"worker_id", "run_id", "name", "pid", "process_status", "cpu_usage", "physical_memory",
     "virtual_memory"},
    {"worker_id", "run_id", "cpu_usage", "physical_memory", "virtual_memory"},
    {}};

// Service events (docs/catalog.md "Service events", docs/telemetry.md "Data recorded by the service").
template <>
inline constexpr pinned expected<cat::job_state_changed>{
    "job_state_changed", "job_state_changed", false, {"job_id", "state"}, {"job_id", "state"}, {}};
template <>
inline constexpr pinned expected<cat::task_state_changed>{
    "task_state_changed", "task_state_changed", false,
    {"job_id", "task_id", "task_type", "state", "vm_count"},
    {"job_id", "task_id", "task_type", "state", "vm_count"}, {}};
template <>
inline constexpr pinned expected<cat::scaleset_state_changed>{
    "scaleset_state_changed", "scaleset_state_changed", false,
    {"scaleset_id", "os", "vm_sku", "size", "spot_instances", "state"},
    {"scaleset_id", "os", "vm_sku", "size", "spot_instances", "state"}, {"vm_sku"}};
template <>
inline constexpr pinned expected<cat::pool_state_changed>{
    "pool_state_changed", "pool_state_changed", false, {"pool_id", "os", "state", "managed"},
    {"pool_id", "os", "state", "managed"}, {}};
template <>
inline constexpr pinned expected<cat::node_state_changed>{
    "node_state_changed", "node_state_changed", false, {"machine_id", "scaleset_id", "state"},
    {"machine_id", "scaleset_id", "state"}, {}};
template <>
inline constexpr pinned expected<cat::node_task_state_changed>{
    "node_task_state_changed", "node_task_state_changed", false,
    {"machine_id", "task_id", "state"}, {"machine_id", "task_id", "state"}, {}};

// Contexts (docs/catalog.md, "Contexts"); no event name, no twin.
template <>
inline constexpr pinned expected<cat::task_context>{
    "task_context", "", false,
    {"job_id", "task_id", "machine_id", "version", "instance_id", "role", "scaleset_id"},
    {"job_id", "task_id", "machine_id", "version", "instance_id", "role"}, {}};
template <>
inline constexpr pinned expected<cat::supervisor_context>{
    "supervisor_context", "", false, {"instance_id", "machine_id", "version", "role", "scaleset_id"},
    {"instance_id", "machine_id", "version", "role"}, {}};
template <>
inline constexpr pinned expected<cat::proxy_context>{
    "proxy_context", "", false, {"region", "version", "instance_id", "role"},
    {"version", "instance_id", "role"}, {}};
template <>
inline constexpr pinned expected<cat::service_context>{
    "service_context", "", false, {"instance_id", "version", "role"},
    {"instance_id", "version", "role"}, {}};

// Order-insensitive equality of a computed name array and a pinned set.
template <std::size_t N>
constexpr bool same_names(const std::array<std::string_view, N>& actual, const names& want) {
  if (N != want.size) return false;
  for (std::size_t i = 0; i < N; ++i) {
    bool found = false;
    for (std::size_t j = 0; j < want.size; ++j) found = found || actual[i] == want.items[j];
    if (!found) return false;
    for (std::size_t j = i + 1; j < N; ++j) {
      if (actual[i] == actual[j]) return false;
    }
  }
  return true;
}

template <class S>
constexpr names projected_names() {
  names out;
  for (const auto& field : tel::fields_of<S>) {
    if (field.exposure == tel::central_exposure::projection) out.items[out.size++] = field.name;
  }
  return out;
}

template <class S>
constexpr bool same_projected() {
  constexpr names actual = projected_names<S>();
  std::array<std::string_view, actual.items.size()> padded = actual.items;
  names want = expected<S>.projected;
  if (actual.size != want.size) return false;
  for (std::size_t i = 0; i < actual.size; ++i) {
    bool found = false;
    for (std::size_t j = 0; j < want.size; ++j) found = found || padded[i] == want.items[j];
    if (!found) return false;
  }
  return true;
}

template <class S>
constexpr std::string_view event_name_of() {
  if constexpr (requires { S::event_name; }) return S::event_name;
  else return {};
}

// The compile-time pin of one type; each assert names what differs.
template <class S>
constexpr bool pinned_at_compile_time() {
  static_assert(!expected<S>.label.empty(), "a catalog type has no row in this table");
  static_assert(event_name_of<S>() == expected<S>.event_name, "event_name differs from the pin");
  static_assert(tel::has_metric_twin_v<S> == expected<S>.metric_twin, "metric_twin differs");
  static_assert(same_names(tel::full_field_names<S>, expected<S>.full), "full keys differ");
  static_assert(same_names(tel::central_field_names<S>, expected<S>.central), "central keys differ");
  static_assert(same_projected<S>(), "projected (reviewed) keys differ");
  return true;
}

template <std::size_t N>
std::set<std::string> as_set(const std::array<std::string_view, N>& names_array) {
  return {names_array.begin(), names_array.end()};
}

std::set<std::string> as_set(const names& list) {
  return {list.items.begin(), list.items.begin() + static_cast<std::ptrdiff_t>(list.size)};
}

// The run-time pin of one type: the same comparisons, printed when they fail. To see the
// printed sets of a pin that fails at compile time, build with
// -DCATALOG_PINS_AT_RUNTIME_ONLY.
template <class S>
void check_pinned(std::set<std::string>& labels) {
#ifndef CATALOG_PINS_AT_RUNTIME_ONLY
  static_assert(pinned_at_compile_time<S>());
#endif
  constexpr const pinned& want = expected<S>;
  INFO("catalog type " << want.label);
  labels.insert(std::string{want.label});
  CHECK(event_name_of<S>() == want.event_name);
  CHECK(tel::has_metric_twin_v<S> == want.metric_twin);
  CHECK(as_set(tel::full_field_names<S>) == as_set(want.full));
  CHECK(as_set(tel::central_field_names<S>) == as_set(want.central));
  CHECK(as_set(projected_names<S>()) == as_set(want.projected));
  // No field name appears twice (a context property would silently shadow it otherwise).
  CHECK(as_set(tel::full_field_names<S>).size() == tel::full_field_names<S>.size());
}

}  // namespace

TEST_CASE("every catalog event has exactly its pinned full and central keys", "[catalog]") {
  std::set<std::string> labels;
  boost::hana::for_each(cat::agent_event_types, [&](auto type) {
    check_pinned<typename decltype(type)::type>(labels);
  });
  boost::hana::for_each(cat::service_event_types, [&](auto type) {
    check_pinned<typename decltype(type)::type>(labels);
  });
  // 16 agent events (14 at HEAD, runtime_stats in two shapes, plus process_stats) and
  // 6 service events; a type listed twice would show up as fewer labels.
  CHECK(labels.size() == 22);
}

TEST_CASE("every context has exactly its pinned full and central keys", "[catalog]") {
  std::set<std::string> labels;
  boost::hana::for_each(cat::context_types, [&](auto type) {
    check_pinned<typename decltype(type)::type>(labels);
  });
  CHECK(labels.size() == 4);
}

TEST_CASE("each context defaults role to its program", "[catalog]") {
  CHECK(cat::task_context{}.role.get() == tel::role::agent);
  CHECK(cat::supervisor_context{}.role.get() == tel::role::supervisor);
  CHECK(cat::proxy_context{}.role.get() == tel::role::proxy);
  CHECK(cat::service_context{}.role.get() == tel::role::service);
  // Designated initializers that leave role out keep the default.
  const cat::supervisor_context supervisor{.instance_id = cat::instance_id::random(),
                                           .machine_id = cat::machine_id::random(),
                                           .version = tel::version{},
                                           .scaleset_id = std::nullopt};
  CHECK(supervisor.role.get() == tel::role::supervisor);
}

TEST_CASE("only the two runtime_stats shapes share an event name", "[catalog]") {
  std::vector<std::string_view> event_names;
  auto collect = [&](auto type) { event_names.push_back(decltype(type)::type::event_name); };
  boost::hana::for_each(cat::agent_event_types, collect);
  boost::hana::for_each(cat::service_event_types, collect);
  std::sort(event_names.begin(), event_names.end());
  std::vector<std::string_view> repeated;
  for (std::size_t i = 1; i < event_names.size(); ++i) {
    if (event_names[i] == event_names[i - 1]) repeated.push_back(event_names[i]);
  }
  CHECK(repeated == std::vector<std::string_view>{"runtime_stats"});
}

TEST_CASE("the agent events at HEAD are the original's 14 Event variants", "[catalog]") {
  // The original's Event enum has 14 variants (docs/catalog.md, "Agent events"); process_stats
  // is the only removed one modelled.
  std::set<std::string> names_in_catalog;
  boost::hana::for_each(cat::agent_event_types, [&](auto type) {
    names_in_catalog.emplace(decltype(type)::type::event_name);
  });
  names_in_catalog.erase("process_stats");
  const std::set<std::string> original = {
      "task_start",        "coverage_data",           "coverage_failed",   "coverage_empty",
      "new_result",        "new_crashdump",           "new_coverage",      "runtime_stats",
      "new_report",        "new_unique_report",       "crash_reported",    "new_unable_to_reproduce",
      "regression_report", "regression_unable_to_reproduce"};
  CHECK(names_in_catalog == original);
}

TEST_CASE("optional fields are the ones the original may leave out", "[catalog]") {
  auto optional_names = [](const auto& fields) {
    std::set<std::string> out;
    for (const auto& field : fields) {
      if (field.optional) out.emplace(field.name);
    }
    return out;
  };
  CHECK(optional_names(tel::fields_of<cat::task_start>) == std::set<std::string>{"tool_name"});
  CHECK(optional_names(tel::fields_of<cat::libfuzzer_runtime_stats>) ==
        std::set<std::string>{"worker_id", "run_id"});
  CHECK(optional_names(tel::fields_of<cat::afl_runtime_stats>).size() ==
        tel::fields_of<cat::afl_runtime_stats>.size());
  CHECK(optional_names(tel::fields_of<cat::task_state_changed>) == std::set<std::string>{"vm_count"});
  CHECK(optional_names(tel::fields_of<cat::node_state_changed>) ==
        std::set<std::string>{"scaleset_id"});
  CHECK(optional_names(tel::fields_of<cat::task_context>) == std::set<std::string>{"scaleset_id"});
  CHECK(optional_names(tel::fields_of<cat::supervisor_context>) ==
        std::set<std::string>{"scaleset_id"});
}
