// Defines the Application Insights ingestion limits the library enforces: the service's
// documented limits for names (150) and values (8192), and the sizes the official SDKs cut
// an event name, the tags and the key to. README.md, "Input handling", says what happens
// to a value over its limit.
#pragma once

#include <cstddef>

namespace onefuzz::telemetry {

// Checked at compile time on event and field names.
inline constexpr std::size_t max_event_name_size = 512;
inline constexpr std::size_t max_property_name_size = 150;
// Values are cut to this many bytes of UTF-8 at a character boundary, and counted.
inline constexpr std::size_t max_property_value_size = 8192;
// Tag values (context tag keys).
inline constexpr std::size_t max_role_instance_size = 256;
inline constexpr std::size_t max_device_id_size = 1024;
inline constexpr std::size_t max_instrumentation_key_size = 40;

}  // namespace onefuzz::telemetry
