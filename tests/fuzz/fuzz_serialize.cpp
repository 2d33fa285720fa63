// Fuzz target for the serializers (serialize.hpp) and envelopes (envelope.hpp): an event
// with text, reviewed, optional, numeric and enum fields, and a context, all set from the
// input, written by write_full, write_central, write_both and the metric twins, in both
// encodings.
//
// Properties:
//  - every payload is one JSON object Boost.JSON accepts, whatever bytes the strings hold
//    (the README's "valid JSON for any input");
//  - each text property's value is the input repaired and cut as the independent model
//    says (utf8_reference.hpp: bad bytes to U+FFFD, at most 8192 bytes, cut at a character
//    boundary), and so are the envelope's role-instance (256) and device-id (1024) tags;
//  - the reports count exactly the replaced bytes, cut values, omitted non-finite numbers
//    and enum values without a wire name;
//  - the central payload carries only the central fields (instance-only keys never appear)
//    and the reviewed field's projection, never its full value;
//  - write_both writes byte for byte what write_full and write_central write one by one;
//  - a context property never duplicates an event field of the same name (the event wins);
//  - an instrumentation key is accepted by the envelope iff it is 1-40 of [0-9A-Za-z-].
#include "fuzz_support.hpp"
#include "utf8_reference.hpp"

#include <onefuzz/telemetry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <string_view>

namespace tel = onefuzz::telemetry;
using fuzz_support::reader;

namespace fuzz_serialize {

enum class color : std::uint8_t { red, dark_blue };
constexpr auto onefuzz_wire_names(color) { return tel::enum_wire_names<2>{"color", {"red", "dark_blue"}}; }

// A reviewed type: the full value to the user's instance, the part after the last '/' to
// the central one, when it is printable ASCII without quotes or backslashes (otherwise the
// serializer sends "other").
struct tool_path final : tel::reviewed<tool_path> {
  std::string value;
  static constexpr std::string_view projection = "the file name after the last '/'";
  static constexpr tel::projection_grammar central_grammar{" -!#-[]-~", tel::max_property_value_size};
  tool_path() = default;
  explicit tool_path(std::string v) : value(std::move(v)) {}
  [[nodiscard]] std::string_view full_value() const { return value; }
  [[nodiscard]] std::string_view central_projection() const {
    const auto slash = value.find_last_of('/');
    return slash == std::string::npos ? std::string_view{value} : std::string_view{value}.substr(slash + 1);
  }
};

struct fuzz_event {
  static constexpr std::string_view event_name = "fuzz_event";
  BOOST_HANA_DEFINE_STRUCT(fuzz_event,
    (tel::central<tool_path>, tool),
    (tel::central<std::uint64_t>, count),
    (tel::central<double>, rate),
    (tel::central<color>, shade),
    (tel::instance_only<std::string>, text),
    (tel::instance_only<std::optional<std::string>>, note),
    (tel::instance_only<std::int32_t>, delta));
};

struct fuzz_context {
  BOOST_HANA_DEFINE_STRUCT(fuzz_context,
    (tel::central<tel::role>, role),
    (tel::instance_only<std::string>, region),
    (tel::instance_only<std::string>, text));  // shadowed by the event's text
};

}  // namespace fuzz_serialize

using namespace fuzz_serialize;

namespace {

constexpr std::string_view central_key = "99999999-8888-7777-6666-555555555555";

std::string_view view_of(const boost::json::string& s) { return {s.data(), s.size()}; }

boost::json::object parse_object(std::string_view payload) {
  boost::json::error_code error;
  boost::json::value value = boost::json::parse(payload, error);
  FUZZ_CHECK(!error, "payload is not JSON: " + fuzz_support::hex_prefix(payload, 200));
  FUZZ_CHECK(value.is_object(), "payload is not a JSON object");
  return std::move(value.as_object());
}

const boost::json::object& object_at(const boost::json::object& o, std::string_view key) {
  const auto* found = o.if_contains(key);
  FUZZ_CHECK(found != nullptr && found->is_object(), "missing object " + std::string(key));
  return found->get_object();
}

std::string_view string_at(const boost::json::object& o, std::string_view key) {
  const auto* found = o.if_contains(key);
  FUZZ_CHECK(found != nullptr && found->is_string(), "missing string " + std::string(key));
  return view_of(found->get_string());
}

// The number of members the raw object starting at payload[at] ('{') holds, counted on
// the bytes. Boost.JSON keeps one of two duplicate keys, so comparing this with the
// parsed object's size is how a key written twice is seen.
FUZZ_ORACLE std::size_t raw_members(std::string_view payload, std::size_t at) {
  std::size_t depth = 0;
  std::size_t members = 0;
  bool in_string = false;
  for (; at < payload.size(); ++at) {
    const char c = payload[at];
    if (in_string) {
      if (c == '\\') ++at;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) break;
    } else if (c == ':' && depth == 1) {
      ++members;
    }
  }
  return members;
}

