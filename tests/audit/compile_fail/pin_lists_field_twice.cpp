// Must not compile: the review lists `count` twice (a merge mistake hides what was meant).
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats, (tel::central<std::uint64_t>, count));
};
ONEFUZZ_TELEMETRY_REVIEWED(fuzzer_stats, "count: count u64", "count: count u64");
}  // namespace my_project
