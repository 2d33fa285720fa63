// The loopback ingestion server over HTTPS: the same contract, fault script, request log
// and store as ingestion_server, behind a TLS handshake with a certificate the test
// chooses (test_certificates.hpp makes them). For proving the client's TLS verification:
// an unknown CA, a name mismatch or a cleartext client must never get a request through.
// Needs OpenSSL 3 (link OpenSSL::SSL and OpenSSL::Crypto).
//
// Header-only by default; with ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION this header only
// declares, and the definitions (impl/tls_ingestion_server.ipp) come from the one
// translation unit that includes <onefuzz/telemetry/testing/src.hpp>.
#pragma once

#include "onefuzz/telemetry/detail/config.hpp"
#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/testing/ingestion_server_options.hpp"
#include "onefuzz/telemetry/testing/test_certificates.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace onefuzz::telemetry::testing {

namespace detail {
class tls_handshake_log;  // detail/tls_session.hpp
}  // namespace detail

// Serves the ingestion contract over TLS 1.2+ on a loopback port; endpoint() and
// track_url() are https:// URLs. All member functions are thread-safe.
class tls_ingestion_server final : public ingestion_server {
public:
  // Presents `identity` (leaf first, then its chain; the key must match the leaf). Throws
  // boost::system::system_error if the certificate or key is unusable, and whatever
  // ingestion_server's constructor throws.
  explicit tls_ingestion_server(pem_credentials const& identity, ingestion_server_options options = {});

  // Stops serving (see ingestion_server::stop) before the TLS state goes away.
  ~tls_ingestion_server();

  tls_ingestion_server(tls_ingestion_server const&) = delete;
  tls_ingestion_server& operator=(tls_ingestion_server const&) = delete;

  // Handshakes that succeeded: the client accepted the certificate at the TLS level. (A
  // client that checks the host name itself, as libcurl does, may still hang up after this.)
  std::size_t handshakes_completed() const;

  // Handshakes that failed, e.g. the client rejected the certificate with an alert, or
  // sent cleartext HTTP to this port.
  std::size_t handshakes_failed() const;

  // Why handshakes failed, oldest first, as OpenSSL words it ("tlsv1 alert unknown ca",
  // "http request"); the last 1000 are kept.
  std::vector<std::string> handshake_errors() const;

  // Blocks until handshakes_completed() + handshakes_failed() >= n or the deadline; returns
  // whether it got there. The server learns a handshake's fate slightly after the client.
  bool wait_for_handshakes(std::size_t n, std::chrono::steady_clock::time_point deadline) const;

private:
  tls_ingestion_server(std::shared_ptr<detail::tls_handshake_log> handshakes, pem_credentials const& identity,
                       ingestion_server_options options);

  std::shared_ptr<detail::tls_handshake_log> handshakes_;
};

}  // namespace onefuzz::telemetry::testing

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include "onefuzz/telemetry/testing/impl/tls_ingestion_server.ipp"
#endif
