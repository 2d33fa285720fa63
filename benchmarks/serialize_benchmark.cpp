// Times write_both (full + central payloads of one event) against the same two payloads
// built with Boost.JSON, counting heap allocations and bytes written per iteration.
//
//   serialize_benchmark            Google Benchmark as usual (all its flags work)
//   serialize_benchmark --ratio    10 repetitions, then the medians and the two ratios
//
// Before any timing, the payloads of ours and of the Boost.JSON peer are parsed back and
// compared as JSON values; the program stops if they differ, so the peers do the same work.

// Allocation counting: every operator new in this program goes through counting_new.hpp's,
// which counts per thread (no atomic in the measured loop); the counter is read only by the
// thread that runs the benchmark.
#include "counting_new.hpp"

#include <onefuzz/telemetry.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tel = onefuzz::telemetry;

namespace {

// ---------------------------------------------------------------------------------------
// The event: shaped like the original's runtime_stats with the task's ids merged in
// (4 ids, an enum, 6 integers, 3 doubles, a reviewed tool name, an instance-only path).
// Declared here rather than taken from the catalog so the benchmark measures the
// serializer alone. Its types live in a named namespace so the members, named like their
// types, can spell the types qualified.
namespace bench {
struct job_tag;
struct task_tag;
struct machine_tag;
struct run_tag;
using job_id = tel::basic_id<job_tag>;
using task_id = tel::basic_id<task_tag>;
using machine_id = tel::basic_id<machine_tag>;
using run_id = tel::basic_id<run_tag>;

enum class task_type { libfuzzer_fuzz, libfuzzer_coverage, afl, generic_generator };
constexpr auto onefuzz_wire_names(task_type) {
  return tel::enum_wire_names<4>{
      "task_type", {"libfuzzer_fuzz", "libfuzzer_coverage", "afl", "generic_generator"}};
}

// The configured tool: the whole value for the user's instance, the file name centrally
// (as the catalog's tool_name).
class tool_name final : public tel::reviewed<tool_name> {
 public:
  static constexpr std::string_view projection = "file name only: the text after the last '/' or '\\'";
  static constexpr tel::projection_grammar central_grammar{"A-Za-z0-9._+-", 64};
  tool_name() = default;
  explicit tool_name(std::string value) : value_(std::move(value)) {}
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }
  // A reverse scan: find_last_of("/\\") calls memchr on the separators once per
  // character, which cost more than escaping the value (both peers call this).
  [[nodiscard]] std::string_view central_projection() const noexcept {
    std::size_t start = value_.size();
    while (start > 0 && value_[start - 1] != '/' && value_[start - 1] != '\\') --start;
    return std::string_view{value_}.substr(start);
  }

 private:
  std::string value_;
};

}  // namespace bench

struct runtime_stats {
  static constexpr std::string_view event_name = "runtime_stats";
  BOOST_HANA_DEFINE_STRUCT(runtime_stats,
                           (tel::central<bench::job_id>, job_id),
                           (tel::central<bench::task_id>, task_id),
                           (tel::central<bench::machine_id>, machine_id),
                           (tel::central<bench::run_id>, run_id),
                           (tel::central<bench::task_type>, task_type),
                           (tel::central<std::uint64_t>, count),
                           (tel::central<std::uint64_t>, coverage_paths),
                           (tel::central<std::uint64_t>, coverage_paths_found),
                           (tel::central<std::uint64_t>, coverage_paths_imported),
                           (tel::central<std::uint64_t>, worker_id),
                           (tel::central<std::uint32_t>, pid),
                           (tel::central<double>, execs_sec),
                           (tel::central<double>, coverage),
                           (tel::central<double>, stability),
                           (tel::central<bench::tool_name>, tool_name),
                           (tel::instance_only<std::string>, path));
};

