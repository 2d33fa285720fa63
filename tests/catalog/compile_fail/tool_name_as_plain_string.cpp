// Must not compile: a raw string assigned to task_start's tool_name; it has to be wrapped
// in catalog::tool_name, whose central form is the file name only.
#include <onefuzz/telemetry/catalog/agent_events.hpp>

#include <string>

int main() {
  onefuzz::telemetry::catalog::task_start event;
  event.tool_name = std::string{"/home/alice/tools/generator"};
  return 0;
}
