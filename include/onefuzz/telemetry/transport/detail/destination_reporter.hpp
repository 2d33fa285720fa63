// Defines destination_reporter: how a destination's parts (delivery, spool ledger, the
// destination itself) tell the operator about it: every record names the destination, and
// every failure is also kept as the statistics' last_failure.
#pragma once

#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport::detail {

class destination_reporter {
 public:
  destination_reporter(diagnostics_channel& channel, diagnostic_destination which,
                       sink_counters& counters) noexcept
      : channel_(channel), destination_(which), counters_(counters) {}

  // Whether a record of this severity would be told (so a costly message is not built for
  // nothing).
  [[nodiscard]] bool wants(diagnostic_severity severity) const noexcept { return channel_.wants(severity); }

  // Never call these while a destination's lock is held: a handler may call back into the
  // sender. Records built under a lock go through remember_failure() and are reported later.
  void report(diagnostic record) {
    record.destination = destination_;
    channel_.report(std::move(record));
  }
  // A failure: kept as the statistics' last_failure, then reported.
  void fail(diagnostic record) { report(remember_failure(std::move(record))); }

  // Keeps the failure as last_failure now and returns the record, to be reported once the
  // lock held meanwhile is released.
  [[nodiscard]] diagnostic remember_failure(diagnostic record) {
    record.destination = destination_;
    counters_.record_failure(to_last_failure(record, std::chrono::system_clock::now()));
    return record;
  }

 private:
  diagnostics_channel& channel_;
  const diagnostic_destination destination_;
  sink_counters& counters_;
};

// "host:port" of a URL, for diagnostics: never its path, query or user information (the
// connection string refuses those, but the label does not rely on it).
inline std::string endpoint_label(std::string_view url) {
  const auto scheme_end = url.find("://");
  std::string scheme{scheme_end == std::string_view::npos ? std::string_view{} : url.substr(0, scheme_end)};
  for (char& c : scheme) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  std::string_view authority = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  const bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                                   : authority.find(':') != std::string_view::npos;
  std::string label{authority};
  if (!has_port) label += scheme == "http" ? ":80" : ":443";
  return label;
}

inline std::string attempts_text(std::uint64_t attempts) {
  return " (" + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
}

}  // namespace onefuzz::telemetry::transport::detail
