// Helpers shared by the integrations tests: captured data files, temporary directories,
// and waiting on a condition with a deadline (never a sleep as synchronisation).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace integrations_test {

// The committed output of real fuzzer runs (tests/integrations/data, see capture.sh).
inline std::filesystem::path data_file(std::string_view name) {
  return std::filesystem::path{ONEFUZZ_INTEGRATIONS_DATA_DIR} / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path.string());
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

inline void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

// A fresh directory under the system's temporary directory, removed with its contents.
class temp_dir {
 public:
  temp_dir() {
    std::random_device device;
    path_ = std::filesystem::temp_directory_path() / ("onefuzz-integrations-" + std::to_string(device()) + "-" +
                                                      std::to_string(device()));
    std::filesystem::create_directories(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Values appended from any thread; a test waits until a predicate on them holds.
template <class T>
class collector {
 public:
  void add(T value) {
    {
      std::lock_guard lock(mutex_);
      values_.push_back(std::move(value));
    }
    changed_.notify_all();
  }

  // True when `done(values)` held before the deadline.
  bool wait_until(const std::function<bool(const std::vector<T>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(values_); });
  }

  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    return wait_until([n](const std::vector<T>& values) { return values.size() >= n; }, timeout);
  }

  std::vector<T> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> values_;
};

}  // namespace integrations_test
