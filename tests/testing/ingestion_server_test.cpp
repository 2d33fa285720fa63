// The loopback ingestion server against real libcurl over real loopback sockets: what it
// accepts, how it rejects, how it stores, and every scripted fault.
#include "ingestion_fixtures.hpp"

#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using onefuzz::telemetry::testing::fault;
using onefuzz::telemetry::testing::ingestion_server;
using onefuzz::telemetry::testing::ingestion_server_options;
using onefuzz::telemetry::transport::http_client;
using onefuzz::telemetry::transport::http_response;
namespace json = boost::json;

namespace {

// Checks the answer has the service's shape and returns it parsed.
json::object answer_body(http_response const& r) {
  INFO("status " << r.status << " error '" << r.error << "' body " << r.body);
  REQUIRE(r.status != 0);
  auto body = fixtures::parse_object(r.body);
  REQUIRE(body.contains("itemsReceived"));
  REQUIRE(body.contains("itemsAccepted"));
  REQUIRE(body.at("errors").is_array());
  return body;
}

std::int64_t received(json::object const& b) { return b.at("itemsReceived").to_number<std::int64_t>(); }
std::int64_t accepted(json::object const& b) { return b.at("itemsAccepted").to_number<std::int64_t>(); }
json::array const& errors(json::object const& b) { return b.at("errors").as_array(); }

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("onefuzz-ingest-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("a valid JSON array batch is accepted and stored as sent", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  std::vector<json::object> const items{fixtures::event("a"), fixtures::event("b"), fixtures::metric()};

  auto const r = client.post(server.track_url(), fixtures::json_array(items));

  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json; charset=utf-8");
  auto const body = answer_body(r);
  CHECK(received(body) == 3);
  CHECK(accepted(body) == 3);
  CHECK(errors(body).empty());
  CHECK(server.accepted(fixtures::ikey) == items);
  CHECK(server.accepted_count(fixtures::ikey) == 3);
  // Keys are case-insensitive, as the service treats them.
  CHECK(server.accepted_count("11111111-2222-3333-4444-555555555555") == 3);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].method == "POST");
  CHECK(log[0].target == "/v2.1/track");
  CHECK(log[0].status == 200);
  CHECK(log[0].items_received == 3);
  CHECK(log[0].items_accepted == 3);
  CHECK(fixtures::parse_object(log[0].response_body) == body);
}

TEST_CASE("an NDJSON body with CRLF separators is accepted", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  std::vector<json::object> const items{fixtures::event("a"), fixtures::event("b"), fixtures::event("c")};
  // .NET on Windows joins with Environment.NewLine and may end with one.
  std::string const body = fixtures::ndjson(items, "\r\n") + "\r\n";

  auto const r = client.post(server.endpoint() + "/v2/track", body, {.content_type = "application/x-json-stream"});

  CHECK(r.status == 200);
  auto const b = answer_body(r);
  CHECK(received(b) == 3);
  CHECK(accepted(b) == 3);
  CHECK(server.accepted(fixtures::ikey) == items);
  CHECK(server.requests().at(0).content_type == "application/x-json-stream");
}

TEST_CASE("a gzip body is inflated before validation", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  std::vector<json::object> items;
  for (int i = 0; i < 50; ++i) items.push_back(fixtures::event(fixtures::numbered("e", i)));
  std::string const plain = fixtures::ndjson(items);

  auto const r = client.post(server.track_url(), plain, {.content_type = "application/x-json-stream", .gzip = true});

  CHECK(r.status == 200);
  CHECK(accepted(answer_body(r)) == 50);
  CHECK(server.accepted(fixtures::ikey) == items);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].content_encoding == "gzip");
  CHECK(log[0].body_bytes < plain.size() / 4);  // it really travelled compressed
}

TEST_CASE("//v2.1/track (Python's double slash) and /v2/track are ingestion paths", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  for (std::string const path : {"//v2.1/track", "/v2/track", "/v2.1/track"}) {
    INFO(path);
    auto const r = client.post(server.endpoint() + path, fixtures::json_array({fixtures::event()}));
    CHECK(r.status == 200);
    CHECK(server.requests().back().target == path);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 3);
}

