// What the sender tells its operator when sends fail, over real libcurl and real loopback
// sockets: a closed port, https to a plain HTTP port, a wrong key, 401/403, a 500 storm
// (rate-limited), a spool that cannot be created or written, a missing bearer token; the
// statistics' last_failure; and that no record ever holds a key.
#include "sender_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace diagnostics_test {

using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::diagnostic;
using tel::transport::diagnostic_destination;
using tel::transport::diagnostic_kind;
using tel::transport::diagnostic_severity;
using tel::transport::drop_reason;
namespace fs = std::filesystem;

namespace {

// No record, nor the line the default handler would write for it, holds a key or a part of one.
void check_no_key(const std::vector<diagnostic>& records) {
  for (const auto& record : records) {
    const std::string line = tel::transport::format_diagnostic(record);
    INFO(line);
    for (const std::string_view key : {std::string_view{instance_key}, std::string_view{central_key}}) {
      CHECK(line.find(key) == std::string::npos);
      CHECK(record.message.find(key.substr(0, 8)) == std::string::npos);
      CHECK(record.detail.find(key.substr(0, 8)) == std::string::npos);
    }
  }
}

std::string temporary_path(std::string_view what) {
  std::random_device random;
  return (fs::temp_directory_path() / ("onefuzz-diagnostics-" + std::string{what} + "-" + std::to_string(random())))
      .string();
}

// Runs `work` with the process's stderr sent to a file; returns what was written to it.
template <class F>
std::string captured_stderr(F&& work) {
  const std::string path = temporary_path("stderr");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(saved >= 0);
  REQUIRE(file >= 0);
  ::dup2(file, 2);
  ::close(file);
  work();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return text;
}

// The set-up the cases share: options for `connection` with short waits (fast_options),
// whose diagnostics go to `capture`.
tel::transport::sender_options reporting_options(const std::string& connection, diagnostics_capture& capture) {
  auto options = fast_options(connection);
  options.diagnostics = capture.options();
  return options;
}

// One coverage event (two items), then a flush.
template <class Sender>
void send_one(Sender& sender) {
  sender.emit(coverage(1));
  CHECK(sender.force_flush(10s));
}

// The first record of `kind`, once it has arrived (a test failure if it does not).
diagnostic first_of(diagnostics_capture& capture, diagnostic_kind kind) {
  REQUIRE(capture.wait_for(kind));
  return capture.of_kind(kind).front();
}

}  // namespace

TEST_CASE("a closed port is reported as connection_failed, with code 7, host:port and last_failure") {
  watchdog guard("closed port", 30s);
  diagnostics_capture capture;
  const auto port = closed_port();
  auto options = reporting_options(connection_string_for_port(port, instance_key), capture);
  options.retry.max_attempts = 3;
  {
    tel::transport::sender<> sender{options};
    send_one(sender);
    REQUIRE(capture.wait_for(diagnostic_kind::connection_failed));

    const auto failures = capture.of_kind(diagnostic_kind::connection_failed);
    REQUIRE(failures.size() == 3);  // no rate limit here: one per attempt
    const auto& first = failures.front();
    CHECK(first.destination == diagnostic_destination::instance);
    CHECK(first.severity == diagnostic_severity::warning);
    CHECK(first.transport_code == 7);  // CURLE_COULDNT_CONNECT
    CHECK(first.http_status == 0);
    CHECK(first.message == "connection refused by 127.0.0.1:" + std::to_string(port) + " (1 attempt)");
    CHECK(failures.back().message == "connection refused by 127.0.0.1:" + std::to_string(port) + " (3 attempts)");
    CHECK_FALSE(first.detail.empty());  // libcurl's own text

    const auto s = sender.instance_statistics();
    REQUIRE(s.last_failure.has_value());
    CHECK(s.last_failure->kind == diagnostic_kind::connection_failed);
    CHECK(s.last_failure->transport_code == 7);
    CHECK(s.last_failure->http_status == 0);
    CHECK(s.last_failure->time.time_since_epoch().count() != 0);
    CHECK(tel::transport::to_string(s.last_failure->kind) == "connection_failed");
    CHECK(s.dropped_by(drop_reason::retries_exhausted) == 2);

    // The retries are announced (info) with their delay.
    const auto retries = capture.of_kind(diagnostic_kind::retry_scheduled);
    REQUIRE(retries.size() == 2);
    CHECK(retries.front().severity == diagnostic_severity::info);
    CHECK(retries.front().count == 2);
    CHECK(retries.front().delay.count() > 0);
    CHECK(sender.shutdown(5s));
  }
  // The loss is reported once the worker sees it, or at the latest by shutdown.
  const auto dropped = capture.of_kind(diagnostic_kind::dropped);
  REQUIRE_FALSE(dropped.empty());
  CHECK(dropped.front().count == 2);
  CHECK(dropped.front().message.find("retries_exhausted") != std::string::npos);
  check_no_key(capture.records());
}

