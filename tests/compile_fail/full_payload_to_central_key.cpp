#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// The full serializer cannot be addressed to the central instance.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::instance_only<std::string>, path));
};
void use(tel::output_buffer& out, const tel::central_envelope& central) {
  tel::write_full(out, central, tel::timestamp{}, my_event{});
}
