// Defines event_writer: how the sender's worker serializes one event into the batch being
// filled for each destination: full payloads (and their metric twins) for the user's
// instance, central payloads for the central one, each in the destination's encoding.
#pragma once

#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>

#include <cstddef>
#include <optional>

namespace onefuzz::telemetry::transport {

// The service's documented limit on one telemetry item (64 KB; README.md, "Input handling").
inline constexpr std::size_t max_item_bytes = 64 * 1024;

namespace detail {

// Behind pointers, and reached through the functions below, so that this header needs none of
// the destination's thread machinery (detail/destination.hpp).
class destination;

// What event_writer keeps that does not depend on the context type: the destinations, their
// encodings and envelopes, and how an item is counted once written. Not a template, so that
// with separate compilation (detail/config.hpp) it is compiled once, in src.hpp
// (impl/event_writer.ipp), not in every translation unit that constructs a sender.
class event_writer_base {
 protected:
  // Either destination may be absent (nullptr); those given must outlive the writer.
  ONEFUZZ_TELEMETRY_DECL event_writer_base(const sender_options& options, destination* instance, destination* central);

  // The destination's batch being filled (destination::open_batch).
  ONEFUZZ_TELEMETRY_DECL static batch& open_batch(destination& target, timestamp item_time);

  // Counts what the serializers changed; an item over max_item_bytes is taken back out and
  // dropped as too_large. A full batch is sealed: every event before `sealed_position` has
  // then left the queue.
  ONEFUZZ_TELEMETRY_DECL static void finish_item(destination& target, batch& open, const write_report& report,
                                                 std::size_t sealed_position);

  destination* const instance_;
  destination* const central_;
  const encoding instance_encoding_;
  const encoding central_encoding_;
  std::optional<full_envelope> full_envelope_;
  std::optional<central_envelope> central_envelope_;
};

// Worker thread only. The central destination only ever receives write_central output: the
// full serializer is never instantiated with the central envelope.
template <telemetry_context C>
class event_writer : private event_writer_base {
 public:
  // Either destination may be absent (nullptr); those given must outlive the writer.
  event_writer(const sender_options& options, const C& context, destination* instance, destination* central)
      : event_writer_base(options, instance, central), context_(context) {}

  // Writes `event`, stamped `time`, into each destination's open batch.
  template <class E>
  void write(timestamp time, const E& event, std::size_t sealed_position) {
    if (instance_ && central_ && instance_encoding_ == central_encoding_) {
      auto& full = open_batch(*instance_, time);
      auto& central = open_batch(*central_, time);
      full.begin_item();
      central.begin_item();
      const pair_report reports =
          instance_encoding_ == encoding::typed
              ? write_both<encoding::typed>(full.body(), *full_envelope_, central.body(), *central_envelope_,
                                            time, event, context_)
              : write_both<encoding::onefuzz_compatible>(full.body(), *full_envelope_, central.body(),
                                                         *central_envelope_, time, event, context_);
      finish_item(*instance_, full, reports.full, sealed_position);
      finish_item(*central_, central, reports.central, sealed_position);
    } else {
      if (instance_) {
        auto& full = open_batch(*instance_, time);
        full.begin_item();
        const write_report report =
            instance_encoding_ == encoding::typed
                ? write_full<encoding::typed>(full.body(), *full_envelope_, time, event, context_)
                : write_full<encoding::onefuzz_compatible>(full.body(), *full_envelope_, time, event, context_);
        finish_item(*instance_, full, report, sealed_position);
      }
      if (central_) {
        auto& central = open_batch(*central_, time);
        central.begin_item();
        const write_report report =
            central_encoding_ == encoding::typed
                ? write_central<encoding::typed>(central.body(), *central_envelope_, time, event, context_)
                : write_central<encoding::onefuzz_compatible>(central.body(), *central_envelope_, time, event,
                                                              context_);
        finish_item(*central_, central, report, sealed_position);
      }
    }
    if constexpr (has_metric_twin_v<E>) {
      if (instance_) {
        auto& full = open_batch(*instance_, time);
        full.begin_item();
        finish_item(*instance_, full, write_metric_full(full.body(), *full_envelope_, time, event, context_),
                    sealed_position);
      }
      if (central_) {
        auto& central = open_batch(*central_, time);
        central.begin_item();
        finish_item(*central_, central, write_metric_central(central.body(), *central_envelope_, time, event, context_),
                    sealed_position);
      }
    }
  }

 private:
  const C& context_;
};

}  // namespace detail
}  // namespace onefuzz::telemetry::transport

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/event_writer.ipp>
#endif
