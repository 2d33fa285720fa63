// Must not compile: `job` was reviewed as a job id and is now a task id. Both are random
// uuids, but a task id links the event to another object than the reviewer approved.
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>

#include <string_view>

namespace tel = onefuzz::telemetry;

namespace my_project {
struct job_paused {
  static constexpr std::string_view event_name = "job_paused";
  BOOST_HANA_DEFINE_STRUCT(job_paused,
                           (tel::central<tel::catalog::task_id>, job));  // was catalog::job_id
};
ONEFUZZ_TELEMETRY_REVIEWED(job_paused, "job: identifier job_id");
}  // namespace my_project
