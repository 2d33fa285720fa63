// file_watcher on Linux: inotify, with a poll() loop that stop() ends at once. Included
// through integrations/file_watcher.hpp, which defines what is shared; empty on Windows
// (file_watcher_windows.hpp), so that every header compiles on its own.
#pragma once

#if !defined(_WIN32)

#include <onefuzz/telemetry/integrations/file_watcher_types.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::integrations {

// Watches directories with inotify (IN_CLOSE_WRITE | IN_MOVED_TO: a file is reported once
// it is complete, whether written in place or renamed into place) and calls a handler with
// each new file's name. run() blocks in poll() on the inotify descriptor and an eventfd, so
// stop() from any thread (or a signal handler) ends it at once.
class file_watcher {
 public:
  // Opens inotify and watches every target. Throws std::system_error naming the directory
  // when one does not exist (unless create_missing), is not a directory, or cannot be
  // watched; nothing is left open then.
  explicit file_watcher(const std::vector<watch_target>& targets, file_watcher_options options = {})
      : options_(options) {
    inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) throw_errno("inotify_init1 failed");
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) {
      const int error = errno;
      close_all();
      throw_errno("eventfd failed", error);
    }
    try {
      for (const auto& target : targets) add(target);
    } catch (...) {
      close_all();
      throw;
    }
  }

  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  ~file_watcher() { close_all(); }

  // Calls handler(const file_event&) for each new file until stop() (if stop() was already
  // called, it delivers what is queued and returns). Events queued before run() are delivered, so a file written
  // between construction and run() is not missed; and when stop() is called, the events
  // already queued are delivered before run() returns, so every file closed before stop()
  // is reported (the kernel queues the event before close() returns). Exceptions from the
  // handler propagate (the watcher stays usable). Throws std::system_error if poll or read
  // fail for a reason other than EINTR.
  template <class Handler>
    requires std::invocable<Handler&, const file_event&>
  void run(Handler&& handler) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (!stopped_.load(std::memory_order_acquire)) {
      const int ready = ::poll(fds, 2, -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        throw_errno("poll failed");
      }
      if (fds[1].revents != 0) break;
      // One buffer per wake-up: poll() is level-triggered, so the rest comes next turn, and
      // a stop() in between is seen without first reading everything writers keep adding.
      if ((fds[0].revents & POLLIN) != 0) drain(handler, 1);
    }
    // What was queued before stop() is bounded by the kernel's max_queued_events (16384 by
    // default, 16 events a read); the bound on reads keeps stop() prompt even if writers
    // keep adding files meanwhile.
    drain(handler, 4096);
  }

  // Makes run() return promptly (after delivering what is already queued; at once if it
  // has not started). Thread-safe and async-signal-safe (an atomic store and a write to an
  // eventfd). Idempotent.
  void stop() noexcept {
    stopped_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    // The eventfd counter cannot overflow from a few writes; a failed write still leaves
    // `stopped_` set, which run() checks before each wait.
    [[maybe_unused]] const auto written = ::write(stop_fd_, &one, sizeof one);
  }

  // A snapshot of the counters (each monotonic; readable from any thread).
  [[nodiscard]] file_watcher_statistics statistics() const noexcept {
    return {files_.load(std::memory_order_relaxed), ignored_.load(std::memory_order_relaxed),
            overflows_.load(std::memory_order_relaxed), watches_lost_.load(std::memory_order_relaxed)};
  }

 private:
  [[noreturn]] static void throw_errno(const std::string& what, int error = errno) {
    throw std::system_error(error, std::generic_category(), "onefuzz::telemetry::integrations::file_watcher: " + what);
  }

  void add(const watch_target& target) {
    const auto& dir = target.directory;
    std::error_code ec;
    if (options_.create_missing) std::filesystem::create_directories(dir, ec);
    if (ec) throw_errno("cannot create '" + dir.string() + "'", ec.value());
    // IN_ONLYDIR makes a regular file fail with ENOTDIR instead of being watched.
    const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(),
                                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd < 0) {
      const int error = errno;
      if (error == ENOENT) {
        throw_errno("directory '" + dir.string() + "' does not exist (create it first, or set create_missing)", error);
      }
      throw_errno("cannot watch '" + dir.string() + "'", error);
    }
    watches_[wd] = target.kind;
  }

  // Reads and dispatches until the inotify queue is empty (the descriptor is non-blocking)
  // or `max_reads` reads were made.
  template <class Handler>
  void drain(Handler& handler, int max_reads) {
    alignas(inotify_event) char buffer[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
    for (int reads = 0; reads < max_reads;) {
      const ssize_t got = ::read(inotify_fd_, buffer, sizeof buffer);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        throw_errno("read from inotify failed");
      }
      if (got == 0) return;
      ++reads;
      dispatch(buffer, static_cast<std::size_t>(got), handler);
    }
  }

  template <class Handler>
  void dispatch(const char* buffer, std::size_t size, Handler& handler) {
    std::size_t at = 0;
    while (at + sizeof(inotify_event) <= size) {
      inotify_event header;
      std::memcpy(&header, buffer + at, sizeof header);
      const char* name_start = buffer + at + sizeof(inotify_event);
      at += sizeof(inotify_event) + header.len;
      if (header.mask & IN_Q_OVERFLOW) {
        overflows_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (header.mask & IN_IGNORED) {
        // The kernel removed the watch (directory deleted or its file system unmounted).
        if (watches_.erase(header.wd) != 0) watches_lost_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (header.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        if (header.mask & IN_MOVE_SELF) {
          // A moved directory keeps its watch, but its path no longer is what was asked
          // for; stop watching it so nothing is reported under the wrong meaning.
          ::inotify_rm_watch(inotify_fd_, header.wd);
        }
        continue;
      }
      const auto watch = watches_.find(header.wd);
      if (watch == watches_.end() || header.len == 0) continue;
      // The name is NUL-padded to len bytes.
      const std::string_view name(name_start, ::strnlen(name_start, header.len));
      if ((header.mask & IN_ISDIR) || name.empty() || (options_.ignore_dotfiles && name.front() == '.')) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      files_.fetch_add(1, std::memory_order_relaxed);
      handler(file_event{watch->second, std::string{name}});
    }
  }

  void close_all() noexcept {
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    if (stop_fd_ >= 0) ::close(stop_fd_);
    inotify_fd_ = -1;
    stop_fd_ = -1;
  }

  file_watcher_options options_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::map<int, watched_directory> watches_;  // run()'s thread only, after construction
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> files_{0};
  std::atomic<std::uint64_t> ignored_{0};
  std::atomic<std::uint64_t> overflows_{0};
  std::atomic<std::uint64_t> watches_lost_{0};
};

}  // namespace onefuzz::telemetry::integrations

#endif
