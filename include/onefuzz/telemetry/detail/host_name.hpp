// This machine's host name, for the full envelope's ai.cloud.roleInstance and ai.device.id
// tags. One function, detail::host_name(), with one implementation per platform.
#pragma once

#if defined(_WIN32)
#include <onefuzz/telemetry/detail/host_name_windows.hpp>
#else
#include <onefuzz/telemetry/detail/host_name_posix.hpp>
#endif
