// Fuzz target for the AFL fuzzer_stats reader (integrations/afl_stats.hpp). The file is
// written by another program, possibly mid-rewrite, so parse_afl_stats sees any bytes.
//
// Input: a flags byte, then either any text (bit 0 clear) or the numbers of a file that
// the target writes itself in AFL's format (bit 0 set).
//
// Properties, any text:
//  - no crash, no overflow (UBSan), no read outside the text: every warning's key and value
//    lie inside it, in file order, and there is one warning per unknown key and per
//    invalid value;
//  - each line is counted at most once (mapped + ignored + unknown + invalid + malformed
//    <= lines), torn_last_line is set exactly for a non-blank unterminated last line when
//    such lines are skipped, parsed numbers are finite;
//  - the central form of target_mode is "other" or made only of AFL's mode words, so no
//    other text reaches the central instance;
//  - "\r\n" line endings read exactly as "\n" ones.
// Properties, a written file: every field holds exactly the value last written for it
// (AFL and AFL++ names, numbers at the 2^64 and 2^32 edges, padding, "\r\n"), and the
// counters match what was written.
#include "fuzz_support.hpp"

#include <onefuzz/telemetry/integrations/afl_stats.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace integrations = onefuzz::telemetry::integrations;
namespace catalog = onefuzz::telemetry::catalog;
using fuzz_support::reader;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool blank(std::string_view s) {
  for (const char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

bool same_event(const catalog::afl_runtime_stats& a, const catalog::afl_runtime_stats& b) {
  return a.mode.get() == b.mode.get() && a.coverage_paths.get() == b.coverage_paths.get() && a.pid.get() == b.pid.get() &&
         a.count.get() == b.count.get() && a.coverage_paths_favored.get() == b.coverage_paths_favored.get() &&
         a.coverage_paths_found.get() == b.coverage_paths_found.get() &&
         a.coverage_paths_imported.get() == b.coverage_paths_imported.get() && a.execs_sec.get() == b.execs_sec.get() &&
         a.coverage.get() == b.coverage.get() && a.command_line.get() == b.command_line.get() &&
         a.coverage_paths_depth.get() == b.coverage_paths_depth.get();
}

bool same_counters(const integrations::afl_stats& a, const integrations::afl_stats& b) {
  return a.mapped == b.mapped && a.ignored == b.ignored && a.unknown == b.unknown && a.invalid == b.invalid &&
         a.malformed == b.malformed && a.torn_last_line == b.torn_last_line;
}

void check_any_text(std::string_view text, bool skip_torn) {
  struct seen {
    integrations::afl_warning::kind what;
    const char* key;
  };
  std::vector<seen> warnings;
  const char* const begin = text.data();
  const char* const end = text.data() + text.size();
  integrations::afl_read_options options;
  options.skip_unterminated_last_line = skip_torn;
  options.on_warning = [&](const integrations::afl_warning& w) {
    FUZZ_CHECK(w.key.data() >= begin && w.key.data() + w.key.size() <= end, "a warning's key is not inside the text");
    FUZZ_CHECK(w.value.empty() || (w.value.data() >= begin && w.value.data() + w.value.size() <= end),
               "a warning's value is not inside the text");
    FUZZ_CHECK(warnings.empty() || warnings.back().key < w.key.data(), "warnings out of file order");
    warnings.push_back({w.what, w.key.data()});
  };
  const auto stats = integrations::parse_afl_stats(text, options);

  std::size_t unknown = 0;
  std::size_t invalid = 0;
  for (const auto& w : warnings) (w.what == integrations::afl_warning::kind::unknown_key ? unknown : invalid) += 1;
  FUZZ_CHECK(unknown == stats.unknown && invalid == stats.invalid, "warnings and counters disagree");

  const std::size_t last_newline = text.rfind('\n');
  const std::string_view last = last_newline == std::string_view::npos ? text : text.substr(last_newline + 1);
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  if (!last.empty() && !skip_torn) ++lines;
  FUZZ_CHECK(stats.mapped + stats.ignored + stats.unknown + stats.invalid + stats.malformed <= lines,
             "a line counted twice");
  FUZZ_CHECK(stats.torn_last_line == (skip_torn && !blank(last)), "torn_last_line is wrong");
  FUZZ_CHECK(stats.has_fields() == (stats.mapped != 0), "has_fields differs from mapped");

  const auto& event = stats.event;
  if (event.execs_sec->has_value()) FUZZ_CHECK(std::isfinite(**event.execs_sec), "execs_sec is not finite");
  if (event.coverage->has_value()) FUZZ_CHECK(std::isfinite(**event.coverage), "coverage is not finite");
  FUZZ_CHECK(!event.coverage_paths_depth->has_value(), "coverage_paths_depth is never sent");
  if (event.mode->has_value()) {
    const auto& mode = **event.mode;
    const std::string_view central = mode.central_projection();
    if (central != catalog::afl_mode::other) {
      FUZZ_CHECK(mode.is_known() && !central.empty(), "a central mode that is not known");
      std::string_view rest = central;
      while (!rest.empty()) {
        if (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\r' || rest.front() == '\n') {
          rest.remove_prefix(1);
          continue;
        }
        bool matched = false;
        for (const auto word : catalog::detail::afl_target_mode_words) {
          if (rest.starts_with(word)) {
            rest.remove_prefix(word.size());
            matched = true;
            break;
          }
        }
        FUZZ_CHECK(matched, "central mode text that is not AFL's words: " + fuzz_support::hex_prefix(central));
      }
    }
  }

  // "\r\n" reads as "\n".
  std::string crlf;
  for (const char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  integrations::afl_read_options quiet;
  quiet.skip_unterminated_last_line = skip_torn;
  const auto crlf_stats = integrations::parse_afl_stats(crlf, quiet);
  FUZZ_CHECK(same_counters(stats, crlf_stats), "\\r\\n changes the counters");
  FUZZ_CHECK(same_event(stats.event, crlf_stats.event), "\\r\\n changes the event");
}

// The file AFL would write, from numbers; the expected event is kept alongside.
void check_written_file(reader& in) {
  catalog::afl_runtime_stats expected;
  std::size_t mapped = 0;
  std::size_t ignored = 0;
  std::size_t invalid = 0;
  std::string file;
  const std::size_t lines = in.byte() % 32;
  for (std::size_t i = 0; i < lines; ++i) {
    const auto key_code = in.byte();
    const auto format = in.byte();
    std::string value;
    std::string key;
    // A u64 at the edges more often than anywhere else.
    auto u64 = [&in]() -> std::uint64_t {
      const auto pick = in.byte();
      if (pick < 0x40) return std::numeric_limits<std::uint64_t>::max() - pick % 4;
      if (pick < 0x80) return pick % 4;
      return in.integer<std::uint64_t>();
    };
    auto u64_field = [&](std::string_view afl, std::string_view aflpp, auto& field) {
      key = (key_code & 0x80) ? aflpp : afl;
      const std::uint64_t number = u64();
      value = std::to_string(number);
      if (format & 1) value = "+" + value;
      field = number;
      ++mapped;
    };
    auto double_field = [&](std::string_view name, std::string_view suffix, auto& field) {
      key = name;
      char text[64];
      std::snprintf(text, sizeof text, "%.2f", in.integer<std::uint32_t>() / 100.0);
      double number = 0;
      std::from_chars(text, text + std::char_traits<char>::length(text), number);
      value = std::string(text) + std::string(suffix);
      field = number;
      ++mapped;
    };
    switch (key_code % 12) {
      case 0: u64_field("execs_done", "execs_done", expected.count); break;
      case 1: u64_field("paths_total", "corpus_count", expected.coverage_paths); break;
      case 2: u64_field("paths_favored", "corpus_favored", expected.coverage_paths_favored); break;
      case 3: u64_field("paths_found", "corpus_found", expected.coverage_paths_found); break;
      case 4: u64_field("paths_imported", "corpus_imported", expected.coverage_paths_imported); break;
      case 5: double_field("execs_per_sec", "", expected.execs_sec); break;
      case 6: double_field("bitmap_cvg", "%", expected.coverage); break;
      case 7: {
        key = "fuzzer_pid";
        const std::uint64_t pid = (format & 2) ? std::uint64_t{0xFFFFFFFFu} + in.byte() : in.integer<std::uint32_t>();
        value = std::to_string(pid);
        if (pid <= 0xFFFFFFFFu) {
          expected.pid = static_cast<std::uint32_t>(pid);
          ++mapped;
        } else {
          ++invalid;  // the field keeps its earlier value
        }
        break;
      }
      case 8: {
        key = "target_mode";
        const std::size_t words = 1 + in.byte() % 3;
        for (std::size_t w = 0; w < words; ++w) {
          const auto& names = catalog::detail::afl_target_mode_words;
          value += names[in.byte() % names.size()];
          if (!(format & 4)) value += ' ';  // AFL++ ends each word with a space, except some
        }
        expected.mode = catalog::afl_mode{std::string(integrations::detail::trim(value))};
        ++mapped;
        break;
      }
      case 9: {
        key = "command_line";
        for (std::size_t n = in.byte() % 40; n > 0; --n) {
          const char c = static_cast<char>(in.byte());
          value += (c == '\n' || c == '\r' || c == '\0') ? ':' : c;  // one line; ':' must survive
        }
        expected.command_line = std::string(integrations::detail::trim(value));
        ++mapped;
        break;
      }
      case 10: {
        key = integrations::afl_ignored_keys[in.byte() % integrations::afl_ignored_keys.size()];
        value = std::to_string(in.integer<std::uint32_t>());
        ++ignored;
        break;
      }
      default: {
        key = integrations::aflplusplus_unmapped_keys[in.byte() % integrations::aflplusplus_unmapped_keys.size()];
        value = "87.50%";
        ++ignored;
        break;
      }
    }
    // AFL pads the key to 18 columns ("%-18s: %s\n"); some lines use "\r\n".
    std::string line = key;
    if (line.size() < 18) line.append(18 - line.size(), ' ');
    line += ": " + value;
    line += (format & 8) ? "\r\n" : "\n";
    file += line;
  }
  const auto stats = integrations::parse_afl_stats(file);
  FUZZ_CHECK(same_event(stats.event, expected), "the fields differ from what was written:\n" + file);
  FUZZ_CHECK(stats.mapped == mapped && stats.ignored == ignored && stats.invalid == invalid && stats.unknown == 0 &&
                 stats.malformed == 0 && !stats.torn_last_line,
             "the counters differ from what was written:\n" + file);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const auto flags = in.byte();
  if (flags & 1) {
    check_written_file(in);
  } else {
    check_any_text(in.rest(), (flags & 2) == 0);
  }
  return 0;
}
