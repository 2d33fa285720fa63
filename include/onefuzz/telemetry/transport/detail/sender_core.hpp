// Defines sender_core: the part of sender that depends on neither its context type nor its
// slot size: the worker thread's loop, flushing, shutdown, the statistics, and (behind a
// pointer) the destinations, the worker's thread and its locks. It is not a template, so
// that with ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION (detail/config.hpp) its definitions
// (impl/sender_core.ipp) are compiled once, in src.hpp, rather than in every translation
// unit that constructs a sender, and sender.hpp then includes neither <thread> nor
// <condition_variable> nor detail/destination.hpp: together about 25 MB of the README
// example's peak compiler memory (benchmarks/compile_time.sh, g++ 12). The queue and the
// writer, whose types depend on the sender's template arguments, are reached through
// sender_queue's function pointers, on the worker's side only: emit()'s path calls none.
#pragma once

#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/transport/event_queue.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace onefuzz::telemetry::transport::detail {

class destination;  // detail/destination.hpp: threads, locks, the backlog

// Called for each event the worker pops: `context` is the one given to sender_queue::pop.
using queued_event_consumer = void (*)(void* context, const queued_event_ops& ops, const void* event) noexcept;

// The sender's event_queue<SlotSize>, type-erased for the worker's loop.
struct sender_queue {
  void* queue = nullptr;
  // Given to queued_event_ops::process: what the sender's serializers need.
  void* serialization_target = nullptr;
  std::size_t (*size)(const void* queue) noexcept = nullptr;
  std::size_t (*capacity)(const void* queue) noexcept = nullptr;
  std::size_t (*head_position)(const void* queue) noexcept = nullptr;
  std::size_t (*tail_position)(const void* queue) noexcept = nullptr;
  std::size_t (*close)(void* queue) noexcept = nullptr;
  // Pops the oldest event and passes it to consume; false when the queue is empty.
  bool (*try_pop)(void* queue, queued_event_consumer consume, void* context) noexcept = nullptr;
};

// The destinations, the worker's thread and its locks (impl/sender_core.ipp): behind a
// pointer, so that this header and sender.hpp need neither <thread> nor
// <condition_variable> nor detail/destination.hpp.
struct sender_state;

class sender_core {
 public:
  using clock = std::chrono::steady_clock;

  sender_core(const sender_core&) = delete;
  sender_core& operator=(const sender_core&) = delete;

  // sender's public functions of the same names document these.
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL bool has_instance() const noexcept;
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL bool has_central() const noexcept;
  ONEFUZZ_TELEMETRY_DECL bool force_flush(clock::time_point deadline);
  bool force_flush(std::chrono::milliseconds timeout) { return force_flush(clock::now() + timeout); }
  ONEFUZZ_TELEMETRY_DECL bool shutdown(clock::time_point deadline);
  bool shutdown(std::chrono::milliseconds timeout) { return shutdown(clock::now() + timeout); }
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL sink_statistics instance_statistics() const;
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL std::optional<sink_statistics> central_statistics() const;

 protected:
  // Resolves and opens the destinations; nothing starts before start().
  ONEFUZZ_TELEMETRY_DECL explicit sender_core(sender_options options);
  // The sender calls shutdown() first: the worker has ended before its queue and writer go.
  ONEFUZZ_TELEMETRY_DECL ~sender_core();

  // The destinations, for the writer: nullptr when not configured.
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL destination* instance_destination() const noexcept;
  [[nodiscard]] ONEFUZZ_TELEMETRY_DECL destination* central_destination() const noexcept;

  // Starts the destinations' threads and the worker, which pops from `queue` (its owner
  // must outlive the worker: ~sender calls shutdown()).
  ONEFUZZ_TELEMETRY_DECL void start(const sender_queue& queue);

  // Counts items emit() could not queue, for both destinations.
  ONEFUZZ_TELEMETRY_DECL void count_dropped(drop_reason reason, std::uint32_t items) noexcept;

  // Waking costs a system call; emit() does it only when the worker sleeps and the queue is
  // filling up. Otherwise the worker drains on its own schedule (batch delay).
  [[nodiscard]] bool worker_should_wake(std::size_t queued) const noexcept {
    return worker_sleeping_.load(std::memory_order_relaxed) && queued >= wake_threshold_;
  }
  ONEFUZZ_TELEMETRY_DECL void wake_worker() noexcept;

  // overflow_policy::drop_oldest: lets the worker free the slot it has just claimed.
  ONEFUZZ_TELEMETRY_DECL static void yield() noexcept;

  // overflow_policy::block: waits until `until` (a short slice: a notification missed
  // between the failed push and the wait costs that slice), or until the worker frees room
  // while blocked_producers_ is positive.
  ONEFUZZ_TELEMETRY_DECL void wait_for_space(clock::time_point until);

  sender_options options_;

  // Each line below is written by one side only: a field the worker writes on every pop
  // (sealed_position_) next to emitted_, which every emit() writes, moves the line between
  // the cores at each event (emit_benchmark: 157 ns per emit, against 81 ns laid out so).
  alignas(64) std::atomic<std::uint64_t> emitted_{0};  // items, for both destinations
  // Read by every emit(); written when the worker goes to sleep or wakes, and by blocked producers.
  alignas(64) std::atomic<bool> worker_sleeping_{false};
  std::atomic<int> blocked_producers_{0};
  std::size_t wake_threshold_ = 0;  // set by start(), before any emit()
  alignas(64) std::size_t sealed_position_ = 0;  // worker thread only

 private:
  ONEFUZZ_TELEMETRY_DECL void run_worker();

  std::unique_ptr<sender_state> state_;
};

}  // namespace onefuzz::telemetry::transport::detail

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/sender_core.ipp>
#endif
