// Defines sender: emit() routes each event's full payload to the user's instance and its
// central payload to the central instance, through a bounded queue, a worker thread that
// serializes events into batches (and gzips each batch it seals) and one posting thread per
// destination.
#pragma once

#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/detail/event_writer.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/event_queue.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
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
class sender {
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
      : options_(std::move(options)),
        diagnostics_(options_.diagnostics),
        context_(std::move(context)),
        queue_(options_.queue_capacity) {
    detail::open_destinations(options_, diagnostics_, instance_, central_);
    writer_.emplace(options_, context_, instance_ ? &*instance_ : nullptr, central_ ? &*central_ : nullptr);
    if (instance_) instance_->start();
    if (central_) central_->start();
    worker_ = std::jthread([this] { run_worker(); });
  }

  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  // Shuts down with a 5 s deadline if shutdown() was not called.
  ~sender() { shutdown(clock::now() + std::chrono::seconds{5}); }

  [[nodiscard]] bool has_instance() const noexcept { return instance_.has_value(); }
  [[nodiscard]] bool has_central() const noexcept { return central_.has_value(); }

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
        wake_worker_if_filling();
        return true;
      case push_result::closed:
        count_dropped(drop_reason::after_shutdown, items);
        return false;
      case push_result::full:
        break;
    }
    return push_when_full(std::move(entry), items);
  }

  // Waits until every event emitted before the call is accepted, dropped, or (with a spool)
  // on disk after a failed attempt; true when that happened before the deadline. After shutdown it returns false at once.
  bool force_flush(clock::time_point deadline) {
    if (stopped_.load(std::memory_order_acquire)) return false;
    const std::size_t target = queue_.tail_position();
    {
      std::lock_guard lock(worker_mutex_);
      flush_target_ = std::max(flush_target_, target);
    }
    worker_wake_.notify_one();
    bool done = true;
    if (instance_) done = instance_->wait_completed(target, deadline) && done;
    if (central_) done = central_->wait_completed(target, deadline) && done;
    return done;
  }
  bool force_flush(std::chrono::milliseconds timeout) { return force_flush(clock::now() + timeout); }

  // Stops accepting events, tries to deliver what is pending until the deadline (and the
  // spooled files too, oldest first, while the destination answers), then cancels what is
  // left: it stays in or goes to the spool, or without one is dropped (reason shutdown). Idempotent: later
  // calls return the first call's result at once.
  bool shutdown(clock::time_point deadline) {
    std::lock_guard once(shutdown_mutex_);
    if (shutdown_result_) return *shutdown_result_;
    queue_.close();
    const bool flushed = force_flush(deadline);
    {
      std::lock_guard lock(worker_mutex_);
      worker_stop_ = true;
    }
    worker_wake_.notify_one();
    if (worker_.joinable()) worker_.join();
    if (instance_) instance_->stop(drop_reason::shutdown, deadline);
    if (central_) central_->stop(drop_reason::shutdown, deadline);
    // Every thread of the sender has ended: what was lost is final, and each suppressed
    // record is delivered so no count is lost with the process.
    for_each_sink([&](detail::destination& s) {
      s.report_new_drops();
      s.report_leftovers(flushed);
    });
    diagnostics_.flush_suppressed();
    shutdown_result_ = flushed;
    stopped_.store(true, std::memory_order_release);
    return flushed;
  }
  bool shutdown(std::chrono::milliseconds timeout) { return shutdown(clock::now() + timeout); }

  // The user's instance's counters (all zero when it is not configured).
  [[nodiscard]] sink_statistics instance_statistics() const {
    return instance_ ? with_emitted(instance_->counters().snapshot()) : sink_statistics{};
  }
  // The central instance's counters, or nothing when central telemetry is off.
  [[nodiscard]] std::optional<sink_statistics> central_statistics() const {
    if (!central_) return std::nullopt;
    return with_emitted(central_->counters().snapshot());
  }

 private:
  template <class E>
  struct stamped {
    timestamp time;
    E event;
  };

  // The worker's view while serializing one event.
  struct serialization_target {
    sender* self;
  };

  template <class E>
  static void process(const void* stored, void* target) noexcept {
    const auto& entry = *static_cast<const stamped<E>*>(stored);
    auto* self = static_cast<serialization_target*>(target)->self;
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

  // Both destinations are sent every event, so they share one emitted count; read after
  // the destination's other counters, so that a snapshot never shows more done than emitted.
  sink_statistics with_emitted(sink_statistics statistics) const noexcept {
    statistics.emitted = emitted_.load(std::memory_order_acquire);
    return statistics;
  }
  void count_dropped(drop_reason reason, std::uint32_t items) noexcept {
    if (instance_) instance_->counters().drop(reason, items);
    if (central_) central_->counters().drop(reason, items);
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
            std::this_thread::yield();
          }
          const push_result result = queue_.push(std::move(entry), ops_for<event_type>);
          if (result == push_result::pushed) return true;
          if (result == push_result::closed) return drop_after_shutdown(items);
        }
        break;
      case overflow_policy::block: {
        const auto deadline = clock::now() + options_.block_timeout;
        worker_wake_.notify_one();
        std::unique_lock lock(space_mutex_);
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
          space_available_.wait_until(lock, slice);
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

  void wake_worker_if_filling() noexcept {
    // Waking costs a system call; do it only when the worker sleeps and the queue is
    // filling up. Otherwise the worker drains on its own schedule (batch delay).
    if (worker_sleeping_.load(std::memory_order_relaxed) && queue_.size() >= wake_threshold()) {
      worker_wake_.notify_one();
    }
  }
  [[nodiscard]] std::size_t wake_threshold() const noexcept {
    return std::min(queue_.capacity() / 4, options_.batching.max_items);
  }

  void run_worker() {
    serialization_target target{this};
    for (;;) {
      bool stop = false;
      std::size_t flush_target = 0;
      {
        std::unique_lock lock(worker_mutex_);
        auto wake_at = clock::now() + options_.batching.max_delay;
        for_each_sink([&](detail::destination& s) {
          if (s.has_open_items()) wake_at = std::min(wake_at, s.open_deadline());
        });
        worker_sleeping_.store(true, std::memory_order_relaxed);
        worker_wake_.wait_until(lock, wake_at, [&] {
          return worker_stop_ || flush_target_ > flushed_upto_ || queue_.size() >= wake_threshold();
        });
        worker_sleeping_.store(false, std::memory_order_relaxed);
        stop = worker_stop_;
        flush_target = flush_target_;
      }

      if (stop) {
        // Shutdown's flush is over (delivered or out of time). With a spool, what is still
        // queued is serialized and spooled with the open batches; without one it is
        // counted as dropped.
        if (options_.spool.directory.empty()) {
          while (queue_.try_pop([&](const queued_event_ops& ops, const void*) noexcept {
            count_dropped(drop_reason::shutdown, ops.items);
          })) {
          }
        } else {
          while (queue_.try_pop([&](const queued_event_ops& ops, const void* stored) noexcept {
            ops.process(stored, &target);
          })) {
          }
        }
        for_each_sink([](detail::destination& s) { s.retire_open(drop_reason::shutdown); });
        return;
      }

      // Drain in bounded rounds so that producers blocked on a full queue get room early.
      bool drained_any = false;
      while (queue_.try_pop([&](const queued_event_ops& ops, const void* stored) noexcept {
        // An event's position is known once it has left the queue.
        ops.process(stored, &target);
      })) {
        drained_any = true;
        sealed_position_ = queue_.head_position();
        if (blocked_producers_.load(std::memory_order_relaxed) > 0) space_available_.notify_all();
      }
      sealed_position_ = queue_.head_position();
      if (drained_any && blocked_producers_.load(std::memory_order_relaxed) > 0) space_available_.notify_all();

      const auto now = clock::now();
      const bool flushing = flush_target > flushed_upto_;
      for_each_sink([&](detail::destination& s) {
        if (flushing || (s.has_open_items() && now >= s.open_deadline())) {
          s.seal(sealed_position_);
        } else if (!s.has_open_items()) {
          s.note_position(sealed_position_);
        }
      });
      if (flushing && sealed_position_ >= flush_target) {
        std::lock_guard lock(worker_mutex_);
        flushed_upto_ = std::max(flushed_upto_, flush_target);
      }
      // Drops counted since the last look (emit()'s queue_full and after_shutdown among
      // them) are told from here, outside every lock, at most every 100 ms so an overloaded
      // worker does not format a record per round.
      if (now - drops_reported_at_ >= std::chrono::milliseconds{100}) {
        drops_reported_at_ = now;
        for_each_sink([](detail::destination& s) { s.report_new_drops(); });
      }
    }
  }

  template <class F>
  void for_each_sink(F&& f) {
    if (instance_) f(*instance_);
    if (central_) f(*central_);
  }

  sender_options options_;
  diagnostics_channel diagnostics_;  // before the sinks, which report through it
  const C context_;
  event_queue<SlotSize> queue_;
  std::optional<detail::destination> instance_;
  std::optional<detail::destination> central_;
  std::optional<detail::event_writer<C>> writer_;  // worker thread only, once constructed

  alignas(64) std::atomic<std::uint64_t> emitted_{0};  // items, for both destinations
  std::atomic<bool> stopped_{false};

  alignas(64) std::mutex worker_mutex_;  // not on emitted_'s line, which every emit() writes
  std::condition_variable worker_wake_;
  std::atomic<bool> worker_sleeping_{false};
  bool worker_stop_ = false;
  std::size_t flush_target_ = 0;
  std::size_t flushed_upto_ = 0;
  std::size_t sealed_position_ = 0;  // worker thread only
  clock::time_point drops_reported_at_{};  // worker thread only

  std::mutex space_mutex_;
  std::condition_variable space_available_;
  std::atomic<int> blocked_producers_{0};

  std::mutex shutdown_mutex_;
  std::optional<bool> shutdown_result_;

  std::jthread worker_;
};

}  // namespace onefuzz::telemetry::transport
