// Defines afl_mode, AFL runtime_stats' `mode`: the raw target_mode for the user's
// instance; centrally, the same text only when it is made of AFL's own mode words.
#pragma once

#include <onefuzz/telemetry/reviewed.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::catalog {

namespace detail {

// Every word AFL and AFL++ write into `target_mode` (afl-fuzz's write_stats_file):
//   AFL 2.x:  qemu, dumb, no_forksrv, crash, persistent, deferred, default
//   AFL++:    unicorn, qemu, coresight, non_instrumented, no_fsrv, crash, persistent,
//             shmem_testcase, deferred, default
// No word is a prefix of another, which the matcher below relies on.
// FRIDA and Nyx modes are not written there (afl-fuzz-stats.c), so they are not listed.
inline constexpr std::array<std::string_view, 12> afl_target_mode_words = {
    "default",  "qemu",    "dumb",      "no_forksrv",       "crash",   "persistent",
    "deferred", "unicorn", "coresight", "non_instrumented", "no_fsrv", "shmem_testcase"};

constexpr bool is_afl_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// text without leading and trailing whitespace (what the original's parser sends).
constexpr std::string_view trim_afl_value(std::string_view text) noexcept {
  while (!text.empty() && is_afl_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_afl_space(text.back())) text.remove_suffix(1);
  return text;
}

// The longest trimmed value sent centrally. The longest AFL++ writes, every flag set, is
// "unicornqemu coresight non_instrumented no_fsrv crash persistent shmem_testcase
// deferred", 87 bytes (AFL 2.x: 47); 128 leaves room for a word or two more, while a
// value that repeats words without end is not a real mode.
inline constexpr std::size_t max_afl_mode_size = 128;

// True when the trimmed text, at most max_afl_mode_size bytes, is one or more mode words
// separated by spaces (AFL writes nothing else between them; a tab inside would also not
// fit central_grammar). Words may be glued: AFL++ writes "unicorn" and "coresight"
// without a trailing space, so "unicornpersistent" is a real value.
constexpr bool is_afl_target_mode(std::string_view text) noexcept {
  text = trim_afl_value(text);
  if (text.empty() || text.size() > max_afl_mode_size) return false;
  while (!text.empty()) {
    if (text.front() == ' ') {
      text.remove_prefix(1);
      continue;
    }
    bool matched = false;
    for (auto word : afl_target_mode_words) {
      if (text.starts_with(word)) {
        text.remove_prefix(word.size());
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

}  // namespace detail

// AFL's `target_mode` as the original's stats parser reads it. The original sends it
// centrally as a free string (docs/catalog.md, "Reviewed types"). It is not a fixed
// set, so it is not a wire enum: AFL writes a space-separated combination of flags
// ("qemu persistent deferred", "unicornpersistent"), which no enum of single names could
// hold without losing data on the user's instance. It is a reviewed type instead: the user's
// instance gets the value unchanged; the central instance gets the trimmed value when
// it is AFL mode words separated by spaces, at most max_afl_mode_size bytes (so existing
// queries see the same strings as before), and "other" for anything else: an unknown
// fuzzer build's text never leaves.
class afl_mode final : public reviewed<afl_mode> {
 public:
  static constexpr std::string_view projection =
      "the trimmed value when it consists only of AFL/AFL++ target_mode words (default, "
      "qemu, dumb, no_forksrv, crash, persistent, deferred, unicorn, coresight, "
      "non_instrumented, no_fsrv, shmem_testcase) separated by spaces, at most 128 bytes, "
      "otherwise \"other\"";
  // Exactly the characters the projection can send: the letters of the mode words and of
  // "other" (all of a-v but j), '_' and the space. From 4 ("qemu", "dumb") to
  // max_afl_mode_size bytes.
  static constexpr projection_grammar central_grammar{"a-ik-v_ ", detail::max_afl_mode_size,
                                                      4};

  // The central form of any value that is not made of mode words.
  static constexpr std::string_view other = "other";

  afl_mode() = default;
  explicit afl_mode(std::string value)
      : value_(std::move(value)), known_(detail::is_afl_target_mode(value_)) {}

  // The value as read from fuzzer_stats, unchanged.
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }

  // The trimmed value if it is made of AFL mode words, otherwise "other".
  [[nodiscard]] std::string_view central_projection() const noexcept {
    return known_ ? detail::trim_afl_value(value_) : other;
  }

  // True when the central instance gets the value rather than "other".
  [[nodiscard]] bool is_known() const noexcept { return known_; }

  friend bool operator==(const afl_mode& a, const afl_mode& b) noexcept {
    return a.value_ == b.value_;
  }

 private:
  std::string value_;
  bool known_ = false;
};

static_assert(reviewed_value<afl_mode>);
static_assert(afl_mode::central_grammar.accepts(afl_mode::other));

}  // namespace onefuzz::telemetry::catalog
