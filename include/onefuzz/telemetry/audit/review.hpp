// Defines pinned privacy reviews: a reviewer writes down the exact set of central fields
// approved for an event or a context, and what each one exposes, and the build fails, naming
// the type and the field, as soon as the type's central fields differ from that record.
//
//   namespace my_project {  // the namespace of the event (found by argument-dependent lookup)
//   ONEFUZZ_TELEMETRY_REVIEWED(crash_found, "count: count u64", "seconds: measure f64");
//   }
//
// Each entry reads "wire_name: channel declared_type", one space after the colon and one
// between the words:
//   channel        the field's value kind, as what it can carry: identifier (an id), count
//                  (an integer), measure (a floating-point number), enum (a wire name),
//                  projection (a reviewed type's central form), flag (a boolean), version
//                  (audit::channel_of);
//   declared_type  the field's declared type (audit::declared_types): the id's own name
//                  (job_id), the enum's or reviewed type's name (task_type, tool_name), or the
//                  wire type (u64, f64, bool, version).
// So "job_id: identifier job_id", "state: enum job_state", "tool_name: projection tool_name".
// A field that changes kind (an enum made an integer), declared type (a job_id made a
// task_id, a u32 made a u64) or exposure (a u64 made a reviewed type, sent through its
// projection) fails the build at the pin until it is reviewed again and the entry updated.
//
// Whether a field is optional is not part of the entry: an optional field sends the same
// value as a required one, or nothing, so making a field optional or required changes when
// the information is sent, not what it can be; a pin that recorded it would ask for a new
// review that has nothing to review. (The manifest still lists it.)
//
// Strict mode: with ONEFUZZ_TELEMETRY_STRICT_REVIEWS defined, the central serializers
// (serialize.hpp) accept only events and contexts with a pinned review (has_pinned_review),
// so no event reaches the central instance unreviewed. Define it for your own targets, e.g.
// `target_compile_definitions(my_agent PRIVATE ONEFUZZ_TELEMETRY_STRICT_REVIEWS)`, and
// include <onefuzz/telemetry/catalog/reviews.hpp> where catalog events are sent, so their
// pins are visible. The CMake option of the same name defines it for every target of the
// build that links onefuzz::telemetry (see the top-level CMakeLists.txt).
#pragma once

#include <onefuzz/telemetry/audit/fields.hpp>
#include <onefuzz/telemetry/event.hpp>

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

// The field is still central, but what it exposes changed: Pinned is the "channel
// declared_type" the review approved, Now what the field is today, e.g.
//   central_field_exposure_changed<catalog::coverage_data, hana::string<"covered">,
//                                  hana::string<"count u64">, hana::string<"projection x">>
// (a different value kind, a different declared type, or a value now sent through a
// reviewed projection). Review it again, then write Now in the pin.
template <class Event, class FieldName, class Pinned, class Now>
struct central_field_exposure_changed;

// A pin entry is not of the form "wire_name: channel declared_type". Expected is the entry
// the field it names would have today ("covered: count u64"), or the form itself when the
// entry names no central field.
template <class Event, class Entry, class Expected>
struct malformed_pin_entry;

// The type has no pinned review: write ONEFUZZ_TELEMETRY_REVIEWED(Type, "field: channel
// type", ...) in its namespace.
template <class Event>
struct event_has_no_review;

// The entries a reviewer approved, as a constexpr array:
// pin("covered: count u64", "rate: measure f64").
template <class... Entries>
  requires(std::convertible_to<const Entries&, std::string_view> && ...)
constexpr std::array<std::string_view, sizeof...(Entries)> pin(const Entries&... entries) noexcept {
  return {std::string_view{entries}...};
}

// True when S has a pinned review: a function onefuzz_central_review(std::type_identity<S>)
// in S's namespace returning a pin (ONEFUZZ_TELEMETRY_REVIEWED writes it). Lookup is
// argument-dependent, as for onefuzz_wire_names, and on the exact type: a derived type
// does not inherit its base's review. The same concept as has_pinned_review, which strict
// mode checks in the serializers.
template <class S>
concept has_review = has_pinned_review<S>;

// The entries approved for S, as the reviewer wrote them ("covered: count u64"), in order.
template <has_review S>
inline constexpr auto review_of = onefuzz_central_review(std::type_identity<S>{});

