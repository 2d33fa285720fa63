// The loopback ingestion server's network side: an Asio accept loop and one Beast HTTP/1.1
// coroutine per connection, which routes, applies the fault script and answers. The request
// loop is generic over the stream, so the HTTPS server (tls_session.hpp) serves the same
// contract over a TLS stream.
#pragma once

#include "onefuzz/telemetry/testing/detail/batch.hpp"
#include "onefuzz/telemetry/testing/detail/ingest.hpp"
#include "onefuzz/telemetry/testing/detail/ingestion_state.hpp"
#include "onefuzz/telemetry/testing/fault.hpp"
#include "onefuzz/telemetry/testing/request_record.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

// GCC 12 misreports Asio's awaitable-frame operator new/delete pair as mismatched once the
// coroutines are inlined (-O1 and up): a false positive, silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace onefuzz::telemetry::testing::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// The three request-targets the service answers. Python's exporter sends the double
// slash, and the real service accepts it.
inline bool is_track_path(std::string_view target) noexcept {
  target = target.substr(0, target.find('?'));
  return target == "/v2/track" || target == "/v2.1/track" || target == "//v2.1/track";
}

// The paths that take Entra ID (AAD) auth; /v2/track is the keyless (iKey-only) one.
inline bool is_bearer_path(std::string_view target) noexcept {
  target = target.substr(0, target.find('?'));
  return target == "/v2.1/track" || target == "//v2.1/track";
}

// The message the service sends with a 401 (logged by the .NET SDK's
// AuthenticationTransmissionPolicy as the ingestion response's status description).
inline constexpr std::string_view unauthorized_message = "Unauthorized - please provide the valid authorization token";

using http_answer = http::response<http::string_body>;

// An answer with the service's headers; `body` empty means no Content-Type is sent.
inline http_answer make_answer(int status, std::string body, bool keep_alive,
                               std::optional<std::string> const& retry_after = std::nullopt) {
  http_answer res;
  res.version(11);
  res.result(static_cast<unsigned>(status));
  if (http::int_to_status(static_cast<unsigned>(status)) == http::status::unknown) {
    res.reason("Status " + std::to_string(status));  // 439 has no standard reason phrase
  }
  res.set(http::field::server, "onefuzz-ingestion-server");
  if (!body.empty()) {
    res.set(http::field::content_type, "application/json; charset=utf-8");
  }
  if (retry_after) {
    res.set(http::field::retry_after, *retry_after);
  }
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Parse failures that deserve a 400 (the client sent something that is not HTTP), as
// opposed to the peer simply going away.
inline bool is_malformed_http(beast::error_code const& ec) noexcept {
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
    return false;
  }
  return ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::short_read &&
         ec != http::error::need_more;
}

// Counts the connections being served; shared by the accept loop and the sessions, and
// touched only on the server's single I/O thread (or after it has been joined).
struct connection_count {
  std::size_t open{0};
  std::uint64_t last_id{0};
};

// Holds one unit of connection_count for the life of a session.
struct connection_slot {
  std::shared_ptr<connection_count> count;
  explicit connection_slot(std::shared_ptr<connection_count> c) noexcept : count(std::move(c)) {}
  connection_slot(connection_slot const&) = delete;
  connection_slot& operator=(connection_slot const&) = delete;
  ~connection_slot() { --count->open; }
};

inline request_record describe(http::request<http::string_body> const& req) {
  auto header = [&req](http::field f) { return std::string(req[f]); };
  return {.method = std::string(req.method_string()),
          .target = std::string(req.target()),
          .content_type = header(http::field::content_type),
          .content_encoding = header(http::field::content_encoding),
          .authorization = header(http::field::authorization),
          .user_agent = header(http::field::user_agent),
          .body_bytes = req.body().size()};
}

