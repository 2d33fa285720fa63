#include <onefuzz/telemetry.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

namespace tel = onefuzz::telemetry;

struct crash_found {
  static constexpr std::string_view event_name = "crash_found";
  static constexpr bool metric_twin = true;         // also a customMetric, value 1
  BOOST_HANA_DEFINE_STRUCT(crash_found,
    (tel::central<std::uint64_t>, count),           // may reach the central instance
    (tel::instance_only<std::string>, path));       // the user's own instance only
};
static_assert(tel::event<crash_found>);             // every rule checked here, at the declaration

int main() {
  tel::transport::sender_options options;
  // Why a destination fails, as records; by default warnings and errors go to stderr.
  options.diagnostics.handler = [](const tel::transport::diagnostic& d) {
    std::cerr << tel::transport::format_diagnostic(d) << '\n';
  };
  tel::transport::sender<> sender{options};
  sender.emit(crash_found{.count = 1u, .path = "/home/alice/crashes/crash-1"});
  sender.shutdown(std::chrono::seconds{5});

  // Items, per destination: the event and its metric twin are two.
  const tel::transport::sink_statistics stats = sender.instance_statistics();
  std::cout << "instance: emitted " << stats.emitted << ", accepted " << stats.accepted
            << ", dropped " << stats.dropped_total() << '\n';
  if (stats.last_failure) {
    std::cout << "last failure: " << tel::transport::to_string(stats.last_failure->kind)
              << ' ' << stats.last_failure->detail << '\n';
  }
  return stats.emitted == stats.accepted ? 0 : 1;
}
