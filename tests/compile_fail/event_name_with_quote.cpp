#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// Event names are written without escaping, so quotes are refused.
struct my_event {
  static constexpr std::string_view event_name = "my\"event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, count));
};
static_assert(tel::fields_of<my_event>.size() == 1);
