// Tests that a reviewed type's central form is held to its grammar at run time: a projection
// outside it reaches the central instance as "other" and is counted, while the user's
// instance still gets the value. Also the grammar's own edges, and that the catalog's
// grammars are exactly as tight as their projections, so valid input never hits them.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/serialize.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace grammar_test {

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
namespace json = boost::json;
using namespace std::chrono_literals;

// A reviewed type with a deliberately bad projection: it returns the whole value, which
// its grammar (a lowercase word) does not allow for most inputs. The grammar, checked on
// every value sent, is what keeps the value off the central instance.
class leaky_label final : public tel::reviewed<leaky_label> {
 public:
  static constexpr std::string_view projection = "the whole value (a deliberately bad rule)";
  static constexpr tel::projection_grammar central_grammar{"a-z", 16};

  leaky_label() = default;
  explicit leaky_label(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }
  [[nodiscard]] std::string_view central_projection() const noexcept { return value_; }

 private:
  std::string value_;
};

struct labelled_event {
  static constexpr std::string_view event_name = "labelled_event";
  BOOST_HANA_DEFINE_STRUCT(labelled_event, (tel::central<leaky_label>, label),
                           (tel::central<std::uint32_t>, count));
};

constexpr std::string_view full_key = "00000000-0000-0000-0000-0000000000aa";
constexpr std::string_view central_key = "00000000-0000-0000-0000-0000000000bb";
const tel::timestamp when = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h;

const tel::full_envelope& full_destination() {
  static const tel::full_envelope destination{tel::envelope_options{
      .instrumentation_key = std::string{full_key},
      .cloud_role = tel::role::agent,
      .role_instance = "grammar-host",
      .device_id = "grammar-host",
  }};
  return destination;
}

const tel::central_envelope& central_destination() {
  static const tel::central_envelope destination{central_key, tel::role::agent};
  return destination;
}

// The event's properties in a payload, as strings.
json::object properties_of(std::string_view payload) {
  INFO("payload " << std::string{payload});
  json::value root;
  REQUIRE_NOTHROW(root = json::parse(payload));
  return root.as_object().at("data").as_object().at("baseData").as_object().at("properties").as_object();
}

std::string label_in(std::string_view payload) {
  const json::object properties = properties_of(payload);
  const auto* label = properties.if_contains("label");
  REQUIRE(label != nullptr);
  REQUIRE(label->is_string());
  return std::string{label->as_string()};
}

labelled_event event_with(std::string label) {
  labelled_event event;
  event.label = leaky_label{std::move(label)};
  event.count = 7;
  return event;
}

}  // namespace

TEST_CASE("a projection outside its grammar is sent centrally as \"other\" and counted",
          "[catalog][reviewed][grammar]") {
  const std::string raw = "/home/alice/secret project";
  const labelled_event event = event_with(raw);
  tel::output_buffer full_out;
  tel::output_buffer central_out;

  SECTION("write_central") {
    const tel::write_report report =
        tel::write_central(central_out, central_destination(), when, event);
    CHECK(label_in(central_out.view()) == "other");
    CHECK(central_out.view().find("alice") == std::string_view::npos);
    CHECK(report.projection_rejected == 1);
    CHECK_FALSE(report.clean());
  }
  SECTION("write_both") {
    const tel::pair_report reports = tel::write_both(full_out, full_destination(), central_out,
                                                     central_destination(), when, event);
    CHECK(label_in(full_out.view()) == raw);
    CHECK(label_in(central_out.view()) == "other");
    CHECK(central_out.view().find("alice") == std::string_view::npos);
    CHECK(reports.full.projection_rejected == 0);
    CHECK(reports.central.projection_rejected == 1);
    // The other central field is unaffected.
    CHECK(properties_of(central_out.view()).at("count").as_string() == "7");
  }
  SECTION("write_full never checks the projection") {
    const tel::write_report report = tel::write_full(full_out, full_destination(), when, event);
    CHECK(label_in(full_out.view()) == raw);
    CHECK(report.projection_rejected == 0);
  }
}

TEST_CASE("a projection inside its grammar is sent unchanged, and nothing is counted",
          "[catalog][reviewed][grammar]") {
  const labelled_event event = event_with("fuzzing");
  tel::output_buffer full_out;
  tel::output_buffer central_out;
  const tel::write_report central_only =
      tel::write_central(central_out, central_destination(), when, event);
  CHECK(label_in(central_out.view()) == "fuzzing");
  CHECK(central_only.projection_rejected == 0);
  CHECK(central_only.clean());

  central_out.clear();
  const tel::pair_report both = tel::write_both(full_out, full_destination(), central_out,
                                                central_destination(), when, event);
  CHECK(label_in(full_out.view()) == "fuzzing");
  CHECK(label_in(central_out.view()) == "fuzzing");
  CHECK(both.full.projection_rejected == 0);
  CHECK(both.central.projection_rejected == 0);
}