TEST_CASE("each validation rule rejects exactly the offending item with 400", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto const now = std::chrono::system_clock::now();

  struct rule_case {
    char const* name;
    std::function<void(json::object&)> break_it;
    char const* message;
  };
  auto base = [](json::object& e) -> json::object& { return e["data"].as_object()["baseData"].as_object(); };
  std::vector<rule_case> const cases{
      {"time older than 48 h", [&](json::object& e) { e["time"] = fixtures::iso_utc(now - 49h); },
       "103: Field 'time' on type 'Envelope' is older than the allowed min date"},
      {"time more than 2 h ahead", [&](json::object& e) { e["time"] = fixtures::iso_utc(now + 3h); },
       "Field 'time' on type 'Envelope' is newer than the allowed max date"},
      {"time without a zone", [](json::object& e) { e["time"] = "2024-05-01T12:34:56.789"; },
       "Field 'time' on type 'Envelope' is not a valid ISO 8601"},
      {"time missing", [](json::object& e) { e.erase("time"); }, "Field 'time' on type 'Envelope' is required"},
      {"envelope name missing", [](json::object& e) { e.erase("name"); },
       "109: Field 'name' on type 'Envelope' is required"},
      {"envelope name over 1024", [](json::object& e) { e["name"] = std::string(1025, 'n'); },
       "Field 'name' on type 'Envelope' exceeds the maximum length. Expected: 1024, Actual: 1025"},
      {"iKey missing", [](json::object& e) { e.erase("iKey"); }, "Field 'iKey' on type 'Envelope' is required"},
      {"iKey over 40", [](json::object& e) { e["iKey"] = std::string(41, 'a'); },
       "Field 'iKey' on type 'Envelope' exceeds the maximum length"},
      {"unknown iKey", [](json::object& e) { e["iKey"] = fixtures::other_ikey; }, "Invalid instrumentation key"},
      {"iKey that is a path", [](json::object& e) { e["iKey"] = "../../etc"; }, "Invalid instrumentation key"},
      {"unknown baseType", [](json::object& e) { e["data"].as_object()["baseType"] = "RequestData"; },
       "Field 'baseType' on type 'Data' has an unsupported value"},
      {"data missing", [](json::object& e) { e.erase("data"); }, "Field 'data' on type 'Envelope' is required"},
      {"EventData ver 1", [&](json::object& e) { base(e)["ver"] = 1; },
       "Field 'ver' on type 'EventData' has an unsupported value"},
      {"EventData name missing", [&](json::object& e) { base(e).erase("name"); },
       "Field 'name' on type 'EventData' is required"},
      {"EventData name over 512", [&](json::object& e) { base(e)["name"] = std::string(513, 'x'); },
       "Field 'name' on type 'EventData' exceeds the maximum length. Expected: 512"},
      {"property key over 150", [&](json::object& e) { base(e)["properties"].as_object()[std::string(151, 'k')] = "v"; },
       "exceeds the maximum length. Expected: 150, Actual: 151"},
      {"property value over 8192", [&](json::object& e) { base(e)["properties"].as_object()["job_id"] = std::string(8193, 'v'); },
       "Field 'properties[job_id]' on type 'EventData' exceeds the maximum length. Expected: 8192"},
      {"property value not a string", [&](json::object& e) { base(e)["properties"].as_object()["job_id"] = 42; },
       "Field 'properties[job_id]' on type 'EventData' has the wrong type. Expected: string, Actual: number"},
      {"measurement NaN as a string", [&](json::object& e) { base(e)["measurements"].as_object()["duration_ms"] = "NaN"; },
       "Field 'measurements[duration_ms]' on type 'EventData' has the wrong type. Expected: finite double, Actual: string"},
      {"measurement null (serde's NaN)", [&](json::object& e) { base(e)["measurements"].as_object()["duration_ms"] = nullptr; },
       "Field 'measurements[duration_ms]' on type 'EventData' has the wrong type. Expected: finite double, Actual: null"},
      {"MetricData value not a number",
       [](json::object& e) {
         e = fixtures::metric();
         e["data"].as_object()["baseData"].as_object()["metrics"].as_array()[0].as_object()["value"] = "1";
       },
       "Field 'value' on type 'DataPoint' has the wrong type"},
      {"MetricData without metrics",
       [](json::object& e) {
         e = fixtures::metric();
         e["data"].as_object()["baseData"].as_object().erase("metrics");
       },
       "Field 'metrics' on type 'MetricData' is required"},
      {"an object that is no envelope", [](json::object& e) { e = json::object{{"hello", "world"}}; },
       "Field 'name' on type 'Envelope' is required"},
      {"tags with a non-string value", [](json::object& e) { e["tags"].as_object()["ai.cloud.role"] = 7; },
       "Field 'tags[ai.cloud.role]' on type 'Envelope' has the wrong type"},
  };

  for (auto const& c : cases) {
    INFO(c.name);
    auto bad = fixtures::event("bad");
    c.break_it(bad);
    // The bad item sits between two good ones so its index is checked, not assumed.
    auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event("g1"), bad, fixtures::event("g2")}));
    CHECK(r.status == 206);
    auto const body = answer_body(r);
    CHECK(received(body) == 3);
    CHECK(accepted(body) == 2);
    REQUIRE(errors(body).size() == 1);
    auto const& e = errors(body)[0].as_object();
    CHECK(e.at("index").to_number<int>() == 1);
    CHECK(e.at("statusCode").to_number<int>() == 400);
    CHECK_THAT(std::string(e.at("message").as_string()), Catch::Contains(c.message));
  }
  CHECK(server.accepted_count(fixtures::ikey) == 2 * cases.size());
  for (auto const& item : server.accepted(fixtures::ikey)) {
    CHECK(item.at("data").at("baseData").at("name").as_string() != "bad");
  }
}

