// The sender against the local ingestion server, over real loopback sockets: delivery to
// both destinations, each response class, overflow policies, flush and shutdown deadlines,
// and the accounting identity emitted == accepted + dropped in every case.
#include "sender_support.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <set>
#include <string>

using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::drop_reason;
using tel::transport::overflow_policy;

namespace {

tel::transport::sender_options options_for(const ingestion_server& server, bool with_central = true) {
  auto options = fast_options(server.connection_string(instance_key),
                              with_central ? server.connection_string(central_key) : std::string{});
  options.role_instance = "node-1";
  options.device_id = "device-1";
  return options;
}

cat::task_context context() {
  cat::task_context ctx;
  ctx.job_id = cat::job_id::random();
  ctx.task_id = cat::task_id::random();
  ctx.machine_id = cat::machine_id::random();
  ctx.instance_id = cat::instance_id::random();
  ctx.version = *tel::version::parse("8.9.0+abcdef0");
  ctx.scaleset_id = std::string{"vmss-alice"};
  return ctx;
}

cat::new_result crash(int i) {
  cat::new_result ev;
  ev.path = "crash-" + std::to_string(i);
  return ev;
}

const boost::json::object& properties_of(const boost::json::object& envelope) {
  return envelope.at("data").as_object().at("baseData").as_object().at("properties").as_object();
}

}  // namespace

TEST_CASE("full payloads reach the instance key and central payloads the central key") {
  ingestion_server server;
  tel::transport::sender<cat::task_context> sender{options_for(server), context()};
  for (int i = 0; i < 10; ++i) CHECK(sender.emit(crash(i)));
  CHECK(sender.emit(coverage(42)));
  REQUIRE(sender.force_flush(10s));

  // new_result and coverage_data have metric twins: 11 events are 22 items per destination.
  const auto instance = sender.instance_statistics();
  const auto central = *sender.central_statistics();
  CHECK(instance.emitted == 22);
  CHECK(instance.accepted == 22);
  CHECK(central.accepted == 22);
  check_accounting(instance);
  check_accounting(central);

  const auto full_items = server.accepted(instance_key);
  const auto central_items = server.accepted(central_key);
  REQUIRE(full_items.size() == 22);
  REQUIRE(central_items.size() == 22);

  std::set<std::string> full_paths;
  for (const auto& item : full_items) {
    const auto& props = properties_of(item);
    CHECK(props.at("scaleset_id").as_string() == "vmss-alice");
    CHECK(props.at("role").as_string() == "agent");
    if (props.contains("path")) full_paths.emplace(props.at("path").as_string());
  }
  CHECK(full_paths.size() == 10);

  for (const auto& item : central_items) {
    const auto& props = properties_of(item);
    CHECK_FALSE(props.contains("path"));
    CHECK_FALSE(props.contains("scaleset_id"));
    CHECK(props.at("version").as_string() == "8.9.0+abcdef0");
    const auto& tags = item.at("tags").as_object();
    CHECK(tags.at("ai.cloud.roleInstance").as_string() == "Redacted");
    CHECK(tags.at("ai.device.id").as_string() == "Redacted");
  }
  CHECK(sender.shutdown(5s));
}

TEST_CASE("without a central destination nothing is serialized or sent for it") {
  ingestion_server server;
  tel::transport::sender<> sender{options_for(server, false)};
  CHECK_FALSE(sender.has_central());
  CHECK_FALSE(sender.central_statistics().has_value());
  sender.emit(coverage(1));
  REQUIRE(sender.force_flush(10s));
  CHECK(server.accepted_count(instance_key) == 2);
  CHECK(server.accepted_count(central_key) == 0);
  CHECK(server.requests_served() == sender.instance_statistics().requests);
}

