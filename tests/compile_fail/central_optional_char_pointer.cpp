#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// An optional does not hide a character pointer: the check looks at the value type.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::optional<const char*>>, path));
};
