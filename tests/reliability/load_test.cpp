// Load: four producers emit as fast as they can for 30 s (ONEFUZZ_LOAD_SECONDS) against
// a destination in outage. Memory stays within the configured bounds, emit() latency
// stays flat, and nothing deadlocks (a watchdog aborts with a message).
#include "sender_support.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace load_test {

using namespace sender_support;
using tel::transport::drop_reason;

namespace {

// Peak resident set size of this process, in KiB (VmHWM).
long peak_rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

std::chrono::seconds load_seconds() {
  const char* text = std::getenv("ONEFUZZ_LOAD_SECONDS");
  const int seconds = text ? std::atoi(text) : 30;
  return std::chrono::seconds{std::clamp(seconds, 1, 600)};
}

}  // namespace

TEST_CASE("four producers against an outage: bounded memory, flat emit latency, no deadlock") {
  const auto duration = load_seconds();
  watchdog guard{"load", duration + 120s};
  const long baseline_kib = peak_rss_kib();

  auto options = fast_options(connection_string_for_port(closed_port(), instance_key),
                             connection_string_for_port(closed_port(), central_key));
  options.queue_capacity = 8192;
  options.retry.max_attempts = 3;
  tel::transport::sender<cat::task_context> sender{options, cat::task_context{}};

  constexpr int producers = 4;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto stop_at = start + duration;
  // Per producer, per second of the run: the median emit() latency in ns.
  std::vector<std::vector<double>> medians(producers);
  std::vector<std::uint64_t> emitted(producers, 0);
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::vector<double> samples;
      samples.reserve(1 << 16);
      auto second_end = clock::now() + 1s;
      std::uint64_t i = 0;
      while (clock::now() < stop_at) {
        // Time one call in 64: timing every call would cost more than emit() itself.
        if ((i & 63) == 0) {
          const auto before = clock::now();
          sender.emit(coverage(i));
          samples.push_back(std::chrono::duration<double, std::nano>(clock::now() - before).count());
        } else {
          sender.emit(coverage(i));
        }
        ++i;
        if (clock::now() >= second_end) {
          std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
          if (!samples.empty()) medians[p].push_back(samples[samples.size() / 2]);
          samples.clear();
          second_end += 1s;
        }
      }
      emitted[p] = i;
    });
  }
  for (auto& t : threads) t.join();
  // Against an outage shutdown cannot deliver; it must still return by its deadline.
  const auto shutdown_start = clock::now();
  sender.shutdown(2s);
  CHECK(clock::now() - shutdown_start < 10s);

  std::uint64_t total = 0;
  for (auto n : emitted) total += n;
  const auto s = sender.instance_statistics();
  CHECK(s.emitted == 2 * total);  // coverage_data has a metric twin
  check_accounting(s);
  check_accounting(*sender.central_statistics());
  CHECK(s.accepted == 0);
  CHECK(s.dropped_by(drop_reason::queue_full) > 0);

  const long peak_kib = peak_rss_kib();
  std::printf("load: %llu events in %lld s from %d threads; peak RSS %ld KiB (baseline %ld KiB)\n",
              static_cast<unsigned long long>(total), static_cast<long long>(duration.count()), producers,
              peak_kib, baseline_kib);
  // The bounds: 8192 queue slots of ~0.5 KiB, and per destination at most 32 pending
  // batches of at most 1 MiB plus the open one and the pool: well under 200 MiB.
  if (!sanitized) CHECK(peak_kib - baseline_kib < 200 * 1024);

  // Flat latency: the median of the last seconds is not far above that of the first.
  for (int p = 0; p < producers; ++p) {
    const auto& m = medians[p];
    if (m.size() < 4) continue;
    const double first = std::max(m[0], m[1]);
    const double last = std::max(m[m.size() - 1], m[m.size() - 2]);
    std::printf("load: producer %d median emit %.0f ns in the first seconds, %.0f ns in the last\n", p, first, last);
    CHECK(last <= 4 * first + 2000);
  }
}

}  // namespace load_test
