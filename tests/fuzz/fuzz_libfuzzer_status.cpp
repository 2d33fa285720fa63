// Fuzz target for the libFuzzer status-line reader (integrations/libfuzzer_status.hpp) and
// the per-worker totals (integrations/libfuzzer_totals.hpp). Lines come from a fuzzer's
// output, which the fuzzed program can write into, so any bytes are possible.
//
// Input: a mode byte, then
//  - any line (mode 0-3): read_libfuzzer_line gives what the original's regex
//    `#(\d+)\s*(?:pulse|INITED|NEW|REDUCE).*exec/s: (\d+)` followed by u64 and f64 parsing
//    gives; the reference is a backtracking matcher that runs the regex literally, for
//    lines up to 1 KB; longer lines must still be read without a crash;
//  - numbers (mode 4-5): a line written in libFuzzer's own format from those numbers (any
//    event word, INITED without "lim:", extra fields after exec/s, counts past 2^64 - 1)
//    reads back as exactly those numbers, or as out_of_range;
//  - a sequence of status records (mode 6-7) for a few workers, with and without run ids:
//    libfuzzer_totals matches a model of its documented rules, sums saturate instead of
//    overflowing (UBSan), and without run ids the total count never goes down.
#include "fuzz_support.hpp"

#include <onefuzz/telemetry/integrations/libfuzzer_status.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_totals.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace integrations = onefuzz::telemetry::integrations;
namespace catalog = onefuzz::telemetry::catalog;
namespace tel = onefuzz::telemetry;
using fuzz_support::reader;
using integrations::libfuzzer_line_kind;

namespace {

// The reference is quadratic in the line's length; longer lines are checked only for not
// crashing (real status lines are about 100 bytes).
constexpr std::size_t reference_limit = 1024;

std::string describe(const integrations::libfuzzer_line& line) {
  const char* kind = line.kind == libfuzzer_line_kind::status ? "status"
                     : line.kind == libfuzzer_line_kind::other ? "other"
                                                               : "out_of_range";
  return std::string(kind) + " " + std::to_string(line.status.count) + " " + std::to_string(line.status.execs_sec);
}

struct regex_match {
  std::string_view count;
  std::string_view exec;
};

// The original's regex `#(\d+)\s*(?:pulse|INITED|NEW|REDUCE).*exec/s: (\d+)` matched the way
// a backtracking engine runs it, with none of the parser's shortcuts: the leftmost '#'
// that can start a match, each quantifier greedy and given back one step at a time, the
// alternatives in order, `.` anything but '\n' (as in Rust). Classes are ASCII (the
// original's are Unicode; non-ASCII digits and spaces are out of scope here).
FUZZ_ORACLE std::optional<regex_match> reference_match(std::string_view line) {
  constexpr std::string_view words[] = {"pulse", "INITED", "NEW", "REDUCE"};
  constexpr std::string_view marker = "exec/s: ";
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  const std::size_t n = line.size();
  for (std::size_t start = 0; start < n; ++start) {
    if (line[start] != '#') continue;
    std::size_t digits_end = start + 1;
    while (digits_end < n && digit(line[digits_end])) ++digits_end;
    for (std::size_t count_end = digits_end; count_end > start + 1; --count_end) {  // (\d+)
      std::size_t spaces_end = count_end;
      while (spaces_end < n && space(line[spaces_end])) ++spaces_end;
      for (std::size_t word_at = spaces_end + 1; word_at-- > count_end;) {  // \s*
        for (const auto word : words) {
          if (!line.substr(word_at).starts_with(word)) continue;
          const std::size_t word_end = word_at + word.size();
          std::size_t any_end = word_end;
          while (any_end < n && line[any_end] != '\n') ++any_end;
          for (std::size_t marker_at = any_end + 1; marker_at-- > word_end;) {  // .*
            if (!line.substr(marker_at).starts_with(marker)) continue;
            const std::size_t exec_at = marker_at + marker.size();
            std::size_t exec_end = exec_at;
            while (exec_end < n && digit(line[exec_end])) ++exec_end;
            if (exec_end == exec_at) continue;  // (\d+) needs a digit
            return regex_match{line.substr(start + 1, count_end - start - 1), line.substr(exec_at, exec_end - exec_at)};
          }
        }
      }
    }
  }
  return std::nullopt;
}

// What the original reads: the regex, then Rust's u64 and f64 parsing of the two groups.
integrations::libfuzzer_line reference_read(std::string_view line) {
  const auto match = reference_match(line);
  if (!match) return {};
  std::uint64_t count = 0;
  const auto parsed = std::from_chars(match->count.data(), match->count.data() + match->count.size(), count);
  if (parsed.ec != std::errc{}) return {libfuzzer_line_kind::out_of_range, {}};
  double execs = 0;
  const auto parsed_exec = std::from_chars(match->exec.data(), match->exec.data() + match->exec.size(), execs);
  if (parsed_exec.ec != std::errc{} || !std::isfinite(execs)) return {libfuzzer_line_kind::out_of_range, {}};
  return {libfuzzer_line_kind::status, {count, execs}};
}

void check_line(std::string_view text) {
  const auto read = integrations::read_libfuzzer_line(text);
  const auto status = integrations::parse_libfuzzer_status(text);
  FUZZ_CHECK(status.has_value() == (read.kind == libfuzzer_line_kind::status), "parse_libfuzzer_status disagrees");
  if (read.kind == libfuzzer_line_kind::status) {
    FUZZ_CHECK(*status == read.status, "parse_libfuzzer_status disagrees");
    FUZZ_CHECK(std::isfinite(read.status.execs_sec) && read.status.execs_sec >= 0, "a negative or non-finite exec/s");
  }
  if (text.size() > reference_limit) return;
  const auto expected = reference_read(text);
  FUZZ_CHECK(read.kind == expected.kind && read.status == expected.status,
             "differs from the regex: " + describe(read) + " vs " + describe(expected) + "; line " +
                 fuzz_support::hex_prefix(text, 300));
}

void check_written_line(reader& in) {
  static constexpr std::string_view words[] = {"pulse ", "INITED", "NEW   ", "REDUCE"};
  const auto word = in.byte() % 4;
  // The count as digits, so values past 2^64 - 1 are written too.
  std::string count_digits = std::to_string(in.integer<std::uint64_t>());
  const auto extra = in.byte();
  if (extra & 1) count_digits += std::to_string(extra >> 1);  // often past 2^64 - 1
  const std::uint64_t exec = in.integer<std::uint64_t>() >> (in.byte() % 64);
  std::string line = "#" + count_digits + "\t" + std::string(words[word]) + " cov: " +
                     std::to_string(in.integer<std::uint16_t>()) + " ft: " + std::to_string(in.integer<std::uint16_t>()) +
                     " corp: " + std::to_string(in.byte()) + "/" + std::to_string(in.integer<std::uint32_t>()) + "b";
  if (word != 1) line += " lim: " + std::to_string(in.integer<std::uint16_t>());
  line += " exec/s: " + std::to_string(exec) + " rss: " + std::to_string(in.integer<std::uint16_t>()) + "Mb";
  if (word >= 2) line += " L: 4/4 MS: 1 EraseBytes-";
  line += in.rest();  // whatever follows: more text, a '\n' and another line...

  const auto read = integrations::read_libfuzzer_line(line);
  std::uint64_t count = 0;
  const auto parsed = std::from_chars(count_digits.data(), count_digits.data() + count_digits.size(), count);
  if (parsed.ec != std::errc{}) {
    FUZZ_CHECK(read.kind == libfuzzer_line_kind::out_of_range, "a count past 2^64 - 1 was read: " + line);
    return;
  }
  // Text appended after the line may hold a later "exec/s: <digits>" on the same line,
  // which the greedy regex prefers; only the count is certain then.
  FUZZ_CHECK(read.kind != libfuzzer_line_kind::other, "a libFuzzer status line was not read: " + line);
  if (read.kind == libfuzzer_line_kind::status) {
    FUZZ_CHECK(read.status.count == count, "the count differs: " + line);
    if (line.find("exec/s: ", line.find(" rss: ")) == std::string::npos) {
      FUZZ_CHECK(read.status.execs_sec == static_cast<double>(exec), "exec/s differs: " + line);
    }
  }
}

// The documented rules of libfuzzer_totals, kept naively.
struct model_worker {
  std::optional<int> run;
  std::uint64_t finished = 0;
  std::uint64_t current = 0;
  double execs = 0;
  bool seen = false;
};

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::uint64_t>::max() : sum;
}

