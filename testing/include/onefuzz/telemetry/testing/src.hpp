// The testing component's definitions, for separate compilation
// (docs/separate-compilation.md): with ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION defined for
// the whole program, include this header in exactly one source file, e.g.
//
//   // onefuzz_testing.cpp
//   #include <onefuzz/telemetry/testing/src.hpp>
//
// and link that file (or a library built from it) into the program. It holds the loopback
// ingestion server's Beast/Asio code and the HTTPS server's, so that translation unit needs
// Boost's headers and OpenSSL 3's (link Boost::json, OpenSSL::SSL and OpenSSL::Crypto, as
// onefuzz::telemetry_testing does). Without the macro the public headers already hold
// everything inline, and including this header adds nothing.
#pragma once

#include "onefuzz/telemetry/testing/ingestion_server.hpp"
#include "onefuzz/telemetry/testing/tls_ingestion_server.hpp"

#ifdef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include "onefuzz/telemetry/testing/impl/ingestion_server.ipp"
#include "onefuzz/telemetry/testing/impl/tls_ingestion_server.ipp"
#endif