TEST_CASE("https to a plain HTTP port is tls_failed, distinct from a refused connection") {
  watchdog guard("tls", 30s);
  diagnostics_capture capture;
  ingestion_server server;
  auto options = reporting_options("InstrumentationKey=" + std::string{instance_key} +
                                       ";IngestionEndpoint=https://127.0.0.1:" + std::to_string(server.port()) + "/",
                                   capture);
  options.retry.max_attempts = 1;
  tel::transport::sender<> sender{options};
  send_one(sender);

  REQUIRE(capture.wait_for(diagnostic_kind::tls_failed));
  CHECK(capture.of_kind(diagnostic_kind::connection_failed).empty());
  const auto record = capture.of_kind(diagnostic_kind::tls_failed).front();
  CHECK(record.severity == diagnostic_severity::error);
  CHECK(tel::transport::transport_failure_kind(record.transport_code) == diagnostic_kind::tls_failed);
  CHECK(record.transport_code != 7);
  CHECK(record.message == "TLS with 127.0.0.1:" + std::to_string(server.port()) + " failed (1 attempt)");
  const auto s = sender.instance_statistics();
  REQUIRE(s.last_failure.has_value());
  CHECK(s.last_failure->kind == diagnostic_kind::tls_failed);
  CHECK(s.last_failure->transport_code == record.transport_code);
  check_no_key(capture.records());
}

TEST_CASE("a wrong key is an http_status error carrying the server's message, without the key") {
  watchdog guard("wrong key", 30s);
  diagnostics_capture capture;
  ingestion_server server({.accepted_keys = {central_key}});  // the instance key is not its own
  // Not server.connection_string(instance_key), which would make the key known to it.
  auto options = reporting_options(connection_string_for_port(server.port(), instance_key), capture);
  tel::transport::sender<> sender{options};
  send_one(sender);

  const auto record = first_of(capture, diagnostic_kind::http_status);
  CHECK(record.severity == diagnostic_severity::error);
  CHECK(record.http_status == 400);
  CHECK(record.transport_code == 0);
  CHECK(record.message == "HTTP 400 from 127.0.0.1:" + std::to_string(server.port()) + ": 2 items rejected");
  // The server quotes the key; the record holds its message with the key redacted.
  CHECK(record.detail.find("Invalid instrumentation key") != std::string::npos);
  CHECK(record.detail.find("<redacted>") != std::string::npos);
  const auto s = sender.instance_statistics();
  REQUIRE(s.last_failure.has_value());
  CHECK(s.last_failure->kind == diagnostic_kind::http_status);
  CHECK(s.last_failure->http_status == 400);
  CHECK(s.last_failure->detail == record.detail);
  CHECK(s.dropped_by(drop_reason::rejected_by_server) == 2);
  check_no_key(capture.records());
}