TEST_CASE("checked_projection counts each rejected value", "[catalog][reviewed][grammar]") {
  std::uint32_t rejected = 0;
  CHECK(tel::checked_projection(leaky_label{"ok"}, rejected) == "ok");
  CHECK(rejected == 0);
  CHECK(tel::checked_projection(leaky_label{""}, rejected) == tel::rejected_projection);
  CHECK(tel::checked_projection(leaky_label{"Upper"}, rejected) == "other");
  CHECK(tel::checked_projection(leaky_label{std::string(17, 'a')}, rejected) == "other");
  CHECK(rejected == 3);
}

TEST_CASE("projection_grammar accepts exactly its sizes and characters",
          "[catalog][reviewed][grammar]") {
  constexpr tel::projection_grammar word{"a-z", 8};
  CHECK(word.min_size() == 1);
  CHECK(word.max_size() == 8);
  CHECK_FALSE(word.accepts(""));
  CHECK(word.accepts("a"));
  CHECK(word.accepts("abcdefgh"));
  CHECK_FALSE(word.accepts("abcdefghi"));
  CHECK_FALSE(word.accepts("abc1"));
  CHECK_FALSE(word.accepts("Abc"));
  CHECK_FALSE(word.accepts("ab c"));
  CHECK_FALSE(word.accepts("`"));  // just below 'a'
  CHECK_FALSE(word.accepts("{"));  // just above 'z'
  CHECK_FALSE(word.accepts(std::string_view{"ab\0c", 4}));

  constexpr tel::projection_grammar sized{"0-9", 4, 2};
  CHECK_FALSE(sized.accepts("1"));
  CHECK(sized.accepts("12"));
  CHECK(sized.accepts("1234"));
  CHECK_FALSE(sized.accepts("12345"));

  // A '-' first or last stands for itself; ranges and single characters mix.
  constexpr tel::projection_grammar mixed{"-A-Cx.", 3};
  CHECK(mixed.accepts("-"));
  CHECK(mixed.accepts("ABC"));
  CHECK(mixed.accepts("x.-"));
  CHECK_FALSE(mixed.accepts("D"));
  CHECK_FALSE(mixed.accepts("y"));
  constexpr tel::projection_grammar dash_last{"a-", 2};
  CHECK(dash_last.accepts("a-"));
  CHECK_FALSE(dash_last.accepts("b"));

  // Every byte outside printable ASCII is refused, whatever the class: non-ASCII text,
  // UTF-8 sequences, invalid UTF-8, control characters.
  constexpr tel::projection_grammar printable{" -~", 8};
  CHECK(printable.accepts(" !~"));
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    INFO("byte " << byte);
    CHECK(printable.accepts(std::string_view{&c, 1}) == (byte >= 0x20 && byte <= 0x7E));
  }
  CHECK_FALSE(printable.accepts("caf\xc3\xa9"));
  CHECK_FALSE(printable.accepts("\xff"));
  CHECK_FALSE(printable.accepts("\x80"));

  // The largest allowed maximum.
  constexpr tel::projection_grammar big{"a", 8192};
  CHECK(big.accepts(std::string(8192, 'a')));
  CHECK_FALSE(big.accepts(std::string(8193, 'a')));
}

namespace {

// The printable ASCII characters a grammar admits (tried one at a time, padded to its
// minimum size).
std::set<char> admitted(const tel::projection_grammar& grammar) {
  std::set<char> out;
  for (char c = 0x20; c <= 0x7E; ++c) {
    if (grammar.accepts(std::string(grammar.min_size(), c))) out.insert(c);
  }
  return out;
}

std::set<char> chars_of(std::initializer_list<std::string_view> parts) {
  std::set<char> out;
  for (auto part : parts) out.insert(part.begin(), part.end());
  return out;
}

}  // namespace

