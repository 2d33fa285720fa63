// Defines what the integrations send events to: any callable taking the event, and
// emit_to(sender), which makes a transport::sender (or anything with emit) one.
#pragma once

#include <onefuzz/telemetry/event.hpp>

#include <concepts>
#include <functional>
#include <memory>

namespace onefuzz::telemetry::integrations {

// A callable the integrations can hand an event of type E to. Reporters call it from their
// own thread, with their lock held, so it must not call back into the reporter; it should
// not block either (transport::sender::emit never waits for the network).
template <class Sink, class E>
concept event_sink_for = telemetry_event<E> && std::invocable<Sink&, const E&>;

// Something with emit(event) for every event type, as transport::sender has.
template <class S, class E>
concept emitter_for = requires(S& s, const E& event) { s.emit(event); };

// A sink that emits every event through `target` (a transport::sender, or a test double
// with emit). Holds a reference: `target` must outlive the sink and whoever holds it.
template <class Target>
class emit_to {
 public:
  // Refers to `target`; copies refer to the same target.
  explicit emit_to(Target& target) noexcept : target_(std::addressof(target)) {}

  // Emits a copy of event; the target counts what it could not queue.
  template <telemetry_event E>
    requires emitter_for<Target, E>
  void operator()(const E& event) const {
    target_->emit(event);
  }

 private:
  Target* target_;
};

}  // namespace onefuzz::telemetry::integrations
