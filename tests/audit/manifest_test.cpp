// Tests the manifest tool's output: the JSON (parsed back with Boost.JSON) lists every
// catalog event and context with the right sharing, channels, projections and grammars, and
// the Markdown generator says what the compiler cannot prove and refuses missing or stale
// descriptions.
#include "catalog_manifest.hpp"
#include "markdown.hpp"

#include <onefuzz/telemetry/audit/manifest.hpp>
#include <onefuzz/telemetry/catalog.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace audit = onefuzz::telemetry::audit;
namespace cat = onefuzz::telemetry::catalog;
namespace manifest = onefuzz::manifest;

// The manifest as a reader gets it: written as the tool writes it, then parsed back.
const boost::json::object& parsed_manifest() {
  static const boost::json::object parsed =
      boost::json::parse(audit::pretty_json(manifest::catalog_manifest())).as_object();
  return parsed;
}

std::string str(const boost::json::value& value) { return std::string{value.as_string()}; }

// The event entry of a C++ type name.
const boost::json::object& event_of(const std::string& type) {
  for (const auto& event : parsed_manifest().at("events").as_array()) {
    if (str(event.at("type")) == type) return event.as_object();
  }
  FAIL("no event of type " << type);
  throw std::logic_error("unreachable");
}

const boost::json::object& field_of(const boost::json::object& owner, const std::string& name) {
  for (const auto& field : owner.at("fields").as_array()) {
    if (str(field.at("name")) == name) return field.as_object();
  }
  FAIL("no field " << name);
  throw std::logic_error("unreachable");
}

// name -> sharing, for one event or context.
std::map<std::string, std::string> sharing_of(const boost::json::object& owner) {
  std::map<std::string, std::string> out;
  for (const auto& field : owner.at("fields").as_array()) {
    out.emplace(str(field.at("name")), str(field.at("sharing")));
  }
  return out;
}

TEST_CASE("the manifest lists every catalog event, in catalog order, once", "[audit][manifest]") {
  std::vector<std::pair<std::string, std::string>> expected;  // type, source
  boost::hana::for_each(cat::agent_event_types, [&](auto type) {
    expected.emplace_back(audit::type_name<typename decltype(type)::type>, "agent");
  });
  boost::hana::for_each(cat::service_event_types, [&](auto type) {
    expected.emplace_back(audit::type_name<typename decltype(type)::type>, "service");
  });
  const auto& events = parsed_manifest().at("events").as_array();
  REQUIRE(events.size() == expected.size());
  REQUIRE(events.size() == 22);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(str(events[i].at("type")) == expected[i].first);
    CHECK(str(events[i].at("source")) == expected[i].second);
  }
}

TEST_CASE("events carry name, variant and metric twin as docs/catalog.md says", "[audit][manifest]") {
  const auto& libfuzzer = event_of("libfuzzer_runtime_stats");
  CHECK(str(libfuzzer.at("name")) == "runtime_stats");
  CHECK(str(libfuzzer.at("variant")) == "libfuzzer");
  CHECK(libfuzzer.at("metric_twin").as_bool());
  const auto& afl = event_of("afl_runtime_stats");
  CHECK(str(afl.at("name")) == "runtime_stats");
  CHECK(str(afl.at("variant")) == "afl");
  CHECK_FALSE(afl.at("metric_twin").as_bool());
  CHECK(event_of("task_start").at("variant").is_null());
  CHECK(event_of("new_result").at("metric_twin").as_bool());
  CHECK_FALSE(event_of("process_stats").at("metric_twin").as_bool());
  CHECK_FALSE(event_of("job_state_changed").at("metric_twin").as_bool());
}

