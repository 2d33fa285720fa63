// Times sender::emit() of a libFuzzer runtime_stats event while the sender's worker thread
// drains the queue, against a std::mutex + std::deque queue whose consumer thread does the
// same serialization, counting heap allocations on the emitting thread only.
//
//   emit_benchmark            Google Benchmark as usual (all its flags work)
//   emit_benchmark --ratio    10 interleaved repetitions, then the medians and the ratios
//   emit_benchmark --no-pin   without pinning the emitting thread alone on CPU 0 (see pin_threads)
//
// How a measurement goes, for both peers: events are emitted in timed bursts of
// `burst_size`. The consumer is woken during the burst (ours when a quarter of the queue
// is filled, the deque's on the first push) and drains concurrently with the rest of it.
// After each burst the timer is paused and the emitting thread waits until the consumer
// has processed everything (ours: force_flush, which also posts to a loopback endpoint;
// the deque: a wait on the consumer's count), so every burst starts with an idle, empty
// queue and the consumer keeps up over the run. Posting never overlaps a timed burst:
// batches are large enough to be sealed only by the flush.

// Allocation counting: every operator new in this program goes through counting_new.hpp's,
// which counts per thread; only the emitting thread's count is read, and only across the
// timed bursts (burst_scope), so the consumers' allocations and the flushes' are not
// charged to emit().
#include "counting_new.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sched.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
using namespace std::chrono_literals;

namespace {

// What the emitting thread did during the timed bursts.
struct burst_tally {
  std::uint64_t allocations = 0;
  // Context switches: involuntary ones (preempted) explain a wall time above the CPU
  // time; voluntary ones are sleeps (on a mutex, say).
  std::uint64_t involuntary_switches = 0;
  std::uint64_t voluntary_switches = 0;
};

// Adds this thread's allocations and context switches while alive to a tally.
class burst_scope {
 public:
  explicit burst_scope(burst_tally& tally)
      : tally_(tally),
        allocations_before_(counting_new::allocations_on_this_thread()),
        usage_before_(usage()) {}
  burst_scope(const burst_scope&) = delete;
  burst_scope& operator=(const burst_scope&) = delete;
  ~burst_scope() {
    tally_.allocations += counting_new::allocations_on_this_thread() - allocations_before_;
    const rusage after = usage();
    tally_.involuntary_switches += static_cast<std::uint64_t>(after.ru_nivcsw - usage_before_.ru_nivcsw);
    tally_.voluntary_switches += static_cast<std::uint64_t>(after.ru_nvcsw - usage_before_.ru_nvcsw);
  }

