// Fuzz target for the spool file reader (transport/spool.hpp, docs/spool.md): a spool file
// is read back after a crash, a full disk or someone else's meddling, so parse_spool_file
// sees any bytes.
//
// Input: a mode byte. Even: the rest is a whole file. Odd: an oldest time (8 bytes), then a
// list of item texts (fuzz_support::reader::text), of which those Boost.JSON reads as an
// object (and writes back as JSON) are written one per line under a header, the way
// spool::store writes them.
//
// Properties:
//  - any bytes: no crash; a refused file leaves `out` empty, so nothing half-read is sent;
//  - an accepted file has a header a strict model accepts (magic, 1 to spool_max_items
//    items and a time system_clock can hold, both in plain digits), exactly that many items, each exactly one line
//    of the body and each a JSON object by Boost.JSON's own parse; `oldest` is the header's
//    time;
//  - conversely, a file the model accepts (header, every line a complete JSON object by
//    Boost.JSON, the announced count) is accepted;
//  - every strict prefix of an accepted file that ends before its last '}' is refused: a
//    file cut anywhere, including just after an inner '}', is never read as complete;
//  - written files (odd mode) are accepted and give back exactly the items written.
#include "fuzz_support.hpp"

#include <onefuzz/telemetry/transport/spool.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace transport = onefuzz::telemetry::transport;
using fuzz_support::reader;

namespace {

FUZZ_ORACLE bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// Decimal text within [0, limit], by comparing digit strings (no overflow).
FUZZ_ORACLE bool decimal_at_most(std::string_view digits, std::string_view limit) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  return digits.size() != limit.size() ? digits.size() < limit.size() : digits <= limit;
}

struct model_header {
  std::size_t items = 0;
  std::int64_t oldest_ms = 0;
  std::size_t length = 0;
};

// The header rules, written again from docs/spool.md.
FUZZ_ORACLE std::optional<model_header> model_parse_header(std::string_view text) {
  constexpr std::string_view magic = "onefuzz-spool 1 ";
  if (text.substr(0, magic.size()) != magic) return std::nullopt;
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos || newline >= 64) return std::nullopt;
  const auto fields = text.substr(magic.size(), newline - magic.size());
  const auto space = fields.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto items = fields.substr(0, space);
  const auto time = fields.substr(space + 1);
  if (!all_digits(items) || !decimal_at_most(items, std::to_string(transport::detail::spool_max_items))) {
    return std::nullopt;
  }
  // Milliseconds since 1970 that system_clock (nanoseconds in 64 bits) can hold: no sign,
  // at most 9223372036854, i.e. (2^63 - 1) / 10^6.
  if (!all_digits(time) || !decimal_at_most(time, "9223372036854")) return std::nullopt;
  model_header header;
  header.items = std::stoull(std::string(items));
  if (header.items == 0) return std::nullopt;
  header.oldest_ms = static_cast<std::int64_t>(std::stoull(std::string(time)));
  header.length = newline + 1;
  return header;
}

FUZZ_ORACLE bool is_json_object_line(std::string_view line) {
  if (line.empty() || line.front() != '{' || line.back() != '}') return false;
  boost::json::error_code error;
  boost::json::parse_options options;
  options.max_depth = 64;
  const auto value = boost::json::parse(boost::json::string_view(line.data(), line.size()), error, {}, options);
  return !error && value.is_object();
}

// The body's lines: split on '\n', one final newline allowed (nothing after it).
FUZZ_ORACLE std::vector<std::string_view> model_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    const auto newline = body.find('\n');
    lines.push_back(body.substr(0, newline));
    if (newline == std::string_view::npos) break;
    body.remove_prefix(newline + 1);
  }
  return lines;
}

FUZZ_ORACLE bool model_accepts(std::string_view text) {
  const auto header = model_parse_header(text);
  if (!header) return false;
  const auto lines = model_lines(text.substr(header->length));
  if (lines.size() != header->items) return false;
  for (const auto line : lines)
    if (!is_json_object_line(line)) return false;
  return true;
}

