// Must not compile: in strict mode the central serializer refuses an event that has no
// pinned review, even though every field carries a valid sharing attribute.
#define ONEFUZZ_TELEMETRY_STRICT_REVIEWS
#include <onefuzz/telemetry.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct fuzzer_stats {
  static constexpr std::string_view event_name = "fuzzer_stats";
  BOOST_HANA_DEFINE_STRUCT(fuzzer_stats, (tel::central<std::uint64_t>, count));
};
// No ONEFUZZ_TELEMETRY_REVIEWED(fuzzer_stats, "count: count u64") here.
}  // namespace my_project

void send(tel::output_buffer& out, const tel::central_envelope& destination, tel::timestamp time) {
  tel::write_central(out, destination, time, my_project::fuzzer_stats{.count = 1});
}