 private:
  static rusage usage() {
    rusage now{};
    getrusage(RUSAGE_THREAD, &now);
    return now;
  }
  burst_tally& tally_;
  std::uint64_t allocations_before_;
  rusage usage_before_;
};

// ---------------------------------------------------------------------------------------
// The setting: a task's context, both destinations, libFuzzer's runtime_stats (count and
// execs_sec, as sent since PR #786; it has a metric twin, so one event is two items per
// destination).

constexpr std::string_view instance_key = "11111111-2222-4333-8444-555555555555";
constexpr std::string_view central_key = "99999999-8888-4777-8666-555555555555";

// Events per timed burst; the queue holds exactly one burst, and our worker is woken at a
// quarter of it (the sender's wake threshold), so three quarters of every burst are
// emitted while the worker drains.
constexpr std::size_t burst_size = 4096;

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

// The event of the i-th emit: the numbers change as a live fuzzer's would.
cat::libfuzzer_runtime_stats runtime_stats(std::uint64_t i) {
  cat::libfuzzer_runtime_stats ev;
  ev.count = 1847263519u + i;
  ev.execs_sec = 2666.67 + static_cast<double>(i & 1023u);
  return ev;
}

// A loopback HTTP endpoint that accepts every POST at once: it reads the body, counts its
// NDJSON lines and answers 200 with the service's success body. Posting happens only in
// the untimed flushes, so this only shortens them: the full ingestion server validates
// each item as JSON, which made every flush of a burst cost hundreds of milliseconds
// (end_to_end_benchmark measures the sender against that server).
class accepting_server {
 public:
  accepting_server() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("emit_benchmark: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  accepting_server(const accepting_server&) = delete;
  accepting_server& operator=(const accepting_server&) = delete;
  ~accepting_server() {
    ::shutdown(listener_, SHUT_RDWR);  // accept() returns
    acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(mutex_);
    for (const int fd : connections_) ::shutdown(fd, SHUT_RDWR);  // recv() returns
    for (auto& thread : threads_) thread.join();
    for (const int fd : connections_) ::close(fd);
  }

  std::string connection_string(std::string_view ikey) const {
    char text[160];
    std::snprintf(text, sizeof text, "InstrumentationKey=%.*s;IngestionEndpoint=http://127.0.0.1:%u/",
                  static_cast<int>(ikey.size()), ikey.data(), static_cast<unsigned>(port_));
    return text;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // One request after another on a kept-alive connection, until the peer closes. Bodies
  // are counted as they arrive and not kept.
  void serve(int fd) {
    std::string head;
    char chunk[1 << 16];
    for (;;) {
      std::size_t header_end = 0;
      while ((header_end = head.find("\r\n\r\n")) == std::string::npos) {
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        head.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t length = 0;
      for (std::size_t line = 0; line < header_end;) {
        const std::size_t next = head.find("\r\n", line);
        constexpr std::string_view name = "content-length:";
        if (next - line > name.size() && strncasecmp(head.data() + line, name.data(), name.size()) == 0) {
          length = std::strtoull(head.data() + line + name.size(), nullptr, 10);
        }
        line = next + 2;
      }
      // What arrived after the header belongs to the body (a client sends one request at
      // a time, so nothing of the next one is here yet).
      std::size_t received = std::min(length, head.size() - (header_end + 4));
      std::size_t items = length == 0 ? 0 : 1;
      auto count_lines = [&](const char* data, std::size_t n) {
        items += static_cast<std::size_t>(std::count(data, data + n, '\n'));
      };
      count_lines(head.data() + header_end + 4, received);
      head.erase(0, header_end + 4 + received);
      while (received < length) {
        const auto n = ::recv(fd, chunk, std::min(sizeof chunk, length - received), 0);
        if (n <= 0) return;
        count_lines(chunk, static_cast<std::size_t>(n));
        received += static_cast<std::size_t>(n);
      }
      char answer_body[96];
      const int answer_size = std::snprintf(answer_body, sizeof answer_body,
                                            R"({"itemsReceived":%zu,"itemsAccepted":%zu,"errors":[]})", items, items);
      char answer[256];
      const int size = std::snprintf(answer, sizeof answer,
                                     "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                                     "Content-Length: %d\r\n\r\n%s",
                                     answer_size, answer_body);
      for (int sent = 0; sent < size;) {
        const auto n = ::send(fd, answer + sent, static_cast<std::size_t>(size - sent), MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<int>(n);
      }
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  // Every connection and its thread, kept until the end (a run opens a few dozen).
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
};

// One endpoint for the whole program, started before any timing.
accepting_server& shared_server() {
  static accepting_server server;
  return server;
}

tel::transport::sender_options emit_options() {
  auto& server = shared_server();
  tel::transport::sender_options options;
  options.destinations.instance = server.connection_string(instance_key);
  options.destinations.central = server.connection_string(central_key);
  options.getenv = &no_environment;
  options.role_instance = "onefuzz-node-0007";
  options.device_id = "onefuzz-node-0007";
  options.queue_capacity = burst_size;
  // Batches are sealed by the flush between bursts only, so no post overlaps a burst.
  options.batching = {.max_items = std::size_t{1} << 20,
                      .max_bytes = std::size_t{256} << 20,
                      .max_delay = std::chrono::minutes{10}};
  // Only the untimed flushes compress; without gzip they are shorter.
  options.instance.gzip = false;
  options.central.gzip = false;
  return options;
}

using stats_sender = tel::transport::sender<cat::task_context>;

// ---------------------------------------------------------------------------------------
// The peer: the textbook queue, a std::deque of the same stamped events under a std::mutex
// with a condition variable, and a consumer thread that does our worker's serialization
// (full and central envelopes in one pass, then both metric twins, NDJSON-separated into
// two buffers). Producers stamp the time and move the event in, as emit() does; they
// notify on every push (pthread_cond_signal returns without a system call when nobody
// waits). The consumer either pops one event per lock (pop_one) or takes the whole deque
// at once by swapping it with its own (swap_all), the two usual ways of draining one.

enum class drain { pop_one, swap_all };

class mutex_deque_queue {
 public:
  struct stamped {
    tel::timestamp time;
    cat::libfuzzer_runtime_stats event;
  };

  mutex_deque_queue(drain mode, cat::task_context context)
      : mode_(mode),
        context_(std::move(context)),
        full_envelope_(tel::envelope_options{.instrumentation_key = std::string{instance_key},
                                             .cloud_role = tel::role::agent,
                                             .role_instance = "onefuzz-node-0007",
                                             .device_id = "onefuzz-node-0007"}),
        central_envelope_(central_key, tel::role::agent),
        full_(1u << 20),
        central_(1u << 20),
        consumer_([this] { consume(); }) {}

  mutex_deque_queue(const mutex_deque_queue&) = delete;
  mutex_deque_queue& operator=(const mutex_deque_queue&) = delete;

  ~mutex_deque_queue() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_one();
    consumer_.join();
  }

  void push(cat::libfuzzer_runtime_stats&& event) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(stamped{std::chrono::system_clock::now(), std::move(event)});
      ++pushed_;
    }
    ready_.notify_one();
  }

  // Events the consumer has finished so far.
  std::uint64_t processed() {
    std::lock_guard lock(mutex_);
    return processed_;
  }

  // Waits until the consumer has processed every pushed event, then empties its buffers
  // (what a flush does with the batches).
  void flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return processed_ == pushed_; });
    full_.clear();
    central_.clear();
    full_items_ = 0;
    central_items_ = 0;
  }

