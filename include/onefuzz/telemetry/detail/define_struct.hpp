// ONEFUZZ_TELEMETRY_DEFINE_STRUCT(Type, (central<T>, name), (instance_only<T>, name)...):
// declares the members and makes Type a Hana struct exactly as BOOST_HANA_DEFINE_STRUCT
// does (the same accessors: a hana::pair of the name as a hana::string and a member_ptr
// over the data member, so every check and serializer sees the same fields), but cheaper to
// compile. BOOST_HANA_DEFINE_STRUCT's accessors function has a deduced return type in a
// non-template class, so every struct builds its tuple of pairs and its names (make_tuple,
// make_pair, prepare_member_name) where it is defined, in every TU that includes it: about
// 17 ms per struct with g++ 12, most of what including the catalog cost. Here the accessors
// function is a template with its return type spelled out: the checks read the pair types
// from it without building anything, and the tuple is built only where a serializer or an
// audit walks the fields. Used by the catalog; up to 16 fields, each type without a
// top-level comma (the catalog's types have none). ONEFUZZ_TELEMETRY_ADAPT_STRUCT, below, is
// the same for BOOST_HANA_ADAPT_STRUCT.
#pragma once

#include <boost/hana/accessors.hpp>
#include <boost/hana/define_struct.hpp>  // boost::hana::struct_detail::member_ptr
#include <boost/hana/pair.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>

#include <cstddef>
#include <utility>

namespace onefuzz::telemetry::detail {

// A member's name as a constant, so that its characters can become a hana::string.
template <std::size_t N>
struct field_name_literal {
  char chars[N];
  constexpr field_name_literal(const char (&text)[N]) noexcept {  // NOLINT: implicit on purpose
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
};

template <field_name_literal Name, class = std::make_index_sequence<sizeof(Name.chars) - 1>>
struct hana_name;
template <field_name_literal Name, std::size_t... I>
struct hana_name<Name, std::index_sequence<I...>> {
  using type = boost::hana::string<Name.chars[I]...>;
};

template <field_name_literal Name>
using hana_name_t = typename hana_name<Name>::type;

}  // namespace onefuzz::telemetry::detail

#define ONEFUZZ_TELEMETRY_DETAIL_CAT(a, b) ONEFUZZ_TELEMETRY_DETAIL_CAT_I(a, b)
#define ONEFUZZ_TELEMETRY_DETAIL_CAT_I(a, b) a##b

// The number of arguments (1 to 16), and Prefix##that number applied to them.
#define ONEFUZZ_TELEMETRY_DETAIL_NARG(...)                                                   \
  ONEFUZZ_TELEMETRY_DETAIL_NARG_I(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, \
                                  3, 2, 1, )
#define ONEFUZZ_TELEMETRY_DETAIL_NARG_I(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, \
                                        _14, _15, _16, N, ...)                                 \
  N
#define ONEFUZZ_TELEMETRY_DETAIL_EACH(Prefix, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_CAT(Prefix, ONEFUZZ_TELEMETRY_DETAIL_NARG(__VA_ARGS__))(__VA_ARGS__)

// Member declarations, one per (type, name).
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBER(field) ONEFUZZ_TELEMETRY_DETAIL_MEMBER_I field
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBER_I(type, name) type name;
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_1(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_2(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_1(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_3(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_2(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_4(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_3(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_5(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_4(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_6(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_5(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_7(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_6(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_8(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_7(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_9(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_8(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_10(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_9(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_11(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_10(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_12(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_11(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_13(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_12(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_14(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_13(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_15(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_14(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_16(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER(f) ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_15(__VA_ARGS__)

// The accessor pair types, comma-separated, in declaration order (Self: the struct).
#define ONEFUZZ_TELEMETRY_DETAIL_PAIR(field) ONEFUZZ_TELEMETRY_DETAIL_PAIR_I field
#define ONEFUZZ_TELEMETRY_DETAIL_PAIR_I(type, name)                          \
  ::boost::hana::pair<::onefuzz::telemetry::detail::hana_name_t<#name>,     \
                      ::boost::hana::struct_detail::member_ptr<decltype(&Self::name), &Self::name>>
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_1(f) ONEFUZZ_TELEMETRY_DETAIL_PAIR(f)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_2(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_1(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_3(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_2(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_4(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_3(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_5(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_4(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_6(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_5(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_7(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_6(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_8(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_7(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_9(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_8(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_10(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_9(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_11(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_10(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_12(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_11(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_13(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_12(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_14(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_13(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_15(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_14(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_PAIRS_16(f, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_PAIR(f), ONEFUZZ_TELEMETRY_DETAIL_PAIRS_15(__VA_ARGS__)

#define ONEFUZZ_TELEMETRY_DEFINE_STRUCT(TYPE, ...)                                               \
  ONEFUZZ_TELEMETRY_DETAIL_EACH(ONEFUZZ_TELEMETRY_DETAIL_MEMBERS_, __VA_ARGS__)                   \
  struct hana_accessors_impl {                                                                   \
    template <class Self = TYPE>                                                                 \
    static constexpr ::boost::hana::tuple<                                                       \
        ONEFUZZ_TELEMETRY_DETAIL_EACH(ONEFUZZ_TELEMETRY_DETAIL_PAIRS_, __VA_ARGS__)>               \
    apply() {                                                                                    \
      return {};                                                                                 \
    }                                                                                            \
  }

// The same for an existing aggregate, as BOOST_HANA_ADAPT_STRUCT(Type, name...) does (at
// namespace scope, outside any namespace): the catalog's contexts, which need default member
// initializers that BOOST_HANA_DEFINE_STRUCT has no room for.
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(name)                             \
  ::boost::hana::pair<::onefuzz::telemetry::detail::hana_name_t<#name>,     \
                      ::boost::hana::struct_detail::member_ptr<decltype(&Self::name), &Self::name>>
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_1(n) ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_2(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_1(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_3(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_2(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_4(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_3(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_5(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_4(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_6(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_5(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_7(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_6(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_8(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_7(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_9(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_8(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_10(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_9(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_11(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_10(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_12(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_11(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_13(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_12(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_14(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_13(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_15(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_14(__VA_ARGS__)
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_16(n, ...) \
  ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(n), ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_15(__VA_ARGS__)

#define ONEFUZZ_TELEMETRY_ADAPT_STRUCT(TYPE, ...)                                                \
  template <>                                                                                    \
  struct boost::hana::accessors_impl<TYPE> {                                                     \
    template <class Self = TYPE>                                                                 \
    static constexpr ::boost::hana::tuple<                                                       \
        ONEFUZZ_TELEMETRY_DETAIL_EACH(ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIRS_, __VA_ARGS__)>         \
    apply() {                                                                                    \
      return {};                                                                                 \
    }                                                                                            \
  }
