// TLS proven end to end: the real libcurl client against the HTTPS ingestion server, with
// certificates made at run time. Verification is on by default, a trusted CA is honoured,
// host names are checked, and mixing http and https fails cleanly. Loopback only.
#include "ingestion_fixtures.hpp"

#include "onefuzz/telemetry/testing/fault.hpp"
#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/testing/test_certificates.hpp"
#include "onefuzz/telemetry/testing/tls_ingestion_server.hpp"
#include "onefuzz/telemetry/transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/system/system_error.hpp>

#include <curl/curl.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace tls_test {

using onefuzz::telemetry::testing::fault;
using onefuzz::telemetry::testing::ingestion_server;
using onefuzz::telemetry::testing::key_algorithm;
using onefuzz::telemetry::testing::make_self_signed_server_certificate;
using onefuzz::telemetry::testing::pem_credentials;
using onefuzz::telemetry::testing::temporary_directory;
using onefuzz::telemetry::testing::test_certificate_authority;
using onefuzz::telemetry::testing::tls_ingestion_server;
using onefuzz::telemetry::transport::http_client;
using onefuzz::telemetry::transport::http_response;

namespace {

// One run's PKI: a CA written to a private temp dir, and server identities it issued.
struct test_pki {
  temporary_directory dir{"onefuzz-telemetry-tls-"};
  test_certificate_authority ca{};
  std::string ca_file = dir.write("ca.pem", ca.certificate_pem()).string();
  pem_credentials loopback = ca.issue_server_certificate({"IP:127.0.0.1", "DNS:localhost"});
  pem_credentials wrong_name = ca.issue_server_certificate({"DNS:wrong.example"});

  test_pki() {
    // On disk as PEM too, as an operator's files would be (and for debugging a failure).
    dir.write("loopback.crt.pem", loopback.certificate_pem);
    dir.write("loopback.key.pem", loopback.private_key_pem);
    dir.write("wrong-name.crt.pem", wrong_name.certificate_pem);
    dir.write("wrong-name.key.pem", wrong_name.private_key_pem);
  }
};

std::string one_event() { return fixtures::json_array({fixtures::event()}); }

// The failure is TLS's, decided on this connection: not a timeout, not a refused connect.
void check_refused_by_verification(http_response const& r) {
  INFO("error: " << r.error << ", transport_code " << r.transport_code);
  CHECK(r.status == 0);
  CHECK(r.transport_code == CURLE_PEER_FAILED_VERIFICATION);
  CHECK_THAT(r.error, Catch::Contains("SSL") || Catch::Contains("certificate"));
  CHECK(r.body.empty());
}

}  // namespace

