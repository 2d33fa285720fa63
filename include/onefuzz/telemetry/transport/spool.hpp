// Defines spool: a directory of batches that could not be sent (retries exhausted, backlog
// full, shutdown deadline), kept for a later success or the next start of the process.
#pragma once

#include <onefuzz/telemetry/transport/detail/batch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace onefuzz::telemetry::transport {

// Where and how much a destination may spool. An empty directory means no spool: what
// cannot be sent is dropped and counted, as without this feature.
struct spool_options {
  std::filesystem::path directory{};
  std::uint64_t max_bytes = 64ull * 1024 * 1024;
  // The ingestion service rejects items older than 48 hours, so older files are discarded.
  std::chrono::hours max_age{48};
};

// One spool file as listed: its path, item count, size and the time of its oldest item.
struct spool_entry {
  std::filesystem::path path;
  std::size_t items = 0;
  std::uint64_t bytes = 0;
  std::chrono::system_clock::time_point oldest{};
};

// Why a spool file could not be read.
enum class spool_read_error { unreadable, bad_header, truncated };

namespace detail {

inline constexpr std::string_view spool_magic = "onefuzz-spool 1 ";

// Parses "onefuzz-spool 1 <items> <oldest unix ms>\n"; returns the header length or 0.
inline std::size_t parse_spool_header(std::string_view text, std::size_t& items, std::int64_t& oldest_ms) {
  if (!text.starts_with(spool_magic)) return 0;
  const auto end = text.find('\n');
  if (end == std::string_view::npos || end > 64) return 0;
  std::string_view fields = text.substr(spool_magic.size(), end - spool_magic.size());
  const auto space = fields.find(' ');
  if (space == std::string_view::npos) return 0;
  const auto items_text = fields.substr(0, space);
  const auto time_text = fields.substr(space + 1);
  auto [items_end, items_error] = std::from_chars(items_text.data(), items_text.data() + items_text.size(), items);
  auto [time_end, time_error] = std::from_chars(time_text.data(), time_text.data() + time_text.size(), oldest_ms);
  if (items_error != std::errc{} || items_end != items_text.data() + items_text.size() || items == 0) return 0;
  if (time_error != std::errc{} || time_end != time_text.data() + time_text.size()) return 0;
  return end + 1;
}

}  // namespace detail

// Reads a spool file's text into `out` (one item per line). Validates the header and that
// the body holds exactly the announced number of items, so a file cut short by a crash is
// recognised and never half-sent. Never throws for bad content.
inline std::optional<spool_read_error> parse_spool_file(std::string_view text, detail::batch& out,
                                                        std::chrono::system_clock::time_point* oldest = nullptr) {
  std::size_t items = 0;
  std::int64_t oldest_ms = 0;
  const std::size_t header = detail::parse_spool_header(text, items, oldest_ms);
  if (header == 0) return spool_read_error::bad_header;
  std::string_view body = text.substr(header);
  out.clear();
  std::size_t found = 0;
  while (!body.empty()) {
    const auto newline = body.find('\n');
    const std::string_view line = body.substr(0, newline);
    if (line.empty() || line.front() != '{' || line.back() != '}') return spool_read_error::truncated;
    out.begin_item();
    out.body().append(line);
    ++found;
    if (newline == std::string_view::npos) break;
    body.remove_prefix(newline + 1);
  }
  if (found != items) return spool_read_error::truncated;
  if (oldest) *oldest = std::chrono::system_clock::time_point{std::chrono::milliseconds{oldest_ms}};
  return std::nullopt;
}

// A destination's spool directory. Files are written to a temporary name and renamed, so a
// reader never sees a partial file under a final name; the directory is 0700 and files 0600
// because they hold the payloads (the central spool holds central payloads only: it is fed
// by the central destination alone). Not thread-safe: one destination thread uses it.
class spool {
 public:
  // Creates the directory (0700) if needed. Throws std::filesystem::filesystem_error when
  // it cannot be created.
  explicit spool(spool_options options) : options_(std::move(options)) {
    std::filesystem::create_directories(options_.directory);
    ::chmod(options_.directory.c_str(), 0700);
  }

  [[nodiscard]] const spool_options& options() const noexcept { return options_; }

