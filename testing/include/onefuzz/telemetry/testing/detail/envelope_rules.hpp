// The per-item checks Application Insights applies to an envelope (field presence, types,
// lengths, context tag lengths, `sampleRate`, the `time` window, known iKey, EventData and
// MetricData shapes), with messages in the service's "<code>: Field '<f>' on type '<T>' ..."
// style.
#pragma once

#include "onefuzz/telemetry/limits.hpp"
#include "onefuzz/telemetry/testing/detail/iso8601.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::testing::detail {

// Limits from the Bond schema and the documented service limits.
inline constexpr std::size_t envelope_name_max = 1024;
inline constexpr std::size_t envelope_time_max = 64;
inline constexpr std::size_t ikey_max = 40;
inline constexpr std::size_t event_name_max = 512;
inline constexpr std::size_t property_key_max = 150;
inline constexpr std::size_t property_value_max = 8192;
inline constexpr std::size_t metric_name_max = 150;
inline constexpr std::chrono::milliseconds time_min_offset{172800000};  // 48 h in the past
inline constexpr std::chrono::milliseconds time_max_offset{7200000};    // 2 h in the future

// The one table of context tag limits (characters), from the Application Insights
// ContextTagKeys schema (the MaxStringLength of each key in ContextTagKeys.bond); where the
// library has its own limit (limits.hpp) it is used, so the two cannot drift apart. Tags
// not listed here are only checked to be strings. Over-long values get the service's
// "100: ... on type 'ContextTagKeys' is too long" message (see rules::tags_field).
struct tag_limit {
  std::string_view key;
  std::size_t max;
};
inline constexpr std::array<tag_limit, 9> context_tag_limits{{
    {"ai.cloud.role", 256},
    {"ai.cloud.roleInstance", ::onefuzz::telemetry::max_role_instance_size},  // 256
    {"ai.device.id", ::onefuzz::telemetry::max_device_id_size},               // 1024
    {"ai.location.ip", 46},
    {"ai.operation.id", 128},
    {"ai.operation.name", 1024},
    {"ai.user.id", 128},
    {"ai.session.id", 64},
    {"ai.internal.sdkVersion", 64},
}};

// The limit of context tag `key`, if the table has one.
inline std::optional<std::size_t> context_tag_limit(std::string_view key) noexcept {
  for (auto const& t : context_tag_limits) {
    if (t.key == key) {
      return t.max;
    }
  }
  return std::nullopt;
}

// Characters (code points) in UTF-8 text; limits are in characters, not bytes.
inline std::size_t utf8_length(std::string_view s) noexcept {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// At most `max_bytes` of `s`, cut on a code point boundary so the echo in an error
// message stays valid UTF-8 (clients parse the answer as JSON).
inline std::string utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) {
    return std::string(s);
  }
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return std::string(s.substr(0, cut)) + "...";
}

// The instrumentation key as stored and compared: the service treats keys case-insensitively.
inline std::string normalize_ikey(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return k;
}

// Inputs to validation that are not part of the item.
struct validation_context {
  std::chrono::system_clock::time_point now;
  // Lower-cased known keys (a snapshot); a key not in it is refused, as the service refuses
  // a key that is no resource's. Empty refuses every key.
  std::set<std::string, std::less<>> accepted_keys{};
};

namespace rules {

inline char const* kind_name(boost::json::value const& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "bool";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "number";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
  }
  return "unknown";
}

inline std::string field(std::string_view f, std::string_view type) {
  return "Field '" + std::string(f) + "' on type '" + std::string(type) + "'";
}

inline std::string missing(std::string_view f, std::string_view type, std::string_view expected) {
  return "109: " + field(f, type) + " is required but missing or empty. Expected: " + std::string(expected) +
         ", Actual: undefined";
}

inline std::string wrong_type(std::string_view f, std::string_view type, std::string_view expected,
                              boost::json::value const& actual) {
  return "101: " + field(f, type) + " has the wrong type. Expected: " + std::string(expected) +
         ", Actual: " + kind_name(actual);
}

