#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// static_assert(event<E>) checks an event where it is declared, before any serializer.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, covered), (std::uint64_t, count));
};
static_assert(tel::event<my_event>);