TEST_CASE("vm_sku's grammar is exactly as tight as its projection",
          "[catalog][reviewed][grammar]") {
  constexpr auto grammar = cat::vm_sku::central_grammar;
  // The characters is_azure_vm_size can pass, and "other".
  CHECK(admitted(grammar) ==
        chars_of({"Standard_", "Basic_", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "-",
                  "abdeilmnprstx", "Promo", "cc", "v", "other"}));
  CHECK(grammar.min_size() == cat::vm_sku::other.size());
  CHECK(grammar.max_size() == 48);

  // The longest name the projection passes, 48 bytes: every part at its maximum.
  const std::string longest = "Standard_ABCD123-456abdeilmn_Promo_MI3000X_v12_8";
  REQUIRE(longest.size() == 48);
  const cat::vm_sku at_limit{longest};
  CHECK(at_limit.is_known());
  CHECK(grammar.accepts(at_limit.central_projection()));
  CHECK_FALSE(cat::vm_sku{longest + "8"}.is_known());

  // Valid names never reach the serializer's replacement: what is_known() passes, the
  // grammar accepts, so projection_rejected stays 0 for every vm_sku.
  for (std::string_view name :
       {"Basic_A0", "Standard_D2s_v3", "Standard_M416-208s_v2", "Standard_NC24ads_A100_v4",
        "Standard_ND96isr_MI300X_v5", "Standard_DC4ads_cc_v5", "Standard_D2_v2_Promo",
        "Standard_HB176-24rs_v4", "Standard_M832ixs_v2", "Standard_GS5-8", "alice's sku", "",
        "Standard_D2s_v3 "}) {
    INFO("vm_sku '" << std::string{name} << "'");
    const cat::vm_sku value{std::string{name}};
    std::uint32_t rejected = 0;
    CHECK(tel::checked_projection(value, rejected) == value.central_projection());
    CHECK(rejected == 0);
  }
}

TEST_CASE("afl_mode's grammar is exactly as tight as its projection",
          "[catalog][reviewed][grammar]") {
  constexpr auto grammar = cat::afl_mode::central_grammar;
  std::set<char> expected{' ', '_'};
  for (auto word : cat::detail::afl_target_mode_words) expected.insert(word.begin(), word.end());
  const auto other = chars_of({"other"});
  expected.insert(other.begin(), other.end());
  CHECK(admitted(grammar) == expected);
  CHECK(grammar.min_size() == 4);  // "qemu", "dumb"
  CHECK(grammar.max_size() == cat::detail::max_afl_mode_size);
  std::size_t shortest = cat::afl_mode::other.size();
  for (auto word : cat::detail::afl_target_mode_words) shortest = std::min(shortest, word.size());
  CHECK(grammar.min_size() == shortest);

  // The longest value AFL++ writes, every flag set.
  const std::string every_flag =
      "unicornqemu coresight non_instrumented no_fsrv crash persistent shmem_testcase deferred ";
  CHECK(cat::afl_mode{every_flag}.is_known());
  // At the limit, and one past it (trimmed size counts).
  std::string at_limit;
  while (at_limit.size() + 5 <= cat::detail::max_afl_mode_size) at_limit += "qemu ";
  at_limit += std::string(cat::detail::max_afl_mode_size - at_limit.size(), ' ');
  at_limit.replace(at_limit.size() - 4, 4, "dumb");
  REQUIRE(at_limit.size() == cat::detail::max_afl_mode_size);
  CHECK(cat::afl_mode{at_limit}.is_known());
  CHECK(cat::afl_mode{"  " + at_limit + "\n"}.is_known());
  CHECK_FALSE(cat::afl_mode{at_limit + " qemu"}.is_known());
  // Only spaces separate words: AFL writes nothing else, and the grammar has no tab.
  CHECK_FALSE(cat::afl_mode{"qemu\tpersistent"}.is_known());
  CHECK(cat::afl_mode{"\tqemu persistent\r\n"}.is_known());

  for (const std::string& mode :
       {std::string{"default"}, std::string{"qemu"}, std::string{"dumb"},
        std::string{"qemu  dumb no_forksrv crash persistent deferred"},
        std::string{"unicornpersistent"}, every_flag, at_limit, std::string{"  persistent \t"},
        std::string{"qemu\tpersistent"}, std::string{"nyx"}, std::string{""},
        at_limit + " qemu"}) {
    INFO("afl_mode '" << mode << "'");
    const cat::afl_mode value{mode};
    std::uint32_t rejected = 0;
    CHECK(tel::checked_projection(value, rejected) == value.central_projection());
    CHECK(rejected == 0);
  }
}

TEST_CASE("tool_name's projection never hits its grammar", "[catalog][reviewed][grammar]") {
  for (std::string_view value :
       {"{tools_dir}/radamsa", "C:\\Program Files\\x\\t.exe", "user@example.com", "",
        "https://host/t.exe?sig=x", "/usr/bin/", "\xff"}) {
    INFO("tool_name '" << std::string{value} << "'");
    const cat::tool_name tool{std::string{value}};
    std::uint32_t rejected = 0;
    CHECK(tel::checked_projection(tool, rejected) == tool.central_projection());
    CHECK(rejected == 0);
  }
}

}  // namespace grammar_test
