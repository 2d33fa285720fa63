#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// Enum wire names must be unique and plain.
enum class shade { light, dark };
constexpr auto onefuzz_wire_names(shade) { return tel::enum_wire_names<2>{"shade", {"same", "same"}}; }
auto name = tel::wire_name(shade::dark);
