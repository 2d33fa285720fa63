// How the testing component's functions are compiled (docs/separate-compilation.md).
//
// Header-only (the default): the public headers include their definitions
// (impl/*.ipp), marked `inline`, and every translation unit compiles them.
//
// With ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION defined for every translation unit of the
// program: the public headers declare only, without Beast, Asio or the coroutine
// machinery, and exactly one translation unit includes
// <onefuzz/telemetry/testing/src.hpp>, which holds the definitions.
#pragma once

#ifdef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#define ONEFUZZ_TELEMETRY_TESTING_DECL
#else
#define ONEFUZZ_TELEMETRY_TESTING_DECL inline
#endif
