// Sentinel test of the privacy split, over the whole catalog: every field of every event and
// context is filled with a distinct sentinel value, generically through Boost.Hana, and every
// event is written with every context by every serializer (write_both, write_central and
// write_full in both encodings, and the metric twins). Each payload is parsed with Boost.JSON:
//  - no sentinel of an instance-only field, and no directory part of a reviewed value, appears
//    anywhere in a central payload (keys, values or raw text);
//  - every central field's sentinel does appear in every central payload, under its name;
//  - every field's sentinel appears in every full payload, under its name;
//  - a context field that the event shadows (an event field of the same name) is in neither.
// The checker is also run on the full payloads as if they were central, and must then find the
// leaks, so a checker that accepts everything would fail this test.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/serialize.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace sentinel_test {

namespace {

namespace hana = boost::hana;
namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view full_key = "5e5e5e5e-0000-4000-8000-00000000f011";
constexpr std::string_view central_key = "5e5e5e5e-0000-4000-8000-00000000cee7";
// Host data of the full envelope: never in a central payload.
constexpr std::string_view role_instance_sentinel = "SENTINEL_envelope_role_instance_xyz";
constexpr std::string_view device_id_sentinel = "SENTINEL_envelope_device_id_xyz";

// 2024-05-01T12:34:56.789Z
const tel::timestamp when = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 34min +
                            56s + 789ms;

// What one field was set to, and how each payload must (or must not) show it.
struct sentinel {
  enum class kind { text, number, boolean };

  std::string owner;  // the event's name or the context's
  std::string field;  // the wire name
  bool central = false;
  bool shadowed = false;  // a context field hidden by the event's field of the same name
  kind type = kind::text;
  std::string full_text;     // kind::text: the full payload's value
  std::string central_text;  // kind::text: the central payload's value
  double number = 0;         // kind::number: the value (a JSON number, or a string of it)
  bool flag = false;         // kind::boolean
  // Texts that must appear nowhere in a central payload: the whole sentinel of an
  // instance-only field, the directories of a reviewed value.
  std::vector<std::string> secrets;

  [[nodiscard]] std::string label() const { return owner + "." + field; }
};

// Distinct values for one event and context: integers 9100000 + i, doubles 7200000.25 + i,
// floats 3100.5 + i, uuids ending in abcd + i (hex), versions with i in the minor part.
class sentinel_source {
 public:
  int next() { return counter_++; }

