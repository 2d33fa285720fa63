// ONEFUZZ_TELEMETRY_DEFINE_STRUCT and ONEFUZZ_TELEMETRY_ADAPT_STRUCT (detail/define_struct.hpp)
// must give a struct exactly the accessors BOOST_HANA_DEFINE_STRUCT and BOOST_HANA_ADAPT_STRUCT
// give it: every check, serializer and audit reads the fields through them, and the catalog is
// declared with the library's macros while users declare events with Hana's. Each struct here
// has a twin declared with Hana's macro (same members, same order); the accessor types must be
// equal up to the struct they point into, each member_ptr must point to the member named by its
// key, and reading and serializing the two must give the same names, values and bytes.
#include "test_events.hpp"

#include <onefuzz/telemetry.hpp>
#include <onefuzz/telemetry/detail/define_struct.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/at_key.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/keys.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace define_struct_test {

namespace tel = onefuzz::telemetry;
namespace hana = boost::hana;

using u64 = tel::central<std::uint64_t>;

// One field: the smallest list the macros take.
struct one_ours {
  static constexpr std::string_view event_name = "one";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(one_ours, (tel::central<std::uint64_t>, count));
};
struct one_hana {
  static constexpr std::string_view event_name = "one";
  BOOST_HANA_DEFINE_STRUCT(one_hana, (tel::central<std::uint64_t>, count));
};

// Every kind of field the catalog declares: central and instance-only, optional, an enum.
struct mixed_ours {
  static constexpr std::string_view event_name = "mixed";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(mixed_ours,
                                  (tel::central<bool>, flag),
                                  (tel::central<std::uint64_t>, count),
                                  (tel::central<std::int32_t>, delta),
                                  (tel::central<double>, rate),
                                  (tel::central<tel::role>, target_role),
                                  (tel::central<std::optional<std::uint64_t>>, vm_count),
                                  (tel::instance_only<std::string>, path),
                                  (tel::instance_only<std::optional<std::string>>, note));
};
struct mixed_hana {
  static constexpr std::string_view event_name = "mixed";
  BOOST_HANA_DEFINE_STRUCT(mixed_hana,
                           (tel::central<bool>, flag),
                           (tel::central<std::uint64_t>, count),
                           (tel::central<std::int32_t>, delta),
                           (tel::central<double>, rate),
                           (tel::central<tel::role>, target_role),
                           (tel::central<std::optional<std::uint64_t>>, vm_count),
                           (tel::instance_only<std::string>, path),
                           (tel::instance_only<std::optional<std::string>>, note));
};

// More fields than the hand-written expansion once allowed (16).
struct wide_ours {
  static constexpr std::string_view event_name = "wide";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(wide_ours,
    (u64, w01), (tel::central<std::int32_t>, w02), (tel::central<double>, w03),
    (tel::central<bool>, w04), (u64, w05), (u64, w06), (u64, w07), (u64, w08), (u64, w09),
    (u64, w10), (u64, w11), (u64, w12), (u64, w13), (u64, w14), (u64, w15), (u64, w16),
    (u64, w17), (tel::instance_only<std::string>, w18), (u64, w19), (u64, w20));
};
struct wide_hana {
  static constexpr std::string_view event_name = "wide";
  BOOST_HANA_DEFINE_STRUCT(wide_hana,
    (u64, w01), (tel::central<std::int32_t>, w02), (tel::central<double>, w03),
    (tel::central<bool>, w04), (u64, w05), (u64, w06), (u64, w07), (u64, w08), (u64, w09),
    (u64, w10), (u64, w11), (u64, w12), (u64, w13), (u64, w14), (u64, w15), (u64, w16),
    (u64, w17), (tel::instance_only<std::string>, w18), (u64, w19), (u64, w20));
};

