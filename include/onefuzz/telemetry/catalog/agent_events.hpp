// Defines the events the OneFuzz agent (onefuzz-task) sends, with each field's sharing
// exactly as the original's can_share_with_microsoft (docs/catalog.md, "Agent events").
#pragma once

#include <onefuzz/telemetry/catalog/afl_mode.hpp>
#include <onefuzz/telemetry/catalog/enums.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/catalog/tool_name.hpp>
#include <onefuzz/telemetry/detail/define_struct.hpp>
#include <onefuzz/telemetry/event.hpp>

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Member types are written qualified (catalog::job_id, telemetry::version): a member
// named like its unqualified type would change the meaning of that name inside the class.
namespace onefuzz::telemetry::catalog {

// A task started (onefuzz-task Config::run). Both fields are central (Type and
// ToolName are shared upstream); tool_name is present only for generic_generator and
// generic_analysis, and centrally reduced to the file name (see tool_name).
struct task_start {
  static constexpr std::string_view event_name = "task_start";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(task_start,
                                  (central<catalog::task_type>, event_type),
                                  (central<std::optional<catalog::tool_name>>, tool_name));
};
static_assert(event_check<task_start>);

// Coverage of the generic coverage task, every 10 recorded inputs and at the end of a
// pass. rate = covered / features, 0 when features is 0. All central.
struct coverage_data {
  static constexpr std::string_view event_name = "coverage_data";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(coverage_data,
                                  (central<std::uint64_t>, covered),
                                  (central<std::uint64_t>, features),
                                  (central<double>, rate));
};
static_assert(event_check<coverage_data>);

// Recording the coverage of an input failed. The path is the full input path, so it is
// instance-only (Path is not shared upstream); centrally the event is a bare name.
struct coverage_failed {
  static constexpr std::string_view event_name = "coverage_failed";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(coverage_failed, (instance_only<std::string>, path));
};
static_assert(event_check<coverage_failed>);

// An input covered nothing (PR #3610). Path instance-only, as coverage_failed.
struct coverage_empty {
  static constexpr std::string_view event_name = "coverage_empty";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(coverage_empty, (instance_only<std::string>, path));
};
static_assert(event_check<coverage_empty>);

// libFuzzer's runtime_stats: since PR #786 one event summed over workers, with count and
// execs_sec only. worker_id and run_id are the document era's per-worker form (before
// PR #786); they are optional so both eras can be written, and central as the original
// still declares them. Unlike AFL's runtime_stats, the libFuzzer one is sent with event!
// and so has a metric twin (only AFL's uses log_events! alone).
struct libfuzzer_runtime_stats {
  static constexpr std::string_view event_name = "runtime_stats";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(libfuzzer_runtime_stats,
                                  (central<std::uint64_t>, count),
                                  (central<double>, execs_sec),
                                  (central<std::optional<std::uint64_t>>, worker_id),
                                  (central<std::optional<catalog::run_id>>, run_id));
};
static_assert(event_check<libfuzzer_runtime_stats>);

// AFL's runtime_stats, read from fuzzer_stats every 30 s. Same event name as libFuzzer's.
// Every field is optional: the original pushes a field only when its key is in the file
// and parses (stats/afl.rs), and AFL++ 4 renamed paths_* to corpus_*, so the coverage_paths
// fields really are absent there. pid and command_line are instance-only; mode is
// central but reviewed (see afl_mode). coverage_paths_depth is declared and central in the
// original but never emitted (max_depth is in the parser's ignored list); it is kept
// so the catalog matches the field dictionary. No metric twin: this event alone is sent
// with log_events! only.
struct afl_runtime_stats {
  static constexpr std::string_view event_name = "runtime_stats";
  static constexpr bool metric_twin = false;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(afl_runtime_stats,
                                  (central<std::optional<catalog::afl_mode>>, mode),
                                  (central<std::optional<std::uint64_t>>, coverage_paths),
                                  (instance_only<std::optional<std::uint32_t>>, pid),
                                  (central<std::optional<std::uint64_t>>, count),
                                  (central<std::optional<std::uint64_t>>, coverage_paths_favored),
                                  (central<std::optional<std::uint64_t>>, coverage_paths_found),
                                  (central<std::optional<std::uint64_t>>, coverage_paths_imported),
                                  (central<std::optional<double>>, execs_sec),
                                  (central<std::optional<double>>, coverage),
                                  (instance_only<std::optional<std::string>>, command_line),
                                  (central<std::optional<std::uint64_t>>, coverage_paths_depth));
};
static_assert(event_check<afl_runtime_stats>);

// The file events below carry only `path`, instance-only (Path is not shared upstream). The
// central instance gets each as a bare event name plus the context, which is how the
// document's "Crash Found", "Crash Report Created" and "Unique Crash Report Created"
// flags are carried (docs/catalog.md, "File and report events").

// A crash file appeared in a monitored `crashes` directory ("Crash Found"). Path is the
// file name.
struct new_result {
  static constexpr std::string_view event_name = "new_result";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_result, (instance_only<std::string>, path));
};
static_assert(event_check<new_result>);

