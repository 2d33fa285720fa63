// Golden round trips of the full and central serializers, per field kind and encoding.
#include "test_events.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace serialize_test {

using namespace core_test;
namespace json = boost::json;

namespace {

every_kind sample_event() {
  every_kind ev;
  ev.flag = true;
  ev.count = 18446744073709551615ull;
  ev.delta = -42;
  ev.rate = 2666.67;
  ev.cpu = 0.1f;
  ev.shade = color::dark_blue;
  ev.job_id = *job_id::parse("{0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9}");
  ev.version = *tel::version::parse("8.9.0+0123456789abcdef0123456789abcdef01234567");
  ev.tool = tool_path{"/home/alice/tools/radamsa"};
  ev.vm_count = 3u;
  ev.path = "/home/alice/crashes/crash-1";
  ev.file = std::filesystem::path{"/tmp/a b"};
  ev.pid = 4242u;
  return ev;  // note stays empty
}

process_context sample_context() {
  process_context ctx;
  ctx.task_id = *task_id::parse("ffffffff-0000-4000-8000-000000000001");
  ctx.job_id = *job_id::parse("00000000-0000-0000-0000-000000000000");
  ctx.role = tel::role::agent;
  ctx.region = "westeurope";
  return ctx;
}

std::set<std::string> keys_of(const json::object& object) {
  std::set<std::string> keys;
  for (const auto& member : object) keys.emplace(member.key());
  return keys;
}

const json::object& base_data(const json::object& envelope) {
  return envelope.at("data").as_object().at("baseData").as_object();
}

void check_envelope_common(const json::object& envelope, std::string_view ikey) {
  CHECK(envelope.at("ver").as_int64() == 1);
  CHECK(envelope.at("name").as_string() == "Microsoft.ApplicationInsights.Event");
  CHECK(envelope.at("time").as_string() == "2024-05-01T12:34:56.789Z");
  CHECK(envelope.at("sampleRate").as_double() == 100.0);
  CHECK(envelope.at("iKey").as_string() == ikey);
  CHECK(envelope.at("data").as_object().at("baseType").as_string() == "EventData");
  CHECK(base_data(envelope).at("ver").as_int64() == 2);
  CHECK(base_data(envelope).at("name").as_string() == "every_kind");
  const auto& tags = envelope.at("tags").as_object();
  CHECK(tags.at("ai.cloud.role").as_string() == "agent");
  CHECK(tags.at("ai.internal.sdkVersion").as_string() == "onefuzz-telemetry-cpp:0.1.0");
}

}  // namespace

TEST_CASE("full payload, OneFuzz-compatible encoding: every value a string, as the original formats it") {
  tel::output_buffer out;
  const auto report =
      tel::write_full(out, sample_full_destination, fixed_time, sample_event(), sample_context());
  CHECK(report.clean());

  // Written by hand from docs/wire-format.md and docs/catalog.md: Rust Display for numbers,
  // lowercase hyphenated ids, wire names for enums; the empty optional is left out; the
  // event's job_id wins over the context's.
  const std::string expected =
      R"({"ver":1,"iKey":"11111111-2222-3333-4444-555555555555","tags":{"ai.cloud.role":"agent",)"
      R"("ai.internal.sdkVersion":"onefuzz-telemetry-cpp:0.1.0","ai.cloud.roleInstance":"node-7",)"
      R"("ai.device.id":"device-7"},"time":"2024-05-01T12:34:56.789Z",)"
      R"("name":"Microsoft.ApplicationInsights.Event","sampleRate":100.0,"data":{"baseType":"EventData",)"
      R"("baseData":{"ver":2,"name":"every_kind","properties":{"flag":"true",)"
      R"("count":"18446744073709551615","delta":"-42","rate":"2666.67","cpu":"0.1",)"
      R"("shade":"dark_blue","job_id":"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",)"
      R"("version":"8.9.0+0123456789abcdef0123456789abcdef01234567",)"
      R"("tool":"/home/alice/tools/radamsa","vm_count":"3","path":"/home/alice/crashes/crash-1",)"
      R"("file":"/tmp/a b","pid":"4242","task_id":"ffffffff-0000-4000-8000-000000000001",)"
      R"("role":"agent","region":"westeurope"}}}})";
  CHECK(out.view() == expected);

  const auto envelope = parse_object(out.view());
  check_envelope_common(envelope, "11111111-2222-3333-4444-555555555555");
  CHECK(envelope.at("tags").as_object().at("ai.cloud.roleInstance").as_string() == "node-7");
  CHECK(envelope.at("tags").as_object().at("ai.device.id").as_string() == "device-7");
  const auto& properties = base_data(envelope).at("properties").as_object();
  CHECK(properties.size() == 16);  // 13 event fields (note is empty) + 3 context fields
  CHECK(properties.at("flag").as_string() == "true");
  CHECK(properties.at("count").as_string() == "18446744073709551615");
  CHECK(properties.at("delta").as_string() == "-42");
  CHECK(properties.at("rate").as_string() == "2666.67");
  CHECK(properties.at("cpu").as_string() == "0.1");
  CHECK(properties.at("shade").as_string() == "dark_blue");
  CHECK(properties.at("job_id").as_string() == "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9");
  CHECK(properties.at("tool").as_string() == "/home/alice/tools/radamsa");
  CHECK(properties.at("vm_count").as_string() == "3");
  CHECK(properties.at("path").as_string() == "/home/alice/crashes/crash-1");
  CHECK(properties.at("file").as_string() == "/tmp/a b");
  CHECK(properties.at("pid").as_string() == "4242");
  CHECK(properties.at("task_id").as_string() == "ffffffff-0000-4000-8000-000000000001");
  CHECK(properties.at("role").as_string() == "agent");
  CHECK(properties.at("region").as_string() == "westeurope");
  CHECK_FALSE(properties.contains("note"));
  CHECK_FALSE(base_data(envelope).contains("measurements"));

  // Round trip: writing the same event again gives the same bytes.
  tel::output_buffer again;
  tel::write_full(again, sample_full_destination, fixed_time, sample_event(), sample_context());
  CHECK(again.view() == out.view());
}