void check_totals(reader& in) {
  integrations::libfuzzer_totals totals;
  std::map<std::uint64_t, model_worker> model;
  catalog::run_id runs[3];
  for (int i = 0; i < 3; ++i) {
    tel::uuid::bytes_type bytes{};
    bytes[0] = static_cast<std::uint8_t>(i + 1);
    runs[i] = catalog::run_id{tel::uuid{bytes}};
  }
  bool with_run_ids = false;
  std::uint64_t previous_total = 0;
  while (in.remaining() != 0) {
    const auto op = in.byte();
    const std::uint64_t worker = op % 4 == 3 ? std::numeric_limits<std::uint64_t>::max() : op % 4;
    const auto count_code = in.byte();
    // Near 2^64 - 1 (so sums saturate), or anywhere below 1.6e19.
    const std::uint64_t count = count_code >= 0xF0 ? std::numeric_limits<std::uint64_t>::max() - (count_code & 0x0F)
                                                   : in.integer<std::uint32_t>() + std::uint64_t{count_code % 16u} * 1'000'000'000'000'000'000u;
    const integrations::libfuzzer_status status{count, static_cast<double>(in.integer<std::uint16_t>())};
    auto& state = model[worker];
    if (op & 0x80) {
      with_run_ids = true;
      const int run = (op >> 2) % 3;
      if (state.run && *state.run != run) {
        state.finished = saturating_add(state.finished, state.current);
        state.current = 0;
      }
      state.run = run;
      totals.record(worker, runs[run], status);
    } else {
      if (state.seen && count < state.current) {
        state.finished = saturating_add(state.finished, state.current);
        state.current = 0;
      }
      totals.record(worker, status);
    }
    state.current = count;
    state.execs = status.execs_sec;
    state.seen = true;

    std::uint64_t expected_count = 0;
    double expected_execs = 0;
    for (const auto& [id, w] : model) {
      expected_count = saturating_add(expected_count, saturating_add(w.finished, w.current));
      expected_execs += w.execs;
    }
    FUZZ_CHECK(totals.count() == expected_count, "count differs from the rules");
    FUZZ_CHECK(totals.execs_sec() == expected_execs, "execs_sec differs from the rules");
    FUZZ_CHECK(totals.workers() == model.size(), "workers differs");
    // Counts only grow within a run; a lower count starts a new run, never lowers the total.
    if (!with_run_ids) FUZZ_CHECK(totals.count() >= previous_total, "the total count went down");
    previous_total = totals.count();
    const auto event = totals.event();
    FUZZ_CHECK(*event.count == expected_count && *event.execs_sec == expected_execs, "the event differs from the totals");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  switch (in.byte() % 8) {
    case 4:
    case 5: check_written_line(in); break;
    case 6:
    case 7: check_totals(in); break;
    default: check_line(in.rest()); break;
  }
  return 0;
}