// One pin entry, read: "covered: count u64" is {"covered", "count", "u64"}.
struct pinned_field {
  std::string_view name;           // the wire name; for a malformed entry, its leading word
  std::string_view channel;        // empty when malformed
  std::string_view declared_type;  // empty when malformed
  std::string_view exposure;       // "count u64": channel and declared type as written
  bool well_formed = false;
};

namespace detail {

constexpr bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

constexpr bool is_word_char(char c) noexcept { return c > ' ' && c <= '~'; }

}  // namespace detail

// Reads one entry of the form "wire_name: channel declared_type": a wire name of
// [A-Za-z0-9_], a colon, one space, the channel, one space, the declared type (each a word
// of printable ASCII without spaces). Anything else is malformed.
constexpr pinned_field parse_pin_entry(std::string_view entry) noexcept {
  pinned_field out;
  std::size_t at = 0;
  while (at < entry.size() && detail::is_name_char(entry[at])) ++at;
  out.name = entry.substr(0, at);
  if (at == 0 || entry.substr(at, 2) != ": ") return out;
  const std::size_t channel_at = at + 2;
  std::size_t channel_end = channel_at;
  while (channel_end < entry.size() && detail::is_word_char(entry[channel_end])) ++channel_end;
  if (channel_end == channel_at || channel_end + 1 >= entry.size() || entry[channel_end] != ' ') {
    return out;
  }
  const std::size_t type_at = channel_end + 1;
  std::size_t type_end = type_at;
  while (type_end < entry.size() && detail::is_word_char(entry[type_end])) ++type_end;
  if (type_end == type_at || type_end != entry.size()) return out;
  out.channel = entry.substr(channel_at, channel_end - channel_at);
  out.declared_type = entry.substr(type_at);
  out.exposure = entry.substr(channel_at);
  out.well_formed = true;
  return out;
}

namespace detail {
template <std::size_t N>
constexpr std::array<pinned_field, N> parse_pin(
    const std::array<std::string_view, N>& entries) noexcept {
  std::array<pinned_field, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = parse_pin_entry(entries[i]);
  return out;
}
}  // namespace detail

// S's pin entries, read (parse_pin_entry), in the reviewer's order.
template <has_review S>
inline constexpr auto pinned_fields = detail::parse_pin(review_of<S>);

namespace detail {

// Characters with static storage, so a string_view made at compile time can point at them.
template <std::size_t N>
struct pin_text {
  std::array<char, N> chars{};
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), N}; }
};

// The entry the I-th field of S would have in a pin today: "covered: count u64".
template <class S, std::size_t I>
inline constexpr auto field_entry = [] {
  constexpr std::string_view name = fields_of<S>[I].name;
  constexpr std::string_view channel = channel_of(fields_of<S>[I]);
  constexpr std::string_view type = declared_types<S>[I];
  pin_text<name.size() + 2 + channel.size() + 1 + type.size()> text;
  std::size_t at = 0;
  for (char c : name) text.chars[at++] = c;
  text.chars[at++] = ':';
  text.chars[at++] = ' ';
  for (char c : channel) text.chars[at++] = c;
  text.chars[at++] = ' ';
  for (char c : type) text.chars[at++] = c;
  return text;
}();

// Its "channel declared_type" part: "count u64".
template <class S, std::size_t I>
inline constexpr std::string_view field_exposure =
    field_entry<S, I>.view().substr(fields_of<S>[I].name.size() + 2);

// Text as a type (boost::hana::string), so an error can spell it out. Source::text() is
// the text.
template <class Source, std::size_t... J>
constexpr auto hana_string_of(std::index_sequence<J...>) noexcept {
  constexpr std::string_view text = Source::text();
  return boost::hana::string_c<text[J]...>;
}
template <class Source>
using hana_string_t =
    decltype(hana_string_of<Source>(std::make_index_sequence<Source::text().size()>{}));

template <class S, std::size_t P>
struct pinned_entry_source {
  static constexpr std::string_view text() noexcept { return review_of<S>[P]; }
};
template <class S, std::size_t P>
struct pinned_name_source {
  static constexpr std::string_view text() noexcept { return pinned_fields<S>[P].name; }
};
template <class S, std::size_t P>
struct pinned_exposure_source {
  static constexpr std::string_view text() noexcept { return pinned_fields<S>[P].exposure; }
};
template <class S, std::size_t I>
struct field_entry_source {
  static constexpr std::string_view text() noexcept { return field_entry<S, I>.view(); }
};
template <class S, std::size_t I>
struct field_exposure_source {
  static constexpr std::string_view text() noexcept { return field_exposure<S, I>; }
};
struct entry_form_source {
  static constexpr std::string_view text() noexcept { return "wire_name: channel declared_type"; }
};

