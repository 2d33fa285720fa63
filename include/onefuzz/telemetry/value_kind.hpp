// Defines the value kinds an event field may hold, and which of them can carry user text.
#pragma once

#include <onefuzz/telemetry/detail/std_names.hpp>  // std::filesystem::path, declared
#include <onefuzz/telemetry/reviewed.hpp>
#include <onefuzz/telemetry/uuid.hpp>
#include <onefuzz/telemetry/version.hpp>
#include <onefuzz/telemetry/wire_enum.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace onefuzz::telemetry {

namespace detail {
template <class T>
inline constexpr bool is_char_v = std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                                  std::is_same_v<T, unsigned char> || std::is_same_v<T, char8_t> ||
                                  std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t> ||
                                  std::is_same_v<T, wchar_t>;
}  // namespace detail

// Free-form text: strings, string views, character pointers and arrays, paths.
template <class T>
concept text_value =
    std::same_as<T, std::string> || std::same_as<T, std::string_view> ||
    std::same_as<T, std::filesystem::path> ||
    (std::is_pointer_v<T> && detail::is_char_v<std::remove_cv_t<std::remove_pointer_t<T>>>) ||
    (std::is_array_v<T> && detail::is_char_v<std::remove_cv_t<std::remove_extent_t<T>>>);

template <class T>
concept integer_value = std::integral<T> && !std::same_as<T, bool> && !detail::is_char_v<T>;

// float and double only: long double has no JSON counterpart and would need a larger
// formatting buffer than the writer's.
template <class T>
concept floating_value = std::same_as<T, float> || std::same_as<T, double>;

// The kinds of value an event field can hold.
enum class value_kind { boolean, integer, floating, enumeration, id, version, text, reviewed };

namespace detail {
template <class T>
struct optional_traits {
  static constexpr bool is_optional = false;
  using value_type = T;
};
template <class T>
struct optional_traits<std::optional<T>> {
  static constexpr bool is_optional = true;
  using value_type = T;
};
}  // namespace detail

// T without a std::optional around it.
template <class T>
using unwrap_optional_t = typename detail::optional_traits<T>::value_type;

template <class T>
inline constexpr bool is_optional_v = detail::optional_traits<T>::is_optional;

// A plain (non-optional) value that the JSON writer knows how to write.
template <class T>
concept plain_field_value = std::same_as<T, bool> || integer_value<T> || floating_value<T> ||
                            wire_enum<T> || id_value<T> || std::same_as<T, version> ||
                            text_value<T> || reviewed_value<T>;

// A value an event field may hold: a plain value, or an optional one (left out when empty).
template <class T>
concept field_value = plain_field_value<unwrap_optional_t<T>> &&
                      !is_optional_v<unwrap_optional_t<T>>;

// A value that cannot hold free text by construction, plus reviewed types.
template <class T>
concept central_value =
    field_value<T> && !text_value<unwrap_optional_t<T>>;

// The kind of a field value (optional unwrapped).
template <field_value T>
constexpr value_kind kind_of() {
  using V = unwrap_optional_t<T>;
  if constexpr (std::same_as<V, bool>) return value_kind::boolean;
  else if constexpr (integer_value<V>) return value_kind::integer;
  else if constexpr (floating_value<V>) return value_kind::floating;
  else if constexpr (wire_enum<V>) return value_kind::enumeration;
  else if constexpr (id_value<V>) return value_kind::id;
  else if constexpr (std::same_as<V, version>) return value_kind::version;
  else if constexpr (reviewed_value<V>) return value_kind::reviewed;
  else return value_kind::text;
}

// The type as the privacy manifest names it: u64, i32, f64, bool, uuid, version,
// string, path, the enum's own name, or the reviewed type's string form.
template <field_value T>
constexpr std::string_view type_name_of() {
  using V = unwrap_optional_t<T>;
  if constexpr (std::same_as<V, bool>) return "bool";
  else if constexpr (integer_value<V>) {
    constexpr bool is_signed = std::is_signed_v<V>;
    switch (sizeof(V)) {
      case 1: return is_signed ? "i8" : "u8";
      case 2: return is_signed ? "i16" : "u16";
      case 4: return is_signed ? "i32" : "u32";
      default: return is_signed ? "i64" : "u64";
    }
  } else if constexpr (floating_value<V>) return sizeof(V) == 4 ? "f32" : "f64";
  else if constexpr (wire_enum<V>) return wire_names_of<V>.type_name;
  else if constexpr (id_value<V>) return "uuid";
  else if constexpr (std::same_as<V, version>) return "version";
  else if constexpr (std::same_as<V, std::filesystem::path>) return "path";
  else return "string";
}

}  // namespace onefuzz::telemetry
