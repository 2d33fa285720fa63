// The text a std::filesystem::path field is sent as: UTF-8 on every platform.
//
// Templates over the path type, so that this header (and the serializer) need only its
// declaration (detail/std_names.hpp): a path is read only where an event has a path field,
// whose declaration already required the complete type from <filesystem>.
#pragma once

#include <onefuzz/telemetry/detail/std_names.hpp>
#include <onefuzz/telemetry/json.hpp>

#include <concepts>
#include <cstdint>
#include <string_view>

#if defined(_WIN32)
#include <onefuzz/telemetry/detail/utf16.hpp>

#include <string>
#endif

namespace onefuzz::telemetry::detail {

#if defined(_WIN32)

// Windows: the native form is UTF-16 (wstring). It is converted into a buffer kept per
// thread, so a path field allocates only until the buffer has grown, like the payload
// buffers. The view is valid until the next call on the same thread: the serializer writes
// it out at once. Lone surrogates become U+FFFD and are counted in
// report.invalid_utf8_replaced, as the writer counts the bytes it repairs itself.
template <std::same_as<std::filesystem::path> Path>
std::string_view path_text(const Path& path, write_report& report) {
  thread_local std::string buffer;
  buffer.clear();
  report.invalid_utf8_replaced += static_cast<std::uint32_t>(
      append_utf16_as_utf8(buffer, std::wstring_view{path.native()}));
  return buffer;
}

#else

// POSIX: the native form is the bytes the OS gave, sent as they are (the JSON writer
// repairs what is not UTF-8 and counts it), as the original agent did.
template <std::same_as<std::filesystem::path> Path>
std::string_view path_text(const Path& path, write_report&) noexcept {
  return path.native();
}

#endif

}  // namespace onefuzz::telemetry::detail
