// The Entra ID token provider: managed_identity_token_provider against a loopback stand-in for
// IMDS (tests/support/fake_imds.hpp) that counts requests and answers on a script, with time
// passed in; and the
// bearer_token_function adapter the sender takes. Nothing here contacts 169.254.169.254.
#include "fake_imds.hpp"

#include <onefuzz/telemetry/transport/managed_identity.hpp>
#include <onefuzz/telemetry/transport/token_provider.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace token_provider_test {

namespace tr = onefuzz::telemetry::transport;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using time_point = std::chrono::system_clock::time_point;

namespace {

using imds_support::closed_port_url;
using imds_support::fake_imds;

const time_point t0{std::chrono::seconds{1'750'000'000}};
constexpr long long t0_seconds = 1'750'000'000;
constexpr const char* secret_a = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-AAAA.sig";
constexpr const char* secret_b = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-BBBB.sig";

// IMDS's answer: every field a string, as the real service sends them.
std::string token_body(const std::string& token, long long expires_on) {
  return R"({"access_token":")" + token + R"(","client_id":"00000000-0000-0000-0000-000000000001",)" +
         R"("expires_in":"86399","expires_on":")" + std::to_string(expires_on) + R"(","ext_expires_in":"86399",)" +
         R"("not_before":")" + std::to_string(expires_on - 86399) +
         R"(","resource":"https://monitor.azure.com/","token_type":"Bearer"})";
}

tr::managed_identity_options options_for(const fake_imds& imds) {
  tr::managed_identity_options options;
  options.imds_base_url = imds.base_url();
  // Generous: the fake answers at once, but CI runs these beside fuzzers and sanitizer
  // builds on 2 cores, where a loopback round trip once took longer than 2 s. The tests
  // that are about timeouts set their own.
  options.connect_timeout = 5000ms;
  options.timeout = 10000ms;
  return options;
}

constexpr const char* token_path =
    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.com%2F";

}  // namespace

TEST_CASE("the first token is fetched as IMDS requires, then served from the cache") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  tr::managed_identity_token_provider provider(options_for(imds));

  const auto first = provider.token(t0);
  REQUIRE(first);
  CHECK(first->value == secret_a);
  CHECK(first->expires_on == t0 + 3600s);
  REQUIRE(imds.count() == 1);
  const auto request = imds.requests().front();
  CHECK(request.method == "GET");
  CHECK(request.target == token_path);  // system-assigned: no client_id
  CHECK(request.metadata_header == "true");
  CHECK_FALSE(request.has_authorization);

  const auto second = provider.token(t0 + 10min);
  REQUIRE(second);
  CHECK(second->value == secret_a);
  CHECK(imds.count() == 1);  // no request
}

TEST_CASE("a user-assigned identity's client_id and another resource are sent, encoded") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  auto options = options_for(imds);
  options.client_id = "6c2d9b1e-3f41-4d0a-9a5e-0f1e2d3c4b5a";
  tr::managed_identity_token_provider provider(options);
  REQUIRE(provider.token(t0));
  REQUIRE(imds.count() == 1);
  CHECK(imds.requests()[0].target == std::string{token_path} + "&client_id=6c2d9b1e-3f41-4d0a-9a5e-0f1e2d3c4b5a");
  CHECK(imds.requests()[0].metadata_header == "true");

  options.client_id = "a b&c=d";
  options.resource = "https://monitor.azure.us/";
  options.imds_base_url += "/";  // a trailing slash is not doubled
  tr::managed_identity_token_provider sovereign(options);
  REQUIRE(sovereign.token(t0));
  REQUIRE(imds.count() == 2);
  CHECK(imds.requests()[1].target ==
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.us%2F"
        "&client_id=a%20b%26c%3Dd");
}

TEST_CASE("the token is refreshed once within 5 minutes of its expiry") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  tr::managed_identity_token_provider provider(options_for(imds));
  REQUIRE(provider.token(t0));
  imds.set({.body = token_body(secret_b, t0_seconds + 7200)});

  const auto before_window = provider.token(t0 + 3600s - 5min - 1s);
  REQUIRE(before_window);
  CHECK(before_window->value == secret_a);
  CHECK(imds.count() == 1);

  const auto in_window = provider.token(t0 + 3600s - 5min + 1s);
  REQUIRE(in_window);
  CHECK(in_window->value == secret_b);
  CHECK(imds.count() == 2);
  CHECK(provider.token(t0 + 3600s)->value == secret_b);
  CHECK(imds.count() == 2);
}

