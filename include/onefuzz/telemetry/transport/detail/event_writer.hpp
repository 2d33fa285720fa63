// Defines event_writer: how the sender's worker serializes one event into the batch being
// filled for each destination: full payloads (and their metric twins) for the user's
// instance, central payloads for the central one, each in the destination's encoding.
#pragma once

#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <cstddef>
#include <optional>

namespace onefuzz::telemetry::transport {

// The service's documented limit on one telemetry item (64 KB; README.md, "Input handling").
inline constexpr std::size_t max_item_bytes = 64 * 1024;

namespace detail {

// Worker thread only. The central destination only ever receives write_central output: the
// full serializer is never instantiated with the central envelope.
template <telemetry_context C>
class event_writer {
 public:
  // Either destination may be absent (nullptr); those given must outlive the writer.
  event_writer(const sender_options& options, const C& context, destination* instance, destination* central)
      : instance_(instance),
        central_(central),
        context_(context),
        instance_encoding_(options.instance.encoding),
        central_encoding_(options.central.encoding) {
    if (instance_) {
      full_envelope_.emplace(envelope_options{.instrumentation_key = instance_->settings().instrumentation_key,
                                              .cloud_role = options.cloud_role,
                                              .role_instance = options.role_instance,
                                              .device_id = options.device_id});
    }
    if (central_) central_envelope_.emplace(central_->settings().instrumentation_key, options.cloud_role);
  }

  // Writes `event`, stamped `time`, into each destination's open batch.
  template <class E>
  void write(timestamp time, const E& event, std::size_t sealed_position) {
    if (instance_ && central_ && instance_encoding_ == central_encoding_) {
      auto& full = instance_->open_batch(time);
      auto& central = central_->open_batch(time);
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
        auto& full = instance_->open_batch(time);
        full.begin_item();
        const write_report report =
            instance_encoding_ == encoding::typed
                ? write_full<encoding::typed>(full.body(), *full_envelope_, time, event, context_)
                : write_full<encoding::onefuzz_compatible>(full.body(), *full_envelope_, time, event, context_);
        finish_item(*instance_, full, report, sealed_position);
      }
      if (central_) {
        auto& central = central_->open_batch(time);
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
        auto& full = instance_->open_batch(time);
        full.begin_item();
        finish_item(*instance_, full, write_metric_full(full.body(), *full_envelope_, time, event, context_),
                    sealed_position);
      }
      if (central_) {
        auto& central = central_->open_batch(time);
        central.begin_item();
        finish_item(*central_, central, write_metric_central(central.body(), *central_envelope_, time, event, context_),
                    sealed_position);
      }
    }
  }

 private:
  // Counts what the serializers changed; an item over max_item_bytes is taken back out and
  // dropped as too_large. A full batch is sealed: every event before `sealed_position` has
  // then left the queue.
  static void finish_item(destination& target, batch& open, const write_report& report, std::size_t sealed_position) {
    auto& counters = target.counters();
    if (report.truncated_values) counters.values_truncated.fetch_add(report.truncated_values, std::memory_order_relaxed);
    if (report.invalid_utf8_replaced)
      counters.invalid_utf8_replaced.fetch_add(report.invalid_utf8_replaced, std::memory_order_relaxed);
    if (report.non_finite_omitted) counters.non_finite_omitted.fetch_add(report.non_finite_omitted, std::memory_order_relaxed);
    if (report.out_of_range_enums) counters.out_of_range_enums.fetch_add(report.out_of_range_enums, std::memory_order_relaxed);
    if (report.projection_rejected)
      counters.projection_rejected.fetch_add(report.projection_rejected, std::memory_order_relaxed);
    if (open.current_item_size() > max_item_bytes) {
      open.discard_item();
      counters.drop(drop_reason::too_large, 1);
      return;
    }
    open.end_item();
    if (target.open_is_full()) target.seal(sealed_position);
  }


  destination* const instance_;
  destination* const central_;
  const C& context_;
  const encoding instance_encoding_;
  const encoding central_encoding_;
  std::optional<full_envelope> full_envelope_;
  std::optional<central_envelope> central_envelope_;
};

}  // namespace detail
}  // namespace onefuzz::telemetry::transport
