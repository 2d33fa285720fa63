// Response bodies, friendly and hostile, and the choice of items to resend with index remapping.
#include <onefuzz/telemetry/transport/ingestion_response.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace ingestion_response_test {

namespace t = onefuzz::telemetry::transport;

namespace {

t::ingestion_response parse_ok(const std::string& body, const t::response_limits& limits = {}) {
  const auto parsed = t::parse_ingestion_response(body, limits);
  INFO("body: " << body.substr(0, 200));
  if (!parsed) FAIL("unexpected error: " << parsed.error().message);
  return *parsed;
}

std::string error(const std::string& body, const t::response_limits& limits = {}) {
  const auto parsed = t::parse_ingestion_response(body, limits);
  INFO("body: " << body.substr(0, 200));
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error().message;
}

// A body with `count` errors of one status code, indexes 0 to count - 1. Built by appending
// each piece in place: a `const char* + std::string` here makes g++ 12 at -O2/-O3 report a
// false -Wrestrict inside std::string.
std::string errors_body(int count, int status_code) {
  std::string body = R"({"itemsReceived":)";
  body += std::to_string(count);
  body += R"(,"itemsAccepted":0,"errors":[)";
  for (int i = 0; i < count; ++i) {
    if (i > 0) body += ',';
    body += R"({"index":)";
    body += std::to_string(i);
    body += R"(,"statusCode":)";
    body += std::to_string(status_code);
    body += '}';
  }
  body += "]}";
  return body;
}

t::ingestion_response response(std::uint64_t received, std::uint64_t accepted, std::vector<t::item_error> errors) {
  return t::ingestion_response{received, accepted, std::move(errors)};
}

}  // namespace

TEST_CASE("a well-formed body", "[ingestion_response]") {
  const auto r = parse_ok(R"({"itemsReceived": 10, "itemsAccepted": 6, "appId": null, "errors": [
      {"index": 7, "statusCode": 408, "message": "timeout"},
      {"index": 2, "statusCode": 400, "message": "103: Field 'time' on type 'Envelope' is older than the allowed min date."},
      {"index": 9, "statusCode": 206, "message": "Telemetry sampled out."},
      {"index": 8, "statusCode": 500}]})");
  CHECK(r.items_received == 10);
  CHECK(r.items_accepted == 6);
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0] == t::item_error{7, 408, "timeout"});
  CHECK(r.errors[1].index == 2);
  CHECK(r.errors[1].message.rfind("103: Field 'time'", 0) == 0);
  CHECK(r.errors[3] == t::item_error{8, 500, ""});
}

