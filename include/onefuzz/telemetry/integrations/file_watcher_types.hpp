// The types shared by the file watcher's platform parts (file_watcher_linux.hpp: inotify;
// file_watcher_windows.hpp: ReadDirectoryChangesW): what to watch, what a new file is, the
// options and the counters. Included through integrations/file_watcher.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace onefuzz::telemetry::integrations {

// Which OneFuzz directory a file appeared in, which decides the event.
enum class watched_directory {
  crashes,     // new_result  (libFuzzer artifact_prefix, AFL crashes, generator crashes)
  inputs,      // new_coverage (the corpus a fuzzer adds to)
  crashdumps,  // new_crashdump (PR #2793)
};

// A directory to watch and what its files mean.
struct watch_target {
  std::filesystem::path directory;
  watched_directory kind = watched_directory::crashes;
};

// A file that was completely written into, or moved into, a watched directory (on Windows:
// created in, or renamed into, one; Windows has no event for a file closed after writing).
struct file_event {
  watched_directory kind = watched_directory::crashes;
  std::string name;  // the file name only, never the directory (the event's `path`)
};

struct file_watcher_options {
  // Skip names starting with '.', as the original does for libFuzzer's and AFL's
  // temporary and state files.
  bool ignore_dotfiles = true;
  // Create missing directories instead of failing. Off by default: a typo in a path
  // would otherwise be watched forever without a single event.
  bool create_missing = false;
};

// Counters of a watcher (all monotonic).
struct file_watcher_statistics {
  std::uint64_t files = 0;          // file events handed to the handler
  std::uint64_t ignored = 0;        // dotfiles and directories skipped
  std::uint64_t overflows = 0;      // the OS dropped events (not recovered): IN_Q_OVERFLOW;
                                    // on Windows, a full buffer (ERROR_NOTIFY_ENUM_DIR or 0 bytes)
  std::uint64_t watches_lost = 0;   // a watched directory was deleted or moved away
};

}  // namespace onefuzz::telemetry::integrations
