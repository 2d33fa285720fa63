// Defines pinned privacy reviews: a reviewer writes down the exact set of central fields
// approved for an event or a context, and the build fails, naming the type and the field,
// as soon as the type's central fields differ from that record.
//
//   namespace my_project {  // the namespace of the event (found by argument-dependent lookup)
//   ONEFUZZ_TELEMETRY_REVIEWED(crash_found, "count");
//   }
#pragma once

#include <onefuzz/telemetry/audit/fields.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/unpack.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry::audit {

// Intentionally undefined: each is instantiated only to fail, and the compiler prints its
// name with the type and the field spelled out, e.g.
//   central_field_not_in_review<catalog::coverage_data, boost::hana::string<'r', 'a', 't', 'e'>>

// The type sends this field to the central instance, but its review does not list it:
// review the field and add it to the pin, or make it instance_only.
template <class Event, class FieldName>
struct central_field_not_in_review;

// The review lists this field, but the type no longer sends it to the central instance:
// remove it from the pin (the review was of a field that is no longer shared).
template <class Event, class FieldName>
struct reviewed_field_not_central;

// The review names a field the type does not have (a typo, or a field renamed or removed).
template <class Event, class FieldName>
struct reviewed_field_not_in_event;

// The review lists this field more than once.
template <class Event, class FieldName>
struct field_listed_twice_in_review;

// Two fields of the type have this wire name (possible with BOOST_HANA_ADAPT_STRUCT, which
// may list a member twice); one would overwrite the other in the payload.
template <class Event, class FieldName>
struct wire_name_used_twice;

// The type has no pinned review: write ONEFUZZ_TELEMETRY_REVIEWED(Type, "field", ...) in
// its namespace.
template <class Event>
struct event_has_no_review;

// The names a reviewer approved, as a constexpr array: pin("covered", "features").
template <class... Names>
  requires(std::convertible_to<const Names&, std::string_view> && ...)
constexpr std::array<std::string_view, sizeof...(Names)> pin(const Names&... names) noexcept {
  return {std::string_view{names}...};
}

// True when S has a pinned review: a function onefuzz_central_review(std::type_identity<S>)
// in S's namespace returning a pin (ONEFUZZ_TELEMETRY_REVIEWED writes it). Lookup is
// argument-dependent, as for onefuzz_wire_names, and on the exact type: a derived type
// does not inherit its base's review.
template <class S>
concept has_review = requires {
  { onefuzz_central_review(std::type_identity<S>{}) };
};

// The central field names approved for S, in the order the reviewer wrote them.
template <has_review S>
inline constexpr auto review_of = onefuzz_central_review(std::type_identity<S>{});

namespace detail {

constexpr std::size_t first_index(std::span<const std::string_view> names,
                                  std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return names.size();
}

// The I-th pinned name as a type (boost::hana::string), so an error can spell it out.
template <class S, std::size_t I, std::size_t... J>
constexpr auto pinned_name_string(std::index_sequence<J...>) noexcept {
  return boost::hana::string_c<review_of<S>[I][J]...>;
}
template <class S, std::size_t I>
using pinned_name_t =
    decltype(pinned_name_string<S, I>(std::make_index_sequence<review_of<S>[I].size()>{}));

// The I-th field's wire name as the hana::string type BOOST_HANA_DEFINE_STRUCT made.
template <class S, std::size_t I>
using field_name_t = std::remove_cvref_t<decltype(boost::hana::first(
    boost::hana::at_c<I>(boost::hana::accessors<S>())))>;

// Checks the I-th field of S against the review; a mismatch is a hard error naming both.
template <class S, std::size_t I>
constexpr bool field_matches_review() {
  constexpr field_info info = fields_of<S>[I];
  constexpr bool central = info.exposure != central_exposure::none;
  constexpr bool listed = first_index(review_of<S>, info.name) < review_of<S>.size();
  if constexpr (first_index(full_field_names<S>, info.name) != I) {
    return sizeof(wire_name_used_twice<S, field_name_t<S, I>>) == 0;
  } else if constexpr (central && !listed) {
    return sizeof(central_field_not_in_review<S, field_name_t<S, I>>) == 0;
  } else if constexpr (!central && listed) {
    return sizeof(reviewed_field_not_central<S, field_name_t<S, I>>) == 0;
  } else {
    return true;
  }
}

// Checks the I-th pinned name: it must be a field of S, and listed once.
template <class S, std::size_t I>
constexpr bool pinned_name_is_valid() {
  constexpr std::string_view name = review_of<S>[I];
  if constexpr (!has_field<S>(name)) {
    return sizeof(reviewed_field_not_in_event<S, pinned_name_t<S, I>>) == 0;
  } else if constexpr (first_index(review_of<S>, name) != I) {
    return sizeof(field_listed_twice_in_review<S, pinned_name_t<S, I>>) == 0;
  } else {
    return true;
  }
}

template <class S, std::size_t... I>
constexpr bool fields_match_review(std::index_sequence<I...>) {
  return (field_matches_review<S, I>() && ... && true);
}

template <class S, std::size_t... I>
constexpr bool pinned_names_are_valid(std::index_sequence<I...>) {
  return (pinned_name_is_valid<S, I>() && ... && true);
}

}  // namespace detail

// True when S's central fields are exactly its pinned review. Otherwise the build fails:
// each difference instantiates one of the undefined templates above, so the error names
// S and the field. Every difference is reported, not only the first.
template <auditable S>
constexpr bool matches_review() {
  if constexpr (!has_review<S>) {
    static_assert(has_review<S>,
                  "onefuzz::telemetry::audit::matches_review<S>: S has no pinned review; write "
                  "ONEFUZZ_TELEMETRY_REVIEWED(S, \"field\", ...) in S's namespace, listing the "
                  "central fields that were approved (event_has_no_review names S)");
    return sizeof(event_has_no_review<S>) == 0;
  } else {
    constexpr bool fields_ok =
        detail::fields_match_review<S>(std::make_index_sequence<fields_of<S>.size()>{});
    constexpr bool pin_ok =
        detail::pinned_names_are_valid<S>(std::make_index_sequence<review_of<S>.size()>{});
    return fields_ok && pin_ok;
  }
}

// True when every type in a hana::tuple_t<...> (catalog::agent_event_types, ...) matches
// its review; a type without a review fails the build with event_has_no_review.
template <class Types>
constexpr bool every_type_matches_review(Types types) {
  return boost::hana::unpack(types, [](auto... type) {
    return (matches_review<typename decltype(type)::type>() && ... && true);
  });
}

}  // namespace onefuzz::telemetry::audit

// Pins the review of Type: the listed wire names are exactly the fields approved for the
// central instance (none listed: the type sends nothing but its name). Write it in Type's
// namespace. It defines onefuzz_central_review for Type and checks the type against it at
// once, so a mismatch is reported at the pin.
#define ONEFUZZ_TELEMETRY_REVIEWED(Type, ...)                                                    \
  [[maybe_unused]] constexpr auto onefuzz_central_review(::std::type_identity<Type>) noexcept { \
    return ::onefuzz::telemetry::audit::pin(__VA_ARGS__);                                       \
  }                                                                                             \
  static_assert(::onefuzz::telemetry::audit::matches_review<Type>(),                            \
                "ONEFUZZ_TELEMETRY_REVIEWED(" #Type                                             \
                ", ...): the central fields differ from the pinned review (see the error "      \
                "above, which names the field)")
