#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// A run-time event name gets a sentence, not "non-constant condition".
struct my_event {
  static inline std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, count));
};
static_assert(tel::event<my_event>);
