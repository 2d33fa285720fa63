// The HTTPS side of the loopback ingestion server: a TLS handshake (Asio's OpenSSL stream)
// in front of the same request loop the plain server runs (http_session.hpp), and a log of
// handshakes so tests can tell "refused during TLS" from "never connected".
#pragma once

#include "onefuzz/telemetry/testing/detail/http_session.hpp"
#include "onefuzz/telemetry/testing/detail/ingestion_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace onefuzz::telemetry::testing::detail {

// Outcomes of the server side of TLS handshakes, written on the I/O thread and read by
// tests from any thread.
class tls_handshake_log {
public:
  void completed() {
    {
      std::lock_guard const lock(mutex_);
      ++completed_;
    }
    changed_.notify_all();
  }

  void failed(std::string reason) {
    {
      std::lock_guard const lock(mutex_);
      ++failed_;
      errors_.push_back(std::move(reason));
      while (errors_.size() > max_errors) {
        errors_.pop_front();
      }
    }
    changed_.notify_all();
  }

  std::size_t completed_count() const {
    std::lock_guard const lock(mutex_);
    return completed_;
  }

  std::size_t failed_count() const {
    std::lock_guard const lock(mutex_);
    return failed_;
  }

  std::vector<std::string> errors() const {
    std::lock_guard const lock(mutex_);
    return {errors_.begin(), errors_.end()};
  }

  bool wait_for(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return completed_ + failed_ >= n; });
  }

private:
  static constexpr std::size_t max_errors = 1000;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t completed_{0};
  std::size_t failed_{0};
  std::deque<std::string> errors_;
};

// Serves one connection over TLS: the handshake (bounded by io_timeout), then the same
// request loop as plain HTTP. A failed handshake (the client refused the certificate,
// spoke cleartext, or went away) is logged, not answered: nothing reaches the request log.
inline asio::awaitable<void> serve_tls_connection(tcp::socket socket, std::shared_ptr<asio::ssl::context> context,
                                                  std::shared_ptr<tls_handshake_log> handshakes,
                                                  std::shared_ptr<ingestion_state> state,
                                                  std::shared_ptr<connection_count> count, std::uint64_t id) {
  connection_slot const slot{std::move(count)};
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *context);
  beast::get_lowest_layer(stream).expires_after(state->options().io_timeout);
  auto const [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    handshakes->failed(ec.message());
    co_return;
  }
  handshakes->completed();
  co_await serve_requests(stream, std::move(state), id);
}

// How tls_ingestion_server serves an accepted connection. The context and the log are
// shared with the server object, and outlive it while sessions still run.
class tls_session_factory final : public session_factory {
public:
  tls_session_factory(std::shared_ptr<asio::ssl::context> context, std::shared_ptr<tls_handshake_log> handshakes)
      : context_(std::move(context)), handshakes_(std::move(handshakes)) {}

  char const* scheme() const noexcept override { return "https"; }
  asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ingestion_state> state,
                              std::shared_ptr<connection_count> count, std::uint64_t id) const override {
    return serve_tls_connection(std::move(socket), context_, handshakes_, std::move(state), std::move(count), id);
  }

private:
  std::shared_ptr<asio::ssl::context> context_;
  std::shared_ptr<tls_handshake_log> handshakes_;
};

}  // namespace onefuzz::telemetry::testing::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
