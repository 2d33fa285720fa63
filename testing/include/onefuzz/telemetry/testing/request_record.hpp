// What the loopback ingestion server remembers about each request it read, so tests can
// assert on the transport's behaviour (paths, headers, retries) and not only on results.
#pragma once

#include "onefuzz/telemetry/testing/fault.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace onefuzz::telemetry::testing {

// One request as seen by the server. Header fields are empty when the header was absent.
struct request_record {
  std::uint64_t connection_id{0};  // same value = same TCP connection (keep-alive reuse)
  std::string method{};
  std::string target{};  // request-target as sent, e.g. "//v2.1/track"
  std::string content_type{};
  std::string content_encoding{};
  std::string authorization{};  // the raw header; test tokens are not secrets
  std::string user_agent{};
  std::size_t body_bytes{0};  // as received on the wire (before gunzip)
  int status{0};              // status answered; 0 if the connection was dropped or held
  std::size_t items_received{0};
  std::size_t items_accepted{0};
  std::string response_body{};             // exactly what was sent back
  std::optional<fault::kind> fault_kind{};  // the scripted fault that shaped the answer
};

}  // namespace onefuzz::telemetry::testing
