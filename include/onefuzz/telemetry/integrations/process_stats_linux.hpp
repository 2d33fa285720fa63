// sample_process() on Linux: /proc/<pid>/stat and /proc/<pid>/status. Included through
// integrations/process_stats.hpp, which defines process_sample and what is shared; empty on
// Windows (process_stats_windows.hpp), so that every header compiles on its own.
#pragma once

#if !defined(_WIN32)

#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::integrations {

// A process id as the OS gives it.
using process_id = pid_t;

// One reading of a process.
struct process_sample {
  pid_t pid = 0;
  std::string name;                     // /proc/<pid>/status Name (the kernel's comm, <= 15 chars)
  char state = '?';                     // /proc/<pid>/stat state letter (R, S, D, Z, T, ...)
  std::uint64_t virtual_memory_kb = 0;  // VmSize; 0 for zombies and kernel threads, which have none
  std::uint64_t physical_memory_kb = 0; // VmRSS; 0 likewise
  std::uint64_t cpu_ticks = 0;          // utime + stime, in clock ticks (sysconf(_SC_CLK_TCK))
  std::chrono::steady_clock::time_point taken_at{};
};

namespace detail {

// The whole of a small /proc file (they report a size of 0, so read until EOF).
inline std::optional<std::string> read_proc_file(const std::filesystem::path& path, int& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = errno;
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> chunk{};
  while (file.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || file.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(file.gcount()));
    if (text.size() > 1024 * 1024) break;  // no /proc status file is near this
  }
  return text;
}

// The number of kB on a "Key:   1234 kB" line of /proc/<pid>/status, or nullopt.
inline std::optional<std::uint64_t> status_kb(std::string_view status, std::string_view key) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string_view::npos) end = status.size();
    const std::string_view line = status.substr(at, end - at);
    at = end + 1;
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::string_view value = trim(line.substr(key.size() + 1));
      if (value.ends_with("kB")) value = trim(value.substr(0, value.size() - 2));
      return parse_u64(value);
    }
  }
  return std::nullopt;
}

inline std::string status_text(std::string_view status, std::string_view key) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string_view::npos) end = status.size();
    const std::string_view line = status.substr(at, end - at);
    at = end + 1;
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      // Name is the only value with meaningful inner spaces; trim the tab after ':'.
      return std::string{trim(line.substr(key.size() + 1))};
    }
  }
  return {};
}

// The unit of process_sample::cpu_ticks, per second.
inline long cpu_ticks_per_second() noexcept { return ::sysconf(_SC_CLK_TCK); }

}  // namespace detail

// Reads /proc/<pid>/stat and /proc/<pid>/status (under `proc_root`, for tests). The error
// names the file and the reason (a process that exited gives "No such file or directory").
inline result<process_sample> sample_process(pid_t pid, const std::filesystem::path& proc_root = "/proc") {
  process_sample sample;
  sample.pid = pid;
  sample.taken_at = std::chrono::steady_clock::now();
  const auto dir = proc_root / std::to_string(pid);
  int read_errno = 0;

  const auto stat = detail::read_proc_file(dir / "stat", read_errno);
  if (!stat) return error{"sample_process: cannot read '" + (dir / "stat").string() + "': " + std::strerror(read_errno)};
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so fields are counted from
  // the last ')'. After it come field 3 (state) ... field 14 (utime), 15 (stime).
  const std::size_t close = stat->rfind(')');
  if (close == std::string::npos) return error{"sample_process: '" + (dir / "stat").string() + "' has no ')'"};
  std::string_view rest = std::string_view{*stat}.substr(close + 1);
  std::array<std::string_view, 13> fields{};  // fields 3..15
  for (auto& field : fields) {
    rest = detail::trim(rest);
    const std::size_t space = rest.find(' ');
    field = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space);
  }
  const auto utime = detail::parse_u64(fields[11]);
  const auto stime = detail::parse_u64(fields[12]);
  if (fields[0].size() != 1 || !utime || !stime) {
    return error{"sample_process: '" + (dir / "stat").string() + "' is not in the expected format"};
  }
  sample.state = fields[0].front();
  sample.cpu_ticks = detail::saturating_add(*utime, *stime);

  const auto status = detail::read_proc_file(dir / "status", read_errno);
  if (!status) return error{"sample_process: cannot read '" + (dir / "status").string() + "': " + std::strerror(read_errno)};
  sample.name = detail::status_text(*status, "Name");
  sample.virtual_memory_kb = detail::status_kb(*status, "VmSize").value_or(0);
  sample.physical_memory_kb = detail::status_kb(*status, "VmRSS").value_or(0);
  return sample;
}

namespace detail {

// What process_monitor samples: one process, under a /proc root (another one for tests).
class process_source {
 public:
  explicit process_source(pid_t pid, std::filesystem::path proc_root = "/proc")
      : pid_(pid), proc_root_(std::move(proc_root)) {}

  result<process_sample> sample() const { return sample_process(pid_, proc_root_); }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_;
  std::filesystem::path proc_root_;
};

}  // namespace detail

}  // namespace onefuzz::telemetry::integrations

#endif