// A new corpus input appeared in a monitored `inputs` directory.
struct new_coverage {
  static constexpr std::string_view event_name = "new_coverage";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_coverage, (instance_only<std::string>, path));
};
static_assert(event_check<new_coverage>);

// A crash dump appeared in a monitored `crashdumps` directory (PR #2793).
struct new_crashdump {
  static constexpr std::string_view event_name = "new_crashdump";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_crashdump, (instance_only<std::string>, path));
};
static_assert(event_check<new_crashdump>);

// A crash was reproduced, sent before any upload (PR #3571). Path is the unique blob name.
struct crash_reported {
  static constexpr std::string_view event_name = "crash_reported";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(crash_reported, (instance_only<std::string>, path));
};
static_assert(event_check<crash_reported>);

// A crash report was uploaded as a new blob ("Crash Report Created").
struct new_report {
  static constexpr std::string_view event_name = "new_report";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_report, (instance_only<std::string>, path));
};
static_assert(event_check<new_report>);

// A crash report unique in the existing set was uploaded ("Unique Crash Report Created").
struct new_unique_report {
  static constexpr std::string_view event_name = "new_unique_report";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_unique_report, (instance_only<std::string>, path));
};
static_assert(event_check<new_unique_report>);

// A crash could not be reproduced; its no-repro report was uploaded.
struct new_unable_to_reproduce {
  static constexpr std::string_view event_name = "new_unable_to_reproduce";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(new_unable_to_reproduce, (instance_only<std::string>, path));
};
static_assert(event_check<new_unable_to_reproduce>);

// A regression task saved a crash report (PR #664).
struct regression_report {
  static constexpr std::string_view event_name = "regression_report";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(regression_report, (instance_only<std::string>, path));
};
static_assert(event_check<regression_report>);

// A regression task could not reproduce a crash (PR #664).
struct regression_unable_to_reproduce {
  static constexpr std::string_view event_name = "regression_unable_to_reproduce";
  static constexpr bool metric_twin = true;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(regression_unable_to_reproduce,
                                  (instance_only<std::string>, path));
};
static_assert(event_check<regression_unable_to_reproduce>);

// The document era's per-worker process statistics, every 30 s per libFuzzer worker
// (initial release to PR #1608). name, pid and process_status describe the user's
// process and are instance-only; the numbers are central. Memory is in KB.
// No metric twin: the event was removed two years before twins existed (PR #3188).
struct process_stats {
  static constexpr std::string_view event_name = "process_stats";
  static constexpr bool metric_twin = false;
  ONEFUZZ_TELEMETRY_DEFINE_STRUCT(process_stats,
                                  (central<std::uint64_t>, worker_id),
                                  (central<catalog::run_id>, run_id),
                                  (instance_only<std::string>, name),
                                  (instance_only<std::uint32_t>, pid),
                                  (instance_only<std::string>, process_status),
                                  (central<float>, cpu_usage),
                                  (central<std::uint64_t>, physical_memory),
                                  (central<std::uint64_t>, virtual_memory));
};
static_assert(event_check<process_stats>);

// Every agent event type, for code that iterates the catalog (tests, audits, docs).
inline constexpr auto agent_event_types =
    boost::hana::tuple_t<task_start, coverage_data, coverage_failed, coverage_empty,
                         libfuzzer_runtime_stats, afl_runtime_stats, new_result, new_coverage,
                         new_crashdump, crash_reported, new_report, new_unique_report,
                         new_unable_to_reproduce, regression_report,
                         regression_unable_to_reproduce, process_stats>;

}  // namespace onefuzz::telemetry::catalog
