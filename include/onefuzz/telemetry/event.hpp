// Defines how an event is declared, the rules checked on it at compile time, and its
// compile-time field tables (names, kinds and sharing) for serializers and audits.
//
//   struct coverage_data {
//     static constexpr std::string_view event_name = "coverage_data";
//     BOOST_HANA_DEFINE_STRUCT(coverage_data,
//       (central<std::uint64_t>, covered),
//       (central<std::uint64_t>, features),
//       (central<double>, rate));
//   };
//
// Every member carries a sharing attribute; its C++ name is its wire name.
#pragma once

#include <onefuzz/telemetry/detail/field_pairs.hpp>
#include <onefuzz/telemetry/limits.hpp>
#include <onefuzz/telemetry/sharing.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/define_struct.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry {

// A struct whose members are all declared with BOOST_HANA_DEFINE_STRUCT.
template <class T>
concept hana_struct = boost::hana::Struct<T>::value;

// An event: a Hana struct with a wire name (`static constexpr std::string_view
// event_name`). Whether every field is attributed is checked by event_check<E>, so the
// error can name the field.
template <class E>
concept telemetry_event = hana_struct<E> && requires {
  { E::event_name } -> std::convertible_to<std::string_view>;
};

// A context: the per-process properties merged into every event (the original's
// set_property), declared like an event but without a name.
template <class C>
concept telemetry_context = hana_struct<C>;

// The context of a program that sets no per-process properties.
struct no_context {
  BOOST_HANA_DEFINE_STRUCT(no_context);
};

// True when S has a pinned privacy review: a function onefuzz_central_review(
// std::type_identity<S>) in S's namespace, which ONEFUZZ_TELEMETRY_REVIEWED writes (see
// audit/review.hpp). Lookup is argument-dependent and on the exact type.
template <class S>
concept has_pinned_review = requires { onefuzz_central_review(std::type_identity<S>{}); };

// no_context sends nothing: its review is empty.
[[maybe_unused]] constexpr auto onefuzz_central_review(std::type_identity<no_context>) noexcept {
  return std::array<std::string_view, 0>{};
}

// Whether E also goes out as a customMetric named after it with value 1.0 (the original's
// metric twin). An event opts in with `static constexpr bool metric_twin = true;`.
template <class E>
inline constexpr bool has_metric_twin_v = [] {
  if constexpr (requires { { E::metric_twin } -> std::convertible_to<bool>; }) {
    return static_cast<bool>(E::metric_twin);
  } else {
    return false;
  }
}();

namespace detail {

// Intentionally undefined: when a field has no sharing attribute the compiler prints
// this type's name with the event and the field's name spelled out, e.g.
//   field_without_sharing_attribute<my_event, boost::hana::string<'c', 'o', 'u', 'n', 't'>>
template <class Event, class FieldName>
struct field_without_sharing_attribute;

constexpr bool is_plain_property_name(std::string_view name) {
  if (name.empty() || name.size() > max_property_name_size) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) return false;
  }
  return true;
}

// An event name is an identifier, [a-z][a-z0-9_]*, at most 64 bytes: it goes to the central
// instance as the event's and the metric twin's name, so it must not be able to carry a
// path, a host or a build macro's text.
inline constexpr std::size_t max_event_identifier_size = 64;

constexpr bool is_valid_event_name(std::string_view name) {
  if (name.empty() || name.size() > max_event_identifier_size) return false;
  if (!(name.front() >= 'a' && name.front() <= 'z')) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}
static_assert(max_event_identifier_size <= max_event_name_size);

// True when E::event_name is a constant expression that converts to std::string_view.
template <class E>
concept constant_event_name = requires {
  typename std::integral_constant<std::size_t, std::string_view{E::event_name}.size()>;
};

// Matches the accessor BOOST_HANA_DEFINE_STRUCT and BOOST_HANA_ADAPT_STRUCT generate for a
// data member (boost::hana::struct_detail::member_ptr over a pointer to data member), and
// nothing else: an accessor that computes its value (BOOST_HANA_ADAPT_ADT's lambdas, or a
// hand-written accessors_impl) could read an instance-only member into a central field.
template <class Accessor>
inline constexpr bool is_data_member_accessor_v = false;
template <class MemberPointer, MemberPointer Pointer>
inline constexpr bool
    is_data_member_accessor_v<boost::hana::struct_detail::member_ptr<MemberPointer, Pointer>> =
        std::is_member_object_pointer_v<MemberPointer>;

