// http_options' proxy and CA settings, and Retry-After read through libcurl, against the
// loopback ingestion server and a small forwarding HTTP proxy written here with Beast.
#include "sender_support.hpp"

#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/testing/test_certificates.hpp"
#include "onefuzz/telemetry/testing/tls_ingestion_server.hpp"
#include "onefuzz/telemetry/transport/http_client.hpp"
#include "onefuzz/telemetry/transport/retry_policy.hpp"

#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace proxy_test {

using namespace std::chrono_literals;
using onefuzz::telemetry::testing::fault;
using onefuzz::telemetry::testing::ingestion_server;
using onefuzz::telemetry::testing::test_certificate_authority;
using onefuzz::telemetry::testing::tls_ingestion_server;
using onefuzz::telemetry::transport::backoff;
using onefuzz::telemetry::transport::http_client;
using onefuzz::telemetry::transport::http_options;
using onefuzz::telemetry::transport::http_response;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// A forwarding HTTP proxy on 127.0.0.1: reads requests in absolute form
// ("POST http://127.0.0.1:<port>/v2/track"), sends each to its target over a new connection in
// origin form, and relays the answer. CONNECT host:port (the https tunnel) is counted, answered
// 200 and relayed byte for byte once the target accepts the connection, else answered 502.
class forwarding_proxy {
 public:
  forwarding_proxy() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  forwarding_proxy(forwarding_proxy const&) = delete;
  forwarding_proxy& operator=(forwarding_proxy const&) = delete;
  ~forwarding_proxy() {
    ioc_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  std::size_t forwarded() const { return forwarded_.load(); }
  std::size_t connects() const { return connects_.load(); }
  std::size_t tunnels() const { return tunnels_.load(); }
  std::size_t connections() const { return connections_.load(); }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
  }
  std::vector<std::string> proxy_authorizations() const {
    std::lock_guard lock(mutex_);
    return proxy_authorizations_;
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket = co_await acceptor_.async_accept(net::use_awaitable);
      ++connections_;
      net::co_spawn(ioc_, serve(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> serve(tcp::socket client) {
    try {
      beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> request;
        co_await http::async_read(client, buffer, request, net::use_awaitable);
        std::string const target(request.target());
        {
          std::lock_guard lock(mutex_);
          targets_.push_back(std::string(request.method_string()) + " " + target);
          proxy_authorizations_.push_back(std::string(request[http::field::proxy_authorization]));
        }
        if (request.method() == http::verb::connect) {
          ++connects_;
          co_await tunnel(std::move(client), target);
          co_return;
        }
        // Absolute form only: "http://host:port/path".
        std::string_view rest(target);
        if (!rest.starts_with("http://")) co_return;
        rest.remove_prefix(7);
        auto const slash = rest.find('/');
        std::string_view const authority = rest.substr(0, slash);
        std::string const path(slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash));
        tcp::endpoint const upstream_at = parse_authority(authority);
        ++forwarded_;
        bool const keep_alive = request.keep_alive();
        request.target(path);
        request.erase(http::field::proxy_authorization);
        request.erase("Proxy-Connection");
        request.keep_alive(false);
        tcp::socket upstream(ioc_);
        co_await upstream.async_connect(upstream_at, net::use_awaitable);
        co_await http::async_write(upstream, request, net::use_awaitable);
        beast::flat_buffer upstream_buffer;
        http::response<http::string_body> answer;
        co_await http::async_read(upstream, upstream_buffer, answer, net::use_awaitable);
        answer.keep_alive(keep_alive);
        co_await http::async_write(client, answer, net::use_awaitable);
        if (!keep_alive) co_return;
      }
    } catch (...) {
      // The client or the server went away: the connection ends.
    }
  }

  static tcp::endpoint parse_authority(std::string_view authority) {
    auto const colon = authority.rfind(':');
    return {net::ip::make_address(std::string(authority.substr(0, colon))),
            static_cast<std::uint16_t>(std::stoi(std::string(authority.substr(colon + 1))))};
  }

  static net::awaitable<void> relay(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
    try {
      char data[16384];
      for (;;) {
        std::size_t const n = co_await from->async_read_some(net::buffer(data), net::use_awaitable);
        co_await net::async_write(*to, net::buffer(data, n), net::use_awaitable);
      }
    } catch (...) {
      boost::system::error_code ignored;
      to->shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  net::awaitable<void> tunnel(tcp::socket client_socket, std::string const& authority) {
    auto client = std::make_shared<tcp::socket>(std::move(client_socket));
    auto upstream = std::make_shared<tcp::socket>(ioc_);
    boost::system::error_code ec;
    co_await upstream->async_connect(parse_authority(authority), net::redirect_error(net::use_awaitable, ec));
    http::response<http::empty_body> answer{ec ? http::status::bad_gateway : http::status::ok, 11};
    if (ec) answer.keep_alive(false);
    http::response_serializer<http::empty_body> serializer(answer);
    serializer.split(true);  // a 200 to CONNECT has no body and no Content-Length
    co_await http::async_write_header(*client, serializer, net::use_awaitable);
    if (ec) co_return;
    ++tunnels_;
    net::co_spawn(ioc_, relay(upstream, client), net::detached);
    co_await relay(client, upstream);
  }

  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_{0};
  std::thread thread_;
  std::atomic<std::size_t> forwarded_{0};
  std::atomic<std::size_t> connects_{0};
  std::atomic<std::size_t> tunnels_{0};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;
  std::vector<std::string> proxy_authorizations_;
};

constexpr char const* ikey = "11111111-2222-3333-4444-555555555555";

// One valid envelope for ikey, stamped now (the server refuses items older than 48 h).
std::string one_item() {
  std::time_t const t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char time[64];
  std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return std::string(R"({"ver":1,"name":"Microsoft.ApplicationInsights.Event","time":")") + time + R"(",)" +
         R"("iKey":")" + ikey + R"(","data":{"baseType":"EventData","baseData":{"ver":2,"name":"job_started"}}})";
}

// A port nothing listens on (bound, then released).
std::uint16_t closed_port() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// Restores (or unsets) an environment variable when the test ends.
class scoped_env {
 public:
  scoped_env(char const* name, char const* value) : name_(name) {
    if (char const* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  scoped_env(scoped_env const&) = delete;
  scoped_env& operator=(scoped_env const&) = delete;
  ~scoped_env() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  char const* name_;
  std::optional<std::string> old_;
};

// An IMF-fixdate `ahead` from now.
// From time(), the clock libcurl subtracts the date from: glibc serves it from the kernel's
// coarse clock, up to a tick behind system_clock, so a date taken from system_clock just after
// a second began read one second longer through libcurl (seen once in an ASan run: 3 s for 2 s).
std::string http_date(std::chrono::seconds ahead) {
  std::time_t const t = std::time(nullptr) + static_cast<std::time_t>(ahead.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

}  // namespace

TEST_CASE("proxy options default to libcurl's environment-driven behaviour", "[http_client][proxy]") {
  http_options const o;
  CHECK(o.proxy.empty());
  CHECK(o.use_proxy_environment);
  CHECK_FALSE(o.no_proxy.has_value());
  CHECK(o.ca_pem.empty());
}

TEST_CASE("with http_options::proxy the post goes through the proxy", "[http_client][proxy]") {
  ingestion_server server({.accepted_keys = {ikey}});
  forwarding_proxy proxy;
  http_client client({.proxy = proxy.url(), .no_proxy = ""});
  auto const url = server.endpoint() + "/v2/track";
  http_response const r = client.post(url, one_item());
  INFO(r.error << r.body);
  CHECK(r.status == 200);
  CHECK(proxy.forwarded() == 1);
  REQUIRE(proxy.targets().size() == 1);
  CHECK(proxy.targets()[0] == "POST " + url);  // absolute form, as sent to a proxy
  CHECK(server.wait_for_accepted(ikey, 1, std::chrono::steady_clock::now() + 5s));
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].items_received == 1);
  CHECK(server.requests()[0].target == "/v2/track");
}

TEST_CASE("without a proxy the post goes straight to the server", "[http_client][proxy]") {
  ingestion_server server({.accepted_keys = {ikey}});
  forwarding_proxy proxy;
  http_client client({.use_proxy_environment = false});
  http_response const r = client.post(server.endpoint() + "/v2/track", one_item());
  CHECK(r.status == 200);
  CHECK(proxy.connections() == 0);
  CHECK(server.accepted_count(ikey) == 1);
}

TEST_CASE("an empty proxy honours http_proxy and no_proxy; use_proxy_environment=false ignores them",
          "[http_client][proxy]") {
  ingestion_server server({.accepted_keys = {ikey}});
  forwarding_proxy proxy;
  auto const url = server.endpoint() + "/v2/track";
  scoped_env const all("all_proxy", nullptr);
  scoped_env const all_upper("ALL_PROXY", nullptr);
  scoped_env const upper("NO_PROXY", nullptr);
  {
    scoped_env const via("http_proxy", proxy.url().c_str());
    scoped_env const none("no_proxy", nullptr);
    CHECK(http_client{}.post(url, one_item()).status == 200);
    CHECK(proxy.forwarded() == 1);
    CHECK(http_client({.use_proxy_environment = false}).post(url, one_item()).status == 200);
    CHECK(proxy.forwarded() == 1);
  }
  {
    scoped_env const via("http_proxy", proxy.url().c_str());
    scoped_env const except("no_proxy", "127.0.0.1");
    CHECK(http_client{}.post(url, one_item()).status == 200);
    CHECK(proxy.forwarded() == 1);
    // An explicit no_proxy wins over the environment's.
    CHECK(http_client({.no_proxy = ""}).post(url, one_item()).status == 200);
    CHECK(proxy.forwarded() == 2);
  }
  CHECK(server.accepted_count(ikey) == 4);
}

TEST_CASE("proxy credentials are sent to the proxy only and never appear in errors", "[http_client][proxy]") {
  ingestion_server server({.accepted_keys = {ikey}});
  forwarding_proxy proxy;
  {
    http_client client({.proxy = "http://alice:s3cr%40t@127.0.0.1:" + std::to_string(proxy.port()), .no_proxy = ""});
    http_response const r = client.post(server.endpoint() + "/v2/track", one_item());
    CHECK(r.status == 200);
    REQUIRE(proxy.proxy_authorizations().size() == 1);
    CHECK(proxy.proxy_authorizations()[0] == "Basic YWxpY2U6czNjckB0");  // alice:s3cr@t
  }
  {
    http_client client({.proxy = "http://alice:s3cr%40t@127.0.0.1:" + std::to_string(closed_port()), .no_proxy = ""});
    http_response const r = client.post(server.endpoint() + "/v2/track", one_item());
    CHECK(r.status == 0);
    CHECK_FALSE(r.error.empty());
    CHECK(r.error.find("s3cr") == std::string::npos);
    CHECK(r.error.find("alice") == std::string::npos);
  }
}

TEST_CASE("https through a proxy asks for a CONNECT tunnel", "[http_client][proxy]") {
  forwarding_proxy proxy;
  http_client client({.connect_timeout = 2s, .total_timeout = 5s, .proxy = proxy.url(), .no_proxy = ""});
  http_response const r = client.post("https://127.0.0.1:" + std::to_string(closed_port()) + "/v2/track", one_item());
  CHECK(r.status == 0);  // the proxy could not reach the target: 502 to CONNECT
  CHECK(proxy.connects() == 1);
  CHECK(proxy.tunnels() == 0);
  CHECK(proxy.forwarded() == 0);
  REQUIRE(proxy.targets().size() == 1);
  CHECK(proxy.targets()[0].starts_with("CONNECT 127.0.0.1:"));
}

TEST_CASE("a proxy does not open a cleartext path to a non-loopback host", "[http_client][proxy][security]") {
  forwarding_proxy proxy;
  http_client client({.proxy = proxy.url(), .no_proxy = ""});
  http_response const r = client.post("http://example.com/v2/track", one_item());
  CHECK(r.status == 0);
  CHECK(r.transport_code == CURLE_UNSUPPORTED_PROTOCOL);
  CHECK(proxy.connections() == 0);  // refused before connecting to anything
}

TEST_CASE("sender_options::http.proxy reaches the sender's client", "[sender][proxy]") {
  using namespace sender_support;
  ingestion_server server;
  forwarding_proxy proxy;
  auto options = fast_options(server.connection_string(instance_key));
  options.http.proxy = proxy.url();
  options.http.no_proxy = "";
  tel::transport::sender<> sender{options};
  REQUIRE(sender.emit(coverage(1)));
  REQUIRE(sender.force_flush(10s));
  CHECK(sender.instance_statistics().accepted == 2);  // coverage_data has a metric twin
  CHECK(proxy.forwarded() >= 1);
  CHECK(server.accepted_count(instance_key) == 2);
}

TEST_CASE("ca_pem is applied: text that is not PEM fails certificate loading", "[http_client][tls]") {
  ingestion_server server;  // plain http: the handshake fails either way, but differently
  auto const url = "https://127.0.0.1:" + std::to_string(server.port()) + "/v2/track";
  http_response const bad = http_client({.ca_pem = "not a certificate"}).post(url, one_item());
  CHECK(bad.status == 0);
  CHECK(bad.transport_code == CURLE_SSL_CACERT_BADFILE);
  http_response const control = http_client{}.post(url, one_item());
  CHECK(control.status == 0);
  CHECK(control.transport_code != CURLE_SSL_CACERT_BADFILE);
}

TEST_CASE("ca_pem: a CA given in memory is trusted, and only it", "[http_client][tls]") {
  test_certificate_authority ca;
  test_certificate_authority other("another test CA");
  tls_ingestion_server server(ca.issue_server_certificate({"IP:127.0.0.1"}), {.accepted_keys = {ikey}});
  http_response const trusted = http_client({.ca_pem = ca.certificate_pem()}).post(server.track_url(), one_item());
  INFO(trusted.error);
  CHECK(trusted.status == 200);
  CHECK(server.accepted_count(ikey) == 1);
  http_response const stranger = http_client({.ca_pem = other.certificate_pem()}).post(server.track_url(), one_item());
  CHECK(stranger.status == 0);
  CHECK(stranger.transport_code == CURLE_PEER_FAILED_VERIFICATION);
  http_response const system = http_client{}.post(server.track_url(), one_item());
  CHECK(system.status == 0);
  CHECK(system.transport_code == CURLE_PEER_FAILED_VERIFICATION);
  CHECK(server.accepted_count(ikey) == 1);
}

TEST_CASE("https through the proxy: a CONNECT tunnel, TLS verified end to end", "[http_client][proxy][tls]") {
  test_certificate_authority ca;
  tls_ingestion_server server(ca.issue_server_certificate({"IP:127.0.0.1"}), {.accepted_keys = {ikey}});
  forwarding_proxy proxy;
  http_response const r =
      http_client({.ca_pem = ca.certificate_pem(), .proxy = proxy.url(), .no_proxy = ""}).post(server.track_url(),
                                                                                                one_item());
  INFO(r.error);
  CHECK(r.status == 200);
  CHECK(proxy.connects() == 1);
  CHECK(proxy.tunnels() == 1);
  CHECK(proxy.forwarded() == 0);  // the proxy saw ciphertext only
  REQUIRE(proxy.targets().size() == 1);
  CHECK(proxy.targets()[0] == "CONNECT 127.0.0.1:" + std::to_string(server.port()));
  CHECK(server.accepted_count(ikey) == 1);
  // The tunnel does not weaken verification: a CA the client does not trust still fails.
  test_certificate_authority other("another test CA");
  http_response const refused =
      http_client({.ca_pem = other.certificate_pem(), .proxy = proxy.url(), .no_proxy = ""}).post(server.track_url(),
                                                                                                   one_item());
  CHECK(refused.status == 0);
  CHECK(refused.transport_code == CURLE_PEER_FAILED_VERIFICATION);
  CHECK(proxy.tunnels() == 2);
  CHECK(server.accepted_count(ikey) == 1);
}

TEST_CASE("Retry-After is read by libcurl in both forms, end to end", "[http_client][retry_after]") {
  ingestion_server server;
  auto const url = server.endpoint() + "/v2/track";
  http_client client;
  struct row {
    std::string value;
    std::optional<std::chrono::seconds> low, high;
  };
  std::vector<row> const rows = {
      {"1", 1s, 1s},
      {"0", 0s, 0s},
      {" 7 ", 7s, 7s},
      {http_date(2s), 1s, 2s},  // libcurl counts from its own whole-second clock
      {http_date(-60s), 0s, 0s},
      {"Wed, 21 Oct 2015 07:28:00 GMT", 0s, 0s},
      {"99999999999999999999", 3600s, 3600s},  // too big for libcurl: clamped, not lost
      {http_date(48h), 3600s, 3600s},
      {"soon", std::nullopt, std::nullopt},
      {"5x", 5s, 5s},  // libcurl reads the leading number
  };
  for (auto const& r : rows) {
    INFO("Retry-After: " << r.value);
    server.script({fault::status(429).retry_after(r.value)});
    http_response const answer = client.post(url, one_item());
    CHECK(answer.status == 429);
    CHECK(answer.retry_after.has_value());
    REQUIRE(answer.retry_after_delay.has_value() == r.low.has_value());
    if (r.low) {
      CHECK(*answer.retry_after_delay >= *r.low);
      CHECK(*answer.retry_after_delay <= *r.high);
    }
  }
  server.script({fault::status(429)});
  http_response const none = client.post(url, one_item());
  CHECK_FALSE(none.retry_after_delay);
}

TEST_CASE("a 429 with Retry-After delays the retry accordingly", "[http_client][retry_after]") {
  ingestion_server server({.accepted_keys = {ikey}});
  auto const url = server.endpoint() + "/v2/track";
  http_client client;
  for (auto const& [value, low] : {std::pair{std::string("1"), 900ms}, std::pair{http_date(2s), 900ms}}) {
    INFO("Retry-After: " << value);
    server.script({fault::status(429).retry_after(value)});
    backoff policy({.min_delay = 1ms, .initial_delay = 1ms, .max_delay = 10s});
    auto const start = std::chrono::steady_clock::now();
    http_response answer = client.post(url, one_item());
    REQUIRE(answer.status == 429);
    std::this_thread::sleep_for(policy.next_delay(answer.retry_after_delay));
    answer = client.post(url, one_item());
    CHECK(answer.status == 200);
    auto const took = std::chrono::steady_clock::now() - start;
    CHECK(took >= low);  // a date 2 s ahead is 1 to 2 s away: it has whole seconds
    CHECK(took < 5s);
  }
}

TEST_CASE("the sender waits out an HTTP-date Retry-After", "[sender][retry_after]") {
  using namespace sender_support;
  ingestion_server server;
  server.script({fault::status(429).retry_after(http_date(2s))});
  auto options = fast_options(server.connection_string(instance_key));
  options.retry.backoff.max_delay = 5s;
  tel::transport::sender<> sender{options};
  auto const start = std::chrono::steady_clock::now();
  REQUIRE(sender.emit(coverage(1)));
  REQUIRE(sender.force_flush(10s));
  auto const took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 900ms);  // 1 to 2 s: the date has whole seconds
  CHECK(took < 5s);
  CHECK(sender.instance_statistics().accepted == 2);
}

}  // namespace proxy_test
