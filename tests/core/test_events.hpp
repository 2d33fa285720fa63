// Events used by the core tests: one field of every value kind, with both attributes.
#pragma once

#include <onefuzz/telemetry.hpp>

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

}  // namespace core_test