TEST_CASE("a failed early refresh keeps the still-valid token and waits before asking again") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  tr::managed_identity_token_provider provider(options_for(imds));
  REQUIRE(provider.token(t0));
  imds.set({.status = http::status::internal_server_error, .body = "{}"});

  const time_point in_window = t0 + 3600s - 4min;
  auto kept = provider.token(in_window);
  REQUIRE(kept);
  CHECK(kept->value == secret_a);
  CHECK(imds.count() == 2);
  CHECK(provider.token(in_window + 10s)->value == secret_a);  // within refresh_retry_delay: no request
  CHECK(imds.count() == 2);
  CHECK(provider.token(in_window + 31s)->value == secret_a);  // asks again, fails again
  CHECK(imds.count() == 3);

  // Once the token has expired it is never returned: the failure is the answer.
  const auto expired = provider.token(t0 + 3600s);
  REQUIRE_FALSE(expired);
  CHECK_THAT(expired.error().message, Catch::Contains("HTTP 500"));
  CHECK(imds.count() == 4);
}

TEST_CASE("invalidate() causes exactly one new request") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  tr::managed_identity_token_provider provider(options_for(imds));
  REQUIRE(provider.token(t0));
  imds.set({.body = token_body(secret_b, t0_seconds + 3600)});

  provider.invalidate();
  provider.invalidate();  // two senders seeing the same 401: still one fetch
  const auto renewed = provider.token(t0 + 1min);
  REQUIRE(renewed);
  CHECK(renewed->value == secret_b);
  CHECK(imds.count() == 2);
  CHECK(provider.token(t0 + 2min)->value == secret_b);
  CHECK(imds.count() == 2);

  // An invalidated token is not a fallback when the refetch fails.
  provider.invalidate();
  imds.set({.status = http::status::service_unavailable, .body = ""});
  CHECK_FALSE(provider.token(t0 + 3min));
  CHECK(imds.count() == 3);
}

TEST_CASE("IMDS down: a closed port is an error, quickly") {
  tr::managed_identity_options options;
  options.imds_base_url = closed_port_url();
  tr::managed_identity_token_provider provider(options);
  const auto started = std::chrono::steady_clock::now();
  const auto answer = provider.token(t0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::StartsWith("managed identity: cannot get a token from IMDS at http://127.0.0.1:"));
}

TEST_CASE("IMDS that accepts and never answers: the timeout holds") {
  fake_imds imds;
  imds.set({.status = http::status::ok, .body = "", .delay = 0ms, .hang = true});
  auto options = options_for(imds);
  options.timeout = 300ms;
  tr::managed_identity_token_provider provider(options);
  const auto started = std::chrono::steady_clock::now();
  const auto answer = provider.token(t0);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::Contains("cannot get a token"));
}

TEST_CASE("IMDS 400: the error quotes error_description, never a token") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  tr::managed_identity_token_provider provider(options_for(imds));
  REQUIRE(provider.token(t0));
  provider.invalidate();
  imds.set({.status = http::status::bad_request,
            .body = std::string{R"({"error":"invalid_request","error_description":"Identity not found",)"} +
                    R"("access_token":")" + secret_b + R"("})"});
  const auto answer = provider.token(t0 + 1min);
  REQUIRE_FALSE(answer);
  const auto& message = answer.error().message;
  CHECK_THAT(message, Catch::Contains("HTTP 400") && Catch::Contains("Identity not found") &&
                          Catch::Contains("invalid_request"));
  CHECK_THAT(message, !Catch::Contains("secret-token"));

  // A description that itself carries something token-shaped is scrubbed.
  imds.set({.status = http::status::bad_request,
            .body = std::string{R"({"error_description":"bad Bearer )"} + secret_b + R"("})"});
  const auto scrubbed = provider.token(t0 + 2min);
  REQUIRE_FALSE(scrubbed);
  CHECK_THAT(scrubbed.error().message, !Catch::Contains("secret-token"));

  imds.set({.status = http::status::internal_server_error, .body = std::string{"not json "} + secret_b});
  const auto plain = provider.token(t0 + 3min);
  REQUIRE_FALSE(plain);
  CHECK_THAT(plain.error().message, Catch::EndsWith("IMDS answered HTTP 500"));
}