TEST_CASE("401 and 403 are http_status errors") {
  watchdog guard("401 403", 30s);
  for (int code : {401, 403}) {
    INFO(code);
    diagnostics_capture capture;
    ingestion_server server;
    server.script({fault::status(code)});
    auto options = reporting_options(server.connection_string(instance_key), capture);
    tel::transport::sender<> sender{options};
    send_one(sender);
    const auto record = first_of(capture, diagnostic_kind::http_status);
    CHECK(record.severity == diagnostic_severity::error);
    CHECK(record.http_status == code);
    CHECK(record.detail == "Scripted failure with status " + std::to_string(code));
    REQUIRE(sender.instance_statistics().last_failure.has_value());
    CHECK(sender.instance_statistics().last_failure->http_status == code);
  }
}

TEST_CASE("a 401 to a bearer token drops the token once, and the retry carries a new one") {
  watchdog guard("401 refresh", 30s);
  ingestion_server server;
  server.script({fault::status(401), fault::status(401)});
  auto options = fast_options(server.connection_string(instance_key) + ";Authorization=AAD");
  std::atomic<int> rejected{0};
  // A token provider in miniature: a new token after each rejection.
  options.bearer_token = [&] { return std::optional<std::string>{"token-" + std::to_string(rejected.load())}; };
  options.bearer_token_rejected = [&] { ++rejected; };
  tel::transport::sender<> sender{options};
  send_one(sender);
  // Two 401s for one batch: the token is dropped once, not on every retry.
  CHECK(rejected.load() == 1);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].authorization == "Bearer token-0");
  CHECK(requests[1].authorization == "Bearer token-1");
  CHECK(requests[2].authorization == "Bearer token-1");
  CHECK(requests[2].status == 200);
  const auto statistics = sender.instance_statistics();
  CHECK(statistics.emitted > 0);
  CHECK(statistics.accepted == statistics.emitted);
}

TEST_CASE("a 500 storm gives one warning per window; the rest are counted as suppressed") {
  watchdog guard("500 storm", 60s);
  diagnostics_capture capture;
  ingestion_server server;
  constexpr int answers = 20;
  server.script(std::vector<fault>(answers, fault::status(500)));
  auto options = fast_options(server.connection_string(instance_key));
  options.retry.max_attempts = 5;
  options.diagnostics = capture.options(std::chrono::minutes{10}, diagnostic_severity::warning);
  {
    tel::transport::sender<> sender{options};
    for (int batch = 0; batch < answers / 5; ++batch) {
      sender.emit(coverage(static_cast<std::uint64_t>(batch)));
      CHECK(sender.force_flush(10s));
    }
    CHECK(server.pending_faults() == 0);
    const auto during = capture.of_kind(diagnostic_kind::http_status);
    REQUIRE(during.size() == 1);
    CHECK(during.front().severity == diagnostic_severity::warning);
    CHECK(during.front().http_status == 500);
    CHECK(during.front().detail == "Internal server error (scripted)");
    CHECK(during.front().suppressed == 0);
    CHECK(capture.of_kind(diagnostic_kind::retry_scheduled).empty());  // info is below the minimum
    CHECK(sender.shutdown(5s));
  }
  // Shutdown delivers the latest withheld record with the count of the others.
  const auto all = capture.of_kind(diagnostic_kind::http_status);
  REQUIRE(all.size() == 2);
  CHECK(all.back().suppressed == answers - 2);
  CHECK(all.back().message.find("(20 attempts)") != std::string::npos);  // no success in between
  std::uint64_t told = 0;
  for (const auto& record : all) told += 1 + record.suppressed;
  CHECK(told == answers);
}

