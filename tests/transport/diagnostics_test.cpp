// The diagnostics channel: names, the formatted line, sanitizing of outside text, the severity
// filter, rate limiting with an injected clock, handler failures, concurrent reports, and the
// default stderr handler.
#include <onefuzz/telemetry/transport/diagnostics.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#if __has_include(<curl/curl.h>)
#include <curl/curl.h>
#define ONEFUZZ_TEST_HAS_CURL 1
#endif

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace diagnostics_test {

namespace t = onefuzz::telemetry::transport;
using namespace std::chrono_literals;
using kind = t::diagnostic_kind;
using severity = t::diagnostic_severity;
using destination = t::diagnostic_destination;

namespace {

constexpr std::string_view key = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
constexpr std::string_view upper_key = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

// An independent check of well-formed UTF-8 (RFC 3629), so the tests do not trust the header's.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  return false;
}

t::diagnostic record(kind k = kind::connection_failed, destination d = destination::instance,
                     severity s = severity::error, std::string message = "connection refused") {
  t::diagnostic r;
  r.kind = k;
  r.destination = d;
  r.severity = s;
  r.message = std::move(message);
  return r;
}

// A manual clock for the rate limiter.
struct manual_clock {
  t::diagnostics_channel::clock::time_point now{std::chrono::hours{1}};
  t::diagnostics_channel::clock_function function() {
    return [this] { return now; };
  }
};

// Collects delivered records.
struct collector {
  std::mutex mutex;
  std::vector<t::diagnostic> delivered;
  std::function<void(const t::diagnostic&)> handler() {
    return [this](const t::diagnostic& d) {
      std::lock_guard lock(mutex);
      delivered.push_back(d);
    };
  }
};

// Runs `body` with stderr (fd 2) sent to a temporary file, and returns what was written.
template <class F>
std::string capture_stderr(F&& body) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(::fileno(file), STDERR_FILENO) >= 0);
  body();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string out;
  std::rewind(file);
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) out.append(buffer, n);
  std::fclose(file);
  return out;
}

}  // namespace

TEST_CASE("every enum value has its own stable name", "[diagnostics]") {
  CHECK(t::to_string(destination::none) == "none");
  CHECK(t::to_string(destination::instance) == "instance");
  CHECK(t::to_string(destination::central) == "central");
  CHECK(t::to_string(severity::info) == "info");
  CHECK(t::to_string(severity::warning) == "warning");
  CHECK(t::to_string(severity::error) == "error");
  const std::vector<std::pair<kind, std::string_view>> kinds = {
      {kind::configuration, "configuration"},         {kind::connection_failed, "connection_failed"},
      {kind::tls_failed, "tls_failed"},               {kind::timed_out, "timed_out"},
      {kind::http_status, "http_status"},             {kind::retry_scheduled, "retry_scheduled"},
      {kind::partial_acceptance, "partial_acceptance"}, {kind::spool_read_failed, "spool_read_failed"},
      {kind::spool_write_failed, "spool_write_failed"}, {kind::dropped, "dropped"},
      {kind::shutdown_leftovers, "shutdown_leftovers"}};
  REQUIRE(kinds.size() == t::diagnostic_kind_count);
  for (const auto& [k, name] : kinds) CHECK(t::to_string(k) == name);
  CHECK(t::to_string(static_cast<kind>(99)) == "unknown");
  CHECK(t::to_string(static_cast<destination>(7)) == "unknown");
}

TEST_CASE("format_diagnostic writes one prefixed line", "[diagnostics][format]") {
  auto r = record(kind::connection_failed, destination::instance, severity::error,
                  "connection refused by 127.0.0.1:1 (17 attempts)");
  CHECK(t::format_diagnostic(r) == "onefuzz-telemetry: error: instance: connection refused by 127.0.0.1:1 (17 attempts)");

  r.suppressed = 3;
  CHECK(t::format_diagnostic(r) ==
        "onefuzz-telemetry: error: instance: connection refused by 127.0.0.1:1 (17 attempts) (3 similar suppressed)");

  r.suppressed = 0;
  r.destination = destination::central;
  r.severity = severity::warning;
  r.detail = "Failed to connect to 127.0.0.1 port 1";
  CHECK(t::format_diagnostic(r) == "onefuzz-telemetry: warning: central: connection refused by 127.0.0.1:1 "
                                   "(17 attempts): Failed to connect to 127.0.0.1 port 1");

  SECTION("no destination part for process-wide records") {
    auto c = record(kind::configuration, destination::none, severity::info, "plain http refused");
    CHECK(t::format_diagnostic(c) == "onefuzz-telemetry: info: plain http refused");
  }
}

