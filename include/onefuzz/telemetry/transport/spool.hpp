// Defines spool: a private folder of batches that could not be sent yet, kept for a later
// success or the next start of the process. docs/spool.md describes the format, what is
// refused on a shared machine, and how each damaged or planted file is counted.
#pragma once

#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/detail/spool_files.hpp>
#include <onefuzz/telemetry/transport/detail/spool_format.hpp>
#include <onefuzz/telemetry/transport/spool_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport {

// One spool file as listed: its path, item count, size and the time of its oldest item.
struct spool_entry {
  std::filesystem::path path;
  std::size_t items = 0;
  std::uint64_t bytes = 0;
  std::chrono::system_clock::time_point oldest{};
};

// Why a spool file could not be read.
enum class spool_read_error {
  unreadable,  // gone, or an I/O error
  bad_header,  // no valid header line, or one that no longer matches the listing
  truncated,   // fewer or more lines than the header announced, or an empty line
  bad_item,    // a line that is not exactly one complete JSON object
  not_ours,    // not the process's own private regular file (a link, a FIFO, another owner)
};

// What scan() found in the folder. The sender counts `corrupt_items` as restored and as
// dropped (spool_corrupt), so the accounting identity shows the loss.
struct spool_scan {
  std::vector<spool_entry> entries;  // readable files, oldest first
  std::size_t corrupt_files = 0;     // our own files that could not be read whole: removed
  std::uint64_t corrupt_items = 0;   // the items their headers announced
  std::uint64_t corrupt_bytes = 0;   // the size of those whose header was unreadable (items unknown)
  std::size_t rejected_files = 0;    // not our own private regular files: left alone, never read
  // For diagnostics (the folder and a reason; never a file's name or contents): why the
  // first file was rejected, and why the folder could not be listed at all.
  std::string rejected_reason;
  std::string listing_error;
};

// Reads a spool file's text into `out` (one item per line). Validates the header, that every
// line is exactly one complete JSON object, and that there are as many as announced, so a
// file cut short by a crash is recognised and never half-sent. Never throws for bad content.
inline std::optional<spool_read_error> parse_spool_file(std::string_view text, detail::batch& out,
                                                        std::chrono::system_clock::time_point* oldest = nullptr) {
  out.clear();
  const auto header = detail::parse_spool_header(text);
  if (!header) return spool_read_error::bad_header;
  std::string_view body = text.substr(header->length);
  detail::spool_line_validator validator;
  std::size_t found = 0;
  while (!body.empty()) {
    const auto newline = body.find('\n');
    const std::string_view line = body.substr(0, newline);
    if (line.empty() || ++found > header->items) {
      out.clear();
      return spool_read_error::truncated;
    }
    if (!validator.is_complete_object(line)) {
      out.clear();
      return spool_read_error::bad_item;
    }
    out.begin_item();
    out.body().append(line);
    if (newline == std::string_view::npos) break;
    body.remove_prefix(newline + 1);
  }
  if (found != header->items) {
    out.clear();
    return spool_read_error::truncated;
  }
  if (oldest) *oldest = std::chrono::system_clock::time_point{std::chrono::milliseconds{header->oldest_ms}};
  return std::nullopt;
}

// A destination's spool folder. It is created 0700 and used only when it is a directory of
// the effective user with no group or other permission bits, reached without a symbolic
// link as its last component; every file operation is relative to the descriptor opened
// then, so a path swapped later cannot redirect it. Only the user's own regular files with
// no group or other bits are read; anything else is left alone and counted as rejected.
// Files are written to a temporary name, synced and renamed, and the rename is synced, so a
// reader never sees a partial file under a final name and a stored batch survives a crash.
// On Windows a DACL for the current user alone stands for the modes, and reparse points for
// symbolic links (detail/spool_files_windows.hpp, docs/windows.md).
// Not thread-safe: one destination thread uses it.
class spool {
 public:
  // Creates the folder (0700) if needed and opens it. Throws
  // std::filesystem::filesystem_error, naming the folder (a hash of the key, never the key)
  // and the reason, when it cannot be created or opened, or is refused: a symbolic link, not
  // a directory, another user's, or open to group or others (an existing folder is never
  // chmod-ed). Nothing else but std::bad_alloc.
  explicit spool(spool_options options) : options_(std::move(options)) {
    auto opened = detail::spool_directory::open(options_.directory);
    if (!opened.folder) throw std::filesystem::filesystem_error(opened.problem, options_.directory, opened.error);
    folder_ = std::move(opened.folder);
  }

