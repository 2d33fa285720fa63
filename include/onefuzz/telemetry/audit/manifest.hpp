// Defines the privacy-manifest entries of events and contexts as Boost.JSON values, computed
// from their types, and a deterministic pretty printer for committing them.
#pragma once

#include <onefuzz/telemetry/audit/fields.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::audit {

// How a field reaches the central instance, as the manifest spells it: "central" (by value),
// "reviewed" (through its reviewed projection) or "instance" (the user's instance only).
constexpr std::string_view sharing_label(const field_info& info) noexcept {
  switch (info.exposure) {
    case central_exposure::value: return "central";
    case central_exposure::projection: return "reviewed";
    case central_exposure::none: break;
  }
  return "instance";
}

// The value kind as the manifest spells it.
constexpr std::string_view kind_label(value_kind kind) noexcept {
  switch (kind) {
    case value_kind::boolean: return "boolean";
    case value_kind::integer: return "integer";
    case value_kind::floating: return "floating";
    case value_kind::enumeration: return "enum";
    case value_kind::id: return "id";
    case value_kind::version: return "version";
    case value_kind::text: return "text";
    case value_kind::reviewed: break;
  }
  return "reviewed";
}

namespace detail {
inline boost::json::string_view json_view(std::string_view text) noexcept {
  return {text.data(), text.size()};
}
}  // namespace detail

// A reviewed type's central grammar in the notation of a regular expression over bytes:
// projection_grammar{"A-Za-z0-9._+-", 64} is "[A-Za-z0-9._+-]{1,64}". The character class is
// printed as declared (it holds no backslash or double quote, so it needs no JSON escape); a
// class listing `]`, or starting with `^`, would read otherwise as a regular expression, and
// no catalog type has one.
// Built by appending: `"[" + std::string{...}` makes g++ 12 at -O2/-O3 report a false
// -Wrestrict inside std::string, which users building with -Werror would see.
inline std::string grammar_label(const projection_grammar& grammar) {
  std::string label = "[";
  label += grammar.allowed();
  label += "]{";
  label += std::to_string(grammar.min_size());
  label += ',';
  label += std::to_string(grammar.max_size());
  label += '}';
  return label;
}

// The fields of S in declaration order: name, type, declared_type, kind, optional, sharing;
// for a central field its channel (channel_of); for a reviewed field the projection rule and
// the grammar of its central form.
template <auditable S>
boost::json::array field_entries() {
  boost::json::array out;
  for (std::size_t i = 0; i < fields_of<S>.size(); ++i) {
    const field_info& info = fields_of<S>[i];
    boost::json::object entry;
    entry["name"] = detail::json_view(info.name);
    entry["type"] = detail::json_view(info.type_name);
    entry["declared_type"] = detail::json_view(declared_types<S>[i]);
    entry["kind"] = detail::json_view(kind_label(info.kind));
    entry["optional"] = info.optional;
    entry["sharing"] = detail::json_view(sharing_label(info));
    if (const auto channel = channel_of(info); !channel.empty()) {
      entry["channel"] = detail::json_view(channel);
    }
    if (info.exposure == central_exposure::projection) {
      entry["projection"] = detail::json_view(info.projection);
      entry["grammar"] = grammar_label(info.grammar);
    }
    out.emplace_back(std::move(entry));
  }
  return out;
}

// An event's entry: name, variant (null unless the C++ name is <variant>_<name>), type (the
// C++ name), metric_twin, fields.
template <auditable S>
  requires telemetry_event<S>
boost::json::object event_entry() {
  boost::json::object entry;
  entry["name"] = detail::json_view(event_name<S>);
  if (variant<S>.empty()) entry["variant"] = nullptr;
  else entry["variant"] = detail::json_view(variant<S>);
  entry["type"] = detail::json_view(type_name<S>);
  entry["metric_twin"] = has_metric_twin_v<S>;
  entry["fields"] = field_entries<S>();
  return entry;
}

// A context's entry: role (the wire name of its default role), type (the C++ name), fields.
template <auditable S>
  requires is_context<S>
boost::json::object context_entry() {
  boost::json::object entry;
  entry["role"] = detail::json_view(wire_name(context_role<S>()));
  entry["type"] = detail::json_view(type_name<S>);
  entry["fields"] = field_entries<S>();
  return entry;
}

namespace detail {

inline bool is_scalar(const boost::json::value& value) noexcept {
  return !value.is_object() && !value.is_array();
}

inline bool has_only_scalars(const boost::json::value& value) {
  if (value.is_object()) {
    for (const auto& member : value.get_object()) {
      if (!is_scalar(member.value())) return false;
    }
  } else if (value.is_array()) {
    for (const auto& element : value.get_array()) {
      if (!is_scalar(element)) return false;
    }
  }
  return true;
}

inline void pretty_to(std::string& out, const boost::json::value& value, std::size_t depth) {
  // A container of scalars stays on one line (one line per field entry, so a diff of the
  // committed manifest shows exactly the field that changed); others nest, two spaces a level.
  const bool inline_form = has_only_scalars(value);
  const std::string indent(2 * (depth + 1), ' ');
  const auto open = [&](char bracket) {
    out.push_back(bracket);
    if (!inline_form) out.push_back('\n');
  };
  const auto separate = [&](bool first) {
    if (!first) out.append(inline_form ? ", " : ",\n");
    if (!inline_form) out.append(indent);
  };
  const auto close = [&](char bracket) {
    if (!inline_form) {
      out.push_back('\n');
      out.append(2 * depth, ' ');
    }
    out.push_back(bracket);
  };
  if (value.is_object()) {
    const auto& object = value.get_object();
    if (object.empty()) {
      out.append("{}");
      return;
    }
    open('{');
    bool first = true;
    for (const auto& member : object) {
      separate(first);
      first = false;
      out.append(boost::json::serialize(boost::json::value(member.key())));
      out.append(": ");
      pretty_to(out, member.value(), depth + 1);
    }
    close('}');
  } else if (value.is_array()) {
    const auto& array = value.get_array();
    if (array.empty()) {
      out.append("[]");
      return;
    }
    open('[');
    bool first = true;
    for (const auto& element : array) {
      separate(first);
      first = false;
      pretty_to(out, element, depth + 1);
    }
    close(']');
  } else {
    out.append(boost::json::serialize(value));
  }
}

}  // namespace detail

// value as indented JSON with a final newline; the same value always gives the same text
// (object members keep their insertion order).
inline std::string pretty_json(const boost::json::value& value) {
  std::string out;
  detail::pretty_to(out, value, 0);
  out.push_back('\n');
  return out;
}

}  // namespace onefuzz::telemetry::audit
