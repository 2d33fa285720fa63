// Defines destination: one ingestion resource a sender writes to (the user's instance or
// the central one): the batch being filled, the backlog of sealed batches and the buffers
// they reuse, and the posting thread that hands them to delivery, or to the spool ledger
// when they cannot be sent.
#pragma once

#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/detail/delivery.hpp>
#include <onefuzz/telemetry/transport/detail/destination_reporter.hpp>
#include <onefuzz/telemetry/transport/detail/spool_ledger.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport::detail {

using clock = std::chrono::steady_clock;

class destination {
 public:
  destination(std::string_view kind, connection_settings settings, const sink_options& options,
              const sender_options& common, diagnostics_channel& diagnostics, diagnostic_destination which)
      : reporter_(diagnostics, which, counters_),
        settings_(std::move(settings)),
        options_(options),
        batching_(common.batching),
        block_timeout_(common.block_timeout),
        delivery_(settings_, options.gzip, common, reporter_, counters_),
        ledger_(kind, settings_.instrumentation_key, common.spool, delivery_.endpoint(), reporter_, counters_) {}

  destination(const destination&) = delete;
  destination& operator=(const destination&) = delete;

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }

  sink_counters& counters() noexcept { return counters_; }
  const sink_counters& counters() const noexcept { return counters_; }
  const connection_settings& settings() const noexcept { return settings_; }
  const sink_options& options() const noexcept { return options_; }

  // --- worker thread side -------------------------------------------------------------

  // The batch being filled; created on first use, reused from the pool afterwards.
  batch& open_batch(timestamp item_time) {
    if (!open_) {
      open_ = take_from_pool();
      opened_at_ = clock::now();
      open_->oldest = item_time;
    }
    return *open_;
  }
  [[nodiscard]] bool has_open_items() const noexcept { return open_ && !open_->empty(); }
  [[nodiscard]] clock::time_point open_deadline() const noexcept { return opened_at_ + batching_.max_delay; }
  [[nodiscard]] bool open_is_full() const noexcept {
    return open_ && (open_->items() >= batching_.max_items || open_->bytes() >= batching_.max_bytes);
  }

  // Hands the open batch to the posting thread; every event before `upto` is then in a
  // sealed batch. Applies the backlog overflow policy when the backlog is full: the batch
  // that does not fit goes to the spool, or is dropped and counted without one.
  void seal(std::size_t upto) {
    seal_open(upto);
    report_deferred();
  }

  // Every event before `position` has been serialized and sealed for this destination.
  void note_position(std::size_t position) {
    std::lock_guard lock(mutex_);
    idle_position_ = std::max(idle_position_, position);
    if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
  }

  // Shutdown: the open batch goes to the spool, or is dropped and counted.
  void retire_open(drop_reason reason) {
    if (!open_) return;
    {
      std::lock_guard lock(mutex_);
      ledger_.spool_or_drop(*open_, reason, deferred_);
      open_.reset();
    }
    report_deferred();
  }

  // Reports the items dropped since the last call, by reason, as one `dropped` record:
  // drops counted anywhere (emit() included, which must not allocate) are told from here.
  // Shutdown's own drops are left to report_leftovers. The worker thread calls it, then
  // shutdown once the worker has ended.
  void report_new_drops() {
    std::uint64_t total = 0;
    std::string reasons;
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
      const auto reason = static_cast<drop_reason>(i);
      if (reason == drop_reason::shutdown) continue;
      const std::uint64_t now = counters_.dropped[i].load(std::memory_order_relaxed);
      if (now <= reported_drops_[i]) continue;
      const std::uint64_t delta = now - reported_drops_[i];
      reported_drops_[i] = now;
      total += delta;
      reasons += (reasons.empty() ? "" : ", ") + std::to_string(delta) + " " + std::string(to_string(reason));
    }
    if (total == 0) return;
    reporter_.report({.severity = diagnostic_severity::warning,
                      .kind = diagnostic_kind::dropped,
                      .message = std::to_string(total) + (total == 1 ? " item" : " items") + " for " + endpoint() +
                                 " dropped (" + reasons + ")",
                      .detail = {},
                      .count = total});
  }

  // After stop(): what shutdown could not deliver by its deadline.
  void report_leftovers(bool flushed) {
    const std::uint64_t dropped =
        counters_.dropped[static_cast<std::size_t>(drop_reason::shutdown)].load(std::memory_order_relaxed);
    const std::uint64_t spooled = counters_.spooled.load(std::memory_order_relaxed);
    if (dropped == 0 && (flushed || spooled == 0)) return;
    std::string message = "shutdown deadline reached: ";
    if (dropped > 0) message += std::to_string(dropped) + " unsent items for " + endpoint() + " dropped";
    if (dropped > 0 && spooled > 0) message += "; ";
    if (spooled > 0) message += std::to_string(spooled) + " items for " + endpoint() + " wait in the spool";
    reporter_.report({.severity = dropped > 0 ? diagnostic_severity::error : diagnostic_severity::warning,
                      .kind = diagnostic_kind::shutdown_leftovers,
                      .message = std::move(message),
                      .detail = {},
                      .count = dropped});
  }

  // --- anyone --------------------------------------------------------------------------

  // Waits until every event before `position` is accounted for, or the deadline.
  bool wait_completed(std::size_t position, clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return progress_.wait_until(lock, deadline, [&] { return completed_ >= position; });
  }

  // Stops the posting thread: no new request starts, a request under way may finish until
  // `deadline` and is then cancelled, and everything unsent goes to the spool or is counted
  // as dropped with `reason`. Idempotent.
  void stop(drop_reason reason, clock::time_point deadline) {
    {
      std::unique_lock lock(mutex_);
      // Spooled files keep going while the destination answers and time remains, so a
      // restart that shuts down at once still sends what it found (oldest first).
      progress_.wait_until(lock, deadline, [&] { return !in_flight_ && (!drain_spool_ || !ledger_.has_files()); });
      stopping_ = true;
      stop_reason_ = reason;
      progress_.wait_until(lock, deadline, [&] { return !in_flight_; });
    }
    thread_.request_stop();
    work_.notify_all();
    space_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (auto& pending : outbox_) ledger_.spool_or_drop(*pending, reason, deferred_);
      outbox_.clear();
    }
    report_deferred();
  }

 private:
  const std::string& endpoint() const noexcept { return delivery_.endpoint(); }

  // How delivery waits (backoff, quota pause): until `deadline`; false when stopped first.
  bool sleep_until(clock::time_point deadline, const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    return !sleep_.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
  }
  auto sleeper() noexcept {
    return [this](clock::time_point deadline, const std::stop_token& stop) { return sleep_until(deadline, stop); };
  }

  // Before delivery waits to resend a batch: the batch goes to the spool (write-ahead), and
  // so do the batches queued behind it, which would wait in memory too; until the delivery
  // ends, newly sealed batches go straight to the spool (seal_open). Without a spool,
  // nothing changes. So a kill loses at most what was sealed within one batch delay plus
  // one request (docs/spool.md).
  auto write_ahead() noexcept {
    return [this](const batch& current) {
      {
        std::lock_guard lock(mutex_);
        if (ledger_.write_ahead(current, deferred_)) {
          failing_ = true;
          while (!outbox_.empty() && ledger_.store(*outbox_.front())) {
            idle_position_ = std::max(idle_position_, outbox_.front()->upto);
            recycle_locked(std::move(outbox_.front()));
            outbox_.pop_front();
          }
        }
      }
      space_.notify_all();
      report_deferred();
    };
  }

  // The body of seal(): records found under the lock wait in deferred_ for report_deferred().
  void seal_open(std::size_t upto) {
    std::unique_ptr<batch> sealed = std::move(open_);
    if (!sealed || sealed->empty()) {
      if (sealed) return_to_pool(std::move(sealed));
      note_position(upto);
      return;
    }
    sealed->upto = upto;
    std::unique_lock lock(mutex_);
    // While the destination is failing, a sealed batch would only wait in memory: it goes
    // to the spool at once, and is sent from there once the destination is back.
    if (failing_ && ledger_.store(*sealed)) {
      recycle_locked(std::move(sealed));
      idle_position_ = std::max(idle_position_, upto);
      if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
      return;
    }
    if (outbox_.size() >= options_.max_pending_batches) {
      switch (options_.backlog_overflow) {
        case overflow_policy::drop_oldest:
          ledger_.spool_or_drop(*outbox_.front(), drop_reason::backlog_full, deferred_);
          recycle_locked(std::move(outbox_.front()));
          outbox_.pop_front();
          break;
        case overflow_policy::block:
          space_.wait_for(lock, block_timeout_, [&] {
            return outbox_.size() < options_.max_pending_batches || stopping_;
          });
          if (outbox_.size() < options_.max_pending_batches) break;
          [[fallthrough]];
        case overflow_policy::drop_newest:
          ledger_.spool_or_drop(*sealed, drop_reason::backlog_full, deferred_);
          recycle_locked(std::move(sealed));
          idle_position_ = std::max(idle_position_, upto);
          if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
          return;
      }
    }
    outbox_.push_back(std::move(sealed));
    lock.unlock();
    work_.notify_one();
  }

  // The posting thread: live batches first; spooled ones once the destination has proved
  // it is back (at start, and after each live success).
  void run(std::stop_token stop) {
    for (;;) {
      std::unique_ptr<batch> next;
      std::optional<spool_entry> from_spool;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, stop, [&] {
          return !stopping_ && (!outbox_.empty() || (drain_spool_ && ledger_.has_files()));
        });
        if (stop.stop_requested()) return;
        in_flight_ = true;
        if (!outbox_.empty()) {
          next = std::move(outbox_.front());
          outbox_.pop_front();
        } else {
          from_spool = ledger_.take_oldest();
        }
      }
      if (next) {
        space_.notify_all();
        const delivery_outcome result = delivery_.deliver(*next, stop, sleeper(), write_ahead());
        {
          std::lock_guard lock(mutex_);
          // Accepted or dropped: its file written ahead goes. Not: it stays, or is spooled now.
          ledger_.finish(*next, result == delivery_outcome::finished,
                         result == delivery_outcome::stopped ? stop_reason_ : drop_reason::retries_exhausted,
                         deferred_);
          failing_ = false;
          // A live success proves the destination is back: spooled batches may follow.
          drain_spool_ = result == delivery_outcome::finished;
          in_flight_ = false;
          progress_.notify_all();
          advance_completed_locked(next->upto);
          if (outbox_.empty()) advance_completed_locked(idle_position_);
          recycle_locked(std::move(next));
        }
      } else {
        send_spooled(*from_spool, stop);
      }
      report_deferred();
    }
  }

  // Sends one spooled file (in flight in the ledger); it leaves the spool only once its
  // items are accounted for. Otherwise it stays for the next success or start; after a
  // partial answer it is rewritten (renamed over) with the items still to send, so none
  // is sent twice and a crash loses none.
  void send_spooled(const spool_entry& entry, const std::stop_token& stop) {
    delivery_outcome result = delivery_outcome::finished;  // expired or unreadable: counted as dropped
    if (ledger_.load_for_sending(entry, spool_batch_)) {
      result = delivery_.deliver(spool_batch_, stop, sleeper(), write_ahead());
    }
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    failing_ = false;
    progress_.notify_all();
    ledger_.finish(spool_batch_, result == delivery_outcome::finished,
                   result == delivery_outcome::stopped ? stop_reason_ : drop_reason::retries_exhausted, deferred_);
    if (result != delivery_outcome::finished) drain_spool_ = false;
    if (outbox_.empty()) advance_completed_locked(idle_position_);
  }

  // The records spool_or_drop() left while mutex_ was held; reported without it, since a
  // handler may call back into the sender.
  void report_deferred() {
    std::vector<diagnostic> due;
    {
      std::lock_guard lock(mutex_);
      if (deferred_.empty()) return;
      due.swap(deferred_);
    }
    for (auto& record : due) reporter_.report(std::move(record));
  }

  void advance_completed_locked(std::size_t position) {
    if (position > completed_) {
      completed_ = position;
      progress_.notify_all();
    }
  }

  std::unique_ptr<batch> take_from_pool() {
    std::lock_guard lock(mutex_);
    if (pool_.empty()) return std::make_unique<batch>();
    auto reused = std::move(pool_.back());
    pool_.pop_back();
    return reused;
  }
  void return_to_pool(std::unique_ptr<batch> used) {
    std::lock_guard lock(mutex_);
    recycle_locked(std::move(used));
  }
  void recycle_locked(std::unique_ptr<batch> used) {
    used->clear();
    // Keep as many buffers as can be in use at once; free the rest.
    if (pool_.size() < options_.max_pending_batches + 2) pool_.push_back(std::move(used));
  }

  sink_counters counters_;  // first: the parts below count into it
  destination_reporter reporter_;
  const connection_settings settings_;
  const sink_options options_;
  const batching_options batching_;
  const std::chrono::milliseconds block_timeout_;
  delivery delivery_;  // posting thread only
  batch spool_batch_;  // posting thread only

  std::unique_ptr<batch> open_;  // worker thread only
  clock::time_point opened_at_{};

  mutable std::mutex mutex_;
  std::condition_variable_any work_;
  std::condition_variable_any space_;
  std::condition_variable_any sleep_;
  std::condition_variable progress_;
  std::deque<std::unique_ptr<batch>> outbox_;
  std::vector<std::unique_ptr<batch>> pool_;
  bool in_flight_ = false;
  bool stopping_ = false;
  drop_reason stop_reason_ = drop_reason::shutdown;
  std::size_t completed_ = 0;
  std::size_t idle_position_ = 0;
  spool_ledger ledger_;  // under mutex_, but for load_for_sending (posting thread)
  bool drain_spool_ = true;  // under mutex_: the posting thread may send spooled files now
  bool failing_ = false;     // under mutex_: the batch in flight is on disk, waiting to be resent
  std::vector<diagnostic> deferred_;  // under mutex_: records to report once it is released

  // Drops already reported, by reason (worker thread, then shutdown after the worker ended).
  std::array<std::uint64_t, drop_reason_count> reported_drops_{};

  std::jthread thread_;
};

}  // namespace onefuzz::telemetry::transport::detail