 private:
  int counter_ = 0;
};

template <class T>
[[maybe_unused]] inline constexpr bool always_false = false;

std::string hex(std::uint64_t value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*llx", digits, static_cast<unsigned long long>(value));
  return text;
}

// The sentinel of a reviewed type: a value whose projection passes through its grammar,
// with what each destination gets and what must never reach the central instance.
struct reviewed_sentinel {
  std::string value;
  std::string full_text;
  std::string central_text;
  std::vector<std::string> secrets;
};

template <class R>
reviewed_sentinel reviewed_text(const std::string& owner, const std::string& field) {
  if constexpr (std::same_as<R, cat::tool_name>) {
    // A custom tool under a user's home: only the file name may leave.
    const std::string file = "SENTINEL" + owner + "_" + field + "_xyz";
    return {"/home/secret_user/SENTINELtools/" + file,
            "/home/secret_user/SENTINELtools/" + file,
            file,
            {"/home/secret_user", "secret_user", "SENTINELtools"}};
  } else if constexpr (std::same_as<R, cat::afl_mode>) {
    // Only AFL's own words pass; an unusual combination of them is the sentinel.
    const std::string modes = "shmem_testcase coresight non_instrumented";
    return {modes, modes, modes, {}};
  } else if constexpr (std::same_as<R, cat::vm_sku>) {
    // A size name of Azure's grammar that no real VM has.
    const std::string sku = "Standard_SNTL917s_v9";
    return {sku, sku, sku, {}};
  } else {
    static_assert(always_false<R>,
                  "sentinel_test: a new reviewed type is in the catalog; add a sentinel value for "
                  "it in reviewed_text (one its projection passes through, and the parts of it "
                  "that must not reach the central instance)");
    return {};
  }
}

// A sentinel of type V for field `out.field`, different from `defaults` (the field's value in
// a default-constructed owner); fills `out`.
template <class V>
V make_sentinel(sentinel_source& source, sentinel& out, const V& defaults) {
  if constexpr (tel::is_optional_v<V>) {
    using inner = tel::unwrap_optional_t<V>;
    return V{make_sentinel<inner>(source, out, defaults ? *defaults : inner{})};
  } else if constexpr (std::same_as<V, bool>) {
    out.type = sentinel::kind::boolean;
    out.flag = !defaults;
    return out.flag;
  } else if constexpr (tel::integer_value<V>) {
    static_assert(sizeof(V) >= 4, "sentinel_test: integers below 32 bits need smaller sentinels");
    const std::int64_t value = 9100000 + source.next();
    out.type = sentinel::kind::number;
    out.number = static_cast<double>(value);
    if (!out.central) out.secrets.push_back(std::to_string(value));
    return static_cast<V>(value);
  } else if constexpr (std::same_as<V, double>) {
    const double value = 7200000.25 + source.next();
    out.type = sentinel::kind::number;
    out.number = value;
    if (!out.central) out.secrets.push_back(std::to_string(static_cast<std::int64_t>(value)));
    return value;
  } else if constexpr (std::same_as<V, float>) {
    const float value = 3100.5f + static_cast<float>(source.next());  // exact in a float
    out.type = sentinel::kind::number;
    out.number = static_cast<double>(value);
    if (!out.central) out.secrets.push_back(std::to_string(static_cast<std::int64_t>(value)));
    return value;
  } else if constexpr (tel::wire_enum<V>) {
    // The last value with a wire name that differs from the default.
    const auto& names = tel::wire_names_of<V>.names;
    std::size_t index = names.size() - 1;
    if (static_cast<V>(index) == defaults && index > 0) --index;
    const V value = static_cast<V>(index);
    out.full_text = out.central_text = std::string{tel::wire_name(value)};
    // Wire names are shared by many fields, so only the key can show an instance-only enum.
    return value;
  } else if constexpr (tel::id_value<V>) {
    // Hex letters before the counter, so no decimal sentinel can be read inside a uuid.
    const std::string text = "5e171e1a-5e17-4e17-9e17-abcd" + hex(static_cast<unsigned>(source.next()), 8);
    auto parsed = V::parse(text);
    REQUIRE(parsed.has_value());
    out.full_text = out.central_text = text;
    if (!out.central) out.secrets.push_back(text);
    return *parsed;
  } else if constexpr (std::same_as<V, tel::version>) {
    const std::string text = "31.7" + std::to_string(source.next()) + ".1+5e171e1ab";
    auto parsed = tel::version::parse(text);
    REQUIRE(parsed.has_value());
    out.full_text = out.central_text = text;
    if (!out.central) out.secrets.push_back(text);
    return *parsed;
  } else if constexpr (tel::reviewed_value<V>) {
    reviewed_sentinel text = reviewed_text<V>(out.owner, out.field);
    out.full_text = text.full_text;
    out.central_text = text.central_text;
    out.secrets = text.secrets;
    if (!out.central) out.secrets.push_back(text.full_text);
    V value{text.value};
    REQUIRE(V::central_grammar.accepts(value.central_projection()));
    REQUIRE(value.central_projection() == text.central_text);
    return value;
  } else if constexpr (std::same_as<V, std::string> || std::same_as<V, std::filesystem::path>) {
    const std::string text = "SENTINEL_" + out.owner + "_" + out.field + "_xyz";
    out.full_text = out.central_text = text;
    out.secrets.push_back(text);  // text is never central
    return V{text};
  } else {
    static_assert(always_false<V>,
                  "sentinel_test: a field type without a sentinel; add one in make_sentinel");
    return V{};
  }
}

// Sets every field of s to a sentinel; returns what each field was set to.
template <class S>
std::vector<sentinel> fill(S& s, const std::string& owner, sentinel_source& source) {
  std::vector<sentinel> out;
  const S defaults{};
  hana::for_each(hana::accessors<S>(), [&](auto pair) {
    auto& field = hana::second(pair)(s);
    using field_type = std::remove_cvref_t<decltype(field)>;
    using value_type = typename field_type::value_type;
    sentinel expected;
    expected.owner = owner;
    expected.field = hana::to<const char*>(hana::first(pair));
    expected.central = field_type::sharing == tel::sharing::central;
    field.get() = make_sentinel<value_type>(source, expected, hana::second(pair)(defaults).get());
    out.push_back(std::move(expected));
  });
  return out;
}

template <class C>
std::string context_name() {
  if constexpr (std::same_as<C, cat::task_context>) return "task_context";
  else if constexpr (std::same_as<C, cat::supervisor_context>) return "supervisor_context";
  else if constexpr (std::same_as<C, cat::proxy_context>) return "proxy_context";
  else if constexpr (std::same_as<C, cat::service_context>) return "service_context";
  else return "context";
}

// --- reading payloads ------------------------------------------------------------------

struct parsed_payload {
  std::string raw;
  json::value root;
  const json::object* properties = nullptr;
  const json::object* measurements = nullptr;
};

parsed_payload parse(std::string_view text) {
  parsed_payload p;
  p.raw = std::string{text};
  INFO("payload " << p.raw);
  REQUIRE_NOTHROW(p.root = json::parse(p.raw));
  const auto& base = p.root.as_object().at("data").as_object().at("baseData").as_object();
  if (const auto* props = base.if_contains("properties")) p.properties = &props->as_object();
  if (const auto* numbers = base.if_contains("measurements")) p.measurements = &numbers->as_object();
  return p;
}

const json::value* member(const parsed_payload& p, std::string_view name) {
  if (p.properties != nullptr) {
    if (const auto* v = p.properties->if_contains(name)) return v;
  }
  if (p.measurements != nullptr) {
    if (const auto* v = p.measurements->if_contains(name)) return v;
  }
  return nullptr;
}

// The number a JSON value holds, as a number or as the whole of a string.
std::optional<double> number_of(const json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string text{v.as_string()};
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return parsed;
}

bool matches(const sentinel& s, const json::value& v, bool central) {
  switch (s.type) {
    case sentinel::kind::text:
      return v.is_string() && v.as_string() == (central ? s.central_text : s.full_text);
    case sentinel::kind::number: {
      const auto n = number_of(v);
      return n && *n == s.number;
    }
    case sentinel::kind::boolean:
      return (v.is_bool() && v.as_bool() == s.flag) ||
             (v.is_string() && v.as_string() == (s.flag ? "true" : "false"));
  }
  return false;
}

// True when needle is in any key or string of v, or is a number equal to one in v.
bool contains(const json::value& v, std::string_view needle) {
  switch (v.kind()) {
    case json::kind::object:
      for (const auto& m : v.as_object()) {
        if (std::string_view{m.key()}.find(needle) != std::string_view::npos) return true;
        if (contains(m.value(), needle)) return true;
      }
      return false;
    case json::kind::array:
      for (const auto& e : v.as_array()) {
        if (contains(e, needle)) return true;
      }
      return false;
    case json::kind::string:
      return std::string_view{v.as_string()}.find(needle) != std::string_view::npos;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      char* end = nullptr;
      const std::string text{needle};
      const double n = std::strtod(text.c_str(), &end);
      return end == text.c_str() + text.size() && !text.empty() &&
             (v.to_number<double>() == n || static_cast<std::int64_t>(v.to_number<double>()) == static_cast<std::int64_t>(n));
    }
    default:
      return false;
  }
}

