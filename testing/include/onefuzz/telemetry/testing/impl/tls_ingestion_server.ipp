// tls_ingestion_server's definitions: included at the bottom of tls_ingestion_server.hpp
// (header-only), or by src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION). Asio's
// OpenSSL stream: the translation unit needs OpenSSL 3's headers.
#pragma once

#include "onefuzz/telemetry/detail/config.hpp"
#include "onefuzz/telemetry/testing/detail/tls_session.hpp"
#include "onefuzz/telemetry/testing/tls_ingestion_server.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

#include <utility>

namespace onefuzz::telemetry::testing {

namespace detail {

// A TLS 1.2+ server context presenting `identity`.
ONEFUZZ_TELEMETRY_DECL
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(pem_credentials const& identity) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  context->use_certificate_chain(boost::asio::buffer(identity.certificate_pem));
  context->use_private_key(boost::asio::buffer(identity.private_key_pem), ssl::context::pem);
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    throw boost::system::system_error(boost::asio::error::invalid_argument,
                                      "tls_ingestion_server: the private key does not match the certificate");
  }
  return context;
}

}  // namespace detail

ONEFUZZ_TELEMETRY_DECL
tls_ingestion_server::tls_ingestion_server(pem_credentials const& identity, ingestion_server_options options)
    : tls_ingestion_server(std::make_shared<detail::tls_handshake_log>(), identity, std::move(options)) {}

ONEFUZZ_TELEMETRY_DECL
tls_ingestion_server::tls_ingestion_server(std::shared_ptr<detail::tls_handshake_log> handshakes,
                                           pem_credentials const& identity, ingestion_server_options options)
    : ingestion_server(std::move(options), std::make_shared<detail::tls_session_factory const>(
                                               detail::make_server_tls_context(identity), handshakes)),
      handshakes_(std::move(handshakes)) {}

ONEFUZZ_TELEMETRY_DECL
tls_ingestion_server::~tls_ingestion_server() { stop(); }

ONEFUZZ_TELEMETRY_DECL
std::size_t tls_ingestion_server::handshakes_completed() const { return handshakes_->completed_count(); }

ONEFUZZ_TELEMETRY_DECL
std::size_t tls_ingestion_server::handshakes_failed() const { return handshakes_->failed_count(); }

ONEFUZZ_TELEMETRY_DECL
std::vector<std::string> tls_ingestion_server::handshake_errors() const { return handshakes_->errors(); }

ONEFUZZ_TELEMETRY_DECL
bool tls_ingestion_server::wait_for_handshakes(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
  return handshakes_->wait_for(n, deadline);
}

}  // namespace onefuzz::telemetry::testing