 private:
  void consume() {
    std::deque<stamped> taken;
    for (;;) {
      std::unique_lock lock(mutex_);
      if (processed_ == pushed_) idle_.notify_all();
      ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      if (mode_ == drain::pop_one) {
        stamped entry = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        serialize(entry);
        lock.lock();
        ++processed_;
      } else {
        taken.swap(queue_);
        lock.unlock();
        for (const stamped& entry : taken) serialize(entry);
        const std::size_t count = taken.size();
        taken.clear();
        lock.lock();
        processed_ += count;
      }
    }
  }

  static void begin_item(tel::output_buffer& out, std::size_t& items) {
    if (items++ != 0) out.push_back('\n');
  }

  void serialize(const stamped& entry) {
    begin_item(full_, full_items_);
    begin_item(central_, central_items_);
    const auto reports = tel::write_both(full_, full_envelope_, central_, central_envelope_, entry.time,
                                         entry.event, context_);
    benchmark::DoNotOptimize(reports);
    begin_item(full_, full_items_);
    benchmark::DoNotOptimize(tel::write_metric_full(full_, full_envelope_, entry.time, entry.event, context_));
    begin_item(central_, central_items_);
    benchmark::DoNotOptimize(
        tel::write_metric_central(central_, central_envelope_, entry.time, entry.event, context_));
  }

