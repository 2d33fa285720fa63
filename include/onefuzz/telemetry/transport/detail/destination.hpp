// Defines destination: one ingestion resource a sender writes to (the user's instance or
// the central one): the batch being filled, the backlog of sealed batches and the buffers
// they reuse, and the posting thread that hands them to delivery, or to the spool ledger
// when they cannot be sent. The member functions the worker calls per event stay here;
// the rest is in impl/destination.ipp (detail/config.hpp).
#pragma once

#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/transport/detail/destination_reporter.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

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
#include <vector>

namespace onefuzz::telemetry::transport {
struct spool_entry;
}  // namespace onefuzz::telemetry::transport
namespace onefuzz::telemetry::detail {
class gzip_compressor;  // detail/gzip.hpp: zlib
}  // namespace onefuzz::telemetry::detail

namespace onefuzz::telemetry::transport::detail {

using clock = std::chrono::steady_clock;

class delivery;      // detail/delivery.hpp: libcurl, Boost.JSON
class spool_ledger;  // detail/spool_ledger.hpp: the spool's files

class destination {
 public:
  ONEFUZZ_TELEMETRY_DECL destination(std::string_view label, connection_settings settings,
                                               const sink_options& options, const sender_options& common,
                                               diagnostics_channel& diagnostics, diagnostic_destination which);
  // Joins the posting thread first (thread_ is the last member).
  ONEFUZZ_TELEMETRY_DECL ~destination();

  destination(const destination&) = delete;
  destination& operator=(const destination&) = delete;

  // Starts the posting thread.
  ONEFUZZ_TELEMETRY_DECL void start();

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
  ONEFUZZ_TELEMETRY_DECL void seal(std::size_t upto);

  // Every event before `position` has been serialized and sealed for this destination.
  ONEFUZZ_TELEMETRY_DECL void note_position(std::size_t position);

  // Shutdown: the open batch goes to the spool, or is dropped and counted.
  ONEFUZZ_TELEMETRY_DECL void retire_open(drop_reason reason);

  // Reports the items dropped since the last call, by reason, as one `dropped` record:
  // drops counted anywhere (emit() included, which must not allocate) are told from here.
  // Shutdown's own drops are left to report_leftovers. The worker thread calls it, then
  // shutdown once the worker has ended.
  ONEFUZZ_TELEMETRY_DECL void report_new_drops();

  // After stop(): what shutdown could not deliver by its deadline.
  ONEFUZZ_TELEMETRY_DECL void report_leftovers(bool flushed);

  // --- anyone --------------------------------------------------------------------------

  // Waits until every event before `position` is accounted for, or the deadline.
  ONEFUZZ_TELEMETRY_DECL bool wait_completed(std::size_t position, clock::time_point deadline);

  // Stops the posting thread: no new request starts, a request under way may finish until
  // `deadline` and is then cancelled, and everything unsent goes to the spool or is counted
  // as dropped with `reason`. Idempotent.
  ONEFUZZ_TELEMETRY_DECL void stop(drop_reason reason, clock::time_point deadline);

 private:
  ONEFUZZ_TELEMETRY_DECL const std::string& endpoint() const noexcept;

  // How delivery waits (backoff, quota pause): until `deadline`; false when stopped first.
  ONEFUZZ_TELEMETRY_DECL bool sleep_until(clock::time_point deadline, const std::stop_token& stop);

  // Before delivery waits to resend a batch: the batch goes to the spool (write-ahead), and
  // so do the batches queued behind it, which would wait in memory too; until the delivery
  // ends, newly sealed batches go straight to the spool (seal_open). Without a spool,
  // nothing changes. So a kill loses at most what was sealed within one batch delay plus
  // one request (docs/spool.md).
  ONEFUZZ_TELEMETRY_DECL void write_ahead(const batch& current);

  // The body of seal(): records found under the lock wait in deferred_ for report_deferred().
  ONEFUZZ_TELEMETRY_DECL void seal_open(std::size_t upto);

  // The posting thread: live batches first; spooled ones once the destination has proved
  // it is back (at start, and after each live success).
  ONEFUZZ_TELEMETRY_DECL void run(std::stop_token stop);

  // Sends one spooled file (in flight in the ledger); it leaves the spool only once its
  // items are accounted for. Otherwise it stays for the next success or start; after a
  // partial answer it is rewritten (renamed over) with the items still to send, so none
  // is sent twice and a crash loses none.
  ONEFUZZ_TELEMETRY_DECL void send_spooled(const spool_entry& entry, const std::stop_token& stop);

  // The records spool_or_drop() left while mutex_ was held; reported without it, since a
  // handler may call back into the sender.
  ONEFUZZ_TELEMETRY_DECL void report_deferred();

  ONEFUZZ_TELEMETRY_DECL void advance_completed_locked(std::size_t position);

  ONEFUZZ_TELEMETRY_DECL std::unique_ptr<batch> take_from_pool();
  ONEFUZZ_TELEMETRY_DECL void return_to_pool(std::unique_ptr<batch> used);
  ONEFUZZ_TELEMETRY_DECL void recycle_locked(std::unique_ptr<batch> used);

  sink_counters counters_;  // first: the parts below count into it
  destination_reporter reporter_;
  const connection_settings settings_;
  const sink_options options_;
  const batching_options batching_;
  const std::chrono::milliseconds block_timeout_;
  // Behind pointers so that this header needs neither libcurl nor the spool's file code.
  std::unique_ptr<delivery> delivery_;  // posting thread only
  batch spool_batch_;  // posting thread only

  std::unique_ptr<batch> open_;  // worker thread only
  clock::time_point opened_at_{};
  // Worker thread only, with gzip: seal() compresses each batch, so that the posting thread
  // only posts and the next batch is compressed while the previous one is under way.
  std::unique_ptr<::onefuzz::telemetry::detail::gzip_compressor> compressor_;
  std::string gzip_scratch_;  // worker thread only: zlib's output, before a batch keeps it

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
  std::unique_ptr<spool_ledger> ledger_;  // under mutex_, but for load_for_sending (posting thread)
  bool drain_spool_ = true;  // under mutex_: the posting thread may send spooled files now
  bool failing_ = false;     // under mutex_: the batch in flight is on disk, waiting to be resent
  std::vector<diagnostic> deferred_;  // under mutex_: records to report once it is released

  // Drops already reported, by reason (worker thread, then shutdown after the worker ended).
  std::array<std::uint64_t, drop_reason_count> reported_drops_{};

  std::jthread thread_;
};

// The sender's destinations, as resolve_destinations finds them (code, then environment):
// each one configured is constructed in `instance` or `central`. Throws
// std::invalid_argument, before any thread starts, when resolve_destinations fails or a
// destination cannot be built (see sender's constructor).
ONEFUZZ_TELEMETRY_DECL void open_destinations(const sender_options& options, diagnostics_channel& diagnostics,
                                                        std::optional<destination>& instance,
                                                        std::optional<destination>& central);

}  // namespace onefuzz::telemetry::transport::detail

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/destination.ipp>
#endif
