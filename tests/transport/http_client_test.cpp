// The libcurl client's guarantees (security policy, timeouts, cancellation, redirects,
// headers, bounded responses) checked against the loopback ingestion server.
#include "fake_imds.hpp"
#include "ingestion_fixtures.hpp"

#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace http_client_test {

using namespace std::chrono_literals;
using onefuzz::telemetry::testing::fault;
using onefuzz::telemetry::testing::ingestion_server;
using onefuzz::telemetry::transport::http_client;
using onefuzz::telemetry::transport::http_options;
using onefuzz::telemetry::transport::http_response;
using imds_support::fake_imds;
namespace beast_http = boost::beast::http;

TEST_CASE("http_options defaults are the documented ones", "[http_client]") {
  http_options const o;
  CHECK(o.connect_timeout == 5s);
  CHECK(o.total_timeout == 30s);
  CHECK(o.ca_file.empty());
  CHECK(o.allow_insecure_http_for_loopback_only);
  CHECK(o.max_redirects == 10);
}

TEST_CASE("plain http to a non-loopback host is refused before any connection", "[http_client][security]") {
  http_client client;
  for (std::string const url : {"http://192.0.2.1/v2/track", "http://example.com/v2.1/track", "http://10.0.0.1:80/",
                                "http://[2001:db8::1]/v2/track", "http://127.0.0.1.example.com/v2/track"}) {
    INFO(url);
    auto const r = client.post(url, "[]");
    CHECK(r.status == 0);
    CHECK_THAT(r.error, Catch::Contains("refusing plain http to non-loopback host"));
  }
}

TEST_CASE("other schemes and bad URLs are refused", "[http_client][security]") {
  http_client client;
  auto const ftp = client.post("ftp://127.0.0.1/x", "[]");
  CHECK(ftp.status == 0);
  CHECK_THAT(ftp.error, Catch::Contains("unsupported URL scheme"));
  auto const junk = client.post("not a url", "[]");
  CHECK(junk.status == 0);
  CHECK_FALSE(junk.error.empty());
}

TEST_CASE("loopback http can be disabled too", "[http_client][security]") {
  ingestion_server server;
  http_client client({.allow_insecure_http_for_loopback_only = false});
  auto const r = client.post(server.track_url(), "[]");
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("plain http is disabled"));
  CHECK(server.requests_served() == 0);
}

TEST_CASE("a redirect to plain http off loopback is not followed", "[http_client][security]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::redirect(307, "http://192.0.2.1/v2/track")});
  http_client client;
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("non-loopback") && Catch::Contains("redirect"));
  CHECK(server.requests_served() == 1);
}

TEST_CASE("a relative redirect is resolved against the request URL", "[http_client]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::redirect(308, "/v2/track")});
  http_client client;
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  CHECK(r.status == 200);
  CHECK(r.effective_url == server.endpoint() + "/v2/track");
  CHECK(server.accepted_count(fixtures::ikey) == 1);
}

TEST_CASE("redirects stop after max_redirects", "[http_client]") {
  ingestion_server server;
  std::vector<fault> loop(5, fault::redirect(307, "/v2/track"));
  server.script(loop);
  http_client client({.max_redirects = 3});
  auto const r = client.post(server.track_url(), "[]");
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("redirect") || Catch::Contains("Redirect"));
  CHECK(server.requests_served() == 4);  // the first request and three followed hops
}

TEST_CASE("headers: content type, gzip, bearer token, user agent", "[http_client]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto const r = client.post(server.track_url(), fixtures::ndjson({fixtures::event()}),
                             {.content_type = "application/x-json-stream", .gzip = true, .bearer_token = "t0k3n"});
  CHECK(r.status == 200);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].content_type == "application/x-json-stream");
  CHECK(log[0].content_encoding == "gzip");
  CHECK(log[0].authorization == "Bearer t0k3n");
  CHECK(log[0].user_agent == "onefuzz-telemetry/0.1");
  // Nothing leaks into the next request.
  REQUIRE(client.post(server.track_url(), "[]").status == 200);
  auto const second = server.requests().at(1);
  CHECK(second.content_type == "application/json");
  CHECK(second.content_encoding.empty());
  CHECK(second.authorization.empty());
}

TEST_CASE("a precompressed body is sent as it is, gzip'ed once", "[http_client]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto const body = fixtures::ndjson({fixtures::event("made-before")});
  auto const gzip = onefuzz::telemetry::transport::gzip_compress(body);
  // The body argument is what precompressed was made from; only the gzip form is sent.
  auto const r = client.post(server.track_url(), body,
                             {.content_type = "application/x-json-stream", .gzip = true, .precompressed = gzip});
  REQUIRE(r.status == 200);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].content_encoding == "gzip");
  REQUIRE(server.accepted_count(fixtures::ikey) == 1);
  CHECK(server.accepted(fixtures::ikey).back().at("data").at("baseData").at("name") == "made-before");
}