TEST_CASE("fields have the sharing of docs/catalog.md", "[audit][manifest]") {
  using sharing = std::map<std::string, std::string>;
  CHECK(sharing_of(event_of("coverage_data")) ==
        sharing{{"covered", "central"}, {"features", "central"}, {"rate", "central"}});
  CHECK(sharing_of(event_of("new_unique_report")) == sharing{{"path", "instance"}});
  CHECK(sharing_of(event_of("task_start")) ==
        sharing{{"event_type", "central"}, {"tool_name", "reviewed"}});
  CHECK(sharing_of(event_of("afl_runtime_stats")) ==
        sharing{{"mode", "reviewed"},
                {"coverage_paths", "central"},
                {"pid", "instance"},
                {"count", "central"},
                {"coverage_paths_favored", "central"},
                {"coverage_paths_found", "central"},
                {"coverage_paths_imported", "central"},
                {"execs_sec", "central"},
                {"coverage", "central"},
                {"command_line", "instance"},
                {"coverage_paths_depth", "central"}});
  CHECK(sharing_of(event_of("process_stats")) ==
        sharing{{"worker_id", "central"}, {"run_id", "central"}, {"name", "instance"},
                {"pid", "instance"}, {"process_status", "instance"}, {"cpu_usage", "central"},
                {"physical_memory", "central"}, {"virtual_memory", "central"}});
  CHECK(sharing_of(event_of("scaleset_state_changed")) ==
        sharing{{"scaleset_id", "central"}, {"os", "central"}, {"vm_sku", "reviewed"},
                {"size", "central"}, {"spot_instances", "central"}, {"state", "central"}});

  const auto& count = field_of(event_of("libfuzzer_runtime_stats"), "count");
  CHECK(str(count.at("type")) == "u64");
  CHECK_FALSE(count.at("optional").as_bool());
  const auto& run_id = field_of(event_of("libfuzzer_runtime_stats"), "run_id");
  CHECK(str(run_id.at("type")) == "uuid");
  CHECK(str(run_id.at("declared_type")) == "run_id");
  CHECK(run_id.at("optional").as_bool());
  CHECK(str(field_of(event_of("new_result"), "path").at("type")) == "string");
}

TEST_CASE("reviewed fields carry their projection rule, and only they do", "[audit][manifest]") {
  const std::map<std::string, std::pair<std::string, std::string_view>> reviewed = {
      {"task_start", {"tool_name", cat::tool_name::projection}},
      {"afl_runtime_stats", {"mode", cat::afl_mode::projection}},
      {"scaleset_state_changed", {"vm_sku", cat::vm_sku::projection}},
  };
  for (const auto& [type, expected] : reviewed) {
    const auto& field = field_of(event_of(type), expected.first);
    CHECK(str(field.at("sharing")) == "reviewed");
    CHECK(str(field.at("type")) == "string");
    CHECK(str(field.at("projection")) == expected.second);
  }
  CHECK(str(field_of(event_of("task_start"), "tool_name").at("projection")).starts_with("file name only"));
  std::size_t with_projection = 0;
  for (const auto& event : parsed_manifest().at("events").as_array()) {
    for (const auto& field : event.at("fields").as_array()) {
      const bool has = field.as_object().contains("projection");
      with_projection += has;
      CHECK(has == (str(field.at("sharing")) == "reviewed"));
    }
  }
  CHECK(with_projection == 3);
}

// name -> channel, for the central fields of one event or context (instance fields have none).
std::map<std::string, std::string> channels_of(const boost::json::object& owner) {
  std::map<std::string, std::string> out;
  for (const auto& field : owner.at("fields").as_array()) {
    if (const auto* channel = field.as_object().if_contains("channel")) {
      out.emplace(str(field.at("name")), str(*channel));
    }
  }
  return out;
}

const boost::json::object& context_of(const std::string& role) {
  for (const auto& context : parsed_manifest().at("context").as_array()) {
    if (str(context.at("role")) == role) return context.as_object();
  }
  FAIL("no context with role " << role);
  throw std::logic_error("unreachable");
}

