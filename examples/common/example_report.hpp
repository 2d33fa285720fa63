// What the examples (agent, afl, service) print at the end: the items each instance
// received, side by side; the cause of each destination's failure; and one JSON line of
// counters per destination; and --wait, how long the afl and service examples wait for
// delivery before they report. One header, so every example reports the same way. Example
// code, not part of the library.
#pragma once

#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/testing/ingestion_server.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/transport/sink_statistics.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace demo {

namespace tel = onefuzz::telemetry;

// Keys the local server is told to accept; any well-formed GUID would do.
inline constexpr const char* instance_key = "11111111-1111-4111-8111-111111111111";
inline constexpr const char* central_key = "22222222-2222-4222-8222-222222222222";

// True when the environment names a real destination (and the user did not ask for --local).
inline bool environment_has_destination() {
  for (const char* name : tel::transport::instance_environment_variables) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  for (const char* name : tel::transport::central_environment_variables) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

// --wait SECONDS (the afl and service examples): how long to wait at exit for every item to
// be delivered. A destination that has not taken everything by then is failing, so the
// examples skip shutdown's own wait and report it. A value that is not a number reads as
// 0, and every value is clamped to 1..60 s: a typo neither hangs the exit nor skips the wait.
struct delivery_wait {
  int seconds = 10;

  // `text` is the argument after --wait.
  void parse(const char* text) { seconds = std::clamp(std::atoi(text), 1, 60); }

  std::chrono::seconds duration() const { return std::chrono::seconds{seconds}; }

  // The check the examples make on the flush: "everything was delivered within 2 s".
  std::string delivered_within() const {
    // Built piece by piece: "literal" + std::string trips g++ 12's false -Wrestrict at -O3.
    std::string what{"everything was delivered within "};
    what += std::to_string(seconds);
    what += " s";
    return what;
  }
};

struct received_item {
  bool metric = false;  // a customMetric (the metric twin) rather than a customEvent
  std::string name;
  std::vector<std::pair<std::string, std::string>> properties;  // without the context's
  std::map<std::string, std::string> context;
};

inline std::vector<received_item> received(const tel::testing::ingestion_server& server, const char* key,
                                           const std::set<std::string>& context_keys) {
  std::vector<received_item> out;
  for (const auto& envelope : server.accepted(key)) {
    received_item item;
    const auto& data = envelope.at("data").as_object();
    item.metric = data.at("baseType").as_string() == "MetricData";
    // The tags that differ between the two instances (the central one is redacted).
    if (const auto* tags = envelope.if_contains("tags")) {
      for (const char* tag : {"ai.cloud.roleInstance", "ai.device.id"}) {
        if (const auto* value = tags->as_object().if_contains(tag)) item.context[tag] = value->as_string().c_str();
      }
    }
    const auto& base = data.at("baseData").as_object();
    if (item.metric) {
      item.name = std::string{base.at("metrics").as_array().at(0).as_object().at("name").as_string()};
    } else {
      item.name = std::string{base.at("name").as_string()};
    }
    if (const auto* props = base.if_contains("properties")) {
      for (const auto& [k, v] : props->as_object()) {
        const std::string value = v.is_string() ? std::string{v.as_string()} : boost::json::serialize(v);
        if (context_keys.contains(std::string{k})) {
          item.context[std::string{k}] = value;
        } else {
          item.properties.emplace_back(std::string{k}, value);
        }
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

// "name k=v k=v", cut to `width` columns: `state` first, then numbers (short, and what
// changes from one runtime_stats to the next), then the rest; GUIDs shortened to 8 digits.
inline std::string describe(const received_item& item, std::size_t width) {
  auto numeric = [](const std::string& v) {
    return !v.empty() && v.find_first_not_of("0123456789.-e") == std::string::npos;
  };
  auto guid = [](const std::string& v) { return v.size() == 36 && v[8] == '-' && v[13] == '-' && v[23] == '-'; };
  auto properties = item.properties;
  std::stable_partition(properties.begin(), properties.end(), [&](const auto& p) { return numeric(p.second); });
  std::stable_partition(properties.begin(), properties.end(), [](const auto& p) { return p.first == "state"; });
  std::string text = item.name;
  for (const auto& [k, v] : properties) text += " " + k + "=" + (guid(v) ? v.substr(0, 8) : v);
  if (text.size() > width) text = text.substr(0, width - 3) + "...";
  return text;
}

inline void print_context(const char* title, const std::map<std::string, std::string>& context) {
  std::printf("  %s\n", title);
  for (const auto& [k, v] : context) std::printf("      %-21s %s\n", k.c_str(), v.c_str());
}

// The events each instance received, paired in order (each event goes to both), then the
// context every item carried, and the metric twins as a count.
inline void print_side_by_side(const std::vector<received_item>& instance,
                               const std::optional<std::vector<received_item>>& central) {
  constexpr std::size_t width = 56;
  std::vector<const received_item*> left;
  std::vector<const received_item*> right;
  std::size_t left_metrics = 0;
  std::size_t right_metrics = 0;
  for (const auto& item : instance) item.metric ? void(++left_metrics) : left.push_back(&item);
  if (central) {
    for (const auto& item : *central) item.metric ? void(++right_metrics) : right.push_back(&item);
  }
  std::printf("\n%-*s | %s\n", static_cast<int>(width), "user's instance (full events)",
              central ? "central instance (central projection)" : "central instance: disabled");
  std::printf("%s-+-%s\n", std::string(width, '-').c_str(), std::string(width, '-').c_str());
  const std::size_t rows = std::max(left.size(), right.size());
  auto name_at = [&](std::size_t i) {
    return std::pair{i < left.size() ? left[i]->name : "", i < right.size() ? right[i]->name : ""};
  };
  for (std::size_t i = 0; i < rows;) {
    // A run of the same event on both sides (a fuzzer's corpus growing) is cut to its first
    // two rows and a count, so the table stays readable.
    std::size_t run_end = i + 1;
    while (run_end < rows && name_at(run_end) == name_at(i)) ++run_end;
    const std::size_t shown = run_end - i >= 5 ? 2 : run_end - i;
    for (std::size_t k = i; k < i + shown; ++k) {
      const std::string l = k < left.size() ? describe(*left[k], width) : "";
      const std::string r = k < right.size() ? describe(*right[k], width) : "";
      std::printf("%-*s | %s\n", static_cast<int>(width), l.c_str(), r.c_str());
    }
    if (shown < run_end - i) {
      const auto [l, r] = name_at(i);
      const std::string more = "  ... " + std::to_string(run_end - i - shown) + " more ";
      std::printf("%-*s | %s\n", static_cast<int>(width), (l.empty() ? "" : more + l).c_str(),
                  (r.empty() ? "" : more + r).c_str());
    }
    i = run_end;
  }
  std::printf("%-*s | %s\n", static_cast<int>(width),
              ("+ " + std::to_string(left_metrics) + " customMetrics (metric twins, value 1)").c_str(),
              central ? ("+ " + std::to_string(right_metrics) + " customMetrics").c_str() : "");
  std::printf("\nContext properties (and redacted tags) carried by every item:\n");
  if (!instance.empty()) print_context("user's instance:", instance.front().context);
  if (central && !central->empty()) print_context("central instance:", central->front().context);
}

inline std::string counters_json(const tel::transport::sink_statistics& s) {
  std::string dropped;
  for (std::size_t i = 0; i < tel::transport::drop_reason_count; ++i) {
    if (s.dropped[i] == 0) continue;
    if (!dropped.empty()) dropped += ",";
    // Appended piece by piece: `"\"" + std::string{...}` trips g++ 12's false -Wrestrict at -O3.
    dropped += '"';
    dropped += tel::transport::to_string(static_cast<tel::transport::drop_reason>(i));
    dropped += "\":";
    dropped += std::to_string(s.dropped[i]);
  }
  return "{\"emitted\":" + std::to_string(s.emitted) + ",\"accepted\":" + std::to_string(s.accepted) +
         ",\"dropped\":{" + dropped + "},\"spooled\":" + std::to_string(s.spooled) + "}";
}

// Prints the one JSON line of counters (central absent when disabled); true when every
// emitted item is accounted for in each destination.
template <class Sender>
bool print_counters(const Sender& sender) {
  const auto instance = sender.instance_statistics();
  const auto central = sender.central_statistics();
  std::string line = "{\"instance\":" + counters_json(instance);
  if (central) line += ",\"central\":" + counters_json(*central);
  line += "}";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  auto balanced = [](const tel::transport::sink_statistics& s) {
    return s.emitted == s.accepted + s.dropped_total() + s.spooled;
  };
  bool ok = balanced(instance);
  if (central) ok = balanced(*central) && ok;
  if (!ok) std::fprintf(stderr, "error: emitted != accepted + dropped + spooled for a destination\n");
  return ok;
}

// Names the cause of each destination's last failure, when it lost items or has not
// delivered everything (the diagnostics channel has already written the details to stderr):
//   instance: connection_failed (libcurl 7): Failed to connect to 127.0.0.1 port 1 ...
// True when no destination failed.
template <class Sender>
bool print_failures(const Sender& sender) {
  bool ok = true;
  auto report = [&](const char* name, const tel::transport::sink_statistics& s) {
    const bool failed = s.dropped_total() != 0 || s.pending() != 0 || s.spooled != 0;
    if (!failed) return;
    ok = false;
    std::printf("%s: ", name);
    if (!s.last_failure) {
      std::printf("%llu items not delivered (no transport failure recorded)\n",
                  static_cast<unsigned long long>(s.emitted + s.restored - s.accepted));
      return;
    }
    const auto& f = *s.last_failure;
    const std::string_view kind = tel::transport::to_string(f.kind);
    std::printf("%.*s", static_cast<int>(kind.size()), kind.data());
    if (f.http_status != 0) std::printf(" (HTTP %d)", f.http_status);
    if (f.transport_code != 0) std::printf(" (libcurl %d)", f.transport_code);
    if (!f.detail.empty()) std::printf(": %s", f.detail.c_str());
    std::printf("\n");
  };
  report("instance", sender.instance_statistics());
  if (const auto central = sender.central_statistics()) report("central", *central);
  std::fflush(stdout);
  return ok;
}

// Collects failed expectations and prints them; the examples exit non-zero if any failed.
class checks {
 public:
  void expect(bool condition, const std::string& what) {
    if (!condition) failures_.push_back(what);
  }
  // Prints the outcome; true when every expectation held.
  bool report() const {
    for (const auto& f : failures_) std::fprintf(stderr, "check failed: %s\n", f.c_str());
    return failures_.empty();
  }

 private:
  std::vector<std::string> failures_;
};

template <class Context>
std::set<std::string> context_keys() {
  std::set<std::string> keys;
  for (auto name : tel::full_field_names<Context>) keys.emplace(name);
  return keys;
}

}  // namespace demo
