// detail::host_name() on Windows: GetComputerNameExW, converted to UTF-8. It needs no
// Winsock initialisation (gethostname would need WSAStartup first). Included through
// detail/host_name.hpp; empty elsewhere, so that every header compiles on its own.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/detail/utf16.hpp>

// <windows.h> without min/max macros or the rarely used APIs.
#include <onefuzz/telemetry/detail/windows_api.hpp>

#include <string>
#include <string_view>

namespace onefuzz::telemetry::detail {

// The DNS host name without the domain, the counterpart of what gethostname() gives on
// Linux; "unknown" when it cannot be read.
inline std::string host_name() {
  wchar_t name[256] = {};
  DWORD size = sizeof name / sizeof name[0];  // in: capacity; out: length without the NUL
  if (!::GetComputerNameExW(ComputerNameDnsHostname, name, &size) || size == 0) {
    return "unknown";
  }
  std::string out;
  append_utf16_as_utf8(out, std::wstring_view{name, size});
  return out;
}

}  // namespace onefuzz::telemetry::detail

#endif
