// The ONEFUZZ_TELEMETRY_* operator settings, read through an injected getenv: each variable's
// accepted values and bounds, each kind of bad value and its message, and code winning.
#include <onefuzz/telemetry/transport/operator_settings.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace operator_settings_test {

namespace t = onefuzz::telemetry::transport;
using namespace std::chrono_literals;

namespace {

using vars = std::map<std::string, std::string>;

// A fake environment that records which names were asked for.
class fake_environment {
 public:
  explicit fake_environment(vars values) : vars_(std::move(values)) {}

  t::getenv_fn lookup() {
    return [this](const char* name) -> const char* {
      asked_.insert(name);
      const auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

  [[nodiscard]] const std::set<std::string>& asked() const { return asked_; }

 private:
  vars vars_;
  std::set<std::string> asked_;
};

t::sender_options read_valid(const vars& values) {
  fake_environment env(values);
  auto options = t::sender_options_from_environment(env.lookup());
  INFO((options ? std::string("no error") : options.error().message));
  REQUIRE(options.has_value());
  return std::move(*options);
}

std::string read_error(const vars& values) {
  fake_environment env(values);
  auto options = t::sender_options_from_environment(env.lookup());
  REQUIRE_FALSE(options.has_value());
  return options.error().message;
}

std::string message(const std::string& variable, const std::string& why, const std::string& expected) {
  return "sender_options_from_environment: " + variable + " " + why + " (expected: " + expected + ")";
}

struct bad_value {
  std::string value;
  std::string why;
};

// Every value must be refused with exactly `variable why (expected: accepted)`.
void check_bad_values(const std::string& variable, const std::string& accepted, const std::vector<bad_value>& bad) {
  for (const auto& [value, why] : bad) {
    INFO(variable << "='" << value << "'");
    CHECK(read_error({{variable, value}}) == message(variable, why, accepted));
  }
}

// Bad values every numeric variable refuses for the same reason.
const std::vector<bad_value> not_numbers = {
    {"", "is empty"},        {" \t\r\n", "is empty"},       {"abc", "is not a number"}, {"+5", "is not a number"},
    {"-5", "is negative"}, {"-0", "is negative"},
    {"99999999999999999999999", "is out of range"},  // more than 2^64 - 1
};

std::vector<bad_value> with(std::vector<bad_value> more) {
  more.insert(more.end(), not_numbers.begin(), not_numbers.end());
  return more;
}

}  // namespace

TEST_CASE("operator_settings: with nothing set, every option keeps its documented default", "[operator_settings]") {
  fake_environment env({});
  auto options = t::sender_options_from_environment(env.lookup());
  REQUIRE(options.has_value());
  CHECK(options->batching.max_items == 500);
  CHECK(options->batching.max_bytes == 1048576);
  CHECK(options->batching.max_delay == 2000ms);
  CHECK(options->queue_capacity == 8192);
  CHECK(options->queue_overflow == t::overflow_policy::drop_newest);
  CHECK(options->block_timeout == 100ms);
  CHECK(options->spool.directory.empty());
  CHECK(options->spool.max_bytes == 67108864u);
  CHECK(options->spool.max_age == 48h);
  CHECK(options->instance.encoding == onefuzz::telemetry::encoding::onefuzz_compatible);
  CHECK(options->central.encoding == onefuzz::telemetry::encoding::onefuzz_compatible);
  CHECK(options->diagnostics.minimum == t::diagnostic_severity::warning);
  CHECK_FALSE(options->diagnostics.handler);

  // Exactly the eleven documented names are read, and nothing else.
  const std::set<std::string> expected = {
      "ONEFUZZ_TELEMETRY_BATCH_MAX_ITEMS",  "ONEFUZZ_TELEMETRY_BATCH_MAX_BYTES",
      "ONEFUZZ_TELEMETRY_BATCH_DELAY",      "ONEFUZZ_TELEMETRY_QUEUE_CAPACITY",
      "ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW",   "ONEFUZZ_TELEMETRY_QUEUE_BLOCK_TIMEOUT",
      "ONEFUZZ_TELEMETRY_SPOOL_DIR",        "ONEFUZZ_TELEMETRY_SPOOL_MAX_BYTES",
      "ONEFUZZ_TELEMETRY_SPOOL_MAX_AGE",    "ONEFUZZ_TELEMETRY_INSTANCE_ENCODING",
      "ONEFUZZ_TELEMETRY_DIAGNOSTICS"};
  CHECK(env.asked() == expected);
  std::set<std::string> listed;
  for (const auto& setting : t::operator_settings) listed.emplace(setting.name);
  CHECK(listed == expected);
}

TEST_CASE("operator_settings: an empty lookup reads no environment", "[operator_settings]") {
  auto options = t::sender_options_from_environment(t::getenv_fn{});
  REQUIRE(options.has_value());
  CHECK(options->queue_capacity == 8192);
  CHECK_FALSE(options->getenv);
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_BATCH_MAX_ITEMS", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_BATCH_MAX_ITEMS";
  CHECK(read_valid({{name, "1"}}).batching.max_items == 1);
  CHECK(read_valid({{name, "64000"}}).batching.max_items == 64000);
  CHECK(read_valid({{name, " 750\n"}}).batching.max_items == 750);  // trimmed
  CHECK(read_valid({{name, "0250"}}).batching.max_items == 250);    // leading zeros are decimal
  check_bad_values(name, "a whole number from 1 to 64000",
                   with({{"0", "is out of range"},
                         {"64001", "is out of range"},
                         {"12x", "has characters after the number"},
                         {"5 00", "has characters after the number"},
                         {"500ms", "has characters after the number"},
                         {"1.5", "is not a whole number"},
                         {"1e3", "has characters after the number"},
                         {"0x10", "has characters after the number"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_BATCH_MAX_BYTES", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_BATCH_MAX_BYTES";
  CHECK(read_valid({{name, "65536"}}).batching.max_bytes == 65536);
  CHECK(read_valid({{name, "64KiB"}}).batching.max_bytes == 65536);
  CHECK(read_valid({{name, "2mib"}}).batching.max_bytes == 2097152);  // units are case-insensitive
  CHECK(read_valid({{name, "16MiB"}}).batching.max_bytes == 16777216);
  CHECK(read_valid({{name, "16777216"}}).batching.max_bytes == 16777216);
  check_bad_values(name, "bytes, or a whole number with KiB, MiB, GiB or TiB, from 64KiB to 16MiB",
                   with({{"65535", "is out of range"},
                         {"63KiB", "is out of range"},
                         {"16777217", "is out of range"},
                         {"17MiB", "is out of range"},
                         {"1GiB", "is out of range"},
                         {"18014398509481984KiB", "is out of range"},  // 2^54 KiB: the product overflows
                         {"1MB", "has an unknown unit"},
                         {"1M", "has an unknown unit"},
                         {"1 MiB", "has an unknown unit"},
                         {"1.5MiB", "is not a whole number"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_BATCH_DELAY", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_BATCH_DELAY";
  CHECK(read_valid({{name, "10ms"}}).batching.max_delay == 10ms);
  CHECK(read_valid({{name, "250ms"}}).batching.max_delay == 250ms);
  CHECK(read_valid({{name, "5s"}}).batching.max_delay == 5000ms);
  CHECK(read_valid({{name, "5S"}}).batching.max_delay == 5000ms);
  CHECK(read_valid({{name, "2m"}}).batching.max_delay == 120000ms);
  CHECK(read_valid({{name, "1h"}}).batching.max_delay == 3600000ms);
  CHECK(read_valid({{name, "3600s"}}).batching.max_delay == 3600000ms);
  check_bad_values(name, "a whole number with ms, s, m or h, from 10ms to 1h",
                   with({{"9ms", "is out of range"},
                         {"0s", "is out of range"},
                         {"3601s", "is out of range"},
                         {"61m", "is out of range"},
                         {"2h", "is out of range"},
                         {"18446744073709551615h", "is out of range"},  // 2^64 - 1 hours overflows
                         {"500", "has no unit"},
                         {"5sec", "has an unknown unit"},
                         {"5 s", "has an unknown unit"},
                         {"5us", "has an unknown unit"},
                         {"1.5s", "is not a whole number"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_QUEUE_CAPACITY", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_QUEUE_CAPACITY";
  CHECK(read_valid({{name, "64"}}).queue_capacity == 64);
  CHECK(read_valid({{name, "1000"}}).queue_capacity == 1000);  // the queue rounds it up to 1024
  CHECK(read_valid({{name, "1048576"}}).queue_capacity == 1048576);
  check_bad_values(name, "a whole number from 64 to 1048576",
                   with({{"63", "is out of range"},
                         {"1048577", "is out of range"},
                         {"8Ki", "has characters after the number"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW";
  // Start from a policy that differs from each expected one, so a no-op cannot pass.
  CHECK(read_valid({{name, "block"}}).queue_overflow == t::overflow_policy::block);
  CHECK(read_valid({{name, "drop_oldest"}}).queue_overflow == t::overflow_policy::drop_oldest);
  CHECK(read_valid({{name, " DROP_OLDEST "}}).queue_overflow == t::overflow_policy::drop_oldest);
  t::sender_options options;
  options.queue_overflow = t::overflow_policy::block;
  fake_environment env({{name, "drop_newest"}});
  REQUIRE(t::apply_operator_settings(options, env.lookup()).has_value());
  CHECK(options.queue_overflow == t::overflow_policy::drop_newest);
  check_bad_values(name, "drop_newest, drop_oldest or block",
                   {{"", "is empty"},
                    {"drop-oldest", "is not an accepted word"},
                    {"oldest", "is not an accepted word"},
                    {"drop_oldest_", "is not an accepted word"},
                    {"1", "is not an accepted word"}});
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_QUEUE_BLOCK_TIMEOUT", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_QUEUE_BLOCK_TIMEOUT";
  CHECK(read_valid({{name, "1ms"}}).block_timeout == 1ms);
  CHECK(read_valid({{name, "10s"}}).block_timeout == 10000ms);
  check_bad_values(name, "a whole number with ms, s, m or h, from 1ms to 10s",
                   with({{"0ms", "is out of range"},
                         {"10001ms", "is out of range"},
                         {"1m", "is out of range"},
                         {"100", "has no unit"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_SPOOL_DIR", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_SPOOL_DIR";
  CHECK(read_valid({{name, "/var/spool/onefuzz telemetry"}}).spool.directory ==
        std::filesystem::path("/var/spool/onefuzz telemetry"));
  CHECK(read_valid({{name, " /tmp/spool\n"}}).spool.directory == std::filesystem::path("/tmp/spool"));
  check_bad_values(name, "an absolute path",
                   {{"", "is empty"},
                    {"  ", "is empty"},
                    {"spool", "is not an absolute path"},
                    {"./spool", "is not an absolute path"},
                    {"~/spool", "is not an absolute path"}});
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_SPOOL_MAX_BYTES", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_SPOOL_MAX_BYTES";
  CHECK(read_valid({{name, "1048576"}}).spool.max_bytes == 1048576u);
  CHECK(read_valid({{name, "1MiB"}}).spool.max_bytes == 1048576u);
  CHECK(read_valid({{name, "1024KiB"}}).spool.max_bytes == 1048576u);
  CHECK(read_valid({{name, "10GiB"}}).spool.max_bytes == 10737418240u);
  CHECK(read_valid({{name, "1TiB"}}).spool.max_bytes == 1099511627776u);
  CHECK(read_valid({{name, "1024GiB"}}).spool.max_bytes == 1099511627776u);
  check_bad_values(name, "bytes, or a whole number with KiB, MiB, GiB or TiB, from 1MiB to 1TiB",
                   with({{"1048575", "is out of range"},
                         {"1023KiB", "is out of range"},
                         {"1025GiB", "is out of range"},
                         {"2TiB", "is out of range"},
                         {"1099511627777", "is out of range"},
                         {"64MB", "has an unknown unit"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_SPOOL_MAX_AGE", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_SPOOL_MAX_AGE";
  CHECK(read_valid({{name, "1h"}}).spool.max_age == 1h);
  CHECK(read_valid({{name, "12h"}}).spool.max_age == 12h);
  CHECK(read_valid({{name, "48h"}}).spool.max_age == 48h);
  CHECK(read_valid({{name, "120m"}}).spool.max_age == 2h);
  CHECK(read_valid({{name, "7200s"}}).spool.max_age == 2h);
  check_bad_values(name, "a whole number of hours, from 1h to 48h",
                   with({{"0h", "is out of range"},
                         {"59m", "is out of range"},
                         {"49h", "is out of range"},
                         {"2881m", "is out of range"},
                         {"90m", "is not a whole number of hours"},
                         {"3601s", "is not a whole number of hours"},
                         {"48", "has no unit"},
                         {"2d", "has an unknown unit"}}));
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_INSTANCE_ENCODING sets the instance's encoding only",
          "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_INSTANCE_ENCODING";
  using onefuzz::telemetry::encoding;
  const auto typed = read_valid({{name, "typed"}});
  CHECK(typed.instance.encoding == encoding::typed);
  CHECK(typed.central.encoding == encoding::onefuzz_compatible);  // the central queries are not the operator's
  CHECK(read_valid({{name, "TYPED"}}).instance.encoding == encoding::typed);
  t::sender_options options;
  options.instance.encoding = encoding::typed;
  fake_environment env({{name, "onefuzz_compatible"}});
  REQUIRE(t::apply_operator_settings(options, env.lookup()).has_value());
  CHECK(options.instance.encoding == encoding::onefuzz_compatible);
  check_bad_values(name, "onefuzz_compatible or typed",
                   {{"", "is empty"},
                    {"json", "is not an accepted word"},
                    {"compatible", "is not an accepted word"},
                    {"onefuzz-compatible", "is not an accepted word"}});
}

TEST_CASE("operator_settings: ONEFUZZ_TELEMETRY_DIAGNOSTICS", "[operator_settings]") {
  const std::string name = "ONEFUZZ_TELEMETRY_DIAGNOSTICS";
  using discard_type = void (*)(const t::diagnostic&) noexcept;
  const auto off = read_valid({{name, "off"}});
  REQUIRE(off.diagnostics.handler);
  REQUIRE(off.diagnostics.handler.target<discard_type>() != nullptr);
  CHECK(*off.diagnostics.handler.target<discard_type>() == &t::discard_diagnostic);

  for (const auto& [word, level] : std::vector<std::pair<std::string, t::diagnostic_severity>>{
           {"error", t::diagnostic_severity::error},
           {"Warning", t::diagnostic_severity::warning},
           {"info", t::diagnostic_severity::info}}) {
    INFO(word);
    const auto options = read_valid({{name, word}});
    CHECK(options.diagnostics.minimum == level);
    CHECK_FALSE(options.diagnostics.handler);  // still the default stderr writer
  }
  // A level keeps a handler the program installed before applying the environment.
  t::sender_options options;
  options.diagnostics.handler = [](const t::diagnostic&) {};
  fake_environment env({{name, "info"}});
  REQUIRE(t::apply_operator_settings(options, env.lookup()).has_value());
  CHECK(options.diagnostics.minimum == t::diagnostic_severity::info);
  CHECK(options.diagnostics.handler);
  CHECK(options.diagnostics.handler.target<discard_type>() == nullptr);

  check_bad_values(name, "off, error, warning or info",
                   {{"", "is empty"},
                    {"debug", "is not an accepted word"},
                    {"warn", "is not an accepted word"},
                    {"0", "is not an accepted word"}});
}

TEST_CASE("operator_settings: every bad variable is reported at once, none is applied", "[operator_settings]") {
  fake_environment env({{"ONEFUZZ_TELEMETRY_BATCH_DELAY", "500"},
                        {"ONEFUZZ_TELEMETRY_QUEUE_CAPACITY", "128"},  // valid, but must not be applied
                        {"ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW", "drop-oldest"}});
  t::sender_options options;
  options.queue_capacity = 4096;
  const auto applied = t::apply_operator_settings(options, env.lookup());
  REQUIRE_FALSE(applied.has_value());
  CHECK(applied.error().message ==
        "apply_operator_settings: ONEFUZZ_TELEMETRY_BATCH_DELAY has no unit (expected: a whole number with ms, "
        "s, m or h, from 10ms to 1h); ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW is not an accepted word (expected: "
        "drop_newest, drop_oldest or block)");
  CHECK(options.queue_capacity == 4096);
  CHECK(options.batching.max_delay == 2000ms);
}

TEST_CASE("operator_settings: a message never carries the value", "[operator_settings]") {
  const std::string secret = "aaaaaaaa-0000-0000-0000-000000000001";
  for (const auto& setting : t::operator_settings) {
    INFO(setting.name);
    const auto text = read_error({{std::string(setting.name), secret}});
    CHECK(text.find(secret) == std::string::npos);
    CHECK(text.find("aaaaaaaa") == std::string::npos);
    CHECK(text.find(std::string(setting.name)) != std::string::npos);
  }
}

TEST_CASE("operator_settings: code wins over the environment", "[operator_settings]") {
  fake_environment env({{"ONEFUZZ_TELEMETRY_QUEUE_CAPACITY", "128"},
                        {"ONEFUZZ_TELEMETRY_BATCH_DELAY", "250ms"},
                        {"ONEFUZZ_TELEMETRY_DIAGNOSTICS", "off"},
                        {"APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=bbbbbbbb-0000-0000-0000-000000000002"}});

  SECTION("a value set in code after reading the environment stays") {
    auto options = t::sender_options_from_environment(env.lookup()).value();
    CHECK(options.queue_capacity == 128);
    options.queue_capacity = 4096;                                   // code decides
    options.diagnostics = t::diagnostics_options{};                  // code turns diagnostics back on
    CHECK(options.queue_capacity == 4096);
    CHECK(options.batching.max_delay == 250ms);                      // what code left alone stays from the environment
    CHECK_FALSE(options.diagnostics.handler);
    // The destinations are resolved later from the same environment.
    const auto resolved = t::resolve_destinations(options.destinations, options.getenv);
    REQUIRE(resolved.has_value());
    REQUIRE(resolved->instance.has_value());
    CHECK(resolved->instance->instrumentation_key == "bbbbbbbb-0000-0000-0000-000000000002");
  }

  SECTION("program defaults set before applying the environment yield where a variable is set") {
    t::sender_options options;
    options.queue_capacity = 4096;
    options.batching.max_items = 100;
    REQUIRE(t::apply_operator_settings(options, env.lookup()).has_value());
    CHECK(options.queue_capacity == 128);        // set in the environment
    CHECK(options.batching.max_items == 100);    // not set there: the program's value
  }
}

}  // namespace operator_settings_test
