// Must not compile: a type that derives from reviewed<catalog::tool_name> rather than
// reviewed<itself>, used as a central field: it would send its own projection under
// tool_name's review.
#include <onefuzz/telemetry/catalog/tool_name.hpp>
#include <onefuzz/telemetry/serialize.hpp>

#include <string>
#include <string_view>

class evil final : public onefuzz::telemetry::reviewed<onefuzz::telemetry::catalog::tool_name> {
 public:
  evil() = default;
  static constexpr std::string_view projection = onefuzz::telemetry::catalog::tool_name::projection;
  static constexpr onefuzz::telemetry::projection_grammar central_grammar{"A-Za-z0-9._+-", 64};
  std::string_view full_value() const noexcept { return value; }
  std::string_view central_projection() const noexcept { return value; }
  std::string value = "/home/alice/tools/generator";
};

struct task_started {
  static constexpr std::string_view event_name = "task_started";
  BOOST_HANA_DEFINE_STRUCT(task_started, (onefuzz::telemetry::central<evil>, tool_name));
};

int main() {
  onefuzz::telemetry::output_buffer out;
  const onefuzz::telemetry::central_envelope destination{
      "00000000-0000-0000-0000-0000000000bb", onefuzz::telemetry::role::agent};
  const auto report = onefuzz::telemetry::write_central(out, destination, {}, task_started{});
  return report.clean() ? 0 : 1;
}
