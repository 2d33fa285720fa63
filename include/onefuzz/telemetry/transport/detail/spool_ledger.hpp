// Defines spool_ledger: one destination's account of its spool: which files wait (oldest
// first), how many bytes they take, and the limits spool_options sets: the oldest files are
// evicted past max_bytes, and a file older than max_age is dropped instead of sent. The
// files themselves are read and written by spool (spool.hpp).
#pragma once

#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/detail/destination_reporter.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>
#include <onefuzz/telemetry/transport/spool.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport::detail {

// The spool folder of a destination: its kind and a hash of its key, so that a restart
// with another key never sends old batches to the wrong resource, and so that the key
// itself never appears in a path (paths end up in error messages).
inline std::filesystem::path spool_folder(const std::filesystem::path& root, std::string_view kind,
                                          std::string_view instrumentation_key) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a over the lower-case key
  for (char c : instrumentation_key) {
    const auto lower = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    hash = (hash ^ lower) * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return root / (std::string{kind} + "-" + hex);
}

// Not thread-safe: the destination calls it under its lock, except load_for_sending(),
// which only its posting thread calls. Without a spool directory every batch handed to it
// is dropped and counted.
//
// The file whose batch the posting thread is sending (a spooled file, or a live batch
// written ahead of its retries) is "in flight": out of the list, so it is neither sent
// twice nor evicted while its answer is awaited, yet still counted in spooled and bytes().
class spool_ledger {
 public:
  // Opens the destination's folder below options.directory and lists the batches an
  // earlier run left there: they count as restored and spooled, and are sent first. Our
  // own damaged files count what they announced as restored and dropped (spool_corrupt).
  // A folder that cannot be created or is refused leaves the destination without a
  // spool, and says so.
  spool_ledger(std::string_view label, std::string_view instrumentation_key, const spool_options& options,
               std::string_view endpoint, destination_reporter& reporter, sink_counters& counters)
      : reporter_(reporter), counters_(counters), endpoint_(endpoint) {
    if (options.directory.empty()) return;
    spool_options folder = options;
    folder.directory = spool_folder(options.directory, label, instrumentation_key);
    try {
      spool_.emplace(std::move(folder));
    } catch (const std::filesystem::filesystem_error& e) {
      // Telemetry must not stop the program: it runs without a spool, and says so.
      reporter_.fail({.severity = diagnostic_severity::error,
                      .kind = diagnostic_kind::spool_write_failed,
                      .message = "the spool is off for " + endpoint_ + "; batches that cannot be sent will be dropped",
                      .detail = e.what()});
      return;
    }
    auto found = spool_->scan();
    for (auto& entry : found.entries) {
      counters_.restored.fetch_add(entry.items, std::memory_order_relaxed);
      counters_.spooled.fetch_add(entry.items, std::memory_order_release);
      bytes_ += entry.bytes;
      files_.push_back(std::move(entry));
    }
    // Lost items show on both sides of the identity: restored, and dropped.
    counters_.restored.fetch_add(found.corrupt_items, std::memory_order_relaxed);
    counters_.drop(drop_reason::spool_corrupt, found.corrupt_items);
    counters_.spool_corrupt_files.fetch_add(found.corrupt_files, std::memory_order_relaxed);
    counters_.spool_corrupt_bytes.fetch_add(found.corrupt_bytes, std::memory_order_relaxed);
    counters_.spool_rejected_files.fetch_add(found.rejected_files, std::memory_order_relaxed);
    report_scan(found);
  }

  spool_ledger(const spool_ledger&) = delete;
  spool_ledger& operator=(const spool_ledger&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return spool_.has_value(); }
  [[nodiscard]] bool has_files() const noexcept { return !files_.empty(); }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

  // Takes the oldest listed file to send (only when has_files()); it is in flight until
  // finish().
  spool_entry take_oldest() {
    in_flight_ = std::move(files_.front());
    files_.pop_front();
    return *in_flight_;
  }

