// Defines sender: emit() routes each event's full payload to the user's instance and its
// central payload to the central instance, through a bounded queue, a serializing worker
// thread and one posting thread per destination.
#pragma once

#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/batch.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/event_queue.hpp>
#include <onefuzz/telemetry/transport/http_client.hpp>
#include <onefuzz/telemetry/transport/ingestion_response.hpp>
#include <onefuzz/telemetry/transport/retry_policy.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>
#include <onefuzz/telemetry/transport/spool.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport {

// The service's limit on one telemetry item (reference §3).
inline constexpr std::size_t max_item_bytes = 64 * 1024;

namespace detail {

using clock = std::chrono::steady_clock;

// The spool folder of a destination: its kind and a hash of its key, so that a restart
// with another key never sends old batches to the wrong resource, and so that the key
// itself never appears in a path (paths end up in error messages).
inline std::filesystem::path spool_folder(const std::filesystem::path& root, std::string_view kind,
                                          std::string_view instrumentation_key) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a over the lower-case key
  for (char c : instrumentation_key) {
    const auto lower = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    hash = (hash ^ lower) * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return root / (std::string{kind} + "-" + hex);
}

// "host:port" of a URL, for diagnostics: never its path, query or user information (the
// connection string refuses those, but the label does not rely on it).
inline std::string endpoint_label(std::string_view url) {
  const auto scheme_end = url.find("://");
  std::string scheme{scheme_end == std::string_view::npos ? std::string_view{} : url.substr(0, scheme_end)};
  for (char& c : scheme) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  std::string_view authority = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  const bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                                   : authority.find(':') != std::string_view::npos;
  std::string label{authority};
  if (!has_port) label += scheme == "http" ? ":80" : ":443";
  return label;
}

inline std::string attempts_text(std::uint64_t attempts) {
  return " (" + std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)");
}

