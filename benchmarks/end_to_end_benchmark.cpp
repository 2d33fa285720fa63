// Sustained events per second from sender::emit() to "accepted" by the loopback ingestion
// server, against plain libcurl posting the same gzip batches, built and compressed before
// timing so that only the posts are timed (the target's basis: the sender must come within
// 0.9 of it although it serializes and compresses as it goes); and, for scale, against
// libcurl posting batches it serializes and compresses inside the timed loop on one thread,
// as a program without the sender would.
//
//   end_to_end_benchmark                 Google Benchmark as usual (all its flags work)
//   end_to_end_benchmark --ratio         10 interleaved repetitions, medians and the ratios
//   end_to_end_benchmark --events=N      events per iteration (default 200000)
//
// One iteration: emit N libFuzzer runtime_stats events (a metric twin each, so 2N items)
// to the user's instance only (central disabled, so both peers post the same one stream),
// force_flush, and wait until the server has accepted all 2N items. The peer posts the
// same 2N items in batches of the sender's size (500 items), one easy handle, kept alive.
// The sender spreads serialization and compression over its worker (gzip as it seals a
// batch) and its posting thread (posts only), so that work overlaps the server's parsing.
//
// The server runs in this process and shares the machine's cores with both peers: its
// parsing is most of the work of either, so the figures are the pipeline's throughput on
// this machine, not the service's. Before timing, items delivered by both peers are
// compared as JSON (apart from `time`), so they post the same payload.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/transport/detail/gzip.hpp>
#include <onefuzz/telemetry/testing/ingestion_server.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view instance_key = "11111111-2222-4333-8444-555555555555";
constexpr std::size_t default_events = 200000;
std::size_t events_per_iteration = default_events;

const char* no_environment(const char*) { return nullptr; }

cat::task_context task_context() {
  cat::task_context context;
  context.job_id = *cat::job_id::parse("3c1bd6a2-59f0-4c2e-9d1e-6f0b2a7c8e41");
  context.task_id = *cat::task_id::parse("a7e0c3f4-1b2d-4e5f-8a9b-0c1d2e3f4a5b");
  context.machine_id = *cat::machine_id::parse("5f2e8d1c-7a6b-4c3d-9e8f-1a2b3c4d5e6f");
  context.instance_id = *cat::instance_id::parse("e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b");
  context.version = *tel::version::parse("8.9.0+abcdef0");
  context.scaleset_id = std::string{"vmss-fuzzing-0007"};
  return context;
}

cat::libfuzzer_runtime_stats runtime_stats(std::uint64_t i) {
  cat::libfuzzer_runtime_stats ev;
  ev.count = 1847263519u + i;
  ev.execs_sec = 2666.67 + static_cast<double>(i & 1023u);
  return ev;
}

// One loopback ingestion server for the whole program; it keeps few items in memory (its
// counts stay exact), so a long run does not grow.
tel::testing::ingestion_server& shared_server() {
  static tel::testing::ingestion_server server{tel::testing::ingestion_server_options{
      .accepted_keys = {std::string{instance_key}}, .max_items_in_memory = 16}};
  return server;
}

const tel::transport::batching_options batching{};  // the defaults: 500 items, 1 MiB

tel::transport::sender_options sender_options(std::size_t events) {
  tel::transport::sender_options options;
  options.destinations.instance = shared_server().connection_string(instance_key);
  options.destinations.central_disabled = true;
  options.getenv = &no_environment;
  options.role_instance = "onefuzz-node-0007";
  options.device_id = "onefuzz-node-0007";
  // The whole iteration fits in the queue, so emit() never refuses and never waits; the
  // worker waits for the posting thread instead of dropping batches when it gets ahead.
  options.queue_capacity = events;
  options.batching = batching;
  options.instance.backlog_overflow = tel::transport::overflow_policy::block;
  options.block_timeout = 120s;
  return options;
}

tel::full_envelope full_envelope() {
  return tel::full_envelope{tel::envelope_options{.instrumentation_key = std::string{instance_key},
                                                  .cloud_role = tel::role::agent,
                                                  .role_instance = "onefuzz-node-0007",
                                                  .device_id = "onefuzz-node-0007"}};
}

// The CPU time of every thread of the process (the server's included), in seconds.
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// ---------------------------------------------------------------------------------------
// The peer: the sender's batches, as the sender's worker would write them (each event's
// item followed by its metric twin, NDJSON, sealed at max_items or max_bytes), gzip'ed
// with the library's compressor at the sender's level, so that the server inflates the
// same bytes for both peers.

class batch_builder {
 public:
  // `sealed(body)` gets each gzip'ed (or, without compress, plain) batch.
  explicit batch_builder(bool compress) : compress_(compress) {}