TEST_CASE("central fields carry their channel, worked out from their types", "[audit][manifest]") {
  using channels = std::map<std::string, std::string>;
  // coverage_data: u64 covered and features, f64 rate.
  CHECK(channels_of(event_of("coverage_data")) ==
        channels{{"covered", "count"}, {"features", "count"}, {"rate", "measure"}});
  // task_start: the task_type enum, the reviewed tool_name.
  CHECK(channels_of(event_of("task_start")) ==
        channels{{"event_type", "enum"}, {"tool_name", "projection"}});
  // process_stats: ids worker_id (u64) and run_id (uuid), f32 cpu_usage, u64 memory; name,
  // pid and process_status are instance-only, so have no channel.
  CHECK(channels_of(event_of("process_stats")) ==
        channels{{"worker_id", "count"}, {"run_id", "identifier"}, {"cpu_usage", "measure"},
                 {"physical_memory", "count"}, {"virtual_memory", "count"}});
  // scaleset_state_changed: every kind but version.
  CHECK(channels_of(event_of("scaleset_state_changed")) ==
        channels{{"scaleset_id", "identifier"}, {"os", "enum"}, {"vm_sku", "projection"},
                 {"size", "count"}, {"spot_instances", "flag"}, {"state", "enum"}});
  // The agent's context: ids, the version, the role enum; scaleset_id (a name) is instance-only.
  CHECK(channels_of(context_of("agent")) ==
        channels{{"job_id", "identifier"}, {"task_id", "identifier"}, {"machine_id", "identifier"},
                 {"version", "version"}, {"instance_id", "identifier"}, {"role", "enum"}});
  CHECK_FALSE(field_of(event_of("new_result"), "path").contains("channel"));

  // Exactly the central fields have a channel, and it is one of the seven.
  const std::set<std::string> known = {"identifier", "count", "measure", "enum",
                                       "projection", "flag", "version"};
  std::size_t central = 0;
  std::set<std::string> seen;
  const auto check_owner = [&](const boost::json::value& owner) {
    for (const auto& value : owner.at("fields").as_array()) {
      const auto& field = value.as_object();
      INFO(str(owner.at("type")) << "." << str(field.at("name")));
      const bool is_central = str(field.at("sharing")) != "instance";
      central += is_central;
      REQUIRE(field.contains("channel") == is_central);
      if (!is_central) continue;
      const std::string channel = str(field.at("channel"));
      CHECK(known.contains(channel));
      seen.insert(channel);
      CHECK((channel == "projection") == (str(field.at("sharing")) == "reviewed"));
    }
  };
  for (const auto& event : parsed_manifest().at("events").as_array()) check_owner(event);
  for (const auto& context : parsed_manifest().at("context").as_array()) check_owner(context);
  CHECK(seen == known);  // the catalog uses every channel
  CHECK(central > 0);
}

TEST_CASE("reviewed fields and types list the grammar of their central form", "[audit][manifest]") {
  // From the types' central_grammar declarations: tool_name {"A-Za-z0-9._+-", 64} (minimum
  // 1 by default), afl_mode {"a-ik-v_ ", 128, 4}, vm_sku {"A-Za-eh-il-pr-tvx0-9_-", 48, 5}.
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"task_start", {"tool_name", "[A-Za-z0-9._+-]{1,64}"}},
      {"afl_runtime_stats", {"mode", "[a-ik-v_ ]{4,128}"}},
      {"scaleset_state_changed", {"vm_sku", "[A-Za-eh-il-pr-tvx0-9_-]{5,48}"}},
  };
  for (const auto& [type, field_grammar] : expected) {
    const auto& field = field_of(event_of(type), field_grammar.first);
    CHECK(str(field.at("channel")) == "projection");
    CHECK(str(field.at("grammar")) == field_grammar.second);
  }
  // The grammar follows the rule text, so one line of the manifest reads rule, then grammar.
  const auto& tool = field_of(event_of("task_start"), "tool_name");
  std::vector<std::string> keys;
  for (const auto& member : tool) keys.emplace_back(member.key());
  CHECK(keys == std::vector<std::string>{"name", "type", "declared_type", "kind", "optional",
                                         "sharing", "channel", "projection", "grammar"});
  std::size_t with_grammar = 0;
  for (const auto& event : parsed_manifest().at("events").as_array()) {
    for (const auto& field : event.at("fields").as_array()) {
      with_grammar += field.as_object().contains("grammar");
      CHECK(field.as_object().contains("grammar") == field.as_object().contains("projection"));
    }
  }
  CHECK(with_grammar == 3);

  std::map<std::string, std::string> type_grammars;
  for (const auto& type : parsed_manifest().at("types").as_array()) {
    if (const auto* grammar = type.as_object().if_contains("grammar")) {
      CHECK(str(type.at("kind")) == "reviewed");
      type_grammars.emplace(str(type.at("name")), str(*grammar));
    }
  }
  CHECK(type_grammars ==
        std::map<std::string, std::string>{{"afl_mode", "[a-ik-v_ ]{4,128}"},
                                           {"tool_name", "[A-Za-z0-9._+-]{1,64}"},
                                           {"vm_sku", "[A-Za-eh-il-pr-tvx0-9_-]{5,48}"}});
  // The same text as audit::grammar_label, which a minimum other than 1 also shows.
  CHECK(audit::grammar_label(onefuzz::telemetry::projection_grammar{"a-f0-9", 40, 7}) ==
        "[a-f0-9]{7,40}");
}