  const drain mode_;
  const cat::task_context context_;
  const tel::full_envelope full_envelope_;
  const tel::central_envelope central_envelope_;
  tel::output_buffer full_;  // consumer only, except in flush() while the consumer is idle
  tel::output_buffer central_;
  std::size_t full_items_ = 0;
  std::size_t central_items_ = 0;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<stamped> queue_;
  std::uint64_t pushed_ = 0;
  std::uint64_t processed_ = 0;
  bool stop_ = false;
  std::thread consumer_;
};

// ---------------------------------------------------------------------------------------
// The emitting thread alone on CPU 0, every other thread of the process (consumer, posting
// threads, the endpoint) on the other CPUs; --no-pin leaves placement to the scheduler.
// Measuring emit() "while the consumer drains" needs the consumer to run at the same time:
// on a machine with fewer free cores than runnable threads, an unpinned consumer woken
// during a burst is often placed on the emitting thread's CPU, and then either waits for
// the burst to end (the deque's consumer did: it drained nothing and its mutex was never
// contended) or preempts the emitting thread for a scheduler slice (our worker did: wall
// time far above CPU time, preempted_per_burst near 1). Neither is emit()'s own cost.
bool pin_threads = true;

void pin_other_threads_away() {
  if (!pin_threads) return;
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t mine;
  cpu_set_t others;
  CPU_ZERO(&mine);
  CPU_ZERO(&others);
  CPU_SET(0, &mine);
  for (long cpu = 1; cpu < cpus; ++cpu) CPU_SET(static_cast<int>(cpu), &others);
  if (cpus < 2) return;
  const pid_t self = ::gettid();
  ::sched_setaffinity(self, sizeof mine, &mine);
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(tasks)) {
      const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (tid > 0 && tid != self) ::sched_setaffinity(tid, sizeof others, &others);
    }
    ::closedir(tasks);
  }
}

// ---------------------------------------------------------------------------------------
// The benchmarks.

// Google Benchmark reports a skipped run but still exits 0; the smoke tests rely on the
// exit status, so a run that fails its checks is remembered here and main returns 1.
bool any_run_failed = false;

void fail(benchmark::State& state, const char* message) {
  any_run_failed = true;
  state.SkipWithError(message);
}

void report(benchmark::State& state, const burst_tally& tally) {
  const auto emits = static_cast<double>(state.iterations());
  state.counters["allocs_per_emit"] = static_cast<double>(tally.allocations) / emits;
  state.counters["preempted_per_burst"] =
      static_cast<double>(tally.involuntary_switches) * burst_size / emits;
  state.counters["slept_per_burst"] = static_cast<double>(tally.voluntary_switches) * burst_size / emits;
}

void BM_emit_sender(benchmark::State& state) {
  stats_sender sender{emit_options(), task_context()};
  std::uint64_t next = 0;
  // One untimed burst first: the batch buffers grow and the connections open.
  for (std::size_t i = 0; i < burst_size; ++i) sender.emit(runtime_stats(next++));
  if (!sender.force_flush(60s)) {
    fail(state, "emit_benchmark: the warm-up flush did not finish");
    return;
  }
  pin_other_threads_away();  // after the warm-up, so the connections' threads exist
  burst_tally tally;
  std::uint64_t refused = 0;
  bool flushed = true;
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(burst_size))) {
    {
      burst_scope scope{tally};
      for (std::size_t i = 0; i < burst_size; ++i) {
        refused += sender.emit(runtime_stats(next++)) ? 0u : 1u;
      }
    }
    state.PauseTiming();
    flushed = sender.force_flush(60s) && flushed;
    state.ResumeTiming();
  }
  // The consumer kept up: nothing was refused, and everything reached the server.
  const auto instance = sender.instance_statistics();
  const auto central = sender.central_statistics();
  if (refused != 0 || !flushed || instance.dropped_total() != 0 || instance.accepted != instance.emitted ||
      !central || central->accepted != central->emitted) {
    fail(state, "emit_benchmark: events were refused or not delivered; the consumer did not keep up");
    return;
  }
  report(state, tally);
}

void run_deque_benchmark(benchmark::State& state, drain mode) {
  mutex_deque_queue queue{mode, task_context()};
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < burst_size; ++i) queue.push(runtime_stats(next++));
  queue.flush();
  pin_other_threads_away();
  burst_tally tally;
  std::uint64_t drained_during_bursts = 0;
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(burst_size))) {
    {
      burst_scope scope{tally};
      for (std::size_t i = 0; i < burst_size; ++i) queue.push(runtime_stats(next++));
    }
    state.PauseTiming();
    drained_during_bursts += queue.processed() - (next - burst_size);  // empty at the start
    queue.flush();
    state.ResumeTiming();
  }
  report(state, tally);
  // How many events of a burst the consumer had finished by its end: it ran concurrently.
  state.counters["drained_per_burst"] =
      static_cast<double>(drained_during_bursts) * burst_size / static_cast<double>(state.iterations());
}

