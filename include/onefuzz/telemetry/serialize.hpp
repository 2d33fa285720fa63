// Defines the two serializers of every event: full (every field, for the user's instance)
// and central (only central fields, for the central instance), generated with Boost.Hana
// from the event's fields. The central serializer's code never reads an instance-only
// member: those fields are filtered out at compile time, before any code is generated.
#pragma once

#include <onefuzz/telemetry/detail/path_text.hpp>
#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/json.hpp>

#include <boost/hana/at.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/unpack.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry {

// How values are written into a payload.
enum class encoding {
  // Every value is a string property, numbers formatted as the original's Rust
  // to_string (1.0 → "1"), so existing queries over customDimensions keep working.
  onefuzz_compatible,
  // Integers and floating point go to `measurements` as JSON numbers; the rest are
  // string properties. NaN and infinities are left out and counted.
  typed,
};

// The write_report of each payload written by write_both.
struct pair_report {
  write_report full;
  write_report central;
};

namespace detail {

// `,"name":"` and `,"name":` for each field, built at compile time from the Hana name.
template <class Name>
struct member_keys;
template <char... Cs>
struct member_keys<boost::hana::string<Cs...>> {
  static constexpr char string_key[] = {',', '"', Cs..., '"', ':', '"'};
  static constexpr char number_key[] = {',', '"', Cs..., '"', ':'};
};

// Joins compile-time strings into one array (no terminator), so each constant run of an
// envelope is one memcpy.
template <std::size_t N>
struct joined {
  char text[N];
  static constexpr std::size_t size = N;
};
template <const std::string_view&... Parts>
inline constexpr auto join = [] {
  joined<(Parts.size() + ...)> out{};
  std::size_t at = 0;
  ((std::copy(Parts.begin(), Parts.end(), out.text + at), at += Parts.size()), ...);
  return out;
}();

inline constexpr std::string_view event_head_start =
    R"(","name":"Microsoft.ApplicationInsights.Event","sampleRate":100.0,)"
    R"("data":{"baseType":"EventData","baseData":{"ver":2,"name":")";
inline constexpr std::string_view metric_head_start =
    R"(","name":"Microsoft.ApplicationInsights.Metric","sampleRate":100.0,)"
    R"("data":{"baseType":"MetricData","baseData":{"ver":2,"metrics":[{"name":")";
inline constexpr std::string_view event_head_end = R"(","properties":)";
inline constexpr std::string_view metric_head_end = R"(","kind":0,"value":1.0,"count":1}],"properties":)";

template <class E>
struct event_heads {
  static constexpr std::string_view name = E::event_name;
  static constexpr auto event = join<event_head_start, name, event_head_end>;
  static constexpr auto metric = join<metric_head_start, name, metric_head_end>;
};

enum class section { properties, measurements };

template <encoding Enc, class V>
constexpr section section_of() {
  using plain = unwrap_optional_t<V>;
  if constexpr (Enc == encoding::typed && (integer_value<plain> || floating_value<plain>)) {
    return section::measurements;
  } else {
    return section::properties;
  }
}

// Where one payload (full or central) is being written.
struct target {
  output_buffer& out;
  write_report& report;
  std::size_t section_start = 0;
};

// Opens a section ("properties": or "measurements":). Members are written as ,"k":v; the
// first comma is turned into '{' on close, so no per-member branch is needed.
inline void open_section(target& t, std::string_view key) {
  t.out.append(key);
  t.section_start = t.out.size();
}
inline void close_section(target& t) {
  if (t.out.size() == t.section_start) {
    t.out.append("{}", 2);
  } else {
    t.out.set(t.section_start, '{');
    t.out.push_back('}');
  }
}

template <std::size_t KeySize>
inline void write_text(target& t, const char (&key)[KeySize], std::string_view text) {
  t.out.append(key, KeySize);
  json::write_escaped(t.out, text, max_property_value_size, t.report);
  t.out.push_back('"');
}

template <class V>
inline std::string_view text_of(const V& value, write_report& report) {
  if constexpr (std::same_as<V, std::filesystem::path>) {
    return path_text(value, report);  // UTF-8 on every platform
  } else if constexpr (std::is_pointer_v<V>) {
    return value == nullptr ? std::string_view{} : std::string_view{value};
  } else {
    return std::string_view{value};
  }
}

