// Settings of the loopback ingestion server; every field has a default, so designated
// initialisers name only what a test cares about.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace onefuzz::telemetry::testing {

struct ingestion_server_options {
  // A loopback IP literal (127.0.0.0/8 or ::1); anything else is refused at construction.
  std::string address{"127.0.0.1"};
  // 0 picks a free ephemeral port (see ingestion_server::port()).
  std::uint16_t port{0};
  // Instrumentation keys the server knows (compared case-insensitively); items for any
  // other key get a per-item 400 "Invalid instrumentation key", as the service answers for
  // a key that is no resource's. ingestion_server::connection_string(key) and accept_key()
  // add to this set, so a test that asks for a connection string has configured its key.
  std::vector<std::string> accepted_keys{};
  // Entra ID (AAD) bearer tokens the server accepts. Empty: no auth is checked. Otherwise
  // a POST to /v2.1/track or //v2.1/track without "Authorization: Bearer <one of these>"
  // is refused as a whole with 401, as a resource with local auth disabled answers;
  // /v2/track stays keyless (iKey only). Tokens are compared exactly; the scheme is
  // case-insensitive.
  std::vector<std::string> accepted_bearer_tokens{};
  // When set, accepted items are also appended as JSON lines to `<dir>/<ikey>.jsonl`
  // (ikey in lower case); the directory is created if missing.
  std::filesystem::path store_directory{};
  // Cap on a request body, both as received and after gunzip; larger bodies get 413.
  std::size_t max_body_bytes{16 * 1024 * 1024};
  // Connections served at once; further ones are closed as soon as they are accepted.
  std::size_t max_connections{64};
  // Accepted items kept in memory per key (oldest dropped first); counts stay exact.
  std::size_t max_items_in_memory{100000};
  // Request log entries kept (oldest dropped first); requests_served() stays exact.
  std::size_t max_log_entries{10000};
  // Time allowed to read one request or write one answer, and to idle between requests.
  std::chrono::milliseconds io_timeout{30000};
  // The clock the `time` window (now-48h .. now+2h) is judged against; empty means
  // std::chrono::system_clock::now. Lets tests pin "now". Called on the server's thread.
  std::function<std::chrono::system_clock::time_point()> clock{};
};

}  // namespace onefuzz::telemetry::testing
