// The transport's definitions, for separate compilation (docs/separate-compilation.md): with
// ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION defined for the whole program, include this header
// in exactly one source file, e.g.
//
//   // onefuzz_transport.cpp
//   #include <onefuzz/telemetry/transport/src.hpp>
//
// and link that file (or a library built from it) into the program, with libcurl, zlib and
// Boost.JSON (CURL::libcurl, ZLIB::ZLIB, Boost::json, as onefuzz::telemetry_transport does).
// It holds what the sender calls that is not a template: the sender's worker loop and
// shutdown (detail/sender_core.hpp), the destinations and their posting threads, delivery
// over libcurl, the spool, the diagnostics channel, connection strings, the environment's
// destinations and the operator settings. The sender stays a template in sender.hpp, whose
// includes then leave out libcurl, zlib, Boost.JSON, the spool's file code and the threads'
// headers (<thread>, <condition_variable>). Without the macro the public headers already hold everything inline, and including
// this header adds nothing.
#pragma once

#include <onefuzz/telemetry/transport/connection_string.hpp>
#include <onefuzz/telemetry/transport/detail/destination.hpp>
#include <onefuzz/telemetry/transport/detail/event_writer.hpp>
#include <onefuzz/telemetry/transport/detail/sender_core.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/transport/operator_settings.hpp>

#ifdef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/connection_string.ipp>
#include <onefuzz/telemetry/transport/impl/destination.ipp>
#include <onefuzz/telemetry/transport/impl/diagnostics.ipp>
#include <onefuzz/telemetry/transport/impl/environment.ipp>
#include <onefuzz/telemetry/transport/impl/event_writer.ipp>
#include <onefuzz/telemetry/transport/impl/operator_settings.ipp>
#include <onefuzz/telemetry/transport/impl/sender_core.ipp>
#endif