TEST_CASE("format_diagnostic keeps a hostile detail on one line", "[diagnostics][format]") {
  auto r = record();
  r.detail = "bad\r\nonefuzz-telemetry: error: forged line\x1b[31m\tred\x7f\xe2\x80\xa8sep\xc2\x85nel";
  r.message = "first\nsecond";
  const std::string line = t::format_diagnostic(r);
  CHECK_FALSE(has_control(line));
  CHECK(line.find("\xe2\x80\xa8") == std::string::npos);  // U+2028 LINE SEPARATOR
  CHECK(line.find("\xc2\x85") == std::string::npos);      // U+0085 NEXT LINE
  CHECK(line == "onefuzz-telemetry: error: instance: first second: bad onefuzz-telemetry: error: forged line "
                "[31m red sep nel");
  CHECK(valid_utf8(line));
}

TEST_CASE("format_diagnostic caps the line on a UTF-8 boundary", "[diagnostics][format]") {
  auto r = record();
  std::string euros;
  for (int i = 0; i < 400; ++i) euros += "\xe2\x82\xac";  // U+20AC, 3 bytes
  r.message = euros;
  r.detail = euros;
  std::string line = t::format_diagnostic(r);
  CHECK(line.size() <= t::max_diagnostic_line_bytes);
  CHECK(line.size() >= t::max_diagnostic_line_bytes - 3);  // cut close to the cap, not far below
  CHECK(valid_utf8(line));
  CHECK(line.ends_with("..."));
  CHECK(line.starts_with("onefuzz-telemetry: error: instance: \xe2\x82\xac"));

  r.suppressed = 12345;
  line = t::format_diagnostic(r);
  CHECK(line.size() <= t::max_diagnostic_line_bytes);
  CHECK(valid_utf8(line));
  CHECK(line.ends_with("... (12345 similar suppressed)"));
}

TEST_CASE("sanitize redacts instrumentation keys and tokens", "[diagnostics][sanitize]") {
  SECTION("a GUID anywhere, any case") {
    const std::string text = "Invalid instrumentation key " + std::string(key) + " (was " + std::string(upper_key) +
                             "), glued:x" + std::string(key) + "y";
    const std::string clean = t::sanitize_diagnostic_text(text);
    CHECK(clean == "Invalid instrumentation key <redacted> (was <redacted>), glued:x<redacted>y");
  }
  SECTION("a connection string keeps the endpoint and loses the key") {
    const std::string text = "InstrumentationKey=" + std::string(key) +
                             ";IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";
    CHECK(t::sanitize_diagnostic_text(text) ==
          "InstrumentationKey=<redacted>;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/");
    CHECK(t::sanitize_diagnostic_text("instrumentationkey = not-a-guid-secret; x") ==
          "instrumentationkey = <redacted>; x");
  }
  SECTION("iKey in JSON") {
    CHECK(t::sanitize_diagnostic_text(R"({"iKey":"abc-secret","name":"x"})") == R"({"iKey":"<redacted>","name":"x"})");
  }
  SECTION("bearer tokens and Authorization headers") {
    const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl-_=";
    CHECK(t::sanitize_diagnostic_text("Bearer " + jwt) == "Bearer <redacted>");
    CHECK(t::sanitize_diagnostic_text("got bearer\t" + jwt + " back") == "got bearer <redacted> back");
    CHECK(t::sanitize_diagnostic_text("Authorization: Bearer " + jwt + "\r\nHost: x") ==
          "Authorization: <redacted> Host: x");
    CHECK(t::sanitize_diagnostic_text("authorization=SharedKey acct:c2ln") == "authorization=<redacted>");
    CHECK(t::sanitize_diagnostic_text("https://x.blob/?sv=1&sig=abc%2Fdef&se=2") == "https://x.blob/?sv=1&sig=<redacted>&se=2");
  }
  SECTION("the names alone, without a value, are kept") {
    CHECK(t::sanitize_diagnostic_text("Invalid instrumentation key") == "Invalid instrumentation key");
    CHECK(t::sanitize_diagnostic_text("Authorization failed, bearer") == "Authorization failed, bearer");
    CHECK(t::sanitize_diagnostic_text("signal=9 design:x ikeys=2") == "signal=9 design:x ikeys=2");
    // Any word after "Bearer " is taken for a token: a readable loss, never a leak.
    CHECK(t::sanitize_diagnostic_text("Bearer authentication failed") == "Bearer <redacted> failed");
  }
}

