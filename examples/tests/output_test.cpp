// Runs the example programs as a user would and reads what they print: the demo's live line
// (one a second while it fuzzes, as it happens, key=value fields that make sense together)
// and its closing JSON counters; and, with the destination on a closed loopback port, the
// cause each example names before it exits 1. The programs' paths come from CMake.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

struct output_line {
  std::string text;
  clock_type::time_point arrived;  // when the test read it from the pipe
};

struct run_result {
  int exit_code = -1;
  std::vector<output_line> out;    // stdout, line by line
  std::string err;                 // stderr, whole
  clock_type::duration elapsed{};  // wall time from spawning the program to its exit
};

// The current environment without the variables that name destinations, plus `extra`.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  static const char* const destination_variables[] = {
      "APPLICATIONINSIGHTS_CONNECTION_STRING=", "APPINSIGHTS_INSTRUMENTATIONKEY=", "ONEFUZZ_INSTANCE_TELEMETRY_KEY=",
      "ONEFUZZ_TELEMETRY=", "ONEFUZZ_MICROSOFT_TELEMETRY_KEY="};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry = *e;
    bool destination = false;
    for (const char* prefix : destination_variables) destination = destination || entry.starts_with(prefix);
    if (!destination) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Runs `args` with `env`, reading stdout and stderr through pipes as they are written (as a
// user's `| tee` would), and waits for it to exit.
run_result run(std::vector<std::string> args, std::vector<std::string> env) {
  int out_pipe[2];
  int err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  pid_t pid = -1;
  const auto started = clock_type::now();
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  INFO("spawning " << args[0]);
  REQUIRE(rc == 0);

  run_result result;
  std::string partial;
  std::vector<pollfd> fds = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      REQUIRE(errno == EINTR);
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll() ignores negative descriptors
        continue;
      }
      if (i == 1) {
        result.err.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      const auto now = clock_type::now();
      partial.append(buffer, static_cast<std::size_t>(got));
      for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1)) {
        result.out.push_back({partial.substr(0, nl), now});
      }
    }
  }
  if (!partial.empty()) result.out.push_back({partial, clock_type::now()});
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  result.elapsed = clock_type::now() - started;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string all_of(const run_result& r) {
  std::string text;
  for (const auto& line : r.out) text += line.text + "\n";
  return text + "--- stderr ---\n" + r.err;
}

std::optional<std::uint64_t> to_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// A live line read back: the fields after "live", as numbers (t without its "s"). Nothing
// when the line is not a live line; a field that is not a number fails the test.
std::optional<std::map<std::string, std::uint64_t>> read_live_line(std::string_view line) {
  std::istringstream words{std::string{line}};
  std::string word;
  if (!(words >> word) || word != "live") return std::nullopt;
  std::map<std::string, std::uint64_t> fields;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;  // a label ("accepted:")
    std::string_view value = std::string_view{word}.substr(eq + 1);
    const std::string key = word.substr(0, eq);
    if (key == "t" && value.ends_with('s')) value.remove_suffix(1);
    const auto number = to_unsigned(value);
    INFO("field " << key << " of: " << line);
    REQUIRE(number.has_value());
    REQUIRE(fields.emplace(key, *number).second);  // each field once
  }
  return fields;
}

boost::json::object last_line_as_json(const run_result& r) {
  REQUIRE_FALSE(r.out.empty());
  boost::system::error_code ec;
  const auto value = boost::json::parse(r.out.back().text, ec);
  INFO("last line: " << r.out.back().text);
  REQUIRE(!ec);
  REQUIRE(value.is_object());
  return value.as_object();
}

std::uint64_t counter(const boost::json::object& counters, const char* destination, const char* name) {
  return counters.at(destination).as_object().at(name).to_number<std::uint64_t>();
}

}  // namespace

TEST_CASE("the demo's --help explains the live line and why exec/s starts at 0", "[examples][demo]") {
  const auto r = run({ONEFUZZ_DEMO_PROGRAM, "--help"}, environment_with({}));
  INFO(all_of(r));
  REQUIRE(r.exit_code == 0);
  const auto text = all_of(r);
  CHECK(text.find("live line") != std::string::npos);
  CHECK(text.find("exec/s") != std::string::npos);
  CHECK(text.find("first second") != std::string::npos);
}

