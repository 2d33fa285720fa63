// Must not compile: matches_review on an event that nobody reviewed.
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats, (tel::central<std::uint64_t>, count));
};
static_assert(onefuzz::telemetry::audit::matches_review<fuzzer_stats>());
}  // namespace my_project