TEST_CASE("sanitize bounds, flattens and repairs", "[diagnostics][sanitize]") {
  SECTION("a 1 MB string is cut to the cap quickly") {
    std::string huge(1024 * 1024, 'a');
    for (std::size_t i = 0; i < huge.size(); i += 1000) huge.replace(i, key.size(), key);
    const auto start = std::chrono::steady_clock::now();
    const std::string clean = t::sanitize_diagnostic_text(huge);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(clean.size() <= t::max_diagnostic_text_bytes);
    CHECK(clean.size() >= t::max_diagnostic_text_bytes - 16);
    CHECK(clean.ends_with("..."));
    CHECK(clean.starts_with("<redacted>aaa"));
    CHECK(clean.find(key.substr(0, 8)) == std::string::npos);
    CHECK(took < 1s);
  }
  SECTION("a 1 MB bearer token is redacted whole") {
    const std::string clean = t::sanitize_diagnostic_text("Bearer " + std::string(1024 * 1024, 'x') + " end");
    CHECK(clean == "Bearer <redacted> end");
  }
  SECTION("a key straddling the cap never shows in part") {
    for (std::size_t offset = 480; offset < 520; ++offset) {
      const std::string text = std::string(offset, 'b') + std::string(key) + std::string(100, 'c');
      const std::string clean = t::sanitize_diagnostic_text(text);
      INFO("offset " << offset);
      CHECK(clean.size() <= t::max_diagnostic_text_bytes);
      CHECK(clean.find("3f25") == std::string::npos);
    }
  }
  SECTION("control characters become single spaces, trailing ones vanish") {
    CHECK(t::sanitize_diagnostic_text("a\r\nb\tc\x1b[0m\x7f" "d\x01\n") == "a b c [0m d");
    CHECK(t::sanitize_diagnostic_text("\n\nlead") == "lead");
  }
  SECTION("ill-formed UTF-8 becomes U+FFFD, valid text is kept") {
    const std::string clean = t::sanitize_diagnostic_text("ok \xc3\xa9 \xff\xfe \xc3 \xed\xa0\x80 \xf0\x9f\x98\x80");
    CHECK(valid_utf8(clean));
    CHECK(clean.starts_with("ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd "));
    CHECK(clean.ends_with(" \xf0\x9f\x98\x80"));
    CHECK(clean.find("\xff") == std::string::npos);
  }
  SECTION("an explicit cap is honoured on a UTF-8 boundary") {
    const std::string clean = t::sanitize_diagnostic_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10);
    CHECK(clean == "\xc3\xa9\xc3\xa9\xc3\xa9...");
  }
  SECTION("sanitizing twice changes nothing") {
    const std::string once = t::sanitize_diagnostic_text("Authorization: Bearer abc\n" + std::string(600, 'z'));
    CHECK(t::sanitize_diagnostic_text(once) == once);
  }
}

TEST_CASE("records below the minimum severity are dropped", "[diagnostics][channel]") {
  collector got;
  manual_clock clock;
  t::diagnostics_channel channel({.handler = got.handler(), .minimum = severity::warning, .rate_limit = 0ms},
                                 clock.function());
  CHECK_FALSE(channel.wants(severity::info));
  CHECK(channel.wants(severity::warning));
  channel.report(record(kind::retry_scheduled, destination::instance, severity::info));
  channel.report(record(kind::retry_scheduled, destination::instance, severity::warning));
  channel.report(record(kind::retry_scheduled, destination::instance, severity::error));
  REQUIRE(got.delivered.size() == 2);
  CHECK(got.delivered[0].severity == severity::warning);
  CHECK(got.delivered[1].severity == severity::error);

  collector errors_only;
  t::diagnostics_channel strict({.handler = errors_only.handler(), .minimum = severity::error}, clock.function());
  strict.report(record(kind::dropped, destination::central, severity::warning));
  strict.report(record(kind::dropped, destination::central, severity::error));
  REQUIRE(errors_only.delivered.size() == 1);
  CHECK(errors_only.delivered[0].suppressed == 0);  // the filtered warning is not "suppressed"
  strict.flush_suppressed();
  CHECK(errors_only.delivered.size() == 1);
}