  template <class Sealed>
  void add(const cat::libfuzzer_runtime_stats& event, tel::timestamp time, Sealed&& sealed) {
    for (const bool metric : {false, true}) {
      if (items_++ != 0) body_.push_back('\n');
      if (metric) tel::write_metric_full(body_, envelope_, time, event, context_);
      else tel::write_full(body_, envelope_, time, event, context_);
      if (items_ >= batching.max_items || body_.size() >= batching.max_bytes) seal(sealed);
    }
  }

  template <class Sealed>
  void seal(Sealed&& sealed) {
    if (items_ == 0) return;
    if (compress_) {
      if (!compressor_.compress(body_.view(), gzip_)) throw std::runtime_error("end_to_end_benchmark: gzip failed");
      sealed(std::string_view{gzip_});
    } else {
      sealed(body_.view());
    }
    body_.clear();
    items_ = 0;
  }

 private:
  const bool compress_;
  const tel::full_envelope envelope_ = full_envelope();
  const cat::task_context context_ = task_context();
  tel::detail::gzip_compressor compressor_{tel::detail::request_gzip_level};
  tel::output_buffer body_{2u << 20};
  std::string gzip_;
  std::size_t items_ = 0;
};

std::vector<std::string> build_batches(std::uint64_t first, std::size_t events, bool compress) {
  std::vector<std::string> batches;
  batch_builder builder(compress);
  const auto keep = [&](std::string_view body) { batches.emplace_back(body); };
  for (std::uint64_t i = first; i < first + events; ++i) {
    builder.add(runtime_stats(i), std::chrono::system_clock::now(), keep);
  }
  builder.seal(keep);
  return batches;
}

// One easy handle with its headers, reused for every post so the connection stays open.
class plain_curl {
 public:
  plain_curl() : easy_(curl_easy_init(), &curl_easy_cleanup) {
    headers_ = curl_slist_append(headers_, "Content-Type: application/x-json-stream");
    headers_ = curl_slist_append(headers_, "Content-Encoding: gzip");
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy_.get(), CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy_.get(), CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_.get(), CURLOPT_WRITEFUNCTION, &plain_curl::on_body);
    curl_easy_setopt(easy_.get(), CURLOPT_WRITEDATA, &answer_);
  }
  plain_curl(const plain_curl&) = delete;
  plain_curl& operator=(const plain_curl&) = delete;
  ~plain_curl() { curl_slist_free_all(headers_); }

  // Posts one gzip body; true on a 200 answer.
  bool post(std::string_view body) {
    answer_.clear();
    curl_easy_setopt(easy_.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy_.get(), CURLOPT_POSTFIELDS, body.data());
    long status = 0;
    return curl_easy_perform(easy_.get()) == CURLE_OK &&
           curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200;
  }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy_;
  curl_slist* headers_ = nullptr;
  std::string url_ = shared_server().track_url();
  std::string answer_;
};

// ---------------------------------------------------------------------------------------
// The benchmarks.

// Google Benchmark reports a skipped run but still exits 0; the smoke tests rely on the
// exit status, so a run that fails its checks is remembered here and main returns 1.
bool any_run_failed = false;

void fail(benchmark::State& state, const char* message) {
  any_run_failed = true;
  state.SkipWithError(message);
}

void report(benchmark::State& state, double cpu_seconds) {
  const double events = static_cast<double>(state.iterations()) * static_cast<double>(events_per_iteration);
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["process_cpu_ns_per_event"] = cpu_seconds * 1e9 / events;
}

void BM_end_to_end_sender(benchmark::State& state) {
  auto& server = shared_server();
  const std::size_t events = events_per_iteration;
  tel::transport::sender<cat::task_context> sender{sender_options(events), task_context()};
  std::uint64_t next = 0;
  std::uint64_t refused = 0;
  std::size_t expected = server.accepted_count(instance_key);
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    for (std::size_t i = 0; i < events; ++i) refused += sender.emit(runtime_stats(next++)) ? 0u : 1u;
    expected += 2 * events;
    const bool flushed = sender.force_flush(120s);
    if (!flushed || !server.wait_for_accepted(instance_key, expected, std::chrono::steady_clock::now() + 10s)) {
      fail(state, "end_to_end_benchmark: the sender did not deliver everything in time");
      return;
    }
    cpu_seconds += process_cpu_seconds() - cpu_start;
  }
  const auto stats = sender.instance_statistics();
  if (refused != 0 || stats.dropped_total() != 0 || stats.accepted != stats.emitted) {
    fail(state, "end_to_end_benchmark: the sender refused or dropped events");
    return;
  }
  state.counters["requests_per_iter"] =
      static_cast<double>(stats.requests) / static_cast<double>(state.iterations());
  report(state, cpu_seconds);
}