// The most fields the library's macro takes (BOOST_PP_LIMIT_VARIADIC); Hana's own macros stop
// at 54, so this one has no twin.
struct widest {
  static constexpr std::string_view event_name = "widest";
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(widest,
    (u64, f00), (u64, f01), (u64, f02), (u64, f03), (u64, f04), (u64, f05), (u64, f06), (u64, f07),
    (u64, f08), (u64, f09), (u64, f10), (u64, f11), (u64, f12), (u64, f13), (u64, f14), (u64, f15),
    (u64, f16), (u64, f17), (u64, f18), (u64, f19), (u64, f20), (u64, f21), (u64, f22), (u64, f23),
    (u64, f24), (u64, f25), (u64, f26), (u64, f27), (u64, f28), (u64, f29), (u64, f30), (u64, f31),
    (u64, f32), (u64, f33), (u64, f34), (u64, f35), (u64, f36), (u64, f37), (u64, f38), (u64, f39),
    (u64, f40), (u64, f41), (u64, f42), (u64, f43), (u64, f44), (u64, f45), (u64, f46), (u64, f47),
    (u64, f48), (u64, f49), (u64, f50), (u64, f51), (u64, f52), (u64, f53), (u64, f54), (u64, f55),
    (u64, f56), (u64, f57), (u64, f58), (u64, f59), (u64, f60), (u64, f61), (u64, f62), (u64, f63));
};

// Adapted aggregates, as the catalog's contexts are (a default member initializer is why).
struct one_context_ours {
  tel::central<std::uint64_t> shard;
};
struct one_context_hana {
  tel::central<std::uint64_t> shard;
};
struct context_ours {
  tel::central<std::uint64_t> session;
  tel::central<tel::role> role{tel::role::supervisor};
  tel::instance_only<std::string> region;
  tel::central<bool> managed;
};
struct context_hana {
  tel::central<std::uint64_t> session;
  tel::central<tel::role> role{tel::role::supervisor};
  tel::instance_only<std::string> region;
  tel::central<bool> managed;
};
struct wide_context_ours {
  u64 c01, c02, c03, c04, c05, c06, c07, c08, c09, c10, c11, c12, c13, c14, c15, c16, c17;
};
struct wide_context_hana {
  u64 c01, c02, c03, c04, c05, c06, c07, c08, c09, c10, c11, c12, c13, c14, c15, c16, c17;
};

}  // namespace define_struct_test

// Both adapting macros specialize boost::hana::accessors_impl: at namespace scope, outside
// any namespace.
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(define_struct_test::one_context_ours, shard);
BOOST_HANA_ADAPT_STRUCT(define_struct_test::one_context_hana, shard);
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(define_struct_test::context_ours, session, role, region, managed);
BOOST_HANA_ADAPT_STRUCT(define_struct_test::context_hana, session, role, region, managed);
ONEFUZZ_TELEMETRY_ADAPT_STRUCT(define_struct_test::wide_context_ours, c01, c02, c03, c04, c05,
                               c06, c07, c08, c09, c10, c11, c12, c13, c14, c15, c16, c17);
BOOST_HANA_ADAPT_STRUCT(define_struct_test::wide_context_hana, c01, c02, c03, c04, c05, c06, c07,
                        c08, c09, c10, c11, c12, c13, c14, c15, c16, c17);

