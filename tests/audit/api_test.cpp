// Tests the compile-time audit API on catalog events, with values checked by hand against
// docs/catalog.md, and pinned reviews on events declared here as a user would.
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/catalog/reviews.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/hana/length.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace tel = onefuzz::telemetry;
namespace audit = onefuzz::telemetry::audit;
namespace cat = onefuzz::telemetry::catalog;

// A user's event with its review, to show that user types audit like the catalog's.
struct cache_stats {
  static constexpr std::string_view event_name = "stats";
  BOOST_HANA_DEFINE_STRUCT(cache_stats,
                           (tel::central<std::uint64_t>, hits),
                           (tel::central<std::optional<double>>, ratio),
                           (tel::instance_only<std::string>, cache_dir));
};
// Any order; `ratio` is optional, which its entry does not record (see audit/review.hpp).
ONEFUZZ_TELEMETRY_REVIEWED(cache_stats, "ratio: measure f64", "hits: count u64");

// Nothing central: the review is empty.
struct cache_cleared {
  static constexpr std::string_view event_name = "cache_cleared";
  BOOST_HANA_DEFINE_STRUCT(cache_cleared, (tel::instance_only<std::string>, cache_dir));
};
ONEFUZZ_TELEMETRY_REVIEWED(cache_cleared);

// Derives from a reviewed event: reviews are of exact types, so it has none of its own.
struct derived_cache_stats : cache_stats {};

// --- Names -------------------------------------------------------------------------------

static_assert(audit::event_name<cat::task_start> == "task_start");
static_assert(audit::event_name<cat::libfuzzer_runtime_stats> == "runtime_stats");
static_assert(audit::event_name<cat::task_context>.empty());
static_assert(audit::type_name<cat::afl_runtime_stats> == "afl_runtime_stats");
static_assert(audit::qualified_type_name<cat::afl_runtime_stats> ==
              "onefuzz::telemetry::catalog::afl_runtime_stats");
static_assert(audit::type_name<cache_stats> == "cache_stats");  // in an anonymous namespace
static_assert(audit::type_name<tel::basic_id<cat::tags::job>> ==
              "basic_id<onefuzz::telemetry::catalog::tags::job>");
static_assert(audit::variant<cat::libfuzzer_runtime_stats> == "libfuzzer");
static_assert(audit::variant<cat::afl_runtime_stats> == "afl");
static_assert(audit::variant<cat::task_start>.empty());      // C++ name == wire name
static_assert(audit::variant<cat::new_result>.empty());
static_assert(audit::variant<cat::task_context>.empty());    // a context has no wire name
static_assert(audit::variant<cache_stats> == "cache");      // "cache" + "_" + "stats"
static_assert(audit::is_context<cat::proxy_context>);
static_assert(!audit::is_context<cat::coverage_data>);

// --- Fields (docs/catalog.md, "Agent events" and "Service events") -----------------------

static_assert(audit::fields<cat::coverage_data>.size() == 3);
static_assert(&audit::fields<cat::coverage_data> == &tel::fields_of<cat::coverage_data>,
              "the audit reads the core's field table, it does not copy it");
static_assert(audit::field<cat::coverage_data>("rate").kind == tel::value_kind::floating);
static_assert(audit::field<cat::coverage_data>("rate").type_name == "f64");
static_assert(audit::field<cat::coverage_data>("rate").sharing == tel::sharing::central);
static_assert(audit::field<cat::coverage_data>("rate").exposure == tel::central_exposure::value);
static_assert(!audit::field<cat::coverage_data>("rate").optional);

static_assert(audit::field<cat::afl_runtime_stats>("pid").sharing == tel::sharing::instance_only);
static_assert(audit::field<cat::afl_runtime_stats>("pid").type_name == "u32");
static_assert(audit::field<cat::afl_runtime_stats>("pid").optional);
static_assert(audit::field<cat::afl_runtime_stats>("command_line").kind == tel::value_kind::text);
static_assert(audit::field<cat::afl_runtime_stats>("mode").kind == tel::value_kind::reviewed);
static_assert(audit::field<cat::afl_runtime_stats>("mode").exposure ==
              tel::central_exposure::projection);
