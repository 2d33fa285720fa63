// The diagnostics channel: how the transport tells its operator why sends fail (connection
// refused, TLS failure, a wrong key answered by 400, a spool that cannot be written), without
// leaking keys, tokens or payloads, and without flooding the log during an outage.
// It follows OpenTelemetry C++'s global log handler (a replaceable sink, warning and above by
// default, on stderr, a no-op handler to turn it off) and the Application Insights SDKs'
// internal logging (the SDK's own failures on a throttled channel apart from the telemetry).
// No libcurl include: the sender passes CURLcode values as ints.
#pragma once

#include <onefuzz/telemetry/detail/config.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

// Which destination a record is about; none for process-wide records (configuration).
enum class diagnostic_destination { none, instance, central };
enum class diagnostic_severity { info, warning, error };
enum class diagnostic_kind {
  configuration,       // a setting that cannot work (refused cleartext, missing token, bad URL)
  connection_failed,   // DNS, connect, reset: no HTTP answer
  tls_failed,          // handshake or certificate verification (e.g. https:// to a plain HTTP port)
  timed_out,           // connect or total timeout spent
  http_status,         // an HTTP answer that is not success (400 wrong key, 403, 5xx, 439)
  retry_scheduled,     // a batch will be sent again after `delay`
  partial_acceptance,  // 206/500 with per-item errors: `count` items were refused
  spool_read_failed,   // a spool file could not be read back (corrupt, unreadable)
  spool_write_failed,  // a batch could not be written to the spool
  dropped,             // `count` items were lost (see the sender's drop_reason counters)
  shutdown_leftovers,  // items still unsent when shutdown reached its deadline
};

inline constexpr std::size_t diagnostic_destination_count = 3;
inline constexpr std::size_t diagnostic_kind_count = 11;

// Stable names for lines and handlers; "unknown" for a value out of range.
constexpr std::string_view to_string(diagnostic_destination destination) noexcept {
  constexpr std::array<std::string_view, diagnostic_destination_count> names = {"none", "instance", "central"};
  const auto index = static_cast<std::size_t>(destination);
  return index < names.size() ? names[index] : "unknown";
}
constexpr std::string_view to_string(diagnostic_severity severity) noexcept {
  constexpr std::array<std::string_view, 3> names = {"info", "warning", "error"};
  const auto index = static_cast<std::size_t>(severity);
  return index < names.size() ? names[index] : "unknown";
}
constexpr std::string_view to_string(diagnostic_kind kind) noexcept {
  constexpr std::array<std::string_view, diagnostic_kind_count> names = {
      "configuration",      "connection_failed", "tls_failed",         "timed_out", "http_status",
      "retry_scheduled",    "partial_acceptance", "spool_read_failed", "spool_write_failed", "dropped",
      "shutdown_leftovers"};
  const auto index = static_cast<std::size_t>(kind);
  return index < names.size() ? names[index] : "unknown";
}

// One thing the operator should know. Text fields never hold payload text; the channel
// sanitizes `message` and `detail` again before any handler sees them.
struct diagnostic {
  diagnostic_destination destination = diagnostic_destination::none;
  diagnostic_severity severity = diagnostic_severity::warning;
  diagnostic_kind kind = diagnostic_kind::configuration;
  std::string message;                 // one line: "connection refused by 127.0.0.1:1 (17 attempts)"
  int http_status = 0;                 // 0: no HTTP answer
  int transport_code = 0;              // libcurl's CURLcode as int; 0: none
  std::string detail;                  // libcurl's error text or the server's first error message
  std::uint64_t count = 0;             // items affected
  std::chrono::milliseconds delay{0};  // retry delay (retry_scheduled)
  std::uint64_t suppressed = 0;        // records of this kind and destination withheld since the last one delivered
};

// What per-destination statistics keep of the most recent failure.
struct last_failure {
  std::chrono::system_clock::time_point time{};
  diagnostic_kind kind = diagnostic_kind::configuration;
  int http_status = 0;
  int transport_code = 0;
  std::string detail;  // sanitized
};

// Longest sanitized text, and longest formatted line, in bytes: long enough for libcurl's
// messages (CURL_ERROR_SIZE is 256) and a server's error, short enough for one log line.
inline constexpr std::size_t max_diagnostic_text_bytes = 512;
inline constexpr std::size_t max_diagnostic_line_bytes = 512;
inline constexpr std::string_view diagnostic_redacted = "<redacted>";

namespace detail {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f');
}
constexpr bool is_word_char(char c) noexcept {
  return is_hex_digit(c) || (ascii_lower(c) >= 'g' && ascii_lower(c) <= 'z') || c == '_';
}

