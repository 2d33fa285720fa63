// Must not compile: the event shares `rate` centrally, but its review does not list it.
#include <onefuzz/telemetry/audit.hpp>

#include <cstdint>
#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct coverage_report {
  static constexpr std::string_view event_name = "coverage_report";
  BOOST_HANA_DEFINE_STRUCT(coverage_report,
                           (tel::central<std::uint64_t>, covered),
                           (tel::central<double>, rate));
};
ONEFUZZ_TELEMETRY_REVIEWED(coverage_report, "covered: count u64");
}  // namespace my_project