TEST_CASE("malformed or incomplete answers are errors that hold no token") {
  struct bad_answer {
    const char* what;
    std::string body;
    const char* reason;
  };
  const std::vector<bad_answer> answers = {
      {"truncated JSON", std::string{R"({"access_token":")"} + secret_a + R"(","expires_on":)", "not JSON"},
      {"not an object", std::string{"[\""} + secret_a + "\"]", "not a JSON object"},
      {"no access_token", R"({"expires_on":"1750003600"})", "no access_token"},
      {"empty access_token", R"({"access_token":"","expires_on":"1750003600"})", "no access_token"},
      {"no expiry", std::string{R"({"access_token":")"} + secret_a + R"("})", "no usable expires_on"},
      {"expiry not a number", std::string{R"({"access_token":")"} + secret_a + R"(","expires_on":"soon"})",
       "no usable expires_on"},
      {"negative expiry", std::string{R"({"access_token":")"} + secret_a + R"(","expires_on":-5})",
       "no usable expires_on"},
      {"expired on arrival", token_body(secret_a, t0_seconds - 60), "expired at 1749999940"},
      {"expires exactly now", std::string{R"({"access_token":")"} + secret_a + R"(","expires_in":0})",
       "expired at 1750000000"},
  };
  for (const auto& bad : answers) {
    INFO(bad.what);
    fake_imds imds;
    imds.set({.body = bad.body});
    tr::managed_identity_token_provider provider(options_for(imds));
    const auto answer = provider.token(t0);
    REQUIRE_FALSE(answer);
    CHECK_THAT(answer.error().message, Catch::StartsWith("managed identity: ") && Catch::Contains(bad.reason));
    CHECK_THAT(answer.error().message, !Catch::Contains("secret-token"));
    CHECK(imds.count() == 1);
  }
}

TEST_CASE("expires_on as a number, and expires_in when expires_on is absent") {
  CHECK(tr::detail::parse_managed_identity_token(R"({"access_token":"x","expires_on":1750003600})", t0)->expires_on ==
        t0 + 3600s);
  CHECK(tr::detail::parse_managed_identity_token(R"({"access_token":"x","expires_in":"600"})", t0)->expires_on ==
        t0 + 600s);
  CHECK(tr::detail::parse_managed_identity_token(R"({"access_token":"x","expires_in":600})", t0)->expires_on ==
        t0 + 600s);
  // expires_on wins over expires_in when both are present.
  CHECK(tr::detail::parse_managed_identity_token(R"({"access_token":"x","expires_on":"1750000900","expires_in":"60"})",
                                                 t0)
            ->expires_on == t0 + 900s);
  CHECK_FALSE(tr::detail::parse_managed_identity_token(R"({"access_token":"x","expires_on":99999999999999})", t0));
}

TEST_CASE("an answer over 64 KB is refused") {
  fake_imds imds;
  imds.set({.body = std::string(100'000, 'a')});
  tr::managed_identity_token_provider provider(options_for(imds));
  const auto answer = provider.token(t0);
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::Contains("over 64 KB"));
}

TEST_CASE("IMDS is reached directly, never through a proxy from the environment") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  const std::string dead_proxy = closed_port_url();
  ::setenv("http_proxy", dead_proxy.c_str(), 1);
  ::setenv("HTTP_PROXY", dead_proxy.c_str(), 1);
  tr::managed_identity_token_provider provider(options_for(imds));
  const auto answer = provider.token(t0);
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  REQUIRE(answer);
  CHECK(imds.count() == 1);
}

TEST_CASE("4 threads asking at once cause one request") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600), .delay = 200ms});
  auto provider = std::make_shared<tr::managed_identity_token_provider>(options_for(imds));
  std::atomic<int> ready{0};
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < 4) std::this_thread::yield();
      auto answer = provider->token(t0);
      if (answer && answer->value == secret_a) succeeded.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(succeeded.load() == 4);
  CHECK(imds.count() == 1);
}

TEST_CASE("bearer_token_function: the sender's std::function over a shared provider") {
  fake_imds imds;
  imds.set({.body = token_body(secret_a, t0_seconds + 3600)});
  auto provider = std::make_shared<tr::managed_identity_token_provider>(options_for(imds));
  time_point now = t0;
  std::vector<std::string> errors;
  const std::function<std::optional<std::string>()> bearer = tr::bearer_token_function(
      provider, {.clock = [&now] { return now; }, .on_error = [&errors](const onefuzz::telemetry::error& e) { errors.push_back(e.message); }});
  const auto copy = bearer;  // copies share the provider's cache
  CHECK(bearer() == std::optional<std::string>{secret_a});
  CHECK(copy() == std::optional<std::string>{secret_a});
  CHECK(imds.count() == 1);

  const std::function<void()> rejected = tr::invalidate_function(provider);
  imds.set({.status = http::status::bad_request,
            .body = R"({"error":"invalid_request","error_description":"Identity not found"})"});
  rejected();
  now += 1min;
  CHECK(bearer() == std::nullopt);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("Identity not found"));
  CHECK(imds.count() == 2);

  CHECK(tr::bearer_token_function(nullptr)() == std::nullopt);
  tr::invalidate_function(nullptr)();  // harmless
}

TEST_CASE("the default options name the real IMDS and Azure Monitor (never contacted here)") {
  const tr::managed_identity_options defaults;
  CHECK(defaults.imds_base_url == "http://169.254.169.254");
  CHECK(defaults.client_id.empty());
  CHECK(tr::detail::managed_identity_token_url(defaults) ==
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
        "&resource=https%3A%2F%2Fmonitor.azure.com%2F");
  CHECK(defaults.refresh_before_expiry == 5min);
  CHECK(tr::detail::percent_encode("Az09-._~ /?&=%") == "Az09-._~%20%2F%3F%26%3D%25");
}

}  // namespace token_provider_test
