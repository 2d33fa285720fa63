// Must not compile: BOOST_HANA_ADAPT_STRUCT lists `job_id` twice (and so never `task_id`),
// which gives the context two fields with one wire name; its review catches it.
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct my_context {
  tel::central<tel::catalog::job_id> job_id;
  tel::instance_only<tel::catalog::task_id> task_id;
};
}  // namespace my_project

BOOST_HANA_ADAPT_STRUCT(my_project::my_context, job_id, job_id);

namespace my_project {
ONEFUZZ_TELEMETRY_REVIEWED(my_context, "job_id: identifier job_id");
}  // namespace my_project
