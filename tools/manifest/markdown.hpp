// Renders docs/telemetry.md, the "Data sent to Microsoft" document, from the privacy manifest
// (catalog_manifest) and the hand-written meanings in descriptions.hpp.
#pragma once

#include "descriptions.hpp"

#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/integrations/agent_environment.hpp>
#include <onefuzz/telemetry/reviewed.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/version.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace onefuzz::manifest {

// The command that rewrites the committed files, quoted in the files and in test failures.
inline constexpr std::string_view regenerate_command =
    "cmake --build <build-dir> --target update_privacy_manifest";

// The documented way to turn central telemetry off in code must exist: if the option is
// renamed, the generator stops compiling instead of documenting a setting that is gone.
static_assert(requires(telemetry::transport::destination_overrides overrides) {
  overrides.central_disabled = true;
});

namespace detail {

// A table of descriptions that remembers which were used, so that a description of a field
// that no longer exists is an error rather than a silent leftover.
class description_index {
 public:
  template <std::size_t N>
  description_index(std::string_view table_name, const std::array<description, N>& table)
      : table_name_(table_name) {
    for (const auto& item : table) {
      if (!entries_.emplace(std::string{item.key}, entry{item.text, false}).second) {
        throw std::runtime_error("tools/manifest/descriptions.hpp: " + table_name_ +
                                 " has two entries for '" + std::string{item.key} + "'");
      }
    }
  }

  // The text of the first key present; an error naming what lacks a description otherwise.
  std::string_view find(std::initializer_list<std::string> keys) {
    for (const auto& key : keys) {
      if (auto found = entries_.find(key); found != entries_.end()) {
        found->second.used = true;
        return found->second.text;
      }
    }
    throw std::runtime_error("tools/manifest/descriptions.hpp: " + table_name_ +
                             " has no description for '" + *keys.begin() +
                             "'; add one (say what the value means, not where it goes)");
  }

  // Every description that was never used, as one line, or nothing: such a description
  // describes something the code no longer has.
  [[nodiscard]] std::string unused() const {
    std::string names;
    for (const auto& [key, item] : entries_) {
      if (!item.used) names += " '" + key + "'";
    }
    if (names.empty()) return names;
    return "tools/manifest/descriptions.hpp: " + table_name_ +
           " describes what the catalog does not have:" + names +
           "; remove or rename these entries\n";
  }

