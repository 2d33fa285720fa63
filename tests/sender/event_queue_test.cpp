// The lock-free ring under emit(): order, bounds, ownership, and many producers at once.
#include <onefuzz/telemetry/transport/event_queue.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace event_queue_test {

using onefuzz::telemetry::transport::event_queue;
using onefuzz::telemetry::transport::push_result;
using onefuzz::telemetry::transport::queued_event_ops;

namespace {

struct tracked {
  static inline std::atomic<int> alive{0};
  int value;
  std::unique_ptr<int> owned;  // move-only, like an event holding a string
  explicit tracked(int v) : value(v), owned(std::make_unique<int>(v)) { ++alive; }
  tracked(tracked&& other) noexcept : value(other.value), owned(std::move(other.owned)) { ++alive; }
  ~tracked() { --alive; }
};

struct collector {
  std::vector<int> values;
};

constexpr queued_event_ops tracked_ops{
    [](const void* event, void* sink) noexcept {
      static_cast<collector*>(sink)->values.push_back(static_cast<const tracked*>(event)->value);
    },
    [](void* event) noexcept { static_cast<tracked*>(event)->~tracked(); },
    [](void* from, void* to) noexcept {
      auto* source = static_cast<tracked*>(from);
      ::new (to) tracked(std::move(*source));
      source->~tracked();
    },
    1};

int pop_value(event_queue<>& queue) {
  collector sink;
  const bool popped = queue.try_pop([&](const queued_event_ops& ops, const void* event) noexcept {
    ops.process(event, &sink);
  });
  return popped ? sink.values.at(0) : -1;
}

}  // namespace

TEST_CASE("the queue is FIFO, bounded, and rounds its capacity up to a power of two") {
  event_queue<> queue{5};
  CHECK(queue.capacity() == 8);
  for (int i = 0; i < 8; ++i) CHECK(queue.try_push(tracked{i}, tracked_ops));
  CHECK_FALSE(queue.try_push(tracked{99}, tracked_ops));
  CHECK(queue.size() == 8);
  for (int i = 0; i < 8; ++i) CHECK(pop_value(queue) == i);
  CHECK(pop_value(queue) == -1);
  CHECK(queue.head_position() == 8);
  CHECK(queue.tail_position() == 8);
}

TEST_CASE("queued events are destroyed exactly once, also when the queue is destroyed") {
  tracked::alive = 0;
  {
    event_queue<> queue{4};
    for (int i = 0; i < 3; ++i) queue.try_push(tracked{i}, tracked_ops);
    CHECK(tracked::alive == 3);
    pop_value(queue);
    CHECK(tracked::alive == 2);
  }
  CHECK(tracked::alive == 0);
}

TEST_CASE("four producers and one consumer: every event arrives once") {
  constexpr int producers = 4;
  constexpr int per_producer = 20000;
  event_queue<> queue{64};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        while (!queue.try_push(tracked{p * per_producer + i}, tracked_ops)) std::this_thread::yield();
      }
      ++done;
    });
  }
  collector sink;
  std::vector<int> last_seen(producers, -1);
  bool in_order = true;
  while (sink.values.size() < static_cast<std::size_t>(producers * per_producer)) {
    const std::size_t before = sink.values.size();
    queue.try_pop([&](const queued_event_ops& ops, const void* event) noexcept { ops.process(event, &sink); });
    if (sink.values.size() > before) {
      const int value = sink.values.back();
      const int producer = value / per_producer;
      // Events of one producer leave in the order it pushed them.
      if (value <= last_seen[producer]) in_order = false;
      last_seen[producer] = value;
    } else {
      std::this_thread::yield();
    }
  }
  for (auto& t : threads) t.join();
  CHECK(done == producers);
  CHECK(in_order);
  CHECK(std::set<int>(sink.values.begin(), sink.values.end()).size() == sink.values.size());
  CHECK(pop_value(queue) == -1);
}

// --- close() ----------------------------------------------------------------------------
namespace {

struct number {
  std::uint64_t value;
};

constexpr queued_event_ops number_ops{
    [](const void* event, void* sink) noexcept {
      *static_cast<std::uint64_t*>(sink) += static_cast<const number*>(event)->value;
    },
    [](void*) noexcept {},
    [](void* from, void* to) noexcept { ::new (to) number(*static_cast<number*>(from)); },
    1};

bool pop_into(event_queue<>& queue, std::uint64_t& sum) {
  return queue.try_pop([&](const queued_event_ops& ops, const void* event) noexcept { ops.process(event, &sum); });
}

}  // namespace

TEST_CASE("close() refuses later pushes, tells them from a full queue, and keeps what was queued") {
  event_queue<> queue{4};
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(queue.push(number{i}, number_ops) == push_result::pushed);
  CHECK_FALSE(queue.closed());
  CHECK(queue.close() == 3);
  CHECK(queue.closed());
  CHECK(queue.push(number{100}, number_ops) == push_result::closed);
  CHECK_FALSE(queue.try_push(number{100}, number_ops));
  CHECK(queue.tail_position() == 3);  // the closed bit is not a position
  CHECK(queue.size() == 3);
  CHECK(queue.close() == 3);  // idempotent
  std::uint64_t sum = 0;
  while (pop_into(queue, sum)) {
  }
  CHECK(sum == 1 + 2 + 3);
  CHECK(queue.head_position() == 3);

  event_queue<> full{2};
  CHECK(full.push(number{1}, number_ops) == push_result::pushed);
  CHECK(full.push(number{2}, number_ops) == push_result::pushed);
  CHECK(full.push(number{3}, number_ops) == push_result::full);
  full.close();
  CHECK(full.push(number{3}, number_ops) == push_result::closed);  // closed wins over full
}

TEST_CASE("after close() returns, every event pushed before it can be popped and none comes after") {
  for (int round = 0; round < 20; ++round) {
    event_queue<> queue{64};
    constexpr int producers = 4;
    std::atomic<bool> go{false};
    std::atomic<std::uint64_t> pushed_sum{0};
    std::atomic<std::uint64_t> late_pushes{0};  // pushed after close() returned: must stay 0
    std::atomic<bool> close_returned{false};
    std::uint64_t popped_sum = 0;
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        while (!go.load()) std::this_thread::yield();
        for (std::uint64_t i = 1;; ++i) {
          const std::uint64_t value = i * producers + static_cast<std::uint64_t>(p);
          const bool was_closed = close_returned.load(std::memory_order_acquire);
          const push_result result = queue.push(number{value}, number_ops);
          if (result == push_result::pushed) {
            pushed_sum.fetch_add(value);
            if (was_closed) late_pushes.fetch_add(1);
          } else if (result == push_result::closed) {
            return;
          } else {
            std::this_thread::yield();
          }
        }
      });
    }
    std::thread consumer([&] {
      while (!go.load()) std::this_thread::yield();
      while (!close_returned.load(std::memory_order_acquire)) pop_into(queue, popped_sum);
    });
    go.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::size_t end = queue.close();
    close_returned.store(true, std::memory_order_release);
    consumer.join();
    // Every slot before `end` is written: the rest pops without waiting for a producer.
    while (pop_into(queue, popped_sum)) {
    }
    CHECK(queue.head_position() == end);
    for (auto& thread : threads) thread.join();
    CHECK(late_pushes.load() == 0);
    CHECK(queue.tail_position() == end);
    CHECK(popped_sum == pushed_sum.load());
  }
}

}  // namespace event_queue_test
