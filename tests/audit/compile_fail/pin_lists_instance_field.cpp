// Must not compile: the review lists `pid`, which the event keeps on the user's instance
// (as if a reviewer had approved it, and the field was later made instance_only).
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats,
                           (tel::central<std::uint64_t>, count),
                           (tel::instance_only<std::uint32_t>, pid));
};
ONEFUZZ_TELEMETRY_REVIEWED(fuzzer_stats, "count: count u64", "pid: count u32");
}  // namespace my_project