TEST_CASE("optional parts of the body", "[ingestion_response]") {
  CHECK(parse_ok(R"({"itemsReceived":3,"itemsAccepted":3})").errors.empty());
  CHECK(parse_ok(R"({"itemsReceived":3,"itemsAccepted":3,"errors":null})").errors.empty());
  CHECK(parse_ok(R"({"itemsReceived":3,"itemsAccepted":3,"errors":[]})").errors.empty());
  CHECK(parse_ok(" \r\n{\"itemsReceived\":0,\"itemsAccepted\":0}\n").items_received == 0);
  const auto r = parse_ok(R"({"itemsReceived":3,"itemsAccepted":2,"errors":[{"index":1,"statusCode":500,"message":42}]})");
  CHECK(r.errors.at(0).message.empty());
  CHECK(parse_ok(R"({"itemsReceived":18446744073709551615,"itemsAccepted":0})").items_received ==
        std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("messages are bounded and cannot forge log lines", "[ingestion_response]") {
  const auto r = parse_ok(R"({"itemsReceived":1,"itemsAccepted":0,"errors":[{"index":0,"statusCode":400,"message":"a\nb\r\tc\u0000d\u007f"}]})");
  CHECK(r.errors.at(0).message == std::string("a b  c d ", 9));

  // 'a' then 300 two-byte characters: byte 512 is a continuation byte, so the cut steps back to 511.
  std::string long_message = "a";
  for (int i = 0; i < 300; ++i) long_message += "\xc3\xa9";
  const auto cut = parse_ok(R"({"itemsReceived":1,"itemsAccepted":0,"errors":[{"index":0,"statusCode":400,"message":")" +
                            long_message + "\"}]}");
  CHECK(cut.errors.at(0).message.size() == 511);
  CHECK(cut.errors.at(0).message == long_message.substr(0, 511));
}

TEST_CASE("hostile bodies give clear errors, never a crash", "[ingestion_response]") {
  const std::string p = "parse_ingestion_response: ";
  struct row {
    std::string body;
    std::string error;
  };
  const std::string counts = R"("itemsReceived":2,"itemsAccepted":1,)";
  const std::vector<row> rows = {
      {"", p + "the body is empty"},
      {" \n\t", p + "the body is empty"},
      {"[1,2]", p + "the body is not a JSON object"},
      {"null", p + "the body is not a JSON object"},
      {R"("itemsReceived")", p + "the body is not a JSON object"},
      {"{}", p + "the body has no 'itemsReceived'"},
      {R"({"itemsReceived":1})", p + "the body has no 'itemsAccepted'"},
      {R"({"itemsReceived":"10","itemsAccepted":1})", p + "'itemsReceived' is not a non-negative integer"},
      {R"({"itemsReceived":-1,"itemsAccepted":1})", p + "'itemsReceived' is not a non-negative integer"},
      {R"({"itemsReceived":10.0,"itemsAccepted":1})", p + "'itemsReceived' is not a non-negative integer"},
      {R"({"itemsReceived":18446744073709551616,"itemsAccepted":1})", p + "'itemsReceived' is not a non-negative integer"},
      {R"({"itemsReceived":1e99999,"itemsAccepted":1})", p + "'itemsReceived' is not a non-negative integer"},
      {R"({"itemsReceived":1,"itemsAccepted":true})", p + "'itemsAccepted' is not a non-negative integer"},
      {R"({"itemsReceived":1,"itemsAccepted":null})", p + "'itemsAccepted' is not a non-negative integer"},
      {"{" + counts + R"("errors":{}})", p + "'errors' is not an array"},
      {"{" + counts + R"("errors":"none"})", p + "'errors' is not an array"},
      {"{" + counts + R"("errors":[1]})", p + "errors[0] is not an object"},
      {"{" + counts + R"("errors":[{"index":0,"statusCode":500},[]]})", p + "errors[1] is not an object"},
      {"{" + counts + R"("errors":[{"statusCode":500}]})", p + "errors[0].index is missing or not an integer"},
      {"{" + counts + R"("errors":[{"index":"7","statusCode":500}]})", p + "errors[0].index is missing or not an integer"},
      {"{" + counts + R"("errors":[{"index":7.5,"statusCode":500}]})", p + "errors[0].index is missing or not an integer"},
      {"{" + counts + R"("errors":[{"index":null,"statusCode":500}]})", p + "errors[0].index is missing or not an integer"},
      {"{" + counts + R"("errors":[{"index":1}]})", p + "errors[0].statusCode is missing or not an integer in [0, 999]"},
      {"{" + counts + R"("errors":[{"index":1,"statusCode":1000}]})", p + "errors[0].statusCode is missing or not an integer in [0, 999]"},
      {"{" + counts + R"("errors":[{"index":1,"statusCode":-1}]})", p + "errors[0].statusCode is missing or not an integer in [0, 999]"},
      {"{" + counts + R"("errors":[{"index":1,"statusCode":"500"}]})", p + "errors[0].statusCode is missing or not an integer in [0, 999]"},
      {"{" + counts + R"("errors":[{"index":1,"statusCode":500.0}]})", p + "errors[0].statusCode is missing or not an integer in [0, 999]"},
  };
  for (const auto& r : rows) CHECK(error(r.body) == r.error);

  const std::vector<std::string> not_json = {
      "garbage", "{", R"({"itemsReceived":1,})",
      "{\"a\":\"\xff\xfe\"}", std::string("{\"a\":1}\0", 8), "{} {}", "<html>Service Unavailable</html>",
  };
  for (const auto& body : not_json) {
    INFO("body: " << body);
    CHECK(error(body).rfind(p + "the body is not valid JSON (", 0) == 0);
  }
}

TEST_CASE("size, depth and count limits", "[ingestion_response]") {
  t::response_limits small;
  small.max_body_bytes = 64;
  CHECK(error(std::string(65, ' '), small) == "parse_ingestion_response: the body is larger than 64 bytes");
  CHECK(error(std::string(4 * 1024 * 1024 + 1, ' ')) ==
        "parse_ingestion_response: the body is larger than 4194304 bytes");

  // Deep nesting, at the top and hidden in an ignored field.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(error(deep).rfind("parse_ingestion_response: the body is not valid JSON (", 0) == 0);
  CHECK(error(R"({"itemsReceived":1,"itemsAccepted":1,"x":)" + deep + "}")
            .rfind("parse_ingestion_response: the body is not valid JSON (", 0) == 0);

  t::response_limits few;
  few.max_errors = 3;
  const std::string body = errors_body(4, 500);
  REQUIRE(body == R"({"itemsReceived":4,"itemsAccepted":0,"errors":[{"index":0,"statusCode":500},)"
                  R"({"index":1,"statusCode":500},{"index":2,"statusCode":500},{"index":3,"statusCode":500}]})");
  CHECK(error(body, few) == "parse_ingestion_response: 'errors' has more than 3 entries");
  CHECK(parse_ok(body).errors.size() == 4);

  // A big but legal body: 64,000 errors.
  const std::string big = errors_body(64000, 503);
  const auto plan = t::select_resend(64000, parse_ok(big));
  CHECK(plan.resend.size() == 64000);
  CHECK(plan.counts_match);
}

TEST_CASE("odd indexes are kept by the parser and ignored by select_resend", "[ingestion_response]") {
  const auto r = parse_ok(R"({"itemsReceived":3,"itemsAccepted":1,"itemsAccepted":1,"errors":[
      {"index":-1,"statusCode":500},
      {"index":9223372036854775808,"statusCode":500},
      {"index":3,"statusCode":500},
      {"index":1,"statusCode":500},
      {"index":1,"statusCode":400},
      {"index":0,"statusCode":400,"message":"bad"}]})");
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].index == -1);
  CHECK(r.errors[1].index == std::numeric_limits<std::int64_t>::max());
  const auto plan = t::select_resend(3, r);
  CHECK(plan.resend == std::vector<std::size_t>{1});
  CHECK(plan.rejected == std::vector<t::rejected_item>{{0, 400, "bad"}});
  CHECK(plan.ignored_errors == 4);
  CHECK(plan.accepted == 1);
  CHECK_FALSE(plan.counts_match);
}

