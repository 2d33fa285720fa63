// sample_process() on Windows: GetProcessMemoryInfo (PROCESS_MEMORY_COUNTERS_EX) and
// GetProcessTimes, as the original's sysinfo read them. Included through
// integrations/process_stats.hpp, which defines what is shared; empty elsewhere
// (process_stats_linux.hpp), so that every header compiles on its own.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/detail/utf16.hpp>
#include <onefuzz/telemetry/result.hpp>

// <windows.h> without min/max macros or the rarely used APIs.
#include <onefuzz/telemetry/detail/windows_api.hpp>
// After <windows.h>: GetProcessMemoryInfo resolves to K32GetProcessMemoryInfo in
// kernel32 (PSAPI_VERSION 2, Windows 7 and later), so nothing more needs linking.
#include <psapi.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

// A process id as the OS gives it (a DWORD).
using process_id = std::uint32_t;

// One reading of a process.
struct process_sample {
  process_id pid = 0;
  std::string name;                     // the executable's file name, UTF-8 ("fuzz.exe")
  char state = '?';                     // 'R' while it runs, 'X' once it has exited
  std::uint64_t virtual_memory_kb = 0;  // PrivateUsage (commit charge); wine reports 0
  std::uint64_t physical_memory_kb = 0; // WorkingSetSize
  std::uint64_t cpu_ticks = 0;          // user + kernel time, in 100 ns units
  std::chrono::steady_clock::time_point taken_at{};
};

namespace detail {

// The unit of process_sample::cpu_ticks (FILETIME's 100 ns), per second.
constexpr long cpu_ticks_per_second() noexcept { return 10'000'000; }

inline std::uint64_t filetime_ticks(const FILETIME& time) noexcept {
  return (static_cast<std::uint64_t>(time.dwHighDateTime) << 32) | time.dwLowDateTime;
}

// Closes a process handle when it goes out of scope.
class process_handle {
 public:
  explicit process_handle(HANDLE handle) noexcept : handle_(handle) {}
  process_handle(const process_handle&) = delete;
  process_handle& operator=(const process_handle&) = delete;
  ~process_handle() {
    if (handle_ != nullptr) ::CloseHandle(handle_);
  }
  [[nodiscard]] HANDLE get() const noexcept { return handle_; }

 private:
  HANDLE handle_;
};

// The error for a failed call; `code` is GetLastError(), read before anything else runs.
inline error windows_failure(std::string_view what, process_id pid, DWORD code) {
  return error{"sample_process: " + std::string{what} + " for process " +
                     std::to_string(pid) + " failed (Windows error " + std::to_string(code) + ")"};
}

// The file name of the process's executable, or "" when Windows does not say.
inline std::string executable_name(HANDLE process) {
  wchar_t path[MAX_PATH * 2] = {};
  DWORD size = sizeof path / sizeof path[0];
  if (!::QueryFullProcessImageNameW(process, 0, path, &size)) return {};
  std::wstring_view full{path, size};
  const auto slash = full.find_last_of(L"\\/");
  if (slash != std::wstring_view::npos) full.remove_prefix(slash + 1);
  std::string name;
  telemetry::detail::append_utf16_as_utf8(name, full);
  return name;
}

}  // namespace detail

// Reads the memory counters and CPU times of a process. The error names the call that
// failed and the Windows error code (a process that does not exist: 87, invalid parameter;
// one this user may not query: 5, access denied).
inline result<process_sample> sample_process(process_id pid) {
  process_sample sample;
  sample.pid = pid;
  sample.taken_at = std::chrono::steady_clock::now();
  const detail::process_handle process{
      ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, FALSE, pid)};
  if (process.get() == nullptr) return detail::windows_failure("OpenProcess", pid, ::GetLastError());

  PROCESS_MEMORY_COUNTERS_EX memory{};
  memory.cb = sizeof memory;
  if (!::GetProcessMemoryInfo(process.get(), reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&memory),
                              sizeof memory)) {
    return detail::windows_failure("GetProcessMemoryInfo", pid, ::GetLastError());
  }
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(process.get(), &created, &exited, &kernel, &user)) {
    return detail::windows_failure("GetProcessTimes", pid, ::GetLastError());
  }
  DWORD exit_code = 0;
  const bool running = ::GetExitCodeProcess(process.get(), &exit_code) && exit_code == STILL_ACTIVE;

  sample.name = detail::executable_name(process.get());
  sample.state = running ? 'R' : 'X';
  sample.virtual_memory_kb = static_cast<std::uint64_t>(memory.PrivateUsage) / 1024;
  sample.physical_memory_kb = static_cast<std::uint64_t>(memory.WorkingSetSize) / 1024;
  sample.cpu_ticks = detail::filetime_ticks(kernel) + detail::filetime_ticks(user);
  return sample;
}

namespace detail {

// What process_monitor samples: one process, by id.
class process_source {
 public:
  explicit process_source(process_id pid) noexcept : pid_(pid) {}

  result<process_sample> sample() const { return sample_process(pid_); }
  [[nodiscard]] process_id pid() const noexcept { return pid_; }

 private:
  process_id pid_;
};

}  // namespace detail

}  // namespace onefuzz::telemetry::integrations

#endif
