// UTF-16 to UTF-8 (detail/utf16.hpp), the conversion behind Windows paths and the Windows
// host name. Expected bytes are worked out by hand from the UTF-8 and UTF-16 encodings.
#include <onefuzz/telemetry/detail/utf16.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace utf16_test {

namespace {

using onefuzz::telemetry::detail::append_utf16_as_utf8;

std::string utf8(std::u16string_view text, std::size_t expected_replacements = 0) {
  std::string out;
  CHECK(append_utf16_as_utf8(out, text) == expected_replacements);
  return out;
}

}  // namespace

TEST_CASE("ASCII and the empty string pass unchanged", "[utf16]") {
  CHECK(utf8(u"") == "");
  CHECK(utf8(u"C:/crash-1 \"x\"") == "C:/crash-1 \"x\"");
  CHECK(utf8(std::u16string_view{u"a\0b", 3}) == std::string("a\0b", 3));
}

TEST_CASE("each encoded length, at both ends of its range", "[utf16]") {
  CHECK(utf8(u"\u007F") == "\x7F");
  CHECK(utf8(u"\u0080") == "\xC2\x80");
  CHECK(utf8(u"\u00EB") == "\xC3\xAB");  // ë
  CHECK(utf8(u"\u07FF") == "\xDF\xBF");
  CHECK(utf8(u"\u0800") == "\xE0\xA0\x80");
  CHECK(utf8(u"\u20AC") == "\xE2\x82\xAC");  // €
  CHECK(utf8(u"\uFFFF") == "\xEF\xBF\xBF");
}

TEST_CASE("surrogate pairs become four bytes", "[utf16]") {
  // U+10000 = D800 DC00; U+1F600 = D83D DE00; U+10FFFF = DBFF DFFF.
  CHECK(utf8(u"\xD800\xDC00") == "\xF0\x90\x80\x80");
  CHECK(utf8(u"\xD83D\xDE00") == "\xF0\x9F\x98\x80");
  CHECK(utf8(u"\xDBFF\xDFFF") == "\xF4\x8F\xBF\xBF");
  CHECK(utf8(u"Zo\u00EB-\xD83D\xDE00.txt") == "Zo\xC3\xAB-\xF0\x9F\x98\x80.txt");
}

TEST_CASE("a lone surrogate becomes U+FFFD and is counted; its neighbours are kept", "[utf16]") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(utf8(u"a\xD800", 1) == "a" + fffd);           // high surrogate at the end
  CHECK(utf8(u"\xDC00" "b", 1) == fffd + "b");        // low surrogate alone
  CHECK(utf8(u"\xD800" "A", 1) == fffd + "A");        // high surrogate, then no low one
  CHECK(utf8(u"\xDC00\xD800", 2) == fffd + fffd);     // a pair in the wrong order
  CHECK(utf8(u"\xD800\xD800\xDC00", 1) == fffd + "\xF0\x90\x80\x80");
}

TEST_CASE("the text is appended to what the string holds", "[utf16]") {
  std::string out = "prefix:";
  CHECK(append_utf16_as_utf8(out, std::u16string_view{u"\u00E9"}) == 0);
  CHECK(out == "prefix:\xC3\xA9");
}

#if defined(_WIN32)
TEST_CASE("wchar_t text (UTF-16 on Windows)", "[utf16]") {
  std::string out;
  CHECK(append_utf16_as_utf8(out, std::wstring_view{L"Zo\u00EB"}) == 0);
  CHECK(out == "Zo\xC3\xAB");
}
#endif

}  // namespace utf16_test