TEST_CASE("select_resend splits a batch by per-item code", "[ingestion_response]") {
  SECTION("retriable, rejected and accepted; errors out of order") {
    const auto plan = t::select_resend(
        10, response(10, 5, {{9, 500, ""}, {2, 400, "103: too old"}, {7, 408, ""}, {8, 429, ""}, {4, 439, "quota"}}));
    CHECK(plan.resend == std::vector<std::size_t>{7, 8, 9});
    CHECK(plan.rejected == std::vector<t::rejected_item>{{2, 400, "103: too old"}, {4, 439, "quota"}});
    CHECK(plan.accepted == 5);
    CHECK(plan.sampled_out == 0);
    CHECK(plan.ignored_errors == 0);
    CHECK(plan.counts_match);
  }
  SECTION("sampled out counts as accepted by sampling, whichever way the counters read it") {
    const std::vector<t::item_error> errors = {{3, 206, "Telemetry sampled out."}, {5, 503, ""}};
    for (const std::uint64_t accepted : {8u, 9u}) {
      const auto plan = t::select_resend(10, response(10, accepted, errors));
      CHECK(plan.resend == std::vector<std::size_t>{5});
      CHECK(plan.rejected.empty());
      CHECK(plan.sampled_out == 1);
      CHECK(plan.accepted == 8);
      CHECK(plan.counts_match);
    }
  }
  SECTION("itemsReceived == itemsAccepted is success whatever errors[] says") {
    const auto plan = t::select_resend(10, response(10, 10, {{1, 500, ""}, {2, 206, ""}}));
    CHECK(plan.resend.empty());
    CHECK(plan.rejected.empty());
    CHECK(plan.sampled_out == 1);
    CHECK(plan.accepted == 9);
    CHECK_FALSE(plan.counts_match);  // the contradiction is reported
    const auto clean = t::select_resend(10, response(10, 10, {}));
    CHECK(clean.accepted == 10);
    CHECK(clean.counts_match);
  }
  SECTION("counters that disagree with the batch are reported") {
    CHECK_FALSE(t::select_resend(10, response(9, 9, {})).counts_match);
    CHECK_FALSE(t::select_resend(10, response(10, 0, {})).counts_match);  // e.g. a 500 listing no item
    CHECK_FALSE(t::select_resend(10, response(10, 7, {{1, 500, ""}})).counts_match);
  }
  SECTION("an empty batch") {
    const auto plan = t::select_resend(0, response(0, 0, {{0, 500, ""}}));
    CHECK(plan.resend.empty());
    CHECK(plan.accepted == 0);
    CHECK(plan.ignored_errors == 1);
  }
}

