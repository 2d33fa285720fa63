#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
namespace tel = onefuzz::telemetry;
// A job id is not a task id.
struct job_tag; struct task_tag;
using job_id = tel::basic_id<job_tag>;
using task_id = tel::basic_id<task_tag>;
task_id wrong() { return job_id::random(); }
