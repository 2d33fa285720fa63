// Defines the JSON writer: an append-only output_buffer that keeps its capacity, string
// escaping with UTF-8 repair and length limits, and uuid text. Number formatting
// (json::format_integer, format_display, format_json_number) is in detail/number_format.hpp,
// included here.
#pragma once

#include <onefuzz/telemetry/detail/number_format.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace onefuzz::telemetry {

// A growable byte buffer for payloads. clear() keeps the capacity, so a buffer reused for
// every event stops allocating once it has seen the largest one.
class output_buffer {
 public:
  output_buffer() = default;
  explicit output_buffer(std::size_t initial_capacity) { grow(initial_capacity); }

  // Owns its bytes through a plain pointer: std::unique_ptr would need <memory>, whose
  // shared_ptr and atomics every TU that includes the core would parse.
  output_buffer(output_buffer&& other) noexcept
      : data_{std::exchange(other.data_, nullptr)},
        size_{std::exchange(other.size_, 0)},
        capacity_{std::exchange(other.capacity_, 0)} {}
  output_buffer& operator=(output_buffer&& other) noexcept {
    if (this != &other) {
      delete[] data_;
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  output_buffer(const output_buffer&) = delete;
  output_buffer& operator=(const output_buffer&) = delete;
  ~output_buffer() { delete[] data_; }

  // Empties the buffer without releasing memory.
  void clear() noexcept { size_ = 0; }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::string str() const { return std::string{view()}; }

  // A pointer to at least n writable bytes after the content; commit() what was written.
  [[nodiscard]] char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    return data_ + size_;
  }
  // The end of the content, without the capacity check: for a writer that reserve()d room
  // for at least n more bytes beforehand (a run of members bounded at compile time).
  [[nodiscard]] char* reserved_tail([[maybe_unused]] std::size_t n) noexcept {
    assert(capacity_ - size_ >= n && "output_buffer::reserved_tail: reserve() the room first");
    return data_ + size_;
  }
  void commit(std::size_t n) noexcept { size_ += n; }
  // Commits up to end, a pointer previously obtained from reserve().
  void commit_to(const char* end) noexcept { size_ = static_cast<std::size_t>(end - data_); }

  void append(const char* text, std::size_t n) {
    if (n == 0) return;  // memcpy with a null pointer is undefined, even for 0 bytes
    std::memcpy(reserve(n), text, n);
    size_ += n;
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void push_back(char c) {
    *reserve(1) = c;
    ++size_;
  }

  // Overwrites one byte already written (used to open a section once it has content).
  void set(std::size_t at, char c) noexcept { data_[at] = c; }

 private:
  // Out of line and cold: a buffer grows a few times in its life, so every reserve() in
  // the writers stays a compare and a branch.
  [[gnu::noinline, gnu::cold]] void grow(std::size_t needed) {
    std::size_t capacity = std::max<std::size_t>(capacity_ * 2, 256);
    while (capacity < needed) capacity *= 2;
    char* bigger = new char[capacity];  // left uninitialized, as make_unique_for_overwrite did
    if (size_ != 0) std::memcpy(bigger, data_, size_);
    delete[] data_;
    data_ = bigger;
    capacity_ = capacity;
  }

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// What the writer changed in the input to keep the output valid and within the limits.
// Nothing is dropped silently: the sender adds these to its counters.
struct write_report {
  std::uint32_t truncated_values = 0;       // values cut at the length limit
  std::uint32_t invalid_utf8_replaced = 0;  // bytes replaced by U+FFFD
  std::uint32_t non_finite_omitted = 0;     // NaN/Inf left out of typed measurements
  std::uint32_t out_of_range_enums = 0;     // enum values without a wire name
  std::uint32_t projection_rejected = 0;    // reviewed projections outside their grammar

  [[nodiscard]] bool clean() const noexcept {
    return truncated_values == 0 && invalid_utf8_replaced == 0 && non_finite_omitted == 0 &&
           out_of_range_enums == 0 && projection_rejected == 0;
  }
  write_report& operator+=(const write_report& other) noexcept {
    truncated_values += other.truncated_values;
    invalid_utf8_replaced += other.invalid_utf8_replaced;
    non_finite_omitted += other.non_finite_omitted;
    out_of_range_enums += other.out_of_range_enums;
    projection_rejected += other.projection_rejected;
    return *this;
  }
};

namespace json {

namespace detail {

// Length of the well-formed UTF-8 sequence starting at text[0] (Unicode Table 3-7:
// no overlongs, no surrogates, nothing above U+10FFFF), or 0 when it is ill-formed.
constexpr std::size_t utf8_sequence_length(const unsigned char* text, std::size_t available) noexcept {
  const unsigned char lead = text[0];
  auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i < available && text[i] >= low && text[i] <= high;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
    return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3)
    return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xF4) return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

// 0: copy as is; 1: needs a backslash escape; 2: starts a multi-byte sequence.
inline constexpr auto byte_class = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 1;
  table['"'] = 1;
  table['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  return table;
}();

// Eight bytes at a time (SWAR): a mask with the high bit set in each byte of word that
// needs care. A byte's high bit ends up set when it is below 0x20 (word - 0x20 wraps), is
// '"' or '\\' (its xor with them is 0, so minus 1 wraps), or is 0x80 or more (already set).
// A borrow only carries up from a byte that is flagged itself, so bytes above the first
// flagged one may be flagged falsely, but the lowest flagged byte is always exact, which
// is all the callers use.
constexpr std::uint64_t special_bytes_mask(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  return ((word - 0x20 * ones) | ((word ^ ('"' * ones)) - ones) | ((word ^ ('\\' * ones)) - ones) |
          word) &
         (0x80 * ones);
}

// Copies the run of plain ASCII bytes that starts at text[i] and ends by text[end] to dst,
// a word at a time, and returns its length. Stores may reach 7 bytes past the run. The
// last 1 to 7 bytes come from the word that ends at text[end], shifted down, so a tail is
// one word too: its zero fill counts as needing care, which stops the run at end.
// Little-endian only (the first byte in memory is the lowest).
inline std::size_t copy_plain_run(char* dst, const unsigned char* text, std::size_t i,
                                  std::size_t end) noexcept {
  const std::size_t start = i;
  std::uint64_t word;
  for (; end - i >= 8; i += 8) {
    std::memcpy(&word, text + i, 8);
    std::memcpy(dst + (i - start), &word, 8);
    if (const std::uint64_t special = special_bytes_mask(word); special != 0) {
      return i - start + static_cast<std::size_t>(std::countr_zero(special)) / 8;
    }
  }
  const std::size_t left = end - i;
  if (left == 0 || end < 8) return i - start;
  std::memcpy(&word, text + end - 8, 8);
  word >>= 8 * (8 - left);
  std::memcpy(dst + (i - start), &word, 8);
  return i - start + static_cast<std::size_t>(std::countr_zero(special_bytes_mask(word))) / 8;
}

}  // namespace detail

// Writes text as the inside of a JSON string: quotes, backslashes and control characters
// escaped; each byte that does not start well-formed UTF-8 replaced by U+FFFD; cut, at a
// character boundary, so that the unescaped value is at most max_bytes of UTF-8.
inline void write_escaped(output_buffer& out, std::string_view text, std::size_t max_bytes,
                          write_report& report) {
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  // An input byte becomes at most 6 output bytes (\u001f); U+FFFD takes 3 for 1. The 8
  // spare bytes let the fast path below store a whole word wherever it stands.
  // min(n, max_bytes) + 4 cannot overflow, whatever limit the caller passes.
  char* dst = out.reserve(6 * (std::min(n, max_bytes) + 4) + 8);
  std::size_t budget = max_bytes;
  std::size_t i = 0;
  while (i < n) {
    // Most text is plain ASCII, copied a word at a time; a plain byte costs one byte of
    // budget, so the run may go as far as the text or the budget does.
    if constexpr (std::endian::native == std::endian::little) {
      const std::size_t plain = detail::copy_plain_run(dst, in, i, i + std::min(n - i, budget));
      dst += plain;
      i += plain;
      budget -= plain;
      if (i == n) break;
    }
    const unsigned char c = in[i];
    const std::uint8_t kind = detail::byte_class[c];
    if (kind == 0) {
      if (budget == 0) break;
      *dst++ = static_cast<char>(c);
      --budget;
      ++i;
    } else if (kind == 1) {
      if (budget == 0) break;
      *dst++ = '\\';
      switch (c) {
        case '"': *dst++ = '"'; break;
        case '\\': *dst++ = '\\'; break;
        case '\b': *dst++ = 'b'; break;
        case '\f': *dst++ = 'f'; break;
        case '\n': *dst++ = 'n'; break;
        case '\r': *dst++ = 'r'; break;
        case '\t': *dst++ = 't'; break;
        default: {
          constexpr char hex[] = "0123456789abcdef";
          *dst++ = 'u';
          *dst++ = '0';
          *dst++ = '0';
          *dst++ = hex[c >> 4];
          *dst++ = hex[c & 0x0F];
        }
      }
      --budget;
      ++i;
    } else {
      const std::size_t length = detail::utf8_sequence_length(in + i, n - i);
      if (length == 0) {
        if (budget < 3) break;
        *dst++ = '\xEF';
        *dst++ = '\xBF';
        *dst++ = '\xBD';
        budget -= 3;
        ++report.invalid_utf8_replaced;
        ++i;
      } else {
        if (budget < length) break;
        std::memcpy(dst, in + i, length);
        dst += length;
        budget -= length;
        i += length;
      }
    }
  }
  if (i < n) ++report.truncated_values;
  out.commit_to(dst);
}

namespace detail {
// "00" to "ff": the two lowercase hex digits of each byte value, so a byte is one 2-byte copy.
inline constexpr auto hex_pairs = [] {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 512> table{};
  for (std::size_t byte = 0; byte < 256; ++byte) {
    table[2 * byte] = digits[byte >> 4];
    table[2 * byte + 1] = digits[byte & 0x0F];
  }
  return table;
}();
}  // namespace detail

// Writes 16 bytes as a uuid's text, lowercase and hyphenated 8-4-4-4-12 (what
// uuid::format_to writes). With SSE2 (every x86-64) all 32 digits are made at once: split
// each byte into its nibbles, interleave them, and add '0', or 'a' - 10 for nibbles above 9.
inline void format_uuid(char* out, const std::uint8_t* bytes) noexcept {
#if defined(__SSE2__)
  const __m128i value = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
  const __m128i low_nibble = _mm_set1_epi8(0x0F);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(value, 4), low_nibble);
  const __m128i low = _mm_and_si128(value, low_nibble);
  auto to_hex = [](__m128i nibbles) {
    const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)),
                                          _mm_set1_epi8('a' - '0' - 10));
    return _mm_add_epi8(nibbles, _mm_add_epi8(_mm_set1_epi8('0'), letters));
  };
  char digits[32];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(digits), to_hex(_mm_unpacklo_epi8(high, low)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(digits + 16), to_hex(_mm_unpackhi_epi8(high, low)));
  std::memcpy(out, digits, 8);
  std::memcpy(out + 9, digits + 8, 4);
  std::memcpy(out + 14, digits + 12, 4);
  std::memcpy(out + 19, digits + 16, 4);
  std::memcpy(out + 24, digits + 20, 12);
#else
  // Byte i goes to 2 * i plus the hyphens before it; unrolled at compile time.
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((std::memcpy(out + 2 * I + (I >= 4) + (I >= 6) + (I >= 8) + (I >= 10),
                  &detail::hex_pairs[2 * bytes[I]], 2)),
     ...);
  }(std::make_index_sequence<16>{});
#endif
  out[8] = '-';
  out[13] = '-';
  out[18] = '-';
  out[23] = '-';
}

}  // namespace json
}  // namespace onefuzz::telemetry