// One destination: its open batch (worker thread only), its backlog of sealed batches, its
// spool, and the thread that posts them.
class sink {
 public:
  sink(std::string_view kind, connection_settings settings, const sink_options& options,
       const sender_options& common, diagnostics_channel& diagnostics, diagnostic_destination destination)
      : diagnostics_(diagnostics),
        destination_(destination),
        settings_(std::move(settings)),
        options_(options),
        retry_(common.retry),
        batching_(common.batching),
        block_timeout_(common.block_timeout),
        bearer_token_(common.bearer_token),
        bearer_token_rejected_(common.bearer_token_rejected),
        url_(track_url(settings_, settings_.uses_aad)),
        endpoint_(endpoint_label(url_)),
        client_(common.http),
        backoff_(common.retry.backoff) {
    if (settings_.uses_aad && !bearer_token_) {
      throw std::invalid_argument(
          "onefuzz::telemetry::transport::sender: a destination uses Authorization=AAD, so "
          "sender_options::bearer_token must be set");
    }
    if (!common.spool.directory.empty()) {
      spool_options folder = common.spool;
      folder.directory = spool_folder(common.spool.directory, kind, settings_.instrumentation_key);
      try {
        spool_.emplace(std::move(folder));
      } catch (const std::filesystem::filesystem_error& e) {
        // Telemetry must not stop the program: it runs without a spool, and says so.
        fail({.severity = diagnostic_severity::error,
              .kind = diagnostic_kind::spool_write_failed,
              .message = "cannot create the spool directory; batches that cannot be sent will be dropped",
              .detail = e.what()});
      }
    }
    if (spool_) {
      // Batches left by an earlier run are counted as restored and sent first.
      std::size_t corrupt = 0;
      for (auto& entry : spool_->scan(corrupt)) {
        counters_.restored.fetch_add(entry.items, std::memory_order_relaxed);
        counters_.spooled.fetch_add(entry.items, std::memory_order_relaxed);
        spool_bytes_ += entry.bytes;
        spooled_files_.push_back(std::move(entry));
      }
      counters_.spool_corrupt_files.fetch_add(corrupt, std::memory_order_relaxed);
      if (corrupt > 0) {
        fail({.severity = diagnostic_severity::warning,
              .kind = diagnostic_kind::spool_read_failed,
              .message = std::to_string(corrupt) + " damaged or partial spool file(s) removed; their items are lost",
              .detail = spool_->options().directory.string()});
      }
    }
  }

  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }

  sink_counters& counters() noexcept { return counters_; }
  const sink_counters& counters() const noexcept { return counters_; }
  const connection_settings& settings() const noexcept { return settings_; }
  const sink_options& options() const noexcept { return options_; }

  // --- worker thread side -------------------------------------------------------------

  // The batch being filled; created on first use, reused from the pool afterwards.
  batch& open_batch(timestamp item_time) {
    if (!open_) {
      open_ = take_from_pool();
      opened_at_ = clock::now();
      open_->oldest = item_time;
    }
    return *open_;
  }
  [[nodiscard]] bool has_open_items() const noexcept { return open_ && !open_->empty(); }
  [[nodiscard]] clock::time_point open_deadline() const noexcept {
    return opened_at_ + batching_.max_delay;
  }
  [[nodiscard]] bool open_is_full() const noexcept {
    return open_ && (open_->items() >= batching_.max_items || open_->bytes() >= batching_.max_bytes);
  }

  // Hands the open batch to the posting thread; every event before `upto` is then in a
  // sealed batch. Applies the backlog overflow policy when the backlog is full: the batch
  // that does not fit goes to the spool, or is dropped and counted without one.
  void seal(std::size_t upto) {
    seal_open(upto);
    report_deferred();
  }

  // Every event before `position` has been serialized and sealed for this destination.
  void note_position(std::size_t position) {
    std::lock_guard lock(mutex_);
    idle_position_ = std::max(idle_position_, position);
    if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
  }

  // Shutdown: the open batch goes to the spool, or is dropped and counted.
  void retire_open(drop_reason reason) {
    if (!open_) return;
    {
      std::lock_guard lock(mutex_);
      spool_or_drop_locked(*open_, reason);
      open_.reset();
    }
    report_deferred();
  }

  // Reports the items dropped since the last call, by reason, as one `dropped` record:
  // drops counted anywhere (emit() included, which must not allocate) are told from here.
  // Shutdown's own drops are left to report_leftovers. The worker thread calls it, then
  // shutdown once the worker has ended.
  void report_new_drops() {
    std::uint64_t total = 0;
    std::string reasons;
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
      const auto reason = static_cast<drop_reason>(i);
      if (reason == drop_reason::shutdown) continue;
      const std::uint64_t now = counters_.dropped[i].load(std::memory_order_relaxed);
      if (now <= reported_drops_[i]) continue;
      const std::uint64_t delta = now - reported_drops_[i];
      reported_drops_[i] = now;
      total += delta;
      reasons += (reasons.empty() ? "" : ", ") + std::to_string(delta) + " " + std::string(to_string(reason));
    }
    if (total == 0) return;
    report({.severity = diagnostic_severity::warning,
            .kind = diagnostic_kind::dropped,
            .message = std::to_string(total) + (total == 1 ? " item" : " items") + " for " + endpoint_ +
                       " dropped (" + reasons + ")",
            .detail = {},
            .count = total});
  }

  // After stop(): what shutdown could not deliver by its deadline.
  void report_leftovers(bool flushed) {
    const std::uint64_t dropped = counters_.dropped[static_cast<std::size_t>(drop_reason::shutdown)].load(
        std::memory_order_relaxed);
    const std::uint64_t spooled = counters_.spooled.load(std::memory_order_relaxed);
    if (dropped == 0 && (flushed || spooled == 0)) return;
    std::string message = "shutdown deadline reached: ";
    if (dropped > 0) message += std::to_string(dropped) + " unsent items for " + endpoint_ + " dropped";
    if (dropped > 0 && spooled > 0) message += "; ";
    if (spooled > 0) message += std::to_string(spooled) + " items for " + endpoint_ + " wait in the spool";
    report({.severity = dropped > 0 ? diagnostic_severity::error : diagnostic_severity::warning,
            .kind = diagnostic_kind::shutdown_leftovers,
            .message = std::move(message),
            .detail = {},
            .count = dropped});
  }

 private:
  // The body of seal(): records found under the lock wait in deferred_ for report_deferred().
  void seal_open(std::size_t upto) {
    std::unique_ptr<batch> sealed = std::move(open_);
    if (!sealed || sealed->empty()) {
      if (sealed) return_to_pool(std::move(sealed));
      note_position(upto);
      return;
    }
    sealed->upto = upto;
    std::unique_lock lock(mutex_);
    if (outbox_.size() >= options_.max_pending_batches) {
      switch (options_.backlog_overflow) {
        case overflow_policy::drop_oldest:
          spool_or_drop_locked(*outbox_.front(), drop_reason::backlog_full);
          recycle_locked(std::move(outbox_.front()));
          outbox_.pop_front();
          break;
        case overflow_policy::block:
          space_.wait_for(lock, block_timeout_, [&] {
            return outbox_.size() < options_.max_pending_batches || stopping_;
          });
          if (outbox_.size() < options_.max_pending_batches) break;
          [[fallthrough]];
        case overflow_policy::drop_newest:
          spool_or_drop_locked(*sealed, drop_reason::backlog_full);
          recycle_locked(std::move(sealed));
          idle_position_ = std::max(idle_position_, upto);
          if (outbox_.empty() && !in_flight_) advance_completed_locked(idle_position_);
          return;
      }
    }
    outbox_.push_back(std::move(sealed));
    lock.unlock();
    work_.notify_one();
  }

 public:
  // --- anyone --------------------------------------------------------------------------

  // Waits until every event before `position` is accounted for, or the deadline.
  bool wait_completed(std::size_t position, clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return progress_.wait_until(lock, deadline, [&] { return completed_ >= position; });
  }

  // Stops the posting thread: no new request starts, a request under way may finish until
  // `deadline` and is then cancelled, and everything unsent goes to the spool or is counted
  // as dropped with `reason`. Idempotent.
  void stop(drop_reason reason, clock::time_point deadline) {
    {
      std::unique_lock lock(mutex_);
      stopping_ = true;
      stop_reason_ = reason;
      progress_.wait_until(lock, deadline, [&] { return !in_flight_; });
    }
    thread_.request_stop();
    work_.notify_all();
    space_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (auto& pending : outbox_) spool_or_drop_locked(*pending, reason);
      outbox_.clear();
    }
    report_deferred();
  }

 private:
  enum class outcome { finished, exhausted, stopped };

  void run(std::stop_token stop) {
    for (;;) {
      std::unique_ptr<batch> next;
      std::optional<spool_entry> from_spool;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, stop, [&] {
          return !stopping_ && (!outbox_.empty() || (drain_spool_ && !spooled_files_.empty()));
        });
        if (stop.stop_requested()) return;
        in_flight_ = true;
        if (!outbox_.empty()) {
          next = std::move(outbox_.front());
          outbox_.pop_front();
        } else {
          from_spool = spooled_files_.front();
        }
      }
      if (next) {
        space_.notify_all();
        const outcome result = deliver(*next, stop);
        {
          std::lock_guard lock(mutex_);
          if (result != outcome::finished) spool_or_drop_locked(*next, result == outcome::stopped ? stop_reason_ : drop_reason::retries_exhausted);
          // A live success proves the destination is back: spooled batches may follow.
          drain_spool_ = result == outcome::finished;
          in_flight_ = false;
          progress_.notify_all();
          advance_completed_locked(next->upto);
          if (outbox_.empty()) advance_completed_locked(idle_position_);
          recycle_locked(std::move(next));
        }
        report_deferred();
      } else {
        send_spooled(*from_spool, stop);
        report_deferred();
      }
    }
  }

  // Sends one spooled file; it leaves the spool only once its items are accounted for.
  void send_spooled(const spool_entry& entry, const std::stop_token& stop) {
    outcome result = outcome::finished;
    const bool expired = std::chrono::system_clock::now() - entry.oldest > spool_->options().max_age;
    const auto unreadable = expired ? std::nullopt : spool_->load(entry, spool_batch_);
    if (expired) {
      counters_.drop(drop_reason::expired, entry.items);
    } else if (unreadable) {
      // Changed or damaged on disk since it was listed: its items are lost, and counted.
      counters_.spool_corrupt_files.fetch_add(1, std::memory_order_relaxed);
      counters_.drop(drop_reason::spool_corrupt, entry.items);
      fail({.severity = diagnostic_severity::warning,
            .kind = diagnostic_kind::spool_read_failed,
            .message = std::string("a spool file for ") + endpoint_ +
                       (*unreadable == spool_read_error::unreadable ? " could not be read" : " is damaged") +
                       "; its " + std::to_string(entry.items) + " items are lost",
            .detail = {},
            .count = entry.items});
    } else {
      result = deliver(spool_batch_, stop);
    }
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    progress_.notify_all();
    if (result == outcome::finished) {
      remove_spooled_locked(entry);
    } else {
      // Left on disk for the next success or start; if a partial answer accepted some of
      // its items, the file is rewritten with the rest so none is sent twice.
      if (spool_batch_.items() < entry.items) {
        remove_spooled_locked(entry);
        spool_or_drop_locked(spool_batch_, drop_reason::retries_exhausted);
      }
      drain_spool_ = false;
    }
    if (outbox_.empty()) advance_completed_locked(idle_position_);
  }

  // Posts one batch until every item is accepted or dropped with a reason, or until the
  // retries run out or the sender stops (then the caller spools what is left).
  outcome deliver(batch& current, const std::stop_token& stop) {
    unsigned attempt = 0;
    bool token_invalidated = false;  // once per batch: a missing role must not hammer the provider
    for (;;) {
      if (!wait_until(pause_until_, stop)) return outcome::stopped;
      post_options post{.content_type = "application/x-json-stream",
                        .gzip = options_.gzip,
                        .bearer_token = std::nullopt,
                        .timeout = std::nullopt,
                        .stop = stop};
      if (settings_.uses_aad) post.bearer_token = fetch_bearer_token();
      counters_.requests.fetch_add(1, std::memory_order_relaxed);
      const http_response response = client_.post(url_, current.view(), post);
      // A cancelled post is the sender's own doing: never reported.
      if (stop.stop_requested()) return outcome::stopped;
      if (response.status == 401 && post.bearer_token && !token_invalidated && bearer_token_rejected_) {
        token_invalidated = true;
        try {
          bearer_token_rejected_();
        } catch (...) {
          // A provider's failure to forget its token must not stop delivery; the retry asks
          // it for a token again, and a missing one is reported there.
        }
      }

      std::optional<ingestion_response> parsed;
      if (response.status != 0 && !response.body.empty()) {
        auto body = parse_ingestion_response(response.body);
        if (body.has_value()) parsed = std::move(*body);
      }
      std::optional<std::chrono::milliseconds> hint;
      // Read by libcurl (CURLINFO_RETRY_AFTER) and bounded by http_client; unreadable: no hint.
      if (response.retry_after_delay) hint = *response.retry_after_delay;

      // Status 0 is a network failure (refused, reset, timed out): retriable, like a 503.
      const response_class verdict =
          response.status == 0 ? response_class::retry
                               : classify_response(response.status, parsed.has_value(), post.bearer_token.has_value());
      if (verdict == response_class::success || (verdict == response_class::partial && response.status < 300)) {
        consecutive_failures_ = 0;
      } else {
        ++consecutive_failures_;
      }
      switch (verdict) {
        case response_class::success:
          counters_.accepted.fetch_add(current.items(), std::memory_order_release);
          backoff_.reset();
          return outcome::finished;
        case response_class::partial: {
          const resend_plan plan = select_resend(current.items(), *parsed);
          counters_.accepted.fetch_add(plan.accepted + plan.sampled_out, std::memory_order_release);
          counters_.sampled_out.fetch_add(plan.sampled_out, std::memory_order_relaxed);
          counters_.drop(drop_reason::rejected_by_server, plan.rejected.size());
          // A 500 whose body names the items is a failed request all the same.
          if (response.status >= 300) report_http_status(response.status, diagnostic_severity::warning, parsed, "");
          if (!plan.rejected.empty()) {
            fail({.severity = diagnostic_severity::warning,
                  .kind = diagnostic_kind::partial_acceptance,
                  .message = "HTTP " + std::to_string(response.status) + " from " + endpoint_ + ": " +
                             std::to_string(plan.rejected.size()) + " of " + std::to_string(current.items()) +
                             " items refused (the first with " + std::to_string(plan.rejected.front().status_code) +
                             ")",
                  .http_status = response.status,
                  .detail = plan.rejected.front().message,
                  .count = plan.rejected.size()});
          }
          if (plan.resend.empty()) {
            backoff_.reset();
            return outcome::finished;
          }
          // The next answer's indexes refer to this smaller batch.
          current.keep_only(plan.resend, retry_batch_);
          break;
        }
        case response_class::retry:
          if (response.status == 0) {
            report_transport_failure(response);
          } else {
            report_http_status(response.status, diagnostic_severity::warning, parsed, "");
          }
          break;
        case response_class::throttled_quota: {
          counters_.drop(drop_reason::quota, current.items());
          const auto pause = std::max(hint.value_or(retry_.quota_pause), retry_.quota_pause);
          pause_until_ = clock::now() + pause;
          report_http_status(response.status, diagnostic_severity::error, parsed,
                             ": over quota, " + std::to_string(current.items()) + " items dropped, sending paused for " +
                                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(pause).count()) +
                                 " ms");
          return outcome::finished;
        }
        case response_class::redirect:
        case response_class::drop:
          counters_.drop(drop_reason::rejected_by_server, current.items());
          report_http_status(response.status, diagnostic_severity::error, parsed,
                             ": " + std::to_string(current.items()) + " items rejected");
          return outcome::finished;
      }

      if (++attempt >= retry_.max_attempts) return outcome::exhausted;
      counters_.retried.fetch_add(current.items(), std::memory_order_relaxed);
      const auto delay = backoff_.next_delay(hint);
      if (diagnostics_.wants(diagnostic_severity::info)) {
        report({.severity = diagnostic_severity::info,
                .kind = diagnostic_kind::retry_scheduled,
                .message = "retrying " + std::to_string(current.items()) + " items to " + endpoint_ + " in " +
                           std::to_string(delay.count()) + " ms (attempt " + std::to_string(attempt + 1) + " of " +
                           std::to_string(retry_.max_attempts) + ")",
                .detail = {},
                .count = current.items(),
                .delay = delay});
      }
      if (!wait_until(clock::now() + delay, stop)) return outcome::stopped;
    }
  }

  // --- diagnostics (never called with mutex_ held: a handler may call back into the sender)

  void report(diagnostic record) {
    record.destination = destination_;
    diagnostics_.report(std::move(record));
  }

  // A failure: kept as the statistics' last_failure, then reported.
  void fail(diagnostic record) {
    record.destination = destination_;
    counters_.record_failure(to_last_failure(record, std::chrono::system_clock::now()));
    diagnostics_.report(std::move(record));
  }

  // The records spool_or_drop_locked() left while mutex_ was held.
  void report_deferred() {
    std::vector<diagnostic> due;
    {
      std::lock_guard lock(mutex_);
      if (deferred_.empty()) return;
      due.swap(deferred_);
    }
    for (auto& record : due) report(std::move(record));
  }

  // A post without an HTTP answer: connection, TLS, timeout or the client's own policy.
  void report_transport_failure(const http_response& response) {
    const diagnostic_kind kind = transport_failure_kind(response.transport_code);
    std::string message;
    switch (kind) {
      case diagnostic_kind::tls_failed: message = "TLS with " + endpoint_ + " failed"; break;
      case diagnostic_kind::timed_out: message = "request to " + endpoint_ + " timed out"; break;
      case diagnostic_kind::configuration: message = "request to " + endpoint_ + " not sent"; break;
      default:
        switch (response.transport_code) {
          case 7:  // CURLE_COULDNT_CONNECT
            message = response.os_error == ECONNREFUSED ? "connection refused by " + endpoint_
                                                         : "cannot connect to " + endpoint_;
            break;
          case 5: message = "cannot resolve the proxy for " + endpoint_; break;         // CURLE_COULDNT_RESOLVE_PROXY
          case 6: message = "cannot resolve the host of " + endpoint_; break;           // CURLE_COULDNT_RESOLVE_HOST
          case 52: message = "no answer from " + endpoint_ + " (connection closed)"; break;  // CURLE_GOT_NOTHING
          default: message = "connection to " + endpoint_ + " failed"; break;
        }
        break;
    }
    message += attempts_text(consecutive_failures_);
    std::string detail = response.error;
    if (response.os_error != 0) detail += " (" + std::system_category().message(response.os_error) + ")";
    const bool lasting = kind == diagnostic_kind::tls_failed || kind == diagnostic_kind::configuration;
    fail({.severity = lasting ? diagnostic_severity::error : diagnostic_severity::warning,
          .kind = kind,
          .message = std::move(message),
          .transport_code = response.transport_code,
          .detail = std::move(detail)});
  }

  // An HTTP answer that is not success: the detail is the service's first error message,
  // never the body itself.
  void report_http_status(int status, diagnostic_severity severity, const std::optional<ingestion_response>& parsed,
                          std::string_view what) {
    std::string message = "HTTP " + std::to_string(status) + " from " + endpoint_;
    message += what;
    if (severity == diagnostic_severity::warning) message += attempts_text(consecutive_failures_);
    fail({.severity = severity,
          .kind = diagnostic_kind::http_status,
          .message = std::move(message),
          .http_status = status,
          .detail = parsed && !parsed->errors.empty() ? parsed->errors.front().message : std::string{}});
  }

  // The bearer token for the next request; reports a provider that has none (or throws).
  std::optional<std::string> fetch_bearer_token() {
    std::optional<std::string> token;
    bool threw = false;
    try {
      token = bearer_token_();
    } catch (...) {
      threw = true;  // its text is not reported: it might hold the token or a secret
    }
    if (token && !token->empty()) return token;
    fail({.severity = diagnostic_severity::error,
          .kind = diagnostic_kind::configuration,
          .message = std::string("the bearer token provider ") + (threw ? "threw" : "returned no token") +
                     "; the request to " + endpoint_ + " is sent without one",
          .detail = {}});
    return std::nullopt;
  }


  // Writes the batch to the spool (counted as spooled), or drops it with `reason` when
  // there is no spool or the write fails. Evicts the oldest files over the byte cap.
  void spool_or_drop_locked(const batch& unsent, drop_reason reason) {
    if (unsent.empty()) return;
    if (spool_) {
      auto entry = spool_->store(unsent, unsent.oldest);
      if (!entry) {
        // Reported once mutex_ is released (report_deferred); the drop itself is counted below.
        diagnostic record{.destination = destination_,
                          .severity = diagnostic_severity::error,
                          .kind = diagnostic_kind::spool_write_failed,
                          .message = "cannot write " + std::to_string(unsent.items()) + " items for " + endpoint_ +
                                     " to the spool; they are dropped (" + std::string(to_string(reason)) + ")",
                          .detail = spool_->last_error(),
                          .count = unsent.items()};
        counters_.record_failure(to_last_failure(record, std::chrono::system_clock::now()));
        deferred_.push_back(std::move(record));
      }
      if (entry) {
        counters_.spooled.fetch_add(entry->items, std::memory_order_release);
        spool_bytes_ += entry->bytes;
        spooled_files_.push_back(std::move(*entry));
        while (spool_bytes_ > spool_->options().max_bytes && !spooled_files_.empty()) {
          const spool_entry oldest = spooled_files_.front();
          remove_spooled_locked(oldest);
          counters_.drop(drop_reason::spool_full, oldest.items);
        }
        return;
      }
    }
    counters_.drop(reason, unsent.items());
  }

  void remove_spooled_locked(const spool_entry& entry) {
    const auto found = std::find_if(spooled_files_.begin(), spooled_files_.end(),
                                    [&](const spool_entry& e) { return e.path == entry.path; });
    if (found == spooled_files_.end()) return;
    spool_->remove(*found);
    spool_bytes_ -= found->bytes;
    counters_.spooled.fetch_sub(found->items, std::memory_order_release);
    spooled_files_.erase(found);
  }

  // Sleeps until `deadline`; false when stopped first.
  bool wait_until(clock::time_point deadline, const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    return !sleep_.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
  }

  void advance_completed_locked(std::size_t position) {
    if (position > completed_) {
      completed_ = position;
      progress_.notify_all();
    }
  }

  std::unique_ptr<batch> take_from_pool() {
    std::lock_guard lock(mutex_);
    if (pool_.empty()) return std::make_unique<batch>();
    auto reused = std::move(pool_.back());
    pool_.pop_back();
    return reused;
  }
  void return_to_pool(std::unique_ptr<batch> used) {
    std::lock_guard lock(mutex_);
    recycle_locked(std::move(used));
  }
  void recycle_locked(std::unique_ptr<batch> used) {
    used->clear();
    // Keep as many buffers as can be in use at once; free the rest.
    if (pool_.size() < options_.max_pending_batches + 2) pool_.push_back(std::move(used));
  }

  diagnostics_channel& diagnostics_;
  const diagnostic_destination destination_;
  const connection_settings settings_;
  const sink_options options_;
  const retry_options retry_;
  const batching_options batching_;
  const std::chrono::milliseconds block_timeout_;
  const std::function<std::optional<std::string>()> bearer_token_;
  const std::function<void()> bearer_token_rejected_;
  const std::string url_;
  const std::string endpoint_;       // "host:port", for diagnostics
  http_client client_;               // posting thread only
  unsigned consecutive_failures_ = 0;  // posting thread only: failed requests since the last success
  backoff backoff_;                  // posting thread only
  batch retry_batch_;                // posting thread only
  batch spool_batch_;                // posting thread only
  clock::time_point pause_until_{};  // posting thread only

  sink_counters counters_;

  std::unique_ptr<batch> open_;  // worker thread only
  clock::time_point opened_at_{};

  mutable std::mutex mutex_;
  std::condition_variable_any work_;
  std::condition_variable_any space_;
  std::condition_variable_any sleep_;
  std::condition_variable progress_;
  std::deque<std::unique_ptr<batch>> outbox_;
  std::vector<std::unique_ptr<batch>> pool_;
  bool in_flight_ = false;
  bool stopping_ = false;
  drop_reason stop_reason_ = drop_reason::shutdown;
  std::size_t completed_ = 0;
  std::size_t idle_position_ = 0;
  // The spool (under mutex_): files oldest first, their total size, and whether the
  // posting thread may send them now (at start, and after each live success).
  std::optional<spool> spool_;
  std::deque<spool_entry> spooled_files_;
  std::uint64_t spool_bytes_ = 0;
  bool drain_spool_ = true;
  std::vector<diagnostic> deferred_;  // under mutex_: records to report once it is released

  // Drops already reported, by reason (worker thread, then shutdown after the worker ended).
  std::array<std::uint64_t, drop_reason_count> reported_drops_{};

  std::jthread thread_;
};

}  // namespace detail