TEST_CASE("a batch with every item bad answers 400 with the same body shape", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto old = fixtures::event("old", fixtures::ikey, std::chrono::system_clock::now() - 72h);
  auto const r = client.post(server.track_url(), fixtures::json_array({old, old}));
  CHECK(r.status == 400);
  auto const body = answer_body(r);
  CHECK(received(body) == 2);
  CHECK(accepted(body) == 0);
  REQUIRE(errors(body).size() == 2);
  CHECK(errors(body)[0].at("index").to_number<int>() == 0);
  CHECK(errors(body)[1].at("index").to_number<int>() == 1);
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

TEST_CASE("a mixed batch answers 206 with the indices of the rejected items", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto const now = std::chrono::system_clock::now();
  std::vector<json::object> items;
  for (int i = 0; i < 8; ++i) {
    // Items 1, 4 and 6 are too old.
    bool const bad = i == 1 || i == 4 || i == 6;
    items.push_back(fixtures::event(fixtures::numbered("e", i), fixtures::ikey, bad ? now - 50h : now));
  }
  auto const r = client.post(server.track_url(), fixtures::ndjson(items), {.content_type = "application/x-json-stream"});
  CHECK(r.status == 206);
  auto const body = answer_body(r);
  CHECK(received(body) == 8);
  CHECK(accepted(body) == 5);
  std::vector<int> indices;
  for (auto const& e : errors(body)) indices.push_back(e.at("index").to_number<int>());
  CHECK(indices == std::vector<int>{1, 4, 6});
  auto const stored = server.accepted(fixtures::ikey);
  REQUIRE(stored.size() == 5);
  CHECK(stored[1] == items[2]);
}

TEST_CASE("an empty batch is answered 200 with zero counts", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto const r = client.post(server.track_url(), "[]");
  CHECK(r.status == 200);
  auto const body = answer_body(r);
  CHECK(received(body) == 0);
  CHECK(accepted(body) == 0);
}

TEST_CASE("malformed bodies answer 400 with the service's body shape", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  auto const valid = fixtures::json_array({fixtures::event()});

  SECTION("not JSON") {
    http_client client;
    auto const r = client.post(server.track_url(), "[{\"name\": ");
    CHECK(r.status == 400);
    auto const body = answer_body(r);
    CHECK(received(body) == 0);
    CHECK(accepted(body) == 0);
    CHECK_THAT(std::string(errors(body).at(0).at("message").as_string()), Catch::Contains("Invalid JSON"));
  }
  SECTION("an NDJSON line that is not JSON") {
    http_client client;
    auto const r = client.post(server.track_url(), fixtures::ndjson({fixtures::event()}) + "\n{oops}\n");
    CHECK(r.status == 400);
    CHECK_THAT(std::string(errors(answer_body(r)).at(0).at("message").as_string()), Catch::Contains("line 2"));
  }
  SECTION("declared gzip but plain text") {
    auto const r = fixtures::raw_request(server.port(), fixtures::raw_post("/v2/track", valid, "Content-Encoding: gzip\r\n"));
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/json; charset=utf-8");
    auto const body = fixtures::parse_object(r.body);
    CHECK(body.at("itemsReceived").to_number<int>() == 0);
    CHECK_THAT(std::string(body.at("errors").at(0).at("message").as_string()), Catch::Contains("not valid gzip"));
  }
  SECTION("truncated gzip") {
    auto gz = onefuzz::telemetry::detail::gzip_compress(valid);
    gz.resize(gz.size() - 6);
    auto const r = fixtures::raw_request(server.port(), fixtures::raw_post("/v2/track", gz, "Content-Encoding: gzip\r\n"));
    CHECK(r.status == 400);
  }
  SECTION("an encoding the service does not speak") {
    auto const r = fixtures::raw_request(server.port(), fixtures::raw_post("/v2/track", valid, "Content-Encoding: br\r\n"));
    CHECK(r.status == 415);
    CHECK(fixtures::parse_object(r.body).contains("errors"));
  }
  SECTION("invalid UTF-8 inside a string") {
    http_client client;
    auto const r = client.post(server.track_url(), "[{\"name\":\"\xff\xfe\"}]");
    CHECK(r.status == 400);
  }
  SECTION("nesting deeper than any envelope") {
    http_client client;
    auto const r = client.post(server.track_url(), std::string(5000, '[') + std::string(5000, ']'));
    CHECK(r.status == 400);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 0);
}

TEST_CASE("other paths answer 404 and other methods 405, without consuming faults", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::status(503)});
  http_client client;
  for (std::string const path : {"/v2/trackx", "/track", "/", "/v3/track", "///v2.1/track"}) {
    INFO(path);
    auto const r = client.post(server.endpoint() + path, "[]");
    CHECK(r.status == 404);
    CHECK(fixtures::parse_object(r.body).contains("errors"));
  }
  auto const get = fixtures::raw_request(server.port(), "GET /v2/track HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(get.status == 405);
  CHECK(get.allow == "POST");
  CHECK(server.pending_faults() == 1);
  CHECK(client.post(server.track_url(), "[]").status == 503);
  CHECK(server.pending_faults() == 0);
}

TEST_CASE("accepted items are appended to <dir>/<ikey>.jsonl", "[ingestion_server]") {
  temp_dir dir;
  auto const store = dir.path / "nested" / "store";
  ingestion_server server({.accepted_keys = {fixtures::ikey, fixtures::other_ikey}, .store_directory = store});
  http_client client;
  std::vector<json::object> const first{fixtures::event("a"), fixtures::event("b")};
  auto upper = fixtures::event("c", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");

  REQUIRE(client.post(server.track_url(), fixtures::json_array(first)).status == 200);
  REQUIRE(client.post(server.track_url(), fixtures::json_array({fixtures::event("d"), upper})).status == 200);

  auto read_lines = [](std::filesystem::path const& p) {
    std::vector<json::object> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) out.push_back(fixtures::parse_object(line));
    return out;
  };
  CHECK(server.store_file(fixtures::ikey) == store / (std::string(fixtures::ikey) + ".jsonl"));
  auto const lines = read_lines(server.store_file(fixtures::ikey));
  CHECK(lines.size() == 3);
  CHECK(lines == server.accepted(fixtures::ikey));
  // Keys are stored under their lower-case form.
  auto const other = read_lines(store / (std::string(fixtures::other_ikey) + ".jsonl"));
  REQUIRE(other.size() == 1);
  CHECK(other[0] == upper);
}

