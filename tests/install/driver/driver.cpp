// driver <program>: starts the local ingestion server, runs <program> with
// APPLICATIONINSIGHTS_CONNECTION_STRING pointing at it (and no central destination), and
// checks that what the README's example sends arrived: the crash_found event and its
// metric twin, with the instance-only path (this is the user's own instance).
#include <onefuzz/telemetry/testing/ingestion_server.hpp>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>  // environ

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: driver <program>\n";
    return 2;
  }
  onefuzz::telemetry::testing::ingestion_server server;
  const std::string ikey = "00000000-0000-4000-8000-0000000000a1";
  ::setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", server.connection_string(ikey).c_str(), 1);
  // Nothing from the caller's environment may choose another destination or setting.
  std::vector<std::string> inherited;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    if (text.starts_with("ONEFUZZ_") || text.starts_with("APPINSIGHTS_")) {
      inherited.emplace_back(text.substr(0, text.find('=')));
    }
  }
  for (const auto& name : inherited) ::unsetenv(name.c_str());
  const std::string command = std::string("\"") + argv[1] + "\"";
  const int status = std::system(command.c_str());
  if (status != 0) {
    std::cerr << "driver: the program exited with status " << status << '\n';
    return 1;
  }
  const auto items = server.accepted(ikey);
  std::string all;
  for (const auto& item : items) all += boost::json::serialize(item) + '\n';
  std::cout << "driver: " << items.size() << " items accepted\n" << all;
  if (items.size() != 2 || all.find("\"crash_found\"") == std::string::npos ||
      all.find("/home/alice/crashes/crash-1") == std::string::npos) {
    std::cerr << "driver: expected crash_found and its metric twin, with the path\n";
    return 1;
  }
  return 0;
}
