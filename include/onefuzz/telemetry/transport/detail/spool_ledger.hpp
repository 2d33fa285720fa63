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
class spool_ledger {
 public:
  // Opens the destination's folder below options.directory and lists the batches an
  // earlier run left there: they count as restored and spooled, and are sent first.
  // A folder that cannot be created leaves the destination without a spool, and says so.
  spool_ledger(std::string_view kind, std::string_view instrumentation_key, const spool_options& options,
               std::string_view endpoint, destination_reporter& reporter, sink_counters& counters)
      : reporter_(reporter), counters_(counters), endpoint_(endpoint) {
    if (options.directory.empty()) return;
    spool_options folder = options;
    folder.directory = spool_folder(options.directory, kind, instrumentation_key);
    try {
      spool_.emplace(std::move(folder));
    } catch (const std::filesystem::filesystem_error& e) {
      // Telemetry must not stop the program: it runs without a spool, and says so.
      reporter_.fail({.severity = diagnostic_severity::error,
                      .kind = diagnostic_kind::spool_write_failed,
                      .message = "cannot create the spool directory; batches that cannot be sent will be dropped",
                      .detail = e.what()});
      return;
    }
    std::size_t corrupt = 0;
    for (auto& entry : spool_->scan(corrupt)) {
      counters_.restored.fetch_add(entry.items, std::memory_order_relaxed);
      counters_.spooled.fetch_add(entry.items, std::memory_order_relaxed);
      bytes_ += entry.bytes;
      files_.push_back(std::move(entry));
    }
    counters_.spool_corrupt_files.fetch_add(corrupt, std::memory_order_relaxed);
    if (corrupt > 0) {
      reporter_.fail({.severity = diagnostic_severity::warning,
                      .kind = diagnostic_kind::spool_read_failed,
                      .message = std::to_string(corrupt) + " damaged or partial spool file(s) removed; their items are lost",
                      .detail = spool_->options().directory.string()});
    }
  }

  spool_ledger(const spool_ledger&) = delete;
  spool_ledger& operator=(const spool_ledger&) = delete;

  [[nodiscard]] bool has_files() const noexcept { return !files_.empty(); }
  // The file to send next: the oldest. Only when has_files().
  [[nodiscard]] const spool_entry& oldest() const noexcept { return files_.front(); }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

  // Writes the batch to the spool (counted as spooled), or drops it with `reason` when
  // there is no spool or the write fails. Evicts the oldest files past max_bytes. Called
  // under the destination's lock, so a failure's record is appended to `deferred`, to be
  // reported once the lock is released.
  void spool_or_drop(const batch& unsent, drop_reason reason, std::vector<diagnostic>& deferred) {
    if (unsent.empty()) return;
    if (spool_) {
      auto entry = spool_->store(unsent, unsent.oldest);
      if (entry) {
        counters_.spooled.fetch_add(entry->items, std::memory_order_release);
        bytes_ += entry->bytes;
        files_.push_back(std::move(*entry));
        while (bytes_ > spool_->options().max_bytes && !files_.empty()) {
          const spool_entry evicted = files_.front();
          remove(evicted);
          counters_.drop(drop_reason::spool_full, evicted.items);
        }
        return;
      }
      // The drop itself is counted below.
      deferred.push_back(reporter_.remember_failure(
          {.severity = diagnostic_severity::error,
           .kind = diagnostic_kind::spool_write_failed,
           .message = "cannot write " + std::to_string(unsent.items()) + " items for " + endpoint_ +
                      " to the spool; they are dropped (" + std::string(to_string(reason)) + ")",
           .detail = spool_->last_error(),
           .count = unsent.items()}));
    }
    counters_.drop(reason, unsent.items());
  }

  // Deletes a listed file, whose items are then accounted for elsewhere (accepted, or
  // dropped by the caller).
  void remove(const spool_entry& entry) {
    const auto found =
        std::find_if(files_.begin(), files_.end(), [&](const spool_entry& e) { return e.path == entry.path; });
    if (found == files_.end()) return;
    spool_->remove(*found);
    bytes_ -= found->bytes;
    counters_.spooled.fetch_sub(found->items, std::memory_order_release);
    files_.erase(found);
  }

  // Reads a listed file into `out` to be sent; false when it is past max_age (its items are
  // dropped as expired) or cannot be read back (dropped as spool_corrupt, and reported). The
  // file stays listed either way; the caller removes it once its items are accounted for.
  // Never under the destination's lock: it may report.
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
  destination_reporter& reporter_;
  sink_counters& counters_;
  const std::string endpoint_;  // "host:port", for diagnostics
  std::optional<spool> spool_;
  std::deque<spool_entry> files_;  // oldest first
  std::uint64_t bytes_ = 0;
};

}  // namespace onefuzz::telemetry::transport::detail
