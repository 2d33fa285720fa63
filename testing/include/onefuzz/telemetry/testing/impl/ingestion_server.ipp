// ingestion_server's definitions: included at the bottom of ingestion_server.hpp
// (header-only), or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include "onefuzz/telemetry/detail/config.hpp"
#include "onefuzz/telemetry/testing/detail/envelope_rules.hpp"
#include "onefuzz/telemetry/testing/detail/http_session.hpp"
#include "onefuzz/telemetry/testing/detail/ingestion_state.hpp"
#include "onefuzz/telemetry/testing/ingestion_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace onefuzz::telemetry::testing {

struct ingestion_server::impl {
  std::shared_ptr<detail::ingestion_state> state;
  std::string scheme;
  std::string host;
  std::uint16_t port{0};
  std::mutex stop_mutex;
  std::unique_ptr<boost::asio::io_context> ioc;
  std::thread thread;
};

ONEFUZZ_TELEMETRY_DECL
ingestion_server::ingestion_server(ingestion_server_options options)
    : ingestion_server(std::move(options), std::make_shared<detail::plain_session_factory const>()) {}

ONEFUZZ_TELEMETRY_DECL
ingestion_server::ingestion_server(ingestion_server_options options,
                                   std::shared_ptr<detail::session_factory const> sessions)
    : impl_(std::make_unique<impl>()) {
  impl_->scheme = sessions->scheme();
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
  impl_->host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  impl_->state = std::make_shared<detail::ingestion_state>(std::move(options));
  // One thread is enough: every wait (delay, never_answer, slow peers) is asynchronous.
  impl_->ioc = std::make_unique<boost::asio::io_context>(1);
  detail::tcp::acceptor acceptor(*impl_->ioc);
  detail::tcp::endpoint const where(address, impl_->state->options().port);
  acceptor.open(where.protocol());
  acceptor.set_option(detail::tcp::acceptor::reuse_address(true));
  acceptor.bind(where);
  acceptor.listen();
  impl_->port = acceptor.local_endpoint().port();
  boost::asio::co_spawn(*impl_->ioc, detail::accept_loop(std::move(acceptor), impl_->state, std::move(sessions)),
                        boost::asio::detached);
  impl_->thread = std::thread([ioc = impl_->ioc.get()] {
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

ONEFUZZ_TELEMETRY_DECL
ingestion_server::~ingestion_server() { stop(); }

ONEFUZZ_TELEMETRY_DECL
void ingestion_server::stop() noexcept {
  std::lock_guard const lock(impl_->stop_mutex);
  if (!impl_->ioc) {
    return;
  }
  impl_->ioc->stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
  // Destroying the context destroys the suspended session coroutines, whose sockets
  // close as they go: clients see the connection end instead of hanging.
  impl_->ioc.reset();
}

ONEFUZZ_TELEMETRY_DECL
std::uint16_t ingestion_server::port() const noexcept { return impl_->port; }

ONEFUZZ_TELEMETRY_DECL
std::string ingestion_server::endpoint() const {
  return impl_->scheme + "://" + impl_->host + ":" + std::to_string(impl_->port);
}

ONEFUZZ_TELEMETRY_DECL
std::string ingestion_server::track_url() const { return endpoint() + "/v2.1/track"; }

ONEFUZZ_TELEMETRY_DECL
std::string ingestion_server::connection_string(std::string_view ikey) const {
  accept_key(ikey);
  return "InstrumentationKey=" + std::string(ikey) + ";IngestionEndpoint=" + endpoint() + "/";
}

ONEFUZZ_TELEMETRY_DECL
void ingestion_server::accept_key(std::string_view ikey) const { impl_->state->accept_key(ikey); }

ONEFUZZ_TELEMETRY_DECL
void ingestion_server::script(std::vector<fault> faults) { impl_->state->push_faults(std::move(faults)); }

ONEFUZZ_TELEMETRY_DECL
std::size_t ingestion_server::pending_faults() const { return impl_->state->pending_faults(); }

ONEFUZZ_TELEMETRY_DECL
void ingestion_server::clear_script() { impl_->state->clear_faults(); }

ONEFUZZ_TELEMETRY_DECL
std::size_t ingestion_server::requests_served() const { return impl_->state->requests_served(); }

ONEFUZZ_TELEMETRY_DECL
std::vector<request_record> ingestion_server::requests() const { return impl_->state->requests(); }

ONEFUZZ_TELEMETRY_DECL
bool ingestion_server::wait_for_requests(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
  return impl_->state->wait_for_requests(n, deadline);
}

ONEFUZZ_TELEMETRY_DECL
std::vector<boost::json::object> ingestion_server::accepted(std::string_view ikey) const {
  return impl_->state->accepted(ikey);
}

ONEFUZZ_TELEMETRY_DECL
std::size_t ingestion_server::accepted_count(std::string_view ikey) const {
  return impl_->state->accepted_count(ikey);
}

ONEFUZZ_TELEMETRY_DECL
bool ingestion_server::wait_for_accepted(std::string_view ikey, std::size_t n,
                                         std::chrono::steady_clock::time_point deadline) const {
  return impl_->state->wait_for_accepted(ikey, n, deadline);
}

ONEFUZZ_TELEMETRY_DECL
std::filesystem::path ingestion_server::store_file(std::string_view ikey) const {
  auto const& dir = impl_->state->options().store_directory;
  return dir.empty() ? std::filesystem::path{} : dir / (detail::normalize_ikey(ikey) + ".jsonl");
}

}  // namespace onefuzz::telemetry::testing
