// An independent model of the writer's string rules, for the fuzz targets to compare
// against: UTF-8 decoded by bit patterns (the writer uses Unicode's byte table), each byte
// that does not start a well-formed sequence replaced by U+FFFD, and the value cut before
// the first character that would take it past the limit.
#pragma once

#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fuzz_support {

// The length of the well-formed sequence at text[0], or 0: decodes the code point and
// refuses overlong forms, surrogates and values above U+10FFFF.
FUZZ_ORACLE inline std::size_t reference_sequence_length(std::string_view text) noexcept {
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;  // a continuation byte or 0xF8-0xFF
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) return 0;
    code = (code << 6) | (c & 0x3Fu);
  }
  constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length]) return 0;               // overlong
  if (code >= 0xD800 && code <= 0xDFFF) return 0;      // surrogate
  if (code > 0x10FFFF) return 0;                       // beyond Unicode
  return length;
}

FUZZ_ORACLE inline bool is_valid_utf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = reference_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// What a JSON parser must read back from write_escaped(text, max_bytes).
struct repaired {
  std::string value;
  std::uint32_t replaced = 0;  // bytes turned into U+FFFD within the kept part
  bool truncated = false;
};

FUZZ_ORACLE inline repaired reference_repair(std::string_view text, std::size_t max_bytes) {
  repaired out;
  std::size_t budget = max_bytes;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = reference_sequence_length(text.substr(i));
    const std::size_t cost = length == 0 ? 3 : length;
    if (cost > budget) break;
    if (length == 0) {
      out.value += "\xEF\xBF\xBD";
      ++out.replaced;
      i += 1;
    } else {
      out.value.append(text.substr(i, length));
      i += length;
    }
    budget -= cost;
  }
  out.truncated = i < text.size();
  return out;
}

}  // namespace fuzz_support
