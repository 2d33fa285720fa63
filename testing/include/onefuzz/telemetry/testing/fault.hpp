// A scripted misbehaviour of the loopback ingestion server: a small value type with one
// named constructor per kind, queued with ingestion_server::script().
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::testing {

// The answer scripted for one item of a batch by fault::partial.
struct item_status {
  std::size_t index;  // position in the request's batch
  int status_code;    // e.g. 408, 429, 500, 503, or 206 ("sampled out")
};

// One scripted answer. Each fault is consumed by exactly one ingestion request (a POST to
// a track path); 404/405 answers do not consume faults.
class fault {
public:
  enum class kind {
    status,           // answer `code` with the service's body shape; store nothing
    partial,          // answer 206: the listed items get their codes, the rest are stored
    delay,            // wait, then process the request normally
    drop_connection,  // read the request, then close the connection without answering
    never_answer,     // read the request and hold the connection until the server stops
    redirect,         // answer `code` (307/308...) with a Location header; store nothing
    reply,            // answer `code` with a verbatim body (hostile replies); store nothing
  };

  // Answers `code` (200..599) with `itemsReceived` = items in the body, `itemsAccepted` 0
  // and one error per item carrying `code`. Throws std::invalid_argument for other codes.
  static fault status(int code) {
    if (code < 200 || code > 599) {
      throw std::invalid_argument("fault::status(code): code must be in 200..599, got " + std::to_string(code));
    }
    fault f(kind::status);
    f.code_ = code;
    return f;
  }

  // Answers 206: each listed index fails with its code (indices past the batch are
  // ignored), every other item is validated and stored as usual.
  static fault partial(std::vector<item_status> items) {
    fault f(kind::partial);
    f.code_ = 206;
    f.items_ = std::move(items);
    return f;
  }

  // Waits `duration` before handling the request normally; lets a test outlast a
  // client's timeout (the items are then still stored, as the real service would).
  static fault delay(std::chrono::milliseconds duration) {
    if (duration.count() < 0) {
      throw std::invalid_argument("fault::delay(duration): duration must not be negative");
    }
    fault f(kind::delay);
    f.delay_ = duration;
    return f;
  }

  // Closes the connection after reading the request. Note: libcurl transparently resends
  // a request once if a *reused* connection yields nothing, so script two of these (or use
  // a fresh connection) to make the client see the failure.
  static fault drop_connection() { return fault(kind::drop_connection); }

  // Keeps the connection open without answering until the server stops; only the
  // client's own timeout gets it out. Never delays stop() or the destructor.
  static fault never_answer() { return fault(kind::never_answer); }

  // Answers `code` with `Location: location` (absolute, or relative to the request).
  // Throws std::invalid_argument unless `code` is 301, 302, 303, 307 or 308.
  static fault redirect(int code, std::string location) {
    if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      throw std::invalid_argument("fault::redirect(code, location): code must be 301/302/303/307/308, got " +
                                  std::to_string(code));
    }
    if (location.empty()) {
      throw std::invalid_argument("fault::redirect(code, location): location must not be empty");
    }
    fault f(kind::redirect);
    f.code_ = code;
    f.location_ = std::move(location);
    return f;
  }

  // Answers `code` (100..999) with `body` verbatim, whatever it holds (garbage, a wrong
  // shape, megabytes): a hostile or broken server. Stores nothing.
  static fault reply(int code, std::string body) {
    if (code < 100 || code > 999) {
      throw std::invalid_argument("fault::reply(code, body): code must be in 100..999, got " + std::to_string(code));
    }
    fault f(kind::reply);
    f.code_ = code;
    f.body_ = std::move(body);
    return f;
  }

  // Returns a copy that also sends `Retry-After: value`, verbatim, so both the
  // delta-seconds ("2") and the HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT") forms, and
  // malformed ones, can be tested.
  [[nodiscard]] fault retry_after(std::string value) const {
    fault f = *this;
    f.retry_after_ = std::move(value);
    return f;
  }

  // What this fault does.
  [[nodiscard]] kind type() const noexcept { return kind_; }
  // HTTP status answered (status, partial, redirect); 0 otherwise.
  [[nodiscard]] int status_code() const noexcept { return code_; }
  // The wait of a delay fault.
  [[nodiscard]] std::chrono::milliseconds delay_duration() const noexcept { return delay_; }
  // The Location of a redirect fault.
  [[nodiscard]] std::string const& location() const noexcept { return location_; }
  // The verbatim body of a reply fault.
  [[nodiscard]] std::string const& body() const noexcept { return body_; }
  // The per-item answers of a partial fault.
  [[nodiscard]] std::vector<item_status> const& items() const noexcept { return items_; }
  // The Retry-After value to send, if any.
  [[nodiscard]] std::optional<std::string> const& retry_after_value() const noexcept { return retry_after_; }

private:
  explicit fault(kind k) : kind_(k) {}

  kind kind_;
  int code_{0};
  std::chrono::milliseconds delay_{0};
  std::string location_{};
  std::vector<item_status> items_{};
  std::optional<std::string> retry_after_{};
  std::string body_{};
};

// Readable name of a fault kind, for logs and test messages.
inline char const* to_string(fault::kind k) noexcept {
  switch (k) {
    case fault::kind::status: return "status";
    case fault::kind::partial: return "partial";
    case fault::kind::delay: return "delay";
    case fault::kind::drop_connection: return "drop_connection";
    case fault::kind::never_answer: return "never_answer";
    case fault::kind::redirect: return "redirect";
    case fault::kind::reply: return "reply";
  }
  return "unknown";
}

}  // namespace onefuzz::telemetry::testing