// Sends events to the user's instance (full payloads) and, when configured, to the central
// instance (central payloads only). C is the process context merged into every event.
//
// Guarantees:
//  - emit() never waits for the network and allocates nothing (the event is moved into a
//    preallocated slot); with overflow_policy::block it waits at most block_timeout.
//  - the central destination only ever receives write_central output: the full serializer
//    is never instantiated with the central envelope.
//  - every emitted item is eventually accepted or counted as dropped with a reason
//    (statistics()), and force_flush/shutdown return by their deadlines.
//  - why sends fail is told through sender_options::diagnostics (stderr by default) and
//    kept per destination in statistics' last_failure; records are built on the sender's
//    own threads, never in emit(), and never while a destination's lock is held. A handler
//    should return promptly: a force_flush() called from it waits for the very thread
//    that runs it, so it returns false at its deadline.
template <telemetry_context C = no_context, std::size_t SlotSize = default_slot_size>
class sender {
 public:
  using clock = std::chrono::steady_clock;

  // Resolves the destinations (code, then environment; see resolve_destinations) and starts
  // the threads. Throws std::invalid_argument, before any thread starts or anything is sent,
  // with a message naming the variable or option at fault and never a key, when:
  //  - a destination's winning source is malformed;
  //  - the user's instance and the central instance resolve to the same instrumentation key
  //    (case-insensitively), whether from options_.destinations, the environment, or one of
  //    each: full payloads would reach the central instance. Give one a different key, or set
  //    destinations.central_disabled;
  //  - a destination uses Authorization=AAD and bearer_token is not set.
  // A spool directory that cannot be created is no reason to stop the program: that
  // destination runs without a spool, and a spool_write_failed error is reported.
  explicit sender(sender_options options, C context = {})
      : options_(std::move(options)),
        diagnostics_(options_.diagnostics),
        context_(std::move(context)),
        queue_(options_.queue_capacity) {
    auto resolved = resolve_destinations(options_.destinations, options_.getenv);
    if (!resolved) {
      throw std::invalid_argument("onefuzz::telemetry::transport::sender: " + resolved.error().message);
    }
    if (resolved->instance) {
      instance_.emplace("instance", std::move(*resolved->instance), options_.instance, options_, diagnostics_,
                        diagnostic_destination::instance);
      full_envelope_.emplace(envelope_options{.instrumentation_key = instance_->settings().instrumentation_key,
                                              .cloud_role = options_.cloud_role,
                                              .role_instance = options_.role_instance,
                                              .device_id = options_.device_id});
    }
    if (resolved->central) {
      central_.emplace("central", std::move(*resolved->central), options_.central, options_, diagnostics_,
                       diagnostic_destination::central);
      central_envelope_.emplace(central_->settings().instrumentation_key, options_.cloud_role);
    }
    if (instance_) instance_->start();
    if (central_) central_->start();
    worker_ = std::jthread([this] { run_worker(); });
  }

  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  // Shuts down with a 5 s deadline if shutdown() was not called.
  ~sender() { shutdown(clock::now() + std::chrono::seconds{5}); }