inline std::string too_long(std::string_view f, std::string_view type, std::size_t max, std::size_t actual) {
  return "102: " + field(f, type) + " exceeds the maximum length. Expected: " + std::to_string(max) +
         ", Actual: " + std::to_string(actual);
}

// A finite JSON number, as a double; nullopt for non-numbers, NaN and infinities.
inline std::optional<double> finite_number(boost::json::value const& v) noexcept {
  double d = 0;
  switch (v.kind()) {
    case boost::json::kind::int64: d = static_cast<double>(v.get_int64()); break;
    case boost::json::kind::uint64: d = static_cast<double>(v.get_uint64()); break;
    case boost::json::kind::double_: d = v.get_double(); break;
    default: return std::nullopt;
  }
  if (!std::isfinite(d)) {
    return std::nullopt;
  }
  return d;
}

// A required non-empty string of at most `max` characters; returns the error if not.
inline std::optional<std::string> required_string(boost::json::object const& o, std::string_view f,
                                                  std::string_view type, std::size_t max) {
  auto const* v = o.if_contains(f);
  if (v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty())) {
    return missing(f, type, "string");
  }
  if (!v->is_string()) {
    return wrong_type(f, type, "string", *v);
  }
  if (auto const n = utf8_length(v->get_string()); n > max) {
    return too_long(f, type, max, n);
  }
  return std::nullopt;
}

// `ver` must be the number 2 for both EventData and MetricData.
inline std::optional<std::string> version_two(boost::json::object const& o, std::string_view type) {
  auto const* v = o.if_contains("ver");
  if (v == nullptr || v->is_null()) {
    return missing("ver", type, "2");
  }
  auto const n = finite_number(*v);
  if (!n) {
    return wrong_type("ver", type, "int", *v);
  }
  if (*n != 2.0) {
    return "105: " + field("ver", type) + " has an unsupported value. Expected: 2, Actual: " + boost::json::serialize(*v);
  }
  return std::nullopt;
}

// Optional map string -> string with key and value length limits (absent or null is fine).
inline std::optional<std::string> properties(boost::json::object const& o, std::string_view type) {
  auto const* v = o.if_contains("properties");
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  if (!v->is_object()) {
    return wrong_type("properties", type, "object", *v);
  }
  for (auto const& [key, value] : v->get_object()) {
    std::string const where = "properties[" + utf8_prefix(key, 64) + "]";
    if (key.empty()) {
      return missing("properties key", type, "string");
    }
    if (auto const n = utf8_length(key); n > property_key_max) {
      return too_long("properties key '" + utf8_prefix(key, 64) + "'", type, property_key_max, n);
    }
    if (!value.is_string()) {
      return wrong_type(where, type, "string", value);
    }
    if (auto const n = utf8_length(value.get_string()); n > property_value_max) {
      return too_long(where, type, property_value_max, n);
    }
  }
  return std::nullopt;
}

// Optional map string -> finite number (absent or null is fine). A NaN sent as a string
// or null is exactly what .NET's SanitizeNanAndInfinity exists to avoid.
inline std::optional<std::string> measurements(boost::json::object const& o, std::string_view type) {
  auto const* v = o.if_contains("measurements");
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  if (!v->is_object()) {
    return wrong_type("measurements", type, "object", *v);
  }
  for (auto const& [key, value] : v->get_object()) {
    std::string const where = "measurements[" + utf8_prefix(key, 64) + "]";
    if (key.empty()) {
      return missing("measurements key", type, "string");
    }
    if (auto const n = utf8_length(key); n > property_key_max) {
      return too_long("measurements key '" + utf8_prefix(key, 64) + "'", type, property_key_max, n);
    }
    if (!finite_number(value)) {
      return wrong_type(where, type, "finite double", value);
    }
  }
  return std::nullopt;
}

inline std::optional<std::string> event_data(boost::json::object const& base) {
  constexpr std::string_view type = "EventData";
  if (auto e = version_two(base, type)) return e;
  if (auto e = required_string(base, "name", type, event_name_max)) return e;
  if (auto e = properties(base, type)) return e;
  return measurements(base, type);
}

