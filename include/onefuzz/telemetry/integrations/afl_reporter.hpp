// Defines afl_reporter: reads AFL's fuzzer_stats every period (30 s by default, as the
// original's STATS_DELAY) and sends AFL's runtime_stats.
#pragma once

#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/integrations/afl_stats.hpp>
#include <onefuzz/telemetry/integrations/detail/periodic_thread.hpp>
#include <onefuzz/telemetry/integrations/event_sink.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::integrations {

struct afl_reporter_options {
  // The fuzzer_stats file, e.g. <afl -o dir>/default/fuzzer_stats.
  std::filesystem::path stats_file{};
  // Time between reads. AFL++ itself rewrites the file about once a minute (and at exit),
  // so reading more often than that mostly re-sends the same numbers.
  std::chrono::milliseconds period{std::chrono::seconds{30}};
  // Passed to each read; on_warning is called on the reporter's thread.
  afl_read_options read{};
};

// What a reporter has seen and done.
struct afl_reporter_statistics {
  std::uint64_t reads = 0;           // attempts to read the file
  std::uint64_t events = 0;          // events handed to the sink
  std::uint64_t read_failures = 0;   // the file was missing or unreadable (no event)
  std::uint64_t empty_reads = 0;     // the file had no mapped key (no event; see has_fields)
  std::uint64_t torn_reads = 0;      // the last line was cut off and skipped
  std::uint64_t unknown_keys = 0;    // unknown-key lines over all reads
  std::uint64_t invalid_values = 0;  // unparsable values of mapped keys over all reads
  std::uint64_t sink_failures = 0;   // sink calls that threw (the event is lost)
  std::vector<std::string> distinct_unknown_keys;  // the first 64 distinct ones, for a log line
  std::string last_error;                          // why the last failed read failed
};

// Sends AFL's runtime_stats through `Sink` (any callable taking the event, or
// emit_to(sender)): start() reads at once and then every period on a background thread;
// report_now() reads on the caller's thread (for instance once more after AFL exits).
// All member functions are thread-safe; the sink is called with the reporter's lock held.
template <class Sink>
  requires event_sink_for<Sink, catalog::afl_runtime_stats>
class afl_reporter {
 public:
  using clock = std::chrono::steady_clock;

  // Nothing is read until start() or report_now().
  explicit afl_reporter(Sink sink, afl_reporter_options options)
      : sink_(std::move(sink)), options_(std::move(options)) {}

  afl_reporter(const afl_reporter&) = delete;
  afl_reporter& operator=(const afl_reporter&) = delete;

  // Stops (see stop()).
  ~afl_reporter() { stop(); }

  // Starts the periodic reads; the first is immediate. Only the first call does anything.
  void start() {
    {
      std::lock_guard lock(mutex_);
      if (started_ || stopped_) return;
      started_ = true;
    }
    thread_.start([this](clock::time_point now) {
      std::lock_guard lock(mutex_);
      if (!stopped_) read_and_send_locked();
      return now + options_.period;
    });
  }

  // Reads the file now and sends the event; true when an event was sent.
  bool report_now() {
    std::lock_guard lock(mutex_);
    return read_and_send_locked();
  }

  // Stops the periodic reads (report_now still works). Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    thread_.stop();
  }

  // A snapshot of the counters.
  [[nodiscard]] afl_reporter_statistics statistics() const {
    std::lock_guard lock(mutex_);
    return statistics_;
  }

 private:
  bool read_and_send_locked() {
    ++statistics_.reads;
    afl_read_options read_options = options_.read;
    read_options.on_warning = [this](const afl_warning& warning) {
      if (warning.what == afl_warning::kind::unknown_key) note_unknown(warning.key);
      if (options_.read.on_warning) options_.read.on_warning(warning);
    };
    auto stats = read_afl_stats(options_.stats_file, read_options);
    if (!stats) {
      ++statistics_.read_failures;
      statistics_.last_error = stats.error().message;
      return false;
    }
    statistics_.unknown_keys += stats->unknown;
    statistics_.invalid_values += stats->invalid;
    if (stats->torn_last_line) ++statistics_.torn_reads;
    if (!stats->has_fields()) {
      ++statistics_.empty_reads;
      return false;
    }
    try {
      sink_(stats->event);
      ++statistics_.events;
      return true;
    } catch (...) {
      // Telemetry must never take the fuzzing down; the loss is counted.
      ++statistics_.sink_failures;
      return false;
    }
  }

  void note_unknown(std::string_view key) {
    auto& keys = statistics_.distinct_unknown_keys;
    if (keys.size() < 64 && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.emplace_back(key);
  }

  Sink sink_;
  afl_reporter_options options_;
  mutable std::mutex mutex_;
  afl_reporter_statistics statistics_{};
  bool started_ = false;
  bool stopped_ = false;
  // Last: destroyed (joined) first, while everything its step uses is alive.
  detail::periodic_thread thread_;
};

}  // namespace onefuzz::telemetry::integrations
