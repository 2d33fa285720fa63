// The IEEE 754 bit readers of detail/number_format.hpp (is_nan, is_inf, is_finite, sign_bit,
// magnitude), which the core uses instead of <cmath>: they must answer as <cmath> does.
#include <onefuzz/telemetry/detail/number_format.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build).
namespace float_bits_test {

namespace detail = onefuzz::telemetry::json::detail;

template <class T>
std::vector<T> special_values() {
  using limits = std::numeric_limits<T>;
  std::vector<T> values{T(0),           -T(0),           T(1),          -T(1),
                        limits::min(),  -limits::min(),  limits::max(), -limits::max(),
                        limits::denorm_min(), -limits::denorm_min(), limits::infinity(), -limits::infinity(),
                        limits::quiet_NaN(), -limits::quiet_NaN(), limits::signaling_NaN(), T(2.5e-3)};
  return values;
}

template <class T, class Bits>
void check_agrees_with_cmath() {
  std::vector<T> values = special_values<T>();
  std::mt19937_64 random(12345);
  for (int i = 0; i < 100000; ++i) {  // every bit pattern class: NaN payloads, subnormals, ...
    const auto bits = static_cast<Bits>(random());
    T value;
    std::memcpy(&value, &bits, sizeof value);
    values.push_back(value);
  }
  for (const T value : values) {
    INFO(value);
    CHECK(detail::is_nan(value) == std::isnan(value));
    CHECK(detail::is_inf(value) == std::isinf(value));
    CHECK(detail::is_finite(value) == std::isfinite(value));
    CHECK(detail::sign_bit(value) == std::signbit(value));
    const T ours = detail::magnitude(value);
    const T theirs = std::fabs(value);
    CHECK(std::memcmp(&ours, &theirs, sizeof ours) == 0);
  }
}

TEST_CASE("the float bit readers answer as <cmath> does, for float and double") {
  check_agrees_with_cmath<float, std::uint32_t>();
  check_agrees_with_cmath<double, std::uint64_t>();
}

}  // namespace float_bits_test
