// Golden payloads of catalog events: the expected properties are written by hand from the
// original's formats (every value a string, Rust Display numbers, lowercase hyphenated uuids;
// docs/wire-format.md, docs/catalog.md), and every key and value of the serializers' output
// is checked against them, in full and central, in both encodings, and for the metric twins.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/serialize.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace golden_test {

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
namespace json = boost::json;
using namespace std::chrono_literals;

// Wire name → value as the original sends it (always a string, docs/wire-format.md).
using props = std::map<std::string, std::string>;

constexpr std::string_view full_key = "00000000-0000-0000-0000-0000000000aa";
constexpr std::string_view central_key = "00000000-0000-0000-0000-0000000000bb";

// 2024-05-01T12:34:56.789Z
const tel::timestamp when = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 34min +
                            56s + 789ms;

template <class Id>
Id id(std::string_view text) {
  auto parsed = Id::parse(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

constexpr std::string_view version_text = "8.9.0+82fffbe8a1b2c3d4e5f60718293a4b5c6d7e8f90";

// Written in uppercase with braces on purpose: the wire form is lowercase, hyphenated.
constexpr std::string_view job_text = "{8F5E2D3C-1A2B-4C3D-9E8F-0A1B2C3D4E5F}";
constexpr std::string_view job_wire = "8f5e2d3c-1a2b-4c3d-9e8f-0a1b2c3d4e5f";
constexpr std::string_view task_wire = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d";
constexpr std::string_view machine_wire = "c0ffee00-1234-4567-89ab-cdef01234567";
constexpr std::string_view instance_wire = "9d8c7b6a-5f4e-4d3c-ab2a-190817263544";
constexpr std::string_view run_wire = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr std::string_view scaleset_wire = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
constexpr std::string_view pool_wire = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

tel::version test_version() {
  auto parsed = tel::version::parse(version_text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

cat::task_context agent_context() {
  return cat::task_context{.job_id = id<cat::job_id>(job_text),
                           .task_id = id<cat::task_id>(task_wire),
                           .machine_id = id<cat::machine_id>(machine_wire),
                           .version = test_version(),
                           .instance_id = id<cat::instance_id>(instance_wire),
                           .role = tel::role::agent,
                           .scaleset_id = std::string{"alice-fuzz-vmss"}};
}

// The agent context as each destination sees it (docs/catalog.md, "Contexts").
const props agent_full = {{"job_id", std::string{job_wire}},
                          {"task_id", std::string{task_wire}},
                          {"machine_id", std::string{machine_wire}},
                          {"version", std::string{version_text}},
                          {"instance_id", std::string{instance_wire}},
                          {"role", "agent"},
                          {"scaleset_id", "alice-fuzz-vmss"}};
const props agent_central = {{"job_id", std::string{job_wire}},
                             {"task_id", std::string{task_wire}},
                             {"machine_id", std::string{machine_wire}},
                             {"version", std::string{version_text}},
                             {"instance_id", std::string{instance_wire}},
                             {"role", "agent"}};

cat::service_context service_context() {
  return cat::service_context{.instance_id = id<cat::instance_id>(instance_wire),
                              .version = test_version(),
                              .role = tel::role::service};
}

const props service_props = {{"instance_id", std::string{instance_wire}},
                             {"version", std::string{version_text}},
                             {"role", "service"}};

props with(props base, const props& more) {
  for (const auto& [key, value] : more) base[key] = value;
  return base;
}

// Every key of a JSON object with its value; a value that is not a string is shown with a
// marker so the printed diff says what was wrong.
props strings_of(const json::object& object) {
  props out;
  for (const auto& member : object) {
    const std::string key{member.key()};
    if (member.value().is_string()) {
      out[key] = std::string{member.value().as_string()};
    } else {
      out[key] = "<not a string: " + json::serialize(member.value()) + ">";
    }
  }
  return out;
}

// "key=value" lines, so a failed comparison prints every entry.
template <class Map>
std::vector<std::string> lines(const Map& map) {
  std::vector<std::string> out;
  for (const auto& [key, value] : map) {
    std::ostringstream line;
    line << std::setprecision(17) << key << '=' << value;  // doubles exactly
    out.push_back(line.str());
  }
  return out;
}

template <class S>
std::set<std::string> numeric_fields() {
  std::set<std::string> out;
  for (const auto& field : tel::fields_of<S>) {
    if (field.kind == tel::value_kind::integer || field.kind == tel::value_kind::floating) {
      out.emplace(field.name);
    }
  }
  return out;
}

// The object under key; takes the parent by reference so the result never dangles.
const json::object& object_at(const json::object& parent, std::string_view key) {
  const auto* member = parent.if_contains(key);
  INFO("key " << std::string{key});
  REQUIRE(member != nullptr);
  REQUIRE(member->is_object());
  return member->as_object();
}

const json::object& object_at(const json::value& value, std::string_view key) {
  REQUIRE(value.is_object());
  return object_at(value.as_object(), key);
}

// Checks the envelope around the data: destination, time and the event's name.
void check_envelope(const json::value& root, std::string_view key, bool is_central,
                    std::string_view base_type) {
  const auto& object = root.as_object();
  CHECK(object.at("iKey").as_string() == key);
  CHECK(object.at("time").as_string() == "2024-05-01T12:34:56.789Z");
  const auto& tags = object.at("tags").as_object();
  if (is_central) {
    CHECK(tags.at("ai.cloud.roleInstance").as_string() == "Redacted");
    CHECK(tags.at("ai.device.id").as_string() == "Redacted");
  } else {
    CHECK(tags.at("ai.cloud.roleInstance").as_string() == "golden-host");
  }
  const auto& data = object_at(root, "data");
  CHECK(data.at("baseType").as_string() == base_type);
}

// Checks one event payload. In the onefuzz-compatible encoding every expected value is a
// string property; in the typed encoding numbers are measurements (JSON numbers equal to
// the expected text) and everything else stays a string property.
template <class E, class C>
void check_payload(std::string_view payload, tel::encoding encoding, bool is_central,
                   const props& expected) {
  INFO("payload " << std::string{payload});
  json::value root;
  REQUIRE_NOTHROW(root = json::parse(payload));
  check_envelope(root, is_central ? central_key : full_key, is_central, "EventData");
  const auto& base = object_at(object_at(root, "data"), "baseData");
  CHECK(base.at("name").as_string() == E::event_name);
  const auto& properties = base.at("properties").as_object();
  if (encoding == tel::encoding::onefuzz_compatible) {
    CHECK(lines(strings_of(properties)) == lines(expected));
    // The original never uses measurements (docs/wire-format.md).
    CHECK(base.if_contains("measurements") == nullptr);
    return;
  }
  std::set<std::string> numeric = numeric_fields<E>();
  numeric.merge(numeric_fields<C>());
  props expected_strings;
  std::map<std::string, double> expected_numbers;
  for (const auto& [key, value] : expected) {
    if (numeric.count(key) != 0) {
      expected_numbers[key] = std::stod(value);
    } else {
      expected_strings[key] = value;
    }
  }
  CHECK(lines(strings_of(properties)) == lines(expected_strings));
  std::map<std::string, double> numbers;
  const auto* measurements = base.if_contains("measurements");
  REQUIRE(measurements != nullptr);
  for (const auto& member : measurements->as_object()) {
    INFO("measurement " << std::string{member.key()});
    CHECK(member.value().is_number());
    numbers[std::string{member.key()}] =
        member.value().is_number() ? member.value().to_number<double>() : -1.0;
  }
  CHECK(lines(numbers) == lines(expected_numbers));
}

template <class E>
void check_metric(std::string_view payload, bool is_central, const props& expected) {
  INFO("metric payload " << std::string{payload});
  json::value root;
  REQUIRE_NOTHROW(root = json::parse(payload));
  check_envelope(root, is_central ? central_key : full_key, is_central, "MetricData");
  const auto& base = object_at(object_at(root, "data"), "baseData");
  const auto& metrics = base.at("metrics").as_array();
  REQUIRE(metrics.size() == 1);
  CHECK(metrics[0].as_object().at("name").as_string() == E::event_name);
  CHECK(metrics[0].as_object().at("value").to_number<double>() == 1.0);
  // A metric twin carries the event's fields as string properties (docs/catalog.md, "Agent events").
  CHECK(lines(strings_of(base.at("properties").as_object())) == lines(expected));
}

// Writes event with context to both destinations in both encodings (and the metric twin
// when the event has one) and checks every property against the expectations.
template <class E, class C>
void check_golden(const E& event, const C& context, const props& full, const props& central) {
  const tel::full_envelope full_destination{tel::envelope_options{
      .instrumentation_key = std::string{full_key},
      .cloud_role = tel::role::agent,
      .role_instance = "golden-host",
      .device_id = "golden-host",
  }};
  const tel::central_envelope central_destination{central_key, tel::role::agent};
  tel::output_buffer out;
  {
    INFO("full, onefuzz_compatible");
    out.clear();
    tel::write_full<tel::encoding::onefuzz_compatible>(out, full_destination, when, event, context);
    check_payload<E, C>(out.view(), tel::encoding::onefuzz_compatible, false, full);
  }
  {
    INFO("central, onefuzz_compatible");
    out.clear();
    tel::write_central<tel::encoding::onefuzz_compatible>(out, central_destination, when, event,
                                                          context);
    check_payload<E, C>(out.view(), tel::encoding::onefuzz_compatible, true, central);
  }
  {
    INFO("full, typed");
    out.clear();
    tel::write_full<tel::encoding::typed>(out, full_destination, when, event, context);
    check_payload<E, C>(out.view(), tel::encoding::typed, false, full);
  }
  {
    INFO("central, typed");
    out.clear();
    tel::write_central<tel::encoding::typed>(out, central_destination, when, event, context);
    check_payload<E, C>(out.view(), tel::encoding::typed, true, central);
  }
  if constexpr (tel::has_metric_twin_v<E>) {
    INFO("metric twins");
    out.clear();
    tel::write_metric_full(out, full_destination, when, event, context);
    check_metric<E>(out.view(), false, full);
    out.clear();
    tel::write_metric_central(out, central_destination, when, event, context);
    check_metric<E>(out.view(), true, central);
  }
}

}  // namespace

TEST_CASE("golden: task_start", "[catalog][golden]") {
  SECTION("the radamsa template's generator: central gets the file name") {
    cat::task_start event;
    event.event_type = cat::task_type::generic_generator;
    event.tool_name = cat::tool_name{"{tools_dir}/radamsa"};
    check_golden(event, agent_context(),
                 with(agent_full, {{"event_type", "generic_generator"},
                                   {"tool_name", "{tools_dir}/radamsa"}}),
                 with(agent_central, {{"event_type", "generic_generator"}, {"tool_name", "radamsa"}}));
  }
  SECTION("a custom tool under a user's home: the directories stay on the instance") {
    cat::task_start event;
    event.event_type = cat::task_type::generic_analysis;
    event.tool_name = cat::tool_name{"/home/alice/tools/crash-triage"};
    check_golden(event, agent_context(),
                 with(agent_full, {{"event_type", "generic_analysis"},
                                   {"tool_name", "/home/alice/tools/crash-triage"}}),
                 with(agent_central,
                      {{"event_type", "generic_analysis"}, {"tool_name", "crash-triage"}}));
  }
  SECTION("a libFuzzer task has no tool_name") {
    cat::task_start event;
    event.event_type = cat::task_type::libfuzzer_fuzz;
    check_golden(event, agent_context(), with(agent_full, {{"event_type", "libfuzzer_fuzz"}}),
                 with(agent_central, {{"event_type", "libfuzzer_fuzz"}}));
  }
}

TEST_CASE("golden: coverage_data", "[catalog][golden]") {
  SECTION("full coverage: rate 1.0 is sent as \"1\"") {
    cat::coverage_data event;
    event.covered = 42u;
    event.features = 42u;
    event.rate = 1.0;
    const props fields = {{"covered", "42"}, {"features", "42"}, {"rate", "1"}};
    check_golden(event, agent_context(), with(agent_full, fields), with(agent_central, fields));
  }
  SECTION("partial coverage") {
    cat::coverage_data event;
    event.covered = 1234u;
    event.features = 5000u;
    event.rate = 0.2468;
    const props fields = {{"covered", "1234"}, {"features", "5000"}, {"rate", "0.2468"}};
    check_golden(event, agent_context(), with(agent_full, fields), with(agent_central, fields));
  }
}

TEST_CASE("golden: runtime_stats from libFuzzer", "[catalog][golden]") {
  SECTION("at HEAD: count and execs_sec summed over workers") {
    cat::libfuzzer_runtime_stats event;
    event.count = 123456u;
    event.execs_sec = 2666.67;
    const props fields = {{"count", "123456"}, {"execs_sec", "2666.67"}};
    check_golden(event, agent_context(), with(agent_full, fields), with(agent_central, fields));
  }
  SECTION("the document era: per worker, with worker_id and run_id (all central)") {
    cat::libfuzzer_runtime_stats event;
    event.count = 0u;
    event.execs_sec = 0.5;
    event.worker_id = std::uint64_t{3};
    event.run_id = id<cat::run_id>("0F8FAD5B-D9CB-469F-A165-70867728950E");
    const props fields = {{"count", "0"},
                          {"execs_sec", "0.5"},
                          {"worker_id", "3"},
                          {"run_id", std::string{run_wire}}};
    check_golden(event, agent_context(), with(agent_full, fields), with(agent_central, fields));
  }
}

TEST_CASE("golden: runtime_stats from AFL", "[catalog][golden]") {
  SECTION("every key of a fuzzer_stats file; pid and command_line stay on the instance") {
    cat::afl_runtime_stats event;
    event.mode = cat::afl_mode{"qemu persistent"};
    event.coverage_paths = std::uint64_t{1597};
    event.pid = std::uint32_t{26515};
    event.count = std::uint64_t{16000000};
    event.coverage_paths_favored = std::uint64_t{120};
    event.coverage_paths_found = std::uint64_t{1500};
    event.coverage_paths_imported = std::uint64_t{0};
    event.execs_sec = 2666.67;
    event.coverage = 12.5;
    event.command_line = std::string{"afl-fuzz -i /home/alice/in -o out -- ./target \"@@\""};
    const props central_fields = {{"mode", "qemu persistent"},
                                  {"coverage_paths", "1597"},
                                  {"count", "16000000"},
                                  {"coverage_paths_favored", "120"},
                                  {"coverage_paths_found", "1500"},
                                  {"coverage_paths_imported", "0"},
                                  {"execs_sec", "2666.67"},
                                  {"coverage", "12.5"}};
    check_golden(event, agent_context(),
                 with(with(agent_full, central_fields),
                      {{"pid", "26515"},
                       {"command_line", "afl-fuzz -i /home/alice/in -o out -- ./target \"@@\""}}),
                 with(agent_central, central_fields));
  }
  SECTION("an AFL++ 4 file: no paths_* keys, and a mode that is not AFL's own words") {
    cat::afl_runtime_stats event;
    event.mode = cat::afl_mode{"alice-custom-build"};
    event.count = std::uint64_t{10};
    event.execs_sec = 100.0;
    check_golden(event, agent_context(),
                 with(agent_full,
                      {{"mode", "alice-custom-build"}, {"count", "10"}, {"execs_sec", "100"}}),
                 with(agent_central, {{"mode", "other"}, {"count", "10"}, {"execs_sec", "100"}}));
  }
}

TEST_CASE("golden: new_report (central gets the bare event)", "[catalog][golden]") {
  cat::new_report event;
  event.path = std::string{"3f2504e0-4f89-41d3-9a0c-0305e82c3301.json"};
  check_golden(event, agent_context(),
               with(agent_full, {{"path", "3f2504e0-4f89-41d3-9a0c-0305e82c3301.json"}}),
               agent_central);
}

TEST_CASE("golden: process_stats (document era)", "[catalog][golden]") {
  cat::process_stats event;
  event.worker_id = 1u;
  event.run_id = id<cat::run_id>(run_wire);
  event.name = std::string{"fuzz_target_alice"};
  event.pid = 4242u;
  event.process_status = std::string{"Running"};
  event.cpu_usage = 0.1f;  // f32 Display: "0.1"
  event.physical_memory = 204800u;
  event.virtual_memory = 4194304u;
  const props central_fields = {{"worker_id", "1"},
                                {"run_id", std::string{run_wire}},
                                {"cpu_usage", "0.1"},
                                {"physical_memory", "204800"},
                                {"virtual_memory", "4194304"}};
  check_golden(event, agent_context(),
               with(with(agent_full, central_fields),
                    {{"name", "fuzz_target_alice"}, {"pid", "4242"}, {"process_status", "Running"}}),
               with(agent_central, central_fields));
}

TEST_CASE("golden: job_state_changed", "[catalog][golden]") {
  cat::job_state_changed event;
  event.job_id = id<cat::job_id>(job_text);
  event.state = cat::job_state::enabled;
  const props fields = {{"job_id", std::string{job_wire}}, {"state", "enabled"}};
  check_golden(event, service_context(), with(service_props, fields), with(service_props, fields));
}

TEST_CASE("golden: task_state_changed", "[catalog][golden]") {
  SECTION("a task with its own VMs") {
    cat::task_state_changed event;
    event.job_id = id<cat::job_id>(job_text);
    event.task_id = id<cat::task_id>(task_wire);
    event.task_type = cat::task_type::libfuzzer_fuzz;
    event.state = cat::task_state::setting_up;
    event.vm_count = std::uint64_t{2};
    const props fields = {{"job_id", std::string{job_wire}},
                          {"task_id", std::string{task_wire}},
                          {"task_type", "libfuzzer_fuzz"},
                          {"state", "setting_up"},
                          {"vm_count", "2"}};
    check_golden(event, service_context(), with(service_props, fields),
                 with(service_props, fields));
  }
  SECTION("a pool-based task has no vm_count") {
    cat::task_state_changed event;
    event.job_id = id<cat::job_id>(job_text);
    event.task_id = id<cat::task_id>(task_wire);
    event.task_type = cat::task_type::generic_crash_report;
    event.state = cat::task_state::wait_job;
    const props fields = {{"job_id", std::string{job_wire}},
                          {"task_id", std::string{task_wire}},
                          {"task_type", "generic_crash_report"},
                          {"state", "wait_job"}};
    check_golden(event, service_context(), with(service_props, fields),
                 with(service_props, fields));
  }
}

TEST_CASE("golden: scaleset_state_changed", "[catalog][golden]") {
  SECTION("an Azure size name is sent centrally as is") {
    cat::scaleset_state_changed event;
    event.scaleset_id = id<cat::scaleset_id>(scaleset_wire);
    event.os = cat::os::linux_os;
    event.vm_sku = cat::vm_sku{"Standard_D2s_v3"};
    event.size = 10u;
    event.spot_instances = true;
    event.state = cat::scaleset_state::running;
    const props fields = {{"scaleset_id", std::string{scaleset_wire}},
                          {"os", "linux"},
                          {"vm_sku", "Standard_D2s_v3"},
                          {"size", "10"},
                          {"spot_instances", "true"},
                          {"state", "running"}};
    check_golden(event, service_context(), with(service_props, fields),
                 with(service_props, fields));
  }
  SECTION("anything else in vm_sku reaches the central instance as \"other\"") {
    cat::scaleset_state_changed event;
    event.scaleset_id = id<cat::scaleset_id>(scaleset_wire);
    event.os = cat::os::windows;
    event.vm_sku = cat::vm_sku{"alice's test sku"};
    event.size = 0u;
    event.spot_instances = false;
    event.state = cat::scaleset_state::creation_failed;
    const props fields = {{"scaleset_id", std::string{scaleset_wire}},
                          {"os", "windows"},
                          {"size", "0"},
                          {"spot_instances", "false"},
                          {"state", "creation_failed"}};
    check_golden(event, service_context(),
                 with(with(service_props, fields), {{"vm_sku", "alice's test sku"}}),
                 with(with(service_props, fields), {{"vm_sku", "other"}}));
  }
}

TEST_CASE("golden: pool_state_changed", "[catalog][golden]") {
  cat::pool_state_changed event;
  event.pool_id = id<cat::pool_id>(pool_wire);
  event.os = cat::os::windows;
  event.state = cat::pool_state::init;
  event.managed = false;
  const props fields = {{"pool_id", std::string{pool_wire}},
                        {"os", "windows"},
                        {"state", "init"},
                        {"managed", "false"}};
  check_golden(event, service_context(), with(service_props, fields), with(service_props, fields));
}

TEST_CASE("golden: node_state_changed", "[catalog][golden]") {
  SECTION("a scaleset node") {
    cat::node_state_changed event;
    event.machine_id = id<cat::machine_id>(machine_wire);
    event.scaleset_id = id<cat::scaleset_id>(scaleset_wire);
    event.state = cat::node_state::free;
    const props fields = {{"machine_id", std::string{machine_wire}},
                          {"scaleset_id", std::string{scaleset_wire}},
                          {"state", "free"}};
    check_golden(event, service_context(), with(service_props, fields),
                 with(service_props, fields));
  }
  SECTION("an unmanaged node has no scaleset_id") {
    cat::node_state_changed event;
    event.machine_id = id<cat::machine_id>(machine_wire);
    event.state = cat::node_state::setting_up;
    const props fields = {{"machine_id", std::string{machine_wire}}, {"state", "setting_up"}};
    check_golden(event, service_context(), with(service_props, fields),
                 with(service_props, fields));
  }
}

TEST_CASE("golden: node_task_state_changed", "[catalog][golden]") {
  cat::node_task_state_changed event;
  event.machine_id = id<cat::machine_id>(machine_wire);
  event.task_id = id<cat::task_id>(task_wire);
  event.state = cat::node_task_state::setting_up;
  const props fields = {{"machine_id", std::string{machine_wire}},
                        {"task_id", std::string{task_wire}},
                        {"state", "setting_up"}};
  check_golden(event, service_context(), with(service_props, fields), with(service_props, fields));
}

TEST_CASE("golden: supervisor and proxy contexts", "[catalog][golden]") {
  SECTION("supervisor: scaleset_id stays on the instance") {
    const cat::supervisor_context context{.instance_id = id<cat::instance_id>(instance_wire),
                                          .machine_id = id<cat::machine_id>(machine_wire),
                                          .version = test_version(),
                                          .scaleset_id = std::string{"alice-fuzz-vmss"}};
    cat::new_result event;
    event.path = std::string{"crash-0a1b2c"};
    const props central = {{"instance_id", std::string{instance_wire}},
                           {"machine_id", std::string{machine_wire}},
                           {"version", std::string{version_text}},
                           {"role", "supervisor"}};
    check_golden(event, context,
                 with(central, {{"scaleset_id", "alice-fuzz-vmss"}, {"path", "crash-0a1b2c"}}),
                 central);
  }
  SECTION("proxy: region stays on the instance") {
    const cat::proxy_context context{.region = std::string{"westus2"},
                                     .version = test_version(),
                                     .instance_id = id<cat::instance_id>(instance_wire)};
    cat::new_coverage event;
    event.path = std::string{"input-1"};
    const props central = {{"instance_id", std::string{instance_wire}},
                           {"version", std::string{version_text}},
                           {"role", "proxy"}};
    check_golden(event, context, with(central, {{"region", "westus2"}, {"path", "input-1"}}),
                 central);
  }
}

}  // namespace golden_test
