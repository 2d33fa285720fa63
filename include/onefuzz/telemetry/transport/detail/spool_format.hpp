// The text of one spool file (docs/spool.md): a header line that announces the item count
// and the time of the oldest item, then one telemetry envelope per line. Reading checks
// all of it, so a file cut short by a crash or changed on disk is recognised as a whole and
// never half-sent, and no line that is not one complete JSON object is ever posted.
#pragma once

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace onefuzz::telemetry::transport::detail {

inline constexpr std::string_view spool_magic = "onefuzz-spool 1 ";

// The largest spool file written or read. A file is one batch (1 MiB by default); anything
// far larger is not one of ours, and reading it would only cost memory.
inline constexpr std::uint64_t spool_max_file_bytes = 64ull * 1024 * 1024;
// The most items a header may announce: the shortest item is "{}" and a newline. A larger
// count cannot be true, and would inflate the counters of a damaged file.
inline constexpr std::size_t spool_max_items = spool_max_file_bytes / 3;
// A header is "onefuzz-spool 1 <items> <oldest unix ms>\n": never longer than this.
inline constexpr std::size_t spool_max_header_bytes = 64;
// The oldest-item time must be one system_clock can hold (about the year 2262): a damaged
// header must not overflow the conversion, nor the age computed from it.
inline constexpr std::int64_t spool_max_oldest_ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::duration::max()).count();

struct spool_header {
  std::size_t items = 0;
  std::int64_t oldest_ms = 0;
  std::size_t length = 0;  // bytes, with the newline
};

// Reads the header at the start of `text`; nothing when it is missing or malformed.
inline std::optional<spool_header> parse_spool_header(std::string_view text) noexcept {
  if (!text.starts_with(spool_magic)) return std::nullopt;
  const auto end = text.find('\n');
  if (end == std::string_view::npos || end >= spool_max_header_bytes) return std::nullopt;
  const std::string_view fields = text.substr(spool_magic.size(), end - spool_magic.size());
  const auto space = fields.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto items_text = fields.substr(0, space);
  const auto time_text = fields.substr(space + 1);
  spool_header header;
  header.length = end + 1;
  const auto items = std::from_chars(items_text.data(), items_text.data() + items_text.size(), header.items);
  if (items.ec != std::errc{} || items.ptr != items_text.data() + items_text.size()) return std::nullopt;
  if (header.items == 0 || header.items > spool_max_items) return std::nullopt;
  // Plain digits: from_chars would also take "-0".
  if (time_text.empty() || time_text.front() < '0' || time_text.front() > '9') return std::nullopt;
  const auto time = std::from_chars(time_text.data(), time_text.data() + time_text.size(), header.oldest_ms);
  if (time.ec != std::errc{} || time.ptr != time_text.data() + time_text.size()) return std::nullopt;
  if (header.oldest_ms < 0 || header.oldest_ms > spool_max_oldest_ms) return std::nullopt;
  return header;
}

inline std::string format_spool_header(std::size_t items, std::int64_t oldest_ms) {
  std::string header{spool_magic};
  header += std::to_string(items);
  header += ' ';
  header += std::to_string(oldest_ms);
  header += '\n';
  return header;
}

// A Boost.JSON parser handler that builds nothing: the spool only needs to know that a line
// is well-formed JSON, not its value.
struct json_validation_handler {
  using string_view = boost::json::string_view;
  using error_code = boost::json::error_code;
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_key_part(string_view, std::size_t, error_code&) { return true; }
  bool on_key(string_view, std::size_t, error_code&) { return true; }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

// Says whether a line is exactly one complete JSON object: standard JSON only (no comments,
// no trailing commas, valid UTF-8), nothing before or after it. A line cut just after an
// inner '}' still ends in '}', which is why the whole line is parsed.
class spool_line_validator {
 public:
  spool_line_validator() : parser_(options()) {}

  [[nodiscard]] bool is_complete_object(std::string_view line) {
    if (line.empty() || line.front() != '{' || line.back() != '}') return false;
    parser_.reset();
    boost::json::error_code error;
    const std::size_t used = parser_.write_some(false, line.data(), line.size(), error);
    return !error && parser_.done() && used == line.size();
  }

 private:
  static boost::json::parse_options options() {
    boost::json::parse_options options;
    options.max_depth = 64;  // envelopes nest about 5 deep; bounded, as the parser's memory
    return options;
  }

  boost::json::basic_parser<json_validation_handler> parser_;
};

}  // namespace onefuzz::telemetry::transport::detail
