// Strict decimal parsing for the integrations' parsers: ASCII digits only, overflow is an
// error (never a wrapped or saturated value), and nothing is accepted after the number.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

namespace onefuzz::telemetry::integrations::detail {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// ASCII whitespace as Rust's str::trim and the regex \s see it in these files.
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

constexpr std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The value of a run of ASCII digits (an optional leading '+', as Rust's u64::from_str
// allows); nullopt when empty, when anything else is present, or when it exceeds 2^64-1.
constexpr std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// A finite decimal number ("3715.91", "1e3", an optional leading '+'); nullopt for text
// that is not entirely a number, for NaN and infinities (AFL prints "-nan" for a rate
// over zero seconds, which would be noise as telemetry) and for values out of range.
inline std::optional<double> parse_finite_double(std::string_view text) noexcept {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Adds without wrapping: totals stay at the maximum instead of restarting from zero.
constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

}  // namespace onefuzz::telemetry::integrations::detail