 private:
  struct entry {
    std::string_view text;
    bool used;
  };
  std::string table_name_;
  std::map<std::string, entry> entries_;
};

inline std::string text(const boost::json::value& value) {
  return std::string{value.as_string()};
}

// Appended in place: `"`" + std::string{text}` makes g++ 12 at -O2/-O3 report a false
// -Wrestrict inside std::string.
inline std::string code(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '`';
  out += text;
  out += '`';
  return out;
}

// Text from the code (a projection rule) as literal Markdown: every character that could
// start markup or end a table cell is escaped, so a backslash in a rule does not vanish.
inline std::string literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view{"\\`*_[]<>|#"}.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Hand-written Markdown in a table cell: only '|' would end the cell.
inline std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The type column: the declared type, with the wire type when they differ.
inline std::string type_cell(const boost::json::object& field) {
  const std::string declared = text(field.at("declared_type"));
  const std::string wire = text(field.at("type"));
  std::string cell = code(declared);
  if (declared != wire && text(field.at("kind")) != "enum") cell += " (" + wire + ")";
  if (field.at("optional").as_bool()) cell += ", optional";
  return cell;
}

// The channel column: how a central value could carry information (audit/manifest.hpp);
// empty for a field sent to the user's instance only.
inline std::string channel_cell(const boost::json::object& field) {
  if (const auto* channel = field.if_contains("channel")) return code(text(*channel));
  return "";
}

inline std::string sharing_cell(const boost::json::object& field) {
  const std::string sharing = text(field.at("sharing"));
  if (sharing == "central") return "yes";
  if (sharing == "reviewed") return "reduced: see " + code(text(field.at("declared_type")));
  return "no";
}

// The document says what the central envelope carries; that sentence is checked against the
// code here, so a tag added to or changed in the central envelope stops the generator
// instead of leaving the document wrong.
inline void check_central_envelope() {
  const telemetry::central_envelope envelope("00000000-0000-0000-0000-000000000000",
                                             telemetry::role::agent);
  const std::string text = std::string{envelope.prefix()} + "2024-01-01T00:00:00.000Z\"}";
  const auto tags = boost::json::parse(text).at("tags").as_object();
  const boost::json::object described = {
      {"ai.cloud.role", "agent"},
      {"ai.internal.sdkVersion",
       "onefuzz-telemetry-cpp:" + std::string{telemetry::library_version}},
      {"ai.cloud.roleInstance", "Redacted"},
      {"ai.device.id", "Redacted"},
      {"ai.location.ip", "0.0.0.0"},
  };
  if (tags != described) {
    throw std::runtime_error(
        "the central envelope's tags are now " + boost::json::serialize(tags) +
        "; update the envelope sentence in tools/manifest/markdown.hpp and this check");
  }
}

struct counts {
  std::size_t fields = 0;
  std::size_t central = 0;
  std::size_t reviewed = 0;
};

inline void count_fields(const boost::json::array& fields, counts& total) {
  for (const auto& field : fields) {
    const std::string sharing = text(field.at("sharing"));
    ++total.fields;
    total.central += sharing != "instance";
    total.reviewed += sharing == "reviewed";
  }
}

inline void field_table(std::string& out, const std::string& owner, const boost::json::array& fields,
                        std::string_view first_column, description_index& meanings) {
  out += "| " + std::string{first_column} +
         " | Type | Sent to Microsoft | Channel | Description |\n";
  out += "|---|---|---|---|---|\n";
  for (const auto& value : fields) {
    const auto& field = value.as_object();
    const std::string name = text(field.at("name"));
    out += "| " + code(name) + " | " + type_cell(field) + " | " + sharing_cell(field) + " | " +
           channel_cell(field) + " | " + cell(meanings.find({owner + "." + name, name})) + " |\n";
  }
}

inline void events_section(std::string& out, const boost::json::array& events,
                           std::string_view source, description_index& summaries,
                           description_index& meanings) {
  for (const auto& value : events) {
    const auto& event = value.as_object();
    if (text(event.at("source")) != source) continue;
    const std::string type = text(event.at("type"));
    out += "#### " + code(text(event.at("name")));
    if (!event.at("variant").is_null()) out += " (" + text(event.at("variant")) + ")";
    out += "\n\n" + std::string{summaries.find({type})} + " C++: `catalog::" + type + "`.";
    const auto& fields = event.at("fields").as_array();
    counts central;
    count_fields(fields, central);
    if (central.central == 0) {
      out += " Sent to Microsoft as the event name only, with the context properties.";
    }
    if (event.at("metric_twin").as_bool()) {
      out += " Metric twin: also sent as a customMetric " + code(text(event.at("name"))) +
             " with value 1.";
    }
    out += "\n\n";
    if (!fields.empty()) {
      field_table(out, type, fields, "Field", meanings);
      out += "\n";
    }
  }
}

// What the types guarantee about the values sent to Microsoft, what they cannot, and what a
// reviewer must therefore still check by hand.
inline void limits_section(std::string& out) {
  out += "### What the compiler cannot prove\n\n";
  out += "The compiler checks the *kind* of every value sent to Microsoft: a string or a path "
         "cannot be declared `central`, a reviewed value reaches the central instance only as "
         "its projection and only when the projection fits the type's grammar, and this "
         "document is generated from the same types, so it lists every field sent. Members of an event or context that are not "
         "declared in its `BOOST_HANA_DEFINE_STRUCT` (or listed in its "
         "`BOOST_HANA_ADAPT_STRUCT`) are never sent, to either instance.\n\n";
  out += "It cannot check what a value means, nor where it comes from. Every value sent to "
         "Microsoft can carry information by construction, within its *channel* (the Channel "
         "column of the tables below):\n\n";
  out += "- `count` (an integer, up to 64 bits) and `measure` (a floating-point number): "
         "whatever the code that computes them puts in them; 64 bits are 8 bytes of anything.\n";
  out += "- `enum`: one of the names listed under *Enumerations*; but a value outside the "
         "enumeration's named values is sent as its number, so an enumeration set from "
         "arbitrary data carries that data.\n";
  out += "- `identifier`: a uuid is 16 bytes. One generated at random, or read from the "
         "operating system, carries nothing else; one built from arbitrary bytes carries those "
         "16 bytes. It cannot carry free text of any length: every id is sent as exactly 36 "
         "characters (`8-4-4-4-12` hex digits).\n";
  out += "- `version`: the numbers (up to 5 digits each) and the commit's 7 to 40 hex digits "
         "(up to 20 bytes) are whatever the code that sets them puts there, normally the "
         "build; the grammar keeps out free text, not data encoded in digits.\n";
  out += "- `flag`: one bit.\n";
  out += "- `projection`: whatever the type's grammar lets through (see *Reviewed values*). A "
         "grammar limits the characters and the length, not the meaning: a tool's file name "
         "is still a name the user chose.\n\n";
  out += "A reviewer must therefore still check by hand, for each value sent to Microsoft:\n\n";
  out += "1. where it comes from: which code computes it, and that it is what this document "
         "says it is (a count counted by the program, not read from the user's files);\n";
  out += "2. for ids, that they are generated (at random, or the machine id described below) "
         "and not derived from user data (a hash of a path or of a user name is a well-formed "
         "uuid);\n";
  out += "3. for reviewed values, what their grammar lets through.\n\n";
}

// The machine id is the one central value that identifies something outside OneFuzz; the
// document says so, and names the option that replaces it. The places it is sent are
// taken from the manifest.
inline void machine_id_section(std::string& out, const boost::json::array& events,
                               const boost::json::array& contexts) {
  std::string places;
  const auto add_place = [&](const std::string& place) {
    places += (places.empty() ? "" : ", ") + place;
  };
  const auto has_central_machine_id = [](const boost::json::value& owner) {
    for (const auto& field : owner.at("fields").as_array()) {
      if (text(field.at("name")) == "machine_id" && text(field.at("sharing")) != "instance") {
        return true;
      }
    }
    return false;
  };
  for (const auto& context : contexts) {
    if (has_central_machine_id(context)) add_place("the " + code(text(context.at("role"))) + " context");
  }
  for (const auto& event : events) {
    if (has_central_machine_id(event)) {
      add_place(code(text(event.at("name"))) + " (" + text(event.at("source")) + ")");
    }
  }
  out += "### The machine id\n\n";
  out += "By default the machine id is sent to Microsoft as it is, as the original OneFuzz "
         "sends it, in: " + places + ". In Azure it is the VM Unique ID, which identifies the "
         "VM to Microsoft; elsewhere the operating system's machine id.\n\n";
  out += "An agent can send a keyed hash of it instead (off by default): with `" +
         std::string{telemetry::integrations::machine_id_salt_variable} +
         "` set to a secret of the deployment, at least " +
         std::to_string(telemetry::integrations::min_machine_id_salt_size) +
         " characters (a random GUID), an agent that builds its context with "
         "`integrations::reported_machine_id` sends the name-based (version 5) uuid of the "
         "machine id in a namespace derived from the salt (`integrations::keyed_machine_id`; "
         "see [integrations.md](integrations.md)). Both instances then get the keyed id. It "
         "still identifies one machine across events and starts, but cannot be linked to the "
         "VM without the salt, which is never sent, as long as the salt cannot be guessed. It "
         "hides the raw id only if every program that sends the machine id applies the same "
         "salt, including the service for its node events.\n\n";
}

}  // namespace detail

