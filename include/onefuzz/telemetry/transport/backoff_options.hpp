// Defines backoff_options: how long a destination waits between failed requests. Apart from
// retry_policy.hpp (which needs libcurl to read Retry-After dates) so that sender_options.hpp
// can hold it without reaching <curl/curl.h>.
#pragma once

#include <chrono>

namespace onefuzz::telemetry::transport {

// Backoff settings; the defaults follow 1DS's shape (grow x2 to 5 min) with the 500 ms floor of
// the frigus02 OpenTelemetry exporter.
struct backoff_options {
  // The floor of every delay, including a server's Retry-After: even "Retry-After: 0" must not
  // turn into a tight loop against a struggling service.
  std::chrono::milliseconds min_delay{500};
  // The ceiling of the first draw; later ceilings grow by `multiplier`.
  std::chrono::milliseconds initial_delay{1000};
  // The ceiling of every delay, including Retry-After: a flush or shutdown waiting on the sender
  // must finish in bounded time. Quota refusals, which can last hours, are not retried anyway.
  std::chrono::milliseconds max_delay{std::chrono::minutes{5}};
  double multiplier = 2.0;
};

}  // namespace onefuzz::telemetry::transport
