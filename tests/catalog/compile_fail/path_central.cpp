// Must not compile: a file event's `path` declared central (it is instance-only upstream;
// docs/catalog.md); the core rejects central<std::string> at the field.
#include <onefuzz/telemetry/event.hpp>

#include <string>
#include <string_view>

struct new_report_with_central_path {
  static constexpr std::string_view event_name = "new_report";
  BOOST_HANA_DEFINE_STRUCT(new_report_with_central_path,
                           (onefuzz::telemetry::central<std::string>, path));
};

int main() {
  return onefuzz::telemetry::fields_of<new_report_with_central_path>.size() == 1 ? 0 : 1;
}
