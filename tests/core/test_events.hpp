// Events used by the core tests: one field of every value kind, with both attributes; and what
// the serializer tests share to write and read them: the destinations, the time, the parser.
#pragma once

#include <onefuzz/telemetry.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace core_test {

namespace tel = onefuzz::telemetry;

enum class color { red, dark_blue };
constexpr auto onefuzz_wire_names(color) {
  return tel::enum_wire_names<2>{"color", {"red", "dark_blue"}};
}

struct job_tag;
using job_id = tel::basic_id<job_tag>;
struct task_tag;
using task_id = tel::basic_id<task_tag>;

// A reviewed type: full path to the user's instance, file name only to the central one.
struct tool_path final : tel::reviewed<tool_path> {
  std::string value;
  static constexpr std::string_view projection = "the file name after the last '/'";
  static constexpr tel::projection_grammar central_grammar{"A-Za-z0-9._+-", 64};
  tool_path() = default;
  tool_path(std::string v) : value(std::move(v)) {}
  std::string_view full_value() const { return value; }
  std::string_view central_projection() const {
    const auto slash = value.find_last_of('/');
    return slash == std::string::npos ? std::string_view{value}
                                      : std::string_view{value}.substr(slash + 1);
  }
};

struct every_kind {
  static constexpr std::string_view event_name = "every_kind";
  BOOST_HANA_DEFINE_STRUCT(every_kind,
    (tel::central<bool>, flag),
    (tel::central<std::uint64_t>, count),
    (tel::central<std::int32_t>, delta),
    (tel::central<double>, rate),
    (tel::central<float>, cpu),
    (tel::central<color>, shade),
    (tel::central<core_test::job_id>, job_id),
    (tel::central<tel::version>, version),
    (tel::central<tool_path>, tool),
    (tel::central<std::optional<std::uint64_t>>, vm_count),
    (tel::instance_only<std::string>, path),
    (tel::instance_only<std::filesystem::path>, file),
    (tel::instance_only<std::uint32_t>, pid),
    (tel::instance_only<std::optional<std::string>>, note));
};

struct process_context {
  BOOST_HANA_DEFINE_STRUCT(process_context,
    (tel::central<core_test::task_id>, task_id),
    (tel::central<core_test::job_id>, job_id),  // shadowed by the event's job_id
    (tel::central<tel::role>, role),
    (tel::instance_only<std::string>, region));
};

// The serializer tests' destinations and time. Not named full_destination and
// central_destination: allocation_test.cpp, which uses core_test's names, declares envelopes of
// its own by those names.
inline const tel::full_envelope sample_full_destination{
    {.instrumentation_key = "11111111-2222-3333-4444-555555555555",
     .cloud_role = tel::role::agent,
     .role_instance = "node-7",
     .device_id = "device-7"}};
inline const tel::central_envelope sample_central_destination{
    "99999999-8888-7777-6666-555555555555", tel::role::agent};

// 2024-05-01T12:34:56.789Z
inline constexpr tel::timestamp fixed_time{std::chrono::milliseconds{1714566896789}};

// A payload parsed as one JSON object; the test stops here if it is not one.
inline boost::json::object parse_object(std::string_view text) {
  boost::json::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  INFO(text);
  REQUIRE_FALSE(error);
  REQUIRE(value.is_object());
  return value.as_object();
}

}  // namespace core_test