// Intentionally undefined: instantiated only to fail, naming the type and the field whose
// accessor is not a data member.
template <class S, class FieldName>
struct field_is_not_a_data_member;

template <class S, class Pair>
constexpr bool field_is_data_member() {
  if constexpr (is_data_member_accessor_v<pair_accessor_t<Pair>>) {
    return true;
  } else {
    return sizeof(field_is_not_a_data_member<S, pair_name_t<Pair>>) == 0;
  }
}

// True when the field is attributed; otherwise an error that names the event and field.
template <class S, class Pair>
constexpr bool field_is_attributed() {
  if constexpr (attributed_field<member_type_t<S, Pair>>) {
    return true;
  } else {
    return sizeof(field_without_sharing_attribute<S, pair_name_t<Pair>>) == 0;
  }
}

// The field rules over one list of pairs, as plain folds (one instantiation per S).
template <class S, class List>
struct field_rules;
template <class S, class... Pairs>
struct field_rules<S, pair_list<Pairs...>> {
  static constexpr bool data_members =
      (is_data_member_accessor_v<pair_accessor_t<Pairs>> && ... && true);
  static constexpr bool report_not_data_members() {
    return (field_is_data_member<S, Pairs>() && ... && true);
  }
  // Read only once data_members holds: member_type_t needs a callable accessor.
  static constexpr bool attributed() {
    return (attributed_field<member_type_t<S, Pairs>> && ... && true);
  }
  static constexpr bool report_unattributed() {
    return (field_is_attributed<S, Pairs>() && ... && true);
  }
  static constexpr bool names_plain() {
    return (is_plain_property_name(name_view<pair_name_t<Pairs>>()) && ... && true);
  }
  static constexpr bool names_unique() {
    const std::string_view names[] = {name_view<pair_name_t<Pairs>>()..., ""};
    for (std::size_t i = 0; i < sizeof...(Pairs); ++i) {
      for (std::size_t j = i + 1; j < sizeof...(Pairs); ++j) {
        if (names[i] == names[j]) return false;
      }
    }
    return true;
  }
};

template <class S>
using field_rules_of = field_rules<S, pairs_of_t<S>>;

template <class S>
inline constexpr bool all_fields_are_data_members = field_rules_of<S>::data_members;

template <class S>
inline constexpr bool all_fields_attributed = field_rules_of<S>::attributed();

template <class S>
constexpr bool report_unattributed_fields() {
  return field_rules_of<S>::report_unattributed();
}

}  // namespace detail

// One field as the serializers and the audit see it.
struct field_info {
  std::string_view name;
  telemetry::sharing sharing;
  central_exposure exposure;
  value_kind kind;
  std::string_view type_name;
  bool optional;
  std::string_view projection;  // the reviewed rule when the value is a reviewed type
  projection_grammar grammar;   // the grammar of its central form, likewise
};

namespace detail {
template <class S, class Pair>
constexpr field_info make_field_info() {
  using field = member_type_t<S, Pair>;
  if constexpr (!attributed_field<field>) {
    return field_info{};  // reported by report_unattributed_fields
  } else {
  using value = typename field::value_type;
  std::string_view projection;
  projection_grammar grammar;
  if constexpr (reviewed_value<unwrap_optional_t<value>>) {
    projection = unwrap_optional_t<value>::projection;
    grammar = unwrap_optional_t<value>::central_grammar;
  }
  return field_info{name_view<pair_name_t<Pair>>(),
                    field::sharing,
                    exposure_of<field>(),
                    kind_of<value>(),
                    type_name_of<value>(),
                    is_optional_v<value>,
                    projection,
                    grammar};
  }
}
}  // namespace detail

