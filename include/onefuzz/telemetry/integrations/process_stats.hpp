// Defines process sampling: memory in KB and CPU usage in percent between two samples, for
// the document era's process_stats event. Reading a process is the platform's part
// (process_stats_linux.hpp: /proc; process_stats_windows.hpp: GetProcessMemoryInfo and
// GetProcessTimes), each giving process_id, process_sample, sample_process() and
// detail::process_source; what is built from the samples is shared, below.
#pragma once

#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/result.hpp>

#if defined(_WIN32)
#include <onefuzz/telemetry/integrations/process_stats_windows.hpp>
#else
#include <onefuzz/telemetry/integrations/process_stats_linux.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::integrations {

// The state letter as the original reported process_status (the sysinfo crate's
// ProcessStatus names, which it printed with Display). Linux gives the letter of
// /proc/<pid>/stat; Windows has no such state, and a running process reads 'R', as
// sysinfo reported every Windows process as running.
constexpr std::string_view process_status_name(char state) noexcept {
  switch (state) {
    case 'R': return "Runnable";
    case 'S': return "Sleeping";
    case 'D': return "UninterruptibleDiskSleep";
    case 'Z': return "Zombie";
    case 'T': return "Stopped";
    case 't': return "Tracing";
    case 'X':
    case 'x': return "Dead";
    case 'K': return "Wakekill";
    case 'W': return "Waking";
    case 'P': return "Parked";
    case 'I': return "Idle";
    default: return "Unknown";
  }
}

// CPU used between two samples of one process, in percent of one CPU (a process busy on
// two cores shows 200, as the original's sysinfo did): the change in CPU time over the
// wall time between the samples. 0 when no time passed or the samples are out of order.
// ticks_per_second is the unit of process_sample::cpu_ticks (clock ticks on Linux, 100 ns
// on Windows).
inline float cpu_usage_percent(const process_sample& earlier, const process_sample& later,
                               long ticks_per_second = detail::cpu_ticks_per_second()) noexcept {
  const std::chrono::duration<double> wall = later.taken_at - earlier.taken_at;
  if (wall.count() <= 0 || ticks_per_second <= 0 || later.cpu_ticks < earlier.cpu_ticks) return 0.0F;
  const double cpu_seconds = static_cast<double>(later.cpu_ticks - earlier.cpu_ticks) / static_cast<double>(ticks_per_second);
  return static_cast<float>(100.0 * cpu_seconds / wall.count());
}

// The process_stats event for one libFuzzer worker from two samples of its process:
// memory from the later one, CPU between the two.
inline catalog::process_stats make_process_stats(const process_sample& earlier, const process_sample& later,
                                                 std::uint64_t worker_id, const catalog::run_id& run_id) {
  catalog::process_stats stats;
  stats.worker_id = worker_id;
  stats.run_id = run_id;
  stats.name = later.name;
  stats.pid = static_cast<std::uint32_t>(later.pid);
  stats.process_status = std::string{process_status_name(later.state)};
  stats.cpu_usage = cpu_usage_percent(earlier, later);
  stats.physical_memory = later.physical_memory_kb;
  stats.virtual_memory = later.virtual_memory_kb;
  return stats;
}

// Samples one process repeatedly and turns each pair of samples into process_stats.
class process_monitor {
 public:
  // Samples `pid`; nothing is read yet. On Linux a second argument names another /proc
  // root, for tests (detail::process_source).
  template <class... SourceOptions>
  explicit process_monitor(process_id pid, SourceOptions&&... options)
      : source_(pid, std::forward<SourceOptions>(options)...) {}

  // Takes a sample. The first call only takes the baseline and returns an error saying so;
  // later calls return the stats since the previous sample. A failed sample (the process
  // exited) keeps the previous baseline.
  result<catalog::process_stats> next(std::uint64_t worker_id, const catalog::run_id& run_id) {
    auto sample = source_.sample();
    if (!sample) return sample.error();
    if (!previous_) {
      previous_ = *sample;
      return error{"process_monitor: first sample taken; CPU usage needs a second one"};
    }
    auto stats = make_process_stats(*previous_, *sample, worker_id, run_id);
    previous_ = *sample;
    return stats;
  }

  // The process sampled.
  [[nodiscard]] process_id pid() const noexcept { return source_.pid(); }

 private:
  detail::process_source source_;
  std::optional<process_sample> previous_;
};

}  // namespace onefuzz::telemetry::integrations
