// Defines periodic_thread: a thread that runs a step at the times the step asks for, wakes
// early on request, and stops promptly, so the reporters never sleep through a stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>

namespace onefuzz::telemetry::integrations::detail {

class periodic_thread {
 public:
  using clock = std::chrono::steady_clock;
  // Called with the current time; returns when it wants to be called next.
  using step_fn = std::function<clock::time_point(clock::time_point)>;

  periodic_thread() = default;
  periodic_thread(const periodic_thread&) = delete;
  periodic_thread& operator=(const periodic_thread&) = delete;
  ~periodic_thread() { stop(); }

  // Starts the thread; the first step runs at once. Not to be called twice without stop().
  void start(step_fn step) {
    woken_ = false;
    thread_ = std::jthread([this, step = std::move(step)](std::stop_token stop) {
      while (!stop.stop_requested()) {
        const auto next = step(clock::now());
        std::unique_lock lock(mutex_);
        wake_.wait_until(lock, stop, next, [&] { return woken_; });
        woken_ = false;
      }
    });
  }

  // Makes the thread run its step now (the step's schedule changed).
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    wake_.notify_all();
  }

  // Stops and joins the thread; a step under way finishes first. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }

  // Whether start() was called and stop() not yet.
  [[nodiscard]] bool running() const noexcept { return thread_.joinable(); }

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool woken_ = false;
  std::jthread thread_;
};

}  // namespace onefuzz::telemetry::integrations::detail
