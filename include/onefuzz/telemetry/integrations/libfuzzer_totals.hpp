// Defines libfuzzer_totals: libFuzzer status summed over workers into the one
// runtime_stats the original sends (TotalStats, since PR #786), restarts included.
#pragma once

#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_status.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace onefuzz::telemetry::integrations {

// The totals of a set of libFuzzer workers (worker = one libFuzzer process slot, restarted
// as often as needed; run = one start of that process).
//
//   count     = for each worker, the last count of each of its runs, summed. A restart does
//               not take the worker's past iterations out of the total, as the original
//               (docs/integrations.md, "libFuzzer": Totals).
//   execs_sec = for each worker, the exec/s of its last status line, summed.
//
// Not thread-safe: the reporter guards it. Sums saturate at 2^64-1 instead of wrapping.
class libfuzzer_totals {
 public:
  // Records a status line of `worker`'s run `run`. A run id other than the worker's last one
  // starts a new run: the previous run's last count is kept in the total.
  void record(std::uint64_t worker, const catalog::run_id& run, const libfuzzer_status& status) {
    auto& state = workers_[worker];
    if (state.run && *state.run != run) close_run(state);
    state.run = run;
    update(state, status);
  }

  // Records a status line when the caller does not know run boundaries: a count lower than
  // the worker's last one can only come from a new process, so it starts a new run. (A new
  // run whose first count is already above the old run's last cannot be told apart; pass
  // run ids for exact totals.)
  void record(std::uint64_t worker, const libfuzzer_status& status) {
    auto& state = workers_[worker];
    if (state.seen && status.count < state.current_count) close_run(state);
    update(state, status);
  }

  // The sum over workers of every run's last count.
  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (const auto& [id, state] : workers_) {
      total = detail::saturating_add(total, detail::saturating_add(state.finished_runs, state.current_count));
    }
    return total;
  }

  // The sum over workers of the last exec/s each reported.
  [[nodiscard]] double execs_sec() const noexcept {
    double total = 0;
    for (const auto& [id, state] : workers_) total += state.execs_sec;
    return total;
  }

  // Workers that reported at least one status line.
  [[nodiscard]] std::size_t workers() const noexcept { return workers_.size(); }

  // The runtime_stats event the original sends: count and execs_sec only (the per-worker
  // worker_id and run_id went away with PR #786).
  [[nodiscard]] catalog::libfuzzer_runtime_stats event() const {
    catalog::libfuzzer_runtime_stats stats;
    stats.count = count();
    stats.execs_sec = execs_sec();
    return stats;
  }

 private:
  struct worker_state {
    std::optional<catalog::run_id> run;
    std::uint64_t finished_runs = 0;  // last counts of the worker's earlier runs, summed
    std::uint64_t current_count = 0;
    double execs_sec = 0;
    bool seen = false;
  };

  static void close_run(worker_state& state) noexcept {
    state.finished_runs = detail::saturating_add(state.finished_runs, state.current_count);
    state.current_count = 0;
  }

  static void update(worker_state& state, const libfuzzer_status& status) noexcept {
    state.current_count = status.count;
    state.execs_sec = status.execs_sec;
    state.seen = true;
  }

  std::map<std::uint64_t, worker_state> workers_;
};

}  // namespace onefuzz::telemetry::integrations
