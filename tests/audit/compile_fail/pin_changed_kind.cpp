// Must not compile: `state` was reviewed as an enum (a closed set of wire names) and is now
// an integer; the pin names the event, the field, the pinned and the new exposure.
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
enum class fuzzer_state { running, stopped };
constexpr auto onefuzz_wire_names(fuzzer_state) {
  return tel::enum_wire_names<2>{"fuzzer_state", {"running", "stopped"}};
}

struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats,
                           (tel::central<std::uint64_t>, count),
                           (tel::central<std::uint32_t>, state));  // was fuzzer_state
};
ONEFUZZ_TELEMETRY_REVIEWED(fuzzer_stats, "count: count u64", "state: enum fuzzer_state");
}  // namespace my_project