// Ends the sending direction of the connection under `stream` (plain or TLS): the client
// reads the answer, then end of stream. (No TLS close_notify: every answer is delimited by
// Content-Length, so a truncation cannot pass for a complete answer.)
template <class Stream>
void shutdown_send(Stream& stream) noexcept {
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Records the answer, then writes it; recording first means a client that has its answer
// always finds the request in the log. Returns false if the connection is finished.
template <class Stream>
asio::awaitable<bool> answer(Stream& stream, ingestion_state& state, request_record record, http_answer res) {
  record.status = static_cast<int>(res.result_int());
  record.response_body = res.body();
  bool const keep_alive = res.keep_alive();
  state.record(std::move(record));
  beast::get_lowest_layer(stream).expires_after(state.options().io_timeout);
  auto const [ec, bytes] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  (void)bytes;
  if (ec || !keep_alive) {
    shutdown_send(stream);
    co_return false;
  }
  co_return true;
}

// After refusing a request mid-upload, reads and discards what the client is still
// sending for a short while: closing with unread data makes the kernel send a reset,
// which can destroy the answer before the client reads it.
template <class Stream>
asio::awaitable<void> linger(Stream& stream) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  std::array<char, 16 * 1024> sink;
  for (;;) {
    auto const [ec, n] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) {
      co_return;
    }
  }
}

// Serves HTTP/1.1 requests on an established `stream` (a beast::tcp_stream, or a
// beast::ssl_stream over one after its handshake) until the peer leaves, an error, or the
// server stops (which destroys the caller's frame mid-await and so closes the socket).
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, std::shared_ptr<ingestion_state> state, std::uint64_t id) {
  auto const& options = state->options();
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options.max_body_bytes);
    lowest.expires_after(options.io_timeout);
    auto const [read_ec, read_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)read_bytes;
    if (read_ec) {
      request_record record = parser.is_header_done() ? describe(parser.get()) : request_record{};
      record.connection_id = id;
      if (read_ec == http::error::body_limit) {
        co_await answer(stream, *state, std::move(record),
                        make_answer(413, whole_request_error(413, "Request body exceeds " + std::to_string(options.max_body_bytes) + " bytes").body, false));
      } else if (read_ec == http::error::header_limit) {
        co_await answer(stream, *state, std::move(record),
                        make_answer(431, whole_request_error(431, "Request headers too large").body, false));
      } else if (is_malformed_http(read_ec)) {
        co_await answer(stream, *state, std::move(record),
                        make_answer(400, whole_request_error(400, "Malformed HTTP request: " + read_ec.message()).body, false));
      } else {
        co_return;
      }
      co_await linger(stream);
      co_return;
    }
    lowest.expires_never();

    auto const& req = parser.get();
    bool const keep_alive = req.keep_alive();
    request_record record = describe(req);
    record.connection_id = id;

    if (!is_track_path(req.target())) {
      auto res = make_answer(404, whole_request_error(404, "Not found: use POST /v2/track or /v2.1/track").body, keep_alive);
      if (!co_await answer(stream, *state, std::move(record), std::move(res))) co_return;
      continue;
    }
    if (req.method() != http::verb::post) {
      auto res = make_answer(405, whole_request_error(405, "Method not allowed: use POST").body, keep_alive);
      res.set(http::field::allow, "POST");
      if (!co_await answer(stream, *state, std::move(record), std::move(res))) co_return;
      continue;
    }

    // Auth comes before anything else the service looks at; a refused request consumes
    // no fault and stores nothing.
    if (is_bearer_path(req.target()) && !state->bearer_authorized(req[http::field::authorization])) {
      auto res = make_answer(401, whole_request_error(401, std::string(unauthorized_message)).body, keep_alive);
      res.set(http::field::www_authenticate, "Bearer");
      if (!co_await answer(stream, *state, std::move(record), std::move(res))) co_return;
      continue;
    }

    std::optional<fault> scripted = state->pop_fault();
    if (scripted) {
      record.fault_kind = scripted->type();
    }
    if (scripted && scripted->type() == fault::kind::delay) {
      asio::steady_timer timer(co_await asio::this_coro::executor, scripted->delay_duration());
      auto const [timer_ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)timer_ec;
      scripted.reset();  // after the wait the request is handled normally
    }
    if (scripted && scripted->type() == fault::kind::drop_connection) {
      state->record(std::move(record));
      beast::error_code ignored;
      lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest.socket().close(ignored);
      co_return;
    }
    if (scripted && scripted->type() == fault::kind::never_answer) {
      state->record(std::move(record));
      // Parks this coroutine on a timer that never fires; stop() destroys the frame,
      // which closes the socket, so the server never waits for the client.
      asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max());
      auto const [forever_ec] = co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)forever_ec;
      co_return;
    }
    if (scripted && scripted->type() == fault::kind::reply) {
      auto res = make_answer(scripted->status_code(), scripted->body(), keep_alive, scripted->retry_after_value());
      if (!co_await answer(stream, *state, std::move(record), std::move(res))) co_return;
      continue;
    }
    if (scripted && scripted->type() == fault::kind::redirect) {
      auto res = make_answer(scripted->status_code(), {}, keep_alive, scripted->retry_after_value());
      res.set(http::field::location, scripted->location());
      if (!co_await answer(stream, *state, std::move(record), std::move(res))) co_return;
      continue;
    }

    std::optional<http_answer> res;
    try {
      auto result = ingest(*state, req[http::field::content_encoding], req.body(), scripted ? &*scripted : nullptr);
      record.items_received = result.items_received;
      record.items_accepted = result.items_accepted;
      res = make_answer(result.status, std::move(result.body), keep_alive,
                        scripted ? scripted->retry_after_value() : std::nullopt);
    } catch (std::exception const& e) {
      // Out of memory on a hostile body must cost one request, not the server.
      res = make_answer(500, whole_request_error(500, std::string("Internal error: ") + e.what()).body, false);
    }
    if (!co_await answer(stream, *state, std::move(record), std::move(*res))) co_return;
  }
}

