// libFuzzer integration: the status-line parser against the original's regex (on captured
// real output, edge cases and random lines), aggregation over workers with a restart, the
// reporter's schedule, and the threaded reporter through a real sender.
#include "test_support.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/integrations/event_sink.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_reporter.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_status.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_totals.hpp>
#include <onefuzz/telemetry/testing/ingestion_server.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
// g++ 12 at -O1 with sanitizers reports a false "may be used uninitialized" inside
// libstdc++'s <regex> (std::function in the NFA's states); the code is the library's.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace libfuzzer_test {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
namespace integ = onefuzz::telemetry::integrations;
using integ::libfuzzer_line_kind;
using integ::libfuzzer_status;
using integrations_test::data_file;
using integrations_test::read_lines;
using namespace std::chrono_literals;

namespace {

// The original's parse_line, with std::regex standing in for Rust's regex crate (both take
// the leftmost match), and u64/f64 parses that fail on overflow as Rust's do. Rust's `.`
// is any character but '\n'; ECMAScript's also stops at '\r', hence `[^\n]*` for `.*`.
std::optional<libfuzzer_status> original_parse(const std::string& line) {
  static const std::regex pattern{R"(#(\d+)\s*(?:pulse|INITED|NEW|REDUCE)[^\n]*exec/s: (\d+))"};
  std::smatch match;
  if (!std::regex_search(line, match, pattern)) return std::nullopt;
  const std::string count_text = match[1].str();
  const std::string exec_text = match[2].str();
  unsigned long long count = 0;
  try {
    count = std::stoull(count_text);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
  double execs = 0;
  try {
    execs = std::stod(exec_text);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
  return libfuzzer_status{count, execs};
}

const std::vector<std::string> captured_files = {"libfuzzer_worker0_run1.txt", "libfuzzer_worker0_run2.txt",
                                                 "libfuzzer_worker1_run1.txt"};

// The last status of a captured run, by the oracle.
libfuzzer_status last_status_of(const std::string& file) {
  std::optional<libfuzzer_status> last;
  for (const auto& line : read_lines(data_file(file))) {
    if (auto status = original_parse(line)) last = status;
  }
  REQUIRE(last);
  return *last;
}

}  // namespace

TEST_CASE("every line of real libFuzzer output is read exactly as the original's regex reads it") {
  std::size_t status_lines = 0;
  std::size_t with_rate = 0;
  for (const auto& file : captured_files) {
    for (const auto& line : read_lines(data_file(file))) {
      INFO(file << ": " << line);
      const auto expected = original_parse(line);
      const auto got = integ::parse_libfuzzer_status(line);
      REQUIRE(got.has_value() == expected.has_value());
      if (got) {
        CHECK(got->count == expected->count);
        CHECK(got->execs_sec == expected->execs_sec);
        ++status_lines;
        if (got->execs_sec > 0) ++with_rate;
      }
    }
  }
  // The captures hold INITED, NEW, REDUCE and pulse lines, some after the first second
  // (exec/s > 0), a crash report and a DONE line: enough to mean something.
  CHECK(status_lines >= 30);
  CHECK(with_rate >= 5);
}

TEST_CASE("status lines: the original's grammar, edge cases and overflow") {
  struct row {
    std::string line;
    libfuzzer_line_kind kind;
    std::uint64_t count;
    double execs;
  };
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  const std::vector<row> rows = {
      {"#262144\tpulse  cov: 11 ft: 13 corp: 7/23b lim: 2578 exec/s: 87381 rss: 27Mb", libfuzzer_line_kind::status,
       262144, 87381},
      {"#2\tINITED cov: 6 ft: 6 corp: 1/1b exec/s: 0 rss: 27Mb", libfuzzer_line_kind::status, 2, 0},
      {"#9\tNEW    cov: 1 exec/s: 10\r", libfuzzer_line_kind::status, 9, 10},  // CRLF
      {"#5 NEW_FUNC[1/1]: exec/s: 3", libfuzzer_line_kind::status, 5, 3},      // prefix, as the regex
      {"INFO: #7 INITED exec/s: 2", libfuzzer_line_kind::status, 7, 2},        // unanchored
      {"#1 NEW exec/s: 2 #3 NEW exec/s: 4", libfuzzer_line_kind::status, 1, 4},  // leftmost '#', last exec/s
      {"#x #5 NEW exec/s: 6", libfuzzer_line_kind::status, 5, 6},
      {"#7 foo #8 REDUCE exec/s: 9", libfuzzer_line_kind::status, 8, 9},
      {"#1 NEW exec/s: 2 exec/s: x", libfuzzer_line_kind::status, 1, 2},
      {"#1 NEW exec/s: 12abc", libfuzzer_line_kind::status, 1, 12},
      {"#18446744073709551615 NEW exec/s: 1", libfuzzer_line_kind::status, max, 1},
      {"#000000000000000000000042 NEW exec/s: 1", libfuzzer_line_kind::status, 42, 1},
      {"#1 NEW exec/s: 123456789012345678901234567890", libfuzzer_line_kind::status, 1, 1.2345678901234568e29},
      // Truncated lines: a status line cut anywhere before its exec/s digits is not one.
      {"#262144\tpulse  cov: 11 ft: 13 corp: 7/23b lim: 2578 exec/s: ", libfuzzer_line_kind::other, 0, 0},
      {"#262144\tpulse  cov: 11 ft: 13 corp: 7/23b lim: 2578 exec/", libfuzzer_line_kind::other, 0, 0},
      {"#262144\tpul", libfuzzer_line_kind::other, 0, 0},
      {"#262144", libfuzzer_line_kind::other, 0, 0},
      {"#", libfuzzer_line_kind::other, 0, 0},
      {"", libfuzzer_line_kind::other, 0, 0},
      // Cut inside the exec/s digits: still a status line, with the digits there are (as
      // the regex); libFuzzer writes whole lines, so this only happens to a line being read.
      {"#262144\tpulse  cov: 11 exec/s: 87", libfuzzer_line_kind::status, 262144, 87},
      // Not status lines.
      {"#209140\tDONE   cov: 11 ft: 13 corp: 7/23b lim: 2050 exec/s: 69713 rss: 27Mb", libfuzzer_line_kind::other, 0,
       0},
      {"#12345: cov: 10 ft: 11 corp: 3 exec/s: 100 oom/timeout/crash: 0/0/1 time: 3s job: 4 dft_time: 0",
       libfuzzer_line_kind::other, 0, 0},  // -fork mode's summary
      {"#1 NEW exec/s:5", libfuzzer_line_kind::other, 0, 0},
      {"#1 NEW foo\nexec/s: 3", libfuzzer_line_kind::other, 0, 0},  // `.` stops at a newline
      {"    #0 0x55558977fd14 in __sanitizer_print_stack_trace", libfuzzer_line_kind::other, 0, 0},
      // Overflow: the original's u64 parse fails and the line is dropped.
      {"#18446744073709551616 NEW exec/s: 1", libfuzzer_line_kind::out_of_range, 0, 0},
      {"#99999999999999999999999 pulse exec/s: 1", libfuzzer_line_kind::out_of_range, 0, 0},
      {"#1 NEW exec/s: " + std::string(400, '9'), libfuzzer_line_kind::out_of_range, 0, 0},
  };
  for (const auto& r : rows) {
    INFO(r.line);
    const auto read = integ::read_libfuzzer_line(r.line);
    CHECK(read.kind == r.kind);
    if (r.kind == libfuzzer_line_kind::status) {
      CHECK(read.status.count == r.count);
      CHECK(read.status.execs_sec == Approx(r.execs));
    }
    // The oracle agrees (std::stod gives inf-free out_of_range as the parser does).
    CHECK(original_parse(r.line).has_value() == (r.kind == libfuzzer_line_kind::status));
  }
}

TEST_CASE("status lines are parsed at compile time too") {
  static_assert(integ::parse_libfuzzer_status("#12\tNEW    cov: 3 exec/s: 7 rss: 1Mb")->count == 12);
  static_assert(integ::parse_libfuzzer_status("#12\tNEW    cov: 3 exec/s: 7 rss: 1Mb")->execs_sec == 7);
  static_assert(!integ::parse_libfuzzer_status("#12\tDONE   cov: 3 exec/s: 7"));
  SUCCEED();
}

TEST_CASE("random lines: the hand parser and the regex agree") {
  const std::vector<std::string> tokens = {"#",       "#",      "1",   "23",  "456",     "18446744073709551616",
                                           " ",       "\t",     "\n",  "NEW", "pulse",   "INITED",
                                           "REDUCE",  "DONE",   "NEW_FUNC", "exec/s: ", "exec/s:", "exec/s: 9",
                                           "cov: 3 ", "x",      ":",   "\r",  "0",
                                           "#1 NEW ", "#262144\tpulse ", "exec/s: 12 ", "#7 REDUCE"};
  std::mt19937 engine{20240601};
  std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
  std::uniform_int_distribution<int> length(0, 14);
  std::size_t matched = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int n = length(engine);
    for (int t = 0; t < n; ++t) line += tokens[pick(engine)];
    const auto expected = original_parse(line);
    const auto got = integ::parse_libfuzzer_status(line);
    INFO(line);
    REQUIRE(got.has_value() == expected.has_value());
    if (got) {
      REQUIRE(got->count == expected->count);
      REQUIRE(got->execs_sec == expected->execs_sec);
      ++matched;
    }
  }
  CHECK(matched > 200);  // the alphabet produces real matches, not only misses
}

TEST_CASE("a megabyte of near-misses is read in linear time") {
  std::string line;
  for (int i = 0; i < 150000; ++i) line += "#1 NEW ";
  const auto started = std::chrono::steady_clock::now();
  CHECK(integ::read_libfuzzer_line(line).kind == libfuzzer_line_kind::other);
  line += "exec/s: 5";
  const auto read = integ::read_libfuzzer_line(line);
  CHECK(read.kind == libfuzzer_line_kind::status);
  CHECK(read.status.execs_sec == 5);
  // A quadratic scan would take minutes here; linear takes milliseconds, even under ASan.
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("totals over captured workers keep a restarted worker's earlier iterations") {
  const auto run1 = cat::run_id::random();
  const auto run2 = cat::run_id::random();
  const auto other = cat::run_id::random();
  integ::libfuzzer_totals with_runs;
  integ::libfuzzer_totals without_runs;
  auto feed = [&](std::uint64_t worker, const cat::run_id& run, const std::string& file) {
    for (const auto& line : read_lines(data_file(file))) {
      if (auto status = integ::parse_libfuzzer_status(line)) {
        with_runs.record(worker, run, *status);
        without_runs.record(worker, *status);
      }
    }
  };
  feed(0, run1, "libfuzzer_worker0_run1.txt");
  feed(1, other, "libfuzzer_worker1_run1.txt");
  feed(0, run2, "libfuzzer_worker0_run2.txt");  // worker 0 restarted after its crash

  const auto w0r1 = last_status_of("libfuzzer_worker0_run1.txt");
  const auto w0r2 = last_status_of("libfuzzer_worker0_run2.txt");
  const auto w1 = last_status_of("libfuzzer_worker1_run1.txt");
  REQUIRE(w0r2.count < w0r1.count);  // the restart started from scratch, as libFuzzer does

  CHECK(with_runs.count() == w0r1.count + w0r2.count + w1.count);
  CHECK(with_runs.execs_sec() == w0r2.execs_sec + w1.execs_sec);
  CHECK(with_runs.workers() == 2);
  // Without run ids the restart is seen from the count going down: same totals.
  CHECK(without_runs.count() == with_runs.count());
  CHECK(without_runs.execs_sec() == with_runs.execs_sec());

  const auto event = with_runs.event();
  CHECK(*event.count == with_runs.count());
  CHECK(*event.execs_sec == with_runs.execs_sec());
  CHECK_FALSE((*event.worker_id).has_value());  // the post-#786 form: totals only
  CHECK_FALSE((*event.run_id).has_value());
}

TEST_CASE("totals: restarts, several workers, and saturation") {
  integ::libfuzzer_totals totals;
  CHECK(totals.count() == 0);
  CHECK(totals.execs_sec() == 0);

  const auto a1 = cat::run_id::random();
  const auto a2 = cat::run_id::random();
  const auto b1 = cat::run_id::random();
  totals.record(0, a1, {100, 10});
  totals.record(0, a1, {300, 30});
  totals.record(1, b1, {50, 5});
  CHECK(totals.count() == 350);
  CHECK(totals.execs_sec() == 35);

  // Worker 0 restarts; its new run's first line is already past the old run's last count,
  // which only the run id reveals.
  totals.record(0, a2, {400, 1});
  CHECK(totals.count() == 300 + 400 + 50);
  CHECK(totals.execs_sec() == 6);

  // Without run ids, a lower count is a restart.
  integ::libfuzzer_totals counted;
  counted.record(7, libfuzzer_status{1000, 100});
  counted.record(7, libfuzzer_status{5, 0});
  counted.record(7, libfuzzer_status{20, 0});
  CHECK(counted.count() == 1020);

  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  integ::libfuzzer_totals huge;
  huge.record(0, libfuzzer_status{max - 1, 1});
  huge.record(1, libfuzzer_status{max - 1, 1});
  CHECK(huge.count() == max);
  huge.record(0, libfuzzer_status{1, 1});  // a restart on top of a saturated worker
  CHECK(huge.count() == max);
}

TEST_CASE("schedule: zeros at start, status lines at most once per interval, periodic events") {
  using clock = integ::libfuzzer_schedule::clock;
  integ::libfuzzer_schedule schedule{{.period = 60s, .min_interval = 1s}};
  const auto t0 = clock::time_point{} + 1000h;
  const auto run = cat::run_id::random();

  CHECK_FALSE(schedule.on_status(t0 - 1s, 0, run, {1, 0}));  // before start: recorded only

  const auto first = schedule.start(t0);
  CHECK(*first.count == 1);
  CHECK(*first.execs_sec == 0);
  CHECK(schedule.next_due() == t0 + 60s);

  // Within a second of the last event: held back, and due at the end of the second.
  CHECK_FALSE(schedule.on_status(t0 + 100ms, 0, run, {10, 0}));
  CHECK(schedule.pending());
  CHECK(schedule.next_due() == t0 + 1s);
  CHECK_FALSE(schedule.on_status(t0 + 500ms, 0, run, {20, 0}));
  CHECK_FALSE(schedule.poll(t0 + 999ms));
  const auto held = schedule.poll(t0 + 1s);
  REQUIRE(held);
  CHECK(*held->count == 20);  // the latest totals, not the first held-back line's
  CHECK_FALSE(schedule.pending());

  // A line more than a second after the last event goes out at once.
  const auto at_once = schedule.on_status(t0 + 2500ms, 1, cat::run_id::random(), {5, 7});
  REQUIRE(at_once);
  CHECK(*at_once->count == 25);
  CHECK(*at_once->execs_sec == 7);

  // Nothing printed for a minute: the periodic event, then one a minute later.
  CHECK_FALSE(schedule.poll(t0 + 62s));
  const auto periodic = schedule.poll(t0 + 62500ms);
  REQUIRE(periodic);
  CHECK(*periodic->count == 25);
  CHECK(schedule.next_due() == t0 + 122500ms);
  CHECK_FALSE(schedule.poll(t0 + 122s));
  CHECK(schedule.poll(t0 + 122500ms));
}

TEST_CASE("schedule: with no rate limit every status line is an event, as in the original") {
  using clock = integ::libfuzzer_schedule::clock;
  integ::libfuzzer_schedule schedule{{.period = 60s, .min_interval = 0ms}};
  const auto t0 = clock::time_point{} + 1h;
  (void)schedule.start(t0);
  const auto run = cat::run_id::random();
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const auto event = schedule.on_status(t0, 0, run, {i, 0});
    REQUIRE(event);
    CHECK(*event->count == i);
  }
}

TEST_CASE("reporter: its thread sends held-back totals and periodic events; stop ends it") {
  integrations_test::collector<cat::libfuzzer_runtime_stats> sent;
  integ::libfuzzer_reporter reporter{[&](const cat::libfuzzer_runtime_stats& e) { sent.add(e); },
                                     {.period = 50ms, .min_interval = 20ms}};
  reporter.start();
  REQUIRE(sent.wait_for_count(1));
  CHECK(*sent.values().front().count == 0);

  const auto run = cat::run_id::random();
  CHECK(reporter.on_line(3, run, "#4096\tpulse  cov: 9 ft: 11 corp: 5/15b lim: 43 exec/s: 2048 rss: 27Mb") ==
        libfuzzer_line_kind::status);
  CHECK(reporter.on_line(3, run, "INFO: Seed: 12") == libfuzzer_line_kind::other);
  CHECK(reporter.on_line(3, run, "#99999999999999999999999 NEW exec/s: 1") == libfuzzer_line_kind::out_of_range);

  // Whether the line went out at once or was held back, the totals arrive.
  REQUIRE(sent.wait_until([](const auto& values) { return *values.back().count == 4096; }));
  // And then again with nothing new: the periodic event, at least twice.
  const auto before = sent.values().size();
  REQUIRE(sent.wait_for_count(before + 2));
  for (const auto& event : sent.values()) CHECK(*event.count <= 4096);

  reporter.stop();
  const auto stats = reporter.statistics();
  CHECK(stats.status_lines == 1);
  CHECK(stats.other_lines == 1);
  CHECK(stats.out_of_range_lines == 1);
  CHECK(stats.sink_failures == 0);
  const auto after_stop = sent.values().size();
  CHECK(stats.events == after_stop);
  reporter.on_line(3, run, "#8192\tpulse  cov: 9 exec/s: 4096");  // counted, not sent
  CHECK(reporter.statistics().status_lines == 2);
  CHECK(sent.values().size() == after_stop);
  CHECK(*reporter.current().count == 8192);
}

TEST_CASE("reporter: stop sends totals still held back") {
  std::vector<cat::libfuzzer_runtime_stats> sent;
  {
    integ::libfuzzer_reporter reporter{[&](const cat::libfuzzer_runtime_stats& e) { sent.push_back(e); },
                                       {.period = 1h, .min_interval = 1h}};
    reporter.start();
    reporter.on_line(0, cat::run_id::random(), "#77\tNEW    cov: 1 exec/s: 0");
    REQUIRE(sent.size() == 1);  // held back: the hour since the first event has not passed
    reporter.stop();
  }
  REQUIRE(sent.size() == 2);
  CHECK(*sent.back().count == 77);
}

TEST_CASE("reporter: a throwing sink is counted and does not stop the reporting") {
  int calls = 0;
  integ::libfuzzer_reporter reporter{[&](const cat::libfuzzer_runtime_stats&) {
                                       ++calls;
                                       throw std::runtime_error("sink down");
                                     },
                                     {.period = 1h, .min_interval = 0ms}};
  reporter.start();
  reporter.on_line(0, cat::run_id::random(), "#1 NEW exec/s: 0");
  reporter.stop();
  CHECK(calls == 2);
  CHECK(reporter.statistics().sink_failures == 2);
  CHECK(reporter.statistics().events == 0);
}

TEST_CASE("reporter through emit_to(sender): runtime_stats reach both instances") {
  constexpr const char* instance_key = "11111111-1111-4111-8111-111111111111";
  constexpr const char* central_key = "22222222-2222-4222-8222-222222222222";
  tel::testing::ingestion_server server;
  tel::transport::sender_options options;
  options.destinations.instance = server.connection_string(instance_key);
  options.destinations.central = server.connection_string(central_key);
  options.getenv = [](const char*) -> const char* { return nullptr; };
  options.batching.max_delay = 20ms;
  tel::transport::sender<> sender{options};
  {
    integ::libfuzzer_reporter reporter{integ::emit_to{sender}, {.period = 1h, .min_interval = 0ms}};
    reporter.start();
    for (const auto& line : read_lines(data_file("libfuzzer_worker1_run1.txt"))) reporter.on_line(1, line);
    reporter.stop();
  }
  REQUIRE(sender.force_flush(10s));
  const auto expected = last_status_of("libfuzzer_worker1_run1.txt");
  for (const char* key : {instance_key, central_key}) {
    const auto items = server.accepted(key);
    REQUIRE(!items.empty());
    const auto& last_event = [&]() -> const boost::json::object& {
      for (auto it = items.rbegin(); it != items.rend(); ++it) {
        if (it->at("data").at("baseType").as_string() == "EventData") return *it;
      }
      FAIL("no EventData item");
      return items.front();
    }();
    const auto& props = last_event.at("data").at("baseData").at("properties").as_object();
    CHECK(last_event.at("data").at("baseData").at("name").as_string() == "runtime_stats");
    CHECK(props.at("count").as_string() == std::to_string(expected.count));
  }
  const auto stats = sender.instance_statistics();
  CHECK(stats.emitted == stats.accepted);
}

}  // namespace libfuzzer_test