TEST_CASE("the server refuses to bind anything but loopback", "[ingestion_server]") {
  for (std::string const address : {"0.0.0.0", "192.0.2.10", "::", "2001:db8::1", "::ffff:127.0.0.1", "localhost", ""}) {
    INFO(address);
    try {
      ingestion_server server({.address = address});
      FAIL("bound " << address);
    } catch (std::invalid_argument const& e) {
      CHECK_THAT(e.what(), Catch::Contains("ingestion_server") && Catch::Contains("'" + address + "'"));
    }
  }
  ingestion_server v4({.address = "127.0.0.1"});
  CHECK(v4.endpoint() == "http://127.0.0.1:" + std::to_string(v4.port()));
  CHECK(v4.connection_string("k") ==
        "InstrumentationKey=k;IngestionEndpoint=http://127.0.0.1:" + std::to_string(v4.port()) + "/");
}

TEST_CASE("the server serves IPv6 loopback", "[ingestion_server]") {
  std::optional<ingestion_server> server;
  try {
    server.emplace(ingestion_server_options{.address = "::1", .accepted_keys = {fixtures::ikey}});
  } catch (boost::system::system_error const& e) {
    WARN("no IPv6 loopback here: " << e.what());
    return;
  }
  CHECK(server->endpoint() == "http://[::1]:" + std::to_string(server->port()));
  http_client client;
  CHECK(client.post(server->track_url(), fixtures::json_array({fixtures::event()})).status == 200);
}

TEST_CASE("fault::status answers the code with one error per item and stores nothing", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  server.script({fault::status(503), fault::status(500)});
  auto const batch = fixtures::json_array({fixtures::event("a"), fixtures::event("b")});

  auto const r = client.post(server.track_url(), batch);
  CHECK(r.status == 503);
  CHECK(r.content_type == "application/json; charset=utf-8");
  CHECK_FALSE(r.retry_after);
  auto const body = answer_body(r);
  CHECK(received(body) == 2);
  CHECK(accepted(body) == 0);
  REQUIRE(errors(body).size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(errors(body)[i].at("index").to_number<std::size_t>() == i);
    CHECK(errors(body)[i].at("statusCode").to_number<int>() == 503);
  }
  // Faults are a queue: the next request gets the next one, then normal service resumes.
  CHECK(client.post(server.track_url(), batch).status == 500);
  CHECK(client.post(server.track_url(), batch).status == 200);
  CHECK(server.accepted_count(fixtures::ikey) == 2);
  auto const log = server.requests();
  REQUIRE(log.size() == 3);
  CHECK(log[0].fault_kind == fault::kind::status);
  CHECK(log[2].fault_kind == std::nullopt);
}

TEST_CASE("Retry-After is sent verbatim in both forms", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  server.script({fault::status(429).retry_after("2"), fault::status(503).retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
                 fault::status(439)});
  auto const batch = fixtures::json_array({fixtures::event()});

  auto const a = client.post(server.track_url(), batch);
  CHECK(a.status == 429);
  CHECK(a.retry_after == "2");
  auto const b = client.post(server.track_url(), batch);
  CHECK(b.status == 503);
  CHECK(b.retry_after == "Wed, 21 Oct 2015 07:28:00 GMT");
  auto const c = client.post(server.track_url(), batch);
  CHECK(c.status == 439);  // the legacy quota code, which has no reason phrase
  CHECK_FALSE(c.retry_after);
  CHECK(errors(answer_body(c)).at(0).at("statusCode").to_number<int>() == 439);
}

TEST_CASE("fault::partial answers 206 with the scripted codes and stores the rest", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  server.script({fault::partial({{1, 500}, {2, 429}, {99, 500}})});
  std::vector<json::object> items;
  for (int i = 0; i < 4; ++i) items.push_back(fixtures::event(fixtures::numbered("e", i)));

  auto const r = client.post(server.track_url(), fixtures::json_array(items), {.gzip = true});
  CHECK(r.status == 206);
  auto const body = answer_body(r);
  CHECK(received(body) == 4);
  CHECK(accepted(body) == 2);
  REQUIRE(errors(body).size() == 2);
  CHECK(errors(body)[0].at("index").to_number<int>() == 1);
  CHECK(errors(body)[0].at("statusCode").to_number<int>() == 500);
  CHECK(errors(body)[1].at("index").to_number<int>() == 2);
  CHECK(errors(body)[1].at("statusCode").to_number<int>() == 429);
  CHECK(server.accepted(fixtures::ikey) == std::vector<json::object>{items[0], items[3]});
}

TEST_CASE("fault::delay holds the answer, then serves normally", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  server.script({fault::delay(300ms)});
  auto const start = std::chrono::steady_clock::now();
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  auto const elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 200);
  CHECK(elapsed >= 300ms);
  CHECK(server.accepted_count(fixtures::ikey) == 1);
}

TEST_CASE("fault::drop_connection gives the client a network error", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::drop_connection()});
  http_client client;  // fresh connection, so libcurl has no reason to retry transparently
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  CHECK(r.status == 0);
  CHECK_FALSE(r.error.empty());
  CHECK(server.accepted_count(fixtures::ikey) == 0);
  auto const log = server.requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == 0);
  CHECK(log[0].fault_kind == fault::kind::drop_connection);
  // The server keeps serving.
  CHECK(client.post(server.track_url(), fixtures::json_array({fixtures::event()})).status == 200);
}