void BM_emit_mutex_deque_pop_one(benchmark::State& state) { run_deque_benchmark(state, drain::pop_one); }
void BM_emit_mutex_deque_swap_all(benchmark::State& state) { run_deque_benchmark(state, drain::swap_all); }

BENCHMARK(BM_emit_sender);
BENCHMARK(BM_emit_mutex_deque_pop_one);
BENCHMARK(BM_emit_mutex_deque_swap_all);

// ---------------------------------------------------------------------------------------
// --ratio: run with repetitions, read the JSON output back, print medians and ratios.

constexpr double target_emit_ns = 45.0;
constexpr double target_speedup = 3.0;

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
    std::fprintf(stderr, "emit_benchmark --ratio: cannot read %s\n", json_path.c_str());
    return 1;
  }
  struct medians {
    double cpu_ns = 0;
    double real_ns = 0;
    double allocations = -1;
    double preempted = 0;
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
    if (const auto* allocations = object.if_contains("allocs_per_emit")) {
      m.allocations = allocations->to_number<double>();
    }
    if (const auto* preempted = object.if_contains("preempted_per_burst")) {
      m.preempted = preempted->to_number<double>();
    }
  }
  const char* names[] = {"BM_emit_sender", "BM_emit_mutex_deque_pop_one", "BM_emit_mutex_deque_swap_all"};
  for (const char* name : names) {
    if (!found.contains(name)) {
      std::fprintf(stderr, "emit_benchmark --ratio: no median for %s in %s\n", name, json_path.c_str());
      return 1;
    }
  }
  std::printf("\nmedians per emit (libfuzzer_runtime_stats, instance + central, consumer draining%s)\n",
              pin_threads ? ", emitting thread pinned alone" : ", --no-pin");
  for (const char* name : names) {
    const medians& m = found[name];
    std::printf("  %-30s real %7.1f ns  cpu %7.1f ns  %6.3f allocs/emit  %5.2f preempted/burst\n", name,
                m.real_ns, m.cpu_ns, m.allocations, m.preempted);
  }
  // Wall time is the basis: it is the caller's latency, and a producer that sleeps on the
  // deque's mutex spends wall time, not CPU time. CPU time is printed for a loaded machine.
  const medians& ours = found[names[0]];
  std::printf("targets\n");
  std::printf("  ours real %.1f ns per emit (target <= %.0f ns)  %s\n", ours.real_ns, target_emit_ns,
              ours.real_ns <= target_emit_ns ? "met" : "MISSED");
  for (const char* peer : {names[1], names[2]}) {
    const medians& m = found[peer];
    const double speedup = m.real_ns / ours.real_ns;
    std::printf("  %s / ours = %.2fx real, %.2fx cpu (target >= %.0fx real)  %s\n", peer, speedup,
                m.cpu_ns / ours.cpu_ns, target_speedup, speedup >= target_speedup ? "met" : "MISSED");
  }
  std::printf("  ours allocations per emit = %.3f (target 0)  %s\n", ours.allocations,
              ours.allocations == 0 ? "met" : "MISSED");
  std::printf("(JSON results kept in %s)\n", json_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> arguments(argv, argv + argc);
  bool ratio = false;
  std::string json_path = "emit_benchmark.json";
  for (auto it = arguments.begin(); it != arguments.end();) {
    if (*it == "--ratio") {
      ratio = true;
      it = arguments.erase(it);
    } else if (*it == "--no-pin") {
      pin_threads = false;
      it = arguments.erase(it);
    } else {
      if (it->starts_with("--benchmark_out=")) json_path = it->substr(16);
      ++it;
    }
  }
  auto has = [&](std::string_view flag) {
    for (const auto& argument : arguments) {
      if (argument.starts_with(flag)) return true;
    }
    return false;
  };
  // A burst's timed part is a small share of its flush, so a short minimum time keeps a
  // run to a few seconds; precision comes from repetitions, not from longer runs.
  if (!has("--benchmark_min_time")) arguments.emplace_back("--benchmark_min_time=0.02");
  if (ratio) {
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

  shared_server();  // bound and serving before the first benchmark starts

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