TEST_CASE("rate limiting delivers one record per kind and destination per window", "[diagnostics][channel]") {
  collector got;
  manual_clock clock;
  t::diagnostics_channel channel({.handler = got.handler(), .rate_limit = 30s}, clock.function());

  channel.report(record(kind::connection_failed, destination::instance, severity::error, "first"));
  clock.now += 1s;
  channel.report(record(kind::connection_failed, destination::instance, severity::error, "second"));
  clock.now += 28s;
  channel.report(record(kind::connection_failed, destination::instance, severity::error, "third"));
  REQUIRE(got.delivered.size() == 1);
  CHECK(got.delivered[0].message == "first");
  CHECK(got.delivered[0].suppressed == 0);

  SECTION("other kinds and destinations have their own windows") {
    channel.report(record(kind::tls_failed, destination::instance));
    channel.report(record(kind::connection_failed, destination::central));
    channel.report(record(kind::connection_failed, destination::none));
    REQUIRE(got.delivered.size() == 4);
    CHECK(got.delivered[1].kind == kind::tls_failed);
    CHECK(got.delivered[2].destination == destination::central);
    CHECK(got.delivered[3].destination == destination::none);
    for (const auto& d : got.delivered) CHECK(d.suppressed == 0);
  }
  SECTION("the next window's record carries the count") {
    clock.now += 1s;  // 30 s after the first delivery
    channel.report(record(kind::connection_failed, destination::instance, severity::error, "fourth"));
    REQUIRE(got.delivered.size() == 2);
    CHECK(got.delivered[1].message == "fourth");
    CHECK(got.delivered[1].suppressed == 2);
    CHECK(t::format_diagnostic(got.delivered[1]).ends_with("fourth (2 similar suppressed)"));
    clock.now += 30s;
    channel.report(record(kind::connection_failed, destination::instance, severity::error, "fifth"));
    REQUIRE(got.delivered.size() == 3);
    CHECK(got.delivered[2].suppressed == 0);  // the count was reset
  }
  SECTION("flush_suppressed delivers the latest suppressed record with the others' count") {
    channel.flush_suppressed();
    REQUIRE(got.delivered.size() == 2);
    CHECK(got.delivered[1].message == "third");
    CHECK(got.delivered[1].suppressed == 1);  // "second"; "third" is delivered itself
    channel.flush_suppressed();
    CHECK(got.delivered.size() == 2);  // nothing left to flush
  }
  SECTION("a zero rate limit delivers everything") {
    collector all;
    t::diagnostics_channel unlimited({.handler = all.handler(), .rate_limit = 0ms}, clock.function());
    for (int i = 0; i < 5; ++i) unlimited.report(record());
    CHECK(all.delivered.size() == 5);
  }
}

TEST_CASE("handlers receive sanitized text", "[diagnostics][channel]") {
  collector got;
  t::diagnostics_channel channel({.handler = got.handler()});
  auto r = record(kind::http_status, destination::instance, severity::error, "HTTP 400 from ingestion\n");
  r.http_status = 400;
  r.detail = "Invalid instrumentation key: " + std::string(key) + "\r\n";
  channel.report(r);
  REQUIRE(got.delivered.size() == 1);
  CHECK(got.delivered[0].message == "HTTP 400 from ingestion");
  CHECK(got.delivered[0].detail == "Invalid instrumentation key: <redacted>");
  CHECK(got.delivered[0].http_status == 400);

  const t::last_failure failure = t::to_last_failure(r, std::chrono::system_clock::time_point{10s});
  CHECK(failure.time == std::chrono::system_clock::time_point{10s});
  CHECK(failure.kind == kind::http_status);
  CHECK(failure.http_status == 400);
  CHECK(failure.transport_code == 0);
  CHECK(failure.detail == "Invalid instrumentation key: <redacted>");
}

TEST_CASE("a throwing handler never reaches the reporter", "[diagnostics][channel]") {
  manual_clock clock;
  int calls = 0;
  t::diagnostics_channel throws_error({.handler = [&](const t::diagnostic&) {
                                         ++calls;
                                         throw std::runtime_error("handler failed");
                                       },
                                       .rate_limit = 10s},
                                      clock.function());
  REQUIRE_NOTHROW(throws_error.report(record()));
  REQUIRE_NOTHROW(throws_error.report(record()));  // suppressed
  REQUIRE_NOTHROW(throws_error.report(record(kind::dropped)));
  REQUIRE_NOTHROW(throws_error.flush_suppressed());
  CHECK(calls == 3);  // the channel kept working after each failure

  t::diagnostics_channel throws_int({.handler = [&](const t::diagnostic&) { throw 42; }});
  REQUIRE_NOTHROW(throws_int.report(record()));
  static_assert(noexcept(throws_int.report(std::declval<t::diagnostic>())));
  static_assert(noexcept(throws_int.flush_suppressed()));
}