static_assert(audit::field<cat::process_stats>("cpu_usage").type_name == "f32");
static_assert(audit::field<cat::task_state_changed>("state").kind == tel::value_kind::enumeration);
static_assert(audit::field<cat::task_state_changed>("state").type_name == "task_state");
static_assert(audit::field<cat::scaleset_state_changed>("spot_instances").kind ==
              tel::value_kind::boolean);
static_assert(audit::field<cat::node_state_changed>("scaleset_id").kind == tel::value_kind::id);
static_assert(audit::field<cat::node_state_changed>("scaleset_id").optional);
static_assert(audit::field<cat::task_context>("version").kind == tel::value_kind::version);
static_assert(audit::field<cat::task_context>("scaleset_id").sharing ==
              tel::sharing::instance_only);
static_assert(audit::field<cat::proxy_context>("region").sharing == tel::sharing::instance_only);

static_assert(audit::field_index<cat::afl_runtime_stats>("pid") == 2);
static_assert(audit::field_index<cat::afl_runtime_stats>("no_such_field") ==
              audit::fields<cat::afl_runtime_stats>.size());

// Central field lists, order-insensitive, exactly as docs/catalog.md marks them.
static_assert(audit::central_fields_are<cat::task_start>({"tool_name", "event_type"}));
static_assert(audit::central_fields_are<cat::coverage_data>({"covered", "features", "rate"}));
static_assert(audit::central_fields_are<cat::new_result>({}));
static_assert(audit::central_fields_are<cat::afl_runtime_stats>(
    {"mode", "coverage_paths", "count", "coverage_paths_favored", "coverage_paths_found",
     "coverage_paths_imported", "execs_sec", "coverage", "coverage_paths_depth"}));
static_assert(audit::central_fields_are<cat::process_stats>(
    {"worker_id", "run_id", "cpu_usage", "physical_memory", "virtual_memory"}));
static_assert(audit::central_fields_are<cat::proxy_context>({"version", "instance_id", "role"}));
// A list that is short, long, repeats a name or names an instance field is not a match.
static_assert(!audit::central_fields_are<cat::coverage_data>({"covered", "features"}));
static_assert(!audit::central_fields_are<cat::coverage_data>({"covered", "features", "rate", "x"}));
static_assert(!audit::central_fields_are<cat::coverage_data>({"covered", "covered", "rate"}));
static_assert(!audit::central_fields_are<cat::afl_runtime_stats>(
    {"mode", "coverage_paths", "pid", "coverage_paths_favored", "coverage_paths_found",
     "coverage_paths_imported", "execs_sec", "coverage", "coverage_paths_depth"}));

static_assert(audit::central_fields<cat::afl_runtime_stats>.size() == 9);
static_assert(audit::central_fields<cat::afl_runtime_stats>[0].name == "mode");
static_assert(audit::central_fields<cat::afl_runtime_stats>[2].name == "count");  // pid skipped
static_assert(audit::central_names<cat::task_context>.size() == 6);

// Reviewed projections: the three of docs/catalog.md, "Reviewed types".
static_assert(audit::projected_fields<cat::task_start>.size() == 1);
static_assert(audit::projected_fields<cat::task_start>[0].name == "tool_name");
static_assert(audit::projection_of<cat::task_start>("tool_name") == cat::tool_name::projection);
static_assert(audit::projection_of<cat::afl_runtime_stats>("mode") == cat::afl_mode::projection);
static_assert(audit::projection_of<cat::scaleset_state_changed>("vm_sku") ==
              cat::vm_sku::projection);
static_assert(audit::projection_of<cat::coverage_data>("rate").empty());
static_assert(audit::projected_fields<cat::coverage_data>.empty());