// The most bytes a fixed-size value takes once rendered (0 for text, whose size depends on
// the value; write_escaped reserves room for it itself).
template <class V>
constexpr std::size_t max_value_size() {
  if constexpr (std::same_as<V, bool>) {
    return 5;
  } else if constexpr (integer_value<V>) {
    return std::numeric_limits<V>::digits10 + 2;  // every digit and a sign
  } else if constexpr (floating_value<V>) {
    return json::max_number_size;
  } else if constexpr (wire_enum<V>) {
    // Out of range, the number is sent instead of a name.
    std::size_t longest = std::numeric_limits<std::underlying_type_t<V>>::digits10 + 2;
    for (auto name : wire_names_of<V>.names) longest = std::max(longest, name.size());
    return longest;
  } else if constexpr (id_value<V>) {
    return uuid::text_size;
  } else if constexpr (std::same_as<V, version>) {
    return version::max_size;
  } else {
    return 0;
  }
}

template <class V>
inline constexpr bool is_text_member_v =
    text_value<unwrap_optional_t<V>> || reviewed_value<unwrap_optional_t<V>>;

// The most bytes a fixed-size member takes in a payload: ,"name":"value"
template <class Name, class V>
constexpr std::size_t max_member_size() {
  return sizeof(member_keys<Name>::string_key) + max_value_size<unwrap_optional_t<V>>() + 1;
}

// For each field of S, the room to reserve in a payload before writing it when it starts a
// run of fixed-size fields (0 elsewhere): one reserve covers the whole run, so its members
// are written without a capacity check each. A text field that the payload gets ends a
// run, since its size is known only at run time. Fields a section leaves out are counted
// anyway: reserving too much costs nothing once the buffer has grown.
template <class S, bool Central>
inline constexpr auto run_reservations = boost::hana::unpack(
    boost::hana::accessors<S>(), [](auto... pairs) {
      constexpr std::size_t count = sizeof...(pairs);
      constexpr std::array<bool, count> written{
          (!Central || member_type_t<S, decltype(pairs)>::sharing == sharing::central)...};
      constexpr std::array<bool, count> text{
          is_text_member_v<typename member_type_t<S, decltype(pairs)>::value_type>...};
      constexpr std::array<std::size_t, count> bound{
          max_member_size<std::remove_cvref_t<decltype(boost::hana::first(pairs))>,
                          typename member_type_t<S, decltype(pairs)>::value_type>()...};
      std::array<std::size_t, count> reservations{};
      std::size_t rest_of_run = 0;
      for (std::size_t i = count; i-- > 0;) {
        if (written[i] && text[i]) rest_of_run = 0;
        else if (written[i]) rest_of_run += bound[i];
        const bool starts_run = i == 0 || (written[i - 1] && text[i - 1]);
        reservations[i] = starts_run ? rest_of_run : 0;
      }
      return reservations;
    });

// Writes one member to the full and/or central target. Values are formatted once: a
// central field costs one formatting, not two.
template <encoding Enc, class Name, bool ToFull, bool ToCentral, class V>
inline void write_member(target& full, target& central, const V& value) {
  using keys = member_keys<Name>;
  if constexpr (is_optional_v<V>) {
    if (value.has_value()) write_member<Enc, Name, ToFull, ToCentral>(full, central, *value);
  } else if constexpr (reviewed_value<V>) {
    if constexpr (ToFull) write_text(full, keys::string_key, value.full_value());
    if constexpr (ToCentral) {
      // Checked on every value: a projection outside its reviewed grammar is sent as "other".
      write_text(central, keys::string_key,
                 checked_projection(value, central.report.projection_rejected));
    }
  } else if constexpr (text_value<V>) {
    static_assert(!ToCentral, "onefuzz::telemetry: free text reached a central serializer");
    write_text(full, keys::string_key, text_of(value, full.report));
  } else {
    // A fixed-size value is rendered with its key straight into the first payload that
    // takes it, in the room its run reserved, then copied whole to the other payload (the
    // keys are the same). Only typed numbers go unquoted.
    constexpr bool quoted = !(Enc == encoding::typed && (integer_value<V> || floating_value<V>));
    const auto& key = []() -> const auto& {
      if constexpr (quoted) return keys::string_key;
      else return keys::number_key;
    }();
    constexpr std::size_t room = max_member_size<Name, V>();
    target& first = ToFull ? full : central;
    char* const start = first.out.reserved_tail(room);
    std::memcpy(start, key, sizeof key);
    char* end = start + sizeof key;
    if constexpr (std::same_as<V, bool>) {
      end = value ? std::copy_n("true", 4, end) : std::copy_n("false", 5, end);
    } else if constexpr (integer_value<V>) {
      end = json::format_integer(end, value);
    } else if constexpr (floating_value<V>) {
      if constexpr (Enc == encoding::onefuzz_compatible) {
        end = json::format_display(end, value);
      } else if (json::detail::is_finite(value)) {
        end = json::format_json_number(end, value);
      } else {
        // Left out: nothing is committed, so the key written above is dropped too.
        if constexpr (ToFull) ++full.report.non_finite_omitted;
        if constexpr (ToCentral) ++central.report.non_finite_omitted;
        return;
      }
    } else if constexpr (wire_enum<V>) {
      const std::string_view name = wire_name(value);
      if (!name.empty()) {
        end = std::copy_n(name.data(), name.size(), end);
      } else {
        // No wire name: send the number so nothing is lost, and count it.
        end = json::format_integer(end, static_cast<std::underlying_type_t<V>>(value));
        if constexpr (ToFull) ++full.report.out_of_range_enums;
        if constexpr (ToCentral) ++central.report.out_of_range_enums;
      }
    } else if constexpr (id_value<V>) {
      const uuid& id = [&]() -> const uuid& {
        if constexpr (std::same_as<V, uuid>) return value;
        else return value.value();
      }();
      json::format_uuid(end, id.bytes().data());
      end += uuid::text_size;
    } else if constexpr (std::same_as<V, version>) {
      end = std::copy_n(value.view().data(), value.view().size(), end);
    }
    if constexpr (quoted) *end++ = '"';
    first.out.commit_to(end);
    if constexpr (ToFull && ToCentral) {
      const auto size = static_cast<std::size_t>(end - start);
      std::memcpy(central.out.reserved_tail(room), start, size);
      central.out.commit(size);
    }
  }
}

