// Must not compile: a static_assert on a field the event does not have.
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog.hpp>

namespace audit = onefuzz::telemetry::audit;
namespace catalog = onefuzz::telemetry::catalog;

static_assert(audit::field<catalog::coverage_data>("coverd").sharing ==
              onefuzz::telemetry::sharing::central);
