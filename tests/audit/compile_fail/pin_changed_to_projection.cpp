// Must not compile: `target` was reviewed as a count sent by value and is now a reviewed type
// sent through its projection, which can carry text the reviewer never saw.
#include <onefuzz/telemetry/audit.hpp>

#include <string>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
// A reviewed type whose central form is its whole value.
class target_name final : public tel::reviewed<target_name> {
 public:
  static constexpr std::string_view projection = "the whole value";
  static constexpr tel::projection_grammar central_grammar{"a-z_", 32};
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }
  [[nodiscard]] std::string_view central_projection() const noexcept { return value_; }

 private:
  std::string value_;
};

struct target_started {
  static constexpr std::string_view event_name = "target_started";
  BOOST_HANA_DEFINE_STRUCT(target_started,
                           (tel::central<target_name>, target));  // was std::uint64_t
};
ONEFUZZ_TELEMETRY_REVIEWED(target_started, "target: count u64");
}  // namespace my_project