// Each key appears once in a section: `"properties":` (or `"measurements":`) is found on
// the bytes (in an escaped value every '"' follows a backslash, so it can only be the key).
FUZZ_ORACLE void check_no_duplicates(std::string_view payload, std::string_view section, const boost::json::object& parsed) {
  const std::string key = "\"" + std::string(section) + "\":";
  const auto at = payload.find(key);
  FUZZ_CHECK(at != std::string_view::npos, "no section " + std::string(section));
  FUZZ_CHECK(raw_members(payload, at + key.size()) == parsed.size(), "a key written twice in " + std::string(section));
}

// The number after `"name":` in the raw payload, read with from_chars: Boost.JSON 1.81
// reads some doubles up to 2 ulp off (9.090422530847497e+223), so its value is not the
// writer's. The key is found on the bytes as in check_no_duplicates.
FUZZ_ORACLE double raw_number(std::string_view payload, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":";
  const auto at = payload.find(key);
  FUZZ_CHECK(at != std::string_view::npos, "no number " + std::string(name));
  double value = 0;
  const char* begin = payload.data() + at + key.size();
  const auto read = std::from_chars(begin, payload.data() + payload.size(), value);
  FUZZ_CHECK(read.ec == std::errc{}, "not a number: " + std::string(name));
  return value;
}

std::string display(double value) {
  char buffer[tel::json::max_number_size];
  return {buffer, tel::json::format_display(buffer, value)};
}

struct inputs {
  fuzz_event event;
  fuzz_context context;
  std::string role_instance;
  std::string device_id;
  tel::timestamp time;
};

struct expected_report {
  std::uint32_t replaced = 0;
  std::uint32_t truncated = 0;
  void add(const fuzz_support::repaired& r) {
    replaced += r.replaced;
    truncated += r.truncated ? 1 : 0;
  }
};

std::string wire_or_number(color shade) {
  const auto name = tel::wire_name(shade);
  return name.empty() ? std::to_string(static_cast<unsigned>(shade)) : std::string(name);
}

// Checks a full event payload (or its metric twin) against the inputs.
void check_full(std::string_view payload, const inputs& in, tel::encoding enc, bool metric,
                const tel::write_report& report, std::string_view ikey) {
  const auto envelope = parse_object(payload);
  FUZZ_CHECK(string_at(envelope, "iKey") == ikey, "iKey differs");
  const auto& tags = object_at(envelope, "tags");
  if (!in.role_instance.empty()) {
    FUZZ_CHECK(string_at(tags, "ai.cloud.roleInstance") == fuzz_support::reference_repair(in.role_instance, 256).value,
               "roleInstance tag differs from the model");
  }
  if (!in.device_id.empty()) {
    FUZZ_CHECK(string_at(tags, "ai.device.id") == fuzz_support::reference_repair(in.device_id, 1024).value,
               "device.id tag differs from the model");
  }
  const auto& base = object_at(object_at(envelope, "data"), "baseData");
  const auto& properties = object_at(base, "properties");
  const bool typed = enc == tel::encoding::typed && !metric;

  expected_report counts;
  auto expect_text = [&](std::string_view key, std::string_view value) {
    const auto repaired = fuzz_support::reference_repair(value, tel::max_property_value_size);
    counts.add(repaired);
    FUZZ_CHECK(string_at(properties, key) == repaired.value,
               std::string(key) + " differs from the model; input " + fuzz_support::hex_prefix(value));
  };
  expect_text("tool", in.event.tool->full_value());
  expect_text("text", *in.event.text);  // the event's, not the context's
  if (in.event.note->has_value()) {
    expect_text("note", **in.event.note);
  } else {
    FUZZ_CHECK(!properties.contains("note"), "an empty optional was written");
  }
  expect_text("region", *in.context.region);
  FUZZ_CHECK(string_at(properties, "shade") == wire_or_number(*in.event.shade), "shade differs");
  FUZZ_CHECK(string_at(properties, "role") == tel::wire_name(*in.context.role), "role differs");

  const double rate = *in.event.rate;
  std::uint32_t non_finite = 0;
  if (typed) {
    const auto& measurements = object_at(base, "measurements");
    FUZZ_CHECK(measurements.at("count").to_number<std::uint64_t>() == *in.event.count, "count measurement differs");
    FUZZ_CHECK(measurements.at("delta").to_number<std::int64_t>() == *in.event.delta, "delta measurement differs");
    if (std::isfinite(rate)) {
      FUZZ_CHECK(measurements.contains("rate") && raw_number(payload, "rate") == rate, "rate measurement differs");
    } else {
      FUZZ_CHECK(!measurements.contains("rate"), "a non-finite measurement was written");
      non_finite = 1;
    }
    FUZZ_CHECK(!properties.contains("count") && !properties.contains("rate"), "a typed number in properties");
  } else {
    FUZZ_CHECK(string_at(properties, "count") == std::to_string(*in.event.count), "count differs");
    FUZZ_CHECK(string_at(properties, "delta") == std::to_string(*in.event.delta), "delta differs");
    FUZZ_CHECK(string_at(properties, "rate") == display(rate), "rate differs");
    FUZZ_CHECK(!base.contains("measurements"), "measurements in the compatible encoding");
  }
  check_no_duplicates(payload, "properties", properties);
  if (typed) check_no_duplicates(payload, "measurements", object_at(base, "measurements"));

  FUZZ_CHECK(report.invalid_utf8_replaced == counts.replaced, "invalid_utf8_replaced miscounted (full)");
  FUZZ_CHECK(report.truncated_values == counts.truncated, "truncated_values miscounted (full)");
  FUZZ_CHECK(report.non_finite_omitted == non_finite, "non_finite_omitted miscounted (full)");
  FUZZ_CHECK(report.out_of_range_enums == (tel::wire_name(*in.event.shade).empty() ? 1u : 0u),
             "out_of_range_enums miscounted (full)");
}

