// Process stats from /proc: the test's own process (sane ranges) and a child whose memory
// and CPU use are known, plus the parsing of stat lines whose command name has spaces and
// parentheses (from a fake /proc tree).
#include "test_support.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/integrations/process_stats.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace process_stats_test {

namespace cat = onefuzz::telemetry::catalog;
namespace integ = onefuzz::telemetry::integrations;
using namespace std::chrono_literals;

namespace {

// Burns CPU on the calling thread until `ticks` clock ticks of CPU were used by the process.
void burn_until_ticks(pid_t pid, std::uint64_t ticks) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  volatile std::uint64_t x = 0;
  for (;;) {
    for (int i = 0; i < 1000000; ++i) x = x + static_cast<std::uint64_t>(i);
    const auto sample = integ::sample_process(pid);
    if (!sample || sample->cpu_ticks >= ticks || std::chrono::steady_clock::now() > deadline) return;
  }
}

// Maps `megabytes` of fresh memory and writes to every page, so that all of it is resident:
// a mapping the compiler cannot see through (malloc and memset of a block nobody reads are
// removed at -O1 and above), MAP_POPULATE to fault it in at once, and one write per page
// through a volatile pointer, which no optimizer or sanitizer runtime may drop. The pages
// are never unmapped: they stay resident until the child is killed.
bool map_resident(std::size_t megabytes) {
  const std::size_t size = megabytes << 20;
  void* mapping = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mapping == MAP_FAILED) return false;
  volatile char* const bytes = static_cast<char*>(mapping);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (std::size_t at = 0; at < size; at += page) bytes[at] = 1;
  return true;
}

// A child that maps and touches `megabytes`, tells the parent, then spins on the CPU until
// killed.
struct busy_child {
  pid_t pid = -1;
  explicit busy_child(std::size_t megabytes) {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ready[0]);
      if (!map_resident(megabytes)) ::_exit(2);
      const char byte = 1;
      if (::write(ready[1], &byte, 1) != 1) ::_exit(3);
      volatile std::uint64_t x = 0;
      for (;;) x = x + 1;
    }
    ::close(ready[1]);
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
  }
  ~busy_child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// The name the kernel gives this program's processes (comm): its file name's first 15
// characters, read here from the executable's path rather than from /proc/<pid>/stat.
std::string own_comm() {
  return std::filesystem::read_symlink("/proc/self/exe").filename().string().substr(0, 15);
}

}  // namespace

TEST_CASE("the test's own process: memory in KB and CPU in percent, within sane ranges") {
  const pid_t self = ::getpid();
  const auto first = integ::sample_process(self);
  REQUIRE(first);
  CHECK(first->pid == self);
  CHECK(first->name == own_comm());
  CHECK(first->state == 'R');                       // it is running: it is reading its own stat
  CHECK(first->physical_memory_kb > 1000);          // > 1 MB resident: a C++ test binary
  CHECK(first->physical_memory_kb < 4 * 1024 * 1024);
  CHECK(first->virtual_memory_kb >= first->physical_memory_kb);

  // Use a known amount of CPU (0.2 s = 20 ticks at the usual 100 Hz) and measure it.
  const long hz = ::sysconf(_SC_CLK_TCK);
  burn_until_ticks(self, first->cpu_ticks + static_cast<std::uint64_t>(hz / 5));
  const auto second = integ::sample_process(self);
  REQUIRE(second);
  CHECK(second->cpu_ticks >= first->cpu_ticks + static_cast<std::uint64_t>(hz / 5));
  const float cpu = integ::cpu_usage_percent(*first, *second);
  // One busy thread: at most a little over 100 %, and well above 0 even on a loaded machine.
  CHECK(cpu > 5.0F);
  CHECK(cpu < 150.0F);
  CHECK(integ::cpu_usage_percent(*second, *first) == 0.0F);  // out of order: no nonsense
  CHECK(integ::cpu_usage_percent(*first, *first) == 0.0F);   // no time passed
}