// Serves one plain-HTTP connection.
inline asio::awaitable<void> serve_connection(tcp::socket socket, std::shared_ptr<ingestion_state> state,
                                              std::shared_ptr<connection_count> count, std::uint64_t id) {
  connection_slot const slot{std::move(count)};
  beast::tcp_stream stream(std::move(socket));
  co_await serve_requests(stream, std::move(state), id);
}

// How ingestion_server serves an accepted connection: the choice of transport (cleartext
// here, TLS in tls_session.hpp) as an object, so the server itself is not a template and
// its code compiles once (src.hpp). Shared by the server and its accept loop.
class session_factory {
public:
  virtual ~session_factory() = default;
  // endpoint()'s scheme: "http" or "https".
  virtual char const* scheme() const noexcept = 0;
  // The session coroutine for `socket`, which owns copies of everything it uses.
  virtual asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ingestion_state> state,
                                      std::shared_ptr<connection_count> count, std::uint64_t id) const = 0;
};

// Cleartext HTTP.
class plain_session_factory final : public session_factory {
public:
  char const* scheme() const noexcept override { return "http"; }
  asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ingestion_state> state,
                              std::shared_ptr<connection_count> count, std::uint64_t id) const override {
    return serve_connection(std::move(socket), std::move(state), std::move(count), id);
  }
};

// Accepts connections until the acceptor is closed or the server stops, and hands each to
// `sessions`, which returns its session coroutine. Connections beyond the cap are closed at
// once, which a client sees as a network error.
inline asio::awaitable<void> accept_loop(tcp::acceptor acceptor, std::shared_ptr<ingestion_state> state,
                                         std::shared_ptr<session_factory const> sessions) {
  auto count = std::make_shared<connection_count>();
  auto const executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // Out of descriptors: back off briefly instead of spinning, keep serving the rest.
      asio::steady_timer backoff(executor, std::chrono::milliseconds(50));
      auto const [backoff_ec] = co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)backoff_ec;
      continue;
    }
    if (count->open >= state->options().max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++count->open;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(executor, sessions->serve(std::move(socket), state, count, ++count->last_id), asio::detached);
  }
}

}  // namespace onefuzz::telemetry::testing::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