// Checks a central payload: the central fields only, the reviewed field by its projection.
void check_central(std::string_view payload, const inputs& in, tel::encoding enc, bool metric,
                   const tel::write_report& report) {
  const auto envelope = parse_object(payload);
  FUZZ_CHECK(string_at(envelope, "iKey") == central_key, "central iKey differs");
  const auto& tags = object_at(envelope, "tags");
  FUZZ_CHECK(string_at(tags, "ai.cloud.roleInstance") == "Redacted", "central roleInstance not redacted");
  FUZZ_CHECK(string_at(tags, "ai.device.id") == "Redacted", "central device.id not redacted");
  const auto& base = object_at(object_at(envelope, "data"), "baseData");
  const auto& properties = object_at(base, "properties");
  const bool typed = enc == tel::encoding::typed && !metric;

  for (const auto key : {"text", "note", "delta", "region"}) {
    FUZZ_CHECK(!properties.contains(key), "instance-only field in the central payload: " + std::string(key));
  }
  check_no_duplicates(payload, "properties", properties);
  const std::string_view projected = in.event.tool->central_projection();
  const auto projection = fuzz_support::reference_repair(
      tool_path::central_grammar.accepts(projected) ? projected : tel::rejected_projection,
      tel::max_property_value_size);
  FUZZ_CHECK(string_at(properties, "tool") == projection.value, "tool is not the projection");
  std::size_t expected_members = 4;  // tool, shade, role, and count or rate below
  if (typed) {
    const auto& measurements = object_at(base, "measurements");
    FUZZ_CHECK(measurements.size() == (std::isfinite(*in.event.rate) ? 2u : 1u), "central measurements differ");
    FUZZ_CHECK(measurements.at("count").to_number<std::uint64_t>() == *in.event.count, "central count differs");
    if (std::isfinite(*in.event.rate)) FUZZ_CHECK(raw_number(payload, "rate") == *in.event.rate, "central rate differs");
    check_no_duplicates(payload, "measurements", measurements);
    expected_members = 3;
  } else {
    FUZZ_CHECK(string_at(properties, "count") == std::to_string(*in.event.count), "central count differs");
    FUZZ_CHECK(string_at(properties, "rate") == display(*in.event.rate), "central rate differs");
    expected_members = 5;
  }
  FUZZ_CHECK(properties.size() == expected_members, "unexpected central properties");
  FUZZ_CHECK(report.invalid_utf8_replaced == projection.replaced, "invalid_utf8_replaced miscounted (central)");
  FUZZ_CHECK(report.truncated_values == (projection.truncated ? 1u : 0u), "truncated_values miscounted (central)");
  FUZZ_CHECK(report.projection_rejected == (tool_path::central_grammar.accepts(projected) ? 0u : 1u),
             "projection_rejected miscounted (central)");
}

FUZZ_ORACLE std::string repeated(std::string_view unit, std::size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (std::size_t i = 0; i < times; ++i) out.append(unit);
  return out;
}

