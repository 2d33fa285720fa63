// Defines uuid (16 bytes, RFC 4122 text form) and basic_id<Tag>, distinct id types over it.
#pragma once

#include <onefuzz/telemetry/result.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

// Random ids: on Linux straight from the kernel's generator, which needs only
// <sys/random.h>; elsewhere from a generator in <random>, a header that every TU including
// the core would otherwise parse (about a tenth of the core's compile time).
#if defined(__linux__) && __has_include(<sys/random.h>)
#define ONEFUZZ_TELEMETRY_UUID_GETRANDOM 1
#include <sys/random.h>

#include <cerrno>
#else
#include <random>
#endif

namespace onefuzz::telemetry {

// A GUID held as 16 bytes, never as text, and always sent as exactly 36 characters: it
// cannot carry free text of any length. It can still carry 16 arbitrary bytes: one built
// from bytes (the constructor below) or derived from user data (a hash of a path) is as
// well-formed as a random one, so where an id comes from is for a reviewer to check.
class uuid {
 public:
  static constexpr std::size_t text_size = 36;  // 8-4-4-4-12 hex digits
  using bytes_type = std::array<std::uint8_t, 16>;

  // The nil uuid (all zero).
  constexpr uuid() noexcept = default;
  constexpr explicit uuid(const bytes_type& bytes) noexcept : bytes_(bytes) {}

  // Parses 32 hex digits in either case, hyphenated as 8-4-4-4-12 or not, optionally
  // in braces; anything else is an error that says what was wrong.
  [[nodiscard]] static result<uuid> parse(std::string_view text) {
    if (text.size() >= 2 && text.front() == '{') {
      if (text.back() != '}') return error{"uuid: an opening '{' needs a closing '}'"};
      text = text.substr(1, text.size() - 2);
    }
    const bool hyphenated = text.size() == text_size;
    if (!hyphenated && text.size() != 32) {
      return error{"uuid: expected 32 hex digits (8-4-4-4-12), got " +
                         std::to_string(text.size()) + " characters"};
    }
    bytes_type bytes{};
    std::size_t at = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      if (hyphenated && (at == 8 || at == 13 || at == 18 || at == 23)) {
        if (text[at] != '-') {
          return error{"uuid: expected '-' at position " + std::to_string(at)};
        }
        ++at;
      }
      const int high = hex_value(text[at]);
      const int low = hex_value(text[at + 1]);
      if (high < 0 || low < 0) {
        return error{"uuid: invalid hex digit at position " +
                           std::to_string(high < 0 ? at : at + 1)};
      }
      bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
      at += 2;
    }
    return uuid{bytes};
  }

  // A random version-4 uuid: on Linux 122 bits from getrandom(2) (throws
  // std::runtime_error if the kernel's generator cannot be read, as std::random_device
  // would); elsewhere from a per-thread generator seeded by std::random_device.
  [[nodiscard]] static uuid random() {
    bytes_type bytes{};
#if defined(ONEFUZZ_TELEMETRY_UUID_GETRANDOM)
    std::size_t got = 0;
    while (got < bytes.size()) {
      const auto n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;  // interrupted while the pool was being initialized
        throw std::runtime_error{"uuid::random: getrandom failed"};
      }
      got += static_cast<std::size_t>(n);
    }
#else
    thread_local std::mt19937_64 engine{seed()};
    for (std::size_t i = 0; i < 16; i += 8) {
      const std::uint64_t word = engine();
      for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
#endif
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return uuid{bytes};
  }

  // Writes exactly text_size characters, lowercase and hyphenated, to out.
  constexpr void format_to(char* out) const noexcept {
    constexpr char digits[] = "0123456789abcdef";
    std::size_t at = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) out[at++] = '-';
      out[at++] = digits[bytes_[i] >> 4];
      out[at++] = digits[bytes_[i] & 0x0F];
    }
  }

  // The lowercase hyphenated form, as the original sends it.
  [[nodiscard]] std::string to_string() const {
    std::string text(text_size, '\0');
    format_to(text.data());
    return text;
  }

  [[nodiscard]] constexpr const bytes_type& bytes() const noexcept { return bytes_; }
  [[nodiscard]] constexpr bool is_nil() const noexcept { return *this == uuid{}; }

  friend constexpr auto operator<=>(const uuid&, const uuid&) noexcept = default;

 private:
  static constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

#if !defined(ONEFUZZ_TELEMETRY_UUID_GETRANDOM)
  static std::uint64_t seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }
#endif

  bytes_type bytes_{};
};

// An id of one kind (jobs, tasks, machines...). Each Tag makes a distinct type, so a job
// id cannot be passed where a task id is expected: that is a compile error, not a bug.
template <class Tag>
class basic_id {
 public:
  using tag_type = Tag;

  constexpr basic_id() noexcept = default;
  constexpr explicit basic_id(const uuid& value) noexcept : value_(value) {}

  // Parses like uuid::parse.
  [[nodiscard]] static result<basic_id> parse(std::string_view text) {
    auto parsed = uuid::parse(text);
    if (!parsed) return parsed.error();
    return basic_id{*parsed};
  }

  // A fresh random (version 4) id.
  [[nodiscard]] static basic_id random() { return basic_id{uuid::random()}; }

  [[nodiscard]] constexpr const uuid& value() const noexcept { return value_; }
  constexpr void format_to(char* out) const noexcept { value_.format_to(out); }
  [[nodiscard]] std::string to_string() const { return value_.to_string(); }

  friend constexpr auto operator<=>(const basic_id&, const basic_id&) noexcept = default;

 private:
  uuid value_{};
};

namespace detail {
template <class T>
inline constexpr bool is_basic_id_v = false;
template <class Tag>
inline constexpr bool is_basic_id_v<basic_id<Tag>> = true;
}  // namespace detail

// True for uuid and every basic_id<Tag>: 16-byte ids, formatted as 36 characters.
template <class T>
concept id_value = std::same_as<T, uuid> || detail::is_basic_id_v<T>;

}  // namespace onefuzz::telemetry
