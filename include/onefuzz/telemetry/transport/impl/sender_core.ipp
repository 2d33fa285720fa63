// detail::sender_core's member functions: included by detail/sender_core.hpp (header-only),
// or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/detail/sender_core.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

namespace onefuzz::telemetry::transport::detail {

struct sender_state {
  explicit sender_state(const sender_options& options) : diagnostics(options.diagnostics) {}

  diagnostics_channel diagnostics;  // before the sinks, which report through it
  std::optional<destination> instance;
  std::optional<destination> central;
  sender_queue queue{};

  std::atomic<bool> stopped{false};

  std::mutex worker_mutex;
  std::condition_variable worker_wake;
  bool worker_stop = false;
  std::size_t flush_target = 0;
  std::size_t flushed_upto = 0;
  sender_core::clock::time_point drops_reported_at{};  // worker thread only

  std::mutex space_mutex;
  std::condition_variable space_available;

  std::mutex shutdown_mutex;
  std::optional<bool> shutdown_result;

  std::jthread worker;  // last: joined before the rest goes

  template <class F>
  void for_each_sink(F&& f) {
    if (instance) f(*instance);
    if (central) f(*central);
  }
  // Both destinations are sent every event, so they share one emitted count; read after
  // the destination's other counters, so that a snapshot never shows more done than emitted.
  static sink_statistics with_emitted(sink_statistics statistics, const std::atomic<std::uint64_t>& emitted) noexcept {
    statistics.emitted = emitted.load(std::memory_order_acquire);
    return statistics;
  }
};

ONEFUZZ_TELEMETRY_DECL sender_core::sender_core(sender_options options)
    : options_(std::move(options)), state_(std::make_unique<sender_state>(options_)) {
  open_destinations(options_, state_->diagnostics, state_->instance, state_->central);
}

ONEFUZZ_TELEMETRY_DECL sender_core::~sender_core() = default;

ONEFUZZ_TELEMETRY_DECL bool sender_core::has_instance() const noexcept { return state_->instance.has_value(); }
ONEFUZZ_TELEMETRY_DECL bool sender_core::has_central() const noexcept { return state_->central.has_value(); }

ONEFUZZ_TELEMETRY_DECL destination* sender_core::instance_destination() const noexcept {
  return state_->instance ? &*state_->instance : nullptr;
}
ONEFUZZ_TELEMETRY_DECL destination* sender_core::central_destination() const noexcept {
  return state_->central ? &*state_->central : nullptr;
}

ONEFUZZ_TELEMETRY_DECL void sender_core::start(const sender_queue& queue) {
  sender_state& s = *state_;
  s.queue = queue;
  wake_threshold_ = std::min(queue.capacity(queue.queue) / 4, options_.batching.max_items);
  if (s.instance) s.instance->start();
  if (s.central) s.central->start();
  s.worker = std::jthread([this] { run_worker(); });
}

ONEFUZZ_TELEMETRY_DECL void sender_core::count_dropped(drop_reason reason, std::uint32_t items) noexcept {
  state_->for_each_sink([&](destination& d) { d.counters().drop(reason, items); });
}

ONEFUZZ_TELEMETRY_DECL void sender_core::wake_worker() noexcept { state_->worker_wake.notify_one(); }

ONEFUZZ_TELEMETRY_DECL void sender_core::yield() noexcept { std::this_thread::yield(); }

ONEFUZZ_TELEMETRY_DECL void sender_core::wait_for_space(clock::time_point until) {
  std::unique_lock lock(state_->space_mutex);
  state_->space_available.wait_until(lock, until);
}

ONEFUZZ_TELEMETRY_DECL bool sender_core::force_flush(clock::time_point deadline) {
  sender_state& s = *state_;
  if (s.stopped.load(std::memory_order_acquire)) return false;
  const std::size_t target = s.queue.tail_position(s.queue.queue);
  {
    std::lock_guard lock(s.worker_mutex);
    s.flush_target = std::max(s.flush_target, target);
  }
  s.worker_wake.notify_one();
  bool done = true;
  if (s.instance) done = s.instance->wait_completed(target, deadline) && done;
  if (s.central) done = s.central->wait_completed(target, deadline) && done;
  return done;
}

ONEFUZZ_TELEMETRY_DECL bool sender_core::shutdown(clock::time_point deadline) {
  sender_state& s = *state_;
  std::lock_guard once(s.shutdown_mutex);
  if (s.shutdown_result) return *s.shutdown_result;
  s.queue.close(s.queue.queue);
  const bool flushed = force_flush(deadline);
  {
    std::lock_guard lock(s.worker_mutex);
    s.worker_stop = true;
  }
  s.worker_wake.notify_one();
  if (s.worker.joinable()) s.worker.join();
  if (s.instance) s.instance->stop(drop_reason::shutdown, deadline);
  if (s.central) s.central->stop(drop_reason::shutdown, deadline);
  // Every thread of the sender has ended: what was lost is final, and each suppressed
  // record is delivered so no count is lost with the process.
  s.for_each_sink([&](destination& d) {
    d.report_new_drops();
    d.report_leftovers(flushed);
  });
  s.diagnostics.flush_suppressed();
  s.shutdown_result = flushed;
  s.stopped.store(true, std::memory_order_release);
  return flushed;
}

ONEFUZZ_TELEMETRY_DECL sink_statistics sender_core::instance_statistics() const {
  return state_->instance ? sender_state::with_emitted(state_->instance->counters().snapshot(), emitted_)
                          : sink_statistics{};
}

ONEFUZZ_TELEMETRY_DECL std::optional<sink_statistics> sender_core::central_statistics() const {
  if (!state_->central) return std::nullopt;
  return sender_state::with_emitted(state_->central->counters().snapshot(), emitted_);
}

ONEFUZZ_TELEMETRY_DECL void sender_core::run_worker() {
  sender_state& s = *state_;
  // The worker's consumers: serialize the event, or count it as dropped at shutdown.
  const queued_event_consumer serialize = [](void* target, const queued_event_ops& ops, const void* stored) noexcept {
    ops.process(stored, target);
  };
  const queued_event_consumer drop = [](void* self, const queued_event_ops& ops, const void*) noexcept {
    static_cast<sender_core*>(self)->count_dropped(drop_reason::shutdown, ops.items);
  };
  const sender_queue queue = s.queue;
  for (;;) {
    bool stop = false;
    std::size_t flush_target = 0;
    {
      std::unique_lock lock(s.worker_mutex);
      auto wake_at = clock::now() + options_.batching.max_delay;
      s.for_each_sink([&](destination& d) {
        if (d.has_open_items()) wake_at = std::min(wake_at, d.open_deadline());
      });
      worker_sleeping_.store(true, std::memory_order_relaxed);
      s.worker_wake.wait_until(lock, wake_at, [&] {
        return s.worker_stop || s.flush_target > s.flushed_upto || queue.size(queue.queue) >= wake_threshold_;
      });
      worker_sleeping_.store(false, std::memory_order_relaxed);
      stop = s.worker_stop;
      flush_target = s.flush_target;
    }

    if (stop) {
      // Shutdown's flush is over (delivered or out of time). With a spool, what is still
      // queued is serialized and spooled with the open batches; without one it is
      // counted as dropped.
      if (options_.spool.directory.empty()) {
        while (queue.try_pop(queue.queue, drop, this)) {
        }
      } else {
        while (queue.try_pop(queue.queue, serialize, queue.serialization_target)) {
        }
      }
      s.for_each_sink([](destination& d) { d.retire_open(drop_reason::shutdown); });
      return;
    }

    // Drain in bounded rounds so that producers blocked on a full queue get room early.
    bool drained_any = false;
    // An event's position is known once it has left the queue.
    while (queue.try_pop(queue.queue, serialize, queue.serialization_target)) {
      drained_any = true;
      sealed_position_ = queue.head_position(queue.queue);
      if (blocked_producers_.load(std::memory_order_relaxed) > 0) s.space_available.notify_all();
    }
    sealed_position_ = queue.head_position(queue.queue);
    if (drained_any && blocked_producers_.load(std::memory_order_relaxed) > 0) s.space_available.notify_all();

    const auto now = clock::now();
    const bool flushing = flush_target > s.flushed_upto;
    s.for_each_sink([&](destination& d) {
      if (flushing || (d.has_open_items() && now >= d.open_deadline())) {
        d.seal(sealed_position_);
      } else if (!d.has_open_items()) {
        d.note_position(sealed_position_);
      }
    });
    if (flushing && sealed_position_ >= flush_target) {
      std::lock_guard lock(s.worker_mutex);
      s.flushed_upto = std::max(s.flushed_upto, flush_target);
    }
    // Drops counted since the last look (emit()'s queue_full and after_shutdown among
    // them) are told from here, outside every lock, at most every 100 ms so an overloaded
    // worker does not format a record per round.
    if (now - s.drops_reported_at >= std::chrono::milliseconds{100}) {
      s.drops_reported_at = now;
      s.for_each_sink([](destination& d) { d.report_new_drops(); });
    }
  }
}

}  // namespace onefuzz::telemetry::transport::detail
