// onefuzz-ingestion-server: the loopback Application Insights ingestion endpoint as a
// program, for the demo and manual testing; runs until SIGINT or SIGTERM.
#include "onefuzz/telemetry/testing/ingestion_server.hpp"

#include <pthread.h>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace {

constexpr std::string_view usage =
    "usage: onefuzz-ingestion-server --key IKEY [--key IKEY]... [--port N] [--address 127.0.0.1|::1]\n"
    "                                [--store DIR] [--bearer TOKEN]...\n"
    "  --key IKEY      an instrumentation key to accept (repeatable, at least one: like the\n"
    "                  service, the server refuses items for keys it does not know)\n"
    "  --port N        port to listen on (default 0: an ephemeral port, printed at start)\n"
    "  --address A     loopback address to bind (default 127.0.0.1)\n"
    "  --store DIR     append accepted items to DIR/<ikey>.jsonl\n"
    "  --bearer TOKEN  require 'Authorization: Bearer TOKEN' on /v2.1/track (repeatable;\n"
    "                  default: no auth); /v2/track stays keyless\n";

[[noreturn]] void fail(std::string const& message) {
  std::cerr << "onefuzz-ingestion-server: " << message << "\n" << usage;
  std::exit(2);
}

onefuzz::telemetry::testing::ingestion_server_options parse(int argc, char** argv) {
  onefuzz::telemetry::testing::ingestion_server_options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc) {
      fail("missing value after " + std::string(arg));
    }
    std::string_view const value = argv[++i];
    if (arg == "--port") {
      unsigned port = 0;
      auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
        fail("--port needs a number in 0..65535, got '" + std::string(value) + "'");
      }
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--address") {
      options.address = value;
    } else if (arg == "--store") {
      options.store_directory = value;
    } else if (arg == "--key") {
      options.accepted_keys.emplace_back(value);
    } else if (arg == "--bearer") {
      options.accepted_bearer_tokens.emplace_back(value);
    } else {
      fail("unknown option " + std::string(arg));
    }
  }
  if (options.accepted_keys.empty()) {
    fail("at least one --key is needed: items for unknown keys are refused");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
  auto const keys = options.accepted_keys;

  // Block the signals before the server starts its thread (which inherits the mask), so
  // they are delivered only to sigwait below and never interrupt the I/O thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    onefuzz::telemetry::testing::ingestion_server server(std::move(options));
    std::cout << "listening on " << server.endpoint() << "\n";
    std::cout << "  POST " << server.endpoint() << "/v2/track, /v2.1/track or //v2.1/track\n";
    for (auto const& key : keys) {
      std::cout << "  " << server.connection_string(key) << "\n";
    }
    std::cout << std::flush;  // scripts read the endpoint from a pipe

    int received = 0;
    sigwait(&signals, &received);
    server.stop();
    std::cout << "stopping on signal " << received << " after " << server.requests_served() << " requests\n";
    for (auto const& key : keys) {
      std::cout << "  " << key << ": " << server.accepted_count(key) << " items accepted\n";
    }
    return 0;
  } catch (std::exception const& e) {
    std::cerr << "onefuzz-ingestion-server: " << e.what() << "\n";
    return 1;
  }
}
