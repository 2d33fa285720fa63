// Defines the per-destination counters of a sender: what was emitted, accepted, and
// dropped with which reason. Nothing is lost without being counted here.
#pragma once

#include <onefuzz/telemetry/transport/diagnostics.hpp>  // last_failure, to_string(diagnostic_kind)

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

// Why telemetry items were dropped.
enum class drop_reason {
  queue_full,          // emit() found the queue full (drop_newest, drop_oldest, block timeout)
  backlog_full,        // the destination's backlog of batches was full
  retries_exhausted,   // retriable failures (5xx, 408, 429, network) outlasted the retries
  rejected_by_server,  // 4xx, per-item 400, unfollowed redirects: resending cannot help
  quota,               // 402/439: the resource is over its quota
  too_large,           // one item above the service's 64 KB item limit
  shutdown,            // still unsent when shutdown() reached its deadline (no spool)
  after_shutdown,      // emit() called after shutdown()
  spool_full,          // evicted, oldest first, from a spool over its byte cap
  expired,             // spooled longer than the service's 48 h window
  spool_corrupt,       // announced by a spool file that could not be read whole (docs/spool.md)
  spool_write_failed,  // could not be written to the spool (full disk, read-only folder)
};

inline constexpr std::size_t drop_reason_count = 12;

// The reason's name in counters output (the demo's JSON line).
constexpr std::string_view to_string(drop_reason reason) noexcept {
  constexpr std::array<std::string_view, drop_reason_count> names = {
      "queue_full", "backlog_full", "retries_exhausted", "rejected_by_server", "quota",
      "too_large",  "shutdown",     "after_shutdown",    "spool_full",         "expired",
      "spool_corrupt", "spool_write_failed"};
  return names[static_cast<std::size_t>(reason)];
}

// A snapshot of one destination's counters. Counts are of telemetry items: an event with
// a metric twin is two items. Once a flush has returned true or shutdown has returned:
//   emitted + restored == accepted + dropped_total() + spooled
// A damaged spool file found at start adds the items its header announced to `restored`
// and to dropped(spool_corrupt), so its loss shows on both sides; only a file whose header
// is unreadable, so that its item count is unknown, is counted in bytes instead
// (spool_corrupt_bytes, outside the identity). docs/spool.md has the details.
struct sink_statistics {
  std::uint64_t emitted = 0;
  std::uint64_t restored = 0;     // announced by spool files found at start (an earlier run's)
  std::uint64_t accepted = 0;     // answered accepted by the service (incl. sampled out)
  std::uint64_t sampled_out = 0;  // of accepted: per-item 206 "Telemetry sampled out."
  std::uint64_t spooled = 0;      // on disk in the spool now, waiting to be sent
  std::uint64_t spool_corrupt_files = 0;  // our own spool files not readable whole: removed
  std::uint64_t spool_corrupt_bytes = 0;  // the size of those whose header was unreadable
  // Files in the spool folder that are not the sender's own private regular files (links,
  // FIFOs, other owners, group or other permission bits): never read nor sent, left alone.
  std::uint64_t spool_rejected_files = 0;
  std::uint64_t requests = 0;     // HTTP requests made
  std::uint64_t retried = 0;      // items sent again after a retriable failure
  std::array<std::uint64_t, drop_reason_count> dropped{};
  // What the serializer changed to keep payloads valid (see write_report).
  std::uint64_t values_truncated = 0;
  std::uint64_t invalid_utf8_replaced = 0;
  std::uint64_t non_finite_omitted = 0;
  std::uint64_t out_of_range_enums = 0;
  // Reviewed values sent as "other" because their central projection broke the type's
  // central_grammar (central destination only; an event and its metric twin count twice).
  std::uint64_t projection_rejected = 0;
  // The most recent failure of this destination (a request without an HTTP answer, an HTTP
  // error, items refused, a spool that cannot be written or read, a missing token), kept
  // after later successes; nothing when none happened. Print it with
  // to_string(last_failure->kind) and its codes and detail (already sanitized: never a key,
  // a token or payload text).
  std::optional<transport::last_failure> last_failure{};

