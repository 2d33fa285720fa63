// The OS source of the machine id on Windows: the MachineGuid value of
// HKLM\SOFTWARE\Microsoft\Cryptography, which Windows sets at installation (a GUID without
// braces). Included through integrations/machine_id_chain.hpp, the chain it is one step
// of; empty elsewhere (machine_id_linux.hpp), so that every header compiles on its own.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/detail/utf16.hpp>
#include <onefuzz/telemetry/integrations/machine_id_file.hpp>
#include <onefuzz/telemetry/result.hpp>

// <windows.h> without min/max macros or the rarely used APIs.
#include <onefuzz/telemetry/detail/windows_api.hpp>

#include <cwchar>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::integrations {

// Where the OS keeps the machine id. A base of machine_id_options: these are its fields.
// Tests point them at a key of their own under HKEY_CURRENT_USER.
struct os_machine_id_source {
  HKEY os_machine_guid_root = HKEY_LOCAL_MACHINE;
  // The key under the root. Empty: skip this source.
  std::wstring os_machine_guid_key{L"SOFTWARE\\Microsoft\\Cryptography"};
  std::wstring os_machine_guid_value{L"MachineGuid"};
};

namespace detail {

inline bool os_machine_id_enabled(const os_machine_id_source& source) noexcept {
  return !source.os_machine_guid_key.empty();
}

// The source's name for messages: "HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid".
inline std::string registry_value_name(const os_machine_id_source& source) {
  std::string out = source.os_machine_guid_root == HKEY_LOCAL_MACHINE  ? "HKLM\\"
                    : source.os_machine_guid_root == HKEY_CURRENT_USER ? "HKCU\\"
                                                                       : "";
  telemetry::detail::append_utf16_as_utf8(out, std::wstring_view{source.os_machine_guid_key});
  out += '\\';
  telemetry::detail::append_utf16_as_utf8(out, std::wstring_view{source.os_machine_guid_value});
  return out;
}

// Closes a registry key when it goes out of scope.
class registry_key {
 public:
  registry_key() noexcept = default;
  registry_key(const registry_key&) = delete;
  registry_key& operator=(const registry_key&) = delete;
  ~registry_key() {
    if (key_ != nullptr) ::RegCloseKey(key_);
  }
  HKEY* out() noexcept { return &key_; }
  [[nodiscard]] HKEY get() const noexcept { return key_; }

 private:
  HKEY key_ = nullptr;
};

// Reads the value as a string. The key is opened in the 64-bit view (KEY_WOW64_64KEY): a
// 32-bit process would otherwise be redirected to WOW6432Node, where Windows keeps no
// MachineGuid. The error names the value and the Windows error code (2: not found).
inline result<catalog::machine_id> read_os_machine_id(const os_machine_id_source& source) {
  registry_key key;
  LSTATUS status = ::RegOpenKeyExW(source.os_machine_guid_root, source.os_machine_guid_key.c_str(), 0,
                                   KEY_QUERY_VALUE | KEY_WOW64_64KEY, key.out());
  if (status != ERROR_SUCCESS) {
    return error{"cannot open " + registry_value_name(source) + " (Windows error " + std::to_string(status) + ")"};
  }
  // A GUID is 38 characters with braces; anything near the buffer's size is not one, and
  // RegGetValueW then fails with ERROR_MORE_DATA instead of cutting it.
  wchar_t text[128] = {};
  DWORD bytes = sizeof text;
  // RRF_RT_REG_SZ: a value of another type fails (ERROR_UNSUPPORTED_TYPE); the string is
  // always NUL-terminated, and `bytes` counts the NUL.
  status = ::RegGetValueW(key.get(), nullptr, source.os_machine_guid_value.c_str(), RRF_RT_REG_SZ, nullptr, text, &bytes);
  if (status != ERROR_SUCCESS) {
    return error{"cannot read " + registry_value_name(source) + " as a string (Windows error " +
                       std::to_string(status) + ")"};
  }
  // Up to the first NUL: a value stored with extra NULs is read as what precedes them.
  const std::size_t length = ::wcsnlen(text, bytes / sizeof(wchar_t));
  std::string utf8;
  telemetry::detail::append_utf16_as_utf8(utf8, std::wstring_view{text, length});
  return parse_machine_id_text(utf8, registry_value_name(source));
}

}  // namespace detail

}  // namespace onefuzz::telemetry::integrations

#endif