namespace define_struct_test {

namespace {

template <class S>
using accessors_t = std::remove_cvref_t<decltype(hana::accessors<S>())>;

template <class Memptr, Memptr Pointer>
using member_ptr = hana::struct_detail::member_ptr<Memptr, Pointer>;

// --- Exact types, written out: one field. ---------------------------------------------------

// The accessors of a struct whose one field is Member, named Name.
template <class Name, auto Member>
using one_pair_tuple = hana::tuple<hana::pair<Name, member_ptr<decltype(Member), Member>>>;

using count_name = hana::string<'c', 'o', 'u', 'n', 't'>;
static_assert(std::is_same_v<accessors_t<one_ours>, one_pair_tuple<count_name, &one_ours::count>>);
static_assert(std::is_same_v<accessors_t<one_hana>, one_pair_tuple<count_name, &one_hana::count>>);
using shard_name = hana::string<'s', 'h', 'a', 'r', 'd'>;
static_assert(std::is_same_v<accessors_t<one_context_ours>,
                             one_pair_tuple<shard_name, &one_context_ours::shard>>);
static_assert(std::is_same_v<accessors_t<one_context_hana>,
                             one_pair_tuple<shard_name, &one_context_hana::shard>>);

// --- Equal up to the struct: every pair of S, with S taken out. ---------------------------------

// A pair whose accessor is a member_ptr to a member of S becomes its name and the member's
// type; any other pair (another struct's member, another kind of accessor, not a hana::pair)
// stays whole, so it can never equal a twin's.
template <class Name, class Member>
struct field_shape {};
template <class S, class Pair>
struct shape_of {
  using type = Pair;
};
template <class S, class Name, class Member, Member S::*Pointer>
struct shape_of<S, hana::pair<Name, member_ptr<Member S::*, Pointer>>> {
  using type = field_shape<Name, Member>;
};
template <class S, class Tuple>
struct shapes_of;
template <class S, class... Pairs>
struct shapes_of<S, hana::tuple<Pairs...>> {
  using type = hana::tuple<typename shape_of<S, Pairs>::type...>;
};
template <class A, class B>
inline constexpr bool same_fields = std::is_same_v<typename shapes_of<A, accessors_t<A>>::type,
                                                   typename shapes_of<B, accessors_t<B>>::type>;

static_assert(same_fields<one_ours, one_hana>);
static_assert(same_fields<mixed_ours, mixed_hana>);
static_assert(same_fields<wide_ours, wide_hana>);
static_assert(same_fields<one_context_ours, one_context_hana>);
static_assert(same_fields<context_ours, context_hana>);
static_assert(same_fields<wide_context_ours, wide_context_hana>);
// The comparison can fail: another order, or another struct's member, is not the same.
static_assert(!same_fields<mixed_ours, wide_ours>);
static_assert(!same_fields<one_ours, one_context_ours>);  // count vs shard
static_assert(!std::is_same_v<typename shapes_of<one_ours, accessors_t<one_hana>>::type,
                              typename shapes_of<one_ours, accessors_t<one_ours>>::type>);

// --- Each key's member_ptr points to the member of that name. --------------------------------

template <class S, std::size_t I>
using pair_at_t = std::remove_cvref_t<decltype(hana::at_c<I>(std::declval<accessors_t<S>>()))>;
template <class S, std::size_t I, auto Member>
inline constexpr bool accessor_is =
    std::is_same_v<std::remove_cvref_t<decltype(hana::second(std::declval<pair_at_t<S, I>>()))>,
                   member_ptr<decltype(Member), Member>>;

static_assert(accessor_is<mixed_ours, 0, &mixed_ours::flag>);
static_assert(accessor_is<mixed_ours, 1, &mixed_ours::count>);
static_assert(accessor_is<mixed_ours, 2, &mixed_ours::delta>);
static_assert(accessor_is<mixed_ours, 3, &mixed_ours::rate>);
static_assert(accessor_is<mixed_ours, 4, &mixed_ours::target_role>);
static_assert(accessor_is<mixed_ours, 5, &mixed_ours::vm_count>);
static_assert(accessor_is<mixed_ours, 6, &mixed_ours::path>);
static_assert(accessor_is<mixed_ours, 7, &mixed_ours::note>);
static_assert(accessor_is<wide_ours, 0, &wide_ours::w01>);
static_assert(accessor_is<wide_ours, 16, &wide_ours::w17>);
static_assert(accessor_is<wide_ours, 19, &wide_ours::w20>);
static_assert(accessor_is<context_ours, 0, &context_ours::session>);
static_assert(accessor_is<context_ours, 1, &context_ours::role>);
static_assert(accessor_is<context_ours, 2, &context_ours::region>);
static_assert(accessor_is<context_ours, 3, &context_ours::managed>);
static_assert(accessor_is<wide_context_ours, 16, &wide_context_ours::c17>);
static_assert(accessor_is<widest, 0, &widest::f00>);
static_assert(accessor_is<widest, 63, &widest::f63>);
static_assert(!accessor_is<mixed_ours, 0, &mixed_ours::count>);
static_assert(decltype(hana::length(std::declval<accessors_t<widest>>()))::value == 64);

// Every struct here is a valid event or context for the library.
static_assert(tel::event_check<one_ours> && tel::event_check<mixed_ours> &&
              tel::event_check<wide_ours> && tel::event_check<widest>);
static_assert(tel::event_check<one_context_ours> && tel::event_check<context_ours> &&
              tel::event_check<wide_context_ours>);

// --- Run time. --------------------------------------------------------------------------------

template <class S>
std::vector<std::string> key_names(const S& s) {
  std::vector<std::string> names;
  hana::for_each(hana::keys(s), [&](auto key) { names.emplace_back(hana::to<const char*>(key)); });
  return names;
}

// Where each accessor's member lies in the object, in accessor order. A struct and its twin
// declare the same members in the same order, so equal offsets mean the same member.
template <class S>
std::vector<std::ptrdiff_t> member_offsets(const S& s) {
  std::vector<std::ptrdiff_t> offsets;
  hana::for_each(hana::accessors<S>(), [&](auto pair) {
    const auto& member = hana::second(pair)(s);
    offsets.push_back(reinterpret_cast<const char*>(std::addressof(member)) -
                      reinterpret_cast<const char*>(std::addressof(s)));
  });
  return offsets;
}

// True when the I-th accessors of a and b read equal values, for every I.
template <class A, class B>
bool same_values(const A& a, const B& b) {
  constexpr std::size_t size = decltype(hana::length(std::declval<accessors_t<A>>()))::value;
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((hana::second(hana::at_c<I>(hana::accessors<A>()))(a) ==
             hana::second(hana::at_c<I>(hana::accessors<B>()))(b)) &&
            ...);
  }(std::make_index_sequence<size>{});
}

template <class A, class B>
void check_twins(const A& a, const B& b, const std::vector<std::string>& names) {
  CHECK(key_names(a) == names);
  CHECK(key_names(b) == names);
  const auto offsets = member_offsets(a);
  CHECK(offsets == member_offsets(b));
  REQUIRE(offsets.size() == names.size());
  for (std::size_t i = 1; i < offsets.size(); ++i) CHECK(offsets[i - 1] < offsets[i]);
  CHECK(same_values(a, b));
}

template <class S>
S mixed_sample() {
  S s;
  s.flag = true;
  s.count = 18446744073709551615ull;
  s.delta = -42;
  s.rate = 2.5;
  s.target_role = tel::role::proxy;
  s.vm_count = 3u;
  s.path = "/home/alice/crash-1";
  return s;  // note stays empty
}

template <class S>
S wide_sample() {
  S s;
  s.w01 = 1u;
  s.w02 = -2;
  s.w03 = 3.5;
  s.w04 = true;
  s.w05 = 5u;
  s.w06 = 6u;
  s.w07 = 7u;
  s.w08 = 8u;
  s.w09 = 9u;
  s.w10 = 10u;
  s.w11 = 11u;
  s.w12 = 12u;
  s.w13 = 13u;
  s.w14 = 14u;
  s.w15 = 15u;
  s.w16 = 16u;
  s.w17 = 17u;
  s.w18 = "eighteen";
  s.w19 = 19u;
  s.w20 = 20u;
  return s;
}

template <class C>
C context_sample() {
  C c;
  c.session = 77u;
  c.region = "westeurope";
  c.managed = true;
  return c;  // role keeps its default, supervisor
}

std::vector<std::string> numbered(char prefix, int first, int last) {
  std::vector<std::string> names;
  for (int i = first; i <= last; ++i) {
    names.push_back(std::string(1, prefix) + (i < 10 ? "0" : "") + std::to_string(i));
  }
  return names;
}

using core_test::fixed_time;
using core_test::sample_central_destination;
using core_test::sample_full_destination;

boost::json::object properties_of(std::string_view payload) {
  const boost::json::object envelope = core_test::parse_object(payload);
  INFO(payload);  // for a missing member too (at() throws)
  return envelope
      .at("data").as_object()
      .at("baseData").as_object()
      .at("properties").as_object();
}

std::vector<std::string> keys_in_order(const boost::json::object& object) {
  std::vector<std::string> keys;
  for (const auto& member : object) keys.emplace_back(member.key());
  return keys;
}

}  // namespace

