#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// A wide character pointer is text too, and the error names its real type.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<const wchar_t*>, path));
};