  // Writes the batch to the spool (counted as spooled), or drops it with `reason` when
  // there is no spool, or as spool_write_failed when the write fails. Evicts the oldest
  // files past max_bytes. Called under the destination's lock, so a failure's record is
  // appended to `deferred`, to be reported once the lock is released. True when stored.
  bool spool_or_drop(const batch& unsent, drop_reason reason, std::vector<diagnostic>& deferred) {
    if (unsent.empty()) return true;
    if (!spool_) {
      counters_.drop(reason, unsent.items());
      return false;
    }
    if (store(unsent)) return true;
    deferred.push_back(write_failure("cannot write " + std::to_string(unsent.items()) + " items for " + endpoint_ +
                                         " to the spool (" + std::string(to_string(reason)) + "); they are dropped",
                                     unsent.items()));
    counters_.drop(drop_reason::spool_write_failed, unsent.items());
    return false;
  }

  // Writes the batch to the spool, counted as spooled; false (nothing counted, nothing
  // reported) without a spool or when the write fails.
  bool store(const batch& unsent) {
    if (!spool_ || unsent.empty()) return false;
    auto entry = spool_->store(unsent, unsent.oldest);
    if (!entry) return false;
    counters_.spooled.fetch_add(entry->items, std::memory_order_release);
    bytes_ += entry->bytes;
    files_.push_back(std::move(*entry));
    evict_past_cap();
    return true;
  }

  // Before the posting thread waits to resend `current`: puts it on disk, so a crash
  // during the wait loses nothing. A live batch is written as a new file (then in flight);
  // a file in flight that a partial answer shrank is rewritten with what is left. A failed
  // write keeps the batch in memory only, and says so. True when `current` is on disk.
  bool write_ahead(const batch& current, std::vector<diagnostic>& deferred) {
    if (!spool_ || current.empty()) return false;
    if (!in_flight_) {
      auto entry = spool_->store(current, current.oldest);
      if (!entry) {
        deferred.push_back(write_failure("cannot write " + std::to_string(current.items()) + " items for " +
                                             endpoint_ + " to the spool before retrying them; they wait in memory",
                                         0));
        return false;
      }
      counters_.spooled.fetch_add(entry->items, std::memory_order_release);
      bytes_ += entry->bytes;
      in_flight_ = std::move(*entry);
      evict_past_cap();
      return true;
    }
    if (current.items() < in_flight_->items) return rewrite_in_flight(current, deferred);
    return true;
  }

  // The posting thread is done with the batch in flight. `settled`: every item was
  // accepted or dropped, so its file goes. Otherwise `remaining` holds the items still to
  // send: a file in flight is kept (rewritten when a partial answer shrank the batch; a
  // failed rewrite drops them as spool_write_failed) and listed again in its place, oldest
  // first; a batch never written goes to spool_or_drop with `reason`.
  void finish(const batch& remaining, bool settled, drop_reason reason, std::vector<diagnostic>& deferred) {
    if (!in_flight_) {
      if (!settled) spool_or_drop(remaining, reason, deferred);
      return;
    }
    if (settled) {
      if (!spool_->remove(*in_flight_)) {
        deferred.push_back(write_failure("cannot remove a delivered spool file for " + endpoint_ +
                                             "; its items may be sent again by the next start",
                                         0));
      }
      forget_in_flight();
      return;
    }
    if (remaining.items() < in_flight_->items && !rewrite_in_flight(remaining, deferred)) {
      counters_.drop(drop_reason::spool_write_failed, remaining.items());
      return;
    }
    auto entry = std::move(*in_flight_);
    in_flight_.reset();
    const auto place = std::upper_bound(files_.begin(), files_.end(), entry, [](const auto& a, const auto& b) {
      return a.path.filename() < b.path.filename();
    });
    files_.insert(place, std::move(entry));
  }

  // Reads a listed file into `out` to be sent; false when it is past max_age (its items are
  // dropped as expired) or cannot be read back (dropped as spool_corrupt, and reported). The
  // file stays in flight either way; the caller finishes it once its items are accounted
  // for. Never under the destination's lock: it may report.
  bool load_for_sending(const spool_entry& entry, batch& out) {
    if (std::chrono::system_clock::now() - entry.oldest > spool_->options().max_age) {
      counters_.drop(drop_reason::expired, entry.items);
      return false;
    }
    const auto unreadable = spool_->load(entry, out);
    if (!unreadable) return true;
    // Changed or damaged on disk since it was listed: its items are lost, and counted.
    counters_.spool_corrupt_files.fetch_add(1, std::memory_order_relaxed);
    counters_.drop(drop_reason::spool_corrupt, entry.items);
    reporter_.fail({.severity = diagnostic_severity::warning,
                    .kind = diagnostic_kind::spool_read_failed,
                    .message = std::string("a spool file for ") + endpoint_ +
                               (*unreadable == spool_read_error::unreadable ? " could not be read" : " is damaged") +
                               "; its " + std::to_string(entry.items) + " items are lost",
                    .detail = {},
                    .count = entry.items});
    return false;
  }

