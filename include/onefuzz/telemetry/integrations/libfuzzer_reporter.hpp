// Defines libfuzzer_reporter: feeds libFuzzer output into libfuzzer_totals and sends the
// runtime_stats event at start, on status lines (rate-limited) and periodically.
#pragma once

#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/periodic_thread.hpp>
#include <onefuzz/telemetry/integrations/event_sink.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_status.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_totals.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::integrations {

struct libfuzzer_reporter_options {
  // An event at least this often, whether or not the fuzzers print anything (the original's
  // RUNTIME_STATS_PERIOD). Measured from the last event sent, whatever caused it.
  std::chrono::milliseconds period{std::chrono::seconds{60}};
  // Status lines send at most one event per min_interval. The original sent one per line;
  // libFuzzer prints a line for every new input, hundreds a second at the start of a run,
  // and issue #173 was about telemetry costing more than the VMs. A line that arrives
  // within the interval is not lost: its totals are sent when the interval ends.
  std::chrono::milliseconds min_interval{std::chrono::seconds{1}};
};

// The reporter's schedule without threads or locks: it says when to send and what, given
// the time. libfuzzer_reporter drives it with the steady clock; tests drive it by hand.
class libfuzzer_schedule {
 public:
  using clock = std::chrono::steady_clock;
  using event_type = catalog::libfuzzer_runtime_stats;

  // Nothing is due before start().
  explicit libfuzzer_schedule(libfuzzer_reporter_options options = {}) : options_(options) {}

  // Marks the start; returns the first event (zeros, unless lines were recorded before).
  [[nodiscard]] event_type start(clock::time_point now) {
    started_ = true;
    return sent(now);
  }

  // Records a status line; returns the event to send now, or nothing when the last event
  // is younger than min_interval (the totals then go out at next_due()).
  [[nodiscard]] std::optional<event_type> on_status(clock::time_point now, std::uint64_t worker,
                                                    const catalog::run_id& run, const libfuzzer_status& status) {
    totals_.record(worker, run, status);
    return after_record(now);
  }

  // As on_status, for callers that do not track runs (see libfuzzer_totals::record).
  [[nodiscard]] std::optional<event_type> on_status(clock::time_point now, std::uint64_t worker,
                                                    const libfuzzer_status& status) {
    totals_.record(worker, status);
    return after_record(now);
  }

  // The event due at `now`, if any: held-back totals once min_interval has passed, or the
  // periodic event once `period` has passed since the last one.
  [[nodiscard]] std::optional<event_type> poll(clock::time_point now) {
    if (!started_) return std::nullopt;
    if (pending_ ? now >= last_sent_ + options_.min_interval : now >= last_sent_ + options_.period) {
      return sent(now);
    }
    return std::nullopt;
  }

  // When poll() will next return an event (meaningless before start()).
  [[nodiscard]] clock::time_point next_due() const noexcept {
    return last_sent_ + (pending_ ? options_.min_interval : options_.period);
  }

  // Whether recorded totals are waiting for the end of min_interval.
  [[nodiscard]] bool pending() const noexcept { return pending_; }

  // The totals recorded so far (sent or not).
  [[nodiscard]] const libfuzzer_totals& totals() const noexcept { return totals_; }

 private:
  std::optional<event_type> after_record(clock::time_point now) {
    if (!started_) return std::nullopt;
    if (now >= last_sent_ + options_.min_interval) return sent(now);
    pending_ = true;
    return std::nullopt;
  }

  event_type sent(clock::time_point now) {
    last_sent_ = now;
    pending_ = false;
    return totals_.event();
  }

  libfuzzer_reporter_options options_;
  libfuzzer_totals totals_;
  clock::time_point last_sent_{};
  bool started_ = false;
  bool pending_ = false;
};

// What a reporter has seen and done.
struct libfuzzer_reporter_statistics {
  std::uint64_t status_lines = 0;        // lines read as status lines
  std::uint64_t other_lines = 0;         // lines that are not status lines
  std::uint64_t out_of_range_lines = 0;  // status-shaped lines with a count over 2^64-1
  std::uint64_t events = 0;              // events handed to the sink
  std::uint64_t sink_failures = 0;       // sink calls that threw (the event is lost)
};

// Sends libFuzzer's runtime_stats through `Sink` (any callable taking the event, or
// emit_to(sender)):
//  - start(): one event with the current totals (zeros) at once, as the original;
//  - on_line()/on_status(): the totals, at most once per min_interval (see the options);
//  - a background thread: the totals every `period`, and held-back totals when
//    min_interval ends;
//  - stop(): held-back totals, then no more events.
// All member functions are thread-safe. The sink is called with the reporter's lock held,
// so events reach it in order; it must not call back into the reporter.
template <class Sink>
  requires event_sink_for<Sink, catalog::libfuzzer_runtime_stats>