// The Markdown document. Throws std::runtime_error, saying what to change, when a type or
// field has no description or a description matches nothing in the manifest.
inline std::string render_markdown(const boost::json::object& manifest) {
  detail::check_central_envelope();
  detail::description_index type_meanings("type_descriptions", type_descriptions);
  detail::description_index summaries("type_summaries", type_summaries);
  detail::description_index meanings("field_descriptions", field_descriptions);
  using detail::code;
  using detail::text;

  const auto& events = manifest.at("events").as_array();
  const auto& contexts = manifest.at("context").as_array();
  const auto& types = manifest.at("types").as_array();

  detail::counts totals;
  std::size_t agent_events = 0;
  for (const auto& event : events) {
    detail::count_fields(event.at("fields").as_array(), totals);
    agent_events += text(event.at("source")) == "agent";
  }

  std::string central_variables;
  for (const char* name : telemetry::transport::central_environment_variables) {
    central_variables += central_variables.empty() ? "" : ", then ";
    central_variables += code(name);
  }

  std::string out;
  out += "<!-- Generated by onefuzz-manifest (tools/manifest) from the C++ event types. Do not "
         "edit: change the types, catalog/reviews.hpp or tools/manifest/descriptions.hpp, then "
         "run `" + std::string{regenerate_command} + "`. -->\n";
  out += "# OneFuzz telemetry: data sent to Microsoft\n\n";
  out += "**This document is generated** by `onefuzz-manifest` (`tools/manifest`) from the event "
         "and context types in `include/onefuzz/telemetry/catalog/` and their pinned privacy "
         "reviews (`catalog/reviews.hpp`); only the sentences saying what a value means are "
         "written by hand (`tools/manifest/descriptions.hpp`). A test fails when this file "
         "differs from what the code generates, so it cannot drift from the code. The same "
         "facts, machine-readable: [`privacy-manifest.json`](privacy-manifest.json).\n\n";
  out += "OneFuzz reports telemetry to two Application Insights instances:\n\n";
  out += "1. The user's own instance receives every field listed below: attributable data for "
         "the user's own analysis of their fuzzing.\n";
  out += "2. A central instance managed by Microsoft receives only the fields marked as sent to "
         "Microsoft: a minimal, non-attributable set of runtime statistics about the efficacy of "
         "OneFuzz and its fuzzing engines.\n\n";
  out += "Where each field may go is part of its C++ type (`central<T>` or `instance_only<T>`) "
         "and checked by the compiler: free text (strings, paths) cannot be sent centrally, "
         "except through a reviewed projection listed under *Reviewed values*. What a value "
         "means and where it comes from the compiler cannot check: see *What the compiler "
         "cannot prove* below.\n\n";

  out += "## How to disable sending telemetry to Microsoft\n\n";
  out += "Central telemetry is sent only when a central destination is configured. It is read "
         "from the environment: " + central_variables +
         " (an instrumentation key or a connection string). To turn it off, either:\n\n";
  out += "- unset these variables (an empty value counts as unset); in a OneFuzz deployment, "
         "remove `ONEFUZZ_TELEMETRY` from the Application settings of the Azure Functions "
         "instance; or\n";
  out += "- in code, set `sender_options.destinations.central_disabled = true` (for example "
         "`sender_options{.destinations = {.central_disabled = true}}`), which wins over the "
         "environment.\n\n";
  out += "Without a central destination nothing is serialized or sent for it. A configuration "
         "in which the user's instance and the central instance resolve to the same "
         "instrumentation key is refused (an error naming the two settings, never the key), "
         "since the full payloads would then reach the central instance.\n\n";

  out += "## Data sent to Microsoft\n\n";
  out += "The following describes the information sent to Microsoft if telemetry is enabled. "
         "Each item sent centrally carries:\n\n";
  out += "- the event's name;\n";
  out += "- the event's fields marked *yes* or *reduced* under *Sent to Microsoft* (fields "
         "marked *no* go to the user's own instance only);\n";
  out += "- the context properties of the program that sent it that are marked *yes*;\n";
  out += "- the envelope: the instrumentation key, the time, the sending program's role "
         "(`ai.cloud.role`) and the library's version (`ai.internal.sdkVersion`). The role "
         "instance and the device id are sent as `Redacted`, and the IP address as `0.0.0.0`.\n\n";
  out += "A *reduced* field holds free text on the user's instance; the central instance gets "
         "only its reviewed projection (see *Reviewed values*). An event with a *metric twin* "
         "is also sent, to both instances, as a customMetric named after the event with value "
         "1 and the same properties. An *optional* field is left out when it has no value.\n\n";
  out += "In all: " + std::to_string(events.size()) + " events (" + std::to_string(agent_events) +
         " from agents, " + std::to_string(events.size() - agent_events) + " from the service) with " +
         std::to_string(totals.fields) + " fields, of which " + std::to_string(totals.central) +
         " are sent to Microsoft (" + std::to_string(totals.reviewed) +
         " reduced); and " + std::to_string(contexts.size()) + " program contexts.\n\n";

  detail::limits_section(out);
  detail::machine_id_section(out, events, contexts);

  out += "### Definitions of common data types\n\n";
  const auto types_of_kind = [&](std::string_view kind, std::string_view title,
                                 std::string_view second_column) {
    const bool reviewed = kind == "reviewed";
    out += "#### " + std::string{title} + "\n\n";
    if (reviewed) {
      out += "| Type | " + std::string{second_column} +
             " | Grammar of the central form | Description |\n|---|---|---|---|\n";
    } else {
      out += "| Type | " + std::string{second_column} + " | Description |\n|---|---|---|\n";
    }
    for (const auto& value : types) {
      const auto& type = value.as_object();
      if (text(type.at("kind")) != kind) continue;
      const std::string name = text(type.at("name"));
      std::string second;
      if (kind == "enum") {
        for (const auto& item : type.at("values").as_array()) {
          second += (second.empty() ? "" : ", ") + code(text(item));
        }
      } else if (reviewed) {
        second = detail::literal(text(type.at("projection"))) + " | " +
                 detail::cell(code(text(type.at("grammar"))));
      } else {
        second = text(type.at("type"));
      }
      out += "| " + code(name) + " | " + second + " | " + detail::cell(type_meanings.find({name})) +
             " |\n";
    }
    out += "\n";
  };
  types_of_kind("id", "Ids", "Sent as");
  out += "A uuid is sent lowercase and hyphenated (`8-4-4-4-12` hex digits).\n\n";
  types_of_kind("enum", "Enumerations", "Values (as sent)");
  types_of_kind("version", "Version", "Sent as");
  types_of_kind("reviewed", "Reviewed values", "Sent to Microsoft (the reviewed projection)");
  out += "The grammar is checked on every value sent: a projection outside it is sent as `" +
         std::string{telemetry::rejected_projection} +
         "` (and counted). It is written as a regular expression: `[A-Za-z0-9._+-]{1,64}` is 1 to "
         "64 characters, each a letter, a digit, `.`, `_`, `+` or `-`. The user's own instance "
         "gets a reviewed value unchanged.\n\n";
  out += "Other types: `u64`, `u32` are unsigned integers, `f64`, `f32` floating-point "
         "numbers, `bool` true or false, `string` free text.\n\n";

  out += "### Context properties\n\n";
  out += "Each program sets these once and sends them with every event (an event field of the "
         "same name wins).\n\n";
  for (const auto& value : contexts) {
    const auto& context = value.as_object();
    const std::string type = text(context.at("type"));
    out += "#### Role " + code(text(context.at("role"))) + "\n\n";
    out += std::string{summaries.find({type})} + " C++: `catalog::" + type + "`.\n\n";
    detail::field_table(out, type, context.at("fields").as_array(), "Property", meanings);
    out += "\n";
  }

  out += "### Data recorded by agents\n\n";
  detail::events_section(out, events, "agent", summaries, meanings);
  out += "### Data recorded by the service\n\n";
  out += "Each time the state of a job, task, scaleset, pool, node or task on a node changes.\n\n";
  detail::events_section(out, events, "service", summaries, meanings);

  // All stale descriptions at once, so one run of the generator lists every fix.
  const std::string stale = type_meanings.unused() + summaries.unused() + meanings.unused();
  if (!stale.empty()) throw std::runtime_error(stale.substr(0, stale.size() - 1));
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

}  // namespace onefuzz::manifest