TEST_CASE("the demo prints a live line each second while it fuzzes, then the JSON counters", "[examples][demo]") {
  const auto r = run({ONEFUZZ_DEMO_PROGRAM, "--local", "--seconds", "5", "--workers", "2"}, environment_with({}));
  INFO(all_of(r));
  REQUIRE(r.exit_code == 0);

  std::vector<std::map<std::string, std::uint64_t>> live;
  std::vector<clock_type::time_point> arrived;
  for (const auto& line : r.out) {
    if (auto fields = read_live_line(line.text)) {
      live.push_back(std::move(*fields));
      arrived.push_back(line.arrived);
    }
  }
  // Workers that crash early end the fuzzing before 5 s, but not before 2 s.
  REQUIRE(live.size() >= 2);
  const std::vector<std::string> expected_fields = {"t", "execs", "exec/s", "cov", "corpus", "crashes", "instance",
                                                    "central"};
  for (std::size_t i = 0; i < live.size(); ++i) {
    INFO("live line " << i);
    for (const auto& field : expected_fields) CHECK(live[i].contains(field));
    CHECK(live[i].size() == expected_fields.size());
    CHECK(live[i]["t"] == i + 1);  // one a second, none skipped, from 1 s
    // exec/s is each worker's executions over whole seconds, summed: never above the
    // executions themselves.
    CHECK(live[i]["exec/s"] <= live[i]["execs"]);
    if (i > 0) {
      // Totals only grow: restarts keep earlier runs' executions, and cov is the maximum.
      for (const char* field : {"execs", "cov", "corpus", "crashes", "instance", "central"}) {
        INFO(field);
        CHECK(live[i][field] >= live[i - 1][field]);
      }
    }
  }
  // By the last line the fuzzers have run, covered edges and found inputs, and telemetry
  // has reached both destinations (task_start and runtime_stats go out at once).
  CHECK(live.back()["execs"] > 0);
  CHECK(live.back()["cov"] > 0);
  CHECK(live.back()["corpus"] > 0);
  CHECK(live.back()["instance"] > 0);
  CHECK(live.back()["central"] > 0);

  // Printed as it happens, not all at once at exit: the first live line reached the pipe at
  // least a second before the last line of output.
  CHECK(r.out.back().arrived - arrived.front() >= std::chrono::seconds{1});

  // A note before the first live line says why exec/s reads 0 at first.
  bool note = false;
  for (const auto& line : r.out) {
    if (read_live_line(line.text)) break;
    const auto& text = line.text;
    note = note || (text.find("exec/s") != std::string::npos && text.find("whole number") != std::string::npos);
  }
  CHECK(note);

  // The output ends with the JSON counters: everything emitted was accepted, and no live
  // line claimed more than that.
  const auto counters = last_line_as_json(r);
  for (const char* destination : {"instance", "central"}) {
    INFO(destination);
    const auto accepted = counter(counters, destination, "accepted");
    CHECK(counter(counters, destination, "emitted") == accepted);
    CHECK(counters.at(destination).as_object().at("dropped").as_object().empty());
    CHECK(counter(counters, destination, "spooled") == 0);
    CHECK(live.back()[destination] <= accepted);
  }
}

// The key and the closed port the failure tests point the examples at; nothing listens on
// port 1 of the loopback interface (tcpmux, never served here).
constexpr const char* refused_key = "33333333-3333-4333-8333-333333333333";
const std::string refused_destination =
    std::string{"APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey="} + refused_key +
    ";IngestionEndpoint=http://127.0.0.1:1/";

// The failure tests run the examples with --wait 2: the first refused attempt names the
// cause at once, and the default 10 s wait at exit would only make the test idle. Such a run
// takes its 2 s wait plus the example's own work (the AFL run fuzzes for 1 s: about 3 s in
// all); one that ignored --wait would take over 10 s. The bound lies between, with room for
// a loaded machine, so that an example ignoring --wait fails the test instead of slowing it.
constexpr double refused_run_bound_seconds = 8;

// What an example prints when its only destination (the instance; no central configured)
// refuses every connection, run with --wait 2.
void check_refused_instance(const run_result& r) {
  INFO(all_of(r));
  CHECK(r.exit_code == 1);
  {
    const double elapsed_seconds = std::chrono::duration<double>(r.elapsed).count();
    INFO("expected the run to end within " << refused_run_bound_seconds
                                           << " s: --wait 2 should cut the wait at exit to 2 s (default 10 s)");
    CHECK(elapsed_seconds < refused_run_bound_seconds);
  }
  // The failed check names the wait it was given.
  CHECK(r.err.find("check failed: everything was delivered within 2 s\n") != std::string::npos);
  // "instance: <kind> (libcurl <code>): <libcurl's text>", and no line for central.
  std::optional<std::string> cause;
  for (const auto& line : r.out) {
    if (line.text.starts_with("instance: ")) cause = line.text.substr(10);
    CHECK_FALSE(line.text.starts_with("central: "));
  }
  REQUIRE(cause.has_value());
  const auto kind_end = cause->find(' ');
  REQUIRE(kind_end != std::string::npos);
  CHECK(cause->substr(0, kind_end) == "connection_failed");
  // libcurl's CURLE_COULDNT_CONNECT is 7 (curl.h).
  const auto code_at = cause->find("(libcurl ");
  REQUIRE(code_at != std::string::npos);
  const auto code_end = cause->find(')', code_at);
  REQUIRE(code_end != std::string::npos);
  CHECK(to_unsigned(std::string_view{*cause}.substr(code_at + 9, code_end - code_at - 9)) == 7u);
  CHECK(cause->find("127.0.0.1") != std::string::npos);  // libcurl's text names the address

  // Nothing was accepted, every item is accounted for, and central is absent.
  const auto counters = last_line_as_json(r);
  CHECK_FALSE(counters.contains("central"));
  CHECK(counter(counters, "instance", "accepted") == 0);
  CHECK(counter(counters, "instance", "emitted") > 0);
  // The key is never printed.
  CHECK(all_of(r).find(refused_key) == std::string::npos);
}

TEST_CASE("the service example names the cause when its destination refuses connections", "[examples][failure]") {
  check_refused_instance(run({ONEFUZZ_SERVICE_PROGRAM, "--wait", "2"}, environment_with({refused_destination})));
}

TEST_CASE("the AFL++ example names the cause when its destination refuses connections", "[examples][failure]") {
  check_refused_instance(
      run({ONEFUZZ_AFL_PROGRAM, "--seconds", "1", "--wait", "2"}, environment_with({refused_destination})));
}
