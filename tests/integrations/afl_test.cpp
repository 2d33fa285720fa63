// AFL integration: fuzzer_stats written by a real AFL++ 4.04c run mapped as the original
// maps AFL's keys, AFL's own key names, CRLF, torn and empty files, huge and invalid
// values, unknown keys, and the periodic reporter on a file that changes.
#include "test_support.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/integrations/afl_reporter.hpp>
#include <onefuzz/telemetry/integrations/afl_stats.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace afl_test {

namespace cat = onefuzz::telemetry::catalog;
namespace integ = onefuzz::telemetry::integrations;
using integrations_test::data_file;
using integrations_test::read_file;
using namespace std::chrono_literals;

namespace {

// `key : value` pairs of a file, read naively, to check the mapping against.
std::map<std::string, std::string> naive_pairs(const std::string& text) {
  std::map<std::string, std::string> pairs;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const auto line = text.substr(at, end - at);
    at = end + 1;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto trim = [](std::string s) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
      while (!s.empty() && s.front() == ' ') s.erase(s.begin());
      return s;
    };
    pairs[trim(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  return pairs;
}

struct warnings {
  std::vector<std::string> unknown;
  std::vector<std::string> invalid;
  integ::afl_read_options options() {
    integ::afl_read_options o;
    o.on_warning = [this](const integ::afl_warning& w) {
      (w.what == integ::afl_warning::kind::unknown_key ? unknown : invalid).emplace_back(w.key);
    };
    return o;
  }
};

}  // namespace

TEST_CASE("fuzzer_stats written by AFL++ map to runtime_stats, with every AFL++ key known") {
  for (const char* file : {"aflplusplus_fuzzer_stats_start", "aflplusplus_fuzzer_stats_final"}) {
    INFO(file);
    const auto text = read_file(data_file(file));
    const auto pairs = naive_pairs(text);
    REQUIRE(pairs.size() > 30);
    warnings seen;
    const auto stats = integ::parse_afl_stats(text, seen.options());
    const auto& e = stats.event;

    // AFL++ 4 writes the corpus_* names: they fill the coverage_paths fields.
    CHECK(*e.coverage_paths == std::stoull(pairs.at("corpus_count")));
    CHECK(*e.coverage_paths_favored == std::stoull(pairs.at("corpus_favored")));
    CHECK(*e.coverage_paths_found == std::stoull(pairs.at("corpus_found")));
    CHECK(*e.coverage_paths_imported == std::stoull(pairs.at("corpus_imported")));
    CHECK(*e.count == std::stoull(pairs.at("execs_done")));
    CHECK(*e.pid == std::stoul(pairs.at("fuzzer_pid")));
    CHECK(*e.execs_sec == Approx(std::stod(pairs.at("execs_per_sec"))));
    auto cvg = pairs.at("bitmap_cvg");
    REQUIRE(cvg.back() == '%');
    cvg.pop_back();
    CHECK(*e.coverage == Approx(std::stod(cvg)));
    CHECK(*e.command_line == pairs.at("command_line"));
    // "persistent shmem_testcase deferred " (with AFL's trailing space): the user's instance
    // gets it as written, the central instance trimmed, because every word is AFL's.
    REQUIRE((*e.mode).has_value());
    CHECK((*e.mode)->full_value().starts_with("persistent shmem_testcase deferred"));
    CHECK((*e.mode)->is_known());
    CHECK((*e.mode)->central_projection() == "persistent shmem_testcase deferred");
    CHECK_FALSE((*e.coverage_paths_depth).has_value());  // max_depth is ignored, as the original

    CHECK(stats.mapped == 10);  // every mapped key AFL++ writes
    CHECK(stats.unknown == 0);
    CHECK(stats.invalid == 0);
    CHECK(stats.malformed == 0);
    CHECK_FALSE(stats.torn_last_line);
    CHECK(stats.mapped + stats.ignored == pairs.size());
    CHECK(seen.unknown.empty());
    CHECK(stats.has_fields());
  }
}

TEST_CASE("AFL's own key names (paths_*) map to the same fields") {
  // The key set AFL 2.57b writes (values arbitrary): the original's mapping and ignored list.
  const std::string text =
      "start_time        : 1700000000\n"
      "last_update       : 1700000060\n"
      "fuzzer_pid        : 4242\n"
      "cycles_done       : 3\n"
      "execs_done        : 123456\n"
      "execs_per_sec     : 2057.60\n"
      "paths_total       : 40\n"
      "paths_favored     : 12\n"
      "paths_found       : 39\n"
      "paths_imported    : 2\n"
      "max_depth         : 5\n"
      "cur_path          : 7\n"
      "pending_favs      : 0\n"
      "pending_total     : 10\n"
      "variable_paths    : 0\n"
      "stability         : 100.00%\n"
      "bitmap_cvg        : 0.15%\n"
      "unique_crashes    : 1\n"
      "unique_hangs      : 0\n"
      "last_path         : 1700000050\n"
      "last_crash        : 1700000055\n"
      "last_hang         : 0\n"
      "execs_since_crash : 1000\n"
      "exec_timeout      : 20\n"
      "afl_banner        : target\n"
      "afl_version       : 2.57b\n"
      "target_mode       : qemu persistent\n"
      "command_line      : afl-fuzz -i in -o out -x dict:words -- ./target @@\n";
  warnings seen;
  const auto stats = integ::parse_afl_stats(text, seen.options());
  const auto& e = stats.event;
  CHECK(*e.pid == 4242u);
  CHECK(*e.count == 123456u);
  CHECK(*e.execs_sec == Approx(2057.6));
  CHECK(*e.coverage_paths == 40u);
  CHECK(*e.coverage_paths_favored == 12u);
  CHECK(*e.coverage_paths_found == 39u);
  CHECK(*e.coverage_paths_imported == 2u);
  CHECK(*e.coverage == Approx(0.15));
  CHECK((*e.mode)->central_projection() == "qemu persistent");
  // The whole value after the first ':' (the original kept only up to the second ':').
  CHECK(*e.command_line == "afl-fuzz -i in -o out -x dict:words -- ./target @@");
  CHECK(stats.mapped == 10);
  CHECK(stats.ignored == integ::afl_ignored_keys.size());  // AFL writes every ignored key
  CHECK(seen.unknown.empty());
}

TEST_CASE("every key of the original's ignored list is skipped silently") {
  std::string text;
  for (auto key : integ::afl_ignored_keys) text += std::string{key} + " : 1\n";
  for (auto key : integ::aflplusplus_unmapped_keys) text += std::string{key} + " : 1\n";
  warnings seen;
  const auto stats = integ::parse_afl_stats(text, seen.options());
  CHECK(stats.ignored == integ::afl_ignored_keys.size() + integ::aflplusplus_unmapped_keys.size());
  CHECK(stats.mapped == 0);
  CHECK(seen.unknown.empty());
  CHECK_FALSE(stats.has_fields());
  // No key is in two lists.
  std::set<std::string_view> all;
  for (auto k : integ::afl_ignored_keys) CHECK(all.insert(k).second);
  for (auto k : integ::aflplusplus_unmapped_keys) CHECK(all.insert(k).second);
  for (auto k : integ::afl_mapped_keys) CHECK(all.insert(k).second);
}

TEST_CASE("unknown keys warn through the callback, once per line, and are counted") {
  warnings seen;
  const auto stats = integ::parse_afl_stats(
      "execs_done : 10\nnew_shiny_key : 3\nanother : x\nnew_shiny_key : 4\nEXECS_DONE : 11\n", seen.options());
  CHECK(stats.unknown == 4);  // keys are case-sensitive, as the original's match
  CHECK(seen.unknown == std::vector<std::string>{"new_shiny_key", "another", "new_shiny_key", "EXECS_DONE"});
  CHECK(*stats.event.count == 10u);
  // Without a callback nothing is printed and the counts are the same.
  CHECK(integ::parse_afl_stats("x : 1\n").unknown == 1);
}

TEST_CASE("CRLF line endings, blank and malformed lines") {
  warnings seen;
  const auto stats = integ::parse_afl_stats(
      "execs_done        : 18639\r\n\r\nnot a pair\r\n : 5\r\nbitmap_cvg : 72.22%\r\ntarget_mode : default\r\n",
      seen.options());
  CHECK(*stats.event.count == 18639u);
  CHECK(*stats.event.coverage == Approx(72.22));
  CHECK((*stats.event.mode)->full_value() == "default");
  CHECK(stats.malformed == 2);
  CHECK(stats.mapped == 3);
  CHECK(seen.unknown.empty());
}

TEST_CASE("a torn or empty file: the cut line is skipped, an empty read sends nothing") {
  const auto full = read_file(data_file("aflplusplus_fuzzer_stats_final"));
  // Cut inside "execs_done        : 76756" style line: the number would be wrong if read.
  const auto cut_at = full.find("execs_done");
  REQUIRE(cut_at != std::string::npos);
  const auto torn = full.substr(0, cut_at + std::string{"execs_done        : 7"}.size());
  const auto stats = integ::parse_afl_stats(torn);
  CHECK(stats.torn_last_line);
  CHECK_FALSE((*stats.event.count).has_value());
  CHECK(*stats.event.pid > 0u);  // lines before the cut are whole and used

  // Opting out reads the cut line as the original would.
  const auto as_original = integ::parse_afl_stats(torn, {.on_warning = {}, .skip_unterminated_last_line = false});
  CHECK(*as_original.event.count == 7u);

  const auto empty = integ::parse_afl_stats("");
  CHECK_FALSE(empty.has_fields());
  CHECK_FALSE(empty.torn_last_line);
  CHECK(integ::parse_afl_stats("\n\n").mapped == 0);
}

TEST_CASE("huge and invalid values leave the field out and warn") {
  warnings seen;
  const auto stats = integ::parse_afl_stats(
      "execs_done : 18446744073709551615\n"     // the largest u64: fine
      "paths_total : 18446744073709551616\n"    // one more: invalid
      "fuzzer_pid : 4294967296\n"               // above u32: invalid
      "execs_per_sec : -nan\n"                  // AFL prints this for 0/0
      "bitmap_cvg : 1e999%\n"                   // out of double's range
      "corpus_found : 12abc\n"
      "corpus_favored : \n"
      "paths_imported : +5\n",                  // Rust's u64 parse accepts the '+'
      seen.options());
  const auto& e = stats.event;
  CHECK(*e.count == 18446744073709551615ull);
  CHECK_FALSE((*e.coverage_paths).has_value());
  CHECK_FALSE((*e.pid).has_value());
  CHECK_FALSE((*e.execs_sec).has_value());
  CHECK_FALSE((*e.coverage).has_value());
  CHECK_FALSE((*e.coverage_paths_found).has_value());
  CHECK_FALSE((*e.coverage_paths_favored).has_value());
  CHECK(*e.coverage_paths_imported == 5u);
  CHECK(stats.invalid == 6);
  CHECK(seen.invalid ==
        std::vector<std::string>{"paths_total", "fuzzer_pid", "execs_per_sec", "bitmap_cvg", "corpus_found", "corpus_favored"});
}

TEST_CASE("a key given twice keeps its last value; both spellings of a renamed key fill one field") {
  const auto stats = integ::parse_afl_stats("paths_total : 3\ncorpus_count : 9\nexecs_done : 1\nexecs_done : 2\n");
  CHECK(*stats.event.coverage_paths == 9u);
  CHECK(*stats.event.count == 2u);
}

TEST_CASE("an unknown target_mode is kept for the user's instance and 'other' centrally") {
  const auto stats = integ::parse_afl_stats("target_mode : frida /home/alice/target\n");
  CHECK((*stats.event.mode)->full_value() == "frida /home/alice/target");
  CHECK((*stats.event.mode)->central_projection() == "other");
}

TEST_CASE("read_afl_stats names a missing file") {
  integrations_test::temp_dir dir;
  const auto missing = integ::read_afl_stats(dir / "fuzzer_stats");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("fuzzer_stats") && Catch::Contains("No such file"));
  const auto real = integ::read_afl_stats(data_file("aflplusplus_fuzzer_stats_final"));
  REQUIRE(real);
  CHECK(real->mapped == 10);
}

