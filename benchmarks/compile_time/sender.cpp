// The transport's sender alone (libcurl, zlib, Boost.JSON, threads), nothing instantiated.
#include <onefuzz/telemetry/transport/sender.hpp>

int main() {}
