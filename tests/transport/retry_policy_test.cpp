// Response classification, per-item retriable codes, Retry-After parsing and the jittered backoff.
#include <onefuzz/telemetry/transport/retry_policy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace retry_policy_test {

namespace t = onefuzz::telemetry::transport;
using namespace std::chrono_literals;
using rc = t::response_class;

TEST_CASE("every status code in retry_policy.hpp's table has its class", "[retry_policy]") {
  struct row {
    int status;
    bool body_parsed;
    bool bearer;
    rc expected;
  };
  const std::vector<row> rows = {
      {200, true, false, rc::success},          {200, false, false, rc::success},
      {201, false, false, rc::success},         {204, false, false, rc::success},
      {206, true, false, rc::partial},          {206, false, false, rc::drop},
      {307, false, false, rc::redirect},        {308, false, false, rc::redirect},
      {301, false, false, rc::drop},            {302, false, false, rc::drop},
      {400, true, false, rc::drop},             {400, false, false, rc::drop},
      {401, false, false, rc::drop},            {401, false, true, rc::retry},
      {403, false, false, rc::drop},            {403, false, true, rc::retry},
      {402, true, false, rc::throttled_quota},  {439, true, false, rc::throttled_quota},
      {439, false, true, rc::throttled_quota},  {404, false, false, rc::drop},
      {408, false, false, rc::retry},           {429, false, false, rc::retry},
      {429, true, false, rc::retry},            {500, false, false, rc::retry},
      {500, true, false, rc::partial},          {502, false, false, rc::retry},
      {503, false, false, rc::retry},           {503, true, false, rc::retry},
      {504, false, false, rc::retry},           {501, false, false, rc::drop},
      {505, false, false, rc::drop},            {100, false, false, rc::drop},
      {0, false, false, rc::drop},              {-1, false, false, rc::drop},
      {999, false, false, rc::drop},            {299, false, false, rc::success},
  };
  for (const auto& r : rows) {
    INFO("status " << r.status << " body_parsed " << r.body_parsed << " bearer " << r.bearer);
    CHECK(std::string(t::to_string(t::classify_response(r.status, r.body_parsed, r.bearer))) ==
          std::string(t::to_string(r.expected)));
  }
  static_assert(t::classify_response(200, false) == rc::success, "usable at compile time");
}

TEST_CASE("per-item status codes: which are resent, which are sampled out", "[retry_policy]") {
  struct row {
    int status;
    bool retriable;
    bool sampled_out;
    bool quota;
  };
  const std::vector<row> rows = {
      {200, false, false, false}, {206, false, true, false}, {400, false, false, false},
      {402, false, false, true},  {408, true, false, false},  {429, true, false, false},
      {439, false, false, true},  {500, true, false, false},  {502, false, false, false},
      {503, true, false, false},  {504, false, false, false}, {0, false, false, false},
  };
  for (const auto& r : rows) {
    INFO("statusCode " << r.status);
    CHECK(t::is_retriable_item_status(r.status) == r.retriable);
    CHECK(t::is_sampled_out_item_status(r.status) == r.sampled_out);
    CHECK(t::is_quota_status(r.status) == r.quota);
  }
}