TEST_CASE("fault::never_answer is cut short by the client's total timeout", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  server.script({fault::never_answer()});
  http_client client({.total_timeout = 400ms});
  auto const start = std::chrono::steady_clock::now();
  auto const r = client.post(server.track_url(), fixtures::json_array({fixtures::event()}));
  auto const elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::Contains("imeout") || Catch::Contains("timed out"));
  CHECK(elapsed >= 390ms);  // libcurl's millisecond timers may fire a fraction early
  CHECK(elapsed < 5s);
  CHECK(server.requests().at(0).fault_kind == fault::kind::never_answer);
  // The held connection does not stop the server from serving others.
  CHECK(client.post(server.track_url(), fixtures::json_array({fixtures::event()})).status == 200);
}

TEST_CASE("fault::redirect is followed by the client, which re-posts the body", "[ingestion_server][fault]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  std::vector<json::object> const items{fixtures::event("a"), fixtures::event("b")};

  SECTION("307 to another path of the same server") {
    server.script({fault::redirect(307, server.endpoint() + "/v2/track")});
    auto const r = client.post(server.track_url(), fixtures::json_array(items), {.gzip = true});
    CHECK(r.status == 200);
    CHECK(r.effective_url == server.endpoint() + "/v2/track");
    CHECK(server.accepted(fixtures::ikey) == items);
    auto const log = server.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[0].status == 307);
    CHECK(log[0].target == "/v2.1/track");
    CHECK(log[1].method == "POST");
    CHECK(log[1].target == "/v2/track");
    CHECK(log[1].content_encoding == "gzip");
    CHECK(log[1].body_bytes == log[0].body_bytes);
  }
  SECTION("308 to a different server (a regional endpoint)") {
    ingestion_server regional({.accepted_keys = {fixtures::ikey}});
    server.script({fault::redirect(308, regional.track_url())});
    auto const r = client.post(server.track_url(), fixtures::json_array(items));
    CHECK(r.status == 200);
    CHECK(server.accepted_count(fixtures::ikey) == 0);
    CHECK(regional.accepted(fixtures::ikey) == items);
  }
}

TEST_CASE("stopping the server releases a connected client at once", "[ingestion_server]") {
  auto server = std::make_unique<ingestion_server>(ingestion_server_options{.accepted_keys = {fixtures::ikey}});
  server->script({fault::never_answer()});
  auto const url = server->track_url();
  http_response result;
  std::chrono::steady_clock::duration elapsed{};
  std::thread client_thread([&] {
    http_client client({.total_timeout = 20s});
    auto const start = std::chrono::steady_clock::now();
    result = client.post(url, fixtures::json_array({fixtures::event()}));
    elapsed = std::chrono::steady_clock::now() - start;
  });
  REQUIRE(server->wait_for_requests(1, fixtures::deadline()));
  auto const stop_start = std::chrono::steady_clock::now();
  server->stop();
  server->stop();  // idempotent
  CHECK(std::chrono::steady_clock::now() - stop_start < 2s);
  client_thread.join();
  CHECK(result.status == 0);
  CHECK_FALSE(result.error.empty());
  CHECK(elapsed < 10s);
  // The log outlives the I/O thread.
  CHECK(server->requests_served() == 1);
  server.reset();
}

TEST_CASE("wait_for_accepted wakes on arrival and times out otherwise", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  CHECK_FALSE(server.wait_for_accepted(fixtures::ikey, 1, fixtures::deadline(50ms)));
  std::thread poster([&] {
    http_client client;
    client.post(server.track_url(), fixtures::json_array({fixtures::event(), fixtures::event()}));
  });
  CHECK(server.wait_for_accepted(fixtures::ikey, 2, fixtures::deadline()));
  poster.join();
}

TEST_CASE("hostile input never takes the server down", "[ingestion_server][hostile]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}, .max_body_bytes = 1024 * 1024});
  auto const valid = fixtures::json_array({fixtures::event()});

  SECTION("a gzip bomb is refused with 413 after inflating at most the cap") {
    std::string const zeros(8 * 1024 * 1024, '0');
    auto const bomb = onefuzz::telemetry::detail::gzip_compress(zeros);
    REQUIRE(bomb.size() < 64 * 1024);
    auto const r = fixtures::raw_request(server.port(), fixtures::raw_post("/v2/track", bomb, "Content-Encoding: gzip\r\n"));
    CHECK(r.status == 413);
    CHECK(fixtures::parse_object(r.body).at("errors").at(0).at("statusCode").to_number<int>() == 413);
  }
  SECTION("libcurl uploading a body over the cap reads the 413") {
    http_client client;
    auto const r = client.post(server.track_url(), std::string(8 * 1024 * 1024, ' '));
    CHECK(r.status == 413);
    CHECK(errors(answer_body(r)).at(0).at("statusCode").to_number<int>() == 413);
  }
  SECTION("a declared body over the cap is refused before it is read") {
    auto const r = fixtures::raw_request(
        server.port(), "POST /v2/track HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n[");
    CHECK(r.status == 413);
  }
  SECTION("bytes that are not HTTP") {
    // The start of a TLS ClientHello (a client using https:// by mistake), then junk.
    static constexpr char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n";
    auto const r = fixtures::raw_request(server.port(), std::string_view(garbage, sizeof garbage - 1));
    CHECK((r.closed || r.status == 400));
  }
  SECTION("a client that connects and leaves") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    s.close();
  }
  SECTION("a huge number and odd JSON kinds are judged per item") {
    http_client client;
    auto overflow = fixtures::event();
    overflow["sampleRate"] = 1.0;
    auto text = json::serialize(json::array{overflow});
    text.replace(text.find("1E0"), 3, "1e999");  // Boost.JSON reads this as infinity
    auto const r = client.post(server.track_url(), "[1e999, null, \"s\", [], " + text.substr(1, text.size() - 2) + ", " + valid.substr(1));
    CHECK(r.status == 206);
    auto const body = answer_body(r);
    CHECK(received(body) == 6);
    CHECK(accepted(body) == 1);
    std::vector<int> indices;
    for (auto const& e : errors(body)) indices.push_back(e.at("index").to_number<int>());
    CHECK(indices == std::vector<int>{0, 1, 2, 3, 4});
    CHECK_THAT(std::string(errors(body)[4].at("message").as_string()), Catch::Contains("outside the range"));
  }
  http_client client;
  CHECK(client.post(server.track_url(), valid).status == 200);
}

