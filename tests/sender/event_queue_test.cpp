// The lock-free ring under emit(): order, bounds, ownership, and many producers at once.
#include <onefuzz/telemetry/transport/event_queue.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

using onefuzz::telemetry::transport::event_queue;
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