// Declared types: the id's own name, the enum's or reviewed type's name, else the wire type.
static_assert(audit::declared_type_of<cat::task_context>("job_id") == "job_id");
static_assert(audit::declared_type_of<cat::task_context>("instance_id") == "instance_id");
static_assert(audit::declared_type_of<cat::libfuzzer_runtime_stats>("run_id") == "run_id");
static_assert(audit::declared_type_of<cat::task_start>("event_type") == "task_type");
static_assert(audit::declared_type_of<cat::task_start>("tool_name") == "tool_name");
static_assert(audit::declared_type_of<cat::scaleset_state_changed>("vm_sku") == "vm_sku");
static_assert(audit::declared_type_of<cat::task_context>("scaleset_id") == "string");
static_assert(audit::declared_type_of<cat::task_context>("role") == "role");
static_assert(audit::declared_type_of<cat::coverage_data>("covered") == "u64");

// Enum wire values, 15 task types (docs/catalog.md, "Enums").
static_assert(audit::wire_values<cat::task_start>[0].size() == 15);
static_assert(audit::wire_values<cat::task_start>[0][0] == "coverage");
static_assert(audit::wire_values<cat::task_start>[0][14] == "generic_regression");
static_assert(audit::wire_values<cat::pool_state_changed>[1].size() == 2);  // os
static_assert(audit::wire_values<cat::pool_state_changed>[1][1] == "linux");
static_assert(audit::wire_values<cat::task_start>[1].empty());  // tool_name is not an enum

// --- Reviews -----------------------------------------------------------------------------

static_assert(audit::has_review<cat::coverage_data>);
static_assert(audit::has_review<cat::task_context>);
static_assert(audit::has_review<cache_stats>);
static_assert(!audit::has_review<derived_cache_stats>);
static_assert(audit::has_review<tel::no_context>);  // the empty review event.hpp gives it
static_assert(audit::has_review<cat::coverage_data> == tel::has_pinned_review<cat::coverage_data>);
static_assert(!tel::has_pinned_review<derived_cache_stats>);
static_assert(audit::review_of<cat::coverage_data>.size() == 3);
static_assert(audit::review_of<cat::coverage_data>[2] == "rate: measure f64");
static_assert(audit::review_of<cat::new_result>.empty());
static_assert(audit::review_of<tel::no_context>.empty());

// Pin entries, read: "wire_name: channel declared_type".
static_assert(audit::pinned_fields<cat::coverage_data>[2].name == "rate");
static_assert(audit::pinned_fields<cat::coverage_data>[2].channel == "measure");
static_assert(audit::pinned_fields<cat::coverage_data>[2].declared_type == "f64");
static_assert(audit::pinned_fields<cat::coverage_data>[2].exposure == "measure f64");
static_assert(audit::pinned_fields<cat::task_start>[1].channel == "projection");
static_assert(audit::parse_pin_entry("job_id: identifier job_id").well_formed);
static_assert(audit::parse_pin_entry("job_id: identifier job_id").declared_type == "job_id");
// Malformed: the old name-only form, a missing colon or space, a missing or extra word.
static_assert(!audit::parse_pin_entry("rate").well_formed);
static_assert(audit::parse_pin_entry("rate").name == "rate");
static_assert(!audit::parse_pin_entry("rate measure f64").well_formed);
static_assert(!audit::parse_pin_entry("rate:measure f64").well_formed);
static_assert(!audit::parse_pin_entry("rate: measure").well_formed);
static_assert(!audit::parse_pin_entry("rate: measure f64 ").well_formed);
static_assert(!audit::parse_pin_entry("rate: measure  f64").well_formed);
static_assert(!audit::parse_pin_entry("rate: measure f64 x").well_formed);
static_assert(!audit::parse_pin_entry(": measure f64").well_formed);
static_assert(!audit::parse_pin_entry("").well_formed);