TEST_CASE("contexts are listed per role with their sharing", "[audit][manifest]") {
  const auto& contexts = parsed_manifest().at("context").as_array();
  REQUIRE(contexts.size() == 4);
  std::map<std::string, std::map<std::string, std::string>> by_role;
  for (const auto& context : contexts) {
    by_role.emplace(str(context.at("role")), sharing_of(context.as_object()));
  }
  using sharing = std::map<std::string, std::string>;
  CHECK(by_role.at("agent") == sharing{{"job_id", "central"}, {"task_id", "central"},
                                       {"machine_id", "central"}, {"version", "central"},
                                       {"instance_id", "central"}, {"role", "central"},
                                       {"scaleset_id", "instance"}});
  CHECK(by_role.at("supervisor") == sharing{{"instance_id", "central"}, {"machine_id", "central"},
                                            {"version", "central"}, {"role", "central"},
                                            {"scaleset_id", "instance"}});
  CHECK(by_role.at("proxy") == sharing{{"region", "instance"}, {"version", "central"},
                                       {"instance_id", "central"}, {"role", "central"}});
  CHECK(by_role.at("service") ==
        sharing{{"instance_id", "central"}, {"version", "central"}, {"role", "central"}});
}

TEST_CASE("named types: ids, enums with every wire value, reviewed rules", "[audit][manifest]") {
  std::map<std::string, boost::json::object> types;
  for (const auto& type : parsed_manifest().at("types").as_array()) {
    types.emplace(str(type.at("name")), type.as_object());
  }
  for (const char* id : {"instance_id", "job_id", "task_id", "machine_id", "scaleset_id",
                         "pool_id", "run_id"}) {
    INFO(id);
    REQUIRE(types.contains(id));
    CHECK(str(types.at(id).at("kind")) == "id");
  }
  CHECK(types.at("task_type").at("values").as_array().size() == 15);
  CHECK(str(types.at("os").at("values").as_array().at(1)) == "linux");
  CHECK(str(types.at("vm_sku").at("projection")) == cat::vm_sku::projection);
  CHECK_FALSE(types.contains("vm_state"));  // no event carries it (docs/catalog.md)
}

TEST_CASE("the JSON text is deterministic and one field per line", "[audit][manifest]") {
  const std::string first = audit::pretty_json(manifest::catalog_manifest());
  CHECK(first == audit::pretty_json(manifest::catalog_manifest()));
  CHECK(first.find(R"({"name": "count", "type": "u64", "declared_type": "u64", "kind": "integer", "optional": false, "sharing": "central", "channel": "count"})") !=
        std::string::npos);
  CHECK(first.find(R"({"name": "pid", "type": "u32", "declared_type": "u32", "kind": "integer", "optional": true, "sharing": "instance"})") !=
        std::string::npos);
  CHECK(audit::pretty_json(boost::json::parse(R"({"a":[],"b":{},"c":[1,{"d":null}]})")) ==
        "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\"d\": null}\n  ]\n}\n");
}

