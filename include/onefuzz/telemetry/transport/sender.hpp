// Defines sender: emit() routes each event's full payload to the user's instance and its
// central payload to the central instance, through a bounded queue, a worker thread that
// serializes events into batches (and gzips each batch it seals) and one posting thread per
// destination.
#pragma once

#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/event_writer.hpp>
#include <onefuzz/telemetry/transport/detail/sender_core.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/event_queue.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry::transport {

// Sends events to the user's instance (full payloads) and, when configured, to the central
// instance (central payloads only). C is the process context merged into every event.
//
// Guarantees:
//  - emit() never waits for the network and allocates nothing (the event is moved into a
//    preallocated slot); with overflow_policy::block it waits at most block_timeout.
//  - the central destination only ever receives write_central output: the full serializer
//    is never instantiated with the central envelope.
//  - every emitted item is eventually accepted or counted as dropped with a reason
//    (statistics()), and force_flush/shutdown return by their deadlines.
//  - with a spool (sender_options::spool), a batch whose attempt fails is written to disk
//    before the sender waits to resend it, and batches sealed while the destination fails
//    go straight to disk: a crash loses at most what was emitted within one batch delay
//    plus one request timeout. Delivery is at least once: a crash between the service
//    storing a batch and its answer sends that batch again (docs/spool.md). shutdown()
//    keeps sending spooled files while the destination answers and its deadline allows.
//  - why sends fail is told through sender_options::diagnostics (stderr by default) and
//    kept per destination in statistics' last_failure; records are built on the sender's
//    own threads, never in emit(), and never while a destination's lock is held. A handler
//    should return promptly: a force_flush() called from it waits for the very thread
//    that runs it, so it returns false at its deadline.
template <telemetry_context C = no_context, std::size_t SlotSize = default_slot_size>
class sender : private detail::sender_core {
 public:
  using clock = std::chrono::steady_clock;

  // Resolves the destinations (code, then environment; see resolve_destinations) and starts
  // the threads. Throws std::invalid_argument, before any thread starts or anything is sent,
  // with a message naming the variable or option at fault and never a key, when:
  //  - a destination's winning source is malformed;
  //  - the user's instance and the central instance resolve to the same instrumentation key
  //    (case-insensitively), whether from options_.destinations, the environment, or one of
  //    each: full payloads would reach the central instance. Give one a different key, or set
  //    destinations.central_disabled;
  //  - a destination uses Authorization=AAD and bearer_token is not set.
  // A spool directory that cannot be created, or is refused (docs/spool.md), is no reason
  // to stop the program: that destination runs without a spool, and a spool_write_failed
  // error is reported.
  explicit sender(sender_options options, C context = {})
      : detail::sender_core(std::move(options)), context_(std::move(context)), queue_(options_.queue_capacity) {
    writer_.emplace(options_, context_, instance_destination(), central_destination());
    start(detail::sender_queue{.queue = &queue_,
                               .serialization_target = this,
                               .size = &queue_size,
                               .capacity = &queue_capacity,
                               .head_position = &queue_head,
                               .tail_position = &queue_tail,
                               .close = &queue_close,
                               .try_pop = &queue_try_pop});
  }

  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  // Shuts down with a 5 s deadline if shutdown() was not called.
  ~sender() { shutdown(clock::now() + std::chrono::seconds{5}); }

  using detail::sender_core::has_central;
  using detail::sender_core::has_instance;

  // Queues event for both destinations; false when it was dropped (queue full, or after
  // shutdown), which the statistics count with the reason.
  template <class E>
    requires telemetry_event<std::remove_cvref_t<E>>
  bool emit(E&& event) {
    using event_type = std::remove_cvref_t<E>;
    constexpr std::uint32_t items = has_metric_twin_v<event_type> ? 2 : 1;
    // One counter for both destinations: each locked instruction on this path costs a few ns.
    emitted_.fetch_add(items, std::memory_order_relaxed);
    stamped<event_type> entry{std::chrono::system_clock::now(), std::forward<E>(event)};
    // The queue's closed bit is checked by the very instruction that claims a slot, so an
    // event cannot slip in after shutdown's close() (see event_queue::close).
    switch (queue_.push(std::move(entry), ops_for<event_type>)) {
      case push_result::pushed:
        if (worker_should_wake(queue_.size())) wake_worker();
        return true;
      case push_result::closed:
        count_dropped(drop_reason::after_shutdown, items);
        return false;
      case push_result::full:
        break;
    }
    return push_when_full(std::move(entry), items);
  }

  // force_flush(deadline or timeout): waits until every event emitted before the call is
  // accepted, dropped, or (with a spool) on disk after a failed attempt; true when that
  // happened before the deadline. After shutdown it returns false at once.
  using detail::sender_core::force_flush;

