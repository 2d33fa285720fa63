// Must not compile: task_start's event_type is the task_type enum, not free text.
#include <onefuzz/telemetry/catalog/agent_events.hpp>

#include <string>

int main() {
  onefuzz::telemetry::catalog::task_start event;
  event.event_type = std::string{"libfuzzer_fuzz"};
  return 0;
}
