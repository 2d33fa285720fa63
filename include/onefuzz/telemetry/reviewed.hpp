// Defines reviewed<Self>, the only way to put text in a central field, and the grammar that
// every central form of a reviewed type is checked against at run time.
//
//   class build_flavor final : public onefuzz::telemetry::reviewed<build_flavor> {
//    public:
//     static constexpr std::string_view projection = "the flavor word, otherwise \"other\"";
//     static constexpr onefuzz::telemetry::projection_grammar central_grammar{"a-z", 16};
//     std::string_view full_value() const;          // what the user's own instance gets
//     std::string_view central_projection() const;  // what the central instance gets
//   };
//
// A reviewed type names itself in its base and is final: no other class can inherit its
// review and change its projection, and `grep reviewed` finds every type that sends text
// centrally. Whatever central_projection() returns, a value outside central_grammar is sent
// as "other" and counted (write_report::projection_rejected): the grammar, not the code,
// is what the reviewer approves.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace onefuzz::telemetry {

// The characters and length a reviewed type's central form may have, for example
// projection_grammar{"A-Za-z0-9._+-", 64}: the text must be 1 to 64 bytes, each one of the
// listed characters. The character class lists single characters and ranges `a-z`; a `-`
// first or last stands for itself. Only printable ASCII other than `"` and `\` may be
// listed, so a central form can never carry escapes, control characters or non-ASCII text.
class projection_grammar {
 public:
  constexpr projection_grammar() noexcept = default;

  // An invalid class (an empty one, a reversed range, a character outside printable ASCII,
  // `"` or `\`) or a maximum of 0 or above 8192 is not a constant expression: the reviewed
  // type that declares it does not compile.
  consteval projection_grammar(std::string_view allowed, std::size_t max_size,
                               std::size_t min_size = 1)
      : allowed_(allowed), min_size_(min_size), max_size_(max_size) {
    if (allowed.empty() || max_size == 0 || max_size > 8192 || min_size > max_size) {
      invalid_projection_grammar();
    }
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      const char first = allowed[i];
      char last = first;
      if (i + 2 < allowed.size() && allowed[i + 1] == '-') {
        last = allowed[i + 2];
        i += 2;
      }
      if (!is_listable(first) || !is_listable(last) || last < first) invalid_projection_grammar();
      for (int c = first; c <= last; ++c) {
        const auto byte = static_cast<unsigned>(c);
        set_[byte / 64] |= std::uint64_t{1} << (byte % 64);
      }
    }
  }

  // True when text has min_size() to max_size() bytes, each in the character class.
  [[nodiscard]] constexpr bool accepts(std::string_view text) const noexcept {
    if (text.size() < min_size_ || text.size() > max_size_) return false;
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if ((set_[byte / 64] >> (byte % 64) & 1U) == 0) return false;
    }
    return true;
  }

  // The character class as declared, without brackets ("A-Za-z0-9._+-").
  [[nodiscard]] constexpr std::string_view allowed() const noexcept { return allowed_; }
  [[nodiscard]] constexpr std::size_t min_size() const noexcept { return min_size_; }
  [[nodiscard]] constexpr std::size_t max_size() const noexcept { return max_size_; }

 private:
  static constexpr bool is_listable(char c) noexcept {
    return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
  }
  // Not constexpr: reaching it in a consteval constructor is the compile error, and the
  // compiler names this function.
  static void invalid_projection_grammar() noexcept {}

  std::array<std::uint64_t, 4> set_{};
  std::string_view allowed_;
  std::size_t min_size_ = 0;
  std::size_t max_size_ = 0;
};

// What the central instance gets in place of a projection that breaks its grammar.
inline constexpr std::string_view rejected_projection = "other";

namespace detail {
// Common base of every reviewed<Self>, so a class that derives from one can be found and
// checked even when it names another type as Self.
struct reviewed_base {};
}  // namespace detail

// Base class of a reviewed type (see the top of this file). Self is the reviewed type
// itself, which must be final.
template <class Self>
class reviewed : public detail::reviewed_base {
 public:
  using reviewed_type = Self;

  // Checked when a Self is first constructed, where Self is complete. Public, so that a
  // reviewed type without constructors of its own (an aggregate) can still be
  // value-initialized.
  constexpr reviewed() noexcept {
    static_assert(std::is_final_v<Self>,
                  "onefuzz::telemetry::reviewed<Self>: a reviewed type must be declared final "
                  "(class Self final : public reviewed<Self>), so no class can derive from it "
                  "and change its central projection under its review");
  }
};

// A complete reviewed type: derives from reviewed of itself, is final, and provides the
// values, the rule and the grammar.
template <class T>
concept reviewed_value =
    std::derived_from<T, reviewed<T>> && std::is_final_v<T> && requires(const T& value) {
      { value.full_value() } -> std::convertible_to<std::string_view>;
      { value.central_projection() } -> std::convertible_to<std::string_view>;
      { T::projection } -> std::convertible_to<std::string_view>;
      { T::central_grammar } -> std::convertible_to<projection_grammar>;
    };

namespace detail {

// Compile-time checks of a class derived from some reviewed<X>, each with a sentence; true
// when T is a complete reviewed type.
template <class T>
constexpr bool check_reviewed_type() {
  if constexpr (std::derived_from<T, reviewed_base>) {
    constexpr bool names_itself = std::derived_from<T, reviewed<T>>;
    static_assert(names_itself,
                  "onefuzz::telemetry::reviewed: this type derives from a reviewed type other "
                  "than itself; a reviewed type must be declared `class T final : public "
                  "reviewed<T>` so that its own rule, not another type's, is what the audit "
                  "lists and the reviewer approves");
    static_assert(!names_itself || std::is_final_v<T>,
                  "onefuzz::telemetry::reviewed<T>: a reviewed type must be declared final "
                  "(class T final : public reviewed<T>), so no class can derive from it and "
                  "change its central projection under its review");
    if constexpr (names_itself && std::is_final_v<T>) {
      static_assert(requires(const T& value) {
        { value.full_value() } -> std::convertible_to<std::string_view>;
        { value.central_projection() } -> std::convertible_to<std::string_view>;
      }, "onefuzz::telemetry::reviewed<T>: a reviewed type must provide std::string_view "
         "full_value() const and std::string_view central_projection() const");
      static_assert(requires {
        { T::projection } -> std::convertible_to<std::string_view>;
      }, "onefuzz::telemetry::reviewed<T>: a reviewed type must state its rule as "
         "`static constexpr std::string_view projection = \"...\";` (the audit lists it)");
      static_assert(requires {
        { T::central_grammar } -> std::convertible_to<projection_grammar>;
      }, "onefuzz::telemetry::reviewed<T>: a reviewed type must declare the grammar of its "
         "central form as `static constexpr projection_grammar central_grammar{\"a-z0-9\", "
         "64};` (checked on every value sent)");
    }
    return reviewed_value<T>;
  } else {
    return true;
  }
}

}  // namespace detail

// The central form of value: its projection when central_grammar accepts it, otherwise
// rejected_projection ("other"), with `rejected` incremented.
template <reviewed_value T>
constexpr std::string_view checked_projection(const T& value, std::uint32_t& rejected) noexcept(
    noexcept(value.central_projection())) {
  const std::string_view projected = value.central_projection();
  if (T::central_grammar.accepts(projected)) return projected;
  ++rejected;
  return rejected_projection;
}

}  // namespace onefuzz::telemetry