TEST_CASE("the gzip buffer is reused across posts of different sizes", "[http_client]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  std::vector<boost::json::object> big;
  for (int i = 0; i < 300; ++i) big.push_back(fixtures::event(fixtures::numbered("e", i)));
  REQUIRE(client.post(server.track_url(), fixtures::json_array(big), {.gzip = true}).status == 200);
  REQUIRE(client.post(server.track_url(), fixtures::json_array({fixtures::event("small")}), {.gzip = true}).status == 200);
  REQUIRE(client.post(server.track_url(), "[]", {.gzip = true}).status == 200);
  CHECK(server.accepted_count(fixtures::ikey) == 301);
  CHECK(server.accepted(fixtures::ikey).back().at("data").at("baseData").at("name") == "small");
}

TEST_CASE("a refused connection is a network error with a reason", "[http_client]") {
  std::string url;
  {
    ingestion_server server;
    url = server.track_url();
  }  // nothing listens on that port any more
  http_client client;
  auto const r = client.post(url, "[]");
  CHECK(r.status == 0);
  CHECK_FALSE(r.error.empty());
  CHECK(r.body.empty());
}

TEST_CASE("total_timeout bounds a post to a server that never answers", "[http_client]") {
  ingestion_server server;
  server.script({fault::never_answer()});
  http_client client({.total_timeout = 250ms});
  auto const start = std::chrono::steady_clock::now();
  auto const r = client.post(server.track_url(), "[]");
  auto const elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  CHECK(r.transport_code == 28);  // CURLE_OPERATION_TIMEDOUT
  // libcurl's timers have millisecond granularity and may fire a fraction early.
  CHECK(elapsed >= 240ms);
  CHECK(elapsed < 5s);
}

TEST_CASE("a stop request aborts a post in flight promptly", "[http_client]") {
  ingestion_server server;
  server.script({fault::never_answer()});
  http_client client({.total_timeout = 30s});
  std::stop_source stop;
  std::thread stopper([&] {
    // Stop only once the server holds the request, so the abort happens mid-flight.
    if (server.wait_for_requests(1, fixtures::deadline())) {
      stop.request_stop();
    }
  });
  auto const start = std::chrono::steady_clock::now();
  auto const r = client.post(server.track_url(), "[]", {.stop = stop.get_token()});
  auto const elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  CHECK(r.status == 0);
  CHECK(r.error == "cancelled");
  CHECK(elapsed < 5s);
  // The client stays usable after a cancelled post.
  CHECK(client.post(server.track_url(), "[]").status == 200);
}

TEST_CASE("an already-stopped token sends nothing", "[http_client]") {
  ingestion_server server;
  http_client client;
  std::stop_source stop;
  stop.request_stop();
  auto const r = client.post(server.track_url(), "[]", {.stop = stop.get_token()});
  CHECK(r.status == 0);
  CHECK(r.error == "cancelled");
  CHECK(server.requests_served() == 0);
}

TEST_CASE("a response larger than max_response_bytes fails instead of growing", "[http_client]") {
  ingestion_server server;
  server.script({fault::status(503)});
  std::vector<boost::json::object> items(2000, fixtures::event());
  http_client client({.max_response_bytes = 4096});
  auto const r = client.post(server.track_url(), fixtures::json_array(items), {.gzip = true});
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("max_response_bytes"));
  CHECK(r.body.empty());
}

TEST_CASE("a client can be moved between posts", "[http_client]") {
  ingestion_server server;
  http_client first;
  REQUIRE(first.post(server.track_url(), "[]").status == 200);
  http_client second = std::move(first);
  CHECK(second.post(server.track_url(), "[]").status == 200);
  CHECK(second.options().total_timeout == 30s);
}

TEST_CASE("clients on several threads do not interfere", "[http_client]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  constexpr int threads = 4;
  constexpr int posts = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&server, &failures, t] {
      http_client client;  // one client per sender thread, as documented
      for (int i = 0; i < posts; ++i) {
        auto const r = client.post(server.track_url(),
                                   fixtures::json_array({fixtures::event(fixtures::numbered("t", t))}), {.gzip = i % 2 == 0});
        if (r.status != 200) {
          ++failures;  // Catch2 assertions are not thread-safe; count and check below
        }
      }
    });
  }
  for (auto& s : senders) s.join();
  CHECK(failures == 0);
  CHECK(server.wait_for_accepted(fixtures::ikey, threads * posts, fixtures::deadline()));
  CHECK(server.accepted_count(fixtures::ikey) == threads * posts);
}

