// How the non-template functions of the components that offer separate compilation (the
// transport, the testing component) are compiled (docs/separate-compilation.md). One macro
// switches them all, so one macro marks their functions.
//
// Header-only (the default): the public headers include their definitions (impl/*.ipp),
// marked `inline`, and every translation unit compiles them.
//
// With ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION defined for every translation unit of the
// program: those headers declare only, without the heavy headers the definitions need
// (libcurl, zlib, Boost.JSON and the spool's file code for the transport; Beast, Asio and
// the coroutine machinery for the testing component), and exactly one translation unit
// includes each component's src.hpp (<onefuzz/telemetry/transport/src.hpp>,
// <onefuzz/telemetry/testing/src.hpp>), which holds the definitions.
#pragma once

#ifdef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#define ONEFUZZ_TELEMETRY_DECL
#else
#define ONEFUZZ_TELEMETRY_DECL inline
#endif
