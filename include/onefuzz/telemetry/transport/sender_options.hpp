// Defines sender_options: every setting of a sender, with documented defaults, usable
// with designated initialisers.
#pragma once

#include <onefuzz/telemetry/role.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/transport/http_options.hpp>
#include <onefuzz/telemetry/transport/backoff_options.hpp>
#include <onefuzz/telemetry/transport/spool_options.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace onefuzz::telemetry::transport {

// What happens when a bounded buffer is full.
enum class overflow_policy {
  drop_newest,  // refuse the new item (the default: the caller never waits)
  drop_oldest,  // evict the oldest item to make room
  block,        // wait up to block_timeout for room, then drop the new item
};

// When a batch is closed and handed to the destination's sender thread.
struct batching_options {
  std::size_t max_items = 500;                    // .NET's buffer size
  std::size_t max_bytes = 1024 * 1024;            // uncompressed NDJSON
  std::chrono::milliseconds max_delay{2000};      // the age of the oldest item
};

// How one destination is written and sent.
struct sink_options {
  telemetry::encoding encoding = telemetry::encoding::onefuzz_compatible;
  // gzip request bodies (at zlib's fastest level). The worker compresses each batch as it
  // seals it, so the posting thread only posts while the next batch is being compressed.
  bool gzip = true;
  // Sealed batches waiting for the network; with max_bytes this bounds memory during an
  // outage (32 x 1 MiB per destination by default, and a quarter more for the batches'
  // gzip forms).
  std::size_t max_pending_batches = 32;
  overflow_policy backlog_overflow = overflow_policy::drop_oldest;
};

// How failed requests are retried: whole-request retries (5xx, 408, 429, network errors)
// and resends of per-item failures both count as attempts.
struct retry_options {
  unsigned max_attempts = 6;
  backoff_options backoff{};
  // Pause after a quota answer (402/439) when the server sends no Retry-After.
  std::chrono::milliseconds quota_pause{std::chrono::seconds{60}};
};

// Everything a sender needs. Destinations come from `destinations` (code) and then the
// environment (see resolve_destinations); no central destination means nothing is
// serialized or sent for the central instance.
struct sender_options {
  destination_overrides destinations{};
  // For tests and embedding: looks up environment variables (default std::getenv).
  getenv_fn getenv = &std::getenv;

  telemetry::role cloud_role = telemetry::role::agent;
  std::string role_instance{};  // full payloads only; empty: the host name
  std::string device_id{};      // full payloads only; empty: the host name

  // The queue between emit() and the worker thread.
  std::size_t queue_capacity = 8192;
  overflow_policy queue_overflow = overflow_policy::drop_newest;
  std::chrono::milliseconds block_timeout{100};

  batching_options batching{};
  retry_options retry{};
  // Where batches that cannot be sent wait for a later success or the next start: one
  // folder per destination below spool.directory, named after a hash of its key. Empty
  // directory (the default): no spool, such batches are dropped and counted.
  spool_options spool{};
  sink_options instance{};
  sink_options central{};
  http_options http{};

  // Entra ID (AAD) token for destinations whose connection string says Authorization=AAD;
  // called on the destination's thread before each request. Required for such destinations.
  std::function<std::optional<std::string>()> bearer_token{};
  // Called once per batch when ingestion answers 401 to a request that carried a bearer
  // token, so a cached token is dropped and the retry fetches a new one (with a
  // token_provider: invalidate_function(provider); see managed_identity.hpp). Not called on
  // 403, where the token is valid but the identity lacks the role.
  std::function<void()> bearer_token_rejected{};

  // Why sends fail, told to the operator: connection refused, TLS failure, HTTP errors with
  // the service's message, spool trouble, drops. The default writes warnings and errors to
  // stderr, one line each, at most one per kind and destination every 30 s;
  // diagnostics_options::off() silences it, a handler takes the records instead. Records
  // never hold a key, a token or payload text. The same failures are counted in the
  // statistics, whose last_failure keeps the most recent one.
  diagnostics_options diagnostics{};
};

}  // namespace onefuzz::telemetry::transport
