// Defines http_options: the settings of an http_client (timeouts, CA certificates, proxy,
// cleartext policy, answer size), apart from the client so that code that only configures
// a sender does not compile libcurl's header.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace onefuzz::telemetry::transport {

// Client-wide settings. Every field has a safe default, so `http_client{}` or
// `http_client{{.total_timeout = 10s}}` are both complete configurations.
struct http_options {
  // Budget for DNS + TCP connect + TLS handshake of each connection.
  std::chrono::milliseconds connect_timeout{5000};
  // Budget for a whole request, redirects included; post() and get() return (status 0) once it
  // is spent.
  std::chrono::milliseconds total_timeout{30000};
  // PEM file of CA certificates to trust instead of the system store (libcurl's default bundle
  // and its default CA directory, e.g. /etc/ssl/certs, are then both unused); empty keeps
  // libcurl's defaults. Peer and host verification stay on either way.
  std::string ca_file{};
  // The same, given in memory: PEM text of one or more CA certificates (CURLOPT_CAINFO_BLOB,
  // libcurl >= 7.77, copied into libcurl, so the string need not outlive the client). When set
  // it is trusted instead of ca_file and of the system store. Empty: not used. Verification
  // stays on; text that is not PEM makes every https post fail (transport_code 77,
  // CURLE_SSL_CACERT_BADFILE). Neither this nor ca_file applies to an https:// proxy's own
  // certificate, which libcurl verifies against its default bundle.
  std::string ca_pem{};
  // Proxy for every post (CURLOPT_PROXY), as a URL: "http://127.0.0.1:3128",
  // "http://user:password@proxy.corp:8080", "socks5h://...". A scheme-less "host:port" is an
  // HTTP proxy. http:// targets are sent to an HTTP proxy in absolute form; https:// targets go
  // through a CONNECT tunnel, so TLS (and its verification) is still end to end with the
  // ingestion host and the proxy sees only the host name and port.
  // Empty: libcurl's default, which honours the http_proxy / https_proxy / all_proxy (and
  // upper-case) environment variables, unless use_proxy_environment is false.
  // Credentials in this URL are sent to the proxy only; they never appear in http_response::error
  // (they are masked there) or in any other text this client produces. options() returns them.
  std::string proxy{};
  // With an empty `proxy`: true keeps libcurl's reading of the proxy environment variables; false
  // connects directly whatever the environment says. Ignored when `proxy` is set.
  bool use_proxy_environment{true};
  // Hosts reached without the proxy (CURLOPT_NOPROXY): a comma-separated list of host names,
  // domain suffixes, IP addresses or CIDR ranges, or "*" for all. Unset: the no_proxy (NO_PROXY)
  // environment variable applies, also to an explicit `proxy`. "": no exceptions, every post
  // goes through the proxy, loopback included.
  std::optional<std::string> no_proxy{};
  // Plain `http://` is refused unless this is true AND the URL's host and the peer actually
  // connected to are both loopback (the local ingestion server in tests and the demo).
  // No setting allows cleartext, or unverified TLS, to any other host. Through a proxy the
  // peer is the proxy: plain http to a loopback URL is sent only to a loopback proxy (so the
  // cleartext stays on this machine, and the proxy's own "127.0.0.1" is this machine's too);
  // through any other proxy it is refused before a byte of the request is sent.
  bool allow_insecure_http_for_loopback_only{true};
  // Redirect hops followed (the service uses 307/308); the POST body is re-sent on each.
  long max_redirects{10};
  // Response bytes kept; a longer answer fails the post instead of growing memory.
  // Ingestion answers are a few hundred bytes per rejected item.
  std::size_t max_response_bytes{4 * 1024 * 1024};
  // Sent as User-Agent.
  std::string user_agent{"onefuzz-telemetry/0.1"};
};

}  // namespace onefuzz::telemetry::transport
