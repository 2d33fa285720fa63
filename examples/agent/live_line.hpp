// The demo's live line: once a second while it fuzzes, one line on stdout with what the
// fuzzers did so far and what each destination accepted, e.g.
//   live t=3s  execs=262154    exec/s=43690   cov=11    corpus=26    crashes=1    accepted: instance=41 central=41
// A new line each second rather than one line rewritten with '\r', so the output reads the
// same in a terminal, a pipe and a log file; key=value fields, so scripts (and the example
// tests) can read it. Example code, not part of the library.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

namespace demo {

// What one live line shows.
struct live_sample {
  std::uint64_t execs = 0;      // executions, summed over workers and runs (libFuzzer's "#N")
  std::uint64_t execs_sec = 0;  // libFuzzer's exec/s, summed over workers
  std::uint64_t cov = 0;        // the most edges any worker reported covering (libFuzzer's "cov:")
  std::uint64_t corpus = 0;     // files the corpus directory gained
  std::uint64_t crashes = 0;    // files the crash directory gained
  std::uint64_t instance_accepted = 0;
  std::optional<std::uint64_t> central_accepted;  // nothing: no central destination
};

// Printed once before the first live line: what the fields mean, and why exec/s reads 0 at
// first (--help says the same).
inline constexpr const char* live_line_legend =
    "  Once a second, a live line: execs and exec/s (from each worker's last status line, summed),\n"
    "  cov (edges covered, libFuzzer's cov:), corpus and crash files found, and the items each\n"
    "  destination has accepted so far. libFuzzer reports exec/s as a whole number (executions /\n"
    "  whole seconds since the worker started), so it reads 0 in a run's first second.\n";

// One line; the numbers are padded so the columns stay put as they grow.
inline std::string format_live_line(std::chrono::seconds elapsed, const live_sample& s) {
  char central[24] = "off";
  if (s.central_accepted) {
    std::snprintf(central, sizeof central, "%llu", static_cast<unsigned long long>(*s.central_accepted));
  }
  char line[320];  // room for every field at its widest (20 digits)
  std::snprintf(line, sizeof line,
                "  live t=%llds  execs=%-9llu exec/s=%-7llu cov=%-5llu corpus=%-5llu crashes=%-4llu "
                "accepted: instance=%llu central=%s",
                static_cast<long long>(elapsed.count()), static_cast<unsigned long long>(s.execs),
                static_cast<unsigned long long>(s.execs_sec), static_cast<unsigned long long>(s.cov),
                static_cast<unsigned long long>(s.corpus), static_cast<unsigned long long>(s.crashes),
                static_cast<unsigned long long>(s.instance_accepted), central);
  return line;
}

// The edges a libFuzzer status line reports ("#4096 pulse cov: 11 ft: 13 ..."); nothing for
// other lines. The library's parser reads only the count and exec/s, which runtime_stats
// carries; coverage is shown here, not sent.
inline std::optional<std::uint64_t> libfuzzer_cov(std::string_view line) {
  if (line.empty() || line.front() != '#') return std::nullopt;
  const auto at = line.find(" cov: ");
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  bool digits = false;
  for (std::size_t i = at + 6; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;  // not a count libFuzzer prints
    value = value * 10 + static_cast<std::uint64_t>(line[i] - '0');
    digits = true;
  }
  return digits ? std::optional{value} : std::nullopt;
}

// Prints format_live_line(sample()) at 1 s, 2 s, ... after construction, from its own thread
// (the fuzzing loop blocks in poll(), a replay in sleeps), until stop() or destruction.
class live_line {
 public:
  using clock = std::chrono::steady_clock;

  explicit live_line(std::function<live_sample()> sample)
      : sample_(std::move(sample)), start_(clock::now()), thread_([this](std::stop_token stop) { run(stop); }) {}

  live_line(const live_line&) = delete;
  live_line& operator=(const live_line&) = delete;
  ~live_line() { stop(); }

  // No line after this returns.
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    for (std::chrono::seconds elapsed{1};; ++elapsed) {
      // Wakes at the second, or at once when stop is requested.
      if (wake_.wait_until(lock, stop, start_ + elapsed, [] { return false; }) || stop.stop_requested()) return;
      const auto text = format_live_line(elapsed, sample_());
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
    }
  }

  std::function<live_sample()> sample_;
  clock::time_point start_;
  std::mutex mutex_;  // only for wait_until; nothing else is shared through it
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started once everything it uses exists
};

}  // namespace demo
