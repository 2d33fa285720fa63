// Precedence of code overrides and environment variables, with an injected getenv.
#include <onefuzz/telemetry/transport/environment.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace environment_test {

namespace t = onefuzz::telemetry::transport;

namespace {

const std::string key_cs = "aaaaaaaa-0000-0000-0000-000000000001";
const std::string key_ai = "aaaaaaaa-0000-0000-0000-000000000002";
const std::string key_of = "aaaaaaaa-0000-0000-0000-000000000003";
const std::string key_tel = "cccccccc-0000-0000-0000-000000000001";
const std::string key_ms = "cccccccc-0000-0000-0000-000000000002";
const std::string key_code = "eeeeeeee-0000-0000-0000-000000000001";

constexpr const char* cs_var = "APPLICATIONINSIGHTS_CONNECTION_STRING";
constexpr const char* ai_var = "APPINSIGHTS_INSTRUMENTATIONKEY";
constexpr const char* of_var = "ONEFUZZ_INSTANCE_TELEMETRY_KEY";
constexpr const char* tel_var = "ONEFUZZ_TELEMETRY";
constexpr const char* ms_var = "ONEFUZZ_MICROSOFT_TELEMETRY_KEY";

using vars = std::map<std::string, std::string>;

// A fake environment that also records which names were asked for.
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

struct precedence_case {
  std::string name;
  std::map<std::string, std::string> env;
  t::destination_overrides overrides;
  std::optional<std::string> instance_key;
  std::string instance_source;
  std::optional<std::string> central_key;
  std::string central_source;
};

t::destination_overrides with_instance(std::string value) {
  t::destination_overrides o;
  o.instance = std::move(value);
  return o;
}

t::destination_overrides with_central(std::string value) {
  t::destination_overrides o;
  o.central = std::move(value);
  return o;
}

t::destination_overrides central_off(std::optional<std::string> central = std::nullopt) {
  t::destination_overrides o;
  o.central = std::move(central);
  o.central_disabled = true;
  return o;
}

}  // namespace

TEST_CASE("environment precedence", "[environment]") {
  const std::string cs = "InstrumentationKey=" + key_cs + ";IngestionEndpoint=https://westus2-1.in.example/";
  const std::vector<precedence_case> cases = {
      {"nothing set: no destinations", {}, {}, std::nullopt, "", std::nullopt, ""},
      {"connection string beats both keys",
       {{cs_var, cs}, {ai_var, key_ai}, {of_var, key_of}}, {}, key_cs, cs_var, std::nullopt, ""},
      {"APPINSIGHTS_INSTRUMENTATIONKEY beats the OneFuzz key",
       {{ai_var, key_ai}, {of_var, key_of}}, {}, key_ai, ai_var, std::nullopt, ""},
      {"the OneFuzz instance key alone", {{of_var, key_of}}, {}, key_of, of_var, std::nullopt, ""},
      {"empty and blank variables count as unset",
       {{cs_var, ""}, {ai_var, " \t"}, {of_var, key_of}}, {}, key_of, of_var, std::nullopt, ""},
      {"ONEFUZZ_TELEMETRY as a key", {{tel_var, key_tel}}, {}, std::nullopt, "", key_tel, tel_var},
      {"ONEFUZZ_TELEMETRY beats the Microsoft key",
       {{tel_var, key_tel}, {ms_var, key_ms}}, {}, std::nullopt, "", key_tel, tel_var},
      {"the Microsoft key alone", {{ms_var, key_ms}}, {}, std::nullopt, "", key_ms, ms_var},
      {"empty ONEFUZZ_TELEMETRY falls to the Microsoft key",
       {{tel_var, ""}, {ms_var, key_ms}}, {}, std::nullopt, "", key_ms, ms_var},
      {"both destinations from the environment",
       {{ai_var, key_ai}, {tel_var, key_tel}}, {}, key_ai, ai_var, key_tel, tel_var},
      {"code instance beats the environment",
       {{cs_var, cs}, {tel_var, key_tel}}, with_instance(key_code), key_code, "destination_overrides.instance",
       key_tel, tel_var},
      {"code central beats the environment",
       {{tel_var, key_tel}, {ms_var, key_ms}}, with_central("InstrumentationKey=" + key_code), std::nullopt, "",
       key_code, "destination_overrides.central"},
      {"an empty code value counts as unset",
       {{ai_var, key_ai}}, with_instance(""), key_ai, ai_var, std::nullopt, ""},
      {"central disabled in code ignores the environment",
       {{ai_var, key_ai}, {tel_var, key_tel}, {ms_var, key_ms}}, central_off(), key_ai, ai_var, std::nullopt, ""},
      {"central disabled wins over a central key in code",
       {{tel_var, key_tel}}, central_off(key_code), std::nullopt, "", std::nullopt, ""},
      {"a malformed central variable is not read when central is disabled",
       {{tel_var, "InstrumentationKey=;"}}, central_off(), std::nullopt, "", std::nullopt, ""},
      {"a malformed lower-priority variable is never read",
       {{ai_var, key_ai}, {of_var, "not a key!"}, {tel_var, key_tel}, {ms_var, "bad;bad"}}, {}, key_ai, ai_var,
       key_tel, tel_var},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    fake_environment env(c.env);
    const auto resolved = t::resolve_destinations(c.overrides, env.lookup());
    REQUIRE(resolved.has_value());
    REQUIRE(resolved->instance.has_value() == c.instance_key.has_value());
    if (c.instance_key) CHECK(resolved->instance->instrumentation_key == *c.instance_key);
    CHECK(resolved->instance_source == c.instance_source);
    REQUIRE(resolved->central.has_value() == c.central_key.has_value());
    if (c.central_key) CHECK(resolved->central->instrumentation_key == *c.central_key);
    CHECK(resolved->central_source == c.central_source);
    for (const auto& name : env.asked()) {
      INFO("asked for " << name);
      CHECK((name == cs_var || name == ai_var || name == of_var || name == tel_var || name == ms_var));
    }
  }
}

