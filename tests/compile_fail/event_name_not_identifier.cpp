#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// An event name is an identifier: a path (from __FILE__, say) cannot become one.
struct my_event {
  static constexpr std::string_view event_name = "/home/alice/src/agent.cpp";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, count));
};
static_assert(tel::event<my_event>);
