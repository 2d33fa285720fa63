// Every version cmake/onefuzz_version.cmake produced in version_test.cmake (clean, dirty,
// tagged, CI, overridden, outside git) parses with onefuzz::telemetry::version::parse, and
// so can go into a central context field.
#include "test_support.hpp"

#include <onefuzz/telemetry/version.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("every version the CMake helper produced parses as a telemetry version") {
  const auto lines = integrations_test::read_lines(ONEFUZZ_VERSION_TEST_OUTPUT);
  REQUIRE(lines.size() >= 10);  // one per case in version_test.cmake
  std::size_t with_sha = 0;
  std::size_t dirty = 0;
  for (const auto& line : lines) {
    INFO(line);
    const auto parsed = onefuzz::telemetry::version::parse(line);
    REQUIRE(parsed);
    CHECK(parsed->view() == line);
    if (line.find('+') != std::string::npos) ++with_sha;
    if (line.ends_with(".localchanges")) ++dirty;
  }
  CHECK(with_sha >= 6);
  CHECK(dirty == 2);
}

TEST_CASE("this build's own version, computed at configure time, parses") {
  const std::string configured = ONEFUZZ_CONFIGURED_VERSION;
  INFO(configured);
  REQUIRE(onefuzz::telemetry::version::parse(configured));
}