// What a program using libcurl directly does with the same events: serialize each into
// the batch, compress a batch when it is full and post it, all on the calling thread,
// inside the timed loop like the sender's worker and posting thread.
void BM_end_to_end_libcurl(benchmark::State& state) {
  auto& server = shared_server();
  const std::size_t events = events_per_iteration;
  batch_builder builder(true);
  plain_curl curl;
  std::uint64_t next = 0;
  std::size_t expected = server.accepted_count(instance_key);
  std::size_t requests = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    bool posted = true;
    const auto post = [&](std::string_view body) {
      ++requests;
      posted = curl.post(body) && posted;
    };
    for (std::size_t i = 0; i < events; ++i) builder.add(runtime_stats(next++), std::chrono::system_clock::now(), post);
    builder.seal(post);
    if (!posted) {
      fail(state, "end_to_end_benchmark: a libcurl post was not answered 200");
      return;
    }
    expected += 2 * events;
    if (!server.wait_for_accepted(instance_key, expected, std::chrono::steady_clock::now() + 10s)) {
      fail(state, "end_to_end_benchmark: the server did not accept every item");
      return;
    }
    cpu_seconds += process_cpu_seconds() - cpu_start;
  }
  state.counters["requests_per_iter"] = static_cast<double>(requests) / static_cast<double>(state.iterations());
  report(state, cpu_seconds);
}

// The target's basis: the same gzip batches, built and compressed once before timing, so an
// iteration only posts them. What the sender loses against it is what its serialization and
// compression still cost on the critical path (on busy cores they take CPU time the posts
// and the server want).
void BM_end_to_end_libcurl_prebuilt(benchmark::State& state) {
  auto& server = shared_server();
  const std::size_t events = events_per_iteration;
  // Every iteration posts the same bodies (the server accepts items up to 48 hours old).
  const std::vector<std::string> batches = build_batches(0, events, true);
  plain_curl curl;
  std::size_t expected = server.accepted_count(instance_key);
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    for (const std::string& body : batches) {
      if (!curl.post(body)) {
        fail(state, "end_to_end_benchmark: a libcurl post was not answered 200");
        return;
      }
    }
    expected += 2 * events;
    if (!server.wait_for_accepted(instance_key, expected, std::chrono::steady_clock::now() + 10s)) {
      fail(state, "end_to_end_benchmark: the server did not accept every item");
      return;
    }
    cpu_seconds += process_cpu_seconds() - cpu_start;
  }
  state.counters["requests_per_iter"] = static_cast<double>(batches.size());
  report(state, cpu_seconds);
}

// Each iteration is a whole run of N events: wall time is what counts (the emitting thread
// is idle most of it), one iteration per repetition is enough at the default N.
BENCHMARK(BM_end_to_end_sender)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_end_to_end_libcurl)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_end_to_end_libcurl_prebuilt)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------------------
// The sanity check: items delivered by the sender and by the peer's batches are the same
// JSON values once `time` is set aside.