TEST_CASE("keys and accessors name and reach the same members as Hana's twin, in order") {
  check_twins(one_ours{.count = 7u}, one_hana{.count = 7u}, {"count"});
  check_twins(mixed_sample<mixed_ours>(), mixed_sample<mixed_hana>(),
              {"flag", "count", "delta", "rate", "target_role", "vm_count", "path", "note"});
  check_twins(wide_sample<wide_ours>(), wide_sample<wide_hana>(), numbered('w', 1, 20));
  check_twins(one_context_ours{.shard = 4u}, one_context_hana{.shard = 4u}, {"shard"});
  check_twins(context_sample<context_ours>(), context_sample<context_hana>(),
              {"session", "role", "region", "managed"});
  wide_context_ours wide_context{};
  wide_context.c17 = 17u;
  wide_context_hana wide_context_twin{};
  wide_context_twin.c17 = 17u;
  check_twins(wide_context, wide_context_twin, numbered('c', 1, 17));
  widest all{};
  CHECK(key_names(all) == numbered('f', 0, 63));
  const auto offsets = member_offsets(all);
  REQUIRE(offsets.size() == 64);
  for (std::size_t i = 1; i < offsets.size(); ++i) CHECK(offsets[i - 1] < offsets[i]);

  // The comparison sees a difference in any one value.
  auto changed = wide_sample<wide_hana>();
  changed.w17 = 0u;
  CHECK_FALSE(same_values(wide_sample<wide_ours>(), changed));
}

