// Defines compile-time queries on an event's or context's fields for privacy audits: names,
// value kinds, sharing, declared types, enum wire values and reviewed projections, all
// usable in static_assert. Built on fields_of<S>, which stays the one field table.
#pragma once

#include <onefuzz/telemetry/audit/type_name.hpp>
#include <onefuzz/telemetry/event.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/unpack.hpp>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace onefuzz::telemetry::audit {

// An event or a context: a Hana struct whose every field carries a sharing attribute.
template <class S>
concept auditable = telemetry_context<S> && event_check<S>;

// The wire name of an event; empty for a context, which has none.
template <auditable S>
inline constexpr std::string_view event_name = [] {
  if constexpr (telemetry_event<S>) return std::string_view{S::event_name};
  else return std::string_view{};
}();

// True for a context (a type without event_name).
template <auditable S>
inline constexpr bool is_context = !telemetry_event<S>;

// When two types share one wire name, the part of the C++ name before "_<event name>"
// tells them apart: libfuzzer_runtime_stats -> "libfuzzer". Empty when the C++ name is not
// of that form (task_start, or any context).
template <auditable S>
inline constexpr std::string_view variant = [] {
  constexpr std::string_view name = type_name<S>;
  constexpr std::string_view wire = event_name<S>;
  if constexpr (wire.empty() || name.size() <= wire.size() + 1 || !name.ends_with(wire)) {
    return std::string_view{};
  } else if constexpr (name[name.size() - wire.size() - 1] != '_') {
    return std::string_view{};
  } else {
    return name.substr(0, name.size() - wire.size() - 1);
  }
}();

// Every field in declaration order (fields_of<S> itself, not a copy).
template <auditable S>
inline constexpr const auto& fields = fields_of<S>;

// The wire names of the fields that reach the central instance (central_field_names<S>).
template <auditable S>
inline constexpr const auto& central_names = central_field_names<S>;

// Position of the field with this wire name, or fields<S>.size() when there is none.
template <auditable S>
constexpr std::size_t field_index(std::string_view name) noexcept {
  for (std::size_t i = 0; i < fields_of<S>.size(); ++i) {
    if (fields_of<S>[i].name == name) return i;
  }
  return fields_of<S>.size();
}

namespace detail {
// Not constexpr on purpose: reaching it makes the calling constant expression fail, and
// the compiler names this function, so `static_assert(audit::field<E>("typo")...)` fails
// with a readable note. At run time it throws.
[[noreturn]] inline void no_field_with_this_wire_name(std::string_view name) {
  throw std::out_of_range("onefuzz::telemetry::audit::field: no field with the wire name '" +
                          std::string{name} + "'");
}
}  // namespace detail

// The field with this wire name; in a constant expression, a name S lacks does not compile.
template <auditable S>
constexpr const field_info& field(std::string_view name) {
  const std::size_t at = field_index<S>(name);
  if (at == fields_of<S>.size()) detail::no_field_with_this_wire_name(name);
  return fields_of<S>[at];
}

namespace detail {
template <class S>
constexpr std::size_t count_exposure(central_exposure exposure) noexcept {
  std::size_t count = 0;
  for (const auto& info : fields_of<S>) count += info.exposure == exposure;
  return count;
}

template <class S, std::size_t N>
constexpr std::array<field_info, N> select_fields(bool (*keep)(const field_info&)) noexcept {
  std::array<field_info, N> out{};
  std::size_t at = 0;
  for (const auto& info : fields_of<S>) {
    if (keep(info)) out[at++] = info;
  }
  return out;
}

constexpr bool reaches_central(const field_info& info) noexcept {
  return info.exposure != central_exposure::none;
}
constexpr bool is_projected(const field_info& info) noexcept {
  return info.exposure == central_exposure::projection;
}
}  // namespace detail

// The fields that reach the central instance, by value or through a reviewed projection.
template <auditable S>
inline constexpr auto central_fields = detail::select_fields<
    S, fields_of<S>.size() - detail::count_exposure<S>(central_exposure::none)>(
    detail::reaches_central);

// The central fields sent through a reviewed projection; their `projection` is the rule.
template <auditable S>
inline constexpr auto projected_fields =
    detail::select_fields<S, detail::count_exposure<S>(central_exposure::projection)>(
        detail::is_projected);

// The reviewed rule by which this field reaches the central instance; empty when the field
// is sent by value or not at all.
template <auditable S>
constexpr std::string_view projection_of(std::string_view name) {
  return field<S>(name).projection;
}

