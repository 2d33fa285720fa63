// Reads an event's fields from the types of its Hana accessor pairs: each field's wire name,
// accessor and member type, and the list of pairs, for the checks and field tables of
// event.hpp and for the serializers.
#pragma once

#include <boost/hana/accessors.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>

#include <string_view>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry::detail {

// Everything here works on types, by partial specialization: calling hana::first,
// hana::second or hana::unpack for each trait of each field (as event_check and fields_of
// once did) instantiates far more templates, and every catalog event paid that in each
// file that includes the catalog.

// A field's wire name (a hana::string) and its accessor, from the type of its pair. The
// primary template serves pairs that are not a hana::pair (a hand-written accessors_impl).
template <class Pair>
struct pair_parts {
  using name = std::remove_cvref_t<decltype(boost::hana::first(std::declval<Pair>()))>;
  using accessor = std::remove_cvref_t<decltype(boost::hana::second(std::declval<Pair>()))>;
};
template <class First, class Second>
struct pair_parts<boost::hana::pair<First, Second>> {
  using name = First;
  using accessor = Second;
};

template <class Pair>
using pair_name_t = typename pair_parts<std::remove_cvref_t<Pair>>::name;
template <class Pair>
using pair_accessor_t = typename pair_parts<std::remove_cvref_t<Pair>>::accessor;

// The type an accessor returns for an S&, without cv or reference: for a data member, the
// member's declared type; otherwise (an accessor that computes its value) what it returns.
template <class S, class Accessor>
struct accessed_type {
  using type = std::remove_cvref_t<decltype(std::declval<Accessor>()(std::declval<S&>()))>;
};
template <class S, class Member, class Class, Member Class::*Pointer>
struct accessed_type<S, boost::hana::struct_detail::member_ptr<Member Class::*, Pointer>> {
  using type = std::remove_cv_t<Member>;
};

template <class S, class Pair>
using member_type_t = typename accessed_type<S, pair_accessor_t<Pair>>::type;

// The characters of a hana::string as a constant, once per name.
template <class Name>
struct name_text {
  static constexpr std::string_view value{boost::hana::to<const char*>(Name{})};
};
template <char... C>
struct name_text<boost::hana::string<C...>> {
  static constexpr char chars[] = {C..., '\0'};
  static constexpr std::string_view value{chars, sizeof...(C)};
};

template <class Name>
constexpr std::string_view name_view() {
  return name_text<Name>::value;
}

// The types of S's accessor pairs, in declaration order, computed once per S.
template <class... Pairs>
struct pair_list {};

// Declared only: names the pair types of any Hana sequence in an unevaluated hana::unpack.
struct to_pair_list {
  template <class... Pairs>
  pair_list<std::remove_cvref_t<Pairs>...> operator()(Pairs&&...) const;
};

template <class Accessors>
struct pair_list_of {
  using type = decltype(boost::hana::unpack(std::declval<Accessors>(), to_pair_list{}));
};
template <class... Pairs>
struct pair_list_of<boost::hana::tuple<Pairs...>> {
  using type = pair_list<Pairs...>;
};

// Read from accessors_impl<S>::apply(), the customization point hana::accessors<S>() calls:
// hana::accessors returns it through decltype(auto), which makes the compiler build the
// tuple of pairs to name its type; the type alone is all the checks need.
template <class S>
using accessors_type_t = std::remove_cvref_t<decltype(boost::hana::accessors_impl<S>::apply())>;
template <class S>
using pairs_of_t = typename pair_list_of<accessors_type_t<S>>::type;

}  // namespace onefuzz::telemetry::detail