TEST_CASE("resending remaps indices: 10 items, then [7,8,9], then [9]", "[ingestion_response]") {
  std::vector<std::string> batch;
  for (int i = 0; i < 10; ++i) batch.push_back("item" + std::to_string(i));
  auto origin = t::identity_indices(batch.size());

  // First response: 7, 8, 9 are retriable; 1 is rejected; the rest accepted.
  const auto first = t::select_resend(batch.size(), parse_ok(R"({"itemsReceived":10,"itemsAccepted":6,"errors":[
      {"index":7,"statusCode":408},{"index":8,"statusCode":429},{"index":9,"statusCode":503},
      {"index":1,"statusCode":400,"message":"bad"}]})"));
  REQUIRE(first.resend == std::vector<std::size_t>{7, 8, 9});
  REQUIRE(first.counts_match);
  const auto second_batch = t::take_indices(batch, first.resend);
  origin = t::compose_indices(origin, first.resend);
  CHECK(second_batch == std::vector<std::string>{"item7", "item8", "item9"});
  CHECK(origin == std::vector<std::size_t>{7, 8, 9});

  // Second response indexes the 3-item batch: its index 2 is the original item 9.
  const auto second = t::select_resend(second_batch.size(), parse_ok(R"({"itemsReceived":3,"itemsAccepted":1,"errors":[
      {"index":2,"statusCode":500},{"index":0,"statusCode":400,"message":"still bad"}]})"));
  REQUIRE(second.resend == std::vector<std::size_t>{2});
  CHECK(second.rejected.at(0).index == 0);
  CHECK(origin.at(second.rejected.at(0).index) == 7);  // the rejection maps back to the original item 7
  const auto third_batch = t::take_indices(second_batch, second.resend);
  origin = t::compose_indices(origin, second.resend);
  CHECK(third_batch == std::vector<std::string>{"item9"});
  CHECK(origin == std::vector<std::size_t>{9});
  CHECK(t::take_indices(batch, origin) == third_batch);
}

TEST_CASE("remapping helpers refuse indexes outside the batch", "[ingestion_response]") {
  const std::vector<int> items = {1, 2, 3};
  const std::vector<std::size_t> bad = {3};
  CHECK_THROWS_AS(t::take_indices(items, bad), std::out_of_range);
  CHECK_THROWS_AS(t::compose_indices(t::identity_indices(3), bad), std::out_of_range);
  CHECK(t::identity_indices(0).empty());
}

TEST_CASE("an unreadable 206 is dropped, an unreadable 500 is retried", "[ingestion_response]") {
  const auto body = t::parse_ingestion_response("<html>oops</html>");
  CHECK(t::classify_response(206, body.has_value()) == t::response_class::drop);
  CHECK(t::classify_response(500, body.has_value()) == t::response_class::retry);
  const auto good = t::parse_ingestion_response(R"({"itemsReceived":1,"itemsAccepted":0,"errors":[{"index":0,"statusCode":503}]})");
  CHECK(t::classify_response(206, good.has_value()) == t::response_class::partial);
  CHECK(t::classify_response(500, good.has_value()) == t::response_class::partial);
}

}  // namespace ingestion_response_test
