// Shared helpers for the ingestion server and HTTP client tests: envelope builders, body
// encoders, deadlines, and a raw Beast client for requests libcurl will not send.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace fixtures {

inline constexpr char const* ikey = "11111111-2222-3333-4444-555555555555";
inline constexpr char const* other_ikey = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

// A generous bound for conditions that should hold within milliseconds; tests never sleep.
inline std::chrono::steady_clock::time_point deadline(std::chrono::milliseconds in = std::chrono::seconds(10)) {
  return std::chrono::steady_clock::now() + in;
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ", as JavaScript's toISOString and the Rust SDKs write it.
inline std::string iso_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto const ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
  std::time_t const secs = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return out;
}

// "e7": a distinct event name. (Built with append: GCC 12 at -O3 reports a false
// -Wrestrict for `"literal" + std::to_string(i)`.)
inline std::string numbered(std::string_view prefix, int i) { return std::string(prefix).append(std::to_string(i)); }

// A valid custom-event envelope, shaped like the contract's complete example.
inline boost::json::object event(std::string_view name = "job_started", std::string_view key = ikey,
                                 std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
  return boost::json::object{
      {"ver", 1},
      {"name", "Microsoft.ApplicationInsights.Event"},
      {"time", iso_utc(t)},
      {"sampleRate", 100.0},
      {"iKey", key},
      {"tags", {{"ai.cloud.role", "mytool"}, {"ai.internal.sdkVersion", "cpp:0.1.0"}}},
      {"data",
       {{"baseType", "EventData"},
        {"baseData",
         {{"ver", 2},
          {"name", name},
          {"properties", {{"job_id", "42"}, {"mode", "fast"}}},
          {"measurements", {{"duration_ms", 1234.5}}}}}}}};
}

// A valid MetricData envelope.
inline boost::json::object metric(std::string_view name = "execs_per_sec", double value = 812.5) {
  auto env = event();
  env["data"] = {{"baseType", "MetricData"},
                 {"baseData", {{"ver", 2}, {"metrics", {{{"name", name}, {"value", value}, {"count", 1}}}}}}};
  return env;
}

inline std::string json_array(std::vector<boost::json::object> const& items) {
  boost::json::array a;
  for (auto const& i : items) a.push_back(i);
  return boost::json::serialize(a);
}

inline std::string ndjson(std::vector<boost::json::object> const& items, std::string_view separator = "\n") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += separator;
    out += boost::json::serialize(items[i]);
  }
  return out;
}

// Parses an answer body; throws (failing the test) if it is not a JSON object.
inline boost::json::object parse_object(std::string_view text) { return boost::json::parse(text).as_object(); }

// A response read by raw_request; `closed` when the server hung up without an answer.
struct raw_response {
  int status{0};
  std::string body;
  std::string content_type;
  std::string allow;
  bool closed{false};
};

// Sends `bytes` verbatim to 127.0.0.1:`port` and reads one HTTP response (or the close).
// For requests libcurl would refuse to produce: lying Content-Encoding, garbage, GET.
inline raw_response raw_request(std::uint16_t port, std::string_view bytes) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(bytes.data(), bytes.size()), ec);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(socket, buffer, parser, ec);
  raw_response out;
  if (ec) {
    out.closed = true;
    return out;
  }
  auto const& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[http::field::content_type]);
  out.allow = std::string(res[http::field::allow]);
  return out;
}

// A POST request with the given headers and body, ready for raw_request.
inline std::string raw_post(std::string_view target, std::string_view body, std::string_view extra_headers = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

}  // namespace fixtures