TEST_CASE("connections beyond the cap are closed at once", "[ingestion_server][hostile]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}, .max_connections = 2});
  boost::asio::io_context ioc;
  auto const where = boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port());
  boost::asio::ip::tcp::socket a(ioc), b(ioc), c(ioc);
  a.connect(where);
  b.connect(where);
  c.connect(where);
  // Accepts happen in order, so by the time the third is handled the first two hold the
  // slots: the third reads end-of-stream rather than hanging.
  char byte = 0;
  boost::system::error_code ec;
  c.read_some(boost::asio::buffer(&byte, 1), ec);
  CHECK(ec == boost::asio::error::eof);
}

TEST_CASE("keep-alive: one client reuses one connection", "[ingestion_server]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client.post(server.track_url(), fixtures::json_array({fixtures::event()})).status == 200);
  }
  auto const log = server.requests();
  REQUIRE(log.size() == 3);
  CHECK(log[0].connection_id == log[1].connection_id);
  CHECK(log[1].connection_id == log[2].connection_id);
  http_client other;
  REQUIRE(other.post(server.track_url(), "[]").status == 200);
  CHECK(server.requests().back().connection_id != log[0].connection_id);
}

TEST_CASE("the clock option pins the time window", "[ingestion_server]") {
  auto const pinned = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h;
  ingestion_server server({.accepted_keys = {fixtures::ikey}, .clock = [pinned] { return std::chrono::system_clock::time_point(pinned); }});
  http_client client;
  auto in_window_offset = fixtures::event("offset");
  in_window_offset["time"] = "2024-05-01T14:00:00.1234567+02:00";  // 12:00Z, .NET's 7 digits
  auto past_max_offset = fixtures::event("ahead");
  past_max_offset["time"] = "2024-05-01T16:00:01+0200";  // 14:00:01Z, just past now + 2 h
  auto const r = client.post(server.track_url(),
                             fixtures::json_array({fixtures::event("ok", fixtures::ikey, pinned - 47h),
                                                   fixtures::event("late", fixtures::ikey, pinned - 49h),
                                                   in_window_offset, past_max_offset}));
  CHECK(r.status == 206);
  auto const body = answer_body(r);
  REQUIRE(errors(body).size() == 2);
  CHECK(errors(body)[0].at("index").to_number<int>() == 1);
  CHECK_THAT(std::string(errors(body)[0].at("message").as_string()),
             Catch::Contains("Actual: now - 176400000ms"));  // exactly 49 h
  CHECK(errors(body)[1].at("index").to_number<int>() == 3);
  CHECK_THAT(std::string(errors(body)[1].at("message").as_string()), Catch::Contains("Actual: now + 7201000ms"));
}

namespace {

// The single error of a one-item batch the server refused, after checking the answer is a
// whole 400 with nothing accepted.
json::object single_rejection(http_response const& r) {
  CHECK(r.status == 400);
  auto const body = answer_body(r);
  CHECK(received(body) == 1);
  CHECK(accepted(body) == 0);
  REQUIRE(errors(body).size() == 1);
  auto const e = errors(body)[0].as_object();
  CHECK(e.at("index").to_number<int>() == 0);
  CHECK(e.at("statusCode").to_number<int>() == 400);
  return e;
}

std::string message_of(json::object const& error) { return std::string(error.at("message").as_string()); }

}  // namespace