  [[nodiscard]] std::uint64_t dropped_by(drop_reason reason) const noexcept {
    return dropped[static_cast<std::size_t>(reason)];
  }
  [[nodiscard]] std::uint64_t dropped_total() const noexcept {
    std::uint64_t total = 0;
    for (auto count : dropped) total += count;
    return total;
  }
  // Items not yet accounted for: queued, being serialized, or in flight.
  [[nodiscard]] std::uint64_t pending() const noexcept {
    const auto done = accepted + dropped_total() + spooled;
    return emitted + restored > done ? emitted + restored - done : 0;
  }
};

namespace detail {

// The live counters behind sink_statistics: relaxed atomics, since each is a tally read
// as a snapshot, never used to order other memory.
// `emitted` is not here: both destinations are sent every event, so the sender keeps one
// count for both and puts it in each snapshot (sender::with_emitted), read after these.
struct sink_counters {
  alignas(64) std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> restored{0};
  std::atomic<std::uint64_t> sampled_out{0};
  std::atomic<std::uint64_t> spooled{0};
  std::atomic<std::uint64_t> spool_corrupt_files{0};
  std::atomic<std::uint64_t> spool_corrupt_bytes{0};
  std::atomic<std::uint64_t> spool_rejected_files{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retried{0};
  std::array<std::atomic<std::uint64_t>, drop_reason_count> dropped{};
  std::atomic<std::uint64_t> values_truncated{0};
  std::atomic<std::uint64_t> invalid_utf8_replaced{0};
  std::atomic<std::uint64_t> non_finite_omitted{0};
  std::atomic<std::uint64_t> out_of_range_enums{0};
  std::atomic<std::uint64_t> projection_rejected{0};

  // Failure points (the posting thread, the constructor) write it, snapshot() reads it.
  mutable std::mutex failure_mutex;
  std::optional<transport::last_failure> last_failure;

  void drop(drop_reason reason, std::uint64_t items) noexcept {
    if (items != 0) dropped[static_cast<std::size_t>(reason)].fetch_add(items, std::memory_order_relaxed);
  }

  void record_failure(transport::last_failure failure) noexcept {
    std::lock_guard lock(failure_mutex);
    last_failure = std::move(failure);  // a move: never allocates
  }

  // Throws std::bad_alloc only (copying last_failure's detail).
  [[nodiscard]] sink_statistics snapshot() const {
    sink_statistics s;
    // The outcomes are read with acquire, before the sender reads its `emitted` count, so a
    // snapshot taken while events are being emitted never shows more outcomes than emissions.
    s.accepted = accepted.load(std::memory_order_acquire);
    s.sampled_out = sampled_out.load(std::memory_order_relaxed);
    s.spooled = spooled.load(std::memory_order_acquire);
    s.restored = restored.load(std::memory_order_relaxed);
    s.spool_corrupt_files = spool_corrupt_files.load(std::memory_order_relaxed);
    s.spool_corrupt_bytes = spool_corrupt_bytes.load(std::memory_order_relaxed);
    s.spool_rejected_files = spool_rejected_files.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < drop_reason_count; ++i) s.dropped[i] = dropped[i].load(std::memory_order_acquire);
    s.requests = requests.load(std::memory_order_relaxed);
    s.retried = retried.load(std::memory_order_relaxed);
    s.values_truncated = values_truncated.load(std::memory_order_relaxed);
    s.invalid_utf8_replaced = invalid_utf8_replaced.load(std::memory_order_relaxed);
    s.non_finite_omitted = non_finite_omitted.load(std::memory_order_relaxed);
    s.out_of_range_enums = out_of_range_enums.load(std::memory_order_relaxed);
    s.projection_rejected = projection_rejected.load(std::memory_order_relaxed);
    {
      std::lock_guard lock(failure_mutex);
      s.last_failure = last_failure;
    }
    return s;
  }
};

}  // namespace detail
}  // namespace onefuzz::telemetry::transport