TEST_CASE("afl_reporter reads the file each period, skips missing and empty reads, and stops") {
  integrations_test::temp_dir dir;
  const auto path = dir / "fuzzer_stats";
  integrations_test::collector<cat::afl_runtime_stats> sent;
  std::vector<std::string> unknown;
  std::mutex unknown_mutex;
  integ::afl_reporter_options options{.stats_file = path, .period = 20ms};
  options.read.on_warning = [&](const integ::afl_warning& w) {
    std::lock_guard lock(unknown_mutex);
    unknown.emplace_back(w.key);
  };
  integ::afl_reporter reporter{[&](const cat::afl_runtime_stats& e) { sent.add(e); }, options};
  reporter.start();

  // Missing file: reads fail and are counted; nothing is sent.
  const auto wait_reads = [&](std::uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reporter.statistics().reads < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);  // polling a counter, bounded by the deadline
    }
    return true;
  };
  REQUIRE(wait_reads(2));
  CHECK(reporter.statistics().read_failures >= 2);
  CHECK(reporter.statistics().last_error.find("fuzzer_stats") != std::string::npos);
  CHECK(sent.values().empty());

  // AFL's first write, then a later one with an unknown key: both arrive. The test writes
  // by rename so that no read sees half a file (torn reads have their own test above).
  const auto replace = [&](const std::string& text) {
    integrations_test::write_file(dir / "next", text);
    std::filesystem::rename(dir / "next", path);
  };
  replace(read_file(data_file("aflplusplus_fuzzer_stats_start")));
  REQUIRE(sent.wait_until([](const auto& v) { return !v.empty(); }));
  const auto start_count = (*sent.values().back().count).value();
  replace(read_file(data_file("aflplusplus_fuzzer_stats_final")) + "brand_new_key : 1\n");
  REQUIRE(sent.wait_until([&](const auto& v) { return (*v.back().count).value_or(0) > start_count; }));

  // An empty file (just truncated by AFL): no event for it.
  replace("");
  const auto empty_before = reporter.statistics().empty_reads;
  const auto reads_before = reporter.statistics().reads;
  REQUIRE(wait_reads(reads_before + 2));
  CHECK(reporter.statistics().empty_reads > empty_before);

  reporter.stop();
  const auto stats = reporter.statistics();
  CHECK(stats.events == sent.values().size());
  CHECK(stats.unknown_keys >= 1);
  CHECK(std::find(stats.distinct_unknown_keys.begin(), stats.distinct_unknown_keys.end(), "brand_new_key") !=
        stats.distinct_unknown_keys.end());
  {
    std::lock_guard lock(unknown_mutex);
    CHECK(std::find(unknown.begin(), unknown.end(), "brand_new_key") != unknown.end());
  }
  // After stop the thread reads no more; report_now still reads on demand.
  const auto reads_at_stop = stats.reads;
  replace(read_file(data_file("aflplusplus_fuzzer_stats_final")));
  CHECK(reporter.report_now());
  CHECK(reporter.statistics().reads == reads_at_stop + 1);
}

}  // namespace afl_test
