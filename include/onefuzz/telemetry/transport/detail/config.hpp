// How the transport's non-template functions are compiled (docs/separate-compilation.md).
//
// Header-only (the default): the public headers include their definitions
// (impl/*.ipp), marked `inline`, and every translation unit compiles them.
//
// With ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION defined for every translation unit of the
// program: the headers the sender needs declare only, without libcurl, zlib, Boost.JSON or
// the spool's file code, and exactly one translation unit includes
// <onefuzz/telemetry/transport/src.hpp>, which holds the definitions.
#pragma once

#ifdef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#define ONEFUZZ_TELEMETRY_TRANSPORT_DECL
#else
#define ONEFUZZ_TELEMETRY_TRANSPORT_DECL inline
#endif
