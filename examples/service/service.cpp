// onefuzz-service-example: the service side. A job, its tasks, a pool, a scaleset and its
// nodes are walked through OneFuzz's state machines (the states of docs/catalog.md, "Enums"), and
// every change is sent as a <object>_state_changed event with the service's context. A
// transition the state machine does not allow is a bug and stops the example.
//
//   onefuzz-service-example [--local] [--wait SECONDS]
//
// --wait: how long to wait at exit for every event to be delivered (default 10 s). When
// that wait runs out the destination is failing, so shutdown does not wait again.
#include "example_report.hpp"

#include <onefuzz/telemetry/catalog.hpp>
#include <onefuzz/telemetry/catalog/reviews.hpp>  // the catalog's pins, which strict mode requires
#include <onefuzz/telemetry/testing/ingestion_server.hpp>
#include <onefuzz/telemetry/transport/sender.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
using namespace std::chrono_literals;

namespace {

// A state and the transitions allowed from each state; transition() refuses others, so
// the example can only send sequences the real service could produce.
template <class State>
class state_machine {
 public:
  state_machine(State initial, std::multimap<State, State> allowed) : state_(initial), allowed_(std::move(allowed)) {}

  void transition(State next) {
    const auto [first, last] = allowed_.equal_range(state_);
    if (std::none_of(first, last, [&](const auto& edge) { return edge.second == next; })) {
      throw std::logic_error("state_machine: " + std::string{tel::wire_name(state_)} + " -> " +
                             std::string{tel::wire_name(next)} + " is not a transition of this object");
    }
    state_ = next;
  }
  [[nodiscard]] State state() const noexcept { return state_; }

 private:
  State state_;
  std::multimap<State, State> allowed_;
};

// The transitions of each OneFuzz object (the Python service's state handling).
std::multimap<cat::job_state, cat::job_state> job_transitions() {
  using s = cat::job_state;
  return {{s::init, s::enabled}, {s::enabled, s::stopping}, {s::init, s::stopping}, {s::stopping, s::stopped}};
}
std::multimap<cat::task_state, cat::task_state> task_transitions() {
  using s = cat::task_state;
  return {{s::init, s::waiting},        {s::init, s::wait_job},      {s::wait_job, s::waiting},
          {s::waiting, s::scheduled},   {s::scheduled, s::setting_up}, {s::setting_up, s::running},
          {s::running, s::stopping},    {s::waiting, s::stopping},   {s::stopping, s::stopped}};
}
std::multimap<cat::pool_state, cat::pool_state> pool_transitions() {
  using s = cat::pool_state;
  return {{s::init, s::running}, {s::running, s::shutdown}, {s::shutdown, s::halt}, {s::running, s::halt}};
}
std::multimap<cat::scaleset_state, cat::scaleset_state> scaleset_transitions() {
  using s = cat::scaleset_state;
  return {{s::init, s::setup},        {s::setup, s::running},     {s::setup, s::creation_failed},
          {s::running, s::resize},    {s::resize, s::running},    {s::running, s::shutdown},
          {s::shutdown, s::halt},     {s::creation_failed, s::halt}};
}
std::multimap<cat::node_state, cat::node_state> node_transitions() {
  using s = cat::node_state;
  return {{s::init, s::free},        {s::free, s::setting_up},   {s::setting_up, s::ready},
          {s::ready, s::busy},       {s::busy, s::done},         {s::done, s::shutdown},
          {s::free, s::rebooting},   {s::rebooting, s::free},    {s::shutdown, s::halt},
          {s::done, s::free}};
}
std::multimap<cat::node_task_state, cat::node_task_state> node_task_transitions() {
  using s = cat::node_task_state;
  return {{s::init, s::setting_up}, {s::setting_up, s::running}};
}

// The service: objects with their state machines, each change sent at once.
template <class Sender>
class service {
 public:
  explicit service(Sender& sender) : sender_(sender) {}

