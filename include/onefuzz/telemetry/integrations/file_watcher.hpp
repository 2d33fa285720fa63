// Defines file_watcher: watches the crash, input and crash-dump directories and reports
// each new file by name as new_result, new_coverage or new_crashdump (the original's
// syncdir monitor), until stop(). The OS part is per platform (file_watcher_linux.hpp:
// inotify and poll(); file_watcher_windows.hpp: ReadDirectoryChangesW with overlapped I/O);
// the types (file_watcher_types.hpp) and the events sent are shared, below.
#pragma once

#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/integrations/event_sink.hpp>
#include <onefuzz/telemetry/integrations/file_watcher_types.hpp>

#if defined(_WIN32)
#include <onefuzz/telemetry/integrations/file_watcher_windows.hpp>
#else
#include <onefuzz/telemetry/integrations/file_watcher_linux.hpp>
#endif

namespace onefuzz::telemetry::integrations {

// Sends the catalog event for a new file: new_result for crashes, new_coverage for inputs,
// new_crashdump for crash dumps, each with the file name as `path` (instance-only; the
// central instance gets the bare event name).
template <class Sink>
  requires event_sink_for<Sink, catalog::new_result> && event_sink_for<Sink, catalog::new_coverage> &&
           event_sink_for<Sink, catalog::new_crashdump>
void send_file_event(Sink& sink, const file_event& event) {
  switch (event.kind) {
    case watched_directory::crashes: {
      catalog::new_result out;
      out.path = event.name;
      sink(out);
      return;
    }
    case watched_directory::inputs: {
      catalog::new_coverage out;
      out.path = event.name;
      sink(out);
      return;
    }
    case watched_directory::crashdumps: {
      catalog::new_crashdump out;
      out.path = event.name;
      sink(out);
      return;
    }
  }
}

}  // namespace onefuzz::telemetry::integrations