template <tel::encoding Enc>
void check_encoding(const inputs& in, const tel::full_envelope& full_destination,
                    const tel::central_envelope& central_destination, std::string_view ikey, std::size_t prefix) {
  // Payloads are appended after earlier content of a random length, as a batch does.
  const std::string before(prefix, '\n');
  tel::output_buffer full;
  tel::output_buffer central;
  full.append(before);
  central.append(before);
  const auto full_report = tel::write_full<Enc>(full, full_destination, in.time, in.event, in.context);
  const auto central_report = tel::write_central<Enc>(central, central_destination, in.time, in.event, in.context);
  FUZZ_CHECK(full.view().substr(0, prefix) == before && central.view().substr(0, prefix) == before,
             "earlier content changed");
  const std::string_view full_payload = full.view().substr(prefix);
  const std::string_view central_payload = central.view().substr(prefix);
  check_full(full_payload, in, Enc, false, full_report, ikey);
  check_central(central_payload, in, Enc, false, central_report);

  tel::output_buffer both_full;
  tel::output_buffer both_central;
  const auto both = tel::write_both<Enc>(both_full, full_destination, both_central, central_destination, in.time,
                                         in.event, in.context);
  FUZZ_CHECK(both_full.view() == full_payload, "write_both's full payload differs from write_full's");
  FUZZ_CHECK(both_central.view() == central_payload, "write_both's central payload differs from write_central's");
  FUZZ_CHECK(both.full.invalid_utf8_replaced == full_report.invalid_utf8_replaced &&
                 both.full.truncated_values == full_report.truncated_values &&
                 both.full.non_finite_omitted == full_report.non_finite_omitted &&
                 both.central.invalid_utf8_replaced == central_report.invalid_utf8_replaced &&
                 both.central.truncated_values == central_report.truncated_values &&
                 both.central.non_finite_omitted == central_report.non_finite_omitted,
             "write_both's reports differ");
}

bool valid_ikey(std::string_view key) {
  if (key.empty() || key.size() > 40) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader r{data, size};
  inputs in;
  const auto flags = r.byte();
  const std::size_t prefix = r.byte();
  in.event.count = r.integer<std::uint64_t>();
  in.event.rate = r.floating();
  in.event.delta = r.integer<std::int32_t>();
  in.event.shade = static_cast<color>(r.byte() % 4);  // 2 and 3 have no wire name
  in.context.role = static_cast<tel::role>(r.byte() % 4);
  in.time = tel::timestamp{tel::timestamp::duration{r.integer<std::int64_t>()}};
  // A repeat count for the main text, so values past the 8192-byte limit are reached
  // without inputs that large; bounded so one input stays cheap.
  const std::size_t repeat = 1 + r.byte() % 64;
  std::string ikey = r.text();
  in.role_instance = r.text();
  in.device_id = r.text();
  in.event.tool = tool_path{r.text()};
  in.context.region = r.text();
  in.context.text = r.text();
  if (flags & 1) in.event.note = r.text();
  const std::string unit = std::string(r.rest());
  in.event.text = repeated(unit, unit.empty() ? 1 : std::min(repeat, 9000 / unit.size() + 1));

  // The envelope takes the key iff it is a valid instrumentation key.
  bool accepted = true;
  try {
    const tel::full_envelope probe{{.instrumentation_key = ikey, .role_instance = "r", .device_id = "d"}};
  } catch (const std::invalid_argument&) {
    accepted = false;
  }
  FUZZ_CHECK(accepted == valid_ikey(ikey), "envelope key check differs from [0-9A-Za-z-]{1,40}: " + fuzz_support::hex_prefix(ikey));
  if (!accepted) ikey = "11111111-2222-3333-4444-555555555555";

  const tel::full_envelope full_destination{{.instrumentation_key = ikey,
                                             .cloud_role = *in.context.role,
                                             .role_instance = in.role_instance,
                                             .device_id = in.device_id}};
  const tel::central_envelope central_destination{central_key, tel::role::agent};

  check_encoding<tel::encoding::onefuzz_compatible>(in, full_destination, central_destination, ikey, prefix);
  check_encoding<tel::encoding::typed>(in, full_destination, central_destination, ikey, prefix);

  // The metric twins: properties as strings, the metric named after the event.
  tel::output_buffer metric_full;
  tel::output_buffer metric_central;
  const auto metric_full_report = tel::write_metric_full(metric_full, full_destination, in.time, in.event, in.context);
  const auto metric_central_report =
      tel::write_metric_central(metric_central, central_destination, in.time, in.event, in.context);
  check_full(metric_full.view(), in, tel::encoding::onefuzz_compatible, true, metric_full_report, ikey);
  check_central(metric_central.view(), in, tel::encoding::onefuzz_compatible, true, metric_central_report);
  const auto envelope = parse_object(metric_full.view());
  const auto& metrics = object_at(object_at(envelope, "data"), "baseData").at("metrics").as_array();
  FUZZ_CHECK(metrics.size() == 1 && string_at(metrics[0].as_object(), "name") == "fuzz_event", "metric name differs");
  return 0;
}
