// The Windows compile check's program (tools/windows_transport_check.sh, docs/windows-transport.md):
// every public transport and integrations header in one translation unit (Winsock,
// <windows.h> and libcurl's headers meeting each other), a sender that emits one catalog
// event, and the machine id with its IMDS step. Compiled for mingw-w64 to an object file, not
// linked: Debian has no libcurl for Windows.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/catalog/reviews.hpp>  // the catalog's pins, which strict mode requires
#include <onefuzz/telemetry/integrations/afl_reporter.hpp>
#include <onefuzz/telemetry/integrations/agent_environment.hpp>
#include <onefuzz/telemetry/integrations/event_sink.hpp>
#include <onefuzz/telemetry/integrations/file_watcher.hpp>
#include <onefuzz/telemetry/integrations/imds.hpp>
#include <onefuzz/telemetry/integrations/libfuzzer_reporter.hpp>
#include <onefuzz/telemetry/integrations/machine_id.hpp>
#include <onefuzz/telemetry/integrations/process_stats.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/transport/http_client.hpp>
#include <onefuzz/telemetry/transport/managed_identity.hpp>
#include <onefuzz/telemetry/transport/operator_settings.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>
#include <onefuzz/telemetry/transport/spool.hpp>
#include <onefuzz/telemetry/transport/src.hpp>
#include <onefuzz/telemetry/transport/token_provider.hpp>

#include <chrono>
#include <cstdio>

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;

int main() {
  // The agent's ids, its machine id (IMDS asked first, as on an Azure VM), then one event.
  auto const environment = tel::integrations::read_agent_environment();
  if (!environment) {
    std::fprintf(stderr, "%s\n", environment.error().message.c_str());
    return 1;
  }
  tel::integrations::machine_id_options machine;
  machine.cache_file.clear();
  machine.use_imds = true;
  auto const resolved = tel::integrations::resolve_machine_id(machine);

  cat::task_context context;
  context.machine_id = resolved.id;

  tel::transport::sender_options options;
  options.diagnostics.handler = [](tel::transport::diagnostic const& d) {
    std::fprintf(stderr, "%s\n", tel::transport::format_diagnostic(d).c_str());
  };
  tel::transport::sender<cat::task_context> sender{options, context};
  tel::integrations::emit_to sink{sender};
  cat::task_start start;
  start.event_type = cat::task_type::libfuzzer_fuzz;
  sink(start);
  sender.shutdown(std::chrono::seconds{5});
  auto const stats = sender.instance_statistics();
  return stats.emitted == stats.accepted ? 0 : 1;
}
