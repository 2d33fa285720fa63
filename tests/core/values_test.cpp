// Value types: uuid and ids, versions, wire enums.
#include "test_events.hpp"

#include <catch2/catch.hpp>

#include <set>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace values_test {

using namespace core_test;

TEST_CASE("uuid parses every accepted form and formats lowercase hyphenated") {
  const std::string canonical = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9";
  for (const char* text : {"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9", "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9",
                           "{0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9}", "0a1b2c3d4e5f40618293a4b5c6d7e8f9",
                           "{0A1B2C3D4E5F40618293A4B5C6D7E8F9}"}) {
    INFO(text);
    const auto parsed = tel::uuid::parse(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->to_string() == canonical);
  }
}

TEST_CASE("uuid rejects malformed text with a message saying why") {
  struct row {
    const char* text;
    const char* error;
  };
  const row table[] = {
      {"", "uuid: expected 32 hex digits (8-4-4-4-12), got 0 characters"},
      {"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f", "uuid: expected 32 hex digits (8-4-4-4-12), got 35 characters"},
      {"0a1b2c3d_4e5f-4061-8293-a4b5c6d7e8f9", "uuid: expected '-' at position 8"},
      {"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8fg", "uuid: invalid hex digit at position 35"},
      {"{0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9", "uuid: an opening '{' needs a closing '}'"},
      {"0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9}", "uuid: expected 32 hex digits (8-4-4-4-12), got 37 characters"},
  };
  for (const auto& r : table) {
    INFO(r.text);
    const auto parsed = tel::uuid::parse(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == r.error);
  }
}

TEST_CASE("random ids are version 4, RFC 4122 variant, and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = job_id::random();
    const auto text = id.to_string();
    CHECK(text[14] == '4');
    CHECK((text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b'));
    seen.insert(text);
  }
  CHECK(seen.size() == 1000);
  static_assert(!std::is_convertible_v<job_id, task_id>);
  static_assert(!std::is_constructible_v<task_id, job_id>);
}

TEST_CASE("version accepts the original's forms and nothing else") {
  for (const char* good : {"8.9.0", "8.9.0+0123456789abcdef0123456789abcdef01234567",
                           "8.9.0-0123456", "8.9.0+0123456789abcdef0123456789abcdef01234567.localchanges",
                           "1.2.3-abcdef0-local_changes", "10.20.30"}) {
    INFO(good);
    const auto parsed = tel::version::parse(good);
    REQUIRE(parsed.has_value());
    CHECK(parsed->view() == good);
  }
  struct row {
    const char* text;
    const char* error;
  };
  const row table[] = {
      {"8.9", "version: expected MAJOR.MINOR.PATCH with 1 to 5 digits each"},
      {"v8.9.0", "version: expected MAJOR.MINOR.PATCH with 1 to 5 digits each"},
      {"8.9.0 alice", "version: after MAJOR.MINOR.PATCH only '+<git sha>' or '-<git sha>' may follow"},
      {"8.9.0+alice", "version: the git sha must be 7 to 40 lowercase hex digits"},
      {"8.9.0+ABCDEF0", "version: the git sha must be 7 to 40 lowercase hex digits"},
      {"8.9.0+abcdef0/home", "version: only '.localchanges' or '-local_changes' may follow the git sha"},
      {"123456.0.0", "version: expected MAJOR.MINOR.PATCH with 1 to 5 digits each"},
  };
  for (const auto& r : table) {
    INFO(r.text);
    const auto parsed = tel::version::parse(r.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == r.error);
  }
}

TEST_CASE("wire enums format and parse every value; unknown names are errors") {
  CHECK(tel::wire_name(color::red) == "red");
  CHECK(tel::wire_name(color::dark_blue) == "dark_blue");
  CHECK(tel::wire_name(static_cast<color>(7)).empty());
  for (auto value : {color::red, color::dark_blue}) {
    CHECK(*tel::parse_wire_name<color>(tel::wire_name(value)) == value);
  }
  const auto bad = tel::parse_wire_name<color>("Red");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "color: unknown wire name 'Red' (expected one of: red dark_blue)");
  CHECK(tel::wire_name(tel::role::supervisor) == "supervisor");
}

namespace {
struct colored {
  static constexpr std::string_view event_name = "colored";
  BOOST_HANA_DEFINE_STRUCT(colored, (tel::central<color>, shade));
};
}  // namespace

TEST_CASE("an enum value without a wire name is sent as its number and counted") {
  tel::output_buffer out;
  const tel::central_envelope destination{"abc", tel::role::agent};
  const auto report = tel::write_central(out, destination, tel::timestamp{}, colored{static_cast<color>(9)});
  CHECK(report.out_of_range_enums == 1);
  CHECK(out.view().find(R"("properties":{"shade":"9"})") != std::string_view::npos);
}

TEST_CASE("the field table describes kinds, types and sharing for audits") {
  constexpr auto& fields = tel::fields_of<every_kind>;
  static_assert(fields.size() == 14);
  static_assert(fields[0].name == "flag" && fields[0].type_name == "bool");
  static_assert(fields[1].type_name == "u64" && fields[2].type_name == "i32");
  static_assert(fields[3].type_name == "f64" && fields[4].type_name == "f32");
  static_assert(fields[5].type_name == "color" && fields[5].kind == tel::value_kind::enumeration);
  static_assert(fields[6].type_name == "uuid" && fields[7].type_name == "version");
  static_assert(fields[8].exposure == tel::central_exposure::projection);
  static_assert(fields[8].projection == "the file name after the last '/'");
  static_assert(fields[9].optional && fields[9].exposure == tel::central_exposure::value);
  static_assert(fields[10].exposure == tel::central_exposure::none && fields[10].type_name == "string");
  static_assert(fields[11].type_name == "path");
  CHECK(fields[13].name == "note");
}

}  // namespace values_test
