// Defines spool_options: where and how much a destination may spool (docs/spool.md); apart
// from spool.hpp so that sender_options needs none of the spool's file code.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace onefuzz::telemetry::transport {

// Where and how much a destination may spool. An empty directory means no spool: what
// cannot be sent is dropped and counted, as without this feature.
struct spool_options {
  std::filesystem::path directory{};
  std::uint64_t max_bytes = 64ull * 1024 * 1024;
  // The ingestion service rejects items older than 48 hours, so older files are discarded.
  std::chrono::hours max_age{48};
};

}  // namespace onefuzz::telemetry::transport