void check_file(std::string_view text, bool must_accept) {
  transport::detail::batch out;
  std::chrono::system_clock::time_point oldest{};
  const auto error = transport::parse_spool_file(text, out, &oldest);
  const bool expected = model_accepts(text);
  FUZZ_CHECK(!error == expected, std::string(error ? "refused" : "accepted") + " against the model: " +
                                     fuzz_support::hex_prefix(text));
  if (error) {
    FUZZ_CHECK(out.items() == 0, "a refused file left items to send");
    FUZZ_CHECK(!must_accept, "a written file was refused: " + fuzz_support::hex_prefix(text));
    return;
  }
  const auto header = model_parse_header(text);
  const auto lines = model_lines(text.substr(header->length));
  FUZZ_CHECK(out.items() == header->items && lines.size() == out.items(), "item count differs from the header");
  for (std::size_t i = 0; i < out.items(); ++i) {
    FUZZ_CHECK(out.item(i) == lines[i], "item " + std::to_string(i) + " is not its line");
  }
  FUZZ_CHECK(oldest == std::chrono::system_clock::time_point{std::chrono::milliseconds{header->oldest_ms}},
             "oldest time differs from the header");

  // Every cut before the last '}' is refused.
  const auto last_brace = text.rfind('}');
  const std::size_t step = last_brace > 256 ? last_brace / 128 : 1;  // bounded work per input
  transport::detail::batch scratch;
  for (std::size_t cut = 0; cut < last_brace; cut += step) {
    const auto prefix = text.substr(0, cut);
    FUZZ_CHECK(transport::parse_spool_file(prefix, scratch).has_value(),
               "a file cut at byte " + std::to_string(cut) + " was accepted: " + fuzz_support::hex_prefix(prefix));
    FUZZ_CHECK(scratch.items() == 0, "a cut file left items to send");
  }
  // Just after each '}' in particular, as a crash in the middle of an item would leave it.
  int braces = 0;
  for (auto brace = text.find('}'); brace != std::string_view::npos && brace < last_brace && ++braces <= 128;
       brace = text.find('}', brace + 1)) {
    FUZZ_CHECK(transport::parse_spool_file(text.substr(0, brace + 1), scratch).has_value(),
               "a file cut after an inner '}' at byte " + std::to_string(brace) + " was accepted");
  }
}

void check_written(reader& in) {
  const auto oldest_ms = static_cast<std::int64_t>(in.integer<std::uint64_t>() % (transport::detail::spool_max_oldest_ms + 1));
  transport::detail::batch batch;
  std::vector<std::string> written;
  while (in.remaining() > 0 && written.size() < 64) {
    const std::string candidate = in.text();
    boost::json::error_code error;
    const auto value = boost::json::parse(candidate, error);
    if (error || !value.is_object()) continue;
    std::string line = boost::json::serialize(value);  // one line: serialize never writes '\n'
    // Boost.JSON reads a number too large for a double as infinity and writes it back as
    // "Infinity", which is not JSON; the library's serializer never writes one.
    (void)boost::json::parse(line, error);
    if (error) continue;
    written.push_back(std::move(line));
    batch.begin_item();
    batch.body().append(written.back());
  }
  if (written.empty()) return;
  const std::string text = transport::detail::format_spool_header(batch.items(), oldest_ms) + std::string(batch.view());
  check_file(text, true);
  transport::detail::batch out;
  FUZZ_CHECK(!transport::parse_spool_file(text, out).has_value(), "a written file was refused");
  FUZZ_CHECK(out.items() == written.size(), "a written file lost items");
  for (std::size_t i = 0; i < written.size(); ++i) FUZZ_CHECK(out.item(i) == written[i], "an item changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  const auto mode = in.byte();
  if (mode % 2 == 0) {
    check_file(in.rest(), false);
  } else {
    check_written(in);
  }
  return 0;
}