// Writes field I of s if it belongs to section Sec and is not shadowed (Shadow is the
// event when s is the context: a field of the event wins over a context property), after
// reserving for the run of fixed-size fields that starts at I, if one does.
template <encoding Enc, section Sec, bool ToFull, bool ToCentral, class Shadow, std::size_t I,
          class S>
inline void write_field(target& full, target& central, const S& s) {
  if constexpr (ToFull && run_reservations<S, false>[I] != 0) {
    (void)full.out.reserve(run_reservations<S, false>[I]);
  }
  if constexpr (ToCentral && run_reservations<S, true>[I] != 0) {
    (void)central.out.reserve(run_reservations<S, true>[I]);
  }
  const auto pair = boost::hana::at_c<I>(boost::hana::accessors<S>());
  using name = std::remove_cvref_t<decltype(boost::hana::first(pair))>;
  using field = member_type_t<S, std::remove_cvref_t<decltype(pair)>>;
  constexpr bool shadowed = [] {
    if constexpr (std::is_void_v<Shadow>) return false;
    else return has_field<Shadow>(name_view<name>());
  }();
  if constexpr (!shadowed && section_of<Enc, typename field::value_type>() == Sec) {
    constexpr bool to_central = ToCentral && field::sharing == sharing::central;
    if constexpr (ToFull || to_central) {
      write_member<Enc, name, ToFull, to_central>(full, central, boost::hana::second(pair)(s).get());
    }
  }
}

// Writes the members of s that belong to section Sec, in declaration order.
template <encoding Enc, section Sec, bool ToFull, bool ToCentral, class Shadow, class S>
inline void write_members(target& full, target& central, const S& s) {
  constexpr std::size_t count = decltype(boost::hana::length(boost::hana::accessors<S>()))::value;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (write_field<Enc, Sec, ToFull, ToCentral, Shadow, I>(full, central, s), ...);
  }(std::make_index_sequence<count>{});
}

template <encoding Enc, section Sec, bool ToFull, bool ToCentral, class E, class C>
inline void write_section(target& full, target& central, std::string_view key, const E& event,
                          const C& context) {
  if constexpr (ToFull) open_section(full, key);
  if constexpr (ToCentral) open_section(central, key);
  write_members<Enc, Sec, ToFull, ToCentral, void>(full, central, event);
  write_members<Enc, Sec, ToFull, ToCentral, E>(full, central, context);
  if constexpr (ToFull) close_section(full);
  if constexpr (ToCentral) close_section(central);
}

template <class Head>
inline void write_head(target& t, std::string_view prefix, const char* time, const Head& head) {
  t.out.append(prefix);
  // The rest has a size known at compile time. (Reserving for the prefix too, in one sum,
  // made g++ -O3 imagine the sum wrapping around and warn, -Wstringop-overflow.)
  constexpr std::size_t rest = timestamp_size + Head::size;
  char* dst = t.out.reserve(rest);
  std::memcpy(dst, time, timestamp_size);
  std::memcpy(dst + timestamp_size, head.text, Head::size);
  t.out.commit(rest);
}

enum class payload { event, metric };