TEST_CASE("Retry-After: delta-seconds and HTTP-dates", "[retry_policy]") {
  // 2024-05-01 (a Wednesday) 12:00:00.300 UTC: the fraction checks that waits round up.
  const auto now = std::chrono::sys_days{std::chrono::year{2024} / std::chrono::May / 1} + 12h + 300ms;
  struct row {
    std::string value;
    std::optional<std::int64_t> seconds;
  };
  const std::vector<row> rows = {
      {"0", 0},
      {"5", 5},
      {"007", 7},
      {" 120 ", 120},
      {"\t7\t", 7},
      {"3600", 3600},
      {"3601", 3600},                           // clamped to the 1 h default
      {"99999999999999999999999999999", 3600},  // clamped, not wrapped
      {"18446744073709551617", 3600},           // 2^64 + 1
      {"9223372036854775808", 3600},            // 2^63
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"+5", std::nullopt},
      {"-5", std::nullopt},
      {"5x", std::nullopt},
      {"5 5", std::nullopt},
      {"5.0", std::nullopt},
      {"0x10", std::nullopt},
      {"1e3", std::nullopt},
      {"abc", std::nullopt},
      {std::string("5\0", 2), std::nullopt},
      // IMF-fixdate
      {"Wed, 01 May 2024 12:01:00 GMT", 60},  // 59.7 s rounds up
      {"Wed, 01 May 2024 12:00:00 GMT", 0},   // just past
      {"Wed, 01 May 2024 11:00:00 GMT", 0},   // past: retry now (the backoff floor still applies)
      {"Mon, 01 Jan 1990 00:00:00 GMT", 0},
      {"Wed, 01 May 2024 14:00:00 GMT", 3600},  // clamped
      {"Fri, 31 Dec 9999 23:59:59 GMT", 3600},  // far future, no overflow
      {"Wed, 01 May 2024 12:00:60 GMT", 60},    // a leap second is legal
      {"Thu, 01 May 2024 12:01:00 GMT", 60},    // the weekday is not cross-checked
      {" Wed, 01 May 2024 12:01:00 GMT ", 60},
      {"Wed, 01 May 2024 24:00:00 GMT", std::nullopt},
      {"Wed, 01 May 2024 12:60:00 GMT", std::nullopt},
      {"Wed, 01 May 1500 12:00:00 GMT", std::nullopt},  // curl_getdate refuses years before 1583
      {"Wed, 01 May 2024 12:00:00 GMT\x01", std::nullopt},
      {std::string("Wed, 01 May 2024 12:01:00 GMT\0junk", 34), std::nullopt},
      {"3 May 2024", std::nullopt},  // a date starts with a day name
      {"soon", std::nullopt},
      // libcurl's curl_getdate (the parser behind CURLINFO_RETRY_AFTER) is lenient beyond
      // RFC 9110; these document what it reads, so that both paths agree.
      {"Wed, 31 Feb 2024 12:00:00 GMT", 0},     // rolls over to 2 March: past
      {"Wed, 01 May 2024 12:01:00 UTC", 60},    // other zone names
      {"wed, 01 may 2024 12:01:00 GMT", 60},    // any case
      {"Wed, 1 May 2024 12:01:00 GMT", 60},     // one-digit day
      {"Wed 01 May 2024 12:01:00 GMT", 60},     // no comma
      {"Wed, 01 May 2024 12:01:00", 60},        // no zone: GMT
      {"Wed, 01 May 24 12:00:00 GMT", 0},       // two-digit year 24 is 2024
      // RFC 850 (obsolete)
      {"Wednesday, 01-May-24 12:00:30 GMT", 30},
      {"Wednesday, 01-May-94 12:00:30 GMT", 0},
      {"Wed, 01-May-24 12:00:30 GMT", 30},
      {"Wednesday, 01-May-2024 12:00:30 GMT", 30},
      // asctime (obsolete)
      {"Wed May  1 12:00:10 2024", 10},
      {"Wed May 01 12:00:10 2024", 10},
      {"Wed May 1 12:00:10 2024", 10},
  };
  for (const auto& r : rows) {
    INFO("Retry-After: '" << r.value << "'");
    const auto got = t::parse_retry_after(r.value, now);
    REQUIRE(got.has_value() == r.seconds.has_value());
    if (got) CHECK(got->count() == *r.seconds);
  }
}