TEST_CASE("a child: its resident memory and its CPU use are seen, and its exit is an error") {
  busy_child child{64};
  integ::process_monitor monitor{child.pid};
  const auto run = cat::run_id::random();
  const auto baseline = monitor.next(2, run);
  REQUIRE_FALSE(baseline);  // the first sample is the baseline
  CHECK_THAT(baseline.error().message, Catch::Contains("second"));

  // Wait until the child has used 0.3 s of CPU since now (it spins on one core).
  const auto start = integ::sample_process(child.pid);
  REQUIRE(start);
  const long hz = ::sysconf(_SC_CLK_TCK);
  const auto target = start->cpu_ticks + static_cast<std::uint64_t>(3 * hz / 10);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto now = integ::sample_process(child.pid);
    REQUIRE(now);
    if (now->cpu_ticks >= target) break;
    std::this_thread::sleep_for(10ms);  // polling the child's counter, bounded by the deadline
  }
  const auto stats = monitor.next(2, run);
  REQUIRE(stats);
  CHECK(*stats->worker_id == 2u);
  CHECK(*stats->run_id == run);
  CHECK(*stats->pid == static_cast<std::uint32_t>(child.pid));
  CHECK(*stats->name == own_comm());  // a fork keeps the parent's comm
  CHECK(*stats->process_status == "Runnable");
  CHECK(*stats->physical_memory >= 60u * 1024u);  // the 64 MB it touched, in KB
  CHECK(*stats->virtual_memory >= *stats->physical_memory);
  CHECK(*stats->cpu_usage > 5.0F);
  CHECK(*stats->cpu_usage < 150.0F);

  ::kill(child.pid, SIGKILL);
  ::waitpid(child.pid, nullptr, 0);
  const pid_t gone = child.pid;
  child.pid = -1;
  const auto after = integ::sample_process(gone);
  REQUIRE_FALSE(after);
  CHECK_THAT(after.error().message, Catch::Contains("No such file"));
}

TEST_CASE("a zombie has no memory lines: 0 KB, and its status is Zombie") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  // Until waited for, the child stays a zombie; wait for the state to show, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto sample = integ::sample_process(child);
  while (sample && sample->state != 'Z' && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    sample = integ::sample_process(child);
  }
  REQUIRE(sample);
  CHECK(sample->state == 'Z');
  CHECK(integ::process_status_name(sample->state) == "Zombie");
  CHECK(sample->virtual_memory_kb == 0);
  CHECK(sample->physical_memory_kb == 0);
  ::waitpid(child, nullptr, 0);
}

TEST_CASE("stat lines are read after the last ')' so odd command names parse") {
  integrations_test::temp_dir proc;
  std::filesystem::create_directories(proc / "4242");
  // comm "a) (b c" with spaces and parentheses; utime 1234, stime 766.
  integrations_test::write_file(proc / "4242" / "stat",
                                "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 766 0 0 20 0 1 0 "
                                "100 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
  integrations_test::write_file(proc / "4242" / "status",
                                "Name:\ta) (b c\nState:\tS (sleeping)\nVmPeak:\t  20000 kB\nVmSize:\t   12345 kB\n"
                                "VmRSS:\t    6789 kB\nThreads:\t1\n");
  const auto sample = integ::sample_process(4242, proc.path());
  REQUIRE(sample);
  CHECK(sample->name == "a) (b c");
  CHECK(sample->state == 'S');
  CHECK(sample->cpu_ticks == 2000);
  CHECK(sample->virtual_memory_kb == 12345);
  CHECK(sample->physical_memory_kb == 6789);

  integrations_test::write_file(proc / "4242" / "stat", "4242 (truncated");
  CHECK_FALSE(integ::sample_process(4242, proc.path()));
  integrations_test::write_file(proc / "4242" / "stat", "4242 (x) S 1 2");
  const auto short_line = integ::sample_process(4242, proc.path());
  REQUIRE_FALSE(short_line);
  CHECK_THAT(short_line.error().message, Catch::Contains("expected format"));
}

TEST_CASE("CPU percent is ticks over wall time, and can exceed 100 for several cores") {
  integ::process_sample a;
  integ::process_sample b;
  a.taken_at = std::chrono::steady_clock::time_point{} + 10s;
  b.taken_at = a.taken_at + 2s;
  a.cpu_ticks = 1000;
  b.cpu_ticks = 1400;  // 400 ticks at 100 Hz = 4 s of CPU in 2 s: two busy cores
  CHECK(integ::cpu_usage_percent(a, b, 100) == Approx(200.0F));
  b.cpu_ticks = 1100;
  CHECK(integ::cpu_usage_percent(a, b, 100) == Approx(50.0F));
  CHECK(integ::cpu_usage_percent(a, b, 0) == 0.0F);
  CHECK(integ::process_status_name('?') == "Unknown");
  CHECK(integ::process_status_name('D') == "UninterruptibleDiskSleep");
}

}  // namespace process_stats_test