// Writes one envelope per enabled target; the single code path behind every entry point.
template <payload Kind, encoding Enc, bool ToFull, bool ToCentral, class E, class C>
inline void write_payloads(target& full, std::string_view full_prefix, target& central,
                           std::string_view central_prefix, timestamp time, const E& event,
                           const C& context) {
  static_assert(event_check<E> && event_check<C>);
#ifdef ONEFUZZ_TELEMETRY_STRICT_REVIEWS
  if constexpr (ToCentral) {
    static_assert(has_pinned_review<E>,
                  "onefuzz::telemetry (strict reviews): this event has no pinned review, so its "
                  "central serializer is not built; write ONEFUZZ_TELEMETRY_REVIEWED(Event, "
                  "...) in the event's namespace (onefuzz/telemetry/audit.hpp)");
    static_assert(has_pinned_review<C>,
                  "onefuzz::telemetry (strict reviews): this context has no pinned review, so "
                  "no central payload is built with it; write ONEFUZZ_TELEMETRY_REVIEWED("
                  "Context, ...) in the context's namespace (onefuzz/telemetry/audit.hpp)");
  }
#endif
  char formatted_time[timestamp_size];
  format_timestamp_cached(formatted_time, time);
  const auto& head = []() -> const auto& {
    if constexpr (Kind == payload::event) return event_heads<E>::event;
    else return event_heads<E>::metric;
  }();
  if constexpr (ToFull) write_head(full, full_prefix, formatted_time, head);
  if constexpr (ToCentral) write_head(central, central_prefix, formatted_time, head);
  // A metric has no measurements map, so its properties always use the string encoding.
  constexpr encoding property_encoding = Kind == payload::metric ? encoding::onefuzz_compatible : Enc;
  write_section<property_encoding, section::properties, ToFull, ToCentral>(full, central, "",
                                                                          event, context);
  if constexpr (Kind == payload::event && Enc == encoding::typed) {
    write_section<Enc, section::measurements, ToFull, ToCentral>(full, central, R"(,"measurements":)",
                                                                 event, context);
  }
  if constexpr (ToFull) full.out.append("}}}", 3);
  if constexpr (ToCentral) central.out.append("}}}", 3);
}

}  // namespace detail

// Appends the full envelope of event (every field, plus the context's properties) to out.
template <encoding Enc = encoding::onefuzz_compatible, telemetry_event E,
          telemetry_context C = no_context>
write_report write_full(output_buffer& out, const full_envelope& destination, timestamp time,
                        const E& event, const C& context = {}) {
  write_report report;
  detail::target full{out, report};
  detail::write_payloads<detail::payload::event, Enc, true, false>(full, destination.prefix(), full,
                                                                   {}, time, event, context);
  return report;
}

// Appends the central envelope of event (central fields and context properties only).
template <encoding Enc = encoding::onefuzz_compatible, telemetry_event E,
          telemetry_context C = no_context>
write_report write_central(output_buffer& out, const central_envelope& destination,
                           timestamp time, const E& event, const C& context = {}) {
  write_report report;
  detail::target central{out, report};
  detail::write_payloads<detail::payload::event, Enc, false, true>(
      central, {}, central, destination.prefix(), time, event, context);
  return report;
}

// Appends both envelopes in one pass, each value formatted once. The two buffers must be
// different objects, or the full payload would land in what is posted centrally: the same
// buffer twice throws std::invalid_argument, in every build type.
template <encoding Enc = encoding::onefuzz_compatible, telemetry_event E,
          telemetry_context C = no_context>
pair_report write_both(output_buffer& full_out, const full_envelope& full_destination,
                       output_buffer& central_out, const central_envelope& central_destination,
                       timestamp time, const E& event, const C& context = {}) {
  if (&full_out == &central_out) {
    throw std::invalid_argument(
        "onefuzz::telemetry::write_both: the full and the central payload need two different "
        "buffers (one buffer would carry the full payload to the central instance)");
  }
  pair_report reports;
  detail::target full{full_out, reports.full};
  detail::target central{central_out, reports.central};
  detail::write_payloads<detail::payload::event, Enc, true, true>(
      full, full_destination.prefix(), central, central_destination.prefix(), time, event, context);
  return reports;
}

// Appends the full metric twin of event: a customMetric named after it, value 1.0, with
// the event's fields as string properties (docs/catalog.md, "Agent events").
template <telemetry_event E, telemetry_context C = no_context>
write_report write_metric_full(output_buffer& out, const full_envelope& destination,
                               timestamp time, const E& event, const C& context = {}) {
  write_report report;
  detail::target full{out, report};
  detail::write_payloads<detail::payload::metric, encoding::onefuzz_compatible, true, false>(
      full, destination.prefix(), full, {}, time, event, context);
  return report;
}

// Appends the central metric twin of event (central fields only).
template <telemetry_event E, telemetry_context C = no_context>
write_report write_metric_central(output_buffer& out, const central_envelope& destination,
                                  timestamp time, const E& event, const C& context = {}) {
  write_report report;
  detail::target central{out, report};
  detail::write_payloads<detail::payload::metric, encoding::onefuzz_compatible, false, true>(
      central, {}, central, destination.prefix(), time, event, context);
  return report;
}

}  // namespace onefuzz::telemetry