TEST_CASE("the Markdown has every event and says how to disable central telemetry",
          "[audit][manifest]") {
  const std::string markdown = manifest::render_markdown(manifest::catalog_manifest());
  CHECK(markdown.starts_with("<!-- Generated by onefuzz-manifest"));
  for (const char* text :
       {"## How to disable sending telemetry to Microsoft", "`ONEFUZZ_TELEMETRY`",
        "`ONEFUZZ_MICROSOFT_TELEMETRY_KEY`", "sender_options.destinations.central_disabled = true",
        "## Data sent to Microsoft", "### Definitions of common data types",
        "### Context properties", "#### Role `supervisor`", "### Data recorded by agents",
        "### Data recorded by the service", "#### `runtime_stats` (afl)",
        "#### `node_task_state_changed`",
        "| `pid` | `u32`, optional | no |  |",
        "| `tool_name` | `tool_name` (string), optional | reduced: see `tool_name` | `projection` |",
        "| `covered` | `u64` | yes | `count` |", "| `rate` | `f64` | yes | `measure` |",
        "| `spot_instances` | `bool` | yes | `flag` |",
        "| `version` | `version` | yes | `version` |",
        "| Field | Type | Sent to Microsoft | Channel | Description |",
        "| `[A-Za-z0-9._+-]{1,64}` |"}) {
    INFO(text);
    CHECK(markdown.find(text) != std::string::npos);
  }
  // A '|' from code (vm_sku's rule says "(Standard|Basic)") must not end a table cell.
  CHECK(markdown.find("(Standard\\|Basic)") != std::string::npos);
}

TEST_CASE("the Markdown says what the compiler cannot prove, and how the machine id is sent",
          "[audit][manifest]") {
  const std::string markdown = manifest::render_markdown(manifest::catalog_manifest());
  for (const char* text :
       {"### What the compiler cannot prove",
        // Each channel that can carry data by construction.
        "`count` (an integer, up to 64 bits)", "`measure` (a floating-point number)",
        "a value outside the enumeration's named values is sent as its number",
        "one built from arbitrary bytes carries those 16 bytes",
        "It cannot carry free text of any length", "the commit's 7 to 40 hex digits",
        "a tool's file name is still a name the user chose",
        // What a reviewer must still check by hand.
        "which code computes it", "not derived from user data",
        "what their grammar lets through",
        // Members outside the struct macro.
        "not declared in its `BOOST_HANA_DEFINE_STRUCT`", "are never sent",
        // The machine id: sent raw by default, and the opt-in keyed hash.
        "### The machine id", "By default the machine id is sent to Microsoft as it is",
        "the `agent` context", "the `supervisor` context", "`node_state_changed` (service)",
        "`ONEFUZZ_TELEMETRY_MACHINE_ID_SALT`", "at least 16 characters", "off by default",
        "(see *The machine id*)"}) {
    INFO(text);
    CHECK(markdown.find(text) != std::string::npos);
  }
  // The over-claim the version description used to make is gone.
  CHECK(markdown.find("cannot carry anything else") == std::string::npos);
}

TEST_CASE("a field without a description stops the generator, naming it", "[audit][manifest]") {
  auto document = manifest::catalog_manifest();
  auto& fields = document.at("events").as_array().at(1).as_object().at("fields").as_array();
  boost::json::object extra = fields.at(0).as_object();
  extra["name"] = "brand_new_field";
  fields.emplace_back(std::move(extra));
  CHECK_THROWS_WITH(manifest::render_markdown(document),
                    Catch::Matchers::Contains("no description for 'coverage_data.brand_new_field'"));
}

TEST_CASE("a description of something the catalog lacks stops the generator", "[audit][manifest]") {
  auto document = manifest::catalog_manifest();
  auto& events = document.at("events").as_array();
  // Drop the only event with a `features` field: its description is now stale.
  events.erase(events.begin() + 1);
  CHECK_THROWS_WITH(manifest::render_markdown(document),
                    Catch::Matchers::Contains("'features'") &&
                        Catch::Matchers::Contains("describes what the catalog does not have"));
}

}  // namespace
