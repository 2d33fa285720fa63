// file_watcher on Windows: ReadDirectoryChangesW with overlapped I/O on each directory, and
// a wait on their events and a stop event, which stop() sets. Included through
// integrations/file_watcher.hpp, which defines what is shared; empty elsewhere
// (file_watcher_linux.hpp), so that every header compiles on its own.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/detail/utf16.hpp>
#include <onefuzz/telemetry/integrations/file_watcher_types.hpp>

// <windows.h> without min/max macros or the rarely used APIs.
#include <onefuzz/telemetry/detail/windows_api.hpp>

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::integrations {

namespace detail {

// The fixed part of a FILE_NOTIFY_INFORMATION record: NextEntryOffset, Action and
// FileNameLength (in bytes), then the name in UTF-16, not NUL-terminated.
inline constexpr std::size_t notify_header_size = offsetof(FILE_NOTIFY_INFORMATION, FileName);
static_assert(notify_header_size == 3 * sizeof(DWORD));

// Calls visit(action, name) for each record of a completed read of `size` bytes. Every
// offset and length is checked against `size` before it is used, and the fields are copied
// out rather than read in place, so a short or damaged buffer ends the walk instead of
// reading past it. Returns false when it ended at a record that does not fit.
template <class Visit>
bool walk_notify_buffer(const std::byte* data, std::size_t size, Visit&& visit) {
  std::size_t at = 0;
  for (;;) {
    if (size - at < notify_header_size) return false;  // `at` never passes `size`
    DWORD fields[3] = {};
    std::memcpy(fields, data + at, sizeof fields);
    const DWORD next = fields[0];
    const DWORD action = fields[1];
    const DWORD name_bytes = fields[2];
    if (name_bytes % sizeof(wchar_t) != 0 || name_bytes > size - at - notify_header_size) return false;
    std::wstring name(name_bytes / sizeof(wchar_t), L'\0');
    if (name_bytes != 0) std::memcpy(name.data(), data + at + notify_header_size, name_bytes);
    visit(action, std::wstring_view{name});
    if (next == 0) return true;
    // Records follow each other and do not overlap. Windows aligns them to a DWORD, wine
    // does not: the fields are copied out, so alignment is not needed and not checked.
    if (next < notify_header_size + name_bytes || next > size - at) return false;
    at += next;
  }
}

inline std::string path_utf8(const std::filesystem::path& path) {
  std::string out;
  telemetry::detail::append_utf16_as_utf8(out, std::wstring_view{path.native()});
  return out;
}

}  // namespace detail

// Watches directories with ReadDirectoryChangesW (FILE_NOTIFY_CHANGE_FILE_NAME, the
// directory itself only) and calls a handler with each new file's name: a file created in,
// or renamed into, a watched directory. Windows reports no "closed after writing" as inotify
// does, so a file is reported when it appears, perhaps before it is complete. Each directory
// has a read in flight from construction on, so nothing that happens before run() is
// missed. run() waits on the reads' events and a stop event, so stop() from any thread ends
// it at once. At most 63 directories (one wait takes 64 handles).
class file_watcher {
 public:
  // Opens and watches every target. Throws std::system_error naming the directory when one
  // does not exist (unless create_missing), is not a directory, or cannot be watched;
  // nothing is left open then.
  explicit file_watcher(const std::vector<watch_target>& targets, file_watcher_options options = {})
      : options_(options) {
    if (targets.size() >= MAXIMUM_WAIT_OBJECTS) {
      throw_windows("at most " + std::to_string(MAXIMUM_WAIT_OBJECTS - 1) + " directories", ERROR_INVALID_PARAMETER);
    }
    stop_event_ = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (stop_event_ == nullptr) throw_windows("CreateEventW failed", ::GetLastError());
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
  // called, it delivers what has arrived and returns). When stop() is called, the reads
  // that have completed are delivered before run() returns. Exceptions from the handler
  // propagate (the watcher stays usable: the read is reissued before the handler runs).
  // Throws std::system_error if the wait fails.
  template <class Handler>
    requires std::invocable<Handler&, const file_event&>
  void run(Handler&& handler) {
    std::vector<HANDLE> waits;
    std::vector<watch*> owners;
    while (!stopped_.load(std::memory_order_acquire)) {
      waits.assign(1, stop_event_);
      owners.assign(1, nullptr);
      for (const auto& w : watches_) {
        if (w->armed) {
          waits.push_back(w->overlapped.hEvent);
          owners.push_back(w.get());
        }
      }
      const DWORD got = ::WaitForMultipleObjects(static_cast<DWORD>(waits.size()), waits.data(), FALSE, INFINITE);
      if (got == WAIT_FAILED) throw_windows("WaitForMultipleObjects failed", ::GetLastError());
      const DWORD index = got - WAIT_OBJECT_0;
      if (index == 0) break;  // the stop event
      if (index < owners.size()) complete(*owners[index], handler);
    }
    // What completed before stop() (a read reissued here completes at once when Windows
    // kept changes meanwhile); the bound keeps stop() prompt if writers keep adding files.
    for (int rounds = 0; rounds < 4096;) {
      bool delivered = false;
      for (const auto& w : watches_) {
        if (w->armed && complete(*w, handler)) {
          delivered = true;
          ++rounds;
        }
      }
      if (!delivered) break;
    }
  }

  // Makes run() return promptly (after delivering what has arrived; at once if it has not
  // started). Thread-safe (an atomic store and SetEvent). Idempotent.
  void stop() noexcept {
    stopped_.store(true, std::memory_order_release);
    ::SetEvent(stop_event_);
  }

  // A snapshot of the counters (each monotonic; readable from any thread).
  [[nodiscard]] file_watcher_statistics statistics() const noexcept {
    return {files_.load(std::memory_order_relaxed), ignored_.load(std::memory_order_relaxed),
            overflows_.load(std::memory_order_relaxed), watches_lost_.load(std::memory_order_relaxed)};
  }

 private:
  // 64 KB, DWORD-aligned: the most ReadDirectoryChangesW takes on a network share.
  static constexpr std::size_t buffer_dwords = 16 * 1024;

  struct watch {
    std::filesystem::path directory;
    watched_directory kind = watched_directory::crashes;
    HANDLE handle = INVALID_HANDLE_VALUE;
    OVERLAPPED overlapped{};
    std::vector<DWORD> buffer = std::vector<DWORD>(buffer_dwords);
    bool armed = false;  // a read is in flight
  };

  [[noreturn]] static void throw_windows(const std::string& what, DWORD error) {
    throw std::system_error(static_cast<int>(error), std::system_category(),
                            "onefuzz::telemetry::integrations::file_watcher: " + what);
  }

  void add(const watch_target& target) {
    const auto& dir = target.directory;
    const std::string name = detail::path_utf8(dir);
    std::error_code ec;
    if (options_.create_missing) std::filesystem::create_directories(dir, ec);
    if (ec) throw std::system_error(ec, "onefuzz::telemetry::integrations::file_watcher: cannot create '" + name + "'");
    const DWORD attributes = ::GetFileAttributesW(dir.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
        throw_windows("directory '" + name + "' does not exist (create it first, or set create_missing)", error);
      }
      throw_windows("cannot watch '" + name + "'", error);
    }
    if ((attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) throw_windows("cannot watch '" + name + "': not a directory", ERROR_DIRECTORY);

    auto w = std::make_unique<watch>();
    w->directory = dir;
    w->kind = target.kind;
    // FILE_SHARE_DELETE: the watch must not stop anyone from deleting or renaming the directory.
    w->handle = ::CreateFileW(dir.c_str(), FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
    if (w->handle == INVALID_HANDLE_VALUE) throw_windows("cannot open '" + name + "'", ::GetLastError());
    w->overlapped.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    const DWORD error = w->overlapped.hEvent == nullptr ? ::GetLastError() : arm(*w);
    if (error != ERROR_SUCCESS) {
      close(*w);
      throw_windows("cannot watch '" + name + "'", error);
    }
    watches_.push_back(std::move(w));
  }

  // Starts the next read. Windows keeps the changes that happen between two reads, within
  // its own buffer for the handle.
  static DWORD arm(watch& w) noexcept {
    const HANDLE event = w.overlapped.hEvent;
    ::ResetEvent(event);
    w.overlapped = OVERLAPPED{};
    w.overlapped.hEvent = event;
    if (!::ReadDirectoryChangesW(w.handle, w.buffer.data(), static_cast<DWORD>(w.buffer.size() * sizeof(DWORD)),
                                 FALSE, FILE_NOTIFY_CHANGE_FILE_NAME, nullptr, &w.overlapped, nullptr)) {
      return ::GetLastError();
    }
    w.armed = true;
    return ERROR_SUCCESS;
  }

  // Collects the new files of a completed read, reissues it, then hands them out. Returns
  // false when the read has not completed.
  template <class Handler>
  bool complete(watch& w, Handler& handler) {
    DWORD bytes = 0;
    if (!::GetOverlappedResult(w.handle, &w.overlapped, &bytes, FALSE)) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_IO_INCOMPLETE) return false;
      w.armed = false;
      if (error == ERROR_NOTIFY_ENUM_DIR) {
        overflows_.fetch_add(1, std::memory_order_relaxed);  // more changed than the buffer holds
        if (arm(w) != ERROR_SUCCESS) lose(w);
      } else {
        lose(w);  // the directory was deleted (ERROR_ACCESS_DENIED while the delete is pending)
      }
      return true;
    }
    w.armed = false;
    std::vector<file_event> found;
    if (bytes == 0) {
      overflows_.fetch_add(1, std::memory_order_relaxed);  // Windows' own buffer overflowed
    } else {
      const auto* data = reinterpret_cast<const std::byte*>(w.buffer.data());
      const std::size_t size = std::min<std::size_t>(bytes, w.buffer.size() * sizeof(DWORD));
      const bool whole = detail::walk_notify_buffer(data, size, [&](DWORD action, std::wstring_view name) {
        if (action != FILE_ACTION_ADDED && action != FILE_ACTION_RENAMED_NEW_NAME) return;
        collect(w, name, found);
      });
      if (!whole) overflows_.fetch_add(1, std::memory_order_relaxed);  // a damaged record: the rest is lost
    }
    if (arm(w) != ERROR_SUCCESS) lose(w);  // before the handler runs, so nothing is missed meanwhile
    for (const auto& event : found) {
      files_.fetch_add(1, std::memory_order_relaxed);
      handler(event);
    }
    return true;
  }

  void collect(const watch& w, std::wstring_view name, std::vector<file_event>& found) {
    const bool dotfile = !name.empty() && name.front() == L'.';
    // A name with a separator cannot come from the directory itself (no subtree is watched).
    const bool nested = name.find_first_of(L"\\/") != std::wstring_view::npos;
    bool directory = false;
    if (!name.empty() && !nested && !(options_.ignore_dotfiles && dotfile)) {
      // Only file names are asked for, but a file system may report a directory too.
      const DWORD attributes = ::GetFileAttributesW((w.directory / std::wstring{name}).c_str());
      directory = attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    }
    if (name.empty() || nested || directory || (options_.ignore_dotfiles && dotfile)) {
      ignored_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    file_event event{w.kind, {}};
    telemetry::detail::append_utf16_as_utf8(event.name, name);
    found.push_back(std::move(event));
  }

  void lose(watch& w) noexcept {
    watches_lost_.fetch_add(1, std::memory_order_relaxed);
    close(w);
  }

  // Cancels a read in flight and waits for it to end: the buffer must outlive it.
  static void close(watch& w) noexcept {
    if (w.armed) {
      ::CancelIoEx(w.handle, &w.overlapped);
      DWORD ignored = 0;
      ::GetOverlappedResult(w.handle, &w.overlapped, &ignored, TRUE);
      w.armed = false;
    }
    if (w.handle != INVALID_HANDLE_VALUE) ::CloseHandle(w.handle);
    if (w.overlapped.hEvent != nullptr) ::CloseHandle(w.overlapped.hEvent);
    w.handle = INVALID_HANDLE_VALUE;
    w.overlapped.hEvent = nullptr;
  }

  void close_all() noexcept {
    for (const auto& w : watches_) close(*w);
    watches_.clear();
    if (stop_event_ != nullptr) ::CloseHandle(stop_event_);
    stop_event_ = nullptr;
  }

  file_watcher_options options_;
  HANDLE stop_event_ = nullptr;
  std::vector<std::unique_ptr<watch>> watches_;  // run()'s thread only, after construction
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> files_{0};
  std::atomic<std::uint64_t> ignored_{0};
  std::atomic<std::uint64_t> overflows_{0};
  std::atomic<std::uint64_t> watches_lost_{0};
};

}  // namespace onefuzz::telemetry::integrations

#endif