TEST_CASE("central_disabled in code wins over the environment") {
  ingestion_server server;
  auto options = options_for(server, false);
  static std::string central_from_env;
  central_from_env = server.connection_string(central_key);
  options.getenv = [](const char* name) -> const char* {
    return std::string_view{name} == "ONEFUZZ_TELEMETRY" ? central_from_env.c_str() : nullptr;
  };
  SECTION("the environment turns central on") {
    tel::transport::sender<> sender{options};
    CHECK(sender.has_central());
  }
  SECTION("central_disabled turns it off") {
    options.destinations.central_disabled = true;
    tel::transport::sender<> sender{options};
    CHECK_FALSE(sender.has_central());
  }
}

TEST_CASE("retriable status codes are retried until accepted") {
  for (int code : {500, 502, 503, 504, 408, 429}) {
    INFO(code);
    ingestion_server server;
    server.script({fault::status(code), fault::status(code)});
    tel::transport::sender<> sender{options_for(server, false)};
    sender.emit(coverage(7));
    REQUIRE(sender.force_flush(10s));
    const auto s = sender.instance_statistics();
    CHECK(s.accepted == 2);
    CHECK(s.retried == 4);  // two items, sent again twice
    CHECK(s.requests == 3);
    check_accounting(s);
  }
}

TEST_CASE("retries end after max_attempts and the items are counted as exhausted") {
  ingestion_server server;
  server.script(std::vector<fault>(10, fault::status(503)));
  auto options = options_for(server, false);
  options.retry.max_attempts = 3;
  tel::transport::sender<> sender{options};
  sender.emit(coverage(7));
  CHECK(sender.force_flush(10s));
  const auto s = sender.instance_statistics();
  CHECK(s.requests == 3);
  CHECK(s.dropped_by(drop_reason::retries_exhausted) == 2);
  check_accounting(s);
}

TEST_CASE("non-retriable answers drop the batch with a reason") {
  for (int code : {400, 401, 403, 404}) {
    INFO(code);
    ingestion_server server;
    server.script({fault::status(code)});
    tel::transport::sender<> sender{options_for(server, false)};
    sender.emit(coverage(7));
    REQUIRE(sender.force_flush(10s));
    const auto s = sender.instance_statistics();
    CHECK(s.requests == 1);
    CHECK(s.dropped_by(drop_reason::rejected_by_server) == 2);
    check_accounting(s);
  }
}

TEST_CASE("quota answers (402, 439) drop the batch as quota and pause the destination") {
  for (int code : {402, 439}) {
    ingestion_server server;
    server.script({fault::status(code)});
    tel::transport::sender<> sender{options_for(server, false)};
    sender.emit(coverage(7));
    REQUIRE(sender.force_flush(10s));
    const auto s = sender.instance_statistics();
    CHECK(s.dropped_by(drop_reason::quota) == 2);
    check_accounting(s);
  }
}

TEST_CASE("a 206 resends only the retriable items, with indexes remapped to the smaller batch") {
  ingestion_server server;
  // First answer: items 1 and 3 retriable, item 2 rejected, item 4 sampled out.
  // Second answer (on the 2-item resend): its item 1 (originally 3) fails again.
  server.script({fault::partial({{1, 503}, {2, 400}, {3, 429}, {4, 206}}), fault::partial({{1, 500}})});
  auto options = options_for(server, false);
  options.batching.max_delay = 10s;  // one batch, sealed by the flush
  tel::transport::sender<> sender{options};
  for (int i = 0; i < 6; ++i) sender.emit(cat::coverage_failed{std::string("input-") + std::to_string(i)});
  REQUIRE(sender.force_flush(10s));
  const auto s = sender.instance_statistics();
  // 12 items: 6 events + 6 metric twins, in the order event, twin, event, twin, ...
  CHECK(s.emitted == 12);
  CHECK(s.dropped_by(drop_reason::rejected_by_server) == 1);
  CHECK(s.sampled_out == 1);
  CHECK(s.accepted == 11);
  CHECK(s.requests == 3);
  check_accounting(s);
  // The server stored 12 - 2 (first answer) - 1 (dropped) ... every accepted item once:
  CHECK(server.accepted_count(instance_key) == 10);  // sampled out is not stored
  const auto log = server.requests();
  REQUIRE(log.size() == 3);
  CHECK(log[1].items_received == 2);
  CHECK(log[2].items_received == 1);
}

