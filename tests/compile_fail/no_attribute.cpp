#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// A field declared without central<> or instance_only<> must not compile.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, covered), (std::uint64_t, count));
};
void use(tel::output_buffer& out, const tel::full_envelope& destination) {
  tel::write_full(out, destination, tel::timestamp{}, my_event{});
}
