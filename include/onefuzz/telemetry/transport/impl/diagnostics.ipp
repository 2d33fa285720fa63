// The diagnostics' non-template functions: included by diagnostics.hpp (header-only), or by
// src.hpp alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/json.hpp>  // json::detail::utf8_sequence_length: one definition of valid UTF-8
#include <onefuzz/telemetry/transport/diagnostics.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {
namespace detail {

ONEFUZZ_TELEMETRY_DECL void cut_utf8(std::string& text, std::size_t max_bytes, bool was_cut) {
  if (text.size() <= max_bytes && !was_cut) return;
  const std::string_view marker = max_bytes >= 8 ? "..." : "";
  std::size_t cut = std::min(text.size(), max_bytes - marker.size());
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += marker;
}

ONEFUZZ_TELEMETRY_DECL std::size_t append_flattened(std::string& out, std::string_view text, std::size_t at) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data()) + at;
  const std::size_t length = bytes[0] < 0x80 ? 1 : json::detail::utf8_sequence_length(bytes, text.size() - at);
  const bool control = bytes[0] < 0x20 || bytes[0] == 0x7F || (bytes[0] == 0xC2 && length == 2 && bytes[1] < 0xA0);
  const bool moves_text = bytes[0] == 0xE2 && length == 3 &&  // U+2028..U+202E, U+2066..U+2069
                          ((bytes[1] == 0x80 && bytes[2] >= 0xA8 && bytes[2] <= 0xAE) ||
                           (bytes[1] == 0x81 && bytes[2] >= 0xA6 && bytes[2] <= 0xA9));
  if (length == 0) {
    out += "\xEF\xBF\xBD";  // U+FFFD for one ill-formed byte
    return 1;
  }
  if (control || moves_text) {
    if (!out.empty() && out.back() != ' ') out += ' ';  // a run of them is one space
    return length;
  }
  out.append(text.substr(at, length));
  return length;
}

}  // namespace detail

ONEFUZZ_TELEMETRY_DECL std::string sanitize_diagnostic_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 16);
  std::size_t at = 0;
  while (at < text.size() && out.size() <= max_bytes) {
    if (const std::size_t guid = detail::guid_length_at(text, at)) {
      out += diagnostic_redacted;
      at += guid;
      continue;
    }
    bool redacted = false;
    for (const auto& secret : detail::secret_names) {
      if (!detail::word_at(text, at, secret.name)) continue;
      const std::size_t value = detail::value_start(text, at + secret.name.size(), secret);
      if (value == std::string_view::npos) break;
      for (std::size_t i = at; i < value; ++i) detail::append_flattened(out, text, i);  // ASCII: 1 byte each
      // An already redacted value stays as it is, so sanitizing twice changes nothing.
      const std::size_t end = text.substr(value).starts_with(diagnostic_redacted)
                                  ? value + diagnostic_redacted.size()
                                  : detail::value_end(text, value, secret.runs_to_line_end);
      if (end > value) out += diagnostic_redacted;
      at = end;
      redacted = true;
      break;
    }
    if (!redacted) at += detail::append_flattened(out, text, at);
  }
  const bool was_cut = at < text.size() || out.size() > max_bytes;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  detail::cut_utf8(out, max_bytes, was_cut);
  return out;
}

ONEFUZZ_TELEMETRY_DECL std::string format_diagnostic(const diagnostic& record) {
  std::string suffix;
  if (record.suppressed > 0) suffix = " (" + std::to_string(record.suppressed) + " similar suppressed)";
  std::string line = "onefuzz-telemetry: " + std::string(to_string(record.severity)) + ": ";
  if (record.destination != diagnostic_destination::none) line += std::string(to_string(record.destination)) + ": ";
  line += sanitize_diagnostic_text(record.message, max_diagnostic_line_bytes);
  if (!record.detail.empty()) line += ": " + sanitize_diagnostic_text(record.detail, max_diagnostic_line_bytes);
  detail::cut_utf8(line, max_diagnostic_line_bytes - suffix.size());
  return line + suffix;
}

ONEFUZZ_TELEMETRY_DECL void write_diagnostic_to_stderr(const diagnostic& record) {
  const std::string line = format_diagnostic(record) + '\n';
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
}

ONEFUZZ_TELEMETRY_DECL last_failure to_last_failure(const diagnostic& record,
                                                              std::chrono::system_clock::time_point when) {
  return {.time = when, .kind = record.kind, .http_status = record.http_status,
          .transport_code = record.transport_code, .detail = sanitize_diagnostic_text(record.detail)};
}

ONEFUZZ_TELEMETRY_DECL void diagnostics_channel::report(diagnostic record) noexcept {
  try {
    if (!wants(record.severity)) return;
    const auto now = now_();
    if (slot* s = slot_for(record)) {
      std::lock_guard lock(mutex_);
      const bool limited = options_.rate_limit.count() > 0 && s->last_delivered &&
                           now - *s->last_delivered < options_.rate_limit;
      if (limited) {
        ++s->pending;
        s->latest = std::move(record);  // what flush_suppressed() will show
        return;
      }
      s->last_delivered = now;
      record.suppressed = std::exchange(s->pending, 0);
      s->latest.reset();
    }
    deliver(record);
  } catch (...) {
    // Out of memory while reporting: the record is lost, the sender carries on.
  }
}

ONEFUZZ_TELEMETRY_DECL void diagnostics_channel::flush_suppressed() noexcept {
  try {
    std::array<std::optional<diagnostic>, slot_count> due;
    const auto now = now_();
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < slot_count; ++i) {
        slot& s = slots_[i];
        if (s.pending == 0 || !s.latest) continue;
        due[i] = std::move(s.latest);
        due[i]->suppressed = s.pending - 1;
        s.latest.reset();
        s.pending = 0;
        s.last_delivered = now;
      }
    }
    for (auto& record : due)
      if (record) deliver(*record);
  } catch (...) {  // as in report()
  }
}

ONEFUZZ_TELEMETRY_DECL void diagnostics_channel::deliver(diagnostic& record) noexcept {
  try {
    record.message = sanitize_diagnostic_text(record.message);
    record.detail = sanitize_diagnostic_text(record.detail);
    options_.handler ? options_.handler(record) : write_diagnostic_to_stderr(record);
  } catch (...) {
    // A handler's failure must not reach the sender's threads.
  }
}

}  // namespace onefuzz::telemetry::transport