TEST_CASE("central payload carries only central fields, the reviewed projection, and redacted tags") {
  tel::output_buffer out;
  const auto report = tel::write_central(out, sample_central_destination, fixed_time, sample_event(),
                                         sample_context());
  CHECK(report.clean());

  const std::string expected =
      R"({"ver":1,"iKey":"99999999-8888-7777-6666-555555555555","tags":{"ai.cloud.role":"agent",)"
      R"("ai.internal.sdkVersion":"onefuzz-telemetry-cpp:0.1.0","ai.cloud.roleInstance":"Redacted",)"
      R"("ai.device.id":"Redacted","ai.location.ip":"0.0.0.0"},"time":"2024-05-01T12:34:56.789Z",)"
      R"("name":"Microsoft.ApplicationInsights.Event","sampleRate":100.0,"data":{"baseType":"EventData",)"
      R"("baseData":{"ver":2,"name":"every_kind","properties":{"flag":"true",)"
      R"("count":"18446744073709551615","delta":"-42","rate":"2666.67","cpu":"0.1",)"
      R"("shade":"dark_blue","job_id":"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",)"
      R"("version":"8.9.0+0123456789abcdef0123456789abcdef01234567","tool":"radamsa",)"
      R"("vm_count":"3","task_id":"ffffffff-0000-4000-8000-000000000001","role":"agent"}}}})";
  CHECK(out.view() == expected);

  const auto envelope = parse_object(out.view());
  check_envelope_common(envelope, "99999999-8888-7777-6666-555555555555");
  const auto& tags = envelope.at("tags").as_object();
  CHECK(tags.at("ai.cloud.roleInstance").as_string() == "Redacted");
  CHECK(tags.at("ai.device.id").as_string() == "Redacted");
  CHECK(tags.at("ai.location.ip").as_string() == "0.0.0.0");
  const auto& properties = base_data(envelope).at("properties").as_object();
  CHECK(properties.at("tool").as_string() == "radamsa");
  for (const char* instance_key : {"path", "file", "pid", "note", "region"}) {
    INFO(instance_key);
    CHECK_FALSE(properties.contains(instance_key));
  }
}

TEST_CASE("central keys are a subset of full keys, and no instance-only key is central") {
  tel::output_buffer full;
  tel::output_buffer central;
  tel::write_both(full, sample_full_destination, central, sample_central_destination, fixed_time,
                  sample_event(), sample_context());
  const auto full_keys = keys_of(base_data(parse_object(full.view())).at("properties").as_object());
  const auto central_keys =
      keys_of(base_data(parse_object(central.view())).at("properties").as_object());
  for (const auto& key : central_keys) {
    INFO(key);
    CHECK(full_keys.count(key) == 1);
    const bool central_in_event = tel::is_central_field<every_kind>(key);
    const bool central_in_context = tel::is_central_field<process_context>(key);
    CHECK((central_in_event || central_in_context));
  }
  for (auto name : {"path", "file", "pid", "region"}) CHECK(central_keys.count(name) == 0);

  static_assert(tel::central_field_names<every_kind>.size() == 10);
  static_assert(tel::full_field_names<every_kind>.size() == 14);
  static_assert(!tel::is_central_field<every_kind>("path"));
  static_assert(tel::is_central_field<every_kind>("tool"));
}

