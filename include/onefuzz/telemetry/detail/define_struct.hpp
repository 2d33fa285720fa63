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
// audit walks the fields. Used by the catalog; up to 64 fields (BOOST_PP_LIMIT_VARIADIC, the
// most arguments BOOST_PP_VARIADIC_SIZE counts; Hana's own macros take 54), each type without
// a top-level comma (the catalog's types have none). ONEFUZZ_TELEMETRY_ADAPT_STRUCT, below, is
// the same for BOOST_HANA_ADAPT_STRUCT.
#pragma once

#include <boost/hana/accessors.hpp>
#include <boost/hana/define_struct.hpp>  // boost::hana::struct_detail::member_ptr
#include <boost/hana/pair.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/repetition/repeat.hpp>
#include <boost/preprocessor/tuple/rem.hpp>
#include <boost/preprocessor/variadic/elem.hpp>
#include <boost/preprocessor/variadic/size.hpp>

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

// Each list is walked with BOOST_PP_REPEAT over the argument count, each step taking its
// field with BOOST_PP_VARIADIC_ELEM, rather than with BOOST_PP_SEQ_FOR_EACH over
// BOOST_PP_VARIADIC_TO_SEQ: with g++ 12 the catalog's macros then cost about 10 ms and 2 MB
// more to preprocess than hand-written repetition, against 55 ms and 12 MB for
// BOOST_PP_SEQ_FOR_EACH (each BOOST_PP_FOR step carries the rest of the sequence through
// several macros, and g++ keeps the location of every token it expands).
#define ONEFUZZ_TELEMETRY_DETAIL_FIELD(i, fields) BOOST_PP_VARIADIC_ELEM(i, BOOST_PP_REM fields)

// Member declarations, one per (type, name). Here and below, the _I macros take the field as
// an argument so that it is expanded to (type, name) before being applied or stringized.
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBER(z, i, fields) \
  ONEFUZZ_TELEMETRY_DETAIL_MEMBER_I(ONEFUZZ_TELEMETRY_DETAIL_FIELD(i, fields))
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBER_I(field) ONEFUZZ_TELEMETRY_DETAIL_MEMBER_II field
#define ONEFUZZ_TELEMETRY_DETAIL_MEMBER_II(type, name) type name;

// The accessor pair type of the member `name` (Self: the struct), as Hana builds it; the
// pairs are template arguments, so a comma comes before each one but the first.
#define ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(name)                         \
  ::boost::hana::pair<::onefuzz::telemetry::detail::hana_name_t<#name>, \
                      ::boost::hana::struct_detail::member_ptr<decltype(&Self::name), &Self::name>>
#define ONEFUZZ_TELEMETRY_DETAIL_PAIR_I(type, name) ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(name)
#define ONEFUZZ_TELEMETRY_DETAIL_FIELD_PAIR(z, i, fields) \
  BOOST_PP_COMMA_IF(i)                                    \
  ONEFUZZ_TELEMETRY_DETAIL_FIELD_PAIR_I(ONEFUZZ_TELEMETRY_DETAIL_FIELD(i, fields))
#define ONEFUZZ_TELEMETRY_DETAIL_FIELD_PAIR_I(field) ONEFUZZ_TELEMETRY_DETAIL_PAIR_I field
#define ONEFUZZ_TELEMETRY_DETAIL_NAME_PAIR(z, i, names) \
  BOOST_PP_COMMA_IF(i)                                  \
  ONEFUZZ_TELEMETRY_DETAIL_NAME_PAIR_I(ONEFUZZ_TELEMETRY_DETAIL_FIELD(i, names))
#define ONEFUZZ_TELEMETRY_DETAIL_NAME_PAIR_I(name) ONEFUZZ_TELEMETRY_DETAIL_NAMED_PAIR(name)

#define ONEFUZZ_TELEMETRY_DEFINE_STRUCT(TYPE, ...)                                               \
  BOOST_PP_REPEAT(BOOST_PP_VARIADIC_SIZE(__VA_ARGS__), ONEFUZZ_TELEMETRY_DETAIL_MEMBER,         \
                  (__VA_ARGS__))                                                                 \
  struct hana_accessors_impl {                                                                   \
    template <class Self = TYPE>                                                                 \
    static constexpr ::boost::hana::tuple<BOOST_PP_REPEAT(                                       \
        BOOST_PP_VARIADIC_SIZE(__VA_ARGS__), ONEFUZZ_TELEMETRY_DETAIL_FIELD_PAIR, (__VA_ARGS__))> \
    apply() {                                                                                    \
      return {};                                                                                 \
    }                                                                                            \
  }

// The same for an existing aggregate, as BOOST_HANA_ADAPT_STRUCT(Type, name...) does (at
// namespace scope, outside any namespace): the catalog's contexts, which need default member
// initializers that BOOST_HANA_DEFINE_STRUCT has no room for.
#define ONEFUZZ_TELEMETRY_ADAPT_STRUCT(TYPE, ...)                                                \
  template <>                                                                                    \
  struct boost::hana::accessors_impl<TYPE> {                                                     \
    template <class Self = TYPE>                                                                 \
    static constexpr ::boost::hana::tuple<BOOST_PP_REPEAT(                                       \
        BOOST_PP_VARIADIC_SIZE(__VA_ARGS__), ONEFUZZ_TELEMETRY_DETAIL_NAME_PAIR, (__VA_ARGS__))>  \
    apply() {                                                                                    \
      return {};                                                                                 \
    }                                                                                            \
  }
