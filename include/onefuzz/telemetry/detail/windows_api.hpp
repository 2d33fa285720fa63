// <windows.h> for the library's Windows code, in one place: without its min/max macros
// (which would break std::numeric_limits<T>::max() in the headers that follow) and without
// the rarely used APIs; both macros are undefined again afterwards unless the program had
// defined them. A program that includes <windows.h> itself before this library should
// define NOMINMAX too (docs/windows.md). Empty elsewhere, so that it compiles on its own.
#pragma once

#if defined(_WIN32)

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

#endif  // _WIN32
