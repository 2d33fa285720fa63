// The fault matrix: each misbehaviour of the network or the service, over real loopback
// sockets. For each: nothing is lost beyond counted drops, and deadlines are met.
#include "sender_support.hpp"

#include <boost/json.hpp>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace fault_matrix_test {

using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::drop_reason;

TEST_CASE("bursts of 5xx and 408 answers are retried until accepted") {
  watchdog guard{"5xx bursts", 120s};
  ingestion_server server;
  server.script({fault::status(500), fault::status(502), fault::status(503), fault::status(504),
                 fault::status(408)});
  auto options = fast_options(server.connection_string(instance_key));
  options.retry.max_attempts = 8;
  tel::transport::sender<> sender{options};
  for (std::uint64_t i = 0; i < 10; ++i) sender.emit(coverage(i));
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 20);
  CHECK(s.requests >= 6);
  check_accounting(s);
}

TEST_CASE("a refused connection is retried, then dropped as exhausted and counted") {
  watchdog guard{"connection refused", 60s};
  auto options = fast_options(connection_string_for_port(closed_port(), instance_key));
  options.retry.max_attempts = 3;
  tel::transport::sender<> sender{options};
  sender.emit(coverage(1));
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(s.requests == 3);
  CHECK(s.dropped_by(drop_reason::retries_exhausted) == 2);
  check_accounting(s);
}

TEST_CASE("a connection reset before the answer is retried") {
  watchdog guard{"reset", 60s};
  ingestion_server server;
  // libcurl resends once by itself on a reused connection that yields nothing; two drops
  // make the sender see the failure.
  server.script({fault::drop_connection(), fault::drop_connection()});
  tel::transport::sender<> sender{fast_options(server.connection_string(instance_key))};
  sender.emit(coverage(1));
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 2);
  CHECK(s.retried >= 2);
  check_accounting(s);
}

TEST_CASE("a 10 s answer outlasts the request timeout and is retried; the deadline holds") {
  watchdog guard{"slow server", 60s};
  ingestion_server server;
  server.script({fault::delay(10s)});
  auto options = fast_options(server.connection_string(instance_key));
  options.http.total_timeout = 500ms;
  tel::transport::sender<> sender{options};
  const auto start = std::chrono::steady_clock::now();
  sender.emit(coverage(1));
  REQUIRE(sender.force_flush(8s));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 450ms);
  CHECK(took < 8s);
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 2);
  CHECK(s.requests == 2);
  check_accounting(s);
  server.stop();  // the delayed request is abandoned, not stored twice
}

TEST_CASE("307 and 308 redirects are followed with the body") {
  for (int code : {307, 308}) {
    INFO(code);
    watchdog guard{"redirect", 60s};
    ingestion_server moved({.accepted_keys = {instance_key}});
    ingestion_server server;
    server.script({fault::redirect(code, moved.track_url())});
    tel::transport::sender<> sender{fast_options(server.connection_string(instance_key))};
    sender.emit(coverage(1));
    REQUIRE(sender.force_flush(30s));
    CHECK(sender.instance_statistics().accepted == 2);
    CHECK(moved.accepted_count(instance_key) == 2);
    CHECK(server.accepted_count(instance_key) == 0);
  }
}

TEST_CASE("hostile and broken answers: garbage, wrong shapes, oversized bodies") {
  struct row {
    const char* name;
    fault answer;
    drop_reason expected_drop;  // for answers that cannot be retried
    bool retried;
  };
  const row table[] = {
      // A 200 means accepted whatever its body says.
      {"200 garbage", fault::reply(200, "\x01\x02not json"), drop_reason::queue_full, false},
      // An unreadable 206 cannot say which items failed: resending all would duplicate
      // accepted ones, so the batch is dropped and counted as rejected.
      {"206 garbage", fault::reply(206, "{\"itemsReceived\":"), drop_reason::rejected_by_server, false},
      {"206 wrong types", fault::reply(206, R"({"itemsReceived":"two","errors":{}})"),
       drop_reason::rejected_by_server, false},
      // A 500 without a readable body is retried whole.
      {"500 garbage", fault::reply(500, std::string(100, '\xff')), drop_reason::queue_full, true},
      // 5 MiB of answer: the client refuses to buffer it (4 MiB cap) and retries.
      {"oversized", fault::reply(200, std::string(5 * 1024 * 1024, 'x')), drop_reason::queue_full, true},
      // Indexes outside the batch and negative ones are ignored, not trusted.
      {"206 hostile indexes",
       fault::reply(206, R"({"itemsReceived":2,"itemsAccepted":1,"errors":[{"index":-1,"statusCode":500},{"index":99,"statusCode":500},{"index":1,"statusCode":400,"message":"bad"}]})"),
       drop_reason::rejected_by_server, false},
  };
  for (const auto& r : table) {
    INFO(r.name);
    watchdog guard{r.name, 60s};
    ingestion_server server;
    server.script({r.answer});
    tel::transport::sender<> sender{fast_options(server.connection_string(instance_key))};
    sender.emit(coverage(1));
    REQUIRE(sender.force_flush(30s));
    const auto s = sender.instance_statistics();
    check_accounting(s);
    if (r.retried) {
      CHECK(s.requests == 2);
      CHECK(s.accepted == 2);
    } else if (r.expected_drop == drop_reason::rejected_by_server) {
      CHECK(s.dropped_by(drop_reason::rejected_by_server) >= 1);
    } else {
      CHECK(s.accepted == 2);
      CHECK(s.requests == 1);
    }
  }
}

TEST_CASE("the server restarting during a run loses nothing uncounted") {
  watchdog guard{"server restart", 120s};
  auto server = std::make_unique<ingestion_server>();
  const auto port = server->port();
  auto options = fast_options(server->connection_string(instance_key));
  options.retry.max_attempts = 20;
  options.retry.backoff.max_delay = 100ms;
  tel::transport::sender<> sender{options};
  std::size_t emitted = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 50; ++i, ++emitted) sender.emit(coverage(emitted));
    if (round == 1) {
      server.reset();  // down...
      for (int i = 0; i < 50; ++i, ++emitted) sender.emit(coverage(emitted));
      server = std::make_unique<ingestion_server>(
          tel::testing::ingestion_server_options{.port = port, .accepted_keys = {instance_key}});  // ...and back
    }
  }
  REQUIRE(sender.force_flush(60s));
  const auto s = sender.instance_statistics();
  CHECK(s.emitted == 2 * emitted);
  check_accounting(s);
  CHECK(s.dropped_total() == 0);
}

TEST_CASE("quota answers are counted and the destination keeps working afterwards") {
  watchdog guard{"quota", 60s};
  ingestion_server server;
  server.script({fault::status(439).retry_after("0"), fault::status(402)});
  tel::transport::sender<> sender{fast_options(server.connection_string(instance_key))};
  for (std::uint64_t i = 0; i < 3; ++i) {
    sender.emit(coverage(i));
    REQUIRE(sender.force_flush(30s));
  }
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::quota) == 4);
  CHECK(s.accepted == 2);
  check_accounting(s);
}

}  // namespace fault_matrix_test
