// A privacy audit as a user writes it for their own event: declare the event, pin the review
// of its central fields, assert on them at compile time, and print its manifest entry.
#include <onefuzz/telemetry.hpp>
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/audit/manifest.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace my_fuzzer {

namespace tel = onefuzz::telemetry;

// A crash the harness found. The count and the time to find it may go to the central
// instance; the path names the user's files, so it stays on their own instance.
struct crash_found {
  static constexpr std::string_view event_name = "crash_found";
  static constexpr bool metric_twin = true;
  BOOST_HANA_DEFINE_STRUCT(crash_found,
                           (tel::central<std::uint64_t>, count),
                           (tel::central<double>, seconds_to_crash),
                           (tel::instance_only<std::string>, path));
};

// The privacy review, pinned next to the event: exactly these fields were approved for the
// central instance, each as "wire name: channel declared type". Making another field
// central, or `path` central, or one of these instance-only, or changing what one of them
// exposes (count made a double, or a reviewed type sent through its projection), stops the
// build here, naming the event and the field, until the review is redone and this line
// updated. With ONEFUZZ_TELEMETRY_STRICT_REVIEWS (defined for every example), an event
// without such a pin cannot be sent to the central instance at all.
ONEFUZZ_TELEMETRY_REVIEWED(crash_found, "count: count u64", "seconds_to_crash: measure f64");

}  // namespace my_fuzzer

namespace audit = onefuzz::telemetry::audit;

// The same facts asserted directly, as a unit test might.
static_assert(audit::central_fields_are<my_fuzzer::crash_found>({"count", "seconds_to_crash"}));
static_assert(audit::field<my_fuzzer::crash_found>("path").sharing ==
              onefuzz::telemetry::sharing::instance_only);
static_assert(audit::field<my_fuzzer::crash_found>("count").type_name == "u64");
static_assert(audit::event_name<my_fuzzer::crash_found> == "crash_found");
static_assert(audit::field<my_fuzzer::crash_found>("count").kind ==
              onefuzz::telemetry::value_kind::integer);
static_assert(audit::channel_of(audit::field<my_fuzzer::crash_found>("count")) == "count");
// What strict mode (ONEFUZZ_TELEMETRY_STRICT_REVIEWS) requires before the event is sent.
static_assert(onefuzz::telemetry::has_pinned_review<my_fuzzer::crash_found>);

int main() {
  // What a privacy manifest says about the event, generated from its type.
  const std::string entry = audit::pretty_json(audit::event_entry<my_fuzzer::crash_found>());
  std::fputs(entry.c_str(), stdout);
  return 0;
}