TEST_CASE("concurrent reports are each delivered or counted once", "[diagnostics][channel][threads]") {
  std::atomic<std::int64_t> ticks{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> suppressed{0};
  const auto origin = t::diagnostics_channel::clock::time_point{std::chrono::hours{1}};
  t::diagnostics_channel channel(
      {.handler =
           [&](const t::diagnostic& d) {
             delivered.fetch_add(1, std::memory_order_relaxed);
             suppressed.fetch_add(d.suppressed, std::memory_order_relaxed);
           },
       .rate_limit = 50ms},
      [&] { return origin + std::chrono::milliseconds{ticks.fetch_add(1, std::memory_order_relaxed)}; });

  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  const std::array<kind, 2> kinds = {kind::connection_failed, kind::retry_scheduled};
  const std::array<destination, 2> destinations = {destination::instance, destination::central};
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = record(kinds[(i + w) % 2], destinations[(i / 2 + w) % 2]);
        r.detail = "attempt " + std::to_string(i);
        channel.report(std::move(r));
      }
    });
  }
  for (auto& w : workers) w.join();
  const auto before_flush = delivered.load();
  channel.flush_suppressed();

  CHECK(delivered.load() + suppressed.load() == std::uint64_t{threads} * per_thread);
  CHECK(before_flush > 4);           // windows rolled over during the run
  CHECK(suppressed.load() > 1000);  // and most records were suppressed
}

TEST_CASE("the default handler writes one line to stderr", "[diagnostics][stderr]") {
  auto r = record(kind::tls_failed, destination::instance, severity::error, "TLS handshake with localhost:8443 failed");
  r.transport_code = 35;
  r.detail = "error:0A00010B:SSL routines::wrong version number\n";
  const std::string written = capture_stderr([&] {
    t::diagnostics_channel channel;  // empty handler: stderr
    channel.report(r);
    channel.report(r);  // suppressed: nothing written
  });
  CHECK(written ==
        "onefuzz-telemetry: error: instance: TLS handshake with localhost:8443 failed: "
        "error:0A00010B:SSL routines::wrong version number\n");

  SECTION("off() writes nothing") {
    const std::string silent = capture_stderr([&] {
      t::diagnostics_channel channel(t::diagnostics_options::off());
      channel.report(r);
      channel.flush_suppressed();
    });
    CHECK(silent.empty());
  }
  SECTION("the default minimum hides info") {
    const std::string silent = capture_stderr([&] {
      t::diagnostics_channel channel;
      channel.report(record(kind::retry_scheduled, destination::instance, severity::info));
    });
    CHECK(silent.empty());
  }
}

TEST_CASE("libcurl codes map to kinds", "[diagnostics]") {
  CHECK(t::transport_failure_kind(7) == kind::connection_failed);
  CHECK(t::transport_failure_kind(6) == kind::connection_failed);
  CHECK(t::transport_failure_kind(28) == kind::timed_out);
  CHECK(t::transport_failure_kind(35) == kind::tls_failed);
  CHECK(t::transport_failure_kind(60) == kind::tls_failed);
  CHECK(t::transport_failure_kind(42) == kind::configuration);
#ifdef ONEFUZZ_TEST_HAS_CURL
  // The header hard-codes curl.h's values; check them against the real ones.
  CHECK(t::transport_failure_kind(CURLE_COULDNT_RESOLVE_HOST) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_COULDNT_RESOLVE_PROXY) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_COULDNT_CONNECT) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_SEND_ERROR) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_RECV_ERROR) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_GOT_NOTHING) == kind::connection_failed);
  CHECK(t::transport_failure_kind(CURLE_OPERATION_TIMEDOUT) == kind::timed_out);
  for (const CURLcode tls : {CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
                             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION,
                             CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE,
                             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
                             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT}) {
    INFO("CURLcode " << static_cast<int>(tls));
    CHECK(t::transport_failure_kind(tls) == kind::tls_failed);
  }
  for (const CURLcode config : {CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_ABORTED_BY_CALLBACK,
                                CURLE_TOO_MANY_REDIRECTS}) {
    CHECK(t::transport_failure_kind(config) == kind::configuration);
  }
#endif
}

}  // namespace diagnostics_test