// The channel through which a central field's value can carry information, named after its
// value kind: "identifier" (an id, a uuid), "count" (an integer), "measure" (a floating-point
// number), "enum" (a wire name), "projection" (a reviewed type's central form), "flag" (a
// boolean), "version". Empty for a field that does not reach the central instance (text
// never can). A pin records it with the declared type: "covered: count u64".
constexpr std::string_view channel_of(const field_info& info) noexcept {
  if (info.exposure == central_exposure::none) return {};
  switch (info.kind) {
    case value_kind::id: return "identifier";
    case value_kind::integer: return "count";
    case value_kind::floating: return "measure";
    case value_kind::enumeration: return "enum";
    case value_kind::reviewed: return "projection";
    case value_kind::boolean: return "flag";
    case value_kind::version: return "version";
    case value_kind::text: break;
  }
  return {};
}

// True when the wire names of S's central fields are exactly `names`, in any order, each
// once: `static_assert(audit::central_fields_are<my_event>({"count", "rate"}))`.
template <auditable S>
constexpr bool central_fields_are(std::initializer_list<std::string_view> names) noexcept {
  if (names.size() != central_field_names<S>.size()) return false;
  for (auto name : names) {
    std::size_t seen = 0;
    for (auto other : names) seen += other == name;
    if (seen != 1 || !is_central_field<S>(name)) return false;
  }
  return true;
}

namespace detail {

// Characters with static storage, so a string_view computed at compile time can point at them.
template <std::size_t N>
struct static_text {
  std::array<char, N> chars{};
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), N}; }
};

// "<tag>_id" for basic_id<tag>, stored once per tag so a string_view can point at it.
template <class Tag>
inline constexpr auto id_type_name = [] {
  constexpr std::string_view tag = type_name<Tag>;
  static_text<tag.size() + 3> text;
  for (std::size_t i = 0; i < tag.size(); ++i) text.chars[i] = tag[i];
  text.chars[tag.size()] = '_';
  text.chars[tag.size() + 1] = 'i';
  text.chars[tag.size() + 2] = 'd';
  return text;
}();

template <class V>
constexpr std::string_view declared_type_of() noexcept {
  if constexpr (requires { typename V::tag_type; } && id_value<V>) {
    return id_type_name<typename V::tag_type>.view();
  } else if constexpr (wire_enum<V> || reviewed_value<V>) {
    // An enum's wire type name is already its name; a reviewed type is named for itself.
    if constexpr (wire_enum<V>) return wire_names_of<V>.type_name;
    else return type_name<V>;
  } else {
    return type_name_of<V>();
  }
}

template <class V>
constexpr std::span<const std::string_view> wire_values_of() noexcept {
  if constexpr (wire_enum<V>) return wire_names_of<V>.names;
  else return {};
}

template <class S, class Pair>
using field_value_t =
    unwrap_optional_t<typename telemetry::detail::member_type_t<S, Pair>::value_type>;

}  // namespace detail

// Per field, the value's declared type: the id type for ids ("job_id", from basic_id's
// tag), the enum or reviewed type's own name ("task_type", "tool_name"), otherwise the
// manifest type (u64, f64, bool, string, version...).
template <auditable S>
inline constexpr auto declared_types =
    boost::hana::unpack(boost::hana::accessors<S>(), [](auto... pairs) {
      return std::array<std::string_view, sizeof...(pairs)>{
          detail::declared_type_of<detail::field_value_t<S, decltype(pairs)>>()...};
    });

// The declared type of the field with this wire name (see declared_types).
template <auditable S>
constexpr std::string_view declared_type_of(std::string_view name) {
  return declared_types<S>[static_cast<std::size_t>(&field<S>(name) - fields_of<S>.data())];
}

// Per field, the wire names an enum field can take (empty for other kinds).
template <auditable S>
inline constexpr auto wire_values =
    boost::hana::unpack(boost::hana::accessors<S>(), [](auto... pairs) {
      return std::array<std::span<const std::string_view>, sizeof...(pairs)>{
          detail::wire_values_of<detail::field_value_t<S, decltype(pairs)>>()...};
    });

// The role a context assigns to its `role` member by default (task_context: agent).
// Not constexpr for contexts with string members under clang 14 and libstdc++ 12, whose
// constexpr std::string it cannot evaluate, so it is a run-time call.
template <auditable S>
  requires is_context<S> && requires(const S& context) { context.role.get(); }
[[nodiscard]] auto context_role() {
  return S{}.role.get();
}

}  // namespace onefuzz::telemetry::audit