TEST_CASE("the endpoint comes from the winning connection string", "[environment]") {
  fake_environment env(vars{{cs_var, "InstrumentationKey=" + key_cs + ";IngestionEndpoint=https://westus2-1.in.example/"},
                        {tel_var, "InstrumentationKey=" + key_tel + ";EndpointSuffix=applicationinsights.us"}});
  const auto resolved = t::resolve_destinations({}, env.lookup());
  REQUIRE(resolved.has_value());
  CHECK(resolved->instance->ingestion_endpoint == "https://westus2-1.in.example");
  CHECK(resolved->central->ingestion_endpoint == "https://dc.applicationinsights.us");
}

TEST_CASE("a bare key gets the default endpoint", "[environment]") {
  fake_environment env(vars{{of_var, "not-a-guid-1"}});
  const auto resolved = t::resolve_destinations({}, env.lookup());
  REQUIRE(resolved.has_value());
  CHECK(resolved->instance->instrumentation_key == "not-a-guid-1");
  CHECK(resolved->instance->ingestion_endpoint == "https://dc.services.visualstudio.com");
}

TEST_CASE("malformed sources are errors naming the source, never the value", "[environment]") {
  struct error_case {
    std::map<std::string, std::string> env;
    t::destination_overrides overrides;
    std::string error;
    std::string secret;
  };
  const std::string dup = "InstrumentationKey=" + key_cs + ";instrumentationkey=" + key_cs;
  const std::vector<error_case> cases = {
      {{{cs_var, dup}, {ai_var, key_ai}},
       {},
       "resolve_destinations: APPLICATIONINSIGHTS_CONNECTION_STRING is a connection string that has a duplicate "
       "key 'InstrumentationKey' (segment 2)",
       key_cs},
      {{{ai_var, key_ai + "!"}, {of_var, key_of}},
       {},
       "resolve_destinations: APPINSIGHTS_INSTRUMENTATIONKEY is an instrumentation key that has a character other "
       "than [0-9A-Za-z-] at position 37",
       key_ai},
      {{{tel_var, "InstrumentationKey=" + key_tel + ";Authorization=Basic"}, {ms_var, key_ms}},
       {},
       "resolve_destinations: ONEFUZZ_TELEMETRY is a connection string that has an 'Authorization' other than "
       "'ikey' or 'AAD'",
       key_tel},
      {{{ms_var, "{" + key_ms + "}"}},
       {},
       "resolve_destinations: ONEFUZZ_MICROSOFT_TELEMETRY_KEY is an instrumentation key that has a character other "
       "than [0-9A-Za-z-] at position 1",
       key_ms},
      {{{ai_var, key_ai}},
       with_instance("InstrumentationKey=" + key_code + ";IngestionEndpoint=http://collector.example"),
       "resolve_destinations: destination_overrides.instance is a connection string that has an 'IngestionEndpoint' "
       "that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)",
       key_code},
      {{}, with_central(key_code + key_code), 
       "resolve_destinations: destination_overrides.central is an instrumentation key that is longer than 40 "
       "characters",
       key_code},
  };
  for (const auto& c : cases) {
    INFO(c.error);
    fake_environment env(c.env);
    const auto resolved = t::resolve_destinations(c.overrides, env.lookup());
    REQUIRE_FALSE(resolved.has_value());
    CHECK(resolved.error().message == c.error);
    CHECK(resolved.error().message.find(c.secret) == std::string::npos);
  }
}

TEST_CASE("insecure http is allowed only when the overrides say so", "[environment]") {
  fake_environment env(vars{{cs_var, "InstrumentationKey=" + key_cs + ";IngestionEndpoint=http://collector.example/"}});
  CHECK_FALSE(t::resolve_destinations({}, env.lookup()).has_value());
  t::destination_overrides insecure;
  insecure.options.allow_insecure_http = true;
  const auto resolved = t::resolve_destinations(insecure, env.lookup());
  REQUIRE(resolved.has_value());
  CHECK(resolved->instance->ingestion_endpoint == "http://collector.example");
}

