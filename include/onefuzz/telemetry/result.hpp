// result<T>: a value or an error, the library's one return type for work that must not throw
// (parsing user input, configuration, the transport's requests). std::expected is C++23.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace onefuzz::telemetry {

// One human-readable line that starts with the API's name (or, for a parser's own error,
// says what is wrong with the input). Producers promise it never carries a secret
// (instrumentation key, token, whole connection string) nor echoes the input itself.
struct error {
  std::string message;

  friend bool operator==(const error&, const error&) = default;
};

// Thrown only when a caller asks an error result for its value: a programming mistake,
// so it is a logic_error. The message is the result's error message.
class bad_result_access : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Either a T or an error; never both, never neither.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, telemetry::error>,
                "result<T>: T must not be telemetry::error itself");
  static_assert(!std::is_reference_v<T>, "result<T>: T must not be a reference");

 public:
  using value_type = T;

  // Implicit on purpose, so `return value;` and `return error{...};` both read naturally.
  result(const T& value) : state_(std::in_place_index<0>, value) {}
  result(T&& value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(telemetry::error e) : state_(std::in_place_index<1>, std::move(e)) {}

  // True when the result holds a value.
  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // The value; throws bad_result_access (with the error's message) on an error result.
  [[nodiscard]] T& value() & {
    check();
    return std::get<0>(state_);
  }
  [[nodiscard]] const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }

  // Unchecked access; the caller has tested has_value().
  [[nodiscard]] T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  [[nodiscard]] const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  [[nodiscard]] T* operator->() noexcept { return std::get_if<0>(&state_); }
  [[nodiscard]] const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  // The value, or `fallback` on an error result; never throws beyond T's copy.
  [[nodiscard]] T value_or(T fallback) const& {
    return has_value() ? std::get<0>(state_) : std::move(fallback);
  }

  // The error; throws bad_result_access on a value result.
  [[nodiscard]] const telemetry::error& error() const& {
    if (has_value()) throw bad_result_access("result::error(): the result holds a value");
    return std::get<1>(state_);
  }

 private:
  void check() const {
    if (!has_value()) throw bad_result_access(std::get<1>(state_).message);
  }

  std::variant<T, telemetry::error> state_;
};

// Success without a value, or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;

  result() = default;
  result(telemetry::error e) : error_(std::move(e)), failed_(true) {}

  // True on success.
  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }

  // Throws bad_result_access (with the error's message) on an error result.
  void value() const {
    if (failed_) throw bad_result_access(error_.message);
  }

  // The error; throws bad_result_access on success.
  [[nodiscard]] const telemetry::error& error() const& {
    if (!failed_) throw bad_result_access("result::error(): the result holds a value");
    return error_;
  }

 private:
  telemetry::error error_{};
  bool failed_ = false;
};

}  // namespace onefuzz::telemetry
