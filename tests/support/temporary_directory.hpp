// A private (0700) folder under the system's temporary folder, removed with everything in it
// when the object goes: the spool tests' roots, private as the spool requires of its folder.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

struct temporary_directory {
  std::filesystem::path path;

  temporary_directory() {
    std::random_device random;
    path = std::filesystem::temp_directory_path() / ("onefuzz-test-" + std::to_string(random()));
    std::filesystem::create_directory(path);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }
  ~temporary_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
};