// 36 when a GUID (8-4-4-4-12 hex digits) starts at `at`, else 0. Instrumentation keys are
// GUIDs; any GUID is redacted whatever surrounds it, since a key glued to other text is
// still a key.
constexpr std::size_t guid_length_at(std::string_view text, std::size_t at) noexcept {
  if (text.size() - at < 36) return 0;
  for (std::size_t i = 0; i < 36; ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[at + i] != '-' : !is_hex_digit(text[at + i])) return 0;
  }
  return 36;
}

// True when `word` starts at `at` (case-insensitively) and does not continue another word.
constexpr bool word_at(std::string_view text, std::size_t at, std::string_view word) noexcept {
  if (text.size() - at < word.size() || (at > 0 && is_word_char(text[at - 1]))) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (ascii_lower(text[at + i]) != word[i]) return false;
  return true;
}

// Names whose value is a secret: after '=' or ':' (connection strings, JSON, HTTP headers, SAS
// query strings), or after blanks for "Bearer <token>". `runs_to_line_end`: blanks do not end
// the value, as in an Authorization header's "Bearer x" or "SharedKey a:b".
struct secret_name { std::string_view name; bool runs_to_line_end = false; bool follows_blanks = false; };
inline constexpr std::array<secret_name, 8> secret_names = {
    {{"instrumentationkey"}, {"ikey"}, {"authorization", true}, {"access_token"}, {"apikey"}, {"password"},
     {"sig"}, {"bearer", false, true}}};

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// Where the secret's value starts (past quotes, blanks and one ':' or '='), or npos when no
// separator follows, i.e. the name is just a word in a sentence.
constexpr std::size_t value_start(std::string_view text, std::size_t at, const secret_name& secret) noexcept {
  auto skip = [&](bool quotes) {
    const std::size_t from = at;
    while (at < text.size() && (is_blank(text[at]) || (quotes && (text[at] == '"' || text[at] == '\'')))) ++at;
    return at > from;
  };
  if (secret.follows_blanks) return skip(false) ? at : std::string_view::npos;
  skip(true);
  if (at >= text.size() || (text[at] != '=' && text[at] != ':')) return std::string_view::npos;
  ++at;
  skip(true);
  return at;
}

// Where the value ends: a quote, a list separator, a line break, or a blank unless runs_to_line_end.
constexpr std::size_t value_end(std::string_view text, std::size_t at, bool runs_to_line_end) noexcept {
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == '"' || c == '\'' || c == ';' || c == ',' ||
        c == '&' || c == '}' || (!runs_to_line_end && is_blank(c)))
      break;
  }
  return at;
}

// Cuts `text` to at most `max_bytes` on a UTF-8 boundary, ending it with "..." so a reader
// knows it was cut (also when `was_cut` says its source was already longer). `text` must be
// valid UTF-8.
ONEFUZZ_TELEMETRY_DECL void cut_utf8(std::string& text, std::size_t max_bytes, bool was_cut = false);

// Appends the character at text[at] made safe for one log line; returns the bytes consumed.
// Controls (C0, DEL, C1) and the characters that break or reorder lines (U+2028, U+2029, bidi
// overrides and isolates) become one space; ill-formed UTF-8 becomes U+FFFD.
ONEFUZZ_TELEMETRY_DECL std::size_t append_flattened(std::string& out, std::string_view text, std::size_t at);

}  // namespace detail

// Makes text that came from outside (a server's body, libcurl's message) fit for a log line:
// GUIDs (instrumentation keys) and the values of InstrumentationKey=, iKey, Authorization,
// access_token, apikey, password and sig (SAS) become "<redacted>", as does the token after
// "Bearer "; controls become spaces; ill-formed UTF-8 becomes U+FFFD; the result is at most
// `max_bytes`, cut on a UTF-8 boundary. Work is bounded by the output size plus one pass over
// the input. This is a safety net, not a licence: callers must never pass payload text
// (event properties, batch bodies), since a payload's secrets have no recognisable shape.
ONEFUZZ_TELEMETRY_DECL std::string sanitize_diagnostic_text(
    std::string_view text, std::size_t max_bytes = max_diagnostic_text_bytes);

// One line, no newline: "onefuzz-telemetry: error: instance: connection refused by 127.0.0.1:1
// (17 attempts): <detail> (3 similar suppressed)"; no destination part when it is none. At most
// max_diagnostic_line_bytes; the suppressed count survives the cut.
ONEFUZZ_TELEMETRY_DECL std::string format_diagnostic(const diagnostic& record);

// The default handler: the formatted line and '\n' in one fwrite, so lines from several
// threads (stdio locks the stream per call) do not interleave.
ONEFUZZ_TELEMETRY_DECL void write_diagnostic_to_stderr(const diagnostic& record);