TEST_CASE("Retry-After is honoured in both forms, and garbage falls back to backoff") {
  for (const char* value : {"0", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"}) {
    INFO(value);
    ingestion_server server;
    server.script({fault::status(429).retry_after(value)});
    tel::transport::sender<> sender{options_for(server, false)};
    sender.emit(coverage(1));
    REQUIRE(sender.force_flush(10s));
    CHECK(sender.instance_statistics().accepted == 2);
  }
}

TEST_CASE("a delta-seconds Retry-After delays the retry by about that long") {
  ingestion_server server;
  server.script({fault::status(503).retry_after("1")});
  auto options = options_for(server, false);
  options.retry.backoff.max_delay = 5s;
  tel::transport::sender<> sender{options};
  const auto start = std::chrono::steady_clock::now();
  sender.emit(coverage(1));
  REQUIRE(sender.force_flush(10s));
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
}

TEST_CASE("flush and shutdown return by their deadlines when the server never answers") {
  ingestion_server server;
  server.script({fault::never_answer()});
  tel::transport::sender<> sender{options_for(server, false)};
  sender.emit(coverage(1));
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(sender.force_flush(300ms));
  const auto after_flush = std::chrono::steady_clock::now() - start;
  CHECK(after_flush >= 250ms);
  CHECK(after_flush < 3s);
  CHECK_FALSE(sender.shutdown(300ms));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::shutdown) == 2);
  check_accounting(s);
}

TEST_CASE("shutdown is idempotent and emit after shutdown fails cleanly, counted") {
  ingestion_server server;
  tel::transport::sender<> sender{options_for(server)};
  sender.emit(coverage(1));
  CHECK(sender.shutdown(10s));
  CHECK(sender.shutdown(10s));
  CHECK_FALSE(sender.emit(coverage(2)));
  CHECK_FALSE(sender.force_flush(100ms));
  const auto s = sender.instance_statistics();
  CHECK(s.accepted == 2);
  CHECK(s.dropped_by(drop_reason::after_shutdown) == 2);
  check_accounting(s);
  check_accounting(*sender.central_statistics());
}

namespace {
// Serializing 8 KB of invalid UTF-8 takes the worker far longer than a push takes the
// caller, so a burst overflows a small queue.
cat::coverage_failed heavy(int i) {
  // The number first: the repaired value (3 bytes per invalid byte) is cut at 8192.
  return cat::coverage_failed{std::to_string(i) + std::string(8000, '\xff')};
}
}  // namespace

TEST_CASE("drop_newest: a burst into a small queue drops and counts the overflow") {
  ingestion_server server;
  auto options = options_for(server, false);
  options.queue_capacity = 4;
  options.queue_overflow = overflow_policy::drop_newest;
  tel::transport::sender<> sender{options};
  int refused = 0;
  for (int i = 0; i < 2000; ++i) refused += sender.emit(heavy(i)) ? 0 : 1;
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(refused > 0);
  CHECK(s.dropped_by(drop_reason::queue_full) == 2u * static_cast<unsigned>(refused));
  CHECK(s.invalid_utf8_replaced > 0);
  check_accounting(s);
}

TEST_CASE("drop_oldest: the newest events survive an overflow") {
  ingestion_server server;
  auto options = options_for(server, false);
  options.queue_capacity = 4;
  options.queue_overflow = overflow_policy::drop_oldest;
  tel::transport::sender<> sender{options};
  for (int i = 0; i < 2000; ++i) CHECK(sender.emit(heavy(i)));
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::queue_full) > 0);
  check_accounting(s);
  bool last_arrived = false;
  for (const auto& item : server.accepted(instance_key)) {
    const auto& props = properties_of(item);
    const std::string path{props.at("path").as_string()};
    if (path.starts_with("1999\xEF\xBF\xBD")) last_arrived = true;
  }
  CHECK(last_arrived);
}

