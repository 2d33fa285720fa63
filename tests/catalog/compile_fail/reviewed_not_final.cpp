// Must not compile: a reviewed type that is not declared final, used as a central field.
// A class could derive from it and change its projection under its review.
#include <onefuzz/telemetry/serialize.hpp>

#include <string>
#include <string_view>

class build_flavor : public onefuzz::telemetry::reviewed<build_flavor> {
 public:
  build_flavor() = default;
  static constexpr std::string_view projection = "the flavor word";
  static constexpr onefuzz::telemetry::projection_grammar central_grammar{"a-z", 16};
  std::string_view full_value() const noexcept { return value; }
  std::string_view central_projection() const noexcept { return value; }
  std::string value = "debug";
};

struct build_finished {
  static constexpr std::string_view event_name = "build_finished";
  BOOST_HANA_DEFINE_STRUCT(build_finished, (onefuzz::telemetry::central<build_flavor>, flavor));
};

int main() {
  onefuzz::telemetry::output_buffer out;
  const onefuzz::telemetry::central_envelope destination{
      "00000000-0000-0000-0000-0000000000bb", onefuzz::telemetry::role::agent};
  const auto report =
      onefuzz::telemetry::write_central(out, destination, {}, build_finished{});
  return report.clean() ? 0 : 1;
}