TEST_CASE("an empty getenv function means no environment", "[environment]") {
  const auto resolved = t::resolve_destinations(with_central(key_tel), t::getenv_fn{});
  REQUIRE(resolved.has_value());
  CHECK_FALSE(resolved->instance.has_value());
  CHECK(resolved->central->instrumentation_key == key_tel);
}

TEST_CASE("the default getenv is std::getenv", "[environment]") {
  // Code values for both sides, so the real environment cannot change the outcome.
  t::destination_overrides o = central_off();
  o.instance = key_code;
  const auto resolved = t::resolve_destinations(o);
  REQUIRE(resolved.has_value());
  CHECK(resolved->instance->instrumentation_key == key_code);
  CHECK_FALSE(resolved->central.has_value());
}

TEST_CASE("one instrumentation key cannot be both destinations", "[environment]") {
  // The same GUID in another case: keys are compared case-insensitively, as the service does.
  std::string upper = key_ai;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  REQUIRE(upper != key_ai);
  const std::string same_sentence =
      " hold the same instrumentation key; central telemetry would receive the full payloads. Set a different "
      "key, or turn central telemetry off (destination_overrides.central_disabled)";

  struct conflict_case {
    std::string name;
    std::map<std::string, std::string> env;
    t::destination_overrides overrides;
    std::string error;
  };
  t::destination_overrides both_in_code;
  both_in_code.instance = "InstrumentationKey=" + key_ai + ";IngestionEndpoint=https://westus2-1.in.example/";
  both_in_code.central = upper;
  const std::vector<conflict_case> cases = {
      {"both from the environment, the same spelling",
       {{ai_var, key_ai}, {tel_var, key_ai}},
       {},
       "resolve_destinations: APPINSIGHTS_INSTRUMENTATIONKEY and ONEFUZZ_TELEMETRY" + same_sentence},
      {"both from the environment, another case and a connection string",
       {{cs_var, "InstrumentationKey=" + key_ai + ";IngestionEndpoint=https://westus2-1.in.example/"},
        {ms_var, upper}},
       {},
       "resolve_destinations: APPLICATIONINSIGHTS_CONNECTION_STRING and ONEFUZZ_MICROSOFT_TELEMETRY_KEY" +
           same_sentence},
      {"both in code, whatever the endpoints",
       {},
       both_in_code,
       "resolve_destinations: destination_overrides.instance and destination_overrides.central" + same_sentence},
      {"instance in code, central from the environment",
       {{tel_var, "InstrumentationKey=" + upper + ";EndpointSuffix=applicationinsights.us"}},
       with_instance(key_ai),
       "resolve_destinations: destination_overrides.instance and ONEFUZZ_TELEMETRY" + same_sentence},
      {"instance from the environment, central in code",
       {{of_var, key_ai}},
       with_central(upper),
       "resolve_destinations: ONEFUZZ_INSTANCE_TELEMETRY_KEY and destination_overrides.central" + same_sentence},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    fake_environment env(c.env);
    const auto resolved = t::resolve_destinations(c.overrides, env.lookup());
    REQUIRE_FALSE(resolved.has_value());
    CHECK(resolved.error().message == c.error);
    // Never the key, in either spelling, nor a recognisable part of it.
    CHECK(resolved.error().message.find(key_ai) == std::string::npos);
    CHECK(resolved.error().message.find(upper) == std::string::npos);
    CHECK(resolved.error().message.find("aaaaaaaa") == std::string::npos);
    CHECK(resolved.error().message.find("AAAAAAAA") == std::string::npos);
  }
}

TEST_CASE("the same key is no conflict when central is disabled or a lower source holds it", "[environment]") {
  SECTION("central_disabled: the central sources are not read") {
    fake_environment env(vars{{ai_var, key_ai}, {tel_var, key_ai}});
    t::destination_overrides o = central_off(key_ai);
    const auto resolved = t::resolve_destinations(o, env.lookup());
    REQUIRE(resolved.has_value());
    CHECK(resolved->instance->instrumentation_key == key_ai);
    CHECK_FALSE(resolved->central.has_value());
  }
  SECTION("only the winning sources are compared") {
    fake_environment env(vars{{ai_var, key_ai}, {of_var, key_tel}, {tel_var, key_tel}, {ms_var, key_ai}});
    const auto resolved = t::resolve_destinations({}, env.lookup());
    REQUIRE(resolved.has_value());
    CHECK(resolved->instance->instrumentation_key == key_ai);
    CHECK(resolved->central->instrumentation_key == key_tel);
  }
  SECTION("keys that differ only past a common prefix are different keys") {
    fake_environment env(vars{{ai_var, key_ai}, {tel_var, key_of}});
    const auto resolved = t::resolve_destinations({}, env.lookup());
    REQUIRE(resolved.has_value());
    CHECK(resolved->instance_source == ai_var);
    CHECK(resolved->central_source == tel_var);
  }
}

}  // namespace environment_test