TEST_CASE("block: producers wait for room instead of dropping") {
  ingestion_server server;
  auto options = options_for(server, false);
  options.queue_capacity = 4;
  options.queue_overflow = overflow_policy::block;
  options.block_timeout = 5s;
  tel::transport::sender<> sender{options};
  for (int i = 0; i < 500; ++i) CHECK(sender.emit(heavy(i)));
  REQUIRE(sender.force_flush(30s));
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_total() == 0);
  CHECK(s.accepted == 1000);
  check_accounting(s);
}

TEST_CASE("the backlog of batches is bounded during an outage") {
  ingestion_server server;
  server.script({fault::never_answer()});
  auto options = options_for(server, false);
  options.batching.max_items = 2;  // one event and its twin per batch
  options.instance.max_pending_batches = 3;
  options.instance.backlog_overflow = overflow_policy::drop_oldest;
  tel::transport::sender<> sender{options};
  for (int i = 0; i < 20; ++i) sender.emit(coverage(static_cast<std::uint64_t>(i)));
  CHECK_FALSE(sender.force_flush(500ms));
  const auto during = sender.instance_statistics();
  // 20 events (40 items) in batches of 2 items: at most one batch in flight (never
  // answered), three waiting and one open may be kept; whether the first batch had left
  // the backlog before the fourth was sealed is a race, so 3 or 4 batches survive.
  const auto dropped = during.dropped_by(drop_reason::backlog_full);
  CHECK(dropped >= 2 * (20 - 5));
  CHECK(dropped <= 2 * (20 - 3));
  sender.shutdown(200ms);
  check_accounting(sender.instance_statistics());
}

TEST_CASE("an item over the 64 KB limit is dropped as too_large, the others are sent") {
  ingestion_server server;
  tel::transport::sender<> sender{options_for(server, false)};
  cat::afl_runtime_stats huge;
  huge.command_line = std::string(8192, 'c');
  huge.mode = cat::afl_mode{"default"};
  sender.emit(std::move(huge));  // 8 KB: fine
  cat::new_result big;
  big.path = std::string(8192, 'p');
  sender.emit(std::move(big));
  REQUIRE(sender.force_flush(10s));
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::too_large) == 0);
  CHECK(s.accepted == 3);
  check_accounting(s);
}

TEST_CASE("every catalog event's central payload holds only central keys, end to end") {
  ingestion_server server;
  tel::transport::sender<cat::task_context> sender{options_for(server), context()};
  cat::task_start start;
  start.event_type = cat::task_type::generic_generator;
  start.tool_name = cat::tool_name{"/home/alice/tools/radamsa"};
  sender.emit(start);
  sender.emit(coverage(5));
  cat::libfuzzer_runtime_stats lf;
  lf.count = 10u;
  lf.execs_sec = 2666.67;
  sender.emit(lf);
  cat::afl_runtime_stats afl;
  afl.pid = 4242u;
  afl.command_line = std::string{"afl-fuzz -i /home/alice/in"};
  afl.count = 99u;
  sender.emit(afl);
  sender.emit(crash(1));
  sender.emit(cat::new_report{std::string{"report-1"}});
  cat::process_stats ps;
  ps.name = std::string{"fuzzer"};
  ps.pid = 1u;
  sender.emit(ps);
  REQUIRE(sender.force_flush(10s));

  std::set<std::string> allowed;
  auto allow = [&](const auto& names) {
    for (auto name : names) allowed.emplace(name);
  };
  allow(tel::central_field_names<cat::task_start>);
  allow(tel::central_field_names<cat::coverage_data>);
  allow(tel::central_field_names<cat::libfuzzer_runtime_stats>);
  allow(tel::central_field_names<cat::afl_runtime_stats>);
  allow(tel::central_field_names<cat::process_stats>);
  allow(tel::central_field_names<cat::task_context>);
  const auto central_items = server.accepted(central_key);
  CHECK(central_items.size() == sender.central_statistics()->accepted);
  for (const auto& item : central_items) {
    for (const auto& property : properties_of(item)) {
      INFO(property.key());
      CHECK(allowed.count(std::string{property.key()}) == 1);
    }
    const auto text = boost::json::serialize(item);
    CHECK(text.find("alice") == std::string::npos);
  }
}
