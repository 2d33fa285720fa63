// Defines version: a OneFuzz version string held to a grammar, so it carries no free text.
#pragma once

#include <onefuzz/telemetry/result.hpp>

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

namespace onefuzz::telemetry {

// The library's own version, sent as ai.internal.sdkVersion ("onefuzz-telemetry-cpp:<v>").
inline constexpr std::string_view library_version = "0.1.0";

// A version as the original's build scripts produce it (docs/integrations.md, "Version string"):
//   MAJOR.MINOR.PATCH                      tag builds
//   MAJOR.MINOR.PATCH+<git sha>            other builds ('-' before May 2023)
//   ...<sha>.localchanges | -local_changes a dirty tree
// The sha is 7 to 40 lowercase hex digits. Nothing else is accepted, so a version cannot
// hold free text such as a user name or a path; its hex digits can still encode up to 20
// bytes of anything, which is why a reviewer checks where a central version comes from.
class version {
 public:
  static constexpr std::size_t max_size = 5 * 3 + 2 + 1 + 40 + 14;

  // 0.0.0
  constexpr version() noexcept { assign("0.0.0"); }

  // Parses text by the grammar above; the error names the part that did not fit.
  [[nodiscard]] static result<version> parse(std::string_view text) {
    std::string_view rest = text;
    for (int part = 0; part < 3; ++part) {
      std::size_t digits = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 0 || digits > 5) {
        return error{"version: expected MAJOR.MINOR.PATCH with 1 to 5 digits each"};
      }
      rest.remove_prefix(digits);
      if (part < 2) {
        if (rest.empty() || rest.front() != '.') {
          return error{"version: expected MAJOR.MINOR.PATCH with 1 to 5 digits each"};
        }
        rest.remove_prefix(1);
      }
    }
    if (!rest.empty()) {
      if (rest.front() != '+' && rest.front() != '-') {
        return error{"version: after MAJOR.MINOR.PATCH only '+<git sha>' or '-<git sha>' may follow"};
      }
      rest.remove_prefix(1);
      std::size_t hex = 0;
      while (hex < rest.size() &&
             ((rest[hex] >= '0' && rest[hex] <= '9') || (rest[hex] >= 'a' && rest[hex] <= 'f'))) {
        ++hex;
      }
      if (hex < 7 || hex > 40) {
        return error{"version: the git sha must be 7 to 40 lowercase hex digits"};
      }
      rest.remove_prefix(hex);
      if (!rest.empty() && rest != ".localchanges" && rest != "-local_changes") {
        return error{"version: only '.localchanges' or '-local_changes' may follow the git sha"};
      }
    }
    version parsed;
    parsed.assign(text);
    return parsed;
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {text_.data(), size_}; }
  [[nodiscard]] std::string to_string() const { return std::string{view()}; }

  friend constexpr bool operator==(const version& a, const version& b) noexcept {
    return a.view() == b.view();
  }

 private:
  constexpr void assign(std::string_view text) noexcept {
    size_ = std::min(text.size(), max_size);
    std::copy_n(text.data(), size_, text_.data());
  }

  std::array<char, max_size> text_{};
  std::size_t size_ = 0;
};

}  // namespace onefuzz::telemetry
