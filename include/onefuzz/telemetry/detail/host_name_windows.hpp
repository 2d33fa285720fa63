// detail::host_name() on Windows: GetComputerNameExW, converted to UTF-8. It needs no
// Winsock initialisation (gethostname would need WSAStartup first). Included through
// detail/host_name.hpp; empty elsewhere, so that every header compiles on its own.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/detail/utf16.hpp>

// <windows.h> without its min/max macros (which would break std::numeric_limits<T>::max()
// in the headers that follow) and without the rarely used APIs. A program that includes
// <windows.h> itself before this library should define NOMINMAX too (docs/windows.md).
#if !defined(NOMINMAX)
#define NOMINMAX
#define ONEFUZZ_TELEMETRY_UNDEFINE_NOMINMAX
#endif
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define ONEFUZZ_TELEMETRY_UNDEFINE_WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#if defined(ONEFUZZ_TELEMETRY_UNDEFINE_NOMINMAX)
#undef NOMINMAX
#undef ONEFUZZ_TELEMETRY_UNDEFINE_NOMINMAX
#endif
#if defined(ONEFUZZ_TELEMETRY_UNDEFINE_WIN32_LEAN_AND_MEAN)
#undef WIN32_LEAN_AND_MEAN
#undef ONEFUZZ_TELEMETRY_UNDEFINE_WIN32_LEAN_AND_MEAN
#endif

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