runtime_stats sample_event() {
  runtime_stats ev;
  ev.job_id = *bench::job_id::parse("3c1bd6a2-59f0-4c2e-9d1e-6f0b2a7c8e41");
  ev.task_id = *bench::task_id::parse("a7e0c3f4-1b2d-4e5f-8a9b-0c1d2e3f4a5b");
  ev.machine_id = *bench::machine_id::parse("5f2e8d1c-7a6b-4c3d-9e8f-1a2b3c4d5e6f");
  ev.run_id = *bench::run_id::parse("e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b");
  ev.task_type = bench::task_type::libfuzzer_fuzz;
  ev.count = 1847263519u;
  ev.coverage_paths = 18342u;
  ev.coverage_paths_found = 1204u;
  ev.coverage_paths_imported = 377u;
  ev.worker_id = 3u;
  ev.pid = 48213u;
  ev.execs_sec = 2666.67;
  ev.coverage = 41.8236;
  ev.stability = 99.87;
  ev.tool_name = bench::tool_name{"{tools_dir}/libfuzzer-dotnet/LibFuzzerDotnetLoader"};
  ev.path = "/onefuzz/blob-containers/oft-crashes-4a1f0c2e9b7d4d6a8e3f5b1c0d2e4f6a/"
            "crash-6f2a1d0b9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a";
  return ev;
}

// The destinations, as a sender would configure them once.
const tel::envelope_options full_options{.instrumentation_key = "11111111-2222-3333-4444-555555555555",
                                         .cloud_role = tel::role::agent,
                                         .role_instance = "onefuzz-node-0007",
                                         .device_id = "onefuzz-node-0007"};
constexpr std::string_view central_key = "99999999-8888-7777-6666-555555555555";

// Events arrive over time: each iteration advances the clock by 1 ms, so the timestamp
// is formatted anew every time, as it is in a sender.
const tel::timestamp start_time = tel::timestamp{std::chrono::milliseconds{1714566896789}};

// ---------------------------------------------------------------------------------------
// The Boost.JSON peer: the same two envelopes (same keys, same string values) built as
// boost::json::object trees and serialized. Ids, numbers and the time are formatted once
// with the library's own helpers (the ones write_both uses) and shared by both payloads,
// as write_both does, so only building and serializing the JSON differs.

struct formatted_values {
  char job_id[tel::uuid::text_size];
  char task_id[tel::uuid::text_size];
  char machine_id[tel::uuid::text_size];
  char run_id[tel::uuid::text_size];
  char numbers[9][tel::json::max_number_size];
  std::size_t number_sizes[9];
  char time[tel::timestamp_size];
};

template <class T>
void format_number(formatted_values& f, std::size_t i, T value) {
  char* end = nullptr;
  if constexpr (std::is_floating_point_v<T>) end = tel::json::format_display(f.numbers[i], value);
  else end = tel::json::format_integer(f.numbers[i], value);
  f.number_sizes[i] = static_cast<std::size_t>(end - f.numbers[i]);
}

void format_values(formatted_values& f, const runtime_stats& ev, tel::timestamp time) {
  tel::json::format_uuid(f.job_id, ev.job_id->value().bytes().data());
  tel::json::format_uuid(f.task_id, ev.task_id->value().bytes().data());
  tel::json::format_uuid(f.machine_id, ev.machine_id->value().bytes().data());
  tel::json::format_uuid(f.run_id, ev.run_id->value().bytes().data());
  format_number(f, 0, *ev.count);
  format_number(f, 1, *ev.coverage_paths);
  format_number(f, 2, *ev.coverage_paths_found);
  format_number(f, 3, *ev.coverage_paths_imported);
  format_number(f, 4, *ev.worker_id);
  format_number(f, 5, *ev.pid);
  format_number(f, 6, *ev.execs_sec);
  format_number(f, 7, *ev.coverage);
  format_number(f, 8, *ev.stability);
  tel::format_timestamp_cached(f.time, time);
}

std::string_view uuid_view(const char (&text)[tel::uuid::text_size]) {
  return {text, tel::uuid::text_size};
}

// Host names and keys are configuration, held as strings like the sender would.
struct boost_destinations {
  std::string full_key = full_options.instrumentation_key;
  std::string central_key{::central_key};
  std::string role{tel::wire_name(full_options.cloud_role)};
  std::string sdk_version = std::string{"onefuzz-telemetry-cpp:"} + std::string{tel::library_version};
  std::string role_instance = full_options.role_instance;
  std::string device_id = full_options.device_id;
};

