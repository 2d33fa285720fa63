// Defines event_queue: the bounded, lock-free ring between emit() and the sender's worker.
// Events are moved into fixed-size slots, so pushing allocates nothing and never waits
// for the worker or the network.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
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

// What push() did with an event.
enum class push_result { pushed, full, closed };

// A bounded multi-producer multi-consumer ring (D. Vyukov's design): each slot carries a
// sequence number that tells producers and consumers whose turn it is, so neither side
// takes a lock. Consumers are the sender's worker and, under the drop_oldest policy,
// producers evicting the oldest event. close() sets a bit in the producers' position word,
// so the compare-and-swap that claims a slot also checks that the queue is open: emit()
// needs no separate shutdown guard (each locked instruction on its path costs a few ns).
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
  [[nodiscard]] std::size_t tail_position() const noexcept {
    return tail_.load(std::memory_order_acquire) & ~closed_bit;
  }
  [[nodiscard]] std::size_t head_position() const noexcept { return head_.load(std::memory_order_acquire); }

  // Approximate number of queued events (exact when no push or pop is under way).
  [[nodiscard]] std::size_t size() const noexcept {
    const auto tail = tail_.load(std::memory_order_acquire) & ~closed_bit;
    const auto head = head_.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

  [[nodiscard]] bool closed() const noexcept { return (tail_.load(std::memory_order_acquire) & closed_bit) != 0; }

  // Refuses every later push, then waits until each push that had already claimed a slot
  // has finished writing it (a few instructions: nothing in between blocks), so that once
  // it returns, every event that will ever be in the queue is before tail_position() and
  // can be popped. Idempotent; returns tail_position().
  std::size_t close() noexcept {
    const std::size_t end = tail_.fetch_or(closed_bit, std::memory_order_acq_rel) & ~closed_bit;
    for (std::size_t position = head_.load(std::memory_order_acquire); position < end; ++position) {
      // A claimed slot holds `position` until its event is written (position + 1), and
      // more once it has been popped again.
      const auto& slot = cells_[position & mask_].sequence;
      while (static_cast<std::intptr_t>(slot.load(std::memory_order_acquire) - position) <= 0) {
      }
    }
    return end;
  }

  // Moves (or copies) event into a free slot with the given ops; false when full or closed.
  template <class E>
  bool try_push(E&& event, const queued_event_ops& ops) noexcept(
      std::is_nothrow_constructible_v<std::remove_cvref_t<E>, E&&>) {
    return push(std::forward<E>(event), ops) == push_result::pushed;
  }

  // Moves (or copies) event into a free slot with the given ops, unless the queue is full
  // or closed; an event that is not pushed is left as it was.
  template <class E>
  push_result push(E&& event, const queued_event_ops& ops) noexcept(
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
      // The closed bit makes the word differ from every open position, so a close() that
      // lands between the load and the swap fails the swap and is seen on the reload.
      if ((position & closed_bit) != 0) return push_result::closed;
      target = &cells_[position & mask_];
      const std::size_t sequence = target->sequence.load(std::memory_order_acquire);
      const auto difference = static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position);
      if (difference == 0) {
        if (tail_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) break;
      } else if (difference < 0) {
        return push_result::full;  // the slot still holds an event a lap behind
      } else {
        position = tail_.load(std::memory_order_relaxed);
      }
    }
    prefetch_for_push(position + prefetch_distance, sizeof(stored));
    ::new (static_cast<void*>(target->storage)) stored(std::forward<E>(event));
    target->ops = &ops;
    target->sequence.store(position + 1, std::memory_order_release);
    return push_result::pushed;
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
  // Positions never reach it: at 10^9 pushes a second it takes 290 years.
  static constexpr std::size_t closed_bit = std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1);

  struct alignas(64) cell {
    std::atomic<std::size_t> sequence{0};
    const queued_event_ops* ops = nullptr;
    alignas(std::max_align_t) std::byte storage[SlotSize];
  };

  // A slot's lines were last written by the consumer that emptied it, on another core;
  // writing them costs a transfer each (in emit_benchmark, about half of emit()'s time).
  // Asking for the lines of the slot a few pushes ahead lets that transfer overlap the
  // pushes in between. Only a hint: nothing is read or written.
  static constexpr std::size_t prefetch_distance = 8;
  void prefetch_for_push(std::size_t position, std::size_t event_size) const noexcept {
    const auto* slot = reinterpret_cast<const std::byte*>(&cells_[position & mask_]);
    const std::size_t used = offsetof(cell, storage) + event_size;
#if defined(__GNUC__) || defined(__clang__)
    for (std::size_t line = 0; line < used; line += 64) __builtin_prefetch(slot + line, 1, 3);
#else
    (void)slot;
    (void)used;
#endif
  }

  const std::size_t mask_;
  std::unique_ptr<cell[]> cells_;
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::atomic<std::size_t> head_{0};
};

}  // namespace onefuzz::telemetry::transport