TEST_CASE("a 206 with refused items is a partial_acceptance warning with counts") {
  watchdog guard("partial", 30s);
  diagnostics_capture capture;
  ingestion_server server;
  server.script({fault::partial({{0, 400}})});
  auto options = reporting_options(server.connection_string(instance_key), capture);
  tel::transport::sender<> sender{options};
  send_one(sender);
  const auto record = first_of(capture, diagnostic_kind::partial_acceptance);
  CHECK(record.severity == diagnostic_severity::warning);
  CHECK(record.count == 1);
  CHECK(record.http_status == 206);
  CHECK(record.message == "HTTP 206 from 127.0.0.1:" + std::to_string(server.port()) +
                              ": 1 of 2 items refused (the first with 400)");
  CHECK(record.detail == "Scripted failure with status 400");
  CHECK(capture.of_kind(diagnostic_kind::http_status).empty());
}

TEST_CASE("a spool directory that cannot be created is reported, and the sender runs without it") {
  watchdog guard("spool create", 30s);
  diagnostics_capture capture;
  // A path below a regular file: mkdir fails even for root, where chmod would not stop it.
  const fs::path file = temporary_path("file");
  std::ofstream{file} << "not a directory";
  ingestion_server server;
  auto options = reporting_options(server.connection_string(instance_key), capture);
  options.spool.directory = file / "spool";
  {
    tel::transport::sender<> sender{options};
    const auto failures = capture.of_kind(diagnostic_kind::spool_write_failed);
    REQUIRE(failures.size() == 1);  // reported by the constructor
    CHECK(failures.front().severity == diagnostic_severity::error);
    CHECK(failures.front().destination == diagnostic_destination::instance);
    CHECK(failures.front().detail.find("spool") != std::string::npos);
    REQUIRE(sender.instance_statistics().last_failure.has_value());
    CHECK(sender.instance_statistics().last_failure->kind == diagnostic_kind::spool_write_failed);

    send_one(sender);
    CHECK(sender.instance_statistics().accepted == 2);
  }
  check_no_key(capture.records());
  fs::remove(file);
}

TEST_CASE("a spool write that fails is spool_write_failed, and the batch is dropped as such and counted") {
  watchdog guard("spool write", 30s);
  diagnostics_capture capture;
  const fs::path root = temporary_path("spool");
  auto options = reporting_options(connection_string_for_port(closed_port(), instance_key), capture);
  options.retry.max_attempts = 1;
  options.spool.directory = root;
  {
    tel::transport::sender<> sender{options};
    // Replace the destination's folder by a file: every write below it fails, root or not.
    std::vector<fs::path> folders;
    for (const auto& entry : fs::directory_iterator(root)) folders.push_back(entry.path());
    REQUIRE(folders.size() == 1);
    fs::remove_all(folders.front());
    std::ofstream{folders.front()} << "not a directory";

    send_one(sender);
    const auto record = first_of(capture, diagnostic_kind::spool_write_failed);
    INFO(record.detail);
    CHECK(record.severity == diagnostic_severity::error);
    CHECK(record.count == 2);
    CHECK(record.detail.find("cannot create a file in") != std::string::npos);
    // The system's reason: the folder is gone ("No such file or directory") when the spool
    // writes through a descriptor of it, or a file stands in its place ("Not a directory").
    CHECK((record.detail.find("No such file or directory") != std::string::npos ||
           record.detail.find("Not a directory") != std::string::npos));
    const auto s = sender.instance_statistics();
    // Dropped for the failed write; the reason it was to be spooled is in the message.
    CHECK(s.dropped_by(drop_reason::spool_write_failed) == 2);
    CHECK(s.dropped_by(drop_reason::retries_exhausted) == 0);
    CHECK(record.message.find("retries_exhausted") != std::string::npos);
    CHECK(s.spooled == 0);
    REQUIRE(s.last_failure.has_value());
    CHECK(s.last_failure->kind == diagnostic_kind::spool_write_failed);
    check_accounting(s);
  }
  check_no_key(capture.records());
  fs::remove_all(root);
}

