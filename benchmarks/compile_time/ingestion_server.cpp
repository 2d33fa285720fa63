// A test's view of the loopback ingestion server (Asio, Beast, Boost.JSON): one server
// constructed, a connection string made, a count read, so that the templates a test
// instantiates are compiled here too.
#include <onefuzz/telemetry/testing/ingestion_server.hpp>

#include <string>

int main() {
  onefuzz::telemetry::testing::ingestion_server server;
  std::string const connection = server.connection_string("00000000-0000-0000-0000-000000000001");
  return server.accepted_count("00000000-0000-0000-0000-000000000001") == 0 && !connection.empty() ? 0 : 1;
}