  // shutdown(deadline or timeout): stops accepting events, tries to deliver what is pending
  // until the deadline (and the spooled files too, oldest first, while the destination
  // answers), then cancels what is left: it stays in or goes to the spool, or without one
  // is dropped (reason shutdown). Idempotent: later calls return the first call's result at
  // once.
  using detail::sender_core::shutdown;

  // instance_statistics(): the user's instance's counters (all zero when it is not
  // configured). central_statistics(): the central instance's counters, or nothing when
  // central telemetry is off.
  using detail::sender_core::central_statistics;
  using detail::sender_core::instance_statistics;

 private:
  using queue_type = event_queue<SlotSize>;

  template <class E>
  struct stamped {
    timestamp time;
    E event;
  };

  // queued_event_ops::process's target is the sender itself (sender_queue::serialization_target).
  template <class E>
  static void process(const void* stored, void* target) noexcept {
    const auto& entry = *static_cast<const stamped<E>*>(stored);
    auto* self = static_cast<sender*>(target);
    self->writer_->write(entry.time, entry.event, self->sealed_position_);
  }
  template <class E>
  static void destroy(void* stored) noexcept {
    static_cast<stamped<E>*>(stored)->~stamped<E>();
  }
  template <class E>
  static void relocate(void* from, void* to) noexcept {
    auto* source = static_cast<stamped<E>*>(from);
    ::new (to) stamped<E>(std::move(*source));
    source->~stamped<E>();
  }
  template <class E>
  static constexpr queued_event_ops ops_for{&process<E>, &destroy<E>, &relocate<E>,
                                            has_metric_twin_v<E> ? 2u : 1u};

  // The queue, as sender_core's worker sees it (detail::sender_queue).
  static std::size_t queue_size(const void* queue) noexcept { return static_cast<const queue_type*>(queue)->size(); }
  static std::size_t queue_capacity(const void* queue) noexcept {
    return static_cast<const queue_type*>(queue)->capacity();
  }
  static std::size_t queue_head(const void* queue) noexcept {
    return static_cast<const queue_type*>(queue)->head_position();
  }
  static std::size_t queue_tail(const void* queue) noexcept {
    return static_cast<const queue_type*>(queue)->tail_position();
  }
  static std::size_t queue_close(void* queue) noexcept { return static_cast<queue_type*>(queue)->close(); }
  static bool queue_try_pop(void* queue, detail::queued_event_consumer consume, void* context) noexcept {
    return static_cast<queue_type*>(queue)->try_pop(
        [&](const queued_event_ops& ops, const void* stored) noexcept { consume(context, ops, stored); });
  }

  template <class Entry>
  bool push_when_full(Entry&& entry, std::uint32_t items) {
    using event_type = decltype(entry.event);
    switch (options_.queue_overflow) {
      case overflow_policy::drop_newest:
        break;
      case overflow_policy::drop_oldest:
        // Evict the oldest event while the queue is full. A slot the worker has just
        // claimed is freed a few instructions later, so when the queue no longer looks
        // full the push is retried after a yield instead of evicting more.
        for (int tries = 0; tries < 1024; ++tries) {
          if (queue_.size() >= queue_.capacity()) {
            queue_.try_pop([&](const queued_event_ops& ops, const void*) noexcept {
              count_dropped(drop_reason::queue_full, ops.items);
            });
          } else {
            yield();
          }
          const push_result result = queue_.push(std::move(entry), ops_for<event_type>);
          if (result == push_result::pushed) return true;
          if (result == push_result::closed) return drop_after_shutdown(items);
        }
        break;
      case overflow_policy::block: {
        const auto deadline = clock::now() + options_.block_timeout;
        wake_worker();
        ++blocked_producers_;
        for (;;) {
          const push_result result = queue_.push(std::move(entry), ops_for<event_type>);
          if (result != push_result::full) {
            --blocked_producers_;
            return result == push_result::pushed || drop_after_shutdown(items);
          }
          // A short slice, so a missed notification costs a millisecond, not the deadline.
          const auto slice = std::min(deadline, clock::now() + std::chrono::milliseconds{1});
          if (clock::now() >= deadline) break;
          wait_for_space(slice);
        }
        --blocked_producers_;
        break;
      }
    }
    count_dropped(drop_reason::queue_full, items);
    return false;
  }

  bool drop_after_shutdown(std::uint32_t items) noexcept {
    count_dropped(drop_reason::after_shutdown, items);
    return false;
  }

  const C context_;
  queue_type queue_;
  std::optional<detail::event_writer<C>> writer_;  // worker thread only, once constructed
};

}  // namespace onefuzz::telemetry::transport
