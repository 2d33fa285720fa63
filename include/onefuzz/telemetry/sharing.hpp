// Defines the sharing attributes central<T> and instance_only<T> that every event field
// must carry, and the rule that only text-free values may be central.
#pragma once

#include <onefuzz/telemetry/detail/std_names.hpp>  // std::filesystem::path, declared
#include <onefuzz/telemetry/value_kind.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace onefuzz::telemetry {

// Where a field may be sent.
enum class sharing {
  central,        // the user's instance and the central instance
  instance_only,  // the user's own instance only
};

namespace detail {

// Holds the value of a field; the attribute classes below add nothing at run time.
// Reading and writing are as for a plain member: `ev.count = 5; auto n = ev.count + 1;`.
template <class T>
class field_storage {
 public:
  using value_type = T;

  constexpr field_storage() = default;

  template <class U>
  constexpr field_storage(std::in_place_t, U&& value) : value_(std::forward<U>(value)) {}

  // The exclusion is the first conjunct here and in the attributes' constructors: the
  // compiler weighs these templates for every copy and move of the class, and stops at the
  // first false conjunct, so instantiating central<T> need not ask whether T is assignable
  // (or constructible) from the attribute itself, which costs every event its compile time.
  template <class U>
    requires(!std::derived_from<std::remove_cvref_t<U>, field_storage>) &&
            std::assignable_from<T&, U&&>
  constexpr field_storage& operator=(U&& value) {
    value_ = std::forward<U>(value);
    return *this;
  }

  constexpr operator const T&() const& noexcept { return value_; }
  constexpr operator T&() & noexcept { return value_; }

  [[nodiscard]] constexpr const T& get() const noexcept { return value_; }
  [[nodiscard]] constexpr T& get() noexcept { return value_; }
  [[nodiscard]] constexpr const T& operator*() const noexcept { return value_; }
  [[nodiscard]] constexpr T& operator*() noexcept { return value_; }
  constexpr const T* operator->() const noexcept { return &value_; }
  constexpr T* operator->() noexcept { return &value_; }

  friend constexpr bool operator==(const field_storage& a, const field_storage& b)
    requires std::equality_comparable<T>
  {
    return a.value_ == b.value_;
  }

 private:
  T value_{};
};

}  // namespace detail

namespace detail {

// Intentionally undefined: instantiated only to fail, so that the compiler prints the
// character pointer or array type a central field was declared with, e.g.
//   character_text_cannot_be_central<const wchar_t*>
template <class T>
struct character_text_cannot_be_central;

template <class T>
inline constexpr bool is_character_text_v =
    (std::is_pointer_v<T> || std::is_array_v<T>) && text_value<T>;

// True unless T is a character pointer or array; then an error that names T.
template <class T>
constexpr bool character_text_is_not_central() {
  if constexpr (is_character_text_v<T>) {
    return sizeof(character_text_cannot_be_central<T>) == 0;
  } else {
    return true;
  }
}

}  // namespace detail

// A field that may be sent to the central instance. Only values that cannot hold free
// text are accepted: ids, wire enums, integers, floating point, bool, version, reviewed
// types, and optionals of those. Anything else fails to compile here, at the field. (A
// number or an id can still encode data its code puts there: docs/telemetry.md lists what
// a reviewer checks by hand.)
template <class T>
class central : public detail::field_storage<T> {
  static_assert(!std::same_as<unwrap_optional_t<T>, std::string>,
                "onefuzz::telemetry::central<std::string>: a free-form string can carry user "
                "text, so it cannot be central; declare the field instance_only<std::string>, "
                "or wrap it in a reviewed type (onefuzz/telemetry/reviewed.hpp)");
  static_assert(!std::same_as<unwrap_optional_t<T>, std::string_view>,
                "onefuzz::telemetry::central<std::string_view>: a free-form string can carry "
                "user text, so it cannot be central; declare the field instance_only<...>, or "
                "wrap it in a reviewed type (onefuzz/telemetry/reviewed.hpp)");
  static_assert(!std::same_as<unwrap_optional_t<T>, std::filesystem::path>,
                "onefuzz::telemetry::central<std::filesystem::path>: a path can carry user "
                "names and directories, so it cannot be central; declare the field "
                "instance_only<std::filesystem::path>, or wrap it in a reviewed type");
  static_assert(!detail::is_character_text_v<unwrap_optional_t<T>>,
                "onefuzz::telemetry::central<T>: T is a character pointer or array (named here "
                "or in character_text_cannot_be_central<T> below), which is free-form "
                "text, so it cannot be central; declare the field instance_only<std::string>, "
                "or wrap it in a reviewed type");
  static_assert(detail::character_text_is_not_central<unwrap_optional_t<T>>());
  static_assert(detail::check_reviewed_type<unwrap_optional_t<T>>(),
                "onefuzz::telemetry::central<T>: T derives from reviewed but is not a complete "
                "reviewed type (see the error above)");
  static_assert(field_value<T>,
                "onefuzz::telemetry::central<T>: T must be a bool, an integer, a floating-point "
                "number, an enum with onefuzz_wire_names, a uuid or basic_id, a version, a "
                "reviewed type, or a std::optional of one of these");

