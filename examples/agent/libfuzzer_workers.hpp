// Runs libFuzzer workers the way the OneFuzz agent's libfuzzer_fuzz task does: each worker is
// one libFuzzer process on a shared corpus, restarted as a new run when it exits early (after
// a crash), with its stderr read live, line by line. Example code, not part of the library.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace demo {

using clock = std::chrono::steady_clock;

struct worker_options {
  std::filesystem::path fuzz_target;
  std::filesystem::path inputs;   // the shared corpus (new_coverage)
  std::filesystem::path crashes;  // -artifact_prefix (new_result)
  unsigned workers = 2;
  std::chrono::seconds duration{6};
  unsigned max_runs_per_worker = 3;
};

// What the caller hears about.
struct worker_callbacks {
  // A line of a worker's stderr, without its '\n'.
  std::function<void(std::uint64_t worker, const onefuzz::telemetry::catalog::run_id& run, std::string_view line)>
      on_line;
  std::function<void(std::uint64_t worker, unsigned run_number, pid_t pid)> on_start;
  std::function<void(std::uint64_t worker, unsigned run_number, int exit_code, bool restarting)> on_exit;
  // About once a second for each running worker (process stats sampling).
  std::function<void(std::uint64_t worker, const onefuzz::telemetry::catalog::run_id& run, pid_t pid)> on_tick;
};

class libfuzzer_workers {
 public:
  libfuzzer_workers(worker_options options, worker_callbacks callbacks)
      : options_(std::move(options)), callbacks_(std::move(callbacks)) {}

  // Runs every worker until the duration is over; returns the number of runs started.
  unsigned run() {
    deadline_ = clock::now() + options_.duration;
    workers_.resize(options_.workers);
    for (std::uint64_t id = 0; id < workers_.size(); ++id) start(id);
    auto next_tick = clock::now() + std::chrono::seconds{1};
    const auto kill_at = deadline_ + std::chrono::seconds{3};  // libFuzzer checks its time about once a second
    bool killed = false;
    while (any_running()) {
      std::vector<pollfd> fds;
      std::vector<std::uint64_t> owners;
      for (std::uint64_t id = 0; id < workers_.size(); ++id) {
        if (workers_[id].fd >= 0) {
          fds.push_back({workers_[id].fd, POLLIN, 0});
          owners.push_back(id);
        }
      }
      const auto now = clock::now();
      if (!killed && now >= kill_at) {
        for (auto& w : workers_) {
          if (w.pid > 0) ::kill(w.pid, SIGKILL);
        }
        killed = true;
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now).count();
      const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait, 0)));
      if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) read_from(owners[i]);
      }
      if (clock::now() >= next_tick) {
        next_tick += std::chrono::seconds{1};
        for (std::uint64_t id = 0; id < workers_.size(); ++id) {
          if (workers_[id].pid > 0 && callbacks_.on_tick) callbacks_.on_tick(id, workers_[id].run, workers_[id].pid);
        }
      }
    }
    return runs_started_;
  }

 private:
  struct worker {
    pid_t pid = -1;
    int fd = -1;
    unsigned runs = 0;
    onefuzz::telemetry::catalog::run_id run;
    std::string partial;  // a line not yet ended by '\n'
  };

  bool any_running() const {
    for (const auto& w : workers_) {
      if (w.fd >= 0) return true;
    }
    return false;
  }

  void start(std::uint64_t id) {
    auto& w = workers_[id];
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline_ - clock::now());
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    std::vector<std::string> args = {
        options_.fuzz_target.string(),
        "-seed=" + std::to_string(1000 * (id + 1) + w.runs),
        "-max_total_time=" + std::to_string(left.count()),
        "-artifact_prefix=" + options_.crashes.string() + "/",
        "-print_final_stats=0",
        options_.inputs.string(),
    };
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (rc != 0) {
      ::close(pipe_fds[0]);
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + args[0]);
    }
    ::fcntl(pipe_fds[0], F_SETFL, ::fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
    w.pid = pid;
    w.fd = pipe_fds[0];
    w.run = onefuzz::telemetry::catalog::run_id::random();
    ++w.runs;
    ++runs_started_;
    if (callbacks_.on_start) callbacks_.on_start(id, w.runs, pid);
  }

  void read_from(std::uint64_t id) {
    auto& w = workers_[id];
    char buffer[8192];
    for (;;) {
      const ssize_t got = ::read(w.fd, buffer, sizeof buffer);
      if (got > 0) {
        w.partial.append(buffer, static_cast<std::size_t>(got));
        std::size_t at = 0;
        for (std::size_t nl; (nl = w.partial.find('\n', at)) != std::string::npos; at = nl + 1) {
          if (callbacks_.on_line) callbacks_.on_line(id, w.run, std::string_view{w.partial}.substr(at, nl - at));
        }
        w.partial.erase(0, at);
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
      // End of stderr: the process is exiting.
      if (!w.partial.empty() && callbacks_.on_line) callbacks_.on_line(id, w.run, w.partial);
      w.partial.clear();
      ::close(w.fd);
      w.fd = -1;
      int status = 0;
      ::waitpid(w.pid, &status, 0);
      w.pid = -1;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // Restart as the agent does after a crash, while at least 2 s are left.
      const bool restart = code != 0 && w.runs < options_.max_runs_per_worker &&
                           deadline_ - clock::now() >= std::chrono::seconds{2};
      if (callbacks_.on_exit) callbacks_.on_exit(id, w.runs, code, restart);
      if (restart) start(id);
      return;
    }
  }

  worker_options options_;
  worker_callbacks callbacks_;
  std::vector<worker> workers_;
  clock::time_point deadline_{};
  unsigned runs_started_ = 0;
};

}  // namespace demo