  // The valid files, oldest first, after removing temporary leftovers. Files that do not
  // parse are removed and counted in `corrupt`.
  std::vector<spool_entry> scan(std::size_t& corrupt) {
    std::vector<spool_entry> entries;
    std::error_code error;
    for (const auto& file : std::filesystem::directory_iterator(options_.directory, error)) {
      const auto& path = file.path();
      if (path.extension() == ".tmp") {
        std::filesystem::remove(path, error);  // a write interrupted by a crash
        continue;
      }
      if (path.extension() != ".ndjson") continue;
      std::string text;
      detail::batch scratch;
      spool_entry entry{.path = path, .items = 0, .bytes = 0, .oldest = {}};
      if (!read_file(path, text) || parse_spool_file(text, scratch, &entry.oldest)) {
        ++corrupt;
        std::filesystem::remove(path, error);
        continue;
      }
      entry.items = scratch.items();
      entry.bytes = text.size();
      entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end(),
              [](const spool_entry& a, const spool_entry& b) { return a.path.filename() < b.path.filename(); });
    return entries;
  }

  // Writes the batch as one file; returns its entry, or nothing when the write failed
  // (last_error() then says why).
  std::optional<spool_entry> store(const detail::batch& batch, std::chrono::system_clock::time_point oldest) {
    const auto oldest_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(oldest.time_since_epoch()).count();
    std::string header{detail::spool_magic};
    header += std::to_string(batch.items());
    header += ' ';
    header += std::to_string(oldest_ms);
    header += '\n';

    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    char name[64];
    // Zero-padded so that names sort by time; the sequence number breaks ties.
    const int length = std::snprintf(name, sizeof name, "%020lld-%08llu", static_cast<long long>(now_ns),
                                     static_cast<unsigned long long>(++sequence_));
    const std::string stem(name, static_cast<std::size_t>(std::max(length, 0)));
    const auto final_path = options_.directory / (stem + ".ndjson");
    const auto temporary = options_.directory / (stem + ".tmp");

    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      set_last_error("cannot create a file in", errno);
      return std::nullopt;
    }
    const bool written = write_all(fd, header) && write_all(fd, batch.view()) && ::fsync(fd) == 0;
    const int write_errno = errno;
    ::close(fd);
    std::error_code error;
    if (!written) {
      set_last_error("cannot write a file in", write_errno);
      std::filesystem::remove(temporary, error);
      return std::nullopt;
    }
    std::filesystem::rename(temporary, final_path, error);
    if (error) {
      set_last_error("cannot rename a file in", error.value());
      std::filesystem::remove(temporary, error);
      return std::nullopt;
    }
    return spool_entry{.path = final_path,
                       .items = batch.items(),
                       .bytes = header.size() + batch.bytes(),
                       .oldest = oldest};
  }

  // Loads a listed file into `out`; an error when it vanished or no longer parses.
  std::optional<spool_read_error> load(const spool_entry& entry, detail::batch& out) {
    std::string text;
    if (!read_file(entry.path, text)) return spool_read_error::unreadable;
    return parse_spool_file(text, out);
  }

  void remove(const spool_entry& entry) {
    std::error_code error;
    std::filesystem::remove(entry.path, error);
  }

  // Why the last store() failed: what was done, the directory and the system's reason
  // ("cannot create a file in /var/spool/x/instance-0123...: Permission denied"). The
  // directory's name is a hash of the key, never the key.
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

 private:
  void set_last_error(std::string_view what, int error_number) {
    last_error_.assign(what);
    last_error_ += ' ';
    last_error_ += options_.directory.string();
    last_error_ += ": ";
    last_error_ += std::generic_category().message(error_number);
  }

  static bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static bool read_file(const std::filesystem::path& path, std::string& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    out.clear();
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        return false;
      }
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      // A spool file is one batch (at most a few MiB); anything far larger is not ours.
      if (out.size() > 64ull * 1024 * 1024) {
        ::close(fd);
        return false;
      }
    }
    ::close(fd);
    return true;
  }

  spool_options options_;
  std::uint64_t sequence_ = 0;
  std::string last_error_;
};

}  // namespace onefuzz::telemetry::transport
