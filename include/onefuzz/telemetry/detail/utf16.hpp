// UTF-16 to UTF-8, for the text Windows hands out as wide strings (paths, the host name).
// Written out rather than taken from WideCharToMultiByte so that the same code runs, and is
// tested, on every platform (tests/windows/utf16_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::detail {

inline constexpr std::string_view utf8_replacement_character = "\xEF\xBF\xBD";  // U+FFFD

// Appends text (UTF-16 code units in any 16-bit character type: wchar_t on Windows,
// char16_t elsewhere) to out as UTF-8. A lone surrogate, which Windows allows in file names
// but no UTF-8 can hold, becomes U+FFFD. Returns how many were replaced, so the caller can
// count them as the JSON writer counts its own replacements.
template <class Char>
  requires(sizeof(Char) == 2)
std::size_t append_utf16_as_utf8(std::string& out, std::basic_string_view<Char> text) {
  std::size_t replaced = 0;
  out.reserve(out.size() + text.size() * 3);  // a BMP code unit takes at most 3 bytes
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::uint32_t code = static_cast<std::uint16_t>(text[i]);
    if (code >= 0xD800 && code <= 0xDFFF) {
      const bool high = code <= 0xDBFF;
      const std::uint32_t next = i + 1 < text.size() ? static_cast<std::uint16_t>(text[i + 1]) : 0;
      if (!high || next < 0xDC00 || next > 0xDFFF) {
        out.append(utf8_replacement_character);
        ++replaced;
        continue;
      }
      code = 0x10000 + ((code - 0xD800) << 10) + (next - 0xDC00);
      ++i;
    }
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }
  return replaced;
}

}  // namespace onefuzz::telemetry::detail