boost::json::object make_envelope(boost::json::storage_ptr storage, const boost_destinations& d,
                                  bool central, const formatted_values& f, const runtime_stats& ev) {
  boost::json::object tags(storage);
  tags.reserve(central ? 5 : 4);
  tags.emplace("ai.cloud.role", d.role);
  tags.emplace("ai.internal.sdkVersion", d.sdk_version);
  if (central) {
    tags.emplace("ai.cloud.roleInstance", "Redacted");
    tags.emplace("ai.device.id", "Redacted");
    tags.emplace("ai.location.ip", "0.0.0.0");
  } else {
    tags.emplace("ai.cloud.roleInstance", d.role_instance);
    tags.emplace("ai.device.id", d.device_id);
  }

  boost::json::object properties(storage);
  properties.reserve(central ? 15 : 16);
  properties.emplace("job_id", uuid_view(f.job_id));
  properties.emplace("task_id", uuid_view(f.task_id));
  properties.emplace("machine_id", uuid_view(f.machine_id));
  properties.emplace("run_id", uuid_view(f.run_id));
  properties.emplace("task_type", tel::wire_name(*ev.task_type));
  static constexpr const char* number_keys[9] = {
      "count",     "coverage_paths", "coverage_paths_found", "coverage_paths_imported", "worker_id",
      "pid",       "execs_sec",      "coverage",             "stability"};
  for (std::size_t i = 0; i < 9; ++i) {
    properties.emplace(number_keys[i], std::string_view{f.numbers[i], f.number_sizes[i]});
  }
  properties.emplace("tool_name", central ? ev.tool_name->central_projection()
                                          : ev.tool_name->full_value());
  if (!central) properties.emplace("path", *ev.path);

  boost::json::object base_data(storage);
  base_data.reserve(3);
  base_data.emplace("ver", 2);
  base_data.emplace("name", runtime_stats::event_name);
  base_data.emplace("properties", std::move(properties));

  boost::json::object data(storage);
  data.reserve(2);
  data.emplace("baseType", "EventData");
  data.emplace("baseData", std::move(base_data));

  boost::json::object envelope(storage);
  envelope.reserve(7);
  envelope.emplace("ver", 1);
  envelope.emplace("iKey", central ? d.central_key : d.full_key);
  envelope.emplace("tags", std::move(tags));
  envelope.emplace("time", std::string_view{f.time, tel::timestamp_size});
  envelope.emplace("name", "Microsoft.ApplicationInsights.Event");
  envelope.emplace("sampleRate", 100.0);
  envelope.emplace("data", std::move(data));
  return envelope;
}

// Both payloads with the given storage (null: the default allocator).
struct boost_payloads {
  std::string full;
  std::string central;
};

// Large enough for both trees of this event, so the monotonic peer never goes to the heap
// for the tree (serialize's std::string result still does).
constexpr std::size_t monotonic_buffer_size = 8192;

boost_payloads boost_write_both(const boost_destinations& d, const runtime_stats& ev,
                                tel::timestamp time, bool monotonic) {
  formatted_values f;
  format_values(f, ev, time);
  if (monotonic) {
    alignas(std::max_align_t) unsigned char buffer[monotonic_buffer_size];
    boost::json::monotonic_resource resource(buffer, sizeof buffer);
    boost::json::storage_ptr storage(&resource);
    boost_payloads out;
    out.full = boost::json::serialize(make_envelope(storage, d, false, f, ev));
    out.central = boost::json::serialize(make_envelope(storage, d, true, f, ev));
    return out;
  }
  boost_payloads out;
  out.full = boost::json::serialize(make_envelope({}, d, false, f, ev));
  out.central = boost::json::serialize(make_envelope({}, d, true, f, ev));
  return out;
}

// ---------------------------------------------------------------------------------------
// The benchmarks.

