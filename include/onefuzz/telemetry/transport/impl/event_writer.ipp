// detail::event_writer_base's member functions: included by detail/event_writer.hpp
// (header-only), or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/detail/event_writer.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

namespace onefuzz::telemetry::transport::detail {

ONEFUZZ_TELEMETRY_DECL event_writer_base::event_writer_base(const sender_options& options, destination* instance,
                                                            destination* central)
    : instance_(instance),
      central_(central),
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

ONEFUZZ_TELEMETRY_DECL batch& event_writer_base::open_batch(destination& target, timestamp item_time) {
  return target.open_batch(item_time);
}

ONEFUZZ_TELEMETRY_DECL void event_writer_base::finish_item(destination& target, batch& open,
                                                           const write_report& report, std::size_t sealed_position) {
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

}  // namespace onefuzz::telemetry::transport::detail
