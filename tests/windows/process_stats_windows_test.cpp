// Process stats on Windows (integrations/process_stats_windows.hpp), on the test's own
// process: its name, memory that grows by a known amount, CPU time that grows while it
// spins, and the error for a process that does not exist. Built only for Windows; run
// under wine by tools/windows_test.sh.
//
// What wine cannot show: it reports PrivateUsage (the commit charge, sent as
// virtual_memory) as 0, so that value is checked only on real Windows.
#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/integrations/process_stats.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace process_stats_windows_test {

namespace integ = onefuzz::telemetry::integrations;
namespace cat = onefuzz::telemetry::catalog;
using namespace std::chrono_literals;

namespace {

bool under_wine() {
  const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

integ::process_id self() { return static_cast<integ::process_id>(::GetCurrentProcessId()); }

// This program's file name (the test executable's, "tests.windows.exe"), from its module path.
std::string own_file_name() {
  wchar_t path[MAX_PATH];
  const DWORD size = ::GetModuleFileNameW(nullptr, path, MAX_PATH);
  REQUIRE(size > 0);
  REQUIRE(size < MAX_PATH);
  return std::filesystem::path{path}.filename().string();
}

// Spins until the process has used `ticks` more CPU time (100 ns units), or 20 s passed.
void burn(std::uint64_t ticks) {
  const auto start = integ::sample_process(self());
  REQUIRE(start);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  volatile std::uint64_t x = 0;
  for (;;) {
    for (int i = 0; i < 1000000; ++i) x = x + static_cast<std::uint64_t>(i);
    const auto now = integ::sample_process(self());
    if (!now || now->cpu_ticks >= start->cpu_ticks + ticks || std::chrono::steady_clock::now() > deadline) return;
  }
}

}  // namespace

TEST_CASE("the test's own process: name, state, working set", "[windows][process_stats]") {
  const auto sample = integ::sample_process(self());
  REQUIRE(sample);
  CHECK(sample->pid == self());
  CHECK(sample->name == own_file_name());
  CHECK(sample->state == 'R');
  CHECK(integ::process_status_name(sample->state) == "Runnable");
  // A Catch2 program's working set is a few MB; far less than a GB.
  CHECK(sample->physical_memory_kb > 500);
  CHECK(sample->physical_memory_kb < 1024 * 1024);
  if (under_wine()) {
    WARN("under wine: PrivateUsage (virtual_memory_kb) reads " << sample->virtual_memory_kb
                                                               << "; checked only on Windows");
  } else {
    CHECK(sample->virtual_memory_kb > 500);
  }
}

TEST_CASE("64 MB touched show in the working set", "[windows][process_stats]") {
  const auto before = integ::sample_process(self());
  REQUIRE(before);
  std::vector<char> block(64u << 20);
  volatile char* bytes = block.data();
  for (std::size_t at = 0; at < block.size(); at += 4096) bytes[at] = 1;
  const auto after = integ::sample_process(self());
  REQUIRE(after);
  // At least 48 of the 64 MB: the rest may be trimmed or already counted.
  CHECK(after->physical_memory_kb >= before->physical_memory_kb + 48 * 1024);
  if (!under_wine()) CHECK(after->virtual_memory_kb >= before->virtual_memory_kb + 48 * 1024);
}

TEST_CASE("CPU time grows while the process spins, in 100 ns units", "[windows][process_stats]") {
  const auto outer_start = std::chrono::steady_clock::now();
  const auto first = integ::sample_process(self());
  REQUIRE(first);
  burn(2'000'000);  // 200 ms of CPU
  const auto second = integ::sample_process(self());
  const std::chrono::duration<double> outer = std::chrono::steady_clock::now() - outer_start;
  REQUIRE(second);
  CHECK(second->cpu_ticks >= first->cpu_ticks + 2'000'000);
  const float cpu = integ::cpu_usage_percent(*first, *second);
  // At least 0.2 s of CPU within the wall time measured around both samples (a busy machine
  // gives the spinning thread less than a whole CPU); never more than every CPU.
  CHECK(cpu >= static_cast<float>(100.0 * 0.2 / outer.count() * 0.99));
  CHECK(cpu < 100.0F * static_cast<float>(std::thread::hardware_concurrency()) + 10.0F);
  CHECK(integ::cpu_usage_percent(*second, *first) == 0.0F);
}

TEST_CASE("process_monitor: a baseline, then stats", "[windows][process_stats]") {
  integ::process_monitor monitor{self()};
  CHECK(monitor.pid() == self());
  const auto run = cat::run_id::parse("0f8fad5b-d9cb-469f-a165-70867728950e").value();
  CHECK_FALSE(monitor.next(3, run));
  burn(500'000);
  const auto stats = monitor.next(3, run);
  REQUIRE(stats);
  CHECK(*stats->worker_id == 3u);
  CHECK(*stats->pid == static_cast<std::uint32_t>(self()));
  CHECK(*stats->name == own_file_name());
  CHECK(*stats->process_status == "Runnable");
  CHECK(*stats->physical_memory > 500u);
  CHECK(*stats->cpu_usage > 0.0F);
}

TEST_CASE("a process that does not exist: the call and the Windows error are named", "[windows][process_stats]") {
  // Process ids are multiples of 4; this one is never handed out.
  const auto sample = integ::sample_process(0xFFFFFFF1u);
  REQUIRE_FALSE(sample);
  CHECK_THAT(sample.error().message, Catch::Contains("OpenProcess") && Catch::Contains("4294967281") &&
                                         Catch::Contains("Windows error"));
}

}  // namespace process_stats_windows_test