TEST_CASE("values read through hana::at_key and the accessors are the members'") {
  auto mixed = mixed_sample<mixed_ours>();
  CHECK(*hana::at_key(mixed, BOOST_HANA_STRING("count")) == 18446744073709551615ull);
  CHECK(*hana::at_key(mixed, BOOST_HANA_STRING("delta")) == -42);
  CHECK(*hana::at_key(mixed, BOOST_HANA_STRING("target_role")) == tel::role::proxy);
  CHECK(*hana::at_key(mixed, BOOST_HANA_STRING("path")) == "/home/alice/crash-1");
  CHECK_FALSE(hana::at_key(mixed, BOOST_HANA_STRING("note"))->has_value());
  // Writing through an accessor writes the member.
  hana::second(hana::at_c<2>(hana::accessors<mixed_ours>()))(mixed) = 5;
  CHECK(*mixed.delta == 5);

  auto context = context_sample<context_ours>();
  CHECK(*hana::at_key(context, BOOST_HANA_STRING("role")) == tel::role::supervisor);
  CHECK(*hana::at_key(context, BOOST_HANA_STRING("region")) == "westeurope");
  hana::second(hana::at_c<0>(hana::accessors<context_ours>()))(context) = 78u;
  CHECK(*context.session == 78u);

  widest all{};
  all.f63 = 63u;
  CHECK(*hana::at_key(all, BOOST_HANA_STRING("f63")) == 63u);
  CHECK(*hana::second(hana::at_c<63>(hana::accessors<widest>()))(all) == 63u);
}

