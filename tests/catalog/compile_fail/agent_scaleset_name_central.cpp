// Must not compile: the agent's scaleset_id is the VMSS name (free text the user chose,
// not shared upstream; docs/catalog.md, "Ids"), so it cannot be made central, even optional.
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/event.hpp>

#include <optional>
#include <string_view>

struct context_with_central_scaleset_name {
  BOOST_HANA_DEFINE_STRUCT(
      context_with_central_scaleset_name,
      (onefuzz::telemetry::central<std::optional<onefuzz::telemetry::catalog::scaleset_name>>,
       scaleset_id));
};

int main() {
  return onefuzz::telemetry::fields_of<context_with_central_scaleset_name>.size() == 1 ? 0 : 1;
}