// Everything wrong with a central payload's fields, one line each; empty when it is right.
std::vector<std::string> central_problems(const parsed_payload& p, const std::vector<sentinel>& fields) {
  std::vector<std::string> problems;
  for (const auto& s : fields) {
    const json::value* value = member(p, s.field);
    if (s.central && !s.shadowed) {
      if (value == nullptr) {
        problems.push_back(s.label() + ": central field missing");
      } else if (!matches(s, *value, true)) {
        problems.push_back(s.label() + ": central value " + json::serialize(*value) + " is not its sentinel");
      }
    } else if (!s.shadowed && value != nullptr) {
      problems.push_back(s.label() + ": instance-only field present as " + json::serialize(*value));
    }
    for (const auto& secret : s.secrets) {
      if (contains(p.root, secret)) problems.push_back(s.label() + ": '" + secret + "' in the parsed payload");
      if (p.raw.find(secret) != std::string::npos) problems.push_back(s.label() + ": '" + secret + "' in the raw text");
    }
  }
  return problems;
}

// Everything wrong with a full payload's fields; empty when it is right.
std::vector<std::string> full_problems(const parsed_payload& p, const std::vector<sentinel>& fields) {
  std::vector<std::string> problems;
  for (const auto& s : fields) {
    const json::value* value = member(p, s.field);
    if (s.shadowed) {
      // The event's field wins; the context's value is nowhere.
      for (const auto& secret : s.secrets) {
        if (p.raw.find(secret) != std::string::npos) problems.push_back(s.label() + ": shadowed, yet present");
      }
      continue;
    }
    if (value == nullptr) {
      problems.push_back(s.label() + ": missing");
    } else if (!matches(s, *value, false)) {
      problems.push_back(s.label() + ": value " + json::serialize(*value) + " is not its sentinel");
    }
  }
  return problems;
}