// DataPoint.kind is the DataPointType enum: 0 Measurement or 1 Aggregation (absent or
// null means Measurement). SDKs write the number; the names are accepted too, as Bond's
// JSON reader takes an enum by name.
inline std::optional<std::string> data_point_kind(boost::json::object const& p) {
  auto const* v = p.if_contains("kind");
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  if (v->is_string()) {
    auto const& name = v->get_string();
    if (name == "Measurement" || name == "Aggregation") {
      return std::nullopt;
    }
  } else if (auto const n = finite_number(*v); n && (*n == 0.0 || *n == 1.0)) {
    return std::nullopt;
  }
  return "105: " + field("kind", "DataPoint") +
         " has an unsupported value. Expected: 0 (Measurement) or 1 (Aggregation), Actual: " +
         utf8_prefix(boost::json::serialize(*v), 64);
}

inline std::optional<std::string> metric_data(boost::json::object const& base) {
  constexpr std::string_view type = "MetricData";
  if (auto e = version_two(base, type)) return e;
  auto const* metrics = base.if_contains("metrics");
  if (metrics == nullptr || metrics->is_null() || (metrics->is_array() && metrics->get_array().empty())) {
    return missing("metrics", type, "array of DataPoint");
  }
  if (!metrics->is_array()) {
    return wrong_type("metrics", type, "array", *metrics);
  }
  for (auto const& point : metrics->get_array()) {
    constexpr std::string_view point_type = "DataPoint";
    if (!point.is_object()) {
      return wrong_type("metrics[]", type, "object", point);
    }
    auto const& p = point.get_object();
    if (auto e = required_string(p, "name", point_type, metric_name_max)) return e;
    auto const* value = p.if_contains("value");
    if (value == nullptr || value->is_null()) {
      return missing("value", point_type, "double");
    }
    if (!finite_number(*value)) {
      return wrong_type("value", point_type, "finite double", *value);
    }
    if (auto e = data_point_kind(p)) return e;
    for (std::string_view optional_number : {"count", "min", "max", "stdDev"}) {
      if (auto const* n = p.if_contains(optional_number); n != nullptr && !n->is_null() && !finite_number(*n)) {
        return wrong_type(optional_number, point_type, "finite number", *n);
      }
    }
  }
  return properties(base, type);
}

inline std::optional<std::string> time_field(boost::json::object const& env, validation_context const& ctx) {
  constexpr std::string_view type = "Envelope";
  if (auto e = required_string(env, "time", type, envelope_time_max)) return e;
  std::string_view const text = env.at("time").get_string();
  auto const t = parse_iso8601_utc(text);
  if (!t) {
    return "105: " + field("time", type) + " is not a valid ISO 8601 date-time with a zone. Actual: '" +
           utf8_prefix(text, 64) + "'";
  }
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (*t < ctx.now - time_min_offset) {
    return "103: " + field("time", type) + " is older than the allowed min date. Expected: now - " +
           std::to_string(time_min_offset.count()) + "ms, Actual: now - " +
           std::to_string(duration_cast<milliseconds>(ctx.now - *t).count()) + "ms";
  }
  if (*t > ctx.now + time_max_offset) {
    return "104: " + field("time", type) + " is newer than the allowed max date. Expected: now + " +
           std::to_string(time_max_offset.count()) + "ms, Actual: now + " +
           std::to_string(duration_cast<milliseconds>(*t - ctx.now).count()) + "ms";
  }
  return std::nullopt;
}

inline std::optional<std::string> ikey_field(boost::json::object const& env, validation_context const& ctx) {
  constexpr std::string_view type = "Envelope";
  if (auto e = required_string(env, "iKey", type, ikey_max)) return e;
  std::string_view const key = env.at("iKey").get_string();
  // Keys are GUIDs in practice; restricting the alphabet also makes `<ikey>.jsonl` a safe
  // file name (no '/', no "..").
  bool const well_formed = std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
  if (!well_formed || !ctx.accepted_keys.contains(normalize_ikey(key))) {
    return "400: Invalid instrumentation key '" + utf8_prefix(key, ikey_max) + "'";
  }
  return std::nullopt;
}

