// An in-process Application Insights ingestion endpoint on loopback: it validates and
// answers like the service, stores what it accepts, and misbehaves on a script.
//
// Header-only by default; with ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION this header only
// declares, and the definitions (impl/ingestion_server.ipp) come from one translation
// unit that includes <onefuzz/telemetry/testing/src.hpp> (docs/separate-compilation.md).
#pragma once

#include "onefuzz/telemetry/detail/config.hpp"
#include "onefuzz/telemetry/testing/fault.hpp"
#include "onefuzz/telemetry/testing/ingestion_server_options.hpp"
#include "onefuzz/telemetry/testing/request_record.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace onefuzz::telemetry::testing {

namespace detail {
class session_factory;  // detail/http_session.hpp
}  // namespace detail

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
  explicit ingestion_server(ingestion_server_options options = {});

protected:
  // For a server over another transport (tls_ingestion_server): `sessions` serves each
  // accepted connection and names endpoint()'s scheme; the I/O thread shares it.
  ingestion_server(ingestion_server_options options, std::shared_ptr<detail::session_factory const> sessions);

public:
  ingestion_server(ingestion_server const&) = delete;
  ingestion_server& operator=(ingestion_server const&) = delete;

  // Stops serving; see stop().
  ~ingestion_server();

  // Stops the I/O thread and closes every connection, including held (never_answer) and
  // delayed ones, without waiting for any client. Idempotent; stored items and the log
  // stay readable afterwards.
  void stop() noexcept;

  // The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const noexcept;

  // "http://127.0.0.1:<port>" (or "http://[::1]:<port>"; "https://..." for
  // tls_ingestion_server), without a trailing slash.
  std::string endpoint() const;

  // endpoint() + "/v2.1/track", the path current SDKs post to.
  std::string track_url() const;

  // A connection string for `ikey` pointing at this server, in the portal's form
  // (trailing '/' on the endpoint, as real strings have). Also makes `ikey` a known key
  // (see accept_key): handing a client a key for this server configures the server for it.
  std::string connection_string(std::string_view ikey) const;

  // Makes `ikey` known (case-insensitively) from the next request on, as if it had been in
  // options.accepted_keys. Items for keys never made known get a per-item 400
  // "Invalid instrumentation key", as the service answers.
  void accept_key(std::string_view ikey) const;

  // Appends faults, applied one per ingestion request in order.
  void script(std::vector<fault> faults);

  // Scripted faults not yet consumed.
  std::size_t pending_faults() const;

  // Drops the faults not yet consumed.
  void clear_script();

  // Requests logged so far: every answer (404, 405, 413 and malformed ones included) and
  // every request deliberately left unanswered. Exact, never trimmed.
  std::size_t requests_served() const;

  // The request log, oldest first (the last options.max_log_entries).
  std::vector<request_record> requests() const;

  // Blocks until requests_served() >= n or the deadline; returns whether it got there.
  bool wait_for_requests(std::size_t n, std::chrono::steady_clock::time_point deadline) const;

  // Accepted items for `ikey` (case-insensitive), in arrival order.
  std::vector<boost::json::object> accepted(std::string_view ikey) const;

  // Items ever accepted for `ikey` (exact even when memory keeps fewer).
  std::size_t accepted_count(std::string_view ikey) const;

  // Blocks until accepted_count(ikey) >= n or the deadline; returns whether it got there.
  bool wait_for_accepted(std::string_view ikey, std::size_t n, std::chrono::steady_clock::time_point deadline) const;

  // Where accepted items for `ikey` are appended as JSON lines; empty without a store directory.
  std::filesystem::path store_file(std::string_view ikey) const;

private:
  // The state, the I/O context and its thread (impl/ingestion_server.ipp): behind a
  // pointer so that this header needs neither Asio nor the server's internals.
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace onefuzz::telemetry::testing

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include "onefuzz/telemetry/testing/impl/ingestion_server.ipp"
#endif
