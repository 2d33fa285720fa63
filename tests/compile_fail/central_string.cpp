#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// std::string cannot be central.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::string>, path));
};
