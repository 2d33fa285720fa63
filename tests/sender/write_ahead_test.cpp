// Write-ahead and drain (docs/spool.md): a batch whose attempt fails is on disk before the
// sender waits to resend it, and leaves the disk once it is accepted; a partial answer
// rewrites its file with what is left; a restart that shuts down at once still sends what
// it found; the backoff starts small again after a success and never passes its cap.
#include "temporary_directory.hpp"
#include "sender_support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace write_ahead_test {

namespace fs = std::filesystem;
using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::diagnostic_kind;
using tel::transport::drop_reason;

namespace {

cat::new_result crash(const std::string& name) {
  cat::new_result ev;
  ev.path = name;
  return ev;
}

std::vector<fs::path> spool_files(const fs::path& root) {
  std::vector<fs::path> files;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    // Not a write under way (<name>.tmp, renamed to <name>.ndjson once synced).
    if (entry.is_regular_file() && entry.path().extension() == ".ndjson") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_text(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>(in), {}};
}

// Polls until the spool holds exactly one file whose header announces `items` items.
bool wait_for_one_file_of(const fs::path& root, std::size_t items, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const std::string header = "onefuzz-spool 1 " + std::to_string(items) + " ";
  while (std::chrono::steady_clock::now() < deadline) {
    const auto files = spool_files(root);
    if (files.size() == 1 && read_text(files[0]).starts_with(header)) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

std::size_t accepted_by_server(const ingestion_server& server) {
  std::size_t accepted = 0;
  for (const auto& request : server.requests()) accepted += request.items_accepted;
  return accepted;
}

// Retries wait 1 s (no jitter: floor, first ceiling and cap are equal), long enough to look
// at the spool between two attempts.
tel::transport::sender_options slow_retry_options(const ingestion_server& server, const fs::path& spool) {
  auto options = fast_options(server.connection_string(instance_key));
  options.spool.directory = spool;
  options.retry.backoff = {.min_delay = 1000ms, .initial_delay = 1000ms, .max_delay = 1000ms, .multiplier = 1.0};
  options.diagnostics = tel::transport::diagnostics_options::off();
  return options;
}

}  // namespace

TEST_CASE("a batch whose first attempt fails is on disk while it waits, and leaves once accepted") {
  temporary_directory spool;
  ingestion_server server;
  server.script({fault::status(503)});  // then 200
  tel::transport::sender<> sender{slow_retry_options(server, spool.path)};
  sender.emit(crash("crash-1"));  // an event and its metric twin: 2 items
  REQUIRE(server.wait_for_requests(1, std::chrono::steady_clock::now() + 10s));
  // Before the retry (1 s later) the batch is on disk, counted as spooled and nowhere else.
  CHECK(wait_for_one_file_of(spool.path, 2, 800ms));
  // The file is visible a moment before the worker counts it: poll the counter too.
  auto s = sender.instance_statistics();
  for (int i = 0; i < 100 && s.spooled != 2; ++i) {
    std::this_thread::sleep_for(5ms);
    s = sender.instance_statistics();
  }
  CHECK(s.spooled == 2);
  CHECK(s.accepted == 0);
  check_accounting(s);

  REQUIRE(sender.force_flush(10s));
  s = sender.instance_statistics();
  CHECK(s.accepted == 2);
  CHECK(s.spooled == 0);
  CHECK(s.dropped_total() == 0);
  CHECK(s.requests == 2);
  check_accounting(s);
  CHECK(spool_files(spool.path).empty());
  CHECK(sender.shutdown(5s));
  CHECK(accepted_by_server(server) == 2);  // nothing twice
  CHECK(server.requests().size() == 2);
}

TEST_CASE("a partial answer during retries rewrites the written-ahead file with what is left") {
  temporary_directory spool;
  ingestion_server server;
  // 503: written ahead (2 items); 206 with item 1 retriable: rewritten to 1 item; then 200.
  server.script({fault::status(503), fault::partial({{.index = 1, .status_code = 503}})});
  tel::transport::sender<> sender{slow_retry_options(server, spool.path)};
  sender.emit(crash("crash-1"));
  REQUIRE(server.wait_for_requests(1, std::chrono::steady_clock::now() + 10s));
  CHECK(wait_for_one_file_of(spool.path, 2, 800ms));
  const auto name = spool_files(spool.path).at(0);
  REQUIRE(server.wait_for_requests(2, std::chrono::steady_clock::now() + 10s));
  CHECK(wait_for_one_file_of(spool.path, 1, 800ms));
  CHECK(spool_files(spool.path).at(0) == name);  // renamed over: the same name
  // The counters follow the rename; the accepted item is no longer counted as spooled.
  auto s = sender.instance_statistics();
  for (int i = 0; i < 100 && s.spooled != 1; ++i) {
    std::this_thread::sleep_for(5ms);
    s = sender.instance_statistics();
  }
  CHECK(s.accepted == 1);
  CHECK(s.spooled == 1);
  check_accounting(s);

  REQUIRE(sender.force_flush(10s));
  CHECK(sender.shutdown(5s));
  s = sender.instance_statistics();
  CHECK(s.accepted == 2);
  CHECK(s.spooled == 0);
  check_accounting(s);
  CHECK(spool_files(spool.path).empty());
  CHECK(accepted_by_server(server) == 2);
}

TEST_CASE("a spooled file answered in part keeps only its unsent items, under its own name") {
  temporary_directory spool;
  {
    ingestion_server down;
    down.script({fault::status(503), fault::status(503)});
    auto options = fast_options(down.connection_string(instance_key));
    options.spool.directory = spool.path;
    options.retry.max_attempts = 2;
    options.diagnostics = tel::transport::diagnostics_options::off();
    tel::transport::sender<> sender{options};
    sender.emit(crash("crash-1"));
    REQUIRE(sender.force_flush(10s));
    CHECK(sender.instance_statistics().spooled == 2);
  }
  const auto files = spool_files(spool.path);
  REQUIRE(files.size() == 1);

  ingestion_server half;
  // The restart sends the file: item 1 is refused for now, then the retry fails as a whole.
  half.script({fault::partial({{.index = 1, .status_code = 503}}), fault::status(503)});
  auto options = fast_options(half.connection_string(instance_key));
  options.spool.directory = spool.path;
  options.retry.max_attempts = 2;
  options.diagnostics = tel::transport::diagnostics_options::off();
  {
    tel::transport::sender<> sender{options};
    REQUIRE(half.wait_for_requests(2, std::chrono::steady_clock::now() + 10s));
    sender.shutdown(5s);
    const auto s = sender.instance_statistics();
    CHECK(s.restored == 2);
    CHECK(s.accepted == 1);
    CHECK(s.spooled == 1);
    CHECK(s.dropped_total() == 0);
    check_accounting(s);
  }
  REQUIRE(spool_files(spool.path) == files);
  CHECK(read_text(files[0]).starts_with("onefuzz-spool 1 1 "));

  ingestion_server up;
  options.destinations.instance = up.connection_string(instance_key);
  tel::transport::sender<> sender{options};
  REQUIRE(up.wait_for_accepted(instance_key, 1, std::chrono::steady_clock::now() + 10s));
  CHECK(sender.shutdown(5s));
  const auto s = sender.instance_statistics();
  CHECK(s.restored == 1);
  CHECK(s.accepted == 1);
  check_accounting(s);
  CHECK(accepted_by_server(half) + accepted_by_server(up) == 2);  // each item once
  CHECK(spool_files(spool.path).empty());
}

TEST_CASE("a restart that shuts down at once still sends all 20 spooled files") {
  temporary_directory spool;
  {
    ingestion_server down;
    down.script(std::vector<fault>(20, fault::status(503)));
    auto options = fast_options(down.connection_string(instance_key));
    options.spool.directory = spool.path;
    options.retry.max_attempts = 1;
    options.diagnostics = tel::transport::diagnostics_options::off();
    tel::transport::sender<> sender{options};
    for (int i = 0; i < 20; ++i) {
      sender.emit(crash("crash-" + std::to_string(i)));
      REQUIRE(sender.force_flush(10s));
    }
    CHECK(sender.instance_statistics().spooled == 40);
  }
  REQUIRE(spool_files(spool.path).size() == 20);

  ingestion_server up;
  auto options = fast_options(up.connection_string(instance_key));
  options.spool.directory = spool.path;
  options.diagnostics = tel::transport::diagnostics_options::off();
  tel::transport::sender<> sender{options};
  const auto started = std::chrono::steady_clock::now();
  CHECK(sender.shutdown(5s));
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  const auto s = sender.instance_statistics();
  CHECK(s.restored == 40);
  CHECK(s.accepted == 40);
  CHECK(s.spooled == 0);
  check_accounting(s);
  CHECK(accepted_by_server(up) == 40);
  CHECK(spool_files(spool.path).empty());
}

TEST_CASE("the backoff starts at its first step again after a success, and never passes its cap") {
  ingestion_server server;
  // Batch 1: fails 4 times (ceilings 5, 100, 150 = cap, 150), then is accepted.
  // Batch 2: fails once, then is accepted: its wait is the first step again (exactly 5 ms).
  server.script({fault::status(503), fault::status(503), fault::status(503), fault::status(503)});
  diagnostics_capture capture;
  auto options = fast_options(server.connection_string(instance_key));
  // The first ceiling equals the floor, so the first wait is exactly 5 ms; the second is
  // drawn from [5, 100]; the third and later would be 2000 and more without the cap.
  options.retry.backoff = {.min_delay = 5ms, .initial_delay = 5ms, .max_delay = 150ms, .multiplier = 20.0};
  options.retry.max_attempts = 10;
  options.diagnostics = capture.options();
  tel::transport::sender<> sender{options};
  sender.emit(crash("crash-1"));
  REQUIRE(sender.force_flush(10s));
  auto delays = capture.of_kind(diagnostic_kind::retry_scheduled);
  REQUIRE(delays.size() == 4);
  CHECK(delays[0].delay == 5ms);
  CHECK(delays[1].delay >= 5ms);
  CHECK(delays[1].delay <= 100ms);
  CHECK(delays[2].delay <= 150ms);
  CHECK(delays[3].delay <= 150ms);

  server.script({fault::status(503)});
  sender.emit(crash("crash-2"));
  REQUIRE(sender.force_flush(10s));
  delays = capture.of_kind(diagnostic_kind::retry_scheduled);
  REQUIRE(delays.size() == 5);
  CHECK(delays[4].delay == 5ms);  // reset by batch 1's success
  CHECK(sender.shutdown(5s));
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 4);
  check_accounting(s);
}

}  // namespace write_ahead_test