// The I-th field's wire name as the hana::string type BOOST_HANA_DEFINE_STRUCT made.
template <class S, std::size_t I>
using field_name_t = std::remove_cvref_t<decltype(boost::hana::first(
    boost::hana::at_c<I>(boost::hana::accessors<S>())))>;

constexpr std::size_t first_index(std::span<const std::string_view> names,
                                  std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return names.size();
}

// Position of the first entry naming this field, or entries.size(). (The comparisons are in
// plain functions, not in the templates below: resolving `==` once per field of every
// pinned type would slow the pins down noticeably.)
constexpr std::size_t pinned_index(std::span<const pinned_field> entries,
                                   std::string_view name) noexcept {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name == name) return i;
  }
  return entries.size();
}

// True when the entry approves what the field exposes now: its channel and declared type.
constexpr bool exposure_matches(const pinned_field& entry, const field_info& info,
                                std::string_view declared_type) noexcept {
  return entry.channel == channel_of(info) && entry.declared_type == declared_type;
}

// Checks the I-th field of S against the review; a mismatch is a hard error naming both.
template <class S, std::size_t I>
constexpr bool field_matches_review() {
  constexpr field_info info = fields_of<S>[I];
  constexpr bool central = info.exposure != central_exposure::none;
  constexpr std::size_t at = pinned_index(pinned_fields<S>, info.name);
  constexpr bool listed = at < pinned_fields<S>.size();
  if constexpr (first_index(full_field_names<S>, info.name) != I) {
    return sizeof(wire_name_used_twice<S, field_name_t<S, I>>) == 0;
  } else if constexpr (central && !listed) {
    return sizeof(central_field_not_in_review<S, field_name_t<S, I>>) == 0;
  } else if constexpr (!central && listed) {
    return sizeof(reviewed_field_not_central<S, field_name_t<S, I>>) == 0;
  } else if constexpr (central && pinned_fields<S>[at].well_formed) {
    // A malformed entry is reported by pin_entry_is_valid, with what the field is now.
    constexpr bool same_exposure =
        exposure_matches(pinned_fields<S>[at], info, declared_types<S>[I]);
    if constexpr (!same_exposure) {
      static_assert(same_exposure,
                    "ONEFUZZ_TELEMETRY_REVIEWED: a central field now exposes something other "
                    "than its review approved (another value kind, another declared type, or a "
                    "value now sent through a reviewed projection). "
                    "central_field_exposure_changed<Event, field, pinned, now> names them: have "
                    "the change reviewed, then write `now` in the field's pin entry "
                    "(\"field: channel declared_type\")");
      return sizeof(central_field_exposure_changed<S, field_name_t<S, I>,
                                                   hana_string_t<pinned_exposure_source<S, at>>,
                                                   hana_string_t<field_exposure_source<S, I>>>) ==
             0;
    } else {
      return true;
    }
  } else {
    return true;
  }
}

// What a malformed entry should read: the entry of the central field it names, else the form.
template <class S, std::size_t P>
constexpr auto expected_entry() noexcept {
  constexpr std::size_t at = field_index<S>(pinned_fields<S>[P].name);
  if constexpr (at < fields_of<S>.size()) {
    if constexpr (fields_of<S>[at].exposure != central_exposure::none) {
      return hana_string_t<field_entry_source<S, at>>{};
    } else {
      return hana_string_t<entry_form_source>{};
    }
  } else {
    return hana_string_t<entry_form_source>{};
  }
}