TEST_CASE("write_both gives the same bytes as write_full and write_central") {
  for (int round = 0; round < 2; ++round) {
    tel::output_buffer both_full, both_central, full, central;
    auto ev = sample_event();
    if (round == 1) ev.rate = std::nan("");
    tel::write_both(both_full, sample_full_destination, both_central, sample_central_destination,
                    fixed_time, ev, sample_context());
    tel::write_full(full, sample_full_destination, fixed_time, ev, sample_context());
    tel::write_central(central, sample_central_destination, fixed_time, ev, sample_context());
    CHECK(both_full.view() == full.view());
    CHECK(both_central.view() == central.view());
  }
}

TEST_CASE("write_both refuses one buffer for both payloads, and writes nothing") {
  tel::output_buffer shared;
  try {
    tel::write_both(shared, sample_full_destination, shared, sample_central_destination, fixed_time,
                    sample_event(), sample_context());
    FAIL("write_both accepted the same buffer twice");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string_view{error.what()}.find("two different buffers") != std::string_view::npos);
  }
  CHECK(shared.size() == 0);
}

TEST_CASE("a reviewed projection outside its grammar is sent as \"other\" and counted") {
  // tool_path's grammar is [A-Za-z0-9._+-]{1,64}; each of these projections breaks it.
  const std::string too_long(65, 'a');
  for (const std::string& value :
       {std::string{"/home/alice/my tool"}, std::string{"/opt/x/t\xc3\xa9st"}, std::string{"/usr/bin/"},
        "/x/" + too_long, std::string{"/x/name@host"}}) {
    auto ev = sample_event();
    ev.tool = tool_path{value};
    tel::output_buffer full, central;
    const auto reports = tel::write_both(full, sample_full_destination, central,
                                         sample_central_destination, fixed_time, ev, sample_context());
    INFO(value);
    CHECK(reports.central.projection_rejected == 1);
    CHECK(reports.full.projection_rejected == 0);
    const auto central_properties =
        json::parse(central.view()).at("data").at("baseData").at("properties").as_object();
    CHECK(central_properties.at("tool").as_string() == "other");
    const auto full_properties =
        json::parse(full.view()).at("data").at("baseData").at("properties").as_object();
    CHECK(full_properties.at("tool").as_string() == json::string_view{value.data(), value.size()});
  }
  // At the limit, and with every allowed character class: sent as projected.
  auto ev = sample_event();
  ev.tool = tool_path{"/x/" + std::string(64, 'Z')};
  tel::output_buffer central;
  const auto report = tel::write_central(central, sample_central_destination, fixed_time, ev);
  CHECK(report.projection_rejected == 0);
  CHECK(json::parse(central.view()).at("data").at("baseData").at("properties").at("tool").as_string() ==
        std::string(64, 'Z'));
  ev.tool = tool_path{"/x/a.B-9_+"};
  tel::output_buffer metric;
  const auto metric_report =
      tel::write_metric_central(metric, sample_central_destination, fixed_time, ev);
  CHECK(metric_report.projection_rejected == 0);
  CHECK(json::parse(metric.view()).at("data").at("baseData").at("properties").at("tool").as_string() ==
        "a.B-9_+");
}

TEST_CASE("typed encoding puts numbers in measurements and leaves out NaN and infinities") {
  tel::output_buffer out;
  auto ev = sample_event();
  ev.rate = std::numeric_limits<double>::infinity();
  ev.cpu = 1.0f;
  const auto report =
      tel::write_full<tel::encoding::typed>(out, sample_full_destination, fixed_time, ev);
  CHECK(report.non_finite_omitted == 1);

  const auto envelope = parse_object(out.view());
  const auto& properties = base_data(envelope).at("properties").as_object();
  const auto& measurements = base_data(envelope).at("measurements").as_object();
  CHECK(keys_of(measurements) == std::set<std::string>{"count", "delta", "cpu", "vm_count", "pid"});
  CHECK(measurements.at("count").as_uint64() == 18446744073709551615ull);
  CHECK(measurements.at("delta").as_int64() == -42);
  CHECK(measurements.at("cpu").to_number<double>() == 1.0);
  CHECK(measurements.at("vm_count").to_number<double>() == 3.0);
  CHECK(measurements.at("pid").to_number<double>() == 4242.0);
  CHECK(keys_of(properties) ==
        std::set<std::string>{"flag", "shade", "job_id", "version", "tool", "path", "file"});
  CHECK(properties.at("flag").as_string() == "true");
  CHECK(out.view().find(R"("measurements":{"count":18446744073709551615,"delta":-42,"cpu":1,)") !=
        std::string_view::npos);
}