// A handler that ignores every record: diagnostics_options::off() uses it.
inline void discard_diagnostic(const diagnostic&) noexcept {}

struct diagnostics_options {
  // Called with every delivered record, possibly from several threads at once (the sender's
  // worker and posting threads), so it must be thread-safe; exceptions it throws are
  // swallowed. Empty: write_diagnostic_to_stderr.
  std::function<void(const diagnostic&)> handler{};
  // Records below this severity are dropped unseen (not counted as suppressed).
  diagnostic_severity minimum = diagnostic_severity::warning;
  // At most one record per kind and destination in this window; zero or less: no limit.
  // During an outage the sender fails every few seconds; 30 s keeps a log readable.
  std::chrono::milliseconds rate_limit{std::chrono::seconds{30}};

  // Turns diagnostics off: nothing is written anywhere.
  static diagnostics_options off() { return {.handler = &discard_diagnostic}; }
};

// The kind of a failed post without an HTTP answer, from libcurl's CURLcode (curl.h's values).
constexpr diagnostic_kind transport_failure_kind(int curl_code) noexcept {
  switch (curl_code) {
    case 28: return diagnostic_kind::timed_out;  // CURLE_OPERATION_TIMEDOUT
    // CURLE_SSL_CONNECT_ERROR (35; also OpenSSL's "wrong version number" from a plain HTTP
    // port), then the engine, certificate, cipher, CA file, CRL, issuer, pin, client-cert errors.
    case 35: case 53: case 54: case 58: case 59: case 60: case 64: case 66: case 77: case 80: case 82: case 83:
    case 90: case 91: case 98: return diagnostic_kind::tls_failed;
    // Unsupported protocol, malformed URL, a policy callback's refusal, a redirect loop.
    case 1: case 3: case 42: case 47: return diagnostic_kind::configuration;
    default: return diagnostic_kind::connection_failed;  // resolve (5, 6), connect (7), send/recv (55, 56), ...
  }
}

// Delivers records to the handler, filtered by severity and rate-limited per kind and
// destination. Thread-safe; report() never throws and never lets a handler's exception out,
// since it runs on the sender's threads.
class diagnostics_channel {
 public:
  using clock = std::chrono::steady_clock;
  using clock_function = std::function<clock::time_point()>;

  // `now` is injectable for tests; it may be called from several threads at once.
  explicit diagnostics_channel(diagnostics_options options = {}, clock_function now = &clock::now)
      : options_(std::move(options)), now_(now ? std::move(now) : clock_function(&clock::now)) {}

  // True when a record of this severity would be considered: a caller may skip building it.
  [[nodiscard]] bool wants(diagnostic_severity severity) const noexcept {
    return static_cast<int>(severity) >= static_cast<int>(options_.minimum);
  }

  // Delivers the record, or counts it as suppressed when one of its kind and destination was
  // delivered less than rate_limit ago; the next delivered one carries the count.
  ONEFUZZ_TELEMETRY_DECL void report(diagnostic record) noexcept;

  // Delivers, for each kind and destination with suppressed records, the most recent one,
  // its `suppressed` counting the others; for shutdown, so no count is lost.
  ONEFUZZ_TELEMETRY_DECL void flush_suppressed() noexcept;

 private:
  static constexpr std::size_t slot_count = diagnostic_destination_count * diagnostic_kind_count;

  struct slot {
    std::optional<clock::time_point> last_delivered;
    std::uint64_t pending = 0;          // suppressed since the last delivery
    std::optional<diagnostic> latest;   // the most recent of them
  };

  // Nullptr for an enum value out of range: such a record is delivered unlimited.
  slot* slot_for(const diagnostic& record) noexcept {
    const auto destination = static_cast<std::size_t>(record.destination);
    const auto kind = static_cast<std::size_t>(record.kind);
    if (destination >= diagnostic_destination_count || kind >= diagnostic_kind_count) return nullptr;
    return &slots_[destination * diagnostic_kind_count + kind];
  }

  // Outside the lock: a slow handler must not hold up other threads' bookkeeping.
  ONEFUZZ_TELEMETRY_DECL void deliver(diagnostic& record) noexcept;

  const diagnostics_options options_;
  const clock_function now_;
  std::mutex mutex_;
  std::array<slot, slot_count> slots_{};
};

// What statistics keep of a failure: its kind, codes and sanitized detail.
ONEFUZZ_TELEMETRY_DECL last_failure to_last_failure(const diagnostic& record,
                                                              std::chrono::system_clock::time_point when);

}  // namespace onefuzz::telemetry::transport

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/diagnostics.ipp>
#endif
