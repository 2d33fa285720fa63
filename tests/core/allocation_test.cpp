// Steady-state serialization does not touch the heap: counted through a replaced
// operator new (every allocation the library makes goes through it; counting_new.hpp
// counts per thread, and serialization runs on the calling thread).
#include "counting_new.hpp"
#include "test_events.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

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

  const std::uint64_t before = counting_new::allocations_on_this_thread();
  for (int i = 0; i < 1000; ++i) write_all();
  CHECK(counting_new::allocations_on_this_thread() - before == 0u);

  // The counter is live: a fresh buffer does allocate.
  const std::uint64_t fresh_before = counting_new::allocations_on_this_thread();
  tel::output_buffer fresh;
  tel::write_full(fresh, full_destination, now, ev, ctx);
  CHECK(counting_new::allocations_on_this_thread() - fresh_before >= 1u);
}
