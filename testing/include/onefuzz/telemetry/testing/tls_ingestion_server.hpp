// The loopback ingestion server over HTTPS: the same contract, fault script, request log
// and store as ingestion_server, behind a TLS handshake with a certificate the test
// chooses (test_certificates.hpp makes them). For proving the client's TLS verification:
// an unknown CA, a name mismatch or a cleartext client must never get a request through.
// Needs OpenSSL 3 (link OpenSSL::SSL and OpenSSL::Crypto).
#pragma once

#include "onefuzz/telemetry/testing/detail/tls_session.hpp"
#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/testing/ingestion_server_options.hpp"
#include "onefuzz/telemetry/testing/test_certificates.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::testing {

// Serves the ingestion contract over TLS 1.2+ on a loopback port; endpoint() and
// track_url() are https:// URLs. All member functions are thread-safe.
class tls_ingestion_server final : public ingestion_server {
public:
  // Presents `identity` (leaf first, then its chain; the key must match the leaf). Throws
  // boost::system::system_error if the certificate or key is unusable, and whatever
  // ingestion_server's constructor throws.
  explicit tls_ingestion_server(pem_credentials const& identity, ingestion_server_options options = {})
      : tls_ingestion_server(std::make_shared<detail::tls_handshake_log>(), identity, std::move(options)) {}

  // Stops serving (see ingestion_server::stop) before the TLS state goes away.
  ~tls_ingestion_server() { stop(); }

  tls_ingestion_server(tls_ingestion_server const&) = delete;
  tls_ingestion_server& operator=(tls_ingestion_server const&) = delete;

  // Handshakes that succeeded: the client accepted the certificate at the TLS level. (A
  // client that checks the host name itself, as libcurl does, may still hang up after this.)
  std::size_t handshakes_completed() const { return handshakes_->completed_count(); }

  // Handshakes that failed, e.g. the client rejected the certificate with an alert, or
  // sent cleartext HTTP to this port.
  std::size_t handshakes_failed() const { return handshakes_->failed_count(); }

  // Why handshakes failed, oldest first, as OpenSSL words it ("tlsv1 alert unknown ca",
  // "http request"); the last 1000 are kept.
  std::vector<std::string> handshake_errors() const { return handshakes_->errors(); }

  // Blocks until handshakes_completed() + handshakes_failed() >= n or the deadline; returns
  // whether it got there. The server learns a handshake's fate slightly after the client.
  bool wait_for_handshakes(std::size_t n, std::chrono::steady_clock::time_point deadline) const {
    return handshakes_->wait_for(n, deadline);
  }

private:
  tls_ingestion_server(std::shared_ptr<detail::tls_handshake_log> handshakes, pem_credentials const& identity,
                       ingestion_server_options options)
      : ingestion_server(std::move(options), detail::tls_transport{make_context(identity), handshakes}),
        handshakes_(std::move(handshakes)) {}

  static std::shared_ptr<boost::asio::ssl::context> make_context(pem_credentials const& identity) {
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

  std::shared_ptr<detail::tls_handshake_log> handshakes_;
};

}  // namespace onefuzz::telemetry::testing
