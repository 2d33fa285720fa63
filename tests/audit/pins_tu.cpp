// The pins translation unit: the catalog checked against its pinned reviews, and nothing
// else, so tools/mutation_check.sh can compile it quickly once per mutant. It is also
// compiled into audit.api, so the normal build checks the same thing.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/catalog/reviews.hpp>

namespace catalog = onefuzz::telemetry::catalog;
namespace audit = onefuzz::telemetry::audit;

// reviews.hpp checks each pin where it is written; this repeats the whole-catalog check so
// the TU fails even if a pin were moved out of that header.
static_assert(audit::every_type_matches_review(catalog::agent_event_types));
static_assert(audit::every_type_matches_review(catalog::service_event_types));
static_assert(audit::every_type_matches_review(catalog::context_types));
