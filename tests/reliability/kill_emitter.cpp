// The child of reliability.kill_restart: emits one crash event every <period> ms, named
// "kill-<n>", into a sender with a spool, until it is killed. It prints "ready" once the
// sender runs; event n is emitted <n * period> ms after that line.
// Usage: reliability.kill_emitter <connection string> <spool root> <period ms>
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace tel = onefuzz::telemetry;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <connection string> <spool root> <period ms>\n", argv[0]);
    return 2;
  }
  tel::transport::sender_options options;
  options.destinations.instance = argv[1];
  options.getenv = [](const char*) -> const char* { return nullptr; };
  options.spool.directory = argv[2];
  options.diagnostics = tel::transport::diagnostics_options::off();
  const std::chrono::milliseconds period{std::atoi(argv[3])};
  tel::transport::sender<> sender{options};
  std::printf("ready\n");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  for (long n = 0;; ++n) {
    std::this_thread::sleep_until(start + n * period);
    onefuzz::telemetry::catalog::new_result event;
    event.path = "kill-" + std::to_string(n);
    sender.emit(std::move(event));
  }
}
