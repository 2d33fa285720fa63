// result<T> and error: the library's one value-or-error type (result.hpp).
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/uuid.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <type_traits>

// This file's own namespace: the files of an area are compiled together (a unity build).
namespace result_test {

namespace tel = onefuzz::telemetry;

tel::result<int> half(int n) {
  if (n % 2 != 0) {
    std::string message = "half: ";  // built piece by piece: "literal" + std::string trips
    message += std::to_string(n);     // g++ 12's false -Wrestrict in the -O3 unity build
    message += " is odd";
    return tel::error{message};
  }
  return n / 2;
}

TEST_CASE("result holds either a value or an error, and says which") {
  const auto even = half(10);
  REQUIRE(even.has_value());
  CHECK(static_cast<bool>(even));
  CHECK(even.value() == 5);
  CHECK(*even == 5);
  CHECK(even.value_or(-1) == 5);

  const auto odd = half(7);
  REQUIRE_FALSE(odd.has_value());
  CHECK_FALSE(static_cast<bool>(odd));
  CHECK(odd.error().message == "half: 7 is odd");
  CHECK(odd.value_or(-1) == -1);
}

TEST_CASE("asking an error result for its value throws bad_result_access with the error's message") {
  const auto odd = half(3);
  CHECK_THROWS_AS(odd.value(), tel::bad_result_access);
  CHECK_THROWS_WITH(odd.value(), "half: 3 is odd");
  // A programming mistake, so a logic_error: callers that catch std::logic_error see it.
  CHECK_THROWS_AS(odd.value(), std::logic_error);
}

TEST_CASE("asking a value result for its error throws instead of reading the wrong alternative") {
  const auto even = half(4);
  CHECK_THROWS_AS(even.error(), tel::bad_result_access);
}

TEST_CASE("result moves its value out without copying it") {
  auto make = [](bool ok) -> tel::result<std::unique_ptr<int>> {
    if (!ok) return tel::error{"make: refused"};
    return std::make_unique<int>(42);
  };
  auto owned = make(true);
  REQUIRE(owned.has_value());
  std::unique_ptr<int> taken = std::move(owned).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 42);
  CHECK(make(false).error().message == "make: refused");
}

TEST_CASE("result<void> is success or an error") {
  auto check = [](bool ok) -> tel::result<void> {
    if (!ok) return tel::error{"check: failed"};
    return {};
  };
  CHECK(check(true).has_value());
  CHECK_NOTHROW(check(true).value());
  CHECK_THROWS_AS(check(true).error(), tel::bad_result_access);
  const auto failed = check(false);
  CHECK_FALSE(failed.has_value());
  CHECK(failed.error().message == "check: failed");
  CHECK_THROWS_WITH(failed.value(), "check: failed");
}

TEST_CASE("errors compare by message, and the parsers return the same type") {
  CHECK(tel::error{"a"} == tel::error{"a"});
  CHECK_FALSE(tel::error{"a"} == tel::error{"b"});
  // One type for the whole library: a parser's result is this result, not a look-alike.
  STATIC_REQUIRE(std::is_same_v<decltype(tel::uuid::parse("")), tel::result<tel::uuid>>);
  const auto bad = tel::uuid::parse("not a uuid");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THROWS_AS(bad.value(), tel::bad_result_access);
}

}  // namespace result_test
