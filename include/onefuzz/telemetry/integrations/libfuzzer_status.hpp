// Defines the libFuzzer status-line parser: the iteration count and exec/s of lines such as
// "#262144 pulse  cov: 11 ft: 13 corp: 7/23b lim: 2622 exec/s: 131072 rss: 27Mb".
#pragma once

#include <onefuzz/telemetry/integrations/detail/numbers.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace onefuzz::telemetry::integrations {

// What one status line says about one libFuzzer process.
struct libfuzzer_status {
  std::uint64_t count = 0;  // iterations so far in this run (the number after '#')
  double execs_sec = 0;     // libFuzzer's exec/s: iterations over whole seconds of the run

  friend bool operator==(const libfuzzer_status&, const libfuzzer_status&) = default;
};

// How a line was read.
enum class libfuzzer_line_kind {
  status,        // a status line; `status` holds its numbers
  other,         // not a status line (banner, crash report, DONE, fork-mode summary...)
  out_of_range,  // shaped like a status line, but the count does not fit in 64 bits
};

struct libfuzzer_line {
  libfuzzer_line_kind kind = libfuzzer_line_kind::other;
  libfuzzer_status status{};
};

namespace detail {

inline constexpr std::array<std::string_view, 4> libfuzzer_status_words = {"pulse", "INITED", "NEW",
                                                                          "REDUCE"};
inline constexpr std::string_view exec_s_marker = "exec/s: ";

// The start of the digits of the last "exec/s: <digit>" before `end`, or npos. This is
// where the regex's greedy `.*exec/s: (\d+)` lands.
constexpr std::size_t last_exec_s_digits(std::string_view line, std::size_t end) noexcept {
  const std::string_view region = line.substr(0, end);
  std::size_t at = region.rfind(exec_s_marker);
  while (at != std::string_view::npos) {
    const std::size_t digits = at + exec_s_marker.size();
    if (digits < region.size() && is_digit(region[digits])) return digits;
    if (at == 0) break;
    at = region.rfind(exec_s_marker, at - 1);
  }
  return std::string_view::npos;
}

}  // namespace detail

// Reads one line exactly as the original's regex `#(\d+)\s*(?:pulse|INITED|NEW|REDUCE).*exec/s:
// (\d+)` (onefuzz libfuzzer.rs) followed by `parse()` of both groups:
//  - the leftmost '#' that starts a match is used, as regex captures() does, and the
//    exec/s value is the last "exec/s: <digits>" on the line (greedy `.*`, which stops at
//    a '\n' like the regex's `.`);
//  - the keyword may be a prefix of a longer word ("NEW_FUNC"), as in the regex;
//  - a count above 2^64-1 makes the line out_of_range (Rust's u64 parse fails and the
//    original ignores the line), and so does an exec/s beyond double's range.
// Linear in the line's length, whatever it holds; never allocates, never throws.
constexpr libfuzzer_line read_libfuzzer_line(std::string_view line) noexcept {
  using detail::is_digit;
  constexpr auto npos = std::string_view::npos;
  std::size_t hash = line.find('#');
  // The last exec/s of the '\n'-delimited segment being searched, computed once per segment.
  std::size_t segment_end = npos;
  std::size_t segment_exec = npos;
  while (hash != npos) {
    std::size_t at = hash + 1;
    const std::size_t count_begin = at;
    while (at < line.size() && is_digit(line[at])) ++at;
    const std::size_t count_end = at;
    if (count_end != count_begin) {
      while (at < line.size() && detail::is_space(line[at])) ++at;
      std::size_t word_end = npos;
      for (auto word : detail::libfuzzer_status_words) {
        if (line.substr(at).starts_with(word)) {
          word_end = at + word.size();
          break;
        }
      }
      if (word_end != npos) {
        const std::size_t newline = line.find('\n', word_end);
        const std::size_t end = newline == npos ? line.size() : newline;
        if (end != segment_end) {
          segment_end = end;
          segment_exec = detail::last_exec_s_digits(line, end);
        }
        if (segment_exec != npos && segment_exec >= word_end + detail::exec_s_marker.size()) {
          std::size_t exec_end = segment_exec;
          while (exec_end < line.size() && is_digit(line[exec_end])) ++exec_end;
          const auto count = detail::parse_u64(line.substr(count_begin, count_end - count_begin));
          if (!count) return {libfuzzer_line_kind::out_of_range, {}};
          // std::from_chars for double is not constexpr; in a constant expression only
          // counts are checked, which is all the compile-time tests need.
          double execs = 0;
          if (std::is_constant_evaluated()) {
            for (std::size_t i = segment_exec; i < exec_end; ++i) execs = execs * 10 + (line[i] - '0');
          } else {
            const auto parsed = detail::parse_finite_double(line.substr(segment_exec, exec_end - segment_exec));
            if (!parsed) return {libfuzzer_line_kind::out_of_range, {}};
            execs = *parsed;
          }
          return {libfuzzer_line_kind::status, {*count, execs}};
        }
        // No exec/s after this '#' in its segment: no later '#' of the segment can match
        // either, so go straight to the next segment.
        if (newline == npos) break;
        hash = line.find('#', newline + 1);
        continue;
      }
    }
    hash = line.find('#', hash + 1);
  }
  return {};
}

// The status in `line`, or nullopt when it is not a status line the original would read.
constexpr std::optional<libfuzzer_status> parse_libfuzzer_status(std::string_view line) noexcept {
  const auto read = read_libfuzzer_line(line);
  if (read.kind != libfuzzer_line_kind::status) return std::nullopt;
  return read.status;
}

}  // namespace onefuzz::telemetry::integrations
