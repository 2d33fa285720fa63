// Must not compile: the review names `execs_per_sec`, which the event does not have (the
// field is called execs_sec).
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats,
                           (tel::central<std::uint64_t>, count),
                           (tel::central<double>, execs_sec));
};
ONEFUZZ_TELEMETRY_REVIEWED(fuzzer_stats, "count: count u64", "execs_sec: measure f64",
                           "execs_per_sec: measure f64");
}  // namespace my_project
