// Must not compile: a job id assigned to a task id field (each id kind is its own type).
#include <onefuzz/telemetry/catalog/service_events.hpp>

int main() {
  namespace catalog = onefuzz::telemetry::catalog;
  catalog::node_task_state_changed event;
  event.task_id = catalog::job_id::random();
  return 0;
}
