// The loopback ingestion server's shared, mutex-protected state: the known keys, the fault
// script, the request log and the accepted items, with condition-variable waits for tests.
#pragma once

#include "onefuzz/telemetry/testing/detail/envelope_rules.hpp"
#include "onefuzz/telemetry/testing/fault.hpp"
#include "onefuzz/telemetry/testing/ingestion_server_options.hpp"
#include "onefuzz/telemetry/testing/request_record.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::testing::detail {

class ingestion_state {
public:
  explicit ingestion_state(ingestion_server_options options) : options_(std::move(options)) {
    for (auto const& key : options_.accepted_keys) {
      accepted_keys_.insert(normalize_ikey(key));
    }
  }

  // Immutable after construction, so readable from any thread without the lock.
  ingestion_server_options const& options() const noexcept { return options_; }

  // Context for validate_envelope at this instant (with a snapshot of the known keys).
  validation_context validation() const {
    validation_context ctx{.now = options_.clock ? options_.clock() : std::chrono::system_clock::now()};
    std::lock_guard const lock(mutex_);
    ctx.accepted_keys = accepted_keys_;
    return ctx;
  }

  // Makes `key` known (case-insensitively) from now on.
  void accept_key(std::string_view key) {
    std::lock_guard const lock(mutex_);
    accepted_keys_.insert(normalize_ikey(key));
  }

  // Whether a request carrying `authorization` (the header's value, possibly empty) may
  // post to a path that requires Entra ID auth: true when no bearer tokens are configured,
  // else only for "Bearer <one of them>" (scheme case-insensitive, token exact).
  bool bearer_authorized(std::string_view authorization) const {
    if (options_.accepted_bearer_tokens.empty()) {
      return true;
    }
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      return false;
    }
    std::string_view const token = authorization.substr(scheme.size());
    return std::find(options_.accepted_bearer_tokens.begin(), options_.accepted_bearer_tokens.end(), token) !=
           options_.accepted_bearer_tokens.end();
  }

  // Appends faults to the script, in order.
  void push_faults(std::vector<fault> faults) {
    std::lock_guard const lock(mutex_);
    for (auto& f : faults) {
      faults_.push_back(std::move(f));
    }
  }

  // Removes and returns the next scripted fault, if any.
  std::optional<fault> pop_fault() {
    std::lock_guard const lock(mutex_);
    if (faults_.empty()) {
      return std::nullopt;
    }
    fault f = std::move(faults_.front());
    faults_.pop_front();
    return f;
  }

  std::size_t pending_faults() const {
    std::lock_guard const lock(mutex_);
    return faults_.size();
  }

  void clear_faults() {
    std::lock_guard const lock(mutex_);
    faults_.clear();
  }

  // Logs one request and wakes waiters.
  void record(request_record r) {
    {
      std::lock_guard const lock(mutex_);
      ++served_;
      log_.push_back(std::move(r));
      while (log_.size() > options_.max_log_entries) {
        log_.pop_front();
      }
    }
    changed_.notify_all();
  }

  std::size_t requests_served() const {
    std::lock_guard const lock(mutex_);
    return served_;
  }

  std::vector<request_record> requests() const {
    std::lock_guard const lock(mutex_);
    return {log_.begin(), log_.end()};
  }

  bool wait_for_requests(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return served_ >= n; });
  }

  // Stores accepted items under their (normalised) key and wakes waiters.
  void store(std::string const& key, std::vector<boost::json::object> items) {
    {
      std::lock_guard const lock(mutex_);
      auto& slot = store_[key];
      slot.total += items.size();
      for (auto& item : items) {
        slot.items.push_back(std::move(item));
      }
      while (slot.items.size() > options_.max_items_in_memory) {
        slot.items.pop_front();
      }
    }
    changed_.notify_all();
  }

  std::vector<boost::json::object> accepted(std::string_view key) const {
    std::lock_guard const lock(mutex_);
    auto const it = store_.find(normalize_ikey(key));
    if (it == store_.end()) {
      return {};
    }
    return {it->second.items.begin(), it->second.items.end()};
  }

  std::size_t accepted_count(std::string_view key) const {
    std::lock_guard const lock(mutex_);
    auto const it = store_.find(normalize_ikey(key));
    return it == store_.end() ? 0 : it->second.total;
  }

  bool wait_for_accepted(std::string_view key, std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    std::string const k = normalize_ikey(key);
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] {
      auto const it = store_.find(k);
      return it != store_.end() && it->second.total >= n;
    });
  }

private:
  struct stored_items {
    std::deque<boost::json::object> items;
    std::size_t total{0};
  };

  ingestion_server_options const options_;

  mutable std::mutex mutex_;
  std::set<std::string, std::less<>> accepted_keys_;
  mutable std::condition_variable changed_;
  std::deque<fault> faults_;
  std::deque<request_record> log_;
  std::size_t served_{0};
  std::map<std::string, stored_items, std::less<>> store_;
};

}  // namespace onefuzz::telemetry::testing::detail
