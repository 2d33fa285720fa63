// Fuzz target for the JSON writer (json.hpp) and the envelope's timestamp (envelope.hpp).
//
// Properties, by the input's first byte:
//  - strings (most inputs): whatever the bytes and the limit, "<write_escaped output>" is
//    a JSON string Boost.JSON accepts, and its value is exactly what an independent model
//    says (utf8_reference.hpp: bad bytes become U+FFFD, the value is cut before the first
//    character past the limit); the report counts what the model counts; the writer
//    leaves the buffer's earlier content alone; writing the repaired value again gives the
//    same bytes and a clean report (the repair is a fixed point);
//  - doubles and floats: format_display is byte for byte Rust's Display, as the slow
//    reference in rust_display_reference.hpp computes it, and reads back as the same
//    value; format_json_number is a
//    JSON number that reads back; neither goes past max_number_size;
//  - integers: format_integer is std::to_chars, within the room the serializer reserves
//    for that type (digits10 + 2);
//  - uuids: format_uuid (SSE2) agrees with uuid::format_to and with printf, and
//    uuid::parse reads every spelling of it back; any text uuid::parse accepts is 32 hex
//    digits whose lowercase form is what formatting writes;
//  - timestamps: format_timestamp and the per-thread cached version agree with each other
//    and with <chrono>'s calendar, whatever the instant.
// Buffers whose size the writer promises are allocated to exactly that size, so ASan
// reports a write one byte past it.
#include "fuzz_support.hpp"
#include "utf8_reference.hpp"
#include "../support/rust_display_reference.hpp"

#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/json.hpp>
#include <onefuzz/telemetry/uuid.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace tel = onefuzz::telemetry;
using fuzz_support::reader;

namespace {

std::string_view view_of(const boost::json::string& s) { return {s.data(), s.size()}; }

void check_escaping(reader& in) {
  // The limit: any 16-bit value, or one of the 16 largest size_t values ("no limit" as a
  // caller might spell it, std::numeric_limits<std::size_t>::max()).
  const auto limit_code = in.integer<std::uint16_t>();
  const std::size_t limit = limit_code >= 0xFFF0
                                ? std::numeric_limits<std::size_t>::max() - (limit_code - 0xFFF0u)
                                : std::size_t{limit_code};
  // Earlier content of a random length, so the writer's reserve() meets every fill level.
  const std::string prefix(in.byte(), 'p');
  const std::string_view text = in.rest();

  tel::output_buffer out;
  out.append(prefix);
  out.push_back('"');
  tel::write_report report;
  tel::json::write_escaped(out, text, limit, report);
  out.push_back('"');

  FUZZ_CHECK(out.view().substr(0, prefix.size()) == prefix, "earlier content changed");
  const std::string_view json = out.view().substr(prefix.size());
  for (const char c : json) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20, "a raw control byte in the output");
  }
  boost::json::error_code error;
  const boost::json::value parsed = boost::json::parse(json, error);
  FUZZ_CHECK(!error, "not JSON: " + fuzz_support::hex_prefix(json));
  FUZZ_CHECK(parsed.is_string(), "not a JSON string");

  const auto expected = fuzz_support::reference_repair(text, limit);
  FUZZ_CHECK(view_of(parsed.get_string()) == expected.value,
             "value differs from the model; input " + fuzz_support::hex_prefix(text) + ", limit " +
                 std::to_string(limit));
  FUZZ_CHECK(report.invalid_utf8_replaced == expected.replaced, "invalid_utf8_replaced miscounted");
  FUZZ_CHECK(report.truncated_values == (expected.truncated ? 1u : 0u), "truncated_values miscounted");
  FUZZ_CHECK(report.non_finite_omitted == 0 && report.out_of_range_enums == 0, "unrelated counters moved");
  FUZZ_CHECK(expected.value.size() <= limit, "the model broke the limit");

  // The repaired value is valid UTF-8 within the limit: writing it again changes nothing.
  tel::output_buffer again;
  again.push_back('"');
  tel::write_report clean;
  tel::json::write_escaped(again, expected.value, limit, clean);
  again.push_back('"');
  FUZZ_CHECK(again.view() == json, "escaping the repaired value gives different bytes");
  FUZZ_CHECK(clean.clean(), "the repaired value was changed again");
}

// A buffer of exactly n bytes on the heap, so ASan sees a write past the promised size.
std::unique_ptr<char[]> exact_buffer(std::size_t n) { return std::make_unique<char[]>(n); }

template <class T>
void check_floating(T value) {
  auto buffer = exact_buffer(tel::json::max_number_size);
  const std::string_view display{buffer.get(),
                                 static_cast<std::size_t>(tel::json::format_display(buffer.get(), value) - buffer.get())};
  FUZZ_CHECK(display.size() <= tel::json::max_number_size, "format_display past max_number_size");
  if (std::isnan(value)) {
    FUZZ_CHECK(display == "NaN", "NaN not written as Rust's NaN");
    return;
  }
  if (std::isinf(value)) {
    FUZZ_CHECK(display == (value > 0 ? "inf" : "-inf"), "infinity not written as Rust's inf");
    return;
  }
  const std::string reference = rust_display_reference(value);
  FUZZ_CHECK(display == reference,
             "format_display differs from Rust's Display: " + std::string(display) + " vs " + reference);
  T back{};
  const auto read = std::from_chars(display.data(), display.data() + display.size(), back);
  FUZZ_CHECK(read.ec == std::errc{} && read.ptr == display.data() + display.size(), "display does not read back");
  FUZZ_CHECK(back == value && std::signbit(back) == std::signbit(value), "display is not the same value");

  const std::string_view number{buffer.get(),
                                static_cast<std::size_t>(tel::json::format_json_number(buffer.get(), value) - buffer.get())};
  FUZZ_CHECK(number.size() <= tel::json::max_number_size, "format_json_number past max_number_size");
  boost::json::error_code error;
  const boost::json::value parsed = boost::json::parse(number, error);
  FUZZ_CHECK(!error && parsed.is_number(), "format_json_number is not a JSON number: " + std::string(number));
  const auto number_read = std::from_chars(number.data(), number.data() + number.size(), back);
  FUZZ_CHECK(number_read.ec == std::errc{} && back == value, "the JSON number does not read back");
}

