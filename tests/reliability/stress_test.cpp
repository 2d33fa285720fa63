// Lost wakeups: with a batch delay of ten minutes the worker sleeps until it is woken, so
// a flush or a shutdown whose notification were lost would hang; a watchdog turns that
// into an abort with a message. Rounds sweep the race window between emit and flush.
#include "sender_support.hpp"

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace stress_test {

using namespace sender_support;
using tel::testing::ingestion_server;

TEST_CASE("flush and shutdown never miss the worker's wakeup") {
  watchdog guard{"lost wakeup stress", 240s};
  ingestion_server server;
  const int rounds = 150;
  for (int round = 0; round < rounds; ++round) {
    auto options = fast_options(server.connection_string(instance_key));
    options.batching.max_delay = std::chrono::minutes{10};
    tel::transport::sender<> sender{options};
    sender.emit(coverage(static_cast<std::uint64_t>(round)));
    // A growing busy spin moves the flush across the worker's park.
    std::atomic<int> spin{0};
    while (spin.load(std::memory_order_relaxed) < (round % 50) * 100) spin.fetch_add(1, std::memory_order_relaxed);
    const bool flushed = sender.force_flush(20s);
    REQUIRE(flushed);
    if (round % 2 == 0) sender.emit(coverage(0));  // left for shutdown to deliver
    REQUIRE(sender.shutdown(20s));
    const auto s = sender.instance_statistics();
    REQUIRE(s.accepted == s.emitted);
  }
  CHECK(server.accepted_count(instance_key) == 2 * (rounds + rounds / 2));
}

TEST_CASE("concurrent flushes from several threads all return") {
  watchdog guard{"concurrent flush", 120s};
  ingestion_server server;
  auto options = fast_options(server.connection_string(instance_key));
  options.batching.max_delay = std::chrono::minutes{10};
  tel::transport::sender<> sender{options};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        sender.emit(coverage(static_cast<std::uint64_t>(t * 100 + i)));
        if (!sender.force_flush(20s)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(sender.shutdown(20s));
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 400);
  check_accounting(s);
}

}  // namespace stress_test