  [[nodiscard]] bool has_instance() const noexcept { return instance_.has_value(); }
  [[nodiscard]] bool has_central() const noexcept { return central_.has_value(); }

  // Queues event for both destinations; false when it was dropped (queue full, or after
  // shutdown), which the statistics count with the reason.
  template <class E>
    requires telemetry_event<std::remove_cvref_t<E>>
  bool emit(E&& event) {
    using event_type = std::remove_cvref_t<E>;
    constexpr std::uint32_t items = has_metric_twin_v<event_type> ? 2 : 1;
    count_emitted(items);
    // Shutdown waits for emits under way before its final count, so an event cannot slip
    // into the queue after the queue was last drained.
    active_emits_.fetch_add(1, std::memory_order_seq_cst);
    struct leave {
      std::atomic<int>& active;
      ~leave() { active.fetch_sub(1, std::memory_order_release); }
    } guard{active_emits_};
    if (closed_.load(std::memory_order_seq_cst)) {
      count_dropped(drop_reason::after_shutdown, items);
      return false;
    }
    stamped<event_type> entry{std::chrono::system_clock::now(), std::forward<E>(event)};
    if (queue_.try_push(std::move(entry), ops_for<event_type>)) {
      wake_worker_if_filling();
      return true;
    }
    return push_when_full(std::move(entry), items);
  }