bool payloads_match() {
  auto& server = shared_server();
  constexpr std::size_t events = 4;  // 8 items, within what the server keeps in memory
  std::vector<boost::json::object> ours;
  {
    tel::transport::sender<cat::task_context> sender{sender_options(events), task_context()};
    for (std::uint64_t i = 0; i < events; ++i) sender.emit(runtime_stats(i));
    if (!sender.force_flush(30s)) {
      std::fprintf(stderr, "end_to_end_benchmark: the check's flush did not finish\n");
      return false;
    }
    ours = server.accepted(instance_key);
  }
  const auto batches = build_batches(0, events, true);
  plain_curl curl;
  if (batches.size() != 1 || !curl.post(batches.front())) {
    std::fprintf(stderr, "end_to_end_benchmark: the peer's check batch was not accepted\n");
    return false;
  }
  std::vector<boost::json::object> theirs = server.accepted(instance_key);
  if (ours.size() < 2 * events || theirs.size() < 2 * events) {
    std::fprintf(stderr, "end_to_end_benchmark: the server kept too few items to compare\n");
    return false;
  }
  ours.erase(ours.begin(), ours.end() - 2 * events);
  theirs.erase(theirs.begin(), theirs.end() - 2 * events);
  bool ok = true;
  for (std::size_t i = 0; i < 2 * events; ++i) {
    ours[i].erase("time");
    theirs[i].erase("time");
    if (ours[i] != theirs[i]) {
      std::fprintf(stderr, "end_to_end_benchmark: item %zu differs:\n  sender: %s\n  peer:   %s\n", i,
                   boost::json::serialize(ours[i]).c_str(), boost::json::serialize(theirs[i]).c_str());
      ok = false;
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------
// --ratio: run with repetitions, read the JSON output back, print medians and the ratio.

constexpr double target_ratio = 0.9;

int print_ratios(const std::string& json_path) {
  std::ifstream file(json_path);
  std::stringstream text;
  text << file.rdbuf();
  std::string content = text.str();
  for (const std::string_view token : {": -NaN", ": NaN", ": -Infinity", ": Infinity"}) {
    for (auto at = content.find(token); at != std::string::npos; at = content.find(token, at)) {
      content.replace(at, token.size(), ": null");
    }
  }
  boost::json::error_code error;
  const boost::json::value results = boost::json::parse(content, error);
  if (error || !results.is_object() || !results.as_object().contains("benchmarks")) {
    std::fprintf(stderr, "end_to_end_benchmark --ratio: cannot read %s\n", json_path.c_str());
    return 1;
  }
  struct medians {
    double real_ms = 0;
    double events_per_s = 0;
    double cpu_ns_per_event = 0;
  };
  std::map<std::string, medians> found;
  for (const auto& run : results.at("benchmarks").as_array()) {
    const auto& object = run.as_object();
    const auto* aggregate = object.if_contains("aggregate_name");
    if (aggregate == nullptr || aggregate->as_string() != "median") continue;
    const std::string_view unit = object.at("time_unit").as_string();
    const double to_ms = unit == "ns" ? 1e-6 : unit == "us" ? 1e-3 : unit == "s" ? 1e3 : 1.0;
    medians& m = found[std::string{object.at("run_name").as_string()}];
    m.real_ms = object.at("real_time").to_number<double>() * to_ms;
    m.events_per_s = object.at("events_per_s").to_number<double>();
    m.cpu_ns_per_event = object.at("process_cpu_ns_per_event").to_number<double>();
  }
  const char* names[] = {"BM_end_to_end_sender/real_time", "BM_end_to_end_libcurl/real_time",
                         "BM_end_to_end_libcurl_prebuilt/real_time"};
  for (const char* name : names) {
    if (!found.contains(name)) {
      std::fprintf(stderr, "end_to_end_benchmark --ratio: no median for %s in %s\n", name, json_path.c_str());
      return 1;
    }
  }
  std::printf("\nmedians (%zu events = %zu items per iteration, instance only, server in-process)\n",
              events_per_iteration, 2 * events_per_iteration);
  for (const char* name : names) {
    const medians& m = found[name];
    std::printf("  %-32s %9.0f events/s  wall %8.1f ms  process cpu %7.0f ns/event\n", name, m.events_per_s,
                m.real_ms, m.cpu_ns_per_event);
  }
  const medians& ours = found[names[0]];
  const double ratio = ours.events_per_s / found[names[2]].events_per_s;
  std::printf("ratio (events/s, wall)\n");
  std::printf("  sender / libcurl posting the same gzip batches, built before timing = %.3f (target >= %.2f)  %s\n",
              ratio, target_ratio, ratio >= target_ratio ? "met" : "MISSED");
  std::printf("  sender / libcurl serializing and compressing in its loop = %.3f\n",
              ours.events_per_s / found[names[1]].events_per_s);
  // Less sensitive to the machine's load than the wall time: what each peer's traffic cost
  // the process (the server's share included, which is the same work for all).
  std::printf("  process cpu per event, libcurl / sender = %.3f, prebuilt / sender = %.3f\n",
              found[names[1]].cpu_ns_per_event / ours.cpu_ns_per_event,
              found[names[2]].cpu_ns_per_event / ours.cpu_ns_per_event);
  std::printf("(JSON results kept in %s)\n", json_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> arguments(argv, argv + argc);
  bool ratio = false;
  std::string json_path = "end_to_end_benchmark.json";
  for (auto it = arguments.begin(); it != arguments.end();) {
    if (*it == "--ratio") {
      ratio = true;
      it = arguments.erase(it);
    } else if (it->starts_with("--events=")) {
      events_per_iteration = std::strtoull(it->c_str() + 9, nullptr, 10);
      if (events_per_iteration == 0) {
        std::fprintf(stderr, "end_to_end_benchmark: --events wants a positive number\n");
        return 1;
      }
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
    if (!has("--benchmark_enable_random_interleaving")) {
      arguments.emplace_back("--benchmark_enable_random_interleaving=true");
    }
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!payloads_match()) {
    std::fprintf(stderr, "end_to_end_benchmark: the peers do not post the same items; not timing\n");
    return 1;
  }

  std::vector<char*> pointers;
  for (auto& argument : arguments) pointers.push_back(argument.data());
  int count = static_cast<int>(pointers.size());
  benchmark::Initialize(&count, pointers.data());
  if (benchmark::ReportUnrecognizedArguments(count, pointers.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (any_run_failed) return 1;
  return ratio ? print_ratios(json_path) : 0;
}