std::string joined(const std::vector<std::string>& lines) {
  std::ostringstream out;
  for (const auto& line : lines) out << "\n  " << line;
  return out.str();
}

void check_envelope(const parsed_payload& p, bool central) {
  INFO("payload " << p.raw);
  CHECK(p.root.as_object().at("iKey").as_string() == (central ? central_key : full_key));
  CHECK(p.root.as_object().at("time").as_string() == "2024-05-01T12:34:56.789Z");
  const auto& tags = p.root.as_object().at("tags").as_object();
  if (central) {
    CHECK(tags.at("ai.cloud.roleInstance").as_string() == "Redacted");
    CHECK(tags.at("ai.device.id").as_string() == "Redacted");
    for (std::string_view secret : {full_key, role_instance_sentinel, device_id_sentinel}) {
      CHECK(p.raw.find(secret) == std::string::npos);
    }
  } else {
    CHECK(tags.at("ai.cloud.roleInstance").as_string() == role_instance_sentinel);
    CHECK(tags.at("ai.device.id").as_string() == device_id_sentinel);
    CHECK(p.raw.find(central_key) == std::string::npos);
  }
}

// --- one event with one context ------------------------------------------------------------

struct totals {
  std::size_t combinations = 0;
  std::size_t central_payloads = 0;
  std::size_t full_payloads = 0;
  std::size_t central_fields_seen = 0;
  std::size_t secrets_checked = 0;
};