// Channels, one per value kind; none for a field that stays on the user's instance.
static_assert(audit::channel_of(audit::field<cat::task_context>("job_id")) == "identifier");
static_assert(audit::channel_of(audit::field<cat::coverage_data>("covered")) == "count");
static_assert(audit::channel_of(audit::field<cat::coverage_data>("rate")) == "measure");
static_assert(audit::channel_of(audit::field<cat::task_start>("event_type")) == "enum");
static_assert(audit::channel_of(audit::field<cat::task_start>("tool_name")) == "projection");
static_assert(audit::channel_of(audit::field<cat::pool_state_changed>("managed")) == "flag");
static_assert(audit::channel_of(audit::field<cat::task_context>("version")) == "version");
static_assert(audit::channel_of(audit::field<cat::afl_runtime_stats>("pid")).empty());
static_assert(audit::channel_of(audit::field<cat::afl_runtime_stats>("command_line")).empty());
static_assert(audit::matches_review<cat::afl_runtime_stats>());
static_assert(audit::matches_review<cache_stats>());
static_assert(audit::matches_review<cache_cleared>());
static_assert(audit::pin("a", std::string_view{"b"}) ==
              std::array<std::string_view, 2>{"a", "b"});

// Counts all catalog types of a hana::tuple_t and their central fields.
template <class Types>
constexpr std::size_t central_field_count(Types types) {
  std::size_t count = 0;
  boost::hana::for_each(types, [&](auto type) {
    count += audit::central_fields<typename decltype(type)::type>.size();
  });
  return count;
}

TEST_CASE("every catalog type has a review that matches it", "[audit]") {
  // The static_asserts in reviews.hpp are the real check; this states the catalog's size so
  // a type dropped from the lists is noticed too (docs/catalog.md: 16 + 6 events, 4 contexts).
  STATIC_REQUIRE(decltype(boost::hana::length(cat::agent_event_types))::value == 16);
  STATIC_REQUIRE(decltype(boost::hana::length(cat::service_event_types))::value == 6);
  STATIC_REQUIRE(decltype(boost::hana::length(cat::context_types))::value == 4);
  STATIC_REQUIRE(audit::every_type_matches_review(cat::agent_event_types));
  // Central fields by hand from docs/catalog.md: agent 2+3+4+9+5, service 2+5+6+4+3+3,
  // contexts 6+4+3+3.
  STATIC_REQUIRE(central_field_count(cat::agent_event_types) == 23);
  STATIC_REQUIRE(central_field_count(cat::service_event_types) == 23);
  STATIC_REQUIRE(central_field_count(cat::context_types) == 16);
}

TEST_CASE("a context's role is its default role member", "[audit]") {
  CHECK(audit::context_role<cat::task_context>() == tel::role::agent);
  CHECK(audit::context_role<cat::supervisor_context>() == tel::role::supervisor);
  CHECK(audit::context_role<cat::proxy_context>() == tel::role::proxy);
  CHECK(audit::context_role<cat::service_context>() == tel::role::service);
}

TEST_CASE("field() at run time throws for a name the type lacks, naming it", "[audit]") {
  std::string_view name = "no_such_field";
  CHECK(audit::field<cat::coverage_data>("covered").name == "covered");
  CHECK_THROWS_WITH(audit::field<cat::coverage_data>(name),
                    Catch::Matchers::Contains("'no_such_field'"));
}

TEST_CASE("the audit API works in ordinary constexpr code", "[audit]") {
  // Which agent events send nothing but their name centrally (docs/catalog.md: the nine
  // file and report events plus coverage_failed and coverage_empty).
  constexpr std::size_t bare = [] {
    std::size_t count = 0;
    boost::hana::for_each(cat::agent_event_types, [&](auto type) {
      count += audit::central_fields<typename decltype(type)::type>.empty();
    });
    return count;
  }();
  STATIC_REQUIRE(bare == 11);
}

}  // namespace