TEST_CASE("Retry-After: a caller's maximum", "[retry_policy]") {
  const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours{24 * 365 * 50};
  CHECK(t::parse_retry_after("100", now, 30s)->count() == 30);
  CHECK(t::parse_retry_after("29", now, 30s)->count() == 29);
  CHECK(t::parse_retry_after("1", now, 0s)->count() == 0);
  CHECK(t::parse_retry_after("5", now, -10s)->count() == 0);
  CHECK(t::parse_retry_after("99999999999999999999", now, std::chrono::seconds::max())->count() ==
        std::chrono::seconds::max().count());
  CHECK(t::parse_retry_after("9223372036854775807", now, std::chrono::seconds::max())->count() ==
        std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("Retry-After from libcurl: a positive reading wins, 0 is settled by the text", "[retry_policy]") {
  const auto now = std::chrono::sys_days{std::chrono::year{2024} / std::chrono::May / 1} + 12h;
  CHECK(t::retry_after_from_curl(5, "5", now) == 5s);
  CHECK(t::retry_after_from_curl(5, "5x", now) == 5s);  // libcurl reads a leading number
  CHECK(t::retry_after_from_curl(7200, "7200", now) == 3600s);  // clamped to max_retry_after
  CHECK(t::retry_after_from_curl(std::numeric_limits<std::int64_t>::max(), "", now) == 3600s);
  CHECK(t::retry_after_from_curl(100, "100", now, 30s) == 30s);
  CHECK(t::retry_after_from_curl(100, "100", now, -1s) == 0s);
  // libcurl's 0: "retry now", a past date, garbage, and numbers past curl_off_t look alike.
  CHECK(t::retry_after_from_curl(0, "0", now) == 0s);
  CHECK(t::retry_after_from_curl(0, "Wed, 01 May 2024 11:00:00 GMT", now) == 0s);
  CHECK(t::retry_after_from_curl(-3600, "Wed, 01 May 2024 11:00:00 GMT", now) == 0s);
  CHECK(t::retry_after_from_curl(0, "99999999999999999999", now) == 3600s);
  CHECK_FALSE(t::retry_after_from_curl(0, "soon", now));
  CHECK_FALSE(t::retry_after_from_curl(0, "", now));
}

namespace {

t::backoff_options small_options() {
  t::backoff_options o;
  o.min_delay = 100ms;
  o.initial_delay = 200ms;
  o.max_delay = 5000ms;
  o.multiplier = 2.0;
  return o;
}

t::backoff::random_source seeded(std::uint64_t seed) {
  return [engine = std::mt19937_64{seed}]() mutable { return engine(); };
}

}  // namespace

TEST_CASE("backoff ceilings grow by the multiplier up to the maximum", "[retry_policy][backoff]") {
  const t::backoff b(small_options(), seeded(1));
  const std::vector<std::int64_t> expected = {200, 400, 800, 1600, 3200, 5000, 5000, 5000};
  for (unsigned n = 0; n < expected.size(); ++n) {
    INFO("attempt " << n);
    CHECK(b.ceiling(n).count() == expected[n]);
  }
  CHECK(b.ceiling(1000).count() == 5000);
  CHECK(b.ceiling(std::numeric_limits<unsigned>::max()).count() == 5000);
}

TEST_CASE("backoff draws stay within [min, ceiling] and use the whole range", "[retry_policy][backoff]") {
  t::backoff b(small_options(), seeded(42));
  for (unsigned attempt = 0; attempt < 12; ++attempt) {
    const auto top = b.ceiling(attempt);
    const auto d = b.next_delay();
    INFO("attempt " << attempt << " delay " << d.count() << " ceiling " << top.count());
    CHECK(d >= 100ms);
    CHECK(d <= top);
    CHECK(b.attempts() == attempt + 1);
  }

  // Full jitter at one attempt: with a fixed seed, 4000 draws from [100, 1600] ms have a mean near
  // the middle and reach close to both ends (deterministic, so not flaky).
  t::backoff at3(small_options(), seeded(7));
  double sum = 0;
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = 0;
  for (int i = 0; i < 4000; ++i) {
    at3.reset();
    for (int k = 0; k < 3; ++k) (void)at3.next_delay();
    const auto d = at3.next_delay().count();
    sum += static_cast<double>(d);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(std::abs(sum / 4000 - 850.0) < 40.0);
  CHECK(lo < 110);
  CHECK(hi > 1590);
  CHECK(hi <= 1600);
}

TEST_CASE("backoff is deterministic for a seed and starts over after reset", "[retry_policy][backoff]") {
  t::backoff a(small_options(), seeded(99));
  t::backoff b(small_options(), seeded(99));
  for (int i = 0; i < 10; ++i) CHECK(a.next_delay() == b.next_delay());

  t::backoff lowest(small_options(), [] { return std::uint64_t{0}; });
  for (int i = 0; i < 5; ++i) CHECK(lowest.next_delay() == 100ms);
  // A source that always returns (ceiling - min) draws the ceiling itself.
  std::uint64_t next = 0;
  t::backoff highest(small_options(), [&next] { return next; });
  for (unsigned n = 0; n < 8; ++n) {
    next = static_cast<std::uint64_t>(highest.ceiling(n).count() - 100);
    CHECK(highest.next_delay() == highest.ceiling(n));
  }
  highest.reset();
  CHECK(highest.attempts() == 0);
  next = 100;
  CHECK(highest.next_delay() == 200ms);
}

TEST_CASE("Retry-After wins over the backoff but is clamped to [min, max]", "[retry_policy][backoff]") {
  t::backoff b(small_options(), [] { return std::uint64_t{0}; });
  CHECK(b.next_delay(2s) == 2000ms);
  CHECK(b.next_delay(0s) == 100ms);
  CHECK(b.next_delay(30s) == 5000ms);
  CHECK(b.next_delay(-5s) == 100ms);
  CHECK(b.attempts() == 4);  // server-directed waits still count, so the backoff keeps growing
  CHECK(b.next_delay(std::nullopt) == 100ms);

  const auto now = std::chrono::system_clock::now();
  CHECK(b.next_delay(t::parse_retry_after("3", now)) == 3000ms);
  CHECK(b.next_delay(t::parse_retry_after("7", now)) == 5000ms);
  CHECK(b.next_delay(t::parse_retry_after("garbage", now)) == 100ms);  // falls back to the draw
}

TEST_CASE("backoff options are normalised, never trusted", "[retry_policy][backoff]") {
  t::backoff_options o;
  o.min_delay = -5ms;
  o.initial_delay = -1ms;
  o.max_delay = -10ms;
  o.multiplier = std::nan("");
  const t::backoff b(o, [] { return std::uint64_t{12345}; });
  CHECK(b.options().min_delay == 0ms);
  CHECK(b.options().max_delay == 0ms);
  CHECK(b.options().multiplier == 1.0);
  CHECK(b.ceiling(10) == 0ms);

  t::backoff_options inverted = small_options();
  inverted.max_delay = 50ms;  // below min_delay: raised to it
  inverted.multiplier = 0.5;
  t::backoff c(inverted, seeded(3));
  CHECK(c.options().max_delay == 100ms);
  CHECK(c.options().multiplier == 1.0);
  for (int i = 0; i < 5; ++i) CHECK(c.next_delay() == 100ms);

  t::backoff_options huge;
  huge.min_delay = 0ms;
  huge.initial_delay = std::chrono::milliseconds::max();
  huge.max_delay = std::chrono::milliseconds::max();
  huge.multiplier = std::numeric_limits<double>::infinity();
  t::backoff d(huge, [] { return std::numeric_limits<std::uint64_t>::max(); });
  for (int i = 0; i < 3; ++i) {
    const auto delay = d.next_delay();
    CHECK(delay >= 0ms);
    CHECK(delay <= std::chrono::milliseconds::max());
  }
}

TEST_CASE("a default backoff uses its own random source", "[retry_policy][backoff]") {
  t::backoff b;
  for (int i = 0; i < 20; ++i) {
    const auto top = b.ceiling(b.attempts());
    const auto d = b.next_delay();
    CHECK(d >= b.options().min_delay);
    CHECK(d <= top);
  }
  CHECK(b.ceiling(100) == std::chrono::minutes{5});
}

}  // namespace retry_policy_test
