// Shared by the fuzz targets: the property check that stops the run, and a reader that
// splits one fuzzer input into the several values a target needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

// Marks oracle code (reference models, checks that scan whole outputs): no coverage
// instrumentation, since its branches only mirror the code under test and its comparison
// hooks cost the fuzzer most of its time on long outputs.
#if defined(__clang__)
#define FUZZ_ORACLE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_ORACLE
#endif

namespace fuzz_support {

// The corpus file being run by the regression driver (corpus_main.cpp), so a failing
// property names its reproducer; libFuzzer names its own crash file.
inline const char* current_input = nullptr;

// A broken property is a crash on purpose: libFuzzer saves the input, and the regression
// driver dies with SIGILL, which fails its CTest test.
[[noreturn]] inline void fail(const char* file, int line, const char* condition, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, condition);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  if (current_input != nullptr) std::fprintf(stderr, "  input: %s\n", current_input);
  std::fflush(stderr);
  __builtin_trap();
}

// Hex of the first bytes of text, for failure messages.
FUZZ_ORACLE inline std::string hex_prefix(std::string_view text, std::size_t max = 64) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += digits[c >> 4];
    out += digits[c & 0x0F];
  }
  if (text.size() > max) out += "...";
  return out;
}

// Splits an input into numbers and strings, front to back. Running out of bytes yields
// zeros and empty strings, so every input is a valid sequence of values.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - at_; }

  std::uint8_t byte() noexcept { return at_ < size_ ? data_[at_++] : 0; }

  // Little-endian, from up to sizeof(T) bytes.
  template <class T>
  T integer() noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<std::uint64_t>(byte()) << (8 * i);
    T out;
    std::memcpy(&out, &value, sizeof out);  // little-endian hosts only, as the library
    return out;
  }

  double floating() noexcept {
    const auto bits = integer<std::uint64_t>();
    double out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
  }

  // A string of any bytes, ended by a backslash followed by any byte other than a
  // backslash (two backslashes are one), or by the end of the input: LLVM's
  // FuzzedDataProvider::ConsumeRandomLengthString, so seeds stay readable text.
  std::string text() {
    std::string out;
    while (at_ < size_) {
      const char c = static_cast<char>(data_[at_++]);
      if (c == '\\' && at_ < size_) {
        const char next = static_cast<char>(data_[at_++]);
        if (next != '\\') break;
      }
      out.push_back(c);
    }
    return out;
  }

  // Everything not consumed yet.
  std::string_view rest() noexcept {
    const std::string_view out{reinterpret_cast<const char*>(data_) + at_, size_ - at_};
    at_ = size_;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace fuzz_support

// FUZZ_CHECK(condition, detail): detail is any expression convertible to string_view,
// evaluated only on failure.
#define FUZZ_CHECK(condition, detail)                                                     \
  do {                                                                                    \
    if (!(condition)) ::fuzz_support::fail(__FILE__, __LINE__, #condition, (detail));     \
  } while (false)
