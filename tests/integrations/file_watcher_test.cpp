// File events: real inotify on temporary directories. Files written in place and renamed
// into place are reported once, by name, with the event their directory means; dotfiles
// and directories are not; a missing directory is a clear error; stop() ends run() at
// once; a queue overflow is counted.
#include "test_support.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/integrations/file_watcher.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace file_watcher_test {

namespace cat = onefuzz::telemetry::catalog;
namespace integ = onefuzz::telemetry::integrations;
using integ::file_event;
using integ::watched_directory;
using namespace std::chrono_literals;

namespace {

// The three OneFuzz directories under one temporary root, and a watcher running on its
// own thread that records every event.
struct watched_root {
  integrations_test::temp_dir root;
  std::filesystem::path crashes = root / "crashes";
  std::filesystem::path inputs = root / "inputs";
  std::filesystem::path crashdumps = root / "crashdumps";
  integrations_test::collector<file_event> events;
  std::unique_ptr<integ::file_watcher> watcher;
  std::jthread thread;

  explicit watched_root(integ::file_watcher_options options = {}) {
    for (const auto& d : {crashes, inputs, crashdumps}) std::filesystem::create_directories(d);
    watcher = std::make_unique<integ::file_watcher>(
        std::vector<integ::watch_target>{{crashes, watched_directory::crashes},
                                         {inputs, watched_directory::inputs},
                                         {crashdumps, watched_directory::crashdumps}},
        options);
    thread = std::jthread([this] { watcher->run([this](const file_event& e) { events.add(e); }); });
  }
  ~watched_root() {
    watcher->stop();
    thread.join();
  }
};

bool has(const std::vector<file_event>& events, watched_directory kind, const std::string& name) {
  for (const auto& e : events) {
    if (e.kind == kind && e.name == name) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("new files are reported by name with their directory's meaning") {
  watched_root w;
  integrations_test::write_file(w.crashes / "crash-8a3efa6364df4d44", "FUZZ");
  integrations_test::write_file(w.inputs / "0f1e2d3c", "seed");
  integrations_test::write_file(w.crashdumps / "core.1234", "dump");
  REQUIRE(w.events.wait_for_count(3));
  const auto events = w.events.values();
  CHECK(has(events, watched_directory::crashes, "crash-8a3efa6364df4d44"));
  CHECK(has(events, watched_directory::inputs, "0f1e2d3c"));
  CHECK(has(events, watched_directory::crashdumps, "core.1234"));
  for (const auto& e : events) CHECK(e.name.find('/') == std::string::npos);  // the name only
  CHECK(w.watcher->statistics().files == 3);
}

TEST_CASE("a file is reported when complete: once when written in steps, once when renamed in") {
  watched_root w;
  {
    // Written in several writes before close: IN_CLOSE_WRITE fires once, at the close.
    const int fd = ::open((w.crashes / "slow-writer").c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    for (int i = 0; i < 5; ++i) REQUIRE(::write(fd, "abcd", 4) == 4);
    ::close(fd);
  }
  // Written elsewhere (a dotfile, as fuzzers do for temporaries) and renamed in: IN_MOVED_TO.
  integrations_test::write_file(w.inputs / ".tmp-input", "abc");
  std::filesystem::rename(w.inputs / ".tmp-input", w.inputs / "renamed-input");
  integrations_test::write_file(w.root / "outside", "x");
  std::filesystem::rename(w.root / "outside", w.crashes / "moved-from-outside");
  REQUIRE(w.events.wait_for_count(3));
  // A marker written last: once it is seen, everything before it has been delivered.
  integrations_test::write_file(w.inputs / "marker", "");
  REQUIRE(w.events.wait_until([](const auto& v) { return has(v, watched_directory::inputs, "marker"); }));
  const auto events = w.events.values();
  CHECK(events.size() == 4);
  CHECK(has(events, watched_directory::crashes, "slow-writer"));
  CHECK(has(events, watched_directory::inputs, "renamed-input"));
  CHECK(has(events, watched_directory::crashes, "moved-from-outside"));
  CHECK(w.watcher->statistics().ignored == 1);  // the dotfile's close
}

TEST_CASE("dotfiles and directories are skipped unless asked for") {
  {
    watched_root w;
    integrations_test::write_file(w.crashes / ".state", "x");
    std::filesystem::create_directory(w.crashes / "subdir");
    integrations_test::write_file(w.crashes / "marker", "");
    REQUIRE(w.events.wait_until([](const auto& v) { return has(v, watched_directory::crashes, "marker"); }));
    CHECK(w.events.values().size() == 1);
  }
  {
    watched_root w{{.ignore_dotfiles = false}};
    integrations_test::write_file(w.crashes / ".state", "x");
    REQUIRE(w.events.wait_until([](const auto& v) { return has(v, watched_directory::crashes, ".state"); }));
  }
}

TEST_CASE("a directory that does not exist yet is a clear error, or is created on request") {
  integrations_test::temp_dir root;
  const auto missing = root / "not-yet" / "crashes";
  try {
    integ::file_watcher watcher({{missing, watched_directory::crashes}});
    FAIL("a missing directory must not be watched silently");
  } catch (const std::system_error& error) {
    CHECK(error.code() == std::errc::no_such_file_or_directory);
    CHECK_THAT(error.what(), Catch::Contains(missing.string()) && Catch::Contains("does not exist") &&
                                 Catch::Contains("file_watcher"));
  }
  integrations_test::write_file(root / "a-file", "x");
  try {
    integ::file_watcher watcher({{root / "a-file", watched_directory::inputs}});
    FAIL("a regular file must not be watched as a directory");
  } catch (const std::system_error& error) {
    CHECK(error.code() == std::errc::not_a_directory);
  }

  integ::file_watcher created({{missing, watched_directory::crashes}}, {.create_missing = true});
  CHECK(std::filesystem::is_directory(missing));
}

TEST_CASE("stop() ends run() promptly, from another thread or before run() starts") {
  integrations_test::temp_dir root;
  integ::file_watcher watcher({{root.path(), watched_directory::inputs}});
  std::promise<void> returned;
  auto done = returned.get_future();
  std::jthread runner([&] {
    watcher.run([](const file_event&) {});
    returned.set_value();
  });
  // run() is blocked in poll(): nothing happens on its own.
  CHECK(done.wait_for(50ms) == std::future_status::timeout);
  const auto asked = std::chrono::steady_clock::now();
  watcher.stop();
  REQUIRE(done.wait_for(5s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - asked < 1s);

  integ::file_watcher stopped_first({{root.path(), watched_directory::inputs}});
  stopped_first.stop();
  stopped_first.run([](const file_event&) { FAIL("no event expected"); });  // returns at once
  SUCCEED();
}

TEST_CASE("every file closed before stop() is delivered before run() returns") {
  integrations_test::temp_dir root;
  integ::file_watcher watcher({{root.path(), watched_directory::crashes}});
  std::atomic<int> delivered{0};
  std::jthread runner([&] { watcher.run([&](const file_event&) { ++delivered; }); });
  for (int i = 0; i < 200; ++i) integrations_test::write_file(root / ("crash-" + std::to_string(i)), "x");
  watcher.stop();
  runner.join();
  CHECK(delivered.load() == 200);
}

TEST_CASE("files written before run() starts are delivered") {
  integrations_test::temp_dir root;
  integ::file_watcher watcher({{root.path(), watched_directory::crashes}});
  integrations_test::write_file(root / "early", "x");
  std::vector<file_event> got;
  watcher.run([&](const file_event& e) {
    got.push_back(e);
    watcher.stop();  // stopping from inside the handler works too
  });
  REQUIRE(got.size() == 1);
  CHECK(got[0].name == "early");
}

TEST_CASE("an inotify queue overflow is counted") {
  // The kernel queues at most max_queued_events events per inotify instance; writing more
  // files than that before reading makes it drop the rest and queue IN_Q_OVERFLOW.
  std::size_t limit = 16384;
  {
    std::ifstream proc("/proc/sys/fs/inotify/max_queued_events");
    if (proc) proc >> limit;
  }
  if (limit > 200000) {
    WARN("max_queued_events is " << limit << "; overflow test skipped to keep the test fast");
    return;
  }
  integrations_test::temp_dir root;
  integ::file_watcher watcher({{root.path(), watched_directory::inputs}});
  std::size_t open_failures = 0;
  for (std::size_t i = 0; i < limit + 10; ++i) {
    const int fd = ::open((root / std::to_string(i)).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) ++open_failures;
    else ::close(fd);
  }
  REQUIRE(open_failures == 0);
  std::atomic<std::size_t> delivered{0};
  std::jthread runner([&] { watcher.run([&](const file_event&) { ++delivered; }); });
  // The overflow marker comes after every queued event; wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (watcher.statistics().overflows == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);  // polling a counter, bounded by the deadline
  }
  watcher.stop();
  runner.join();
  const auto stats = watcher.statistics();
  CHECK(stats.overflows == 1);
  CHECK(delivered.load() <= limit);  // the events past the limit were lost, and the loss counted
  CHECK(delivered.load() + 10 > limit - 10);
  CHECK(stats.files == delivered.load());
}

TEST_CASE("a watched directory removed is counted as a lost watch") {
  integrations_test::temp_dir root;
  const auto gone = root / "gone";
  std::filesystem::create_directory(gone);
  integ::file_watcher watcher({{gone, watched_directory::crashes}, {root.path(), watched_directory::inputs}});
  std::jthread runner([&] { watcher.run([&](const file_event& e) {
    if (e.name == "marker") watcher.stop();
  }); });
  std::filesystem::remove(gone);
  // The removal's IN_IGNORED is queued before the marker's close, so it is seen first.
  integrations_test::write_file(root / "marker", "");
  runner.join();
  CHECK(watcher.statistics().watches_lost == 1);
}

TEST_CASE("send_file_event maps each directory to its catalog event") {
  std::vector<std::variant<cat::new_result, cat::new_coverage, cat::new_crashdump>> sent;
  auto sink = [&](const auto& event) { sent.emplace_back(event); };
  integ::send_file_event(sink, {watched_directory::crashes, "crash-1"});
  integ::send_file_event(sink, {watched_directory::inputs, "input-1"});
  integ::send_file_event(sink, {watched_directory::crashdumps, "core.1"});
  REQUIRE(sent.size() == 3);
  CHECK(*std::get<cat::new_result>(sent[0]).path == "crash-1");
  CHECK(*std::get<cat::new_coverage>(sent[1]).path == "input-1");
  CHECK(*std::get<cat::new_crashdump>(sent[2]).path == "core.1");
}

}  // namespace file_watcher_test
