// Defines event_queue: the bounded, lock-free ring between emit() and the sender's worker.
// Events are moved into fixed-size slots, so pushing allocates nothing and never waits
// for the worker or the network.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry::transport {

// Bytes of event storage per queue slot; an event larger than this does not compile
// (see event_queue::try_push).
inline constexpr std::size_t default_slot_size = 448;

// What the worker does with a queued event, chosen at emit() time for its type.
struct queued_event_ops {
  // Serializes the event; `sink` is the worker's serialization target (opaque here).
  void (*process)(const void* event, void* sink) noexcept;
  void (*destroy)(void* event) noexcept;
  // Move-constructs the event at `to` and destroys it at `from`, so a consumer can free
  // the slot before the (slow) processing starts.
  void (*relocate)(void* from, void* to) noexcept;
  // How many telemetry items the event becomes per destination (2 with a metric twin),
  // so that an event dropped before serialization is counted as what it would have been.
  std::uint32_t items;
};

// A bounded multi-producer multi-consumer ring (D. Vyukov's design): each slot carries a
// sequence number that tells producers and consumers whose turn it is, so neither side
// takes a lock. Consumers are the sender's worker and, under the drop_oldest policy,
// producers evicting the oldest event.
template <std::size_t SlotSize = default_slot_size>
class event_queue {
 public:
  // capacity is rounded up to a power of two (at least 2).
  explicit event_queue(std::size_t capacity)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1),
        cells_(std::make_unique<cell[]>(mask_ + 1)) {
    for (std::size_t i = 0; i <= mask_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  event_queue(const event_queue&) = delete;
  event_queue& operator=(const event_queue&) = delete;

  ~event_queue() {
    while (try_pop([](const queued_event_ops&, const void*) noexcept {})) {
    }
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

  // Positions: every push takes the next tail position, every pop the next head position,
  // so `head_position() >= p` means every event pushed before position p has left the queue.
  [[nodiscard]] std::size_t tail_position() const noexcept { return tail_.load(std::memory_order_acquire); }
  [[nodiscard]] std::size_t head_position() const noexcept { return head_.load(std::memory_order_acquire); }

  // Approximate number of queued events (exact when no push or pop is under way).
  [[nodiscard]] std::size_t size() const noexcept {
    const auto tail = tail_.load(std::memory_order_acquire);
    const auto head = head_.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

  // Moves (or copies) event into a free slot with the given ops; false when full.
  template <class E>
  bool try_push(E&& event, const queued_event_ops& ops) noexcept(
      std::is_nothrow_constructible_v<std::remove_cvref_t<E>, E&&>) {
    using stored = std::remove_cvref_t<E>;
    static_assert(sizeof(stored) <= SlotSize,
                  "onefuzz::telemetry::transport::event_queue: this event is larger than a queue "
                  "slot; give the sender a larger SlotSize template argument");
    static_assert(alignof(stored) <= alignof(std::max_align_t),
                  "onefuzz::telemetry::transport::event_queue: over-aligned events are not supported");
    static_assert(std::is_nothrow_move_constructible_v<stored>,
                  "onefuzz::telemetry::transport::event_queue: events must be nothrow movable");
    std::size_t position = tail_.load(std::memory_order_relaxed);
    cell* target = nullptr;
    for (;;) {
      target = &cells_[position & mask_];
      const std::size_t sequence = target->sequence.load(std::memory_order_acquire);
      const auto difference = static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position);
      if (difference == 0) {
        if (tail_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) break;
      } else if (difference < 0) {
        return false;  // full: the slot still holds an event a lap behind
      } else {
        position = tail_.load(std::memory_order_relaxed);
      }
    }
    ::new (static_cast<void*>(target->storage)) stored(std::forward<E>(event));
    target->ops = &ops;
    target->sequence.store(position + 1, std::memory_order_release);
    return true;
  }

  // Takes the oldest event, moves it out of its slot (freeing the slot at once), calls
  // consume(ops, event) and destroys it; false when empty.
  template <class Consume>
  bool try_pop(Consume&& consume) noexcept {
    std::size_t position = head_.load(std::memory_order_relaxed);
    cell* source = nullptr;
    for (;;) {
      source = &cells_[position & mask_];
      const std::size_t sequence = source->sequence.load(std::memory_order_acquire);
      const auto difference =
          static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position + 1);
      if (difference == 0) {
        if (head_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) break;
      } else if (difference < 0) {
        return false;  // empty
      } else {
        position = head_.load(std::memory_order_relaxed);
      }
    }
    const queued_event_ops& ops = *source->ops;
    alignas(std::max_align_t) std::byte local[SlotSize];
    ops.relocate(source->storage, local);
    source->sequence.store(position + mask_ + 1, std::memory_order_release);
    consume(ops, static_cast<const void*>(local));
    ops.destroy(local);
    return true;
  }

 private:
  struct alignas(64) cell {
    std::atomic<std::size_t> sequence{0};
    const queued_event_ops* ops = nullptr;
    alignas(std::max_align_t) std::byte storage[SlotSize];
  };

  const std::size_t mask_;
  std::unique_ptr<cell[]> cells_;
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::atomic<std::size_t> head_{0};
};

}  // namespace onefuzz::telemetry::transport