  // Waits until every event emitted before the call is accepted or dropped; true when
  // that happened before the deadline. After shutdown it returns false at once.
  bool force_flush(clock::time_point deadline) {
    if (stopped_.load(std::memory_order_acquire)) return false;
    const std::size_t target = queue_.tail_position();
    {
      std::lock_guard lock(worker_mutex_);
      flush_target_ = std::max(flush_target_, target);
    }
    worker_wake_.notify_one();
    bool done = true;
    if (instance_) done = instance_->wait_completed(target, deadline) && done;
    if (central_) done = central_->wait_completed(target, deadline) && done;
    return done;
  }
  bool force_flush(std::chrono::milliseconds timeout) { return force_flush(clock::now() + timeout); }

  // Stops accepting events, tries to deliver what is pending until the deadline, then
  // cancels what is left and counts it as dropped (reason shutdown). Idempotent: later
  // calls return the first call's result at once.
  bool shutdown(clock::time_point deadline) {
    std::lock_guard once(shutdown_mutex_);
    if (shutdown_result_) return *shutdown_result_;
    closed_.store(true, std::memory_order_seq_cst);
    while (active_emits_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    const bool flushed = force_flush(deadline);
    {
      std::lock_guard lock(worker_mutex_);
      worker_stop_ = true;
    }
    worker_wake_.notify_one();
    if (worker_.joinable()) worker_.join();
    if (instance_) instance_->stop(drop_reason::shutdown, deadline);
    if (central_) central_->stop(drop_reason::shutdown, deadline);
    // Every thread of the sender has ended: what was lost is final, and each suppressed
    // record is delivered so no count is lost with the process.
    for_each_sink([&](detail::sink& s) {
      s.report_new_drops();
      s.report_leftovers(flushed);
    });
    diagnostics_.flush_suppressed();
    shutdown_result_ = flushed;
    stopped_.store(true, std::memory_order_release);
    return flushed;
  }
  bool shutdown(std::chrono::milliseconds timeout) { return shutdown(clock::now() + timeout); }

  // The user's instance's counters (all zero when it is not configured).
  [[nodiscard]] sink_statistics instance_statistics() const {
    return instance_ ? instance_->counters().snapshot() : sink_statistics{};
  }
  // The central instance's counters, or nothing when central telemetry is off.
  [[nodiscard]] std::optional<sink_statistics> central_statistics() const {
    if (!central_) return std::nullopt;
    return central_->counters().snapshot();
  }

 private:
  template <class E>
  struct stamped {
    timestamp time;
    E event;
  };

  // The worker's view while serializing one event.
  struct serialization_target {
    sender* self;
  };

  template <class E>
  static void process(const void* stored, void* target) noexcept {
    const auto& entry = *static_cast<const stamped<E>*>(stored);
    static_cast<serialization_target*>(target)->self->serialize(entry.time, entry.event);
  }
  template <class E>
  static void destroy(void* stored) noexcept {
    static_cast<stamped<E>*>(stored)->~stamped<E>();
  }
  template <class E>
  static void relocate(void* from, void* to) noexcept {
    auto* source = static_cast<stamped<E>*>(from);
    ::new (to) stamped<E>(std::move(*source));
    source->~stamped<E>();
  }
  template <class E>
  static constexpr queued_event_ops ops_for{&process<E>, &destroy<E>, &relocate<E>,
                                            has_metric_twin_v<E> ? 2u : 1u};

  void count_emitted(std::uint32_t items) noexcept {
    if (instance_) instance_->counters().emitted.fetch_add(items, std::memory_order_relaxed);
    if (central_) central_->counters().emitted.fetch_add(items, std::memory_order_relaxed);
  }
  void count_dropped(drop_reason reason, std::uint32_t items) noexcept {
    if (instance_) instance_->counters().drop(reason, items);
    if (central_) central_->counters().drop(reason, items);
  }

  template <class Entry>
  bool push_when_full(Entry&& entry, std::uint32_t items) {
    using event_type = decltype(entry.event);
    switch (options_.queue_overflow) {
      case overflow_policy::drop_newest:
        break;
      case overflow_policy::drop_oldest:
        // Evict the oldest event while the queue is full. A slot the worker has just
        // claimed is freed a few instructions later, so when the queue no longer looks
        // full the push is retried after a yield instead of evicting more.
        for (int tries = 0; tries < 1024; ++tries) {
          if (queue_.size() >= queue_.capacity()) {
            queue_.try_pop([&](const queued_event_ops& ops, const void*) noexcept {
              count_dropped(drop_reason::queue_full, ops.items);
            });
          } else {
            std::this_thread::yield();
          }
          if (queue_.try_push(std::move(entry), ops_for<event_type>)) return true;
        }
        break;
      case overflow_policy::block: {
        const auto deadline = clock::now() + options_.block_timeout;
        worker_wake_.notify_one();
        std::unique_lock lock(space_mutex_);
        ++blocked_producers_;
        for (;;) {
          if (queue_.try_push(std::move(entry), ops_for<event_type>)) {
            --blocked_producers_;
            return true;
          }
          // A short slice, so a missed notification costs a millisecond, not the deadline.
          const auto slice = std::min(deadline, clock::now() + std::chrono::milliseconds{1});
          if (clock::now() >= deadline) break;
          space_available_.wait_until(lock, slice);
        }
        --blocked_producers_;
        break;
      }
    }
    count_dropped(drop_reason::queue_full, items);
    return false;
  }

  void wake_worker_if_filling() noexcept {
    // Waking costs a system call; do it only when the worker sleeps and the queue is
    // filling up. Otherwise the worker drains on its own schedule (batch delay).
    if (worker_sleeping_.load(std::memory_order_relaxed) && queue_.size() >= wake_threshold()) {
      worker_wake_.notify_one();
    }
  }
  [[nodiscard]] std::size_t wake_threshold() const noexcept {
    return std::min(queue_.capacity() / 4, options_.batching.max_items);
  }

  template <class E>
  void serialize(timestamp time, const E& event) {
    if (instance_ && central_ && options_.instance.encoding == options_.central.encoding) {
      auto& full = instance_->open_batch(time);
      auto& central = central_->open_batch(time);
      full.begin_item();
      central.begin_item();
      const pair_report reports =
          options_.instance.encoding == encoding::typed
              ? write_both<encoding::typed>(full.body(), *full_envelope_, central.body(), *central_envelope_,
                                            time, event, context_)
              : write_both<encoding::onefuzz_compatible>(full.body(), *full_envelope_, central.body(),
                                                         *central_envelope_, time, event, context_);
      finish_item(*instance_, full, reports.full);
      finish_item(*central_, central, reports.central);
    } else {
      if (instance_) {
        auto& full = instance_->open_batch(time);
        full.begin_item();
        const write_report report =
            options_.instance.encoding == encoding::typed
                ? write_full<encoding::typed>(full.body(), *full_envelope_, time, event, context_)
                : write_full<encoding::onefuzz_compatible>(full.body(), *full_envelope_, time, event, context_);
        finish_item(*instance_, full, report);
      }
      if (central_) {
        auto& central = central_->open_batch(time);
        central.begin_item();
        const write_report report =
            options_.central.encoding == encoding::typed
                ? write_central<encoding::typed>(central.body(), *central_envelope_, time, event, context_)
                : write_central<encoding::onefuzz_compatible>(central.body(), *central_envelope_, time, event,
                                                              context_);
        finish_item(*central_, central, report);
      }
    }
    if constexpr (has_metric_twin_v<E>) {
      if (instance_) {
        auto& full = instance_->open_batch(time);
        full.begin_item();
        finish_item(*instance_, full, write_metric_full(full.body(), *full_envelope_, time, event, context_));
      }
      if (central_) {
        auto& central = central_->open_batch(time);
        central.begin_item();
        finish_item(*central_, central,
                    write_metric_central(central.body(), *central_envelope_, time, event, context_));
      }
    }
  }

  void finish_item(detail::sink& destination, detail::batch& open, const write_report& report) {
    auto& counters = destination.counters();
    if (report.truncated_values) counters.values_truncated.fetch_add(report.truncated_values, std::memory_order_relaxed);
    if (report.invalid_utf8_replaced)
      counters.invalid_utf8_replaced.fetch_add(report.invalid_utf8_replaced, std::memory_order_relaxed);
    if (report.non_finite_omitted) counters.non_finite_omitted.fetch_add(report.non_finite_omitted, std::memory_order_relaxed);
    if (report.out_of_range_enums) counters.out_of_range_enums.fetch_add(report.out_of_range_enums, std::memory_order_relaxed);
    if (report.projection_rejected)
      counters.projection_rejected.fetch_add(report.projection_rejected, std::memory_order_relaxed);
    if (open.current_item_size() > max_item_bytes) {
      open.discard_item();
      counters.drop(drop_reason::too_large, 1);
      return;
    }
    open.end_item();
    if (destination.open_is_full()) destination.seal(sealed_position_);
  }

  void run_worker() {
    serialization_target target{this};
    for (;;) {
      bool stop = false;
      std::size_t flush_target = 0;
      {
        std::unique_lock lock(worker_mutex_);
        auto wake_at = clock::now() + options_.batching.max_delay;
        for_each_sink([&](detail::sink& s) {
          if (s.has_open_items()) wake_at = std::min(wake_at, s.open_deadline());
        });
        worker_sleeping_.store(true, std::memory_order_relaxed);
        worker_wake_.wait_until(lock, wake_at, [&] {
          return worker_stop_ || flush_target_ > flushed_upto_ || queue_.size() >= wake_threshold();
        });
        worker_sleeping_.store(false, std::memory_order_relaxed);
        stop = worker_stop_;
        flush_target = flush_target_;
      }

      if (stop) {
        // Shutdown's flush is over (delivered or out of time). With a spool, what is still
        // queued is serialized and spooled with the open batches; without one it is
        // counted as dropped.
        if (options_.spool.directory.empty()) {
          while (queue_.try_pop([&](const queued_event_ops& ops, const void*) noexcept {
            count_dropped(drop_reason::shutdown, ops.items);
          })) {
          }
        } else {
          while (queue_.try_pop([&](const queued_event_ops& ops, const void* stored) noexcept {
            ops.process(stored, &target);
          })) {
          }
        }
        for_each_sink([](detail::sink& s) { s.retire_open(drop_reason::shutdown); });
        return;
      }

      // Drain in bounded rounds so that producers blocked on a full queue get room early.
      bool drained_any = false;
      while (queue_.try_pop([&](const queued_event_ops& ops, const void* stored) noexcept {
        // An event's position is known once it has left the queue.
        ops.process(stored, &target);
      })) {
        drained_any = true;
        sealed_position_ = queue_.head_position();
        if (blocked_producers_.load(std::memory_order_relaxed) > 0) space_available_.notify_all();
      }
      sealed_position_ = queue_.head_position();
      if (drained_any && blocked_producers_.load(std::memory_order_relaxed) > 0) space_available_.notify_all();

      const auto now = clock::now();
      const bool flushing = flush_target > flushed_upto_;
      for_each_sink([&](detail::sink& s) {
        if (flushing || (s.has_open_items() && now >= s.open_deadline())) {
          s.seal(sealed_position_);
        } else if (!s.has_open_items()) {
          s.note_position(sealed_position_);
        }
      });
      if (flushing && sealed_position_ >= flush_target) {
        std::lock_guard lock(worker_mutex_);
        flushed_upto_ = std::max(flushed_upto_, flush_target);
      }
      // Drops counted since the last look (emit()'s queue_full and after_shutdown among
      // them) are told from here, outside every lock, at most every 100 ms so an overloaded
      // worker does not format a record per round.
      if (now - drops_reported_at_ >= std::chrono::milliseconds{100}) {
        drops_reported_at_ = now;
        for_each_sink([](detail::sink& s) { s.report_new_drops(); });
      }
    }
  }

  template <class F>
  void for_each_sink(F&& f) {
    if (instance_) f(*instance_);
    if (central_) f(*central_);
  }

  sender_options options_;
  diagnostics_channel diagnostics_;  // before the sinks, which report through it
  const C context_;
  event_queue<SlotSize> queue_;
  std::optional<detail::sink> instance_;
  std::optional<detail::sink> central_;
  std::optional<full_envelope> full_envelope_;
  std::optional<central_envelope> central_envelope_;

  std::atomic<bool> closed_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int> active_emits_{0};

  std::mutex worker_mutex_;
  std::condition_variable worker_wake_;
  std::atomic<bool> worker_sleeping_{false};
  bool worker_stop_ = false;
  std::size_t flush_target_ = 0;
  std::size_t flushed_upto_ = 0;
  std::size_t sealed_position_ = 0;  // worker thread only
  clock::time_point drops_reported_at_{};  // worker thread only

  std::mutex space_mutex_;
  std::condition_variable space_available_;
  std::atomic<int> blocked_producers_{0};

  std::mutex shutdown_mutex_;
  std::optional<bool> shutdown_result_;

  std::jthread worker_;
};

}  // namespace onefuzz::telemetry::transport