// Compiles only for a well-formed event or context; the messages say what to change.
template <class S>
inline constexpr bool event_check = [] {
  static_assert(hana_struct<S>,
                "onefuzz::telemetry: an event or context must declare its members with "
                "BOOST_HANA_DEFINE_STRUCT(Type, (central<T>, name), (instance_only<T>, name)...)");
  if constexpr (hana_struct<S>) {
    static_assert(detail::all_fields_are_data_members<S>,
                  "onefuzz::telemetry: every field of an event or context must be a data member "
                  "declared with BOOST_HANA_DEFINE_STRUCT or BOOST_HANA_ADAPT_STRUCT; an accessor "
                  "that computes a value (BOOST_HANA_ADAPT_ADT) could send instance-only data "
                  "centrally (field_is_not_a_data_member in the next error names the field)");
    if constexpr (!detail::all_fields_are_data_members<S>) {
      detail::field_rules_of<S>::report_not_data_members();
    }
  }
  if constexpr (hana_struct<S> && detail::all_fields_are_data_members<S>) {
    static_assert(detail::all_fields_attributed<S>,
                  "onefuzz::telemetry: every field of an event needs a sharing attribute: declare "
                  "it as central<T> or instance_only<T> (field_without_sharing_attribute in the "
                  "next error names the event and the field)");
    if constexpr (!detail::all_fields_attributed<S>) detail::report_unattributed_fields<S>();
    constexpr bool names_ok = detail::field_rules_of<S>::names_plain();
    static_assert(names_ok,
                  "onefuzz::telemetry: a field's wire name must be 1 to 150 characters of "
                  "[A-Za-z0-9_] (the ingestion limit for property names)");
    constexpr bool names_unique = detail::field_rules_of<S>::names_unique();
    static_assert(names_unique,
                  "onefuzz::telemetry: two fields of one event or context have the same wire name "
                  "(possible with BOOST_HANA_ADAPT_STRUCT listing a member twice)");
  }
  if constexpr (requires { S::event_name; }) {
    static_assert(detail::constant_event_name<S>,
                  "onefuzz::telemetry: an event_name must be a compile-time constant: declare "
                  "it as static constexpr std::string_view event_name = \"my_event\";");
    if constexpr (detail::constant_event_name<S>) {
      static_assert(detail::is_valid_event_name(S::event_name),
                    "onefuzz::telemetry: an event_name must be an identifier of 1 to 64 "
                    "characters, a lowercase letter then lowercase letters, digits or '_' "
                    "([a-z][a-z0-9_]*): it is sent centrally, so it must not carry a path, a "
                    "host or a build macro's text");
    }
  }
  return true;
}();

// An event: checked where it is declared with `static_assert(event<my_event>);`, which
// fails with the same sentences as its first serialization would (an unattributed field,
// an accessor that is not a data member, a bad event name...). Members outside the Hana
// macro are not fields: they are never serialized, to either destination.
template <class E>
inline constexpr bool event_declaration_check = [] {
  static_assert(requires { E::event_name; },
                "onefuzz::telemetry::event<E>: an event needs a wire name, declared as static "
                "constexpr std::string_view event_name = \"my_event\"; (a struct without one "
                "is a context)");
  return event_check<E>;
}();

template <class E>
concept event = event_declaration_check<E> && telemetry_event<E>;

namespace detail {
template <class S, class List>
struct field_table;
template <class S, class... Pairs>
struct field_table<S, pair_list<Pairs...>> {
  static constexpr std::array<field_info, sizeof...(Pairs)> value{make_field_info<S, Pairs>()...};
};
}  // namespace detail

// Every field of S in declaration order, checked by event_check.
template <class S>
  requires event_check<S>
inline constexpr auto fields_of = detail::field_table<S, detail::pairs_of_t<S>>::value;

namespace detail {
template <class S>
constexpr std::size_t central_count() {
  std::size_t count = 0;
  for (const auto& field : fields_of<S>) count += field.exposure != central_exposure::none;
  return count;
}
}  // namespace detail

// The wire names of every field (the full payload's event fields).
template <class S>
inline constexpr auto full_field_names = [] {
  std::array<std::string_view, fields_of<S>.size()> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = fields_of<S>[i].name;
  return names;
}();

// The wire names of the fields that reach the central instance (by value or projection).
template <class S>
inline constexpr auto central_field_names = [] {
  std::array<std::string_view, detail::central_count<S>()> names{};
  std::size_t at = 0;
  for (const auto& field : fields_of<S>) {
    if (field.exposure != central_exposure::none) names[at++] = field.name;
  }
  return names;
}();

// True when S has a field with this wire name that reaches the central instance.
template <class S>
constexpr bool is_central_field(std::string_view name) {
  for (auto central_name : central_field_names<S>) {
    if (central_name == name) return true;
  }
  return false;
}

// True when S has a field with this wire name.
template <class S>
constexpr bool has_field(std::string_view name) {
  for (auto field_name : full_field_names<S>) {
    if (field_name == name) return true;
  }
  return false;
}

}  // namespace onefuzz::telemetry