TEST_CASE("the generated PKI is PEM in a private temporary directory that goes away", "[tls]") {
  std::filesystem::path where;
  {
    test_pki pki;
    where = pki.dir.path();
    CHECK(std::filesystem::is_directory(where));
    auto const perms = std::filesystem::status(where).permissions();
    CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
    std::ifstream in(pki.ca_file);
    std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == pki.ca.certificate_pem());
    CHECK(text.starts_with("-----BEGIN CERTIFICATE-----"));
    // The leaf alone: the root is what the client must trust, not what the server sends.
    CHECK(pki.loopback.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(pki.loopback.certificate_pem.find(pki.ca.certificate_pem()) == std::string::npos);
    CHECK(pki.loopback.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
  }
  CHECK_FALSE(std::filesystem::exists(where));
}

TEST_CASE("a key that does not match the certificate is refused at construction", "[tls]") {
  test_pki pki;
  pem_credentials mismatched{.certificate_pem = pki.loopback.certificate_pem,
                             .private_key_pem = pki.wrong_name.private_key_pem};
  CHECK_THROWS_AS(tls_ingestion_server(mismatched), boost::system::system_error);
}

TEST_CASE("verification is on by default: an unknown CA is refused during the handshake", "[tls][security]") {
  test_pki pki;
  // The CA-issued certificate with a system store that does not know the CA, and a
  // self-signed one: both name 127.0.0.1 correctly, so only the trust chain is at fault.
  bool const self_signed = GENERATE(false, true);
  auto const identity =
      self_signed ? make_self_signed_server_certificate({"IP:127.0.0.1", "DNS:localhost"}) : pki.loopback;
  tls_ingestion_server server(identity);
  http_client client;
  auto const r = client.post(server.track_url(), one_event());
  check_refused_by_verification(r);
  REQUIRE(server.wait_for_handshakes(1, fixtures::deadline()));
  CHECK(server.handshakes_completed() == 0);
  CHECK(server.handshakes_failed() == 1);
  auto const errors = server.handshake_errors();
  REQUIRE(errors.size() == 1);
  INFO("server saw: " << errors[0]);
  CHECK_THAT(errors[0], Catch::Contains("unknown ca") || Catch::Contains("bad certificate"));
  CHECK(server.requests_served() == 0);
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

TEST_CASE("trusting another CA does not make the server's CA trusted", "[tls][security]") {
  test_pki pki;
  test_certificate_authority const stranger("some other test CA");
  auto const stranger_file = pki.dir.write("stranger-ca.pem", stranger.certificate_pem());
  tls_ingestion_server server(pki.loopback);
  http_client client({.ca_file = stranger_file.string()});
  check_refused_by_verification(client.post(server.track_url(), one_event()));
  REQUIRE(server.wait_for_handshakes(1, fixtures::deadline()));
  CHECK(server.handshakes_failed() == 1);
  CHECK(server.requests_served() == 0);
}

TEST_CASE("ca_file pointing at the test CA lets the post through", "[tls]") {
  test_pki pki;
  auto const algorithm = GENERATE(key_algorithm::ec_p256, key_algorithm::rsa_2048);
  auto const identity = algorithm == key_algorithm::ec_p256
                            ? pki.loopback
                            : pki.ca.issue_server_certificate({"IP:127.0.0.1"}, key_algorithm::rsa_2048);
  tls_ingestion_server server(identity);
  CHECK(server.track_url().starts_with("https://127.0.0.1:"));
  CHECK(server.connection_string(fixtures::ikey).find("IngestionEndpoint=https://127.0.0.1:") != std::string::npos);
  http_client client({.ca_file = pki.ca_file});

  auto const r = client.post(server.track_url(), one_event());
  INFO("error: " << r.error);
  REQUIRE(r.status == 200);
  CHECK(r.transport_code == 0);
  CHECK(fixtures::parse_object(r.body).at("itemsAccepted") == 1);
  CHECK(server.accepted_count(fixtures::ikey) == 1);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == 200);
  CHECK(log[0].items_accepted == 1);
  CHECK(server.handshakes_completed() == 1);
  CHECK(server.handshakes_failed() == 0);
}

TEST_CASE("over TLS the server keeps the same contract, faults and keep-alive", "[tls]") {
  test_pki pki;
  tls_ingestion_server server(pki.loopback, {.accepted_keys = {fixtures::ikey}});
  http_client client({.ca_file = pki.ca_file});

  // Partial acceptance: one item that breaks the contract gets its per-item 400.
  auto bad = fixtures::event("bad");
  bad.erase("time");
  auto const partial = client.post(server.endpoint() + "/v2/track", fixtures::json_array({fixtures::event(), bad}),
                                   {.gzip = true});
  INFO("error: " << partial.error);
  REQUIRE(partial.status == 206);
  CHECK(server.accepted_count(fixtures::ikey) == 1);

  // The fault script applies as over plain HTTP.
  server.script({fault::status(503).retry_after("7")});
  auto const throttled = client.post(server.track_url(), one_event());
  CHECK(throttled.status == 503);
  CHECK(throttled.retry_after == "7");

  // One connection, one handshake, reused for every post.
  REQUIRE(client.post(server.track_url(), one_event()).status == 200);
  auto const log = server.requests();
  REQUIRE(log.size() == 3);
  CHECK(log[0].connection_id == log[2].connection_id);
  CHECK(log[0].content_encoding == "gzip");
  CHECK(server.handshakes_completed() == 1);
  CHECK(server.accepted_count(fixtures::ikey) == 2);
}

TEST_CASE("https://localhost matches a DNS:localhost certificate", "[tls]") {
  test_pki pki;
  tls_ingestion_server server(pki.loopback, {.accepted_keys = {fixtures::ikey}});
  http_client client({.ca_file = pki.ca_file});
  auto const r = client.post("https://localhost:" + std::to_string(server.port()) + "/v2.1/track", one_event());
  INFO("error: " << r.error);
  CHECK(r.status == 200);
  CHECK(server.accepted_count(fixtures::ikey) == 1);
}

TEST_CASE("a certificate for another name is refused even from a trusted CA", "[tls][security]") {
  test_pki pki;
  // A DNS name that is not the URL's host, and an IP address that is not the URL's.
  bool const wrong_ip = GENERATE(false, true);
  auto const identity = wrong_ip ? pki.ca.issue_server_certificate({"IP:127.0.0.2", "DNS:localhost"}) : pki.wrong_name;
  tls_ingestion_server server(identity);
  http_client client({.ca_file = pki.ca_file});
  auto const r = client.post(server.endpoint() + "/v2/track", one_event());
  check_refused_by_verification(r);
  CHECK_THAT(r.error, Catch::Contains("127.0.0.1"));
  // libcurl checks the name once the handshake is done, then hangs up before sending.
  REQUIRE(server.wait_for_handshakes(1, fixtures::deadline()));
  CHECK(server.requests_served() == 0);
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

TEST_CASE("plain http to the https server fails cleanly", "[tls][security]") {
  test_pki pki;
  tls_ingestion_server server(pki.loopback);
  http_client client({.ca_file = pki.ca_file});
  auto const r = client.post("http://127.0.0.1:" + std::to_string(server.port()) + "/v2.1/track", one_event());
  INFO("error: " << r.error << ", transport_code " << r.transport_code);
  CHECK(r.status == 0);
  CHECK_FALSE(r.error.empty());
  // An answerless end (empty reply, reset), not a timeout or a hang.
  CHECK(r.transport_code != CURLE_OPERATION_TIMEDOUT);
  CHECK(r.transport_code != 0);
  REQUIRE(server.wait_for_handshakes(1, fixtures::deadline()));
  CHECK(server.handshakes_failed() == 1);
  CHECK(server.requests_served() == 0);
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

TEST_CASE("https to the plain server fails cleanly", "[tls][security]") {
  ingestion_server server;
  http_client client;
  auto const r = client.post("https://127.0.0.1:" + std::to_string(server.port()) + "/v2.1/track", one_event());
  INFO("error: " << r.error << ", transport_code " << r.transport_code);
  CHECK(r.status == 0);
  CHECK(r.transport_code == CURLE_SSL_CONNECT_ERROR);
  CHECK_THAT(r.error, Catch::Contains("SSL") || Catch::Contains("TLS"));
  // The plain server saw a ClientHello, which is no HTTP request: at most a logged 400.
  for (auto const& record : server.requests()) {
    CHECK(record.status == 400);
    CHECK(record.items_received == 0);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

}  // namespace tls_test