  [[nodiscard]] const spool_options& options() const noexcept { return options_; }

  // Lists the readable files, oldest first. Removes leftovers of interrupted writes and our
  // own damaged files (counting what they announced); leaves files that are not ours alone.
  spool_scan scan() {
    spool_scan result;
    std::vector<std::string> names;
    if (const auto error = folder_.list(names)) {
      set_last_error("cannot list", error);
      result.listing_error = last_error_;
      return result;
    }
    std::string text;
    detail::batch scratch;
    for (const auto& name : names) {
      if (name.ends_with(".tmp")) {
        // A write interrupted by a crash; removed only when it is ours.
        const auto reason = folder_.inspect(name);
        if (!reason) continue;
        if (!reason->empty()) {
          reject(result, *reason);
        } else {
          (void)folder_.remove(name);
        }
        continue;
      }
      if (!name.ends_with(".ndjson")) continue;
      auto opened = folder_.open_own(name);
      if (!opened.refused.empty()) {
        reject(result, opened.refused);
        continue;
      }
      const auto size = opened.size;
      if (!opened) {
        if (opened.vanished) continue;  // vanished since listed
        // Our own file, but it cannot be opened (mode 0200, an I/O error): its items are unknown.
        ++result.corrupt_files;
        result.corrupt_bytes += size;
        (void)folder_.remove(name);
        continue;
      }
      // Too large to be ours: only its header is read, to count what it announced.
      const auto limit = size > detail::spool_max_file_bytes ? detail::spool_max_header_bytes : size + 1;
      spool_entry entry{.path = options_.directory / name, .items = 0, .bytes = size, .oldest = {}};
      const bool read = opened.read_up_to(text, limit);
      opened.close();
      const auto error = !read || size > detail::spool_max_file_bytes ? spool_read_error::unreadable
                                                                        : parse_spool_file(text, scratch, &entry.oldest);
      if (error) {
        ++result.corrupt_files;
        if (const auto header = detail::parse_spool_header(text)) {
          result.corrupt_items += header->items;
        } else {
          result.corrupt_bytes += size;
        }
        (void)folder_.remove(name);
        continue;
      }
      entry.items = scratch.items();
      entry.bytes = text.size();
      result.entries.push_back(std::move(entry));
    }
    if (result.corrupt_files > 0) (void)folder_.sync();
    std::sort(result.entries.begin(), result.entries.end(),
              [](const spool_entry& a, const spool_entry& b) { return a.path.filename() < b.path.filename(); });
    return result;
  }