 public:
  static constexpr telemetry::sharing sharing = telemetry::sharing::central;

  constexpr central() = default;

  // Explicit exactly when T's own constructor is, so a designated initialiser cannot
  // bypass an explicit constructor (`{.job = uuid{...}}` must not make a job_id). Written
  // here rather than inherited: g++ 12 drops explicit(bool) on inherited constructors.
  template <class U>
    requires(!std::derived_from<std::remove_cvref_t<U>, detail::field_storage<T>>) &&
            std::constructible_from<T, U&&>
  constexpr explicit(!std::is_convertible_v<U&&, T>) central(U&& value)
      : detail::field_storage<T>(std::in_place, std::forward<U>(value)) {}
  using detail::field_storage<T>::operator=;
};

// A field for the user's own instance only: the central serializer never reads it.
template <class T>
class instance_only : public detail::field_storage<T> {
  static_assert(field_value<T>,
                "onefuzz::telemetry::instance_only<T>: T must be a bool, an integer, a "
                "floating-point number, an enum with onefuzz_wire_names, a uuid or basic_id, a "
                "version, a string, string_view or path, a reviewed type, or a std::optional "
                "of one of these");
  static_assert(detail::check_reviewed_type<unwrap_optional_t<T>>(),
                "onefuzz::telemetry::instance_only<T>: T derives from reviewed but is not a "
                "complete reviewed type (see the error above)");

 public:
  static constexpr telemetry::sharing sharing = telemetry::sharing::instance_only;

  constexpr instance_only() = default;

  // Explicit exactly when T's own constructor is, so a designated initialiser cannot
  // bypass an explicit constructor (`{.job = uuid{...}}` must not make a job_id). Written
  // here rather than inherited: g++ 12 drops explicit(bool) on inherited constructors.
  template <class U>
    requires(!std::derived_from<std::remove_cvref_t<U>, detail::field_storage<T>>) &&
            std::constructible_from<T, U&&>
  constexpr explicit(!std::is_convertible_v<U&&, T>) instance_only(U&& value)
      : detail::field_storage<T>(std::in_place, std::forward<U>(value)) {}
  using detail::field_storage<T>::operator=;
};

namespace detail {
template <class F>
inline constexpr bool is_attributed_v = false;
template <class T>
inline constexpr bool is_attributed_v<central<T>> = true;
template <class T>
inline constexpr bool is_attributed_v<instance_only<T>> = true;
}  // namespace detail

// A member type that carries a sharing attribute.
template <class F>
concept attributed_field = detail::is_attributed_v<std::remove_cv_t<F>>;

// How a field reaches the central instance, as the privacy manifest names it.
enum class central_exposure { none, value, projection };

// none for instance_only, projection for a central reviewed type, value otherwise.
template <attributed_field F>
constexpr central_exposure exposure_of() {
  if constexpr (F::sharing == sharing::instance_only) return central_exposure::none;
  else if constexpr (reviewed_value<unwrap_optional_t<typename F::value_type>>)
    return central_exposure::projection;
  else return central_exposure::value;
}

static_assert(sizeof(central<std::uint64_t>) == sizeof(std::uint64_t),
              "the sharing attribute must cost nothing at run time");
static_assert(sizeof(instance_only<double>) == sizeof(double),
              "the sharing attribute must cost nothing at run time");

}  // namespace onefuzz::telemetry