template <class T>
void check_integer(T value) {
  constexpr std::size_t room = std::numeric_limits<T>::digits10 + 2;  // serialize.hpp's max_value_size
  auto buffer = exact_buffer(room);
  const std::string_view written{buffer.get(),
                                 static_cast<std::size_t>(tel::json::format_integer(buffer.get(), value) - buffer.get())};
  char reference[64];
  const auto end = std::to_chars(reference, reference + sizeof reference, value).ptr;
  FUZZ_CHECK(written == std::string_view(reference, static_cast<std::size_t>(end - reference)),
             "format_integer differs from to_chars: " + std::string(written));
}

void check_numbers(reader& in) {
  const auto kind = in.byte();
  switch (kind % 4) {
    case 0:
      check_floating(in.floating());
      break;
    case 1: {
      // A decimal with few digits (2666.67, 0.0001): the fast path of format_display.
      const auto mantissa = in.integer<std::uint64_t>() % 10'000'000'000'000'000u;
      const auto decimals = in.byte() % 20;
      double value = static_cast<double>(mantissa) / std::pow(10.0, decimals);
      if (kind & 0x80) value = -value;
      check_floating(value);
      break;
    }
    case 2:
      check_floating(in.integer<float>());
      break;
    default:
      check_integer(in.integer<std::uint64_t>());
      check_integer(static_cast<std::int64_t>(in.integer<std::uint64_t>()));
      check_integer(in.integer<std::int32_t>());
      check_integer(in.integer<std::uint32_t>());
      check_integer(in.integer<std::int16_t>());
      check_integer(in.integer<std::int8_t>());
      check_integer(in.integer<std::uint8_t>());
      break;
  }
}

void check_uuid(reader& in) {
  tel::uuid::bytes_type bytes{};
  for (auto& b : bytes) b = in.byte();
  const tel::uuid id{bytes};

  auto fast = exact_buffer(tel::uuid::text_size);
  tel::json::format_uuid(fast.get(), bytes.data());
  const std::string_view fast_text{fast.get(), tel::uuid::text_size};
  char plain[tel::uuid::text_size];
  id.format_to(plain);
  char printed[tel::uuid::text_size + 1];
  std::snprintf(printed, sizeof printed, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  FUZZ_CHECK(fast_text == std::string_view(plain, tel::uuid::text_size), "format_uuid differs from format_to");
  FUZZ_CHECK(fast_text == std::string_view(printed, tel::uuid::text_size), "format_uuid differs from printf");

  std::string upper{fast_text};
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string bare;
  for (const char c : fast_text) {
    if (c != '-') bare += c;
  }
  for (const std::string& spelling : {std::string{fast_text}, upper, "{" + upper + "}", bare}) {
    const auto parsed = tel::uuid::parse(spelling);
    FUZZ_CHECK(parsed && *parsed == id, "uuid::parse does not read back " + spelling);
  }

  // Any other text: accepted only as 32 hex digits, which formatting writes back.
  const std::string_view text = in.rest();
  if (const auto parsed = tel::uuid::parse(text)) {
    std::string digits;
    for (const char c : text) {
      if (std::isxdigit(static_cast<unsigned char>(c))) digits += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string formatted = parsed->to_string();
    std::erase(formatted, '-');
    FUZZ_CHECK(digits == formatted, "uuid::parse accepted text that is not its value: " + fuzz_support::hex_prefix(text));
    FUZZ_CHECK(text.size() == 32 || text.size() == 36 || text.size() == 34 || text.size() == 38,
               "uuid::parse accepted a length it does not document");
  }
}

// <chrono>'s reading of an instant, in the envelope's format. The instant is cut to
// milliseconds toward zero, as the writer's duration_cast does: before 1970 that is up,
// not down (-1 ns reads 1970-01-01T00:00:00.000Z), a rounding choice left to the writer;
// what is checked is the calendar arithmetic.
std::string reference_timestamp(tel::timestamp time) {
  using namespace std::chrono;
  const auto ms = time_point_cast<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return text;
}

void check_timestamps(reader& in) {
  // Two instants, so the per-thread date cache is both hit and replaced; any 64-bit count
  // of the system clock's ticks (years 1677 to 2262 with nanoseconds).
  for (int i = 0; i < 2; ++i) {
    const tel::timestamp time{tel::timestamp::duration{in.integer<std::int64_t>()}};
    auto plain = exact_buffer(tel::timestamp_size);
    auto cached = exact_buffer(tel::timestamp_size);
    tel::format_timestamp(plain.get(), time);
    tel::format_timestamp_cached(cached.get(), time);
    const std::string_view plain_text{plain.get(), tel::timestamp_size};
    FUZZ_CHECK(plain_text == std::string_view(cached.get(), tel::timestamp_size), "the cached date differs");
    const std::string expected = reference_timestamp(time);
    FUZZ_CHECK(plain_text == expected, "timestamp " + std::string(plain_text) + " differs from chrono's " + expected);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  switch (in.byte() % 8) {
    case 4: check_numbers(in); break;
    case 5: check_uuid(in); break;
    case 6: check_timestamps(in); break;
    default: check_escaping(in); break;
  }
  return 0;
}