  struct job {
    cat::job_id id = cat::job_id::random();
    state_machine<cat::job_state> state{cat::job_state::init, job_transitions()};
  };
  struct task {
    cat::job_id job;
    cat::task_id id = cat::task_id::random();
    cat::task_type type;
    std::optional<std::uint64_t> vm_count;
    state_machine<cat::task_state> state{cat::task_state::init, task_transitions()};
  };
  struct pool {
    cat::pool_id id = cat::pool_id::random();
    state_machine<cat::pool_state> state{cat::pool_state::init, pool_transitions()};
  };
  struct scaleset {
    cat::scaleset_id id = cat::scaleset_id::random();
    std::string sku;
    std::uint64_t size = 0;
    state_machine<cat::scaleset_state> state{cat::scaleset_state::init, scaleset_transitions()};
  };
  struct node {
    cat::machine_id id = cat::machine_id::random();
    std::optional<cat::scaleset_id> scaleset;
    state_machine<cat::node_state> state{cat::node_state::init, node_transitions()};
  };

  void set(job& j, cat::job_state to) {
    j.state.transition(to);
    cat::job_state_changed e;
    e.job_id = j.id;
    e.state = to;
    emit(e);
  }
  void set(task& t, cat::task_state to) {
    t.state.transition(to);
    cat::task_state_changed e;
    e.job_id = t.job;
    e.task_id = t.id;
    e.task_type = t.type;
    e.state = to;
    e.vm_count = t.vm_count;
    emit(e);
  }
  void set(pool& p, cat::pool_state to) {
    p.state.transition(to);
    cat::pool_state_changed e;
    e.pool_id = p.id;
    e.os = cat::os::linux_os;
    e.state = to;
    e.managed = true;
    emit(e);
  }
  void set(scaleset& s, cat::scaleset_state to) {
    s.state.transition(to);
    cat::scaleset_state_changed e;
    e.scaleset_id = s.id;
    e.os = cat::os::linux_os;
    e.vm_sku = cat::vm_sku{s.sku};
    e.size = s.size;
    e.spot_instances = false;
    e.state = to;
    emit(e);
  }
  void set(node& n, cat::node_state to) {
    n.state.transition(to);
    cat::node_state_changed e;
    e.machine_id = n.id;
    e.scaleset_id = n.scaleset;
    e.state = to;
    emit(e);
  }
  // A task's state on one node: a machine of its own, since it has no object here.
  void node_task(const node& n, const task& t, std::initializer_list<cat::node_task_state> path) {
    state_machine<cat::node_task_state> machine{cat::node_task_state::init, node_task_transitions()};
    for (auto to : path) {
      machine.transition(to);
      cat::node_task_state_changed e;
      e.machine_id = n.id;
      e.task_id = t.id;
      e.state = to;
      emit(e);
    }
  }

  [[nodiscard]] std::size_t events() const noexcept { return events_; }

 private:
  template <class E>
  void emit(const E& e) {
    sender_.emit(e);
    ++events_;
  }

  Sender& sender_;
  std::size_t events_ = 0;
};

}  // namespace

