// Defines the AFL / AFL++ fuzzer_stats reader: `key : value` lines mapped to AFL's
// runtime_stats as the original (onefuzz-task stats/afl.rs), AFL++ 4's renames accepted.
#pragma once

#include <onefuzz/telemetry/catalog/afl_mode.hpp>
#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/result.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

// Keys the original skips without a warning (docs/integrations.md, "AFL and AFL++").
// max_depth is one of them, which is why coverage_paths_depth is never sent.
inline constexpr std::array<std::string_view, 18> afl_ignored_keys = {
    "cycles_done",  "afl_banner",    "afl_version",  "start_time",   "last_update",       "stability",
    "unique_crashes", "unique_hangs", "pending_favs", "pending_total", "variable_paths",   "last_path",
    "last_crash",   "last_hang",     "execs_since_crash", "max_depth", "cur_path",        "exec_timeout"};

// Keys AFL++ writes that have no runtime_stats field, skipped without a warning as the
// original's list would have been had it known them. From afl-fuzz-stats.c:
//   3.x: run_time, cycles_wo_finds, execs_ps_last_min, slowest_exec_ms, peak_rss_mb,
//        cpu_affinity, edges_found, var_byte_count, havoc_expansion, and with AFL_DEBUG
//        virgin_bytes and var_bytes;
//   4.0: corpus_variable, cur_item, saved_crashes, saved_hangs, last_find (the renames of
//        variable_paths, cur_path, unique_crashes, unique_hangs, last_path), total_edges,
//        auto_dict_entries, testcache_size, testcache_count, testcache_evict;
//   4.1x: time_wo_finds, fuzz_time, calibration_time, cmplog_time, sync_time, trim_time.
inline constexpr std::array<std::string_view, 27> aflplusplus_unmapped_keys = {
    "run_time",        "cycles_wo_finds",  "execs_ps_last_min", "slowest_exec_ms", "peak_rss_mb",
    "cpu_affinity",    "edges_found",      "var_byte_count",    "havoc_expansion", "virgin_bytes",
    "var_bytes",       "corpus_variable",  "cur_item",          "saved_crashes",   "saved_hangs",
    "last_find",       "total_edges",      "auto_dict_entries", "testcache_size",  "testcache_count",
    "testcache_evict", "time_wo_finds",    "fuzz_time",         "calibration_time", "cmplog_time",
    "sync_time",       "trim_time"};

// Keys mapped to a runtime_stats field: AFL's name, then AFL++ 4's rename where there is one.
//   target_mode -> mode            fuzzer_pid -> pid            execs_done -> count
//   paths_total | corpus_count -> coverage_paths
//   paths_favored | corpus_favored -> coverage_paths_favored
//   paths_found | corpus_found -> coverage_paths_found
//   paths_imported | corpus_imported -> coverage_paths_imported
//   execs_per_sec -> execs_sec     bitmap_cvg (without '%') -> coverage
//   command_line -> command_line
inline constexpr std::array<std::string_view, 14> afl_mapped_keys = {
    "target_mode",    "fuzzer_pid",     "execs_done",   "paths_total",     "corpus_count",
    "paths_favored",  "corpus_favored", "paths_found",  "corpus_found",    "paths_imported",
    "corpus_imported", "execs_per_sec", "bitmap_cvg",   "command_line"};

// Something in a fuzzer_stats file the reader could not use.
struct afl_warning {
  enum class kind {
    unknown_key,    // a key in none of the three lists (a newer AFL, or not AFL at all)
    invalid_value,  // a mapped key whose value does not parse; the field is left out
  };
  kind what = kind::unknown_key;
  std::string_view key;
  std::string_view value;  // local diagnostics only: command_line can hold user paths
};

struct afl_read_options {
  // Called for each warning, in file order, during the parse (the views die after it).
  // The original logged a line per unknown key every 30 s; a callback lets the caller
  // decide (log once, count, ignore) instead of printing to stderr.
  std::function<void(const afl_warning&)> on_warning{};
  // AFL rewrites fuzzer_stats in place (open with O_TRUNC, then fprintf), so a reader can
  // see a file cut in the middle of a line ("execs_done : 18" for 18639). AFL ends every
  // line with '\n'; a last line without one is therefore taken as torn and skipped.
  bool skip_unterminated_last_line = true;
};

// What one read of fuzzer_stats produced.
struct afl_stats {
  catalog::afl_runtime_stats event{};  // a field is set only when its key was present and parsed
  std::size_t mapped = 0;              // lines that set a field
  std::size_t ignored = 0;             // lines with a key from the ignored lists
  std::size_t unknown = 0;             // lines with an unknown key (each also a warning)
  std::size_t invalid = 0;             // mapped keys whose value did not parse (each a warning)
  std::size_t malformed = 0;           // non-blank lines without ':' or without a key
  bool torn_last_line = false;         // the last line had no '\n' and was skipped

