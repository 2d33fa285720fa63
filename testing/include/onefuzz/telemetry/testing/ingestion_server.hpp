// An in-process Application Insights ingestion endpoint on loopback: it validates and
// answers like the service, stores what it accepts, and misbehaves on a script.
#pragma once

#include "onefuzz/telemetry/testing/detail/envelope_rules.hpp"
#include "onefuzz/telemetry/testing/detail/http_session.hpp"
#include "onefuzz/telemetry/testing/detail/ingestion_state.hpp"
#include "onefuzz/telemetry/testing/fault.hpp"
#include "onefuzz/telemetry/testing/ingestion_server_options.hpp"
#include "onefuzz/telemetry/testing/request_record.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::testing {

// Serves POST /v2/track, /v2.1/track and //v2.1/track on a loopback port from its own
// thread, in plain HTTP (tls_ingestion_server.hpp serves the same over HTTPS). Only known
// instrumentation keys are accepted (options.accepted_keys, accept_key, connection_string).
// All member functions are thread-safe.
class ingestion_server {
public:
  // Binds and starts serving before returning, so endpoint() is usable at once. Throws
  // std::invalid_argument if `options.address` is not a loopback IP literal,
  // boost::system::system_error if the port cannot be bound, and
  // std::filesystem::filesystem_error if the store directory cannot be created.
  explicit ingestion_server(ingestion_server_options options = {})
      : ingestion_server(std::move(options), detail::plain_transport{}) {}

protected:
  // For a server over another transport (tls_ingestion_server): `transport(socket, state,
  // count, id)` returns the session coroutine of one accepted connection, and
  // Transport::scheme is endpoint()'s scheme. The transport is copied into the I/O thread.
  template <class Transport>
  ingestion_server(ingestion_server_options options, Transport transport) : scheme_(Transport::scheme) {
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(options.address, ec);
    if (ec) {
      throw std::invalid_argument("ingestion_server: '" + options.address +
                                  "' is not an IP address; bind 127.0.0.1 or ::1");
    }
    if (!address.is_loopback()) {
      throw std::invalid_argument("ingestion_server: refusing to bind non-loopback address '" + options.address +
                                  "'; the test server must not be reachable from the network");
    }
    if (!options.store_directory.empty()) {
      std::filesystem::create_directories(options.store_directory);
    }
    host_ = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    state_ = std::make_shared<detail::ingestion_state>(std::move(options));
    // One thread is enough: every wait (delay, never_answer, slow peers) is asynchronous.
    ioc_ = std::make_unique<boost::asio::io_context>(1);
    detail::tcp::acceptor acceptor(*ioc_);
    detail::tcp::endpoint const where(address, state_->options().port);
    acceptor.open(where.protocol());
    acceptor.set_option(detail::tcp::acceptor::reuse_address(true));
    acceptor.bind(where);
    acceptor.listen();
    port_ = acceptor.local_endpoint().port();
    boost::asio::co_spawn(*ioc_, detail::accept_loop(std::move(acceptor), state_, std::move(transport)),
                          boost::asio::detached);
    thread_ = std::thread([ioc = ioc_.get()] {
      // Handlers do not throw (sessions catch), but if one ever did, keep serving.
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
        }
      }
    });
  }

public:
  ingestion_server(ingestion_server const&) = delete;
  ingestion_server& operator=(ingestion_server const&) = delete;

  // Stops serving; see stop().
  ~ingestion_server() { stop(); }

  // Stops the I/O thread and closes every connection, including held (never_answer) and
  // delayed ones, without waiting for any client. Idempotent; stored items and the log
  // stay readable afterwards.
  void stop() noexcept {
    std::lock_guard const lock(stop_mutex_);
    if (!ioc_) {
      return;
    }
    ioc_->stop();
    if (thread_.joinable()) {
      thread_.join();
    }
    // Destroying the context destroys the suspended session coroutines, whose sockets
    // close as they go: clients see the connection end instead of hanging.
    ioc_.reset();
  }

  // The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const noexcept { return port_; }

  // "http://127.0.0.1:<port>" (or "http://[::1]:<port>"; "https://..." for
  // tls_ingestion_server), without a trailing slash.
  std::string endpoint() const { return scheme_ + "://" + host_ + ":" + std::to_string(port_); }

  // endpoint() + "/v2.1/track", the path current SDKs post to.
  std::string track_url() const { return endpoint() + "/v2.1/track"; }

  // A connection string for `ikey` pointing at this server, in the portal's form
  // (trailing '/' on the endpoint, as real strings have). Also makes `ikey` a known key
  // (see accept_key): handing a client a key for this server configures the server for it.
  std::string connection_string(std::string_view ikey) const {
    accept_key(ikey);
    return "InstrumentationKey=" + std::string(ikey) + ";IngestionEndpoint=" + endpoint() + "/";
  }

  // Makes `ikey` known (case-insensitively) from the next request on, as if it had been in
  // options.accepted_keys. Items for keys never made known get a per-item 400
  // "Invalid instrumentation key", as the service answers.
  void accept_key(std::string_view ikey) const { state_->accept_key(ikey); }

  // Appends faults, applied one per ingestion request in order.
  void script(std::vector<fault> faults) { state_->push_faults(std::move(faults)); }

  // Scripted faults not yet consumed.
  std::size_t pending_faults() const { return state_->pending_faults(); }

  // Drops the faults not yet consumed.
  void clear_script() { state_->clear_faults(); }

  // Requests logged so far: every answer (404, 405, 413 and malformed ones included) and
  // every request deliberately left unanswered. Exact, never trimmed.
  std::size_t requests_served() const { return state_->requests_served(); }

  // The request log, oldest first (the last options.max_log_entries).
  std::vector<request_record> requests() const { return state_->requests(); }

  // Blocks until requests_served() >= n or the deadline; returns whether it got there.
  bool wait_for_requests(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    return state_->wait_for_requests(n, deadline);
  }

  // Accepted items for `ikey` (case-insensitive), in arrival order.
  std::vector<boost::json::object> accepted(std::string_view ikey) const { return state_->accepted(ikey); }

  // Items ever accepted for `ikey` (exact even when memory keeps fewer).
  std::size_t accepted_count(std::string_view ikey) const { return state_->accepted_count(ikey); }

  // Blocks until accepted_count(ikey) >= n or the deadline; returns whether it got there.
  bool wait_for_accepted(std::string_view ikey, std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    return state_->wait_for_accepted(ikey, n, deadline);
  }

  // Where accepted items for `ikey` are appended as JSON lines; empty without a store directory.
  std::filesystem::path store_file(std::string_view ikey) const {
    auto const& dir = state_->options().store_directory;
    return dir.empty() ? std::filesystem::path{} : dir / (detail::normalize_ikey(ikey) + ".jsonl");
  }

private:
  std::shared_ptr<detail::ingestion_state> state_;
  std::string scheme_;
  std::string host_;
  std::uint16_t port_{0};
  std::mutex stop_mutex_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::thread thread_;
};

}  // namespace onefuzz::telemetry::testing