TEST_CASE("the serializers write a struct and its Hana twin identically") {
  const auto event = mixed_sample<mixed_ours>();
  const auto context = context_sample<context_ours>();
  tel::output_buffer full, central, full_twin, central_twin;
  CHECK(tel::write_full(full, sample_full_destination, fixed_time, event, context).clean());
  CHECK(tel::write_central(central, sample_central_destination, fixed_time, event, context)
            .clean());
  tel::write_full(full_twin, sample_full_destination, fixed_time, mixed_sample<mixed_hana>(),
                  context_sample<context_hana>());
  tel::write_central(central_twin, sample_central_destination, fixed_time,
                     mixed_sample<mixed_hana>(), context_sample<context_hana>());
  CHECK(full.view() == full_twin.view());
  CHECK(central.view() == central_twin.view());

  const auto properties = properties_of(full.view());
  CHECK(keys_in_order(properties) ==
        std::vector<std::string>{"flag", "count", "delta", "rate", "target_role", "vm_count",
                                 "path", "session", "role", "region", "managed"});
  CHECK(properties.at("flag").as_string() == "true");
  CHECK(properties.at("count").as_string() == "18446744073709551615");
  CHECK(properties.at("delta").as_string() == "-42");
  CHECK(properties.at("rate").as_string() == "2.5");
  CHECK(properties.at("target_role").as_string() == "proxy");
  CHECK(properties.at("vm_count").as_string() == "3");
  CHECK(properties.at("path").as_string() == "/home/alice/crash-1");
  CHECK(properties.at("session").as_string() == "77");
  CHECK(properties.at("role").as_string() == "supervisor");
  CHECK(properties.at("region").as_string() == "westeurope");
  CHECK(properties.at("managed").as_string() == "true");

  // Instance-only fields (the event's path, the context's region) stay out of the central one.
  CHECK(keys_in_order(properties_of(central.view())) ==
        std::vector<std::string>{"flag", "count", "delta", "rate", "target_role", "vm_count",
                                 "session", "role", "managed"});
}

TEST_CASE("structs wider than 16 fields serialize every field") {
  tel::output_buffer full, full_twin, central;
  const auto event = wide_sample<wide_ours>();
  CHECK(tel::write_full(full, sample_full_destination, fixed_time, event).clean());
  tel::write_full(full_twin, sample_full_destination, fixed_time, wide_sample<wide_hana>());
  CHECK(full.view() == full_twin.view());
  auto properties = properties_of(full.view());
  CHECK(keys_in_order(properties) == numbered('w', 1, 20));
  CHECK(properties.at("w02").as_string() == "-2");
  CHECK(properties.at("w03").as_string() == "3.5");
  CHECK(properties.at("w04").as_string() == "true");
  CHECK(properties.at("w17").as_string() == "17");
  CHECK(properties.at("w18").as_string() == "eighteen");
  CHECK(properties.at("w20").as_string() == "20");
  CHECK(tel::write_central(central, sample_central_destination, fixed_time, event).clean());
  auto central_keys = numbered('w', 1, 20);
  central_keys.erase(central_keys.begin() + 17);  // w18, instance-only
  CHECK(keys_in_order(properties_of(central.view())) == central_keys);

  // Each field set through its accessor, in order: f00 = 0, ..., f63 = 63.
  widest all{};
  std::uint64_t next = 0;
  hana::for_each(hana::accessors<widest>(), [&](auto pair) { hana::second(pair)(all) = next++; });
  tel::output_buffer widest_out;
  CHECK(tel::write_full(widest_out, sample_full_destination, fixed_time, all).clean());
  properties = properties_of(widest_out.view());
  CHECK(keys_in_order(properties) == numbered('f', 0, 63));
  for (int i = 0; i < 64; ++i) {
    const auto key = numbered('f', i, i).front();
    INFO(key);
    CHECK(properties.at(key).as_string() == std::to_string(i));
  }
}

}  // namespace define_struct_test