int main(int argc, char** argv) try {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line-buffered even into a pipe
  bool local = false;
  demo::delivery_wait wait_at_exit;  // --wait SECONDS, 10 s unless given
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--local") {
      local = true;
    } else if (a == "--wait" && i + 1 < argc) {
      wait_at_exit.parse(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: onefuzz-service-example [--local] [--wait SECONDS]\n");
      return 2;
    }
  }
  local = local || !demo::environment_has_destination();
  std::unique_ptr<tel::testing::ingestion_server> server;
  tel::transport::sender_options options;
  options.cloud_role = tel::role::service;
  options.batching.max_delay = 100ms;
  if (local) {
    server = std::make_unique<tel::testing::ingestion_server>();
    options.destinations.instance = server->connection_string(demo::instance_key);
    options.destinations.central = server->connection_string(demo::central_key);
    options.getenv = [](const char*) -> const char* { return nullptr; };
  }
  cat::service_context context;
  context.instance_id = cat::instance_id::random();
  context.version = tel::version::parse("8.9.0").value();
  tel::transport::sender<cat::service_context> sender{options, context};
  service svc{sender};
  using S = decltype(svc);

  std::printf("onefuzz-service-example: a job, its tasks, a pool, a scaleset and its nodes\n");
  // A pool, and a scaleset of two VMs in it.
  S::pool pool;
  svc.set(pool, cat::pool_state::running);
  S::scaleset scaleset{.sku = "Standard_D2s_v3", .size = 2};
  svc.set(scaleset, cat::scaleset_state::setup);
  svc.set(scaleset, cat::scaleset_state::running);
  std::vector<S::node> nodes(2);
  for (auto& n : nodes) {
    n.scaleset = scaleset.id;
    svc.set(n, cat::node_state::free);
  }

  // A job with a fuzzing task on the scaleset's VMs and a crash-report task that waits for it.
  S::job job;
  svc.set(job, cat::job_state::enabled);
  S::task fuzz{.job = job.id, .type = cat::task_type::libfuzzer_fuzz, .vm_count = 2};
  S::task report{.job = job.id, .type = cat::task_type::libfuzzer_crash_report, .vm_count = std::nullopt};
  svc.set(fuzz, cat::task_state::waiting);
  svc.set(report, cat::task_state::wait_job);
  svc.set(fuzz, cat::task_state::scheduled);
  for (auto& n : nodes) {
    svc.set(n, cat::node_state::setting_up);
    svc.set(n, cat::node_state::ready);
    svc.node_task(n, fuzz, {cat::node_task_state::setting_up, cat::node_task_state::running});
    svc.set(n, cat::node_state::busy);
  }
  svc.set(fuzz, cat::task_state::setting_up);
  svc.set(fuzz, cat::task_state::running);
  svc.set(report, cat::task_state::waiting);

  // The scaleset grows by one VM for a while.
  scaleset.size = 3;
  svc.set(scaleset, cat::scaleset_state::resize);
  svc.set(scaleset, cat::scaleset_state::running);

  // The job is stopped: tasks stop, nodes finish and shut down, the pool is halted.
  svc.set(job, cat::job_state::stopping);
  svc.set(fuzz, cat::task_state::stopping);
  svc.set(report, cat::task_state::stopping);
  svc.set(fuzz, cat::task_state::stopped);
  svc.set(report, cat::task_state::stopped);
  svc.set(job, cat::job_state::stopped);
  for (auto& n : nodes) {
    svc.set(n, cat::node_state::done);
    svc.set(n, cat::node_state::shutdown);
    svc.set(n, cat::node_state::halt);
  }
  svc.set(scaleset, cat::scaleset_state::shutdown);
  svc.set(scaleset, cat::scaleset_state::halt);
  svc.set(pool, cat::pool_state::shutdown);
  svc.set(pool, cat::pool_state::halt);

  // A transition no OneFuzz object makes is refused before anything is sent.
  bool refused = false;
  try {
    svc.set(job, cat::job_state::enabled);
  } catch (const std::logic_error& e) {
    refused = true;
    std::printf("  refused, as it should be: %s\n", e.what());
  }

  const bool flushed = sender.force_flush(wait_at_exit.duration());
  sender.shutdown(flushed ? 5s : 0s);
  std::printf("  %zu state changes sent\n", svc.events());

  demo::checks checks;
  checks.expect(refused, "an invalid transition is refused");
  checks.expect(flushed, wait_at_exit.delivered_within());
  if (server) {
    const auto keys = demo::context_keys<cat::service_context>();
    const auto instance = demo::received(*server, demo::instance_key, keys);
    const auto central = demo::received(*server, demo::central_key, keys);
    demo::print_side_by_side(instance, central);
    checks.expect(instance.size() == svc.events(), "the user's instance got every state change");
    checks.expect(central.size() == svc.events(), "the central instance got every state change");
    // Every service field is central: both instances see the same properties.
    for (std::size_t i = 0; i < std::min(instance.size(), central.size()); ++i) {
      checks.expect(instance[i].name == central[i].name && instance[i].properties == central[i].properties,
                    "item " + std::to_string(i) + " is the same in both instances");
    }
  }
  std::printf("\n");
  const bool delivered = demo::print_failures(sender);  // each failed destination and its cause
  const bool balanced = demo::print_counters(sender);
  return checks.report() && delivered && balanced ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "onefuzz-service-example: %s\n", e.what());
  return 1;
}
