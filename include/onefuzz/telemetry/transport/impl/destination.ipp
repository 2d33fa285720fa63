// detail::destination's member functions but the per-event ones: included by
// detail/destination.hpp (header-only), or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/detail/delivery.hpp>
#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/detail/spool_ledger.hpp>
#include <onefuzz/telemetry/transport/spool.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

namespace onefuzz::telemetry::transport::detail {

ONEFUZZ_TELEMETRY_DECL
destination::destination(std::string_view label, connection_settings settings, const sink_options& options,
                         const sender_options& common, diagnostics_channel& diagnostics, diagnostic_destination which)
    : reporter_(diagnostics, which, counters_),
      settings_(std::move(settings)),
      options_(options),
      batching_(common.batching),
      block_timeout_(common.block_timeout),
      delivery_(std::make_unique<delivery>(settings_, options.gzip, common, reporter_, counters_)),
      compressor_(options.gzip ? std::make_unique<::onefuzz::telemetry::detail::gzip_compressor>(
                                     ::onefuzz::telemetry::detail::request_gzip_level)
                               : nullptr),
      ledger_(std::make_unique<spool_ledger>(label, settings_.instrumentation_key, common.spool, delivery_->endpoint(),
                                             reporter_, counters_)) {}

ONEFUZZ_TELEMETRY_DECL destination::~destination() = default;

ONEFUZZ_TELEMETRY_DECL void destination::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

ONEFUZZ_TELEMETRY_DECL void destination::seal(std::size_t upto) {
  seal_open(upto);
  report_deferred();
}

ONEFUZZ_TELEMETRY_DECL void destination::note_position(std::size_t position) {
  std::lock_guard lock(mutex_);
  idle_position_ = std::max(idle_position_, position);
  if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
}

ONEFUZZ_TELEMETRY_DECL void destination::retire_open(drop_reason reason) {
  if (!open_) return;
  {
    std::lock_guard lock(mutex_);
    ledger_->spool_or_drop(*open_, reason, deferred_);
    open_.reset();
  }
  report_deferred();
}

ONEFUZZ_TELEMETRY_DECL void destination::report_new_drops() {
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

ONEFUZZ_TELEMETRY_DECL void destination::report_leftovers(bool flushed) {
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

ONEFUZZ_TELEMETRY_DECL bool destination::wait_completed(std::size_t position, clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return progress_.wait_until(lock, deadline, [&] { return completed_ >= position; });
}

ONEFUZZ_TELEMETRY_DECL void destination::stop(drop_reason reason, clock::time_point deadline) {
  {
    std::unique_lock lock(mutex_);
    // Spooled files keep going while the destination answers and time remains, so a
    // restart that shuts down at once still sends what it found (oldest first).
    progress_.wait_until(lock, deadline, [&] { return !in_flight_ && (!drain_spool_ || !ledger_->has_files()); });
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
    for (auto& pending : outbox_) ledger_->spool_or_drop(*pending, reason, deferred_);
    outbox_.clear();
  }
  report_deferred();
}

ONEFUZZ_TELEMETRY_DECL const std::string& destination::endpoint() const noexcept {
  return delivery_->endpoint();
}

ONEFUZZ_TELEMETRY_DECL bool destination::sleep_until(clock::time_point deadline,
                                                               const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  return !sleep_.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
}

ONEFUZZ_TELEMETRY_DECL void destination::write_ahead(const batch& current) {
  {
    std::lock_guard lock(mutex_);
    if (ledger_->write_ahead(current, deferred_)) {
      failing_ = true;
      while (!outbox_.empty() && ledger_->store(*outbox_.front())) {
        idle_position_ = std::max(idle_position_, outbox_.front()->upto);
        recycle_locked(std::move(outbox_.front()));
        outbox_.pop_front();
      }
    }
  }
  space_.notify_all();
  report_deferred();
}

ONEFUZZ_TELEMETRY_DECL void destination::seal_open(std::size_t upto) {
  std::unique_ptr<batch> sealed = std::move(open_);
  if (!sealed || sealed->empty()) {
    if (sealed) return_to_pool(std::move(sealed));
    note_position(upto);
    return;
  }
  sealed->upto = upto;
  // Compressed here, outside the lock, while the posting thread may be waiting for the
  // answer to the previous batch (a batch that ends up in the spool is stored uncompressed).
  // zlib writes into the worker's scratch, sized for the worst case; the batch keeps a copy
  // of the gzip form's own size, and only when it is at most a quarter of the body, so the
  // backlog's memory (max_pending_batches x max_bytes) grows by a quarter at most. A body
  // that compresses worse is compressed by the posting thread, as before.
  if (compressor_) {
    sealed->make_compressed([this](std::string_view in, std::string& out) {
      if (!compressor_->compress(in, gzip_scratch_) || gzip_scratch_.size() > in.size() / 4) return false;
      if (out.capacity() < gzip_scratch_.size()) {
        out = std::string(gzip_scratch_);  // exactly its size: assign() might double it
      } else {
        out.assign(gzip_scratch_);
      }
      return true;
    });
  }
  std::unique_lock lock(mutex_);
  // While the destination is failing, a sealed batch would only wait in memory: it goes
  // to the spool at once, and is sent from there once the destination is back.
  if (failing_ && ledger_->store(*sealed)) {
    recycle_locked(std::move(sealed));
    idle_position_ = std::max(idle_position_, upto);
    if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
    return;
  }
  if (outbox_.size() >= options_.max_pending_batches) {
    switch (options_.backlog_overflow) {
      case overflow_policy::drop_oldest:
        ledger_->spool_or_drop(*outbox_.front(), drop_reason::backlog_full, deferred_);
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
        ledger_->spool_or_drop(*sealed, drop_reason::backlog_full, deferred_);
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

ONEFUZZ_TELEMETRY_DECL void destination::run(std::stop_token stop) {
  const auto sleeper = [this](clock::time_point deadline, const std::stop_token& token) {
    return sleep_until(deadline, token);
  };
  const auto before_wait = [this](const batch& current) { write_ahead(current); };
  for (;;) {
    std::unique_ptr<batch> next;
    std::optional<spool_entry> from_spool;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, stop, [&] {
        return !stopping_ && (!outbox_.empty() || (drain_spool_ && ledger_->has_files()));
      });
      if (stop.stop_requested()) return;
      in_flight_ = true;
      if (!outbox_.empty()) {
        next = std::move(outbox_.front());
        outbox_.pop_front();
      } else {
        from_spool = ledger_->take_oldest();
      }
    }
    if (next) {
      space_.notify_all();
      const delivery_outcome result = delivery_->deliver(*next, stop, sleeper, before_wait);
      {
        std::lock_guard lock(mutex_);
        // Accepted or dropped: its file written ahead goes. Not: it stays, or is spooled now.
        ledger_->finish(*next, result == delivery_outcome::finished,
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

ONEFUZZ_TELEMETRY_DECL void destination::send_spooled(const spool_entry& entry, const std::stop_token& stop) {
  delivery_outcome result = delivery_outcome::finished;  // expired or unreadable: counted as dropped
  if (ledger_->load_for_sending(entry, spool_batch_)) {
    result = delivery_->deliver(
        spool_batch_, stop,
        [this](clock::time_point deadline, const std::stop_token& token) { return sleep_until(deadline, token); },
        [this](const batch& current) { write_ahead(current); });
  }
  std::lock_guard lock(mutex_);
  in_flight_ = false;
  failing_ = false;
  progress_.notify_all();
  ledger_->finish(spool_batch_, result == delivery_outcome::finished,
                  result == delivery_outcome::stopped ? stop_reason_ : drop_reason::retries_exhausted, deferred_);
  if (result != delivery_outcome::finished) drain_spool_ = false;
  if (outbox_.empty()) advance_completed_locked(idle_position_);
}

ONEFUZZ_TELEMETRY_DECL void destination::report_deferred() {
  std::vector<diagnostic> due;
  {
    std::lock_guard lock(mutex_);
    if (deferred_.empty()) return;
    due.swap(deferred_);
  }
  for (auto& record : due) reporter_.report(std::move(record));
}

ONEFUZZ_TELEMETRY_DECL void destination::advance_completed_locked(std::size_t position) {
  if (position > completed_) {
    completed_ = position;
    progress_.notify_all();
  }
}

ONEFUZZ_TELEMETRY_DECL std::unique_ptr<batch> destination::take_from_pool() {
  std::lock_guard lock(mutex_);
  if (pool_.empty()) return std::make_unique<batch>();
  auto reused = std::move(pool_.back());
  pool_.pop_back();
  return reused;
}

ONEFUZZ_TELEMETRY_DECL void destination::return_to_pool(std::unique_ptr<batch> used) {
  std::lock_guard lock(mutex_);
  recycle_locked(std::move(used));
}

ONEFUZZ_TELEMETRY_DECL void destination::recycle_locked(std::unique_ptr<batch> used) {
  used->clear();
  // Keep as many buffers as can be in use at once; free the rest.
  if (pool_.size() < options_.max_pending_batches + 2) pool_.push_back(std::move(used));
}

ONEFUZZ_TELEMETRY_DECL void open_destinations(const sender_options& options, diagnostics_channel& diagnostics,
                                                        std::optional<destination>& instance,
                                                        std::optional<destination>& central) {
  auto resolved = resolve_destinations(options.destinations, options.getenv);
  if (!resolved) {
    throw std::invalid_argument("onefuzz::telemetry::transport::sender: " + resolved.error().message);
  }
  if (resolved->instance) {
    instance.emplace("instance", std::move(*resolved->instance), options.instance, options, diagnostics,
                     diagnostic_destination::instance);
  }
  if (resolved->central) {
    central.emplace("central", std::move(*resolved->central), options.central, options, diagnostics,
                    diagnostic_destination::central);
  }
}

}  // namespace onefuzz::telemetry::transport::detail
