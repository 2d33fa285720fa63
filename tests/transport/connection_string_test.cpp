// Tables of valid and malformed connection strings, with exact results and exact errors.
#include <onefuzz/telemetry/transport/connection_string.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace connection_string_test {

namespace t = onefuzz::telemetry::transport;

namespace {

const std::string key = "11111111-2222-3333-4444-555555555555";
const std::string ikey = "InstrumentationKey=" + key;
const std::string default_endpoint(t::default_ingestion_endpoint);

struct valid_case {
  std::string input;
  std::string endpoint;
  bool uses_aad = false;
  std::size_t unused = 0;
  bool insecure_http = false;
  std::string expected_key = key;
};

struct malformed_case {
  std::string input;
  std::string error;  // the exact message
  bool insecure_http = false;
};

std::string padded_to(std::size_t size) {
  std::string s = ikey + ";Padding=";
  s.append(size - s.size(), 'x');
  return s;
}

}  // namespace

TEST_CASE("valid connection strings give the documented settings", "[connection_string]") {
  const std::vector<valid_case> cases = {
      {ikey, default_endpoint},
      {ikey + ";", default_endpoint},
      {";;" + ikey + ";;", default_endpoint},
      {" \tinstrumentationkey =  " + key + " ;  ", default_endpoint},
      {"INSTRUMENTATIONKEY=" + key, default_endpoint},
      {key, default_endpoint},
      {"  " + key + "\n", default_endpoint},
      {"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", default_endpoint, false, 0, false,
       "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"},
      {"InstrumentationKey=not-a-guid-but-valid", default_endpoint, false, 0, false, "not-a-guid-but-valid"},
      // A real portal string: trailing '/' on the endpoint, two keys this library does not use.
      {ikey + ";IngestionEndpoint=https://westeurope-3.in.applicationinsights.azure.com/;"
              "LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;"
              "ApplicationId=99999999-8888-7777-6666-555555555555",
       "https://westeurope-3.in.applicationinsights.azure.com", false, 2},
      {ikey + ";EndpointSuffix=ai.contoso.com", "https://dc.ai.contoso.com"},
      {ikey + ";EndpointSuffix=..ai.contoso.com;Location=westus2", "https://westus2.dc.ai.contoso.com"},
      {ikey + ";Location=westus2", default_endpoint},            // Location needs EndpointSuffix
      {ikey + ";Location=not valid!", default_endpoint},         // ... and is not validated without it
      {ikey + ";IngestionEndpoint=https://custom.example:444/base//;EndpointSuffix=ai.contoso.com;Location=x",
       "https://custom.example:444/base"},                       // the explicit endpoint wins
      {ikey + ";IngestionEndpoint=HTTPS://Ingest.Example.COM", "https://ingest.example.com"},
      {ikey + ";IngestionEndpoint=http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
      {ikey + ";IngestionEndpoint=http://127.255.0.9", "http://127.255.0.9"},
      {ikey + ";IngestionEndpoint=http://LOCALHOST:1234", "http://localhost:1234"},
      {ikey + ";IngestionEndpoint=http://[::1]:9", "http://[::1]:9"},
      {ikey + ";IngestionEndpoint=https://[2001:db8::1]", "https://[2001:db8::1]"},
      {ikey + ";IngestionEndpoint=http://ingest.example.com", "http://ingest.example.com", false, 0, true},
      {ikey + ";Authorization=ikey", default_endpoint},
      {ikey + ";Authorization=IKey", default_endpoint},
      {ikey + ";Authorization=AAD", default_endpoint, true},
      {ikey + ";authorization=aad", default_endpoint, true},
      {ikey + ";AADAudience=https://monitor.azure.com;Unknown=", default_endpoint, false, 2},
      {padded_to(4096), default_endpoint, false, 1},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    t::parse_options options;
    options.allow_insecure_http = c.insecure_http;
    const auto parsed = t::parse_connection_string(c.input, options);
    REQUIRE(parsed.has_value());
    CHECK(parsed->instrumentation_key == c.expected_key);
    CHECK(parsed->ingestion_endpoint == c.endpoint);
    CHECK(parsed->uses_aad == c.uses_aad);
    CHECK(parsed->unused_keys.size() == c.unused);
  }
}

TEST_CASE("unused keys are kept as written, in order", "[connection_string]") {
  const auto parsed = t::parse_connection_string(ikey + "; ApplicationId = abc ;LiveEndpoint=https://live/");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->unused_keys.size() == 2);
  CHECK(parsed->unused_keys[0] == std::pair<std::string, std::string>{"ApplicationId", "abc"});
  CHECK(parsed->unused_keys[1] == std::pair<std::string, std::string>{"LiveEndpoint", "https://live/"});
}