TEST_CASE("context tags over the ContextTagKeys limits are refused with the service's message",
          "[ingestion_server][rules]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;

  SECTION("the issue's example: ai.operation.name of 1157 characters") {
    auto e = fixtures::event();
    e["tags"].as_object()["ai.operation.name"] = std::string(1157, 'o');
    auto const error = single_rejection(client.post(server.track_url(), fixtures::json_array({e})));
    CHECK(message_of(error) ==
          "100: Field 'ai.operation.name' on type 'ContextTagKeys' is too long. Expected: 1024 characters, "
          "Actual: 1157");
    CHECK(server.accepted_count(fixtures::ikey) == 0);
  }
  SECTION("every limited tag: the limit passes, one more character is refused") {
    struct tag_case {
      char const* key;
      std::size_t max;
    };
    std::vector<tag_case> const tags{{"ai.cloud.role", 256},        {"ai.cloud.roleInstance", 256},
                                     {"ai.device.id", 1024},        {"ai.location.ip", 46},
                                     {"ai.operation.id", 128},      {"ai.operation.name", 1024},
                                     {"ai.user.id", 128},           {"ai.session.id", 64},
                                     {"ai.internal.sdkVersion", 64}};
    for (auto const& t : tags) {
      INFO(t.key);
      auto at_limit = fixtures::event("at_limit");
      at_limit["tags"].as_object()[t.key] = std::string(t.max, 'x');
      auto over = fixtures::event("over");
      over["tags"].as_object()[t.key] = std::string(t.max + 1, 'x');
      auto const r = client.post(server.track_url(), fixtures::json_array({at_limit, over}));
      CHECK(r.status == 206);
      auto const body = answer_body(r);
      CHECK(accepted(body) == 1);
      REQUIRE(errors(body).size() == 1);
      auto const& error = errors(body)[0].as_object();
      CHECK(error.at("index").to_number<int>() == 1);
      CHECK(error.at("statusCode").to_number<int>() == 400);
      CHECK(message_of(error) == "100: Field '" + std::string(t.key) +
                                     "' on type 'ContextTagKeys' is too long. Expected: " + std::to_string(t.max) +
                                     " characters, Actual: " + std::to_string(t.max + 1));
    }
    CHECK(server.accepted_count(fixtures::ikey) == tags.size());
  }
  SECTION("limits count characters, not UTF-8 bytes") {
    std::string name;
    for (int i = 0; i < 1024; ++i) name += "\xC3\xA9";  // 1024 x U+00E9, 2048 bytes
    auto e = fixtures::event();
    e["tags"].as_object()["ai.operation.name"] = name;
    auto const r = client.post(server.track_url(), fixtures::json_array({e}));
    CHECK(r.status == 200);
    CHECK(accepted(answer_body(r)) == 1);
  }
}

TEST_CASE("only known iKeys are accepted; connection_string and accept_key make a key known",
          "[ingestion_server][rules]") {
  ingestion_server server;
  http_client client;
  auto const batch = fixtures::json_array({fixtures::event()});

  // Nothing configured: the service knows no resource for the key.
  auto const error = single_rejection(client.post(server.track_url(), batch));
  CHECK(message_of(error) == "400: Invalid instrumentation key '" + std::string(fixtures::ikey) + "'");
  CHECK(server.accepted_count(fixtures::ikey) == 0);

  // Asking for a connection string configures the key (in any case) ...
  auto const cs = server.connection_string("11111111-2222-3333-4444-555555555555");
  CHECK(cs.starts_with("InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint="));
  auto const r = client.post(server.track_url(), batch);
  CHECK(r.status == 200);
  CHECK(accepted(answer_body(r)) == 1);
  CHECK(server.accepted_count(fixtures::ikey) == 1);

  // ... and only that key: another one in the same batch is refused per item.
  auto const mixed =
      client.post(server.track_url(), fixtures::json_array({fixtures::event("a"), fixtures::event("b", fixtures::other_ikey)}));
  CHECK(mixed.status == 206);
  auto const body = answer_body(mixed);
  CHECK(accepted(body) == 1);
  REQUIRE(errors(body).size() == 1);
  CHECK(errors(body)[0].at("index").to_number<int>() == 1);
  CHECK(errors(body)[0].at("statusCode").to_number<int>() == 400);
  CHECK(message_of(errors(body)[0].as_object()) ==
        "400: Invalid instrumentation key '" + std::string(fixtures::other_ikey) + "'");

  server.accept_key("AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
  CHECK(client.post(server.track_url(), fixtures::json_array({fixtures::event("c", fixtures::other_ikey)})).status == 200);
  CHECK(server.accepted_count(fixtures::other_ikey) == 1);
}

TEST_CASE("configured keys are the only ones known, case-insensitively", "[ingestion_server][rules]") {
  ingestion_server server({.accepted_keys = {"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"}});
  http_client client;
  CHECK(client.post(server.track_url(), fixtures::json_array({fixtures::event("a", fixtures::other_ikey)})).status == 200);
  auto const error = single_rejection(client.post(server.track_url(), fixtures::json_array({fixtures::event()})));
  CHECK(message_of(error) == "400: Invalid instrumentation key '" + std::string(fixtures::ikey) + "'");
}

TEST_CASE("a sampleRate that is not a number is refused per item", "[ingestion_server][rules]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  struct rate_case {
    json::value rate;
    char const* actual;
  };
  std::vector<rate_case> const bad{{json::value("100"), "string"},
                                   {json::value(true), "bool"},
                                   {json::value(json::object{{"value", 100}}), "object"},
                                   {json::value(json::array{100}), "array"}};
  for (auto const& c : bad) {
    INFO(json::serialize(c.rate));
    auto e = fixtures::event();
    e["sampleRate"] = c.rate;
    auto const error = single_rejection(client.post(server.track_url(), fixtures::json_array({e})));
    CHECK(message_of(error) ==
          std::string("101: Field 'sampleRate' on type 'Envelope' is of incorrect type. Expected: double, Actual: ") +
              c.actual);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 0);

  // Numbers of any JSON form pass, and an absent or null rate means 100.
  std::vector<json::object> good;
  for (json::value const& rate : {json::value(100.0), json::value(100), json::value(12.5), json::value(nullptr)}) {
    auto e = fixtures::event();
    e["sampleRate"] = rate;
    good.push_back(std::move(e));
  }
  auto absent = fixtures::event();
  absent.erase("sampleRate");
  good.push_back(std::move(absent));
  auto const r = client.post(server.track_url(), fixtures::json_array(good));
  CHECK(r.status == 200);
  CHECK(accepted(answer_body(r)) == 5);
}