TEST_CASE("compatible encoding sends NaN and infinities as the original's strings") {
  tel::output_buffer out;
  auto ev = sample_event();
  for (auto [value, text] : {std::pair{std::nan(""), "NaN"},
                             std::pair{std::numeric_limits<double>::infinity(), "inf"},
                             std::pair{-std::numeric_limits<double>::infinity(), "-inf"}}) {
    out.clear();
    ev.rate = value;
    const auto report = tel::write_full(out, sample_full_destination, fixed_time, ev);
    CHECK(report.clean());
    CHECK(base_data(parse_object(out.view())).at("properties").as_object().at("rate").as_string() == text);
  }
}

namespace {
struct nothing_set {
  static constexpr std::string_view event_name = "nothing_set";
  BOOST_HANA_DEFINE_STRUCT(nothing_set, (tel::central<std::optional<double>>, rate));
};
}  // namespace

TEST_CASE("an event with no context and no optional value writes empty sections validly") {
  tel::output_buffer out;
  tel::write_full<tel::encoding::typed>(out, sample_full_destination, fixed_time, nothing_set{});
  const auto data = base_data(parse_object(out.view()));
  CHECK(data.at("properties").as_object().empty());
  CHECK(data.at("measurements").as_object().empty());
}

TEST_CASE("the metric twin is a MetricData envelope with value 1 and the filtered properties") {
  tel::output_buffer full, central;
  tel::write_metric_full(full, sample_full_destination, fixed_time, sample_event(),
                         sample_context());
  tel::write_metric_central(central, sample_central_destination, fixed_time, sample_event(),
                            sample_context());
  for (auto* out : {&full, &central}) {
    const auto envelope = parse_object(out->view());
    CHECK(envelope.at("name").as_string() == "Microsoft.ApplicationInsights.Metric");
    CHECK(envelope.at("data").as_object().at("baseType").as_string() == "MetricData");
    const auto& metrics = base_data(envelope).at("metrics").as_array();
    REQUIRE(metrics.size() == 1);
    CHECK(metrics[0].as_object().at("name").as_string() == "every_kind");
    CHECK(metrics[0].as_object().at("value").as_double() == 1.0);
    CHECK(metrics[0].as_object().at("count").as_int64() == 1);
  }
  const auto central_properties = base_data(parse_object(central.view())).at("properties").as_object();
  CHECK(central_properties.at("tool").as_string() == "radamsa");
  CHECK_FALSE(central_properties.contains("path"));
  const auto full_properties = base_data(parse_object(full.view())).at("properties").as_object();
  CHECK(full_properties.at("path").as_string() == "/home/alice/crashes/crash-1");
}

TEST_CASE("payloads append, so several envelopes can share one batch buffer") {
  tel::output_buffer out;
  tel::write_full(out, sample_full_destination, fixed_time, sample_event());
  const auto first = out.size();
  out.push_back('\n');
  tel::write_full(out, sample_full_destination, fixed_time, sample_event());
  CHECK(out.view().substr(first + 1) == out.view().substr(0, first));
}

TEST_CASE("a malformed instrumentation key is rejected without repeating it") {
  try {
    tel::central_envelope bad{"secret\"key", tel::role::agent};
    FAIL("no exception");
  } catch (const std::invalid_argument& error) {
    CHECK(std::string_view{error.what()}.find("secret") == std::string_view::npos);
    CHECK(std::string_view{error.what()}.find("letters, digits") != std::string_view::npos);
  }
  CHECK_THROWS_AS(tel::central_envelope("", tel::role::agent), std::invalid_argument);
  CHECK_THROWS_AS(tel::central_envelope(std::string(41, 'a'), tel::role::agent), std::invalid_argument);
}

TEST_CASE("field values keep plain-member ergonomics") {
  every_kind ev;
  ev.count = 5u;
  auto next = ev.count + 1;
  CHECK(next == 6u);
  // A std::string, not a literal: assigning "x" trips g++ 12's false -Wrestrict inside
  // std::string::assign at -O3 (the Release build, warnings as errors).
  ev.path = std::string{"x"};
  ev.path->append("y");
  CHECK(*ev.path == "xy");
  ev.vm_count = std::nullopt;
  CHECK_FALSE(ev.vm_count->has_value());
  static_assert(sizeof(tel::central<std::uint64_t>) == sizeof(std::uint64_t));
  static_assert(std::is_trivially_copyable_v<tel::central<double>>);
}

}  // namespace serialize_test