class libfuzzer_reporter {
 public:
  using clock = std::chrono::steady_clock;

  // Nothing is sent and no thread runs before start().
  explicit libfuzzer_reporter(Sink sink, libfuzzer_reporter_options options = {})
      : sink_(std::move(sink)), schedule_(options) {}

  libfuzzer_reporter(const libfuzzer_reporter&) = delete;
  libfuzzer_reporter& operator=(const libfuzzer_reporter&) = delete;

  // Stops (see stop()).
  ~libfuzzer_reporter() { stop(); }

  // Sends the first event and starts the periodic thread. Only the first call does anything.
  void start() {
    {
      std::lock_guard lock(mutex_);
      if (started_) return;
      started_ = true;
      send(schedule_.start(clock::now()));
    }
    thread_.start([this](clock::time_point now) {
      std::lock_guard lock(mutex_);
      if (stopped_) return now + std::chrono::hours{1};
      if (auto event = schedule_.poll(now)) send(*event);
      return schedule_.next_due();
    });
  }

  // Reads one line of a worker's libFuzzer output (stderr); status lines update the totals.
  // Returns how the line was read.
  libfuzzer_line_kind on_line(std::uint64_t worker, const catalog::run_id& run, std::string_view line) {
    const auto read = read_libfuzzer_line(line);
    std::lock_guard lock(mutex_);
    count_line(read.kind);
    if (read.kind == libfuzzer_line_kind::status) record_locked(schedule_.on_status(clock::now(), worker, run, read.status));
    return read.kind;
  }

  // As on_line, for callers that do not track runs (see libfuzzer_totals::record).
  libfuzzer_line_kind on_line(std::uint64_t worker, std::string_view line) {
    const auto read = read_libfuzzer_line(line);
    std::lock_guard lock(mutex_);
    count_line(read.kind);
    if (read.kind == libfuzzer_line_kind::status) record_locked(schedule_.on_status(clock::now(), worker, read.status));
    return read.kind;
  }

  // Records a status already parsed.
  void on_status(std::uint64_t worker, const catalog::run_id& run, const libfuzzer_status& status) {
    std::lock_guard lock(mutex_);
    ++statistics_.status_lines;
    record_locked(schedule_.on_status(clock::now(), worker, run, status));
  }

  // Stops the thread and sends held-back totals; after it, lines are still counted but no
  // event is sent. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
      if (started_ && schedule_.pending()) send(schedule_.poll(clock::time_point::max()).value());
    }
    thread_.stop();
  }

  // The totals as they would be sent now.
  [[nodiscard]] catalog::libfuzzer_runtime_stats current() const {
    std::lock_guard lock(mutex_);
    return schedule_.totals().event();
  }

  // A snapshot of the counters.
  [[nodiscard]] libfuzzer_reporter_statistics statistics() const {
    std::lock_guard lock(mutex_);
    return statistics_;
  }

 private:
  void count_line(libfuzzer_line_kind kind) noexcept {
    switch (kind) {
      case libfuzzer_line_kind::status: ++statistics_.status_lines; break;
      case libfuzzer_line_kind::other: ++statistics_.other_lines; break;
      case libfuzzer_line_kind::out_of_range: ++statistics_.out_of_range_lines; break;
    }
  }

  void record_locked(std::optional<catalog::libfuzzer_runtime_stats> event) {
    if (stopped_) return;
    if (event) {
      send(*event);
    } else if (started_ && schedule_.pending()) {
      // The thread may be waiting for the periodic deadline; it must now wake at the end
      // of min_interval instead.
      thread_.wake();
    }
  }

  void send(const catalog::libfuzzer_runtime_stats& event) noexcept {
    try {
      sink_(event);
      ++statistics_.events;
    } catch (...) {
      // Telemetry must never take the fuzzing down; the loss is counted.
      ++statistics_.sink_failures;
    }
  }

  Sink sink_;
  mutable std::mutex mutex_;
  libfuzzer_schedule schedule_;
  libfuzzer_reporter_statistics statistics_{};
  bool started_ = false;
  bool stopped_ = false;
  // Last: destroyed (joined) first, while everything its step uses is alive.
  detail::periodic_thread thread_;
};

}  // namespace onefuzz::telemetry::integrations