  // Whether the file gave anything to send. The original sent an event even with no field;
  // an empty read is most often a file caught just after AFL truncated it, so callers
  // (afl_reporter) skip it.
  [[nodiscard]] bool has_fields() const noexcept { return mapped != 0; }
};

namespace detail {

template <std::size_t N>
constexpr bool contains(const std::array<std::string_view, N>& keys, std::string_view key) noexcept {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

inline void warn(const afl_read_options& options, afl_warning::kind what, std::string_view key,
                 std::string_view value) {
  if (options.on_warning) options.on_warning(afl_warning{what, key, value});
}

// Sets `field` from a parsed value, or counts and reports the value as invalid.
template <class Field, class Parsed>
void set_or_warn(Field& field, const Parsed& parsed, afl_stats& out, const afl_read_options& options,
                 std::string_view key, std::string_view value) {
  if (parsed) {
    field = *parsed;
    ++out.mapped;
  } else {
    ++out.invalid;
    warn(options, afl_warning::kind::invalid_value, key, value);
  }
}

// One `key : value` line, already without its line ending.
inline void read_afl_line(std::string_view line, afl_stats& out, const afl_read_options& options) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    if (!trim(line).empty()) ++out.malformed;
    return;
  }
  const std::string_view key = trim(line.substr(0, colon));
  // Everything after the first ':' (the original split on every ':' and kept only the
  // second piece, which cut command lines such as "-x dict:a" short).
  const std::string_view value = trim(line.substr(colon + 1));
  if (key.empty()) {
    ++out.malformed;
    return;
  }
  auto& event = out.event;
  if (key == "target_mode") {
    event.mode = catalog::afl_mode{std::string{value}};
    ++out.mapped;
  } else if (key == "command_line") {
    event.command_line = std::string{value};
    ++out.mapped;
  } else if (key == "fuzzer_pid") {
    auto pid = parse_u64(value);
    if (pid && *pid > std::numeric_limits<std::uint32_t>::max()) pid.reset();
    std::optional<std::uint32_t> narrowed;
    if (pid) narrowed = static_cast<std::uint32_t>(*pid);
    set_or_warn(event.pid, narrowed, out, options, key, value);
  } else if (key == "execs_done") {
    set_or_warn(event.count, parse_u64(value), out, options, key, value);
  } else if (key == "paths_total" || key == "corpus_count") {
    set_or_warn(event.coverage_paths, parse_u64(value), out, options, key, value);
  } else if (key == "paths_favored" || key == "corpus_favored") {
    set_or_warn(event.coverage_paths_favored, parse_u64(value), out, options, key, value);
  } else if (key == "paths_found" || key == "corpus_found") {
    set_or_warn(event.coverage_paths_found, parse_u64(value), out, options, key, value);
  } else if (key == "paths_imported" || key == "corpus_imported") {
    set_or_warn(event.coverage_paths_imported, parse_u64(value), out, options, key, value);
  } else if (key == "execs_per_sec") {
    set_or_warn(event.execs_sec, parse_finite_double(value), out, options, key, value);
  } else if (key == "bitmap_cvg") {
    // "72.22%": the original removed every '%' before parsing.
    std::string number{value};
    number.erase(std::remove(number.begin(), number.end(), '%'), number.end());
    set_or_warn(event.coverage, parse_finite_double(trim(number)), out, options, key, value);
  } else if (contains(afl_ignored_keys, key) || contains(aflplusplus_unmapped_keys, key)) {
    ++out.ignored;
  } else {
    ++out.unknown;
    warn(options, afl_warning::kind::unknown_key, key, value);
  }
}

}  // namespace detail

// Reads the text of a fuzzer_stats file. Lines end with '\n' or "\r\n"; blank lines are
// skipped; a key seen twice keeps its last value. Never throws except std::bad_alloc and
// what on_warning throws.
inline afl_stats parse_afl_stats(std::string_view text, const afl_read_options& options = {}) {
  afl_stats out;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos && options.skip_unterminated_last_line) {
      out.torn_last_line = !detail::trim(text).empty();
      break;
    }
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    detail::read_afl_line(line, out, options);
  }
  return out;
}

// Reads and parses the file at `path`. The error names the path and the system's reason
// (a missing file is normal until AFL has finished its first calibration).
inline result<afl_stats> read_afl_stats(const std::filesystem::path& path,
                                              const afl_read_options& options = {}) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return error{"read_afl_stats: cannot open '" + path.string() + "': " + std::strerror(errno)};
  }
  // fuzzer_stats is about 1.5 KB; the cap bounds what a wrong path (a device, a huge file)
  // can cost. Past it the rest is not read, so the last line read counts as torn.
  constexpr std::size_t max_bytes = 1024 * 1024;
  std::string text;
  std::array<char, 4096> chunk{};
  while (text.size() < max_bytes) {
    file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (file.gcount() <= 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(file.gcount()));
  }
  if (file.bad()) return error{"read_afl_stats: cannot read '" + path.string() + "'"};
  return parse_afl_stats(text, options);
}

}  // namespace onefuzz::telemetry::integrations