void report_counters(benchmark::State& state, std::uint64_t allocations, std::uint64_t bytes) {
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["allocs_per_iter"] = static_cast<double>(allocations) / iterations;
  state.counters["bytes_per_iter"] = static_cast<double>(bytes) / iterations;
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_serialize_ours(benchmark::State& state) {
  const tel::full_envelope full_destination{full_options};
  const tel::central_envelope central_destination{central_key, tel::role::agent};
  const runtime_stats ev = sample_event();
  tel::output_buffer full(4096);
  tel::output_buffer central(4096);
  tel::timestamp time = start_time;
  std::uint64_t bytes = 0;
  const std::uint64_t allocations_before = counting_new::allocations_on_this_thread();
  for (auto _ : state) {
    full.clear();
    central.clear();
    const auto reports = tel::write_both(full, full_destination, central, central_destination,
                                         time, ev);
    benchmark::DoNotOptimize(reports);
    benchmark::DoNotOptimize(full.data());
    benchmark::DoNotOptimize(central.data());
    bytes += full.size() + central.size();
    time += std::chrono::milliseconds{1};
  }
  report_counters(state, counting_new::allocations_on_this_thread() - allocations_before, bytes);
}
BENCHMARK(BM_serialize_ours);

void run_boost_benchmark(benchmark::State& state, bool monotonic) {
  const boost_destinations destinations;
  const runtime_stats ev = sample_event();
  tel::timestamp time = start_time;
  std::uint64_t bytes = 0;
  const std::uint64_t allocations_before = counting_new::allocations_on_this_thread();
  for (auto _ : state) {
    const boost_payloads out = boost_write_both(destinations, ev, time, monotonic);
    benchmark::DoNotOptimize(out.full.data());
    benchmark::DoNotOptimize(out.central.data());
    bytes += out.full.size() + out.central.size();
    time += std::chrono::milliseconds{1};
  }
  report_counters(state, counting_new::allocations_on_this_thread() - allocations_before, bytes);
}

void BM_serialize_boost_json_monotonic(benchmark::State& state) { run_boost_benchmark(state, true); }
BENCHMARK(BM_serialize_boost_json_monotonic);

void BM_serialize_boost_json_default(benchmark::State& state) { run_boost_benchmark(state, false); }
BENCHMARK(BM_serialize_boost_json_default);

// ---------------------------------------------------------------------------------------
// The sanity check: both peers' payloads, parsed, are equal JSON values, and ours is
// clean and allocation-free once warm.

bool payloads_match() {
  const tel::full_envelope full_destination{full_options};
  const tel::central_envelope central_destination{central_key, tel::role::agent};
  const runtime_stats ev = sample_event();
  const boost_destinations destinations;
  bool ok = true;
  // A few instants, including a date change, so the timestamp path is checked too.
  for (const auto time : {start_time, tel::timestamp{std::chrono::milliseconds{1714607999999}},
                          tel::timestamp{std::chrono::milliseconds{1714608000000}}}) {
    tel::output_buffer full;
    tel::output_buffer central;
    const auto reports = tel::write_both(full, full_destination, central, central_destination, time, ev);
    if (!reports.full.clean() || !reports.central.clean()) {
      std::fprintf(stderr, "serialize_benchmark: write_both reported changes to the values\n");
      ok = false;
    }
    for (const bool monotonic : {true, false}) {
      const boost_payloads peer = boost_write_both(destinations, ev, time, monotonic);
      const std::pair<std::string_view, std::string_view> pairs[] = {{full.view(), peer.full},
                                                                     {central.view(), peer.central}};
      for (const auto& [ours, theirs] : pairs) {
        boost::json::error_code error;
        const boost::json::value ours_value = boost::json::parse(ours, error);
        if (error || ours_value != boost::json::parse(theirs)) {
          std::fprintf(stderr,
                       "serialize_benchmark: the payloads differ (%s peer):\n  ours:  %.*s\n  "
                       "boost: %.*s\n",
                       monotonic ? "monotonic" : "default", static_cast<int>(ours.size()),
                       ours.data(), static_cast<int>(theirs.size()), theirs.data());
          ok = false;
        }
      }
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------
// --ratio: run with repetitions, read the JSON output back, print medians and ratios.

constexpr double target_monotonic_ratio = 1.0 / 6.0;
constexpr double target_default_ratio = 1.0 / 10.0;

int print_ratios(const std::string& json_path) {
  std::ifstream file(json_path);
  std::stringstream text;
  text << file.rdbuf();
  // Google Benchmark writes NaN for a 0/0 statistic (the coefficient of variation of a
  // counter that is always 0); Boost.JSON 1.81 rejects that token, so it is read as null.
  std::string content = text.str();
  for (const std::string_view token : {": -NaN", ": NaN", ": -Infinity", ": Infinity"}) {
    for (auto at = content.find(token); at != std::string::npos; at = content.find(token, at)) {
      content.replace(at, token.size(), ": null");
    }
  }
  boost::json::error_code error;
  const boost::json::value results = boost::json::parse(content, error);
  if (error || !results.is_object() || !results.as_object().contains("benchmarks")) {
    std::fprintf(stderr, "serialize_benchmark --ratio: cannot read %s\n", json_path.c_str());
    return 1;
  }
  // CPU time is the basis of the ratios: on a shared machine the wall time also counts
  // the time the thread waited for a core; on an idle one the two agree.
  struct medians {
    double cpu_ns = 0;
    double real_ns = 0;
    double allocations = -1;
  };
  std::map<std::string, medians> found;
  for (const auto& run : results.at("benchmarks").as_array()) {
    const auto& object = run.as_object();
    const auto* aggregate = object.if_contains("aggregate_name");
    if (aggregate == nullptr || aggregate->as_string() != "median") continue;
    const std::string_view unit = object.at("time_unit").as_string();
    const double to_ns = unit == "ms" ? 1e6 : unit == "us" ? 1e3 : 1.0;
    medians& m = found[std::string{object.at("run_name").as_string()}];
    m.cpu_ns = object.at("cpu_time").to_number<double>() * to_ns;
    m.real_ns = object.at("real_time").to_number<double>() * to_ns;
    if (const auto* allocations = object.if_contains("allocs_per_iter")) {
      m.allocations = allocations->to_number<double>();
    }
  }
  const char* names[] = {"BM_serialize_ours", "BM_serialize_boost_json_monotonic",
                         "BM_serialize_boost_json_default"};
  for (const char* name : names) {
    if (!found.contains(name)) {
      std::fprintf(stderr, "serialize_benchmark --ratio: no median for %s in %s\n", name,
                   json_path.c_str());
      return 1;
    }
  }
  std::printf("\nmedians per iteration (full + central payloads)\n");
  for (const char* name : names) {
    const medians& m = found[name];
    std::printf("  %-34s cpu %8.1f ns  real %8.1f ns  %6.2f allocs/iter\n", name, m.cpu_ns,
                m.real_ns, m.allocations);
  }
  const medians& ours = found[names[0]];
  const double monotonic = ours.cpu_ns / found[names[1]].cpu_ns;
  const double fallback = ours.cpu_ns / found[names[2]].cpu_ns;
  std::printf("ratios (cpu time)\n");
  std::printf("  ours / boost_json_monotonic = %.4f (1/%.2f; target <= 1/6)  %s\n", monotonic,
              1.0 / monotonic, monotonic <= target_monotonic_ratio ? "met" : "MISSED");
  std::printf("  ours / boost_json_default   = %.4f (1/%.2f; target <= 1/10) %s\n", fallback,
              1.0 / fallback, fallback <= target_default_ratio ? "met" : "MISSED");
  std::printf("  ours allocations per iteration = %.2f (target 0)  %s\n", ours.allocations,
              ours.allocations == 0 ? "met" : "MISSED");
  std::printf("(JSON results kept in %s)\n", json_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> arguments(argv, argv + argc);
  bool ratio = false;
  std::string json_path = "serialize_benchmark.json";
  for (auto it = arguments.begin(); it != arguments.end();) {
    if (*it == "--ratio") {
      ratio = true;
      it = arguments.erase(it);
    } else {
      if (it->starts_with("--benchmark_out=")) json_path = it->substr(16);
      ++it;
    }
  }
  if (ratio) {
    auto has = [&](std::string_view flag) {
      for (const auto& argument : arguments) {
        if (argument.starts_with(flag)) return true;
      }
      return false;
    };
    if (!has("--benchmark_repetitions")) arguments.emplace_back("--benchmark_repetitions=10");
    if (!has("--benchmark_report_aggregates_only")) {
      arguments.emplace_back("--benchmark_report_aggregates_only=true");
    }
    if (!has("--benchmark_out=")) arguments.push_back("--benchmark_out=" + json_path);
    if (!has("--benchmark_out_format")) arguments.emplace_back("--benchmark_out_format=json");
    // Repetitions of the three benchmarks in random order, so a change in the machine's
    // load during the run falls on all of them alike.
    if (!has("--benchmark_enable_random_interleaving")) {
      arguments.emplace_back("--benchmark_enable_random_interleaving=true");
    }
  }

  if (!payloads_match()) {
    std::fprintf(stderr, "serialize_benchmark: the peers do not write the same JSON; not timing\n");
    return 1;
  }

  std::vector<char*> pointers;
  for (auto& argument : arguments) pointers.push_back(argument.data());
  int count = static_cast<int>(pointers.size());
  benchmark::Initialize(&count, pointers.data());
  if (benchmark::ReportUnrecognizedArguments(count, pointers.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return ratio ? print_ratios(json_path) : 0;
}
