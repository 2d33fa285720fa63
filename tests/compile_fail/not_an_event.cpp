#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// A struct without Hana members is not an event.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  std::uint64_t count;
};
void use(tel::output_buffer& out, const tel::full_envelope& destination) {
  tel::write_full(out, destination, tel::timestamp{}, my_event{});
}