template <class E, class C>
void check_combination(totals& count) {
  const std::string owner_event{E::event_name};
  const std::string owner_context = context_name<C>();
  INFO("event " << owner_event << " with " << owner_context);

  sentinel_source source;
  C context{};
  std::vector<sentinel> fields = fill(context, owner_context, source);
  for (auto& s : fields) s.shadowed = tel::has_field<E>(s.field);
  E event{};
  for (auto& s : fill(event, owner_event, source)) fields.push_back(std::move(s));

  const tel::full_envelope full_destination{tel::envelope_options{
      .instrumentation_key = std::string{full_key},
      .cloud_role = tel::role::agent,
      .role_instance = std::string{role_instance_sentinel},
      .device_id = std::string{device_id_sentinel},
  }};
  const tel::central_envelope central_destination{central_key, tel::role::agent};

  std::vector<std::pair<std::string, std::string>> central_payloads;  // label, text
  std::vector<std::pair<std::string, std::string>> full_payloads;
  tel::output_buffer full_out;
  tel::output_buffer central_out;
  tel::output_buffer alone;

  const auto both = [&]<tel::encoding Enc>(const char* name) {
    full_out.clear();
    central_out.clear();
    const tel::pair_report reports =
        tel::write_both<Enc>(full_out, full_destination, central_out, central_destination, when, event, context);
    CHECK(reports.full.clean());
    CHECK(reports.central.clean());
    full_payloads.emplace_back(std::string{"write_both full "} + name, full_out.str());
    central_payloads.emplace_back(std::string{"write_both central "} + name, central_out.str());

    // The single-destination serializers write the same bytes.
    alone.clear();
    CHECK(tel::write_central<Enc>(alone, central_destination, when, event, context).clean());
    CHECK(alone.view() == central_out.view());
    central_payloads.emplace_back(std::string{"write_central "} + name, alone.str());
    alone.clear();
    CHECK(tel::write_full<Enc>(alone, full_destination, when, event, context).clean());
    CHECK(alone.view() == full_out.view());
    full_payloads.emplace_back(std::string{"write_full "} + name, alone.str());
  };
  both.template operator()<tel::encoding::onefuzz_compatible>("onefuzz_compatible");
  both.template operator()<tel::encoding::typed>("typed");
  if constexpr (tel::has_metric_twin_v<E>) {
    central_out.clear();
    CHECK(tel::write_metric_central(central_out, central_destination, when, event, context).clean());
    central_payloads.emplace_back("write_metric_central", central_out.str());
    full_out.clear();
    CHECK(tel::write_metric_full(full_out, full_destination, when, event, context).clean());
    full_payloads.emplace_back("write_metric_full", full_out.str());
  }

  // Whether the full payload holds anything the central one must not: then the central
  // checker, given a full payload, has to object.
  bool has_secrets = false;
  for (const auto& s : fields) {
    if (!s.shadowed && (!s.central || !s.secrets.empty())) has_secrets = true;
  }

  for (const auto& [label, text] : central_payloads) {
    INFO(label);
    const parsed_payload p = parse(text);
    check_envelope(p, true);
    const auto problems = central_problems(p, fields);
    INFO("problems:" << joined(problems) << "\npayload " << text);
    CHECK(problems.empty());
    ++count.central_payloads;
    for (const auto& s : fields) {
      if (s.central && !s.shadowed) ++count.central_fields_seen;
      count.secrets_checked += s.secrets.size();
    }
  }
  for (const auto& [label, text] : full_payloads) {
    INFO(label);
    const parsed_payload p = parse(text);
    check_envelope(p, false);
    const auto problems = full_problems(p, fields);
    INFO("problems:" << joined(problems) << "\npayload " << text);
    CHECK(problems.empty());
    // The checker can fail: a full payload read as a central one shows every leak.
    CHECK(central_problems(p, fields).empty() == !has_secrets);
    ++count.full_payloads;
  }
  ++count.combinations;
}

template <class Events>
void check_all(Events events, totals& count) {
  hana::for_each(events, [&](auto event_type) {
    using E = typename decltype(event_type)::type;
    hana::for_each(cat::context_types, [&](auto context_type) {
      using C = typename decltype(context_type)::type;
      check_combination<E, C>(count);
    });
  });
}

}  // namespace

TEST_CASE("sentinels: no instance-only value reaches a central payload, every central one does",
          "[catalog][privacy][sentinel]") {
  constexpr std::size_t agent_events = decltype(hana::length(cat::agent_event_types))::value;
  constexpr std::size_t service_events = decltype(hana::length(cat::service_event_types))::value;
  constexpr std::size_t contexts = decltype(hana::length(cat::context_types))::value;
  totals count;
  SECTION("agent events") {
    check_all(cat::agent_event_types, count);
    CHECK(count.combinations == agent_events * contexts);
  }
  SECTION("service events") {
    check_all(cat::service_event_types, count);
    CHECK(count.combinations == service_events * contexts);
  }
  // Not vacuous: there were central fields to find and secrets to look for.
  CHECK(count.central_payloads > 0);
  CHECK(count.full_payloads > 0);
  CHECK(count.central_fields_seen > 0);
  CHECK(count.secrets_checked > 0);
}

TEST_CASE("sentinels: the reviewed tool name leaves only its file name", "[catalog][privacy][sentinel]") {
  cat::task_start event;
  event.event_type = cat::task_type::generic_generator;
  event.tool_name = cat::tool_name{"/home/secret_user/SENTINELtool"};
  const tel::central_envelope central_destination{central_key, tel::role::agent};
  tel::output_buffer out;
  CHECK(tel::write_central(out, central_destination, when, event).clean());
  const parsed_payload p = parse(out.view());
  CHECK(p.properties->at("tool_name").as_string() == "SENTINELtool");
  CHECK(p.raw.find("secret_user") == std::string::npos);
  CHECK_FALSE(contains(p.root, "/home"));
}

}  // namespace sentinel_test
