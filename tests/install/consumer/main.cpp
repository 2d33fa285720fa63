// Declares an event and prints its central payload, using only the installed core, and
// the version onefuzz_version() computed at configure time.
#include <onefuzz/telemetry.hpp>

#include <cstdint>
#include <iostream>
#include <string>

namespace tel = onefuzz::telemetry;

struct consumer_event {
  static constexpr std::string_view event_name = "consumer_event";
  BOOST_HANA_DEFINE_STRUCT(consumer_event,
    (tel::central<std::uint64_t>, count),
    (tel::instance_only<std::string>, secret));
};

int main() {
  tel::output_buffer out;
  const tel::central_envelope destination{"00000000-0000-0000-0000-000000000001", tel::role::agent};
  tel::write_central(out, destination, tel::timestamp{}, consumer_event{3u, std::string{"hidden"}});
  std::cout << out.view() << '\n' << "version " << CONSUMER_VERSION << '\n';
  return out.view().find("hidden") == std::string_view::npos ? 0 : 1;
}
