// Defines wire_enum: enums with a fixed wire name per value, and their parse and format.
#pragma once

#include <onefuzz/telemetry/result.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace onefuzz::telemetry {

// The wire names of an enum whose values are 0..N-1, in order, plus the enum's own name
// for error messages. An enum opts in with a constexpr function found by ADL:
//
//   enum class os { windows, linux_os };
//   constexpr auto onefuzz_wire_names(os) {
//     return onefuzz::telemetry::enum_wire_names<2>{"os", {"windows", "linux"}};
//   }
template <std::size_t N>
struct enum_wire_names {
  std::string_view type_name;
  std::array<std::string_view, N> names;
};

namespace detail {

// Wire names are written into JSON without escaping, so they are held to [a-z0-9_].
constexpr bool is_plain_wire_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

template <std::size_t N>
constexpr bool wire_names_are_valid(const enum_wire_names<N>& table) {
  for (std::size_t i = 0; i < N; ++i) {
    if (!is_plain_wire_name(table.names[i])) return false;
    for (std::size_t j = i + 1; j < N; ++j) {
      if (table.names[i] == table.names[j]) return false;
    }
  }
  return true;
}

}  // namespace detail

// An enum with wire names (see enum_wire_names).
template <class E>
concept wire_enum = std::is_enum_v<E> && requires(E e) {
  { onefuzz_wire_names(e).names };
};

// The table of E's wire names, checked once at compile time.
template <wire_enum E>
inline constexpr auto wire_names_of = onefuzz_wire_names(E{});

template <wire_enum E>
inline constexpr bool wire_names_checked = [] {
  static_assert(detail::wire_names_are_valid(wire_names_of<E>),
                "onefuzz::telemetry::enum_wire_names: every wire name must be non-empty, "
                "unique, and made of [a-z0-9_]");
  return true;
}();

// The wire name of value, or an empty view when value is outside the declared range.
template <wire_enum E>
[[nodiscard]] constexpr std::string_view wire_name(E value) noexcept {
  static_assert(wire_names_checked<E>);
  const auto index = static_cast<std::size_t>(static_cast<std::underlying_type_t<E>>(value));
  const auto& names = wire_names_of<E>.names;
  return index < names.size() ? names[index] : std::string_view{};
}

// Parses a wire name (exact, case-sensitive, as the original's serde and Python enums);
// an unknown name is an error listing the accepted ones, never a silent default.
template <wire_enum E>
[[nodiscard]] result<E> parse_wire_name(std::string_view text) {
  static_assert(wire_names_checked<E>);
  const auto& table = wire_names_of<E>;
  for (std::size_t i = 0; i < table.names.size(); ++i) {
    if (table.names[i] == text) return static_cast<E>(i);
  }
  std::string message{table.type_name};
  message += ": unknown wire name '";
  // The input may be hostile; show a bounded prefix only.
  message += text.substr(0, 64);
  message += "' (expected one of:";
  for (auto name : table.names) {
    message += ' ';
    message += name;
  }
  message += ')';
  return error{std::move(message)};
}

}  // namespace onefuzz::telemetry
