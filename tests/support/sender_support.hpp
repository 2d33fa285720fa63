// Shared pieces of the sender and reliability tests: keys, sender options with short
// waits, the accounting identity, and a watchdog that turns a hang into a clear failure.
#pragma once

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/testing/ingestion_server.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sender_support {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
using namespace std::chrono_literals;

inline constexpr const char* instance_key = "11111111-1111-4111-8111-111111111111";
inline constexpr const char* central_key = "22222222-2222-4222-8222-222222222222";

inline const char* no_environment(const char*) { return nullptr; }

// Makes options' environment hold ONEFUZZ_TELEMETRY=connection (the central destination's
// variable) and nothing else. getenv is a plain function pointer, so the value lives in one
// static string: it serves the sender constructed last.
inline void central_in_environment(tel::transport::sender_options& options, std::string connection) {
  static std::string value;
  value = std::move(connection);
  options.getenv = [](const char* name) -> const char* {
    return std::string_view{name} == "ONEFUZZ_TELEMETRY" ? value.c_str() : nullptr;
  };
}

// Options for a sender posting to local servers, with waits short enough for tests (the
// policy is the same as with the defaults).
inline tel::transport::sender_options fast_options(const std::string& instance_connection,
                                                   const std::string& central_connection = {}) {
  tel::transport::sender_options options;
  options.destinations.instance = instance_connection;
  if (!central_connection.empty()) options.destinations.central = central_connection;
  options.getenv = &no_environment;
  options.batching.max_delay = 20ms;
  options.retry.backoff = {.min_delay = 2ms, .initial_delay = 5ms, .max_delay = 50ms, .multiplier = 2.0};
  options.retry.quota_pause = 5ms;
  options.http.connect_timeout = 2s;
  options.http.total_timeout = 5s;
  return options;
}

inline cat::coverage_data coverage(std::uint64_t covered) {
  cat::coverage_data ev;
  ev.covered = covered;
  ev.features = 1000u;
  ev.rate = static_cast<double>(covered) / 1000.0;
  return ev;
}

// Every item emitted (or restored from a spool) is accepted, dropped with a reason, or
// spooled: nothing is lost uncounted.
inline void check_accounting(const tel::transport::sink_statistics& s) {
  INFO("emitted " << s.emitted << " restored " << s.restored << " accepted " << s.accepted << " dropped "
                  << s.dropped_total() << " spooled " << s.spooled);
  CHECK(s.emitted + s.restored == s.accepted + s.dropped_total() + s.spooled);
}

// Aborts the process with a message when the guarded scope outlives its limit, so that a
// deadlock fails the test run instead of hanging CI.
class watchdog {
 public:
  watchdog(std::string what, std::chrono::seconds limit) : what_(std::move(what)) {
    thread_ = std::thread([this, limit] {
      std::unique_lock lock(mutex_);
      if (!done_cv_.wait_for(lock, limit, [&] { return done_; })) {
        std::fprintf(stderr, "watchdog: '%s' did not finish within %lld s: a deadlock or a lost wakeup\n",
                     what_.c_str(), static_cast<long long>(limit.count()));
        std::abort();
      }
    });
  }
  ~watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }

 private:
  std::string what_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

// A loopback port where nothing listens: a server is bound, its port read, and stopped.
inline std::uint16_t closed_port() {
  tel::testing::ingestion_server probe;
  const auto port = probe.port();
  probe.stop();
  return port;
}

// A diagnostics handler that keeps every record it is given. The records live in shared
// state the handler co-owns, so a sender that reports from its destructor cannot outlive
// them. Thread-safe.
class diagnostics_capture {
 public:
  using diagnostic = tel::transport::diagnostic;
  using kind = tel::transport::diagnostic_kind;

  // Options that hand every record from `minimum` up to this capture; a rate limit of zero
  // lets each through.
  [[nodiscard]] tel::transport::diagnostics_options options(
      std::chrono::milliseconds rate_limit = std::chrono::milliseconds{0},
      tel::transport::diagnostic_severity minimum = tel::transport::diagnostic_severity::info) const {
    return {.handler =
                [state = state_](const diagnostic& record) {
                  {
                    std::lock_guard lock(state->mutex);
                    state->records.push_back(record);
                  }
                  state->arrived.notify_all();
                },
            .minimum = minimum,
            .rate_limit = rate_limit};
  }

  [[nodiscard]] std::vector<diagnostic> records() const {
    std::lock_guard lock(state_->mutex);
    return state_->records;
  }
  [[nodiscard]] std::vector<diagnostic> of_kind(kind wanted) const {
    std::vector<diagnostic> found;
    for (auto& record : records())
      if (record.kind == wanted) found.push_back(std::move(record));
    return found;
  }
  // Waits until a record of this kind arrives; false at the timeout.
  bool wait_for(kind wanted, std::chrono::milliseconds timeout = std::chrono::seconds{5}) const {
    std::unique_lock lock(state_->mutex);
    return state_->arrived.wait_for(lock, timeout, [&] {
      return std::any_of(state_->records.begin(), state_->records.end(),
                         [&](const diagnostic& record) { return record.kind == wanted; });
    });
  }

 private:
  struct state {
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<diagnostic> records;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

inline std::string connection_string_for_port(std::uint16_t port, std::string_view key) {
  return "InstrumentationKey=" + std::string{key} + ";IngestionEndpoint=http://127.0.0.1:" + std::to_string(port) + "/";
}

}  // namespace sender_support
