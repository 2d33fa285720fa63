// TLS through the sender: a server whose certificate cannot be verified is refused, the
// items are counted as dropped, and the diagnostic says it was TLS (not a refused
// connection); trusting the CA that issued the certificate lets the same items through.
#include "sender_support.hpp"

#include "onefuzz/telemetry/testing/test_certificates.hpp"
#include "onefuzz/telemetry/testing/tls_ingestion_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace tls_sender_test {

using namespace sender_support;
using namespace std::chrono_literals;
using onefuzz::telemetry::testing::temporary_directory;
using onefuzz::telemetry::testing::test_certificate_authority;
using onefuzz::telemetry::testing::tls_ingestion_server;
using tel::transport::diagnostic_kind;

TEST_CASE("a sender refuses an unverified server, says why, and passes with the CA trusted", "[tls]") {
  temporary_directory dir{"onefuzz-telemetry-tls-sender-"};
  test_certificate_authority ca;
  const std::string ca_file = dir.write("ca.pem", ca.certificate_pem()).string();
  tls_ingestion_server server{ca.issue_server_certificate({"IP:127.0.0.1"})};
  REQUIRE(server.connection_string(instance_key).find("https://") != std::string::npos);

  SECTION("the system store does not know the test CA: refused, dropped, reported as TLS") {
    diagnostics_capture capture;
    auto options = fast_options(server.connection_string(instance_key));
    options.retry.max_attempts = 2;
    options.diagnostics = capture.options();
    tel::transport::sender<> sender{options};
    sender.emit(coverage(1));
    sender.force_flush(10s);
    sender.shutdown(5s);
    const auto statistics = sender.instance_statistics();
    CHECK(statistics.accepted == 0);
    CHECK(statistics.dropped_total() == statistics.emitted);
    check_accounting(statistics);
    REQUIRE(statistics.last_failure.has_value());
    CHECK(statistics.last_failure->kind == diagnostic_kind::tls_failed);
    CHECK(statistics.last_failure->transport_code == 60);  // CURLE_PEER_FAILED_VERIFICATION
    const auto records = capture.of_kind(diagnostic_kind::tls_failed);
    REQUIRE_FALSE(records.empty());
    CHECK_THAT(records.front().detail, Catch::Contains("certificate"));
    CHECK(capture.of_kind(diagnostic_kind::connection_failed).empty());
    CHECK(server.requests().empty());  // nothing was sent before verification failed
  }

  SECTION("ca_file names the CA: every item accepted") {
    auto options = fast_options(server.connection_string(instance_key));
    options.http.ca_file = ca_file;
    options.diagnostics = tel::transport::diagnostics_options::off();
    tel::transport::sender<> sender{options};
    sender.emit(coverage(1));
    CHECK(sender.force_flush(10s));
    sender.shutdown(5s);
    const auto statistics = sender.instance_statistics();
    CHECK(statistics.emitted > 0);
    CHECK(statistics.accepted == statistics.emitted);
    CHECK_FALSE(statistics.last_failure.has_value());
  }
}

}  // namespace tls_sender_test
