#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// Property names are limited to 150 characters by the ingestion service.
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  BOOST_HANA_DEFINE_STRUCT(my_event, (tel::central<std::uint64_t>, fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff));
};
static_assert(tel::fields_of<my_event>.size() == 1);