  // Writes the batch as one durable file; returns its entry, or nothing when the write
  // failed (last_error() then says why, and nothing was left behind).
  std::optional<spool_entry> store(const detail::batch& batch, std::chrono::system_clock::time_point oldest) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    char name[80];
    // Zero-padded so that names sort by time; the process id and a sequence number keep
    // two writers of one folder apart.
    const int length = std::snprintf(name, sizeof name, "%020lld-%010ld-%08llu", static_cast<long long>(now_ns),
                                     detail::spool_process_id(), static_cast<unsigned long long>(++sequence_));
    const std::string stem(name, static_cast<std::size_t>(std::max(length, 0)));
    return write(stem + ".ndjson", batch, to_unix_ms(oldest), oldest);
  }

  // Rewrites a listed file with the items of it that are still to be sent (after a partial
  // answer), under the same name: the new file is complete and durable before it replaces
  // the old one, so a crash leaves one or the other, never neither. The oldest-item time is
  // kept. An empty `remaining` removes the file. Returns the updated entry, or nothing when
  // the write failed: then the old file is still in place, except when only the final
  // folder sync failed (last_error() says which), and the caller should treat it as gone.
  std::optional<spool_entry> replace(const spool_entry& entry, const detail::batch& remaining) {
    if (remaining.empty()) {
      if (!remove(entry)) return std::nullopt;
      return spool_entry{.path = entry.path, .items = 0, .bytes = 0, .oldest = entry.oldest};
    }
    return write(entry.path.filename().string(), remaining, to_unix_ms(entry.oldest), entry.oldest);
  }

  // Loads a listed file into `out`; an error when it vanished, is no longer our own private
  // file, no longer parses, or no longer holds the items it was listed with.
  std::optional<spool_read_error> load(const spool_entry& entry, detail::batch& out) {
    out.clear();
    auto opened = folder_.open_own(entry.path.filename().string());
    if (!opened.refused.empty()) return spool_read_error::not_ours;
    if (!opened) return spool_read_error::unreadable;
    if (opened.size > detail::spool_max_file_bytes) return spool_read_error::truncated;
    std::string text;
    if (!opened.read_up_to(text, detail::spool_max_file_bytes + 1)) return spool_read_error::unreadable;
    if (auto error = parse_spool_file(text, out)) return error;
    if (out.items() != entry.items) {
      out.clear();
      return spool_read_error::bad_header;
    }
    return std::nullopt;
  }

  // Removes a listed file, durably. False when it could not be removed (last_error() says
  // why): it will be listed again at the next start, and its items sent again.
  bool remove(const spool_entry& entry) {
    if (const auto error = folder_.remove(entry.path.filename().string())) {
      set_last_error("cannot remove a file in", error);
      return false;
    }
    if (const auto error = folder_.sync()) {
      set_last_error("cannot sync the folder", error);
      return false;
    }
    return true;
  }

  // Why the last store(), replace() or remove() failed: what was done, the folder and the
  // system's reason ("cannot create a file in /var/spool/x/instance-0123...: Permission
  // denied"). The folder's name is a hash of the key, never the key.
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

 private:
  static std::int64_t to_unix_ms(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  }

  std::optional<spool_entry> write(const std::string& final_name, const detail::batch& batch, std::int64_t oldest_ms,
                                   std::chrono::system_clock::time_point oldest) {
    const std::string header = detail::format_spool_header(batch.items(), oldest_ms);
    if (batch.empty() || header.size() + batch.bytes() > detail::spool_max_file_bytes) {
      last_error_ = "a batch of " + std::to_string(batch.bytes()) + " bytes does not fit the spool's file limit in " +
                    options_.directory.string();
      return std::nullopt;
    }
    const std::string temporary = final_name.substr(0, final_name.rfind('.')) + ".tmp";
    const char* step = "";
    if (const auto error = folder_.write_durably(temporary, final_name, header, batch.view(), step)) {
      set_last_error(step, error);
      return std::nullopt;
    }
    return spool_entry{.path = options_.directory / final_name,
                       .items = batch.items(),
                       .bytes = header.size() + batch.bytes(),
                       .oldest = oldest};
  }

  void reject(spool_scan& result, const std::string& reason) {
    if (result.rejected_files++ == 0) {
      result.rejected_reason = "a file in " + options_.directory.string() + " was left alone and not sent: " + reason;
    }
  }

  void set_last_error(std::string_view what, const std::error_code& error) {
    last_error_.assign(what);
    last_error_ += ' ';
    last_error_ += options_.directory.string();
    last_error_ += ": ";
    last_error_ += error.message();
  }

  spool_options options_;
  detail::spool_directory folder_;
  std::uint64_t sequence_ = 0;
  std::string last_error_;
};

}  // namespace onefuzz::telemetry::transport
