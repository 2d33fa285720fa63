// Tests the catalog's id types (parse, format, errors, randomness, distinctness) and every
// value of every enum (exact wire names from docs/catalog.md, round trip, unknown names).
#include <onefuzz/telemetry/catalog.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;

struct id_case {
  std::string_view input;
  std::string_view formatted;  // expected to_string(); empty when parsing must fail
  std::string_view error;      // expected error message when parsing must fail
};

// Accepted forms and every kind of malformed input, with the exact error each gives.
const std::vector<id_case> id_cases = {
    {"0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
    {"0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
    {"{0f8fad5b-d9cb-469f-a165-70867728950e}", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
    {"{0F8FAD5B-d9cb-469F-a165-70867728950E}", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
    {"0f8fad5bd9cb469fa16570867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
    {"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", ""},
    {"", "", "uuid: expected 32 hex digits (8-4-4-4-12), got 0 characters"},
    {"{}", "", "uuid: expected 32 hex digits (8-4-4-4-12), got 0 characters"},
    {"0f8fad5b-d9cb-469f-a165-70867728950", "",
     "uuid: expected 32 hex digits (8-4-4-4-12), got 35 characters"},
    {"0f8fad5b-d9cb-469f-a165-70867728950e0", "",
     "uuid: expected 32 hex digits (8-4-4-4-12), got 37 characters"},
    {" 0f8fad5b-d9cb-469f-a165-70867728950e", "",
     "uuid: expected 32 hex digits (8-4-4-4-12), got 37 characters"},
    {"0f8fad5b-d9cb-469f-a165-70867728950e}", "",
     "uuid: expected 32 hex digits (8-4-4-4-12), got 37 characters"},
    {"{0f8fad5b-d9cb-469f-a165-70867728950e", "", "uuid: an opening '{' needs a closing '}'"},
    {"0f8fad5b_d9cb-469f-a165-70867728950e", "", "uuid: expected '-' at position 8"},
    {"0f8fad5b-d9cb-469f-a165_70867728950e", "", "uuid: expected '-' at position 23"},
    {"0f8fad5g-d9cb-469f-a165-70867728950e", "", "uuid: invalid hex digit at position 7"},
    {"0f8fad5b-d9cb-469f-a165-70867728950z", "", "uuid: invalid hex digit at position 35"},
    {"0f8fad5b-d9cb-469f-a165-7086772895-e", "", "uuid: invalid hex digit at position 34"},
    {"urn:uuid:0f8fad5b-d9cb-469f-a165-708", "", "uuid: invalid hex digit at position 0"},
};

template <class Id>
void check_id_table() {
  for (const auto& row : id_cases) {
    INFO("input '" << std::string{row.input} << "'");
    const auto parsed = Id::parse(row.input);
    if (row.formatted.empty()) {
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().message == row.error);
    } else {
      REQUIRE(parsed.has_value());
      CHECK(parsed->to_string() == row.formatted);
      // Formatting and parsing again gives the same id.
      const auto again = Id::parse(parsed->to_string());
      REQUIRE(again.has_value());
      CHECK(*again == *parsed);
    }
  }
}

template <class Id>
void check_random_ids() {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const Id id = Id::random();
    const auto& bytes = id.value().bytes();
    CHECK((bytes[6] >> 4) == 4);        // version 4
    CHECK((bytes[8] & 0xC0) == 0x80);   // RFC 4122 variant
    const std::string text = id.to_string();
    CHECK(text[14] == '4');
    CHECK(std::string_view{"89ab"}.find(text[19]) != std::string_view::npos);
    seen.insert(text);
  }
  CHECK(seen.size() == 1000);
}

// The seven id kinds, as distinct types that do not convert into each other.
static_assert(!std::is_same_v<cat::job_id, cat::task_id>);
static_assert(!std::is_convertible_v<cat::job_id, cat::task_id>);
static_assert(!std::is_constructible_v<cat::task_id, cat::job_id>);
static_assert(!std::is_convertible_v<cat::machine_id, cat::instance_id>);
static_assert(!std::is_convertible_v<cat::scaleset_id, cat::pool_id>);
static_assert(!std::is_convertible_v<cat::run_id, cat::task_id>);
static_assert(!std::is_convertible_v<tel::uuid, cat::job_id>);  // explicit: say job_id{uuid}
static_assert(!std::is_assignable_v<tel::central<cat::task_id>&, cat::job_id>);
static_assert(sizeof(cat::job_id) == 16);
// The agent's scaleset_id is the VMSS name: text, so never a central value.
static_assert(!tel::central_value<cat::scaleset_name>);
static_assert(tel::central_value<cat::scaleset_id>);

}  // namespace

TEMPLATE_TEST_CASE("id types parse and format as the original's Uuid", "[catalog][ids]",
                   cat::instance_id, cat::job_id, cat::task_id, cat::machine_id, cat::scaleset_id,
                   cat::pool_id, cat::run_id) {
  check_id_table<TestType>();
}

TEMPLATE_TEST_CASE("random ids differ and are version 4", "[catalog][ids]", cat::instance_id,
                   cat::job_id, cat::task_id, cat::machine_id, cat::scaleset_id, cat::pool_id,
                   cat::run_id) {
  check_random_ids<TestType>();
}

TEST_CASE("an id made from a uuid keeps it", "[catalog][ids]") {
  const auto value = tel::uuid::random();
  const cat::job_id job{value};
  CHECK(job.value() == value);
  CHECK(job.to_string() == value.to_string());
  CHECK(cat::job_id{}.value().is_nil());
}

namespace {

// The wire names listed in docs/catalog.md ("Enums"), in the order of the enum's values.
template <class E>
const std::vector<std::string_view> reference_names;

template <>
const std::vector<std::string_view> reference_names<cat::task_type> = {
    "coverage",          "dotnet_coverage",      "dotnet_crash_report", "libfuzzer_dotnet_fuzz",
    "libfuzzer_fuzz",    "libfuzzer_coverage",   "libfuzzer_crash_report", "libfuzzer_merge",
    "libfuzzer_regression", "generic_analysis",  "generic_supervisor",  "generic_merge",
    "generic_generator", "generic_crash_report", "generic_regression"};
template <>
const std::vector<std::string_view> reference_names<cat::job_state> = {"init", "enabled", "stopping",
                                                                       "stopped"};
template <>
const std::vector<std::string_view> reference_names<cat::task_state> = {
    "init", "waiting", "scheduled", "setting_up", "running", "stopping", "stopped", "wait_job"};
template <>
const std::vector<std::string_view> reference_names<cat::scaleset_state> = {
    "init", "setup", "resize", "running", "shutdown", "halt", "creation_failed"};
template <>
const std::vector<std::string_view> reference_names<cat::pool_state> = {"init", "running",
                                                                        "shutdown", "halt"};
template <>
const std::vector<std::string_view> reference_names<cat::node_state> = {
    "init", "free", "setting_up", "rebooting", "ready", "busy", "done", "shutdown", "halt"};
template <>
const std::vector<std::string_view> reference_names<cat::node_task_state> = {"init", "setting_up",
                                                                             "running"};
template <>
const std::vector<std::string_view> reference_names<cat::os> = {"windows", "linux"};
template <>
const std::vector<std::string_view> reference_names<cat::vm_state> = {
    "init", "extensions_launch", "extensions_failed", "vm_allocation_failed",
    "running", "stopping", "stopped"};
template <>
const std::vector<std::string_view> reference_names<tel::role> = {"agent", "proxy", "supervisor",
                                                                  "service"};

}  // namespace

TEMPLATE_TEST_CASE("every enum value has its reference wire name and round-trips",
                   "[catalog][enums]", cat::task_type, cat::job_state, cat::task_state,
                   cat::scaleset_state, cat::pool_state, cat::node_state, cat::node_task_state,
                   cat::os, cat::vm_state, tel::role) {
  const auto& names = reference_names<TestType>;
  REQUIRE(tel::wire_names_of<TestType>.names.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto value = static_cast<TestType>(i);
    INFO(tel::wire_names_of<TestType>.type_name << " value " << i);
    CHECK(tel::wire_name(value) == names[i]);
    const auto parsed = tel::parse_wire_name<TestType>(names[i]);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == value);
  }
  // One past the last value has no wire name.
  CHECK(tel::wire_name(static_cast<TestType>(names.size())).empty());
}

TEMPLATE_TEST_CASE("an unknown wire name is an error that lists the accepted names",
                   "[catalog][enums]", cat::task_type, cat::job_state, cat::task_state,
                   cat::scaleset_state, cat::pool_state, cat::node_state, cat::node_task_state,
                   cat::os, cat::vm_state) {
  const auto& names = reference_names<TestType>;
  std::string expected{tel::wire_names_of<TestType>.type_name};
  expected += ": unknown wire name 'no_such_value' (expected one of:";
  for (auto name : names) {
    expected += ' ';
    expected += name;
  }
  expected += ')';
  const auto parsed = tel::parse_wire_name<TestType>("no_such_value");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == expected);
  // Matching is exact: the C# service's PascalCase and stray spaces are not wire names.
  for (auto name : names) {
    std::string upper{name};
    upper[0] = static_cast<char>(upper[0] - 'a' + 'A');
    CHECK_FALSE(tel::parse_wire_name<TestType>(upper).has_value());
    CHECK_FALSE(tel::parse_wire_name<TestType>(std::string{name} + " ").has_value());
  }
  CHECK_FALSE(tel::parse_wire_name<TestType>("").has_value());
}

TEST_CASE("os names its linux enumerator linux_os but sends \"linux\"", "[catalog][enums]") {
  CHECK(tel::wire_name(cat::os::linux_os) == "linux");
  CHECK(*tel::parse_wire_name<cat::os>("linux") == cat::os::linux_os);
  CHECK(tel::parse_wire_name<cat::os>("Linux").error().message ==
        "os: unknown wire name 'Linux' (expected one of: windows linux)");
}

TEST_CASE("the enum type names are the ones the privacy manifest prints", "[catalog][enums]") {
  CHECK(tel::type_name_of<cat::task_type>() == "task_type");
  CHECK(tel::type_name_of<cat::job_state>() == "job_state");
  CHECK(tel::type_name_of<cat::task_state>() == "task_state");
  CHECK(tel::type_name_of<cat::scaleset_state>() == "scaleset_state");
  CHECK(tel::type_name_of<cat::pool_state>() == "pool_state");
  CHECK(tel::type_name_of<cat::node_state>() == "node_state");
  CHECK(tel::type_name_of<cat::node_task_state>() == "node_task_state");
  CHECK(tel::type_name_of<cat::os>() == "os");
  CHECK(tel::type_name_of<cat::vm_state>() == "vm_state");
}