// --- get(): the bounded GET the metadata clients use ---------------------------------------

TEST_CASE("get sends its headers and returns the answer", "[http_client][get]") {
  fake_imds imds;
  imds.set("vmId", {.body = "6c2d9b1e"});
  http_client client;
  auto const r = client.get(imds.base_url() + "/metadata/instance/compute/vmId?format=text",
                            {.headers = {"Metadata: true"}});
  CHECK(r.status == 200);
  CHECK(r.body == "6c2d9b1e");
  CHECK(r.content_type == "text/plain; charset=utf-8");
  REQUIRE(imds.count() == 1);
  CHECK(imds.requests()[0].method == "GET");
  CHECK(imds.requests()[0].target == "/metadata/instance/compute/vmId?format=text");
  CHECK(imds.requests()[0].metadata_header == "true");
}

TEST_CASE("get returns a redirect as it is, wherever it points", "[http_client][get]") {
  fake_imds imds;
  // A cleartext target off this machine: post() would refuse to follow it; get() does not follow.
  imds.set({.status = beast_http::status::temporary_redirect, .body = "", .location = "http://10.9.8.7/elsewhere"});
  http_client client;
  auto const r = client.get(imds.base_url() + "/anything");
  CHECK(r.status == 307);
  CHECK(r.error.empty());
  CHECK(imds.count() == 1);
}

TEST_CASE("get refuses an answer over max_body_bytes, and keeps one exactly at it", "[http_client][get]") {
  fake_imds imds;
  http_client client;
  imds.set({.body = std::string(4097, 'a')});
  auto const over = client.get(imds.base_url() + "/x", {.max_body_bytes = 4096});
  CHECK(over.status == 0);
  CHECK(over.transport_code == 42);  // the client's own policy (CURLE_ABORTED_BY_CALLBACK)
  CHECK_THAT(over.error, Catch::Contains("over 4 KB"));
  CHECK(over.body.empty());
  imds.set({.body = std::string(4096, 'b')});
  auto const at = client.get(imds.base_url() + "/x", {.max_body_bytes = 4096});
  CHECK(at.status == 200);
  CHECK(at.body == std::string(4096, 'b'));
  // http_options::max_response_bytes caps a get too.
  http_client small({.max_response_bytes = 100});
  imds.set({.body = std::string(101, 'c')});
  auto const capped = small.get(imds.base_url() + "/x", {.max_body_bytes = 1000});
  CHECK(capped.status == 0);
  CHECK_THAT(capped.error, Catch::Contains("max_response_bytes"));
}

TEST_CASE("a client used for get still follows a post's redirects", "[http_client][get]") {
  fake_imds imds;
  imds.set({.body = "{}"});
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::redirect(307, "/v2/track")});
  http_client client;
  REQUIRE(client.get(imds.base_url() + "/x").status == 200);
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  CHECK(r.status == 200);
  CHECK(server.accepted_count(fixtures::ikey) == 1);
}

TEST_CASE("plain http to a link-local address only for a get that allows it", "[http_client][get]") {
  namespace detail = onefuzz::telemetry::transport::detail;
  CHECK(detail::is_link_local_host("169.254.169.254"));
  CHECK(detail::is_link_local_host("[fe80::1]"));
  CHECK(detail::is_link_local_host("[fe80::1%25eth0]"));
  CHECK(detail::is_link_local_host("[febf::1]"));
  CHECK_FALSE(detail::is_link_local_host("[fec0::1]"));
  CHECK_FALSE(detail::is_link_local_host("169.255.0.1"));
  CHECK_FALSE(detail::is_link_local_host("169.254.169.254.example.com"));
  CHECK_FALSE(detail::is_link_local_host("metadata.azure.internal"));

  // Each of these is refused before any connection is attempted (nothing leaves the machine).
  http_client client({.connect_timeout = 200ms, .total_timeout = 200ms});
  auto const post = client.post("http://169.254.169.254/metadata", "[]");
  CHECK(post.status == 0);
  CHECK_THAT(post.error, Catch::Contains("refusing plain http to non-loopback host '169.254.169.254'"));
  auto const get = client.get("http://169.254.169.254/metadata");
  CHECK_THAT(get.error, Catch::Contains("refusing plain http to non-loopback host"));
  auto const elsewhere = client.get("http://10.9.8.7/metadata", {.allow_link_local_http = true});
  CHECK_THAT(elsewhere.error, Catch::Contains("refusing plain http to non-loopback host '10.9.8.7'"));
  // The exception does not outlive the get that asked for it.
  auto const after = client.get("http://169.254.169.254/metadata");
  CHECK_THAT(after.error, Catch::Contains("refusing plain http to non-loopback host"));
}

}  // namespace http_client_test