TEST_CASE("malformed connection strings give exact errors that never show the key", "[connection_string]") {
  const std::string p = "parse_connection_string: the connection string ";
  const std::string endpoint = ikey + ";IngestionEndpoint=";
  const std::vector<malformed_case> cases = {
      {"", p + "is empty"},
      {" \t ", p + "is empty"},
      {padded_to(4097), p + "is longer than 4096 characters (4097)"},
      {"not-a-guid", p + "is neither 'key=value' pairs nor a bare GUID instrumentation key"},
      {"InstrumentationKey:" + key, p + "is neither 'key=value' pairs nor a bare GUID instrumentation key"},
      {key + ";", p + "has a segment without '=' (segment 1)"},
      {ikey + ";IngestionEndpoint", p + "has a segment without '=' (segment 2)"},
      {";;" + ikey + ";;oops", p + "has a segment without '=' (segment 5)"},
      {ikey + "=x", p + "has a segment with more than one '=' (segment 1)"},
      {ikey + ";IngestionEndpoint=https://x.example/?a=b", p + "has a segment with more than one '=' (segment 2)"},
      {"=" + key, p + "has a segment with an empty key (segment 1)"},
      {ikey + ";instrumentationkey=" + key, p + "has a duplicate key 'InstrumentationKey' (segment 2)"},
      {ikey + ";Location=a;LOCATION=b", p + "has a duplicate key 'Location' (segment 3)"},
      {ikey + ";Foo=1;FOO=2", p + "has a duplicate key (segment 3)"},
      {key + "=1;" + key + "=2", p + "has a duplicate key (segment 2)"},  // the "key" is a pasted secret
      {"InstrumentationKey=", p + "has an empty value for 'InstrumentationKey' (segment 1)"},
      {ikey + ";IngestionEndpoint= ", p + "has an empty value for 'IngestionEndpoint' (segment 2)"},
      {"IngestionEndpoint=https://x.example", p + "has no 'InstrumentationKey'"},
      {"Foo=" + key, p + "has no 'InstrumentationKey'"},
      {"InstrumentationKey=1111 2222", p + "has an 'InstrumentationKey' that has a character other than [0-9A-Za-z-] at position 5"},
      {"InstrumentationKey={" + key + "}", p + "has an 'InstrumentationKey' that has a character other than [0-9A-Za-z-] at position 1"},
      {"InstrumentationKey=" + key + "-12345", p + "has an 'InstrumentationKey' that is longer than 40 characters"},
      {ikey + ";Authorization=Bearer", p + "has an 'Authorization' other than 'ikey' or 'AAD'"},
      {endpoint + "ftp://x.example", p + "has an 'IngestionEndpoint' that is not an absolute http:// or https:// URL"},
      {endpoint + "x.example", p + "has an 'IngestionEndpoint' that is not an absolute http:// or https:// URL"},
      {endpoint + "//x.example", p + "has an 'IngestionEndpoint' that is not an absolute http:// or https:// URL"},
      {endpoint + "https://", p + "has an 'IngestionEndpoint' that has no host"},
      {endpoint + "https:///v2", p + "has an 'IngestionEndpoint' that has no host"},
      {endpoint + "https://x.example/track?x", p + "has an 'IngestionEndpoint' that has a query or a fragment"},
      {endpoint + "https://x.example#top", p + "has an 'IngestionEndpoint' that has a query or a fragment"},
      {endpoint + "https://user:pw@x.example", p + "has an 'IngestionEndpoint' that contains user information (credentials in a URL)"},
      {endpoint + "https://x.example/a b", p + "has an 'IngestionEndpoint' that contains whitespace, control or non-ASCII characters"},
      {endpoint + "https://x.ex\xc3\xa4mple", p + "has an 'IngestionEndpoint' that contains whitespace, control or non-ASCII characters"},
      {endpoint + "https://x.example/{a}", p + "has an 'IngestionEndpoint' that contains a character that is not allowed in a URL"},
      {endpoint + "https://x.example:", p + "has an 'IngestionEndpoint' that has an empty port"},
      {endpoint + "https://x.example:0", p + "has an 'IngestionEndpoint' that has an invalid port"},
      {endpoint + "https://x.example:65536", p + "has an 'IngestionEndpoint' that has an invalid port"},
      {endpoint + "https://x.example:80a", p + "has an 'IngestionEndpoint' that has an invalid port"},
      {endpoint + "https://x.example:1:2", p + "has an 'IngestionEndpoint' that has an invalid port"},
      {endpoint + "https://x_$.example", p + "has an 'IngestionEndpoint' that has an invalid host"},
      {endpoint + "https://.example", p + "has an 'IngestionEndpoint' that has an invalid host"},
      {endpoint + "https://[::1", p + "has an 'IngestionEndpoint' that has an unterminated IPv6 literal"},
      {endpoint + "https://[]", p + "has an 'IngestionEndpoint' that has an empty IPv6 literal"},
      {endpoint + "https://[::g]", p + "has an 'IngestionEndpoint' that has an invalid IPv6 literal"},
      {endpoint + "https://[::1]x", p + "has an 'IngestionEndpoint' that has an invalid host"},
      {endpoint + "http://ingest.example.com",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "http://127.0.0.1.evil.example",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "http://128.0.0.1",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "http://127.0.0.256",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "http://localhost.evil.example",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "http://[::2]",
       p + "has an 'IngestionEndpoint' that uses http:// for a host that is not loopback (parse_options::allow_insecure_http allows it)"},
      {endpoint + "ftp://x.example", p + "has an 'IngestionEndpoint' that is not an absolute http:// or https:// URL", true},
      {ikey + ";EndpointSuffix=...", p + "has an 'EndpointSuffix' with nothing but dots"},
      {ikey + ";EndpointSuffix=evil.example/path", p + "has an 'EndpointSuffix' that is not a host name"},
      {ikey + ";EndpointSuffix=evil.example:8080", p + "has an 'EndpointSuffix' that is not a host name"},
      {ikey + ";EndpointSuffix=ai.contoso.com;Location=west-us", p + "has a 'Location' that is not alphanumeric"},
      {ikey + ";EndpointSuffix=ai.contoso.com;Location=a.b", p + "has a 'Location' that is not alphanumeric"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    t::parse_options options;
    options.allow_insecure_http = c.insecure_http;
    const auto parsed = t::parse_connection_string(c.input, options);
    REQUIRE_FALSE(parsed.has_value());
    const std::string& message = parsed.error().message;
    CHECK(message == c.error);
    CHECK(message.find(key) == std::string::npos);
    CHECK(message.find("1111 2222") == std::string::npos);
    CHECK(message.find("Bearer") == std::string::npos);
    if (c.input.size() > 8) CHECK(message.find(c.input) == std::string::npos);
  }
}

TEST_CASE("the throwing convenience throws the same message", "[connection_string]") {
  CHECK(t::parse_connection_string_or_throw(ikey).instrumentation_key == key);
  CHECK_THROWS_MATCHES(t::parse_connection_string_or_throw(ikey + ";Authorization=x"), std::invalid_argument,
                       Catch::Message("parse_connection_string: the connection string has an 'Authorization' "
                                      "other than 'ikey' or 'AAD'"));
}

TEST_CASE("a key or a connection string", "[connection_string]") {
  CHECK(t::parse_key_or_connection_string("abc-123")->instrumentation_key == "abc-123");
  CHECK(t::parse_key_or_connection_string(" " + key + " ")->instrumentation_key == key);
  CHECK(t::parse_key_or_connection_string(ikey + ";EndpointSuffix=x.example")->ingestion_endpoint ==
        "https://dc.x.example");
  CHECK(t::parse_key_or_connection_string("").error().message ==
        "parse_key_or_connection_string: the value is empty");
  CHECK(t::parse_key_or_connection_string("abc!").error().message ==
        "parse_key_or_connection_string: the value is an instrumentation key that has a character other than "
        "[0-9A-Za-z-] at position 4");
  CHECK(t::parse_key_or_connection_string(key + ";").error().message ==
        "parse_key_or_connection_string: the value is a connection string that has a segment without '=' (segment 1)");
}

TEST_CASE("instrumentation key validation", "[connection_string]") {
  CHECK(t::validate_instrumentation_key(key).has_value());
  CHECK(t::validate_instrumentation_key(std::string(40, 'a')).has_value());
  CHECK(t::validate_instrumentation_key("").error().message == "validate_instrumentation_key: the key is empty");
  CHECK(t::validate_instrumentation_key(std::string(41, 'a')).error().message ==
        "validate_instrumentation_key: the key is longer than 40 characters");
  CHECK(t::validate_instrumentation_key("ab\"c").error().message ==
        "validate_instrumentation_key: the key has a character other than [0-9A-Za-z-] at position 3");
}

TEST_CASE("endpoint normalisation", "[connection_string]") {
  CHECK(*t::normalize_ingestion_endpoint("https://A.example:8443/x/y///") == "https://a.example:8443/x/y");
  CHECK(t::normalize_ingestion_endpoint("mailto:x").error().message ==
        "normalize_ingestion_endpoint: the endpoint is not an absolute http:// or https:// URL");
  t::parse_options insecure;
  insecure.allow_insecure_http = true;
  CHECK(*t::normalize_ingestion_endpoint("http://10.0.0.1/", insecure) == "http://10.0.0.1");
}

TEST_CASE("track_url picks v2 or v2.1 and never doubles the slash", "[connection_string]") {
  const auto settings = t::parse_connection_string_or_throw(
      ikey + ";IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/");
  CHECK(t::track_url(settings, false) == "https://westeurope-5.in.applicationinsights.azure.com/v2/track");
  CHECK(t::track_url(settings, true) == "https://westeurope-5.in.applicationinsights.azure.com/v2.1/track");
  CHECK(t::track_url(t::parse_connection_string_or_throw(key), false) ==
        "https://dc.services.visualstudio.com/v2/track");
  CHECK(t::track_url(t::parse_connection_string_or_throw(ikey + ";IngestionEndpoint=https://proxy.example/ai/"),
                     false) == "https://proxy.example/ai/v2/track");
  t::connection_settings blank;
  blank.ingestion_endpoint.clear();
  CHECK(t::track_url(blank, true) == "https://dc.services.visualstudio.com/v2.1/track");
}

TEST_CASE("redact_key hides all but the last four characters of long keys", "[connection_string]") {
  CHECK(t::redact_key(key) == "****-5555");
  CHECK(t::redact_key("0123456789abcdef") == "****-cdef");
  CHECK(t::redact_key("0123456789abcde") == "****");
  CHECK(t::redact_key("") == "****");
}

}  // namespace connection_string_test