TEST_CASE("a bearer token provider with no token is a configuration error") {
  watchdog guard("token", 30s);
  diagnostics_capture capture;
  ingestion_server server;
  auto options = reporting_options(server.connection_string(instance_key) + ";Authorization=AAD", capture);
  options.bearer_token = [] { return std::optional<std::string>{}; };
  tel::transport::sender<> sender{options};
  send_one(sender);
  const auto record = first_of(capture, diagnostic_kind::configuration);
  CHECK(record.severity == diagnostic_severity::error);
  CHECK(record.destination == diagnostic_destination::instance);
  CHECK(record.message.find("returned no token") != std::string::npos);
}

TEST_CASE("a post cancelled by shutdown is not reported as a failure; the leftovers are") {
  watchdog guard("cancel", 30s);
  diagnostics_capture capture;
  ingestion_server server;
  server.script({fault::never_answer()});
  auto options = reporting_options(server.connection_string(instance_key), capture);
  {
    tel::transport::sender<> sender{options};
    sender.emit(coverage(1));
    REQUIRE(server.wait_for_requests(1, std::chrono::steady_clock::now() + 5s));
    CHECK_FALSE(sender.shutdown(300ms));
    CHECK(sender.instance_statistics().dropped_by(drop_reason::shutdown) == 2);
    CHECK_FALSE(sender.instance_statistics().last_failure.has_value());
  }
  for (const auto kind : {diagnostic_kind::connection_failed, diagnostic_kind::timed_out, diagnostic_kind::tls_failed,
                          diagnostic_kind::configuration, diagnostic_kind::http_status})
    CHECK(capture.of_kind(kind).empty());
  const auto leftovers = capture.of_kind(diagnostic_kind::shutdown_leftovers);
  REQUIRE(leftovers.size() == 1);
  CHECK(leftovers.front().count == 2);
  CHECK(leftovers.front().severity == diagnostic_severity::error);
  CHECK(capture.of_kind(diagnostic_kind::dropped).empty());  // shutdown's own drops are the leftovers
}

TEST_CASE("queue_full drops counted in emit() are reported by the worker") {
  watchdog guard("queue full", 30s);
  diagnostics_capture capture;
  ingestion_server server;
  auto options = reporting_options(server.connection_string(instance_key), capture);
  options.queue_capacity = 4;
  std::uint64_t refused = 0;
  {
    tel::transport::sender<> sender{options};
    for (int i = 0; i < 2000; ++i)
      if (!sender.emit(coverage(static_cast<std::uint64_t>(i)))) refused += 2;
    CHECK(sender.shutdown(10s));
    CHECK(sender.instance_statistics().dropped_by(drop_reason::queue_full) == refused);
  }
  CHECK(refused > 0);
  std::uint64_t reported = 0;
  for (const auto& record : capture.of_kind(diagnostic_kind::dropped)) {
    CHECK(record.message.find("queue_full") != std::string::npos);
    reported += record.count;
  }
  CHECK(reported == refused);
}

TEST_CASE("the default handler writes one line per record to stderr, and off() writes nothing") {
  watchdog guard("stderr", 30s);
  const auto port = closed_port();
  auto run = [&](tel::transport::diagnostics_options diagnostics) {
    return captured_stderr([&] {
      auto options = fast_options(connection_string_for_port(port, instance_key));
      options.retry.max_attempts = 2;
      options.diagnostics = std::move(diagnostics);
      tel::transport::sender<> sender{options};
      send_one(sender);
      CHECK(sender.shutdown(5s));
    });
  };

  const std::string quiet = run(tel::transport::diagnostics_options::off());
  CHECK(quiet.empty());

  const std::string lines = run({});
  INFO(lines);
  CHECK(lines.find("onefuzz-telemetry: warning: instance: connection refused by 127.0.0.1:" + std::to_string(port) +
                   " (1 attempt)") != std::string::npos);
  CHECK(lines.find("retrying") == std::string::npos);  // info is below the default minimum
  CHECK(lines.find(instance_key) == std::string::npos);
}

}  // namespace diagnostics_test
