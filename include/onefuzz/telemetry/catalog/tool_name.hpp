// Defines tool_name, task_start's tool: the full configured value for the user's instance,
// only a file name made of [A-Za-z0-9._+-] for the central instance, else "other".
#pragma once

#include <onefuzz/telemetry/reviewed.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::catalog {

namespace detail {

// Where the file name lies in a tool_name's value; size 0 when there is none.
struct file_name_span {
  std::size_t offset = 0;
  std::size_t size = 0;
};

constexpr bool is_path_separator(char c) noexcept { return c == '/' || c == '\\'; }
constexpr bool is_ascii_letter(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The position just after the `count` components that start at `at` (each ended by a
// separator), or npos when the text ends first: a UNC root without its share, or a URL
// without a path, has no file name.
constexpr std::size_t skip_components(std::string_view text, std::size_t at, int count) noexcept {
  for (; count > 0; --count) {
    const std::size_t separator = text.find_first_of("/\\", at);
    if (separator == std::string_view::npos) return std::string_view::npos;
    at = separator + 1;
  }
  return at;
}

// The size of a URL's `scheme://` (RFC 3986 scheme: a letter, then letters, digits, '+',
// '-', '.'), or 0. One letter is a drive (`C://x` is drive C:), not a scheme.
constexpr std::size_t url_root_size(std::string_view text) noexcept {
  std::size_t n = 0;
  while (n < text.size() &&
         (is_ascii_letter(text[n]) || (n > 0 && ((text[n] >= '0' && text[n] <= '9') ||
                                                 text[n] == '+' || text[n] == '-' ||
                                                 text[n] == '.')))) {
    ++n;
  }
  return n >= 2 && text.substr(n).starts_with("://") ? n + 3 : 0;
}

// The file name in a configured tool value, in this order (see tool_name for why):
//  1. A Win32 namespace prefix `\\?\` or `\\.\` is skipped first: its '?' is no query.
//  2. The value is cut at its first ' ', '?' or '#' (arguments, a URL's query or
//     fragment). If the cut-off text holds a '/' or '\', the cut may have been inside a
//     directory name (`C:\Program Files\x\t.exe`, `/srv/a#b/tool`), so the piece before it
//     could be directory text: there is no file name.
//  3. The root is skipped: a UNC server and share (`\\server\share\`, `\\?\UNC\s\s\`), a
//     URL's scheme and host (`https://host/`), or a leading drive (`C:`, `C:tool.exe`).
//  4. The file name is what follows the last separator. "." and ".." name directories.
constexpr file_name_span tool_file_name(std::string_view value) noexcept {
  constexpr auto npos = std::string_view::npos;
  std::size_t start = 0;
  bool unc = false;
  if (value.size() >= 4 && is_path_separator(value[0]) && is_path_separator(value[1]) &&
      (value[2] == '?' || value[2] == '.') && is_path_separator(value[3])) {
    start = 4;
    const std::string_view rest = value.substr(4);
    if (rest.size() > 3 && (rest[0] | 0x20) == 'u' && (rest[1] | 0x20) == 'n' &&
        (rest[2] | 0x20) == 'c' && is_path_separator(rest[3])) {
      start = 8;
      unc = true;
    }
  } else if (value.size() >= 2 && is_path_separator(value[0]) && is_path_separator(value[1])) {
    start = 2;
    unc = true;
  }

  const std::size_t cut = value.find_first_of(" ?#", start);
  if (cut != npos && value.find_first_of("/\\", cut) != npos) return {};
  const std::string_view head = value.substr(0, cut);

  std::size_t path = start;
  if (unc) {
    path = skip_components(head, start, 2);
  } else if (const std::size_t url = url_root_size(head.substr(start)); url != 0) {
    path = skip_components(head, start + url, 1);
  } else if (head.size() >= start + 2 && is_ascii_letter(head[start]) && head[start + 1] == ':') {
    path = start + 2;
  }
  if (path == npos) return {};

  const std::size_t last = head.find_last_of("/\\");
  const std::size_t name = last == npos || last < path ? path : last + 1;
  const std::string_view file = head.substr(name);
  if (file == "." || file == "..") return {};
  return {name, file.size()};
}

}  // namespace detail

// The raw configured tool of a generic task (`generator_exe` or `analyzer_exe`, before
// expansion, e.g. "{tools_dir}/radamsa"). The original sent the whole string centrally
// (docs/catalog.md, "Reviewed types"). For a custom tool that string is a path, a URL
// (with a SAS token in its query) or a command line, which can hold a user or project
// name or a secret, so the central instance gets only a file name that fits the
// grammar [A-Za-z0-9._+-]{1,64}, found by detail::tool_file_name, and "other" otherwise:
//   "{tools_dir}/radamsa" → "radamsa", "C:\Users\a\t.exe" → "t.exe",
//   "https://h/c/t.exe?sv=..&sig=.." → "t.exe", "t.exe -x 1" → "t.exe", "/usr/bin/" → "other".
// Arguments are anything after the first space, as the issue defines them. A space inside
// a directory name ("C:\Program Files\x\t.exe") cannot be told from arguments that hold a
// path ("tool -o /tmp/x"), so when the text after the first space has a separator the
// value gives "other": never the directory before the space. A space inside the file name
// itself ("C:\tools\my tool.exe") gives the part before it ("my"), a piece of the file
// name. The file name itself is still the user's choice; that residue was accepted in
// review. The grammar keeps non-ASCII, '@', ':', '%', '=' and the like out, so a file
// name that is an e-mail address or holds escapes becomes "other" too.
class tool_name final : public reviewed<tool_name> {
 public:
  static constexpr std::string_view projection =
      "file name only: the value is cut at its first ' ', '?' or '#' (arguments, a URL's "
      "query or fragment), and \"other\" is sent if the cut-off text contains '/' or '\\'; "
      "then a leading \\\\?\\ or \\\\.\\ prefix, a UNC server and share, a URL's scheme and "
      "host, or a leading drive (C:) is removed, and the text after the last '/' or '\\' is "
      "sent when it is 1 to 64 of [A-Za-z0-9._+-] and not '.' or '..', otherwise \"other\" "
      "(the directories of a custom tool's path can name a user)";
  static constexpr projection_grammar central_grammar{"A-Za-z0-9._+-", 64};

  // The central form of any value without a file name that fits the grammar.
  static constexpr std::string_view other = "other";

  tool_name() = default;
  explicit tool_name(std::string value) : value_(std::move(value)), name_(central_span(value_)) {}

  // The configured value, unchanged (the user's own instance gets it).
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }

  // The file name (a view into the value), or "other".
  [[nodiscard]] std::string_view central_projection() const noexcept {
    return name_.size == 0 ? other : std::string_view{value_}.substr(name_.offset, name_.size);
  }

  // The central form of value, without storing it; what central_projection() returns for
  // tool_name{value}.
  [[nodiscard]] static constexpr std::string_view central_form(std::string_view value) noexcept {
    const detail::file_name_span span = central_span(value);
    return span.size == 0 ? other : value.substr(span.offset, span.size);
  }

  friend bool operator==(const tool_name& a, const tool_name& b) noexcept {
    return a.value_ == b.value_;
  }

 private:
  // The file name's place, kept only when the grammar accepts it: computed once, here, so
  // central_projection() neither scans nor allocates, and the serializer's own check of the
  // grammar never has to replace a tool_name.
  static constexpr detail::file_name_span central_span(std::string_view value) noexcept {
    const detail::file_name_span span = detail::tool_file_name(value);
    return central_grammar.accepts(value.substr(span.offset, span.size))
               ? span
               : detail::file_name_span{};
  }

  std::string value_;
  detail::file_name_span name_;
};

static_assert(reviewed_value<tool_name>);
static_assert(tool_name::central_form("{tools_dir}/radamsa") == "radamsa");
static_assert(tool_name::central_form("C:\\Program Files\\x\\t.exe") == "other");
static_assert(tool_name::central_grammar.accepts(tool_name::other));

}  // namespace onefuzz::telemetry::catalog
