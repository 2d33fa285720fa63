// Defines tool_name, task_start's tool: the full configured value for the user's instance,
// only its file name for the central instance.
#pragma once

#include <onefuzz/telemetry/value_kind.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::catalog {

// The raw configured tool of a generic task (`generator_exe` or `analyzer_exe`, before
// expansion, e.g. "{tools_dir}/radamsa"; reference §1.3). The original sent the whole
// string centrally (§1.1: ToolName is shared; §4.16). For a custom tool that string is
// the user's own path, which can hold a user or project name, so the central instance
// gets the file name only: "{tools_dir}/radamsa" → "radamsa", "C:\Users\a\t.exe" → "t.exe".
// The file name itself is still the user's choice; that residue was accepted in review.
class tool_name final : public reviewed<tool_name> {
 public:
  static constexpr std::string_view projection =
      "file name only: the text after the last '/' or '\\' (the directories of a custom "
      "tool's path can name a user)";
  static constexpr projection_grammar central_grammar{"A-Za-z0-9._+-", 64};

  tool_name() = default;
  explicit tool_name(std::string value) : value_(std::move(value)) {}

  // The configured value, unchanged (the user's own instance gets it).
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }

  // The text after the last '/' or '\', or the whole value when it has neither.
  [[nodiscard]] std::string_view central_projection() const noexcept {
    const std::string_view text = value_;
    const auto separator = text.find_last_of("/\\");
    return separator == std::string_view::npos ? text : text.substr(separator + 1);
  }

  friend bool operator==(const tool_name& a, const tool_name& b) noexcept {
    return a.value_ == b.value_;
  }

 private:
  std::string value_;
};

static_assert(reviewed_value<tool_name>);

}  // namespace onefuzz::telemetry::catalog
