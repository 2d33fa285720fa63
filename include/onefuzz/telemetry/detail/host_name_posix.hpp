// detail::host_name() on Linux and other POSIX systems: gethostname(). Included through
// detail/host_name.hpp; empty on Windows, so that every header compiles on its own.
#pragma once

#if !defined(_WIN32)

#include <unistd.h>

#include <string>

namespace onefuzz::telemetry::detail {

// "unknown" when the name cannot be read.
inline std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace onefuzz::telemetry::detail

#endif
