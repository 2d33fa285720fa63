// The sender against the local ingestion server, over real loopback sockets: delivery to
// both destinations, each response class, overflow policies, flush and shutdown deadlines,
// and the accounting identity emitted == accepted + dropped in every case.
#include "counting_new.hpp"
#include "sender_support.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

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

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (envelope.hpp's format) as a time point; nothing when not.
std::optional<std::chrono::system_clock::time_point> parse_item_time(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &year, &month, &day, &hour, &minute, &second,
                  &millisecond) != 7) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const sys_days date = year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                       std::chrono::day{static_cast<unsigned>(day)}};
  return system_clock::time_point{date} + hours{hour} + minutes{minute} + seconds{second} + milliseconds{millisecond};
}

TEST_CASE("an item's time is when emit() was called, also for an event that waited in the queue") {
  ingestion_server server;
  auto options = options_for(server, false);
  options.batching.max_delay = 10s;  // both events wait for the flush, the first one 30 ms
  tel::transport::sender<> sender{options};
  using std::chrono::system_clock;
  const auto before_first = system_clock::now();
  REQUIRE(sender.emit(crash(1)));
  const auto after_first = system_clock::now();
  std::this_thread::sleep_for(30ms);
  const auto before_second = system_clock::now();
  REQUIRE(sender.emit(crash(2)));
  const auto after_second = system_clock::now();
  REQUIRE(sender.force_flush(10s));
  const auto items = server.accepted(instance_key);
  REQUIRE(items.size() == 4);  // each crash with its metric twin
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto time = parse_item_time(items[i].at("time").as_string());
    REQUIRE(time);
    // Milliseconds in the payload: the time is cut down to one.
    const auto earliest = (i < 2 ? before_first : before_second) - 1ms;
    const auto latest = i < 2 ? after_first : after_second;
    INFO("item " << i);
    CHECK(*time >= earliest);
    CHECK(*time <= latest);
  }
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
  central_in_environment(options, server.connection_string(central_key));
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