TEST_CASE("a MetricData point with an unknown kind is refused per item", "[ingestion_server][rules]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  http_client client;
  auto with_kind = [](std::optional<json::value> kind) {
    auto m = fixtures::metric();
    auto& point = m["data"].as_object()["baseData"].as_object()["metrics"].as_array()[0].as_object();
    if (kind) point["kind"] = *kind;
    return m;
  };
  struct kind_case {
    json::value kind;
    char const* actual;
  };
  std::vector<kind_case> const bad{{json::value(2), "2"},
                                   {json::value(-1), "-1"},
                                   {json::value(0.5), "5E-1"},
                                   {json::value("Histogram"), "\"Histogram\""},
                                   {json::value(true), "true"}};
  for (auto const& c : bad) {
    INFO(json::serialize(c.kind));
    auto const error = single_rejection(client.post(server.track_url(), fixtures::json_array({with_kind(c.kind)})));
    CHECK(message_of(error) ==
          std::string("105: Field 'kind' on type 'DataPoint' has an unsupported value. Expected: 0 (Measurement) or "
                      "1 (Aggregation), Actual: ") +
              c.actual);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 0);

  std::vector<json::object> const good{with_kind(json::value(0)), with_kind(json::value(1)),
                                       with_kind(json::value("Measurement")), with_kind(json::value("Aggregation")),
                                       with_kind(json::value(nullptr)), with_kind(std::nullopt)};
  auto const r = client.post(server.track_url(), fixtures::json_array(good));
  CHECK(r.status == 200);
  CHECK(accepted(answer_body(r)) == 6);
}

TEST_CASE("configured bearer tokens are required on /v2.1/track, not on /v2/track", "[ingestion_server][auth]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}, .accepted_bearer_tokens = {"token-1", "token-2"}});
  auto const batch = fixtures::json_array({fixtures::event()});
  auto check_unauthorized = [&](fixtures::raw_response const& r) {
    CHECK(r.status == 401);
    CHECK(r.content_type == "application/json; charset=utf-8");
    auto const body = fixtures::parse_object(r.body);
    CHECK(received(body) == 0);
    CHECK(accepted(body) == 0);
    REQUIRE(errors(body).size() == 1);
    auto const& e = errors(body)[0].as_object();
    CHECK(e.at("index").to_number<int>() == 0);
    CHECK(e.at("statusCode").to_number<int>() == 401);
    CHECK(message_of(e) == "Unauthorized - please provide the valid authorization token");
  };
  // A scripted fault is not consumed by a request refused for auth.
  server.script({fault::status(503)});

  for (std::string const path : {"/v2.1/track", "//v2.1/track", "/v2.1/track?x=1"}) {
    INFO(path);
    check_unauthorized(fixtures::raw_request(server.port(), fixtures::raw_post(path, batch)));
    check_unauthorized(
        fixtures::raw_request(server.port(), fixtures::raw_post(path, batch, "Authorization: Bearer token-3\r\n")));
    check_unauthorized(
        fixtures::raw_request(server.port(), fixtures::raw_post(path, batch, "Authorization: token-1\r\n")));
    check_unauthorized(
        fixtures::raw_request(server.port(), fixtures::raw_post(path, batch, "Authorization: Basic token-1\r\n")));
    check_unauthorized(
        fixtures::raw_request(server.port(), fixtures::raw_post(path, batch, "Authorization: Bearer token-1x\r\n")));
  }
  CHECK(server.pending_faults() == 1);
  CHECK(server.accepted_count(fixtures::ikey) == 0);
  CHECK(server.requests().back().status == 401);
  server.clear_script();

  http_client client;
  CHECK(client.post(server.track_url(), batch, {.bearer_token = "token-1"}).status == 200);
  CHECK(server.requests().back().authorization == "Bearer token-1");
  auto const lower = fixtures::raw_request(server.port(), fixtures::raw_post("//v2.1/track", batch, "authorization: bearer token-2\r\n"));
  CHECK(lower.status == 200);
  // /v2/track is the keyless (iKey-only) path.
  auto const keyless = fixtures::raw_request(server.port(), fixtures::raw_post("/v2/track", batch));
  CHECK(keyless.status == 200);
  CHECK(server.accepted_count(fixtures::ikey) == 3);
}

TEST_CASE("without configured bearer tokens no Authorization is needed", "[ingestion_server][auth]") {
  ingestion_server server({.accepted_keys = {fixtures::ikey}});
  auto const batch = fixtures::json_array({fixtures::event()});
  for (std::string const path : {"/v2.1/track", "//v2.1/track", "/v2/track"}) {
    INFO(path);
    CHECK(fixtures::raw_request(server.port(), fixtures::raw_post(path, batch)).status == 200);
    CHECK(fixtures::raw_request(server.port(), fixtures::raw_post(path, batch, "Authorization: Bearer anything\r\n"))
              .status == 200);
  }
  CHECK(server.accepted_count(fixtures::ikey) == 6);
}
