// Defines parse_result<T>: a value or an error message, for parsing that must not throw.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace onefuzz::telemetry {

// An error from parsing or validation; the message never echoes secret input.
struct parse_error {
  std::string message;
};

// Either a T or a parse_error. Parsing user input returns this instead of throwing,
// because bad input is expected and the caller decides what an error costs.
template <class T>
class parse_result {
 public:
  parse_result(T value) : state_(std::move(value)) {}
  parse_result(parse_error error) : state_(std::move(error)) {}

  // True when parsing succeeded.
  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // The parsed value; only valid when has_value().
  [[nodiscard]] const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  [[nodiscard]] const T& operator*() const& { return value(); }
  [[nodiscard]] const T* operator->() const { return &value(); }

  // The error; only valid when !has_value().
  [[nodiscard]] const parse_error& error() const& {
    assert(!has_value());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, parse_error> state_;
};

}  // namespace onefuzz::telemetry