namespace {

// Lower case, for the same key spelled another way.
std::string lower_case(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string upper_case(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// The sender's constructor refuses options; the message is returned for inspection.
std::string refusal(const tel::transport::sender_options& options) {
  try {
    tel::transport::sender<> sender{options};
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("the sender accepted the options");
  return {};
}

}  // namespace

TEST_CASE("one instrumentation key cannot be both destinations: the sender refuses to start") {
  ingestion_server server;
  const std::string key = "5a5a5a5a-1234-4abc-8def-0123456789ab";
  const std::string upper = upper_case(key);
  REQUIRE(lower_case(upper) == key);

  SECTION("explicit options: both in destination_overrides, another case, another endpoint") {
    auto options = fast_options(server.connection_string(key), upper);
    const std::string message = refusal(options);
    CHECK(message ==
          "onefuzz::telemetry::transport::sender: resolve_destinations: destination_overrides.instance and "
          "destination_overrides.central hold the same instrumentation key; central telemetry would receive the "
          "full payloads. Set a different key, or turn central telemetry off "
          "(destination_overrides.central_disabled)");
    CHECK(message.find(key) == std::string::npos);
    CHECK(message.find(upper) == std::string::npos);
    CHECK(message.find("5a5a5a5a") == std::string::npos);
    CHECK(message.find("0123456789") == std::string::npos);
    CHECK(server.requests_served() == 0);
  }
  SECTION("an explicit instance and the environment's central key") {
    auto options = fast_options(server.connection_string(key));
    central_in_environment(options, upper);
    const std::string message = refusal(options);
    CHECK(message.find("destination_overrides.instance and ONEFUZZ_TELEMETRY hold the same instrumentation key") !=
          std::string::npos);
    CHECK(message.find(key) == std::string::npos);
    CHECK(message.find(upper) == std::string::npos);
    CHECK(server.requests_served() == 0);
  }
  SECTION("central_disabled: the same key is no conflict, and only the instance is sent to") {
    auto options = fast_options(server.connection_string(key), key);
    options.destinations.central_disabled = true;
    tel::transport::sender<> sender{options};
    CHECK(sender.has_instance());
    CHECK_FALSE(sender.has_central());
    sender.emit(coverage(3));
    REQUIRE(sender.force_flush(10s));
    CHECK(server.accepted_count(key) == 2);
  }
}

namespace {

// A reviewed type whose projection does not keep to its grammar: the file name after the
// last '/', though the grammar allows lower-case letters only.
class sloppy_label final : public tel::reviewed<sloppy_label> {
 public:
  static constexpr std::string_view projection = "the file name after the last '/'";
  static constexpr tel::projection_grammar central_grammar{"a-z", 16};

  sloppy_label() = default;
  explicit sloppy_label(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }
  [[nodiscard]] std::string_view central_projection() const noexcept {
    const std::string_view text = value_;
    const auto slash = text.find_last_of('/');
    return slash == std::string_view::npos ? text : text.substr(slash + 1);
  }

 private:
  std::string value_;
};

struct labelled {
  static constexpr std::string_view event_name = "labelled";
  static constexpr bool metric_twin = true;
  BOOST_HANA_DEFINE_STRUCT(labelled, (tel::central<sloppy_label>, label), (tel::central<std::uint64_t>, n));
};

labelled label(std::string text, std::uint64_t n) {
  labelled ev;
  ev.label = sloppy_label{std::move(text)};
  ev.n = n;
  return ev;
}

}  // namespace

TEST_CASE("a projection outside its grammar is sent as \"other\" and counted as projection_rejected") {
  // Same encodings: write_both; different encodings: write_full and write_central.
  for (const bool same_encoding : {true, false}) {
    INFO("same encoding: " << same_encoding);
    ingestion_server server;
    auto options = options_for(server);
    if (!same_encoding) options.central.encoding = tel::encoding::typed;
    tel::transport::sender<> sender{options};
    CHECK(sender.emit(label("/home/secret_user/Bad_Label", 1)));  // '_' and capitals: rejected
    CHECK(sender.emit(label("/home/secret_user/fine", 2)));       // within the grammar
    CHECK(sender.emit(label("/home/secret_user/", 3)));           // empty: rejected (1 to 16)
    REQUIRE(sender.force_flush(10s));

    const auto instance = sender.instance_statistics();
    const auto central = *sender.central_statistics();
    // Two rejected values, each in an event and its metric twin; the full payloads carry
    // the full value and are never checked against the grammar.
    CHECK(central.projection_rejected == 4);
    CHECK(instance.projection_rejected == 0);
    CHECK(central.out_of_range_enums == 0);
    CHECK(central.accepted == 6);
    CHECK(instance.accepted == 6);
    check_accounting(instance);
    check_accounting(central);

    std::multiset<std::string> central_labels;
    for (const auto& item : server.accepted(central_key)) {
      CHECK(boost::json::serialize(item).find("secret_user") == std::string::npos);
      central_labels.emplace(properties_of(item).at("label").as_string());
    }
    CHECK(central_labels == std::multiset<std::string>{"fine", "fine", "other", "other", "other", "other"});
    std::multiset<std::string> full_labels;
    for (const auto& item : server.accepted(instance_key)) {
      full_labels.emplace(properties_of(item).at("label").as_string());
    }
    CHECK(full_labels.count("/home/secret_user/Bad_Label") == 2);
    CHECK(full_labels.count("/home/secret_user/fine") == 2);
    CHECK(full_labels.count("/home/secret_user/") == 2);
    CHECK(sender.shutdown(5s));
  }
}

// --- emit() allocates nothing --------------------------------------------------------------
// Not compiled under TSan, whose runtime defines the global operator new too (see
// counting_new.hpp). The g++ Release and ASan+UBSan steps run it.
#if ONEFUZZ_COUNTING_NEW
// counting_new.hpp counts per thread: only this test's emitting thread is looked at, so
// the sender's own threads (serializing, posting, reporting diagnostics) may allocate,
// emit() may not.
namespace {
// Heap allocations made by `f` on this thread.
template <class F>
std::uint64_t allocations_during(F&& f) {
  const std::uint64_t before = counting_new::allocations_on_this_thread();
  f();
  return counting_new::allocations_on_this_thread() - before;
}
}  // namespace

TEST_CASE("emit() of a catalog event allocates nothing once the sender runs, with default diagnostics") {
  ingestion_server server;
  auto options = options_for(server);
  // The default diagnostics: records go to stderr, built on the sender's threads.
  REQUIRE_FALSE(options.diagnostics.handler);
  tel::transport::sender<cat::task_context> sender{options, context()};
  // Warm up: the first batches, the buffer pools and the connections exist afterwards.
  for (int i = 0; i < 100; ++i) REQUIRE(sender.emit(coverage(static_cast<std::uint64_t>(i))));
  REQUIRE(sender.force_flush(10s));

  constexpr int events = 2000;  // below the queue's 8192 slots: none is dropped
  int queued = 0;
  const auto while_running = allocations_during([&] {
    for (int i = 0; i < events; ++i) queued += sender.emit(coverage(static_cast<std::uint64_t>(1000 + i))) ? 1 : 0;
  });
  CHECK(while_running == 0);
  CHECK(queued == events);
  REQUIRE(sender.force_flush(10s));
  // coverage_data has a metric twin: two items per event and destination, all delivered.
  const auto instance = sender.instance_statistics();
  CHECK(instance.accepted == 2 * (100 + events));
  CHECK(sender.central_statistics()->accepted == 2 * (100 + events));
  check_accounting(instance);

  // The drop path counts without allocating too (its `dropped` record is built later).
  REQUIRE(sender.shutdown(5s));
  bool refused = false;
  const auto after_shutdown = allocations_during([&] { refused = !sender.emit(coverage(1)); });
  CHECK(refused);
  CHECK(after_shutdown == 0);
  CHECK(sender.instance_statistics().dropped_by(drop_reason::after_shutdown) == 2);

  // The counter is live: an allocation on this thread is seen.
  int* probe = nullptr;
  CHECK(allocations_during([&] { probe = new int(7); }) == 1);
  delete probe;
}
#endif  // ONEFUZZ_COUNTING_NEW
