// Must not compile: the review lists `rate` in the old form, by name only; the error says
// the expected form and what the field is now ("rate: measure f64").
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
ONEFUZZ_TELEMETRY_REVIEWED(coverage_report, "covered: count u64", "rate");
}  // namespace my_project
