// Steady-state serialization does not touch the heap: counted through a replaced
// operator new (every allocation the library makes goes through it).
#include "test_events.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace core_test;

TEST_CASE("writing into reused buffers allocates nothing once warm") {
  const tel::full_envelope full_destination{{.instrumentation_key = "abc",
                                             .cloud_role = tel::role::agent,
                                             .role_instance = "n",
                                             .device_id = "d"}};
  const tel::central_envelope central_destination{"def", tel::role::agent};
  every_kind ev;
  ev.count = 7u;
  ev.rate = 0.25;
  ev.path = std::string(300, 'p');  // beyond the small-string buffer
  ev.tool = tool_path{"/opt/tools/radamsa"};
  ev.job_id = job_id::random();
  process_context ctx;
  ctx.region = "westeurope";
  tel::output_buffer full;
  tel::output_buffer central;
  const auto now = std::chrono::system_clock::now();

  auto write_all = [&] {
    full.clear();
    central.clear();
    tel::write_both(full, full_destination, central, central_destination, now, ev, ctx);
    tel::write_full<tel::encoding::typed>(full, full_destination, now, ev, ctx);
    tel::write_metric_central(central, central_destination, now, ev, ctx);
  };
  write_all();  // warm up: the buffers grow to their steady size

  const long before = allocations.load();
  for (int i = 0; i < 1000; ++i) write_all();
  CHECK(allocations.load() - before == 0);

  // The counter is live: a fresh buffer does allocate.
  const long fresh_before = allocations.load();
  tel::output_buffer fresh;
  tel::write_full(fresh, full_destination, now, ev, ctx);
  CHECK(allocations.load() - fresh_before >= 1);
}