 private:
  // Rewrites the file in flight with `remaining` (rename over it: the old or the new file
  // survives a crash, never neither). On failure the file is removed if it can be (else the
  // next start sends its items again) and is no longer in flight; false.
  bool rewrite_in_flight(const batch& remaining, std::vector<diagnostic>& deferred) {
    if (auto updated = spool_->replace(*in_flight_, remaining)) {
      counters_.spooled.fetch_sub(in_flight_->items - updated->items, std::memory_order_release);
      bytes_ = bytes_ - in_flight_->bytes + updated->bytes;
      *in_flight_ = std::move(*updated);
      return true;
    }
    deferred.push_back(write_failure("cannot rewrite a spool file for " + endpoint_ + " with its " +
                                         std::to_string(remaining.items()) + " unsent items",
                                     remaining.items()));
    (void)spool_->remove(*in_flight_);
    forget_in_flight();
    return false;
  }

  void forget_in_flight() {
    bytes_ -= in_flight_->bytes;
    counters_.spooled.fetch_sub(in_flight_->items, std::memory_order_release);
    in_flight_.reset();
  }

  // The oldest listed files go past max_bytes; the one in flight is not listed, so stays.
  void evict_past_cap() {
    while (bytes_ > spool_->options().max_bytes && !files_.empty()) {
      const spool_entry evicted = std::move(files_.front());
      files_.pop_front();
      (void)spool_->remove(evicted);
      bytes_ -= evicted.bytes;
      counters_.spooled.fetch_sub(evicted.items, std::memory_order_release);
      counters_.drop(drop_reason::spool_full, evicted.items);
    }
  }

  diagnostic write_failure(std::string message, std::uint64_t items) {
    return reporter_.remember_failure({.severity = diagnostic_severity::error,
                                       .kind = diagnostic_kind::spool_write_failed,
                                       .message = std::move(message),
                                       .detail = spool_->last_error(),
                                       .count = items});
  }

  // One record for everything the scan found wrong: two in a row would meet the rate limit.
  void report_scan(const spool_scan& found) {
    if (found.corrupt_files == 0 && found.rejected_files == 0 && found.listing_error.empty()) return;
    std::string message;
    const auto add = [&](const std::string& part) { message += (message.empty() ? "" : "; ") + part; };
    if (!found.listing_error.empty()) add("the spool folder for " + endpoint_ + " could not be listed");
    if (found.corrupt_files > 0) {
      std::string part = std::to_string(found.corrupt_files) + " damaged spool file(s) for " + endpoint_ +
                         " removed: " + std::to_string(found.corrupt_items) + " items lost";
      if (found.corrupt_bytes > 0) {
        part += ", and " + std::to_string(found.corrupt_bytes) + " bytes whose item count is unknown";
      }
      add(part);
    }
    if (found.rejected_files > 0) {
      add(std::to_string(found.rejected_files) + " file(s) in the spool for " + endpoint_ +
          " are not the sender's own and were left alone");
    }
    reporter_.fail({.severity = diagnostic_severity::warning,
                    .kind = diagnostic_kind::spool_read_failed,
                    .message = std::move(message),
                    .detail = !found.listing_error.empty()    ? found.listing_error
                              : !found.rejected_reason.empty() ? found.rejected_reason
                                                               : spool_->options().directory.string(),
                    .count = found.corrupt_items});
  }

  destination_reporter& reporter_;
  sink_counters& counters_;
  const std::string endpoint_;  // "host:port", for diagnostics
  std::optional<spool> spool_;
  std::deque<spool_entry> files_;  // oldest first
  std::optional<spool_entry> in_flight_;
  std::uint64_t bytes_ = 0;
};

}  // namespace onefuzz::telemetry::transport::detail