// Checks the P-th pin entry: of the right form, naming a field of S, and listed once.
template <class S, std::size_t P>
constexpr bool pin_entry_is_valid() {
  constexpr pinned_field entry = pinned_fields<S>[P];
  if constexpr (!entry.well_formed) {
    static_assert(entry.well_formed,
                  "ONEFUZZ_TELEMETRY_REVIEWED: each entry must read \"wire_name: channel "
                  "declared_type\", one space after the colon and between the words, e.g. "
                  "\"covered: count u64\" or \"tool_name: projection tool_name\". "
                  "malformed_pin_entry<Event, entry, expected> names the entry as written and "
                  "what the field it names is now");
    return sizeof(malformed_pin_entry<S, hana_string_t<pinned_entry_source<S, P>>,
                                      decltype(expected_entry<S, P>())>) == 0;
  } else if constexpr (!has_field<S>(entry.name)) {
    return sizeof(reviewed_field_not_in_event<S, hana_string_t<pinned_name_source<S, P>>>) == 0;
  } else if constexpr (pinned_index(pinned_fields<S>, entry.name) != P) {
    return sizeof(field_listed_twice_in_review<S, hana_string_t<pinned_name_source<S, P>>>) == 0;
  } else {
    return true;
  }
}

// True when the pin is exactly right for these fields: every entry well formed, naming a
// central field once, with that field's exposure; every central field listed; wire names
// unique. One plain evaluation per type, so a correct pin costs little to compile; only a
// wrong one is checked field by field (below) to name what differs.
constexpr bool review_is_exact(std::span<const field_info> fields,
                               std::span<const std::string_view> declared,
                               std::span<const pinned_field> entries) noexcept {
  for (std::size_t p = 0; p < entries.size(); ++p) {
    const pinned_field& entry = entries[p];
    if (!entry.well_formed || pinned_index(entries, entry.name) != p) return false;
    std::size_t at = 0;
    while (at < fields.size() && fields[at].name != entry.name) ++at;
    if (at == fields.size() || fields[at].exposure == central_exposure::none) return false;
    if (!exposure_matches(entry, fields[at], declared[at])) return false;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (fields[j].name == fields[i].name) return false;
    }
    if (fields[i].exposure != central_exposure::none &&
        pinned_index(entries, fields[i].name) == entries.size()) {
      return false;
    }
  }
  return true;
}

template <class S, std::size_t... I>
constexpr bool fields_match_review(std::index_sequence<I...>) {
  return (field_matches_review<S, I>() && ... && true);
}

template <class S, std::size_t... P>
constexpr bool pin_entries_are_valid(std::index_sequence<P...>) {
  return (pin_entry_is_valid<S, P>() && ... && true);
}

}  // namespace detail

// True when S's central fields are exactly its pinned review, each exposing what its entry
// says. Otherwise the build fails: each difference instantiates one of the undefined
// templates above, so the error names S and the field. Every difference is reported, not
// only the first.
template <auditable S>
constexpr bool matches_review() {
  if constexpr (!has_review<S>) {
    static_assert(has_review<S>,
                  "onefuzz::telemetry::audit::matches_review<S>: S has no pinned review; write "
                  "ONEFUZZ_TELEMETRY_REVIEWED(S, \"field: channel declared_type\", ...) in S's "
                  "namespace, listing the central fields that were approved (event_has_no_review "
                  "names S)");
    return sizeof(event_has_no_review<S>) == 0;
  } else if constexpr (detail::review_is_exact(fields_of<S>, declared_types<S>,
                                                pinned_fields<S>)) {
    return true;
  } else {
    constexpr bool fields_ok =
        detail::fields_match_review<S>(std::make_index_sequence<fields_of<S>.size()>{});
    constexpr bool pin_ok =
        detail::pin_entries_are_valid<S>(std::make_index_sequence<review_of<S>.size()>{});
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

// Pins the review of Type: the listed entries, "wire_name: channel declared_type", are
// exactly the fields approved for the central instance and what each exposes (none listed:
// the type sends nothing but its name). Write it in Type's namespace. It defines
// onefuzz_central_review for Type and checks the type against it at once, so a mismatch is
// reported at the pin.
#define ONEFUZZ_TELEMETRY_REVIEWED(Type, ...)                                                    \
  [[maybe_unused]] constexpr auto onefuzz_central_review(::std::type_identity<Type>) noexcept { \
    return ::onefuzz::telemetry::audit::pin(__VA_ARGS__);                                       \
  }                                                                                             \
  static_assert(::onefuzz::telemetry::audit::matches_review<Type>(),                            \
                "ONEFUZZ_TELEMETRY_REVIEWED(" #Type                                             \
                ", ...): the central fields differ from the pinned review (see the error "      \
                "above, which names the field)")