inline std::optional<std::string> tags_field(boost::json::object const& env) {
  auto const* tags = env.if_contains("tags");
  if (tags == nullptr || tags->is_null()) {
    return std::nullopt;
  }
  if (!tags->is_object()) {
    return wrong_type("tags", "Envelope", "object", *tags);
  }
  for (auto const& [key, value] : tags->get_object()) {
    if (!value.is_string()) {
      return wrong_type("tags[" + utf8_prefix(key, 64) + "]", "Envelope", "string", value);
    }
    if (auto const max = context_tag_limit(key)) {
      if (auto const n = utf8_length(value.get_string()); n > *max) {
        return "100: " + field(key, "ContextTagKeys") + " is too long. Expected: " + std::to_string(*max) +
               " characters, Actual: " + std::to_string(n);
      }
    }
  }
  return std::nullopt;
}

// Optional `sampleRate`: a number (absent or null means 100). Anything else is refused
// with the service's type message.
inline std::optional<std::string> sample_rate_field(boost::json::object const& env) {
  auto const* v = env.if_contains("sampleRate");
  if (v == nullptr || v->is_null() || v->is_number()) {
    return std::nullopt;
  }
  return "101: " + field("sampleRate", "Envelope") + " is of incorrect type. Expected: double, Actual: " +
         kind_name(*v);
}

// Boost.JSON reads 1e999 as an infinity, which it would then write back as the non-JSON
// token "Infinity"; such an item is refused wherever the number hides. Depth is bounded
// by the parser's max_depth.
inline bool has_non_finite(boost::json::value const& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::double_: return !std::isfinite(v.get_double());
    case boost::json::kind::array:
      return std::any_of(v.get_array().begin(), v.get_array().end(), [](auto const& e) { return has_non_finite(e); });
    case boost::json::kind::object:
      return std::any_of(v.get_object().begin(), v.get_object().end(),
                         [](auto const& kv) { return has_non_finite(kv.value()); });
    default: return false;
  }
}

}  // namespace rules

// The first rule `item` breaks, as the service's error message; nullopt if the service
// would accept it. Never throws except std::bad_alloc.
inline std::optional<std::string> validate_envelope(boost::json::value const& item, validation_context const& ctx) {
  constexpr std::string_view type = "Envelope";
  if (!item.is_object()) {
    return rules::wrong_type("item", type, "object", item);
  }
  auto const& env = item.get_object();
  if (rules::has_non_finite(item)) {
    return "105: Item on type 'Envelope' contains a number outside the range of a double";
  }
  if (auto e = rules::required_string(env, "name", type, envelope_name_max)) return e;
  if (auto e = rules::time_field(env, ctx)) return e;
  if (auto e = rules::ikey_field(env, ctx)) return e;
  if (auto e = rules::sample_rate_field(env)) return e;
  if (auto e = rules::tags_field(env)) return e;

  auto const* data = env.if_contains("data");
  if (data == nullptr || data->is_null()) {
    return rules::missing("data", type, "Data");
  }
  if (!data->is_object()) {
    return rules::wrong_type("data", type, "object", *data);
  }
  auto const& d = data->get_object();
  if (auto e = rules::required_string(d, "baseType", "Data", 64)) return e;
  std::string_view const base_type = d.at("baseType").get_string();
  if (base_type != "EventData" && base_type != "MetricData") {
    return "105: " + rules::field("baseType", "Data") +
           " has an unsupported value. Expected: EventData or MetricData, Actual: '" + utf8_prefix(base_type, 64) + "'";
  }
  auto const* base = d.if_contains("baseData");
  if (base == nullptr || base->is_null()) {
    return rules::missing("baseData", "Data", std::string(base_type));
  }
  if (!base->is_object()) {
    return rules::wrong_type("baseData", "Data", "object", *base);
  }
  return base_type == "EventData" ? rules::event_data(base->get_object()) : rules::metric_data(base->get_object());
}

}  // namespace onefuzz::telemetry::testing::detail
