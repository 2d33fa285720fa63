// Builds the privacy manifest of the whole OneFuzz catalog (docs/privacy-manifest.json) from
// the event and context types; only reviewed types can be listed, since the pins are included.
#pragma once

#include <onefuzz/telemetry/audit/manifest.hpp>
#include <onefuzz/telemetry/catalog/reviews.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace onefuzz::manifest {

namespace audit = telemetry::audit;

namespace detail {

// A named value type used by some field (an id, an enum, version, a reviewed type), keyed so
// that the list comes out grouped by kind and sorted by name whatever the catalog's order.
struct named_type {
  std::string type;  // the manifest type: uuid, version, string, or the enum's name
  std::string projection;
  std::string grammar;  // a reviewed type's central grammar (audit::grammar_label)
  std::vector<std::string> values;
};

inline int kind_rank(std::string_view kind) noexcept {
  if (kind == "id") return 0;
  if (kind == "enum") return 1;
  if (kind == "version") return 2;
  return 3;  // reviewed
}

using type_key = std::tuple<int, std::string, std::string>;  // rank, kind, name

template <class S>
void collect_types(std::map<type_key, named_type>& types) {
  for (std::size_t i = 0; i < audit::fields<S>.size(); ++i) {
    const auto& info = audit::fields<S>[i];
    const auto kind = audit::kind_label(info.kind);
    if (kind != "id" && kind != "enum" && kind != "version" && kind != "reviewed") continue;
    auto& entry = types[{kind_rank(kind), std::string{kind}, std::string{audit::declared_types<S>[i]}}];
    entry.type = info.type_name;
    entry.projection = info.projection;
    if (kind == "reviewed") entry.grammar = audit::grammar_label(info.grammar);
    entry.values.assign(audit::wire_values<S>[i].begin(), audit::wire_values<S>[i].end());
  }
}

// entry with "source" inserted after "type", so every event reads name, variant, type,
// source, metric_twin, fields.
inline boost::json::object with_source(const boost::json::object& entry, std::string_view source) {
  boost::json::object out;
  for (const auto& member : entry) {
    out[member.key()] = member.value();
    if (member.key() == "type") out["source"] = boost::json::string_view{source.data(), source.size()};
  }
  return out;
}

}  // namespace detail

// The manifest: {"generated_by", "events": [agent events, then service events, in catalog
// order], "context": [one per program], "types": [ids, enums, version, reviewed types (with
// their projection rule and central grammar)]}.
inline boost::json::object catalog_manifest() {
  namespace catalog = telemetry::catalog;
  std::map<detail::type_key, detail::named_type> types;

  boost::json::array events;
  const auto add_events = [&](auto event_types, std::string_view source) {
    boost::hana::for_each(event_types, [&](auto type) {
      using event = typename decltype(type)::type;
      events.emplace_back(detail::with_source(audit::event_entry<event>(), source));
      detail::collect_types<event>(types);
    });
  };
  add_events(catalog::agent_event_types, "agent");
  add_events(catalog::service_event_types, "service");

  boost::json::array contexts;
  boost::hana::for_each(catalog::context_types, [&](auto type) {
    using context = typename decltype(type)::type;
    contexts.emplace_back(audit::context_entry<context>());
    detail::collect_types<context>(types);
  });

  boost::json::array type_list;
  for (const auto& [key, named] : types) {
    boost::json::object entry;
    entry["name"] = std::get<2>(key);
    entry["kind"] = std::get<1>(key);
    entry["type"] = named.type;
    if (std::get<1>(key) == "enum") {
      boost::json::array values;
      for (const auto& value : named.values) values.emplace_back(value);
      entry["values"] = std::move(values);
    }
    if (std::get<1>(key) == "reviewed") {
      entry["projection"] = named.projection;
      entry["grammar"] = named.grammar;
    }
    type_list.emplace_back(std::move(entry));
  }

  boost::json::object manifest;
  manifest["generated_by"] =
      "onefuzz-manifest (tools/manifest) from include/onefuzz/telemetry/catalog/; do not edit";
  manifest["events"] = std::move(events);
  manifest["context"] = std::move(contexts);
  manifest["types"] = std::move(type_list);
  return manifest;
}

}  // namespace onefuzz::manifest
