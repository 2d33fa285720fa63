// The spool's file system calls on Windows (docs/spool.md, docs/windows.md): the
// counterpart of spool_files_posix.hpp. The folder and every file are created with a
// protected DACL that grants the current user full control and nobody else, owned by that
// user; an existing folder or file is used only when it is owned by the user, no entry of its
// DACL grants another account anything, and it is not a reparse point (a symbolic link or
// junction: the counterpart of O_NOFOLLOW). FlushFileBuffers stands for fsync, and
// MoveFileExW (MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) for rename + folder fsync.
// Included through spool_files.hpp, which selects the platform; empty elsewhere.
#pragma once

#if defined(_WIN32)

#include <onefuzz/telemetry/detail/utf16.hpp>
#include <onefuzz/telemetry/detail/windows_api.hpp>

// After <windows.h>: GetSecurityInfo, ConvertSidToStringSidA (advapi32, linked by default).
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport::detail {

// Owns a HANDLE; closes it once. Null and INVALID_HANDLE_VALUE both mean none.
class unique_handle {
 public:
  unique_handle() noexcept = default;
  explicit unique_handle(HANDLE handle) noexcept : handle_(handle) {}
  unique_handle(unique_handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  unique_handle& operator=(unique_handle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  unique_handle(const unique_handle&) = delete;
  unique_handle& operator=(const unique_handle&) = delete;
  ~unique_handle() { reset(); }

  [[nodiscard]] HANDLE get() const noexcept { return handle_; }
  [[nodiscard]] explicit operator bool() const noexcept {
    return handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE;
  }
  void reset() noexcept {
    if (*this) ::CloseHandle(handle_);
    handle_ = nullptr;
  }
  // Gives up ownership: the caller closes it.
  [[nodiscard]] HANDLE release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  HANDLE handle_ = nullptr;
};

inline std::error_code windows_error(DWORD code) noexcept {
  return {static_cast<int>(code), std::system_category()};
}
inline std::error_code last_windows_error() noexcept { return windows_error(::GetLastError()); }

// "S-1-5-21-...", for messages; a SID names an account without holding a secret.
inline std::string sid_text(PSID sid) {
  char* text = nullptr;
  if (sid == nullptr || !::ConvertSidToStringSidA(sid, &text)) return "an unreadable SID";
  std::string out{text};
  ::LocalFree(text);
  return out;
}

// A file name of the folder (UTF-8, as list() gives it) as a path.
inline std::filesystem::path utf8_name(const std::string& name) {
  return std::filesystem::path{std::u8string_view{reinterpret_cast<const char8_t*>(name.data()), name.size()}};
}

// The current user's SID and a security descriptor for what the spool creates: owned by
// that user (an elevated process would otherwise make the Administrators group the owner),
// with a protected DACL (nothing inherited from the parent) holding one entry that grants
// the user full control, inherited by the files created in the folder. Pinned in memory:
// the descriptor points into it.
class private_security {
 public:
  private_security() = default;
  private_security(const private_security&) = delete;
  private_security& operator=(const private_security&) = delete;

  std::error_code init() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return last_windows_error();
    const unique_handle owned{token};
    DWORD size = 0;
    (void)::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    if (size == 0) return last_windows_error();
    user_buffer_.assign(size, 0);
    if (!::GetTokenInformation(token, TokenUser, user_buffer_.data(), size, &size)) return last_windows_error();
    const PSID sid = user();
    const DWORD acl_size = sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) + ::GetLengthSid(sid);
    acl_buffer_.assign((acl_size + sizeof(DWORD) - 1) / sizeof(DWORD), 0);
    auto* acl = reinterpret_cast<PACL>(acl_buffer_.data());
    if (!::InitializeAcl(acl, acl_size, ACL_REVISION) ||
        !::AddAccessAllowedAceEx(acl, ACL_REVISION, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE, FILE_ALL_ACCESS, sid) ||
        !::InitializeSecurityDescriptor(&descriptor_, SECURITY_DESCRIPTOR_REVISION) ||
        !::SetSecurityDescriptorOwner(&descriptor_, sid, FALSE) ||
        !::SetSecurityDescriptorDacl(&descriptor_, TRUE, acl, FALSE) ||
        !::SetSecurityDescriptorControl(&descriptor_, SE_DACL_PROTECTED, SE_DACL_PROTECTED)) {
      return last_windows_error();
    }
    attributes_ = {sizeof(SECURITY_ATTRIBUTES), &descriptor_, FALSE};
    return {};
  }

  [[nodiscard]] PSID user() const noexcept {
    return reinterpret_cast<const TOKEN_USER*>(user_buffer_.data())->User.Sid;
  }
  [[nodiscard]] SECURITY_ATTRIBUTES* attributes() noexcept { return &attributes_; }

 private:
  std::vector<unsigned char> user_buffer_;  // TOKEN_USER (new[] memory: aligned for it)
  std::vector<DWORD> acl_buffer_;
  SECURITY_DESCRIPTOR descriptor_{};
  SECURITY_ATTRIBUTES attributes_{};
};

// Why a folder or file with these attributes is not one the spool may use; empty when it
// may be.
inline std::string attributes_reason(DWORD attributes, bool want_directory) {
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return "it is a reparse point (a symbolic link or junction)";
  const bool directory = (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  if (want_directory && !directory) return "it is not a directory";
  if (!want_directory && directory) return "it is a directory";
  return {};
}

// The same from the path, before anything is opened (GetFileAttributesW reports a reparse
// point itself, not its target: the counterpart of fstatat(AT_SYMLINK_NOFOLLOW)); nothing
// when it cannot be read (GetLastError() says why).
inline std::optional<std::string> path_reason(const std::filesystem::path& path, bool want_directory) {
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) return std::nullopt;
  return attributes_reason(attributes, want_directory);
}

// Why the folder or file behind `handle` (opened with FILE_FLAG_OPEN_REPARSE_POINT) is not
// the user's own private one; empty when it is. Deny entries only take access away, and an
// entry that grants nothing is harmless. Every other entry must be the user's, or
// LocalSystem's: the OS itself, which has every access anyway, as root has on POSIX (and
// which Windows puts on the folders a user creates). The spool never grants it.
inline std::string not_private_reason(HANDLE handle, bool want_directory, PSID user) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(handle, &info)) {
    return "it cannot be inspected: " + last_windows_error().message();
  }
  if (auto reason = attributes_reason(info.dwFileAttributes, want_directory); !reason.empty()) return reason;
  if (!want_directory && ::GetFileType(handle) != FILE_TYPE_DISK) return "it is not a regular file";
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD status = ::GetSecurityInfo(handle, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                         &owner, nullptr, &dacl, nullptr, &descriptor);
  if (status != ERROR_SUCCESS) return "its security descriptor cannot be read: " + windows_error(status).message();
  const std::unique_ptr<void, decltype(&::LocalFree)> release{descriptor, &::LocalFree};
  if (owner == nullptr || !::EqualSid(owner, user)) return "it is owned by another account (" + sid_text(owner) + ")";
  if (dacl == nullptr) return "it has no DACL, which gives every account full access";
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!::GetAce(dacl, i, &ace)) return "its DACL cannot be read";
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    if (header->AceType == ACCESS_DENIED_ACE_TYPE) continue;
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) {
      return "its DACL has an entry of a kind the spool does not accept (type " + std::to_string(header->AceType) + ")";
    }
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
    if (allowed->Mask == 0) continue;
    const PSID sid = &allowed->SidStart;
    if (!::EqualSid(sid, user) && !::IsWellKnownSid(sid, WinLocalSystemSid)) {
      return "its DACL gives another account access (" + sid_text(sid) + ")";
    }
  }
  return {};
}

// Opens a folder or file itself, never what a reparse point leads to, with the access the
// checks need (FILE_FLAG_BACKUP_SEMANTICS: a folder can only be opened so).
inline unique_handle open_for_inspection(const std::filesystem::path& path, DWORD access, DWORD share) {
  return unique_handle{::CreateFileW(path.c_str(), access | READ_CONTROL | FILE_READ_ATTRIBUTES, share, nullptr,
                                     OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                                     nullptr)};
}

// A spool file opened for reading, or why not (as in spool_files_posix.hpp).
struct spool_file {
  unique_handle handle;
  std::uint64_t size = 0;
  std::string refused;
  std::error_code error;
  bool vanished = false;

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle); }
  bool read_up_to(std::string& out, std::uint64_t limit) {
    out.clear();
    char buffer[65536];
    while (out.size() < limit) {
      const auto want = static_cast<DWORD>(std::min<std::uint64_t>(sizeof buffer, limit - out.size()));
      DWORD got = 0;
      if (!::ReadFile(handle.get(), buffer, want, &got, nullptr)) return false;
      if (got == 0) break;
      out.append(buffer, got);
    }
    return true;
  }
  void close() noexcept { handle.reset(); }
};

// The destination's private folder, held open without FILE_SHARE_DELETE, so that it cannot
// be renamed, removed or replaced by a link while the spool uses it: the names below it
// keep meaning what was checked (the counterpart of the *at() calls on POSIX, which
// Windows offers only through NtCreateFile).
class spool_directory {
 public:
  struct open_result;
  static open_result open(const std::filesystem::path& directory);

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(folder_); }

  // The entries of the folder that was checked, like fdopendir on POSIX: through a handle
  // of its own, opened afresh (wine keeps a handle's first listing and lists it again after
  // a restart), and used only when it is the same folder (volume and file index).
  std::error_code list(std::vector<std::string>& names) const {
    names.clear();
    const auto listing = open_for_inspection(path_, FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE);
    if (!listing) return last_windows_error();
    BY_HANDLE_FILE_INFORMATION listed{};
    BY_HANDLE_FILE_INFORMATION held{};
    if (!::GetFileInformationByHandle(listing.get(), &listed) || !::GetFileInformationByHandle(folder_.get(), &held)) {
      return last_windows_error();
    }
    if (listed.dwVolumeSerialNumber != held.dwVolumeSerialNumber || listed.nFileIndexHigh != held.nFileIndexHigh ||
        listed.nFileIndexLow != held.nFileIndexLow) {
      return windows_error(ERROR_FILE_INVALID);
    }
    alignas(8) unsigned char buffer[65536];
    for (;;) {
      if (!::GetFileInformationByHandleEx(listing.get(), FileIdBothDirectoryInfo, buffer, sizeof buffer)) {
        const DWORD error = ::GetLastError();
        return error == ERROR_NO_MORE_FILES ? std::error_code{} : windows_error(error);
      }
      for (std::size_t offset = 0;;) {
        const auto* item = reinterpret_cast<const FILE_ID_BOTH_DIR_INFO*>(buffer + offset);
        const std::wstring_view name{item->FileName, item->FileNameLength / sizeof(wchar_t)};
        if (name != L"." && name != L"..") {
          std::string utf8;
          // A name that is not valid UTF-16 cannot be one of ours: not listed.
          if (telemetry::detail::append_utf16_as_utf8(utf8, name) == 0) names.push_back(std::move(utf8));
        }
        if (item->NextEntryOffset == 0) break;
        offset += item->NextEntryOffset;
      }
    }
  }

  [[nodiscard]] std::optional<std::string> inspect(const std::string& name) const {
    const auto path = path_ / utf8_name(name);
    auto reason = path_reason(path, false);
    if (!reason || !reason->empty()) return reason;
    const auto file = open_for_inspection(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    if (!file) return std::nullopt;
    return not_private_reason(file.get(), false, security_->user());
  }

  // No FILE_SHARE_WRITE: nobody changes the file while it is read. A file that cannot be
  // opened for reading is inspected without reading it, so another account's file is
  // refused (left alone) rather than counted as our own damaged one.
  [[nodiscard]] spool_file open_own(const std::string& name) const {
    const auto path = path_ / utf8_name(name);
    spool_file file;
    auto reason = path_reason(path, false);
    if (reason && !reason->empty()) {
      file.refused = std::move(*reason);
      return file;
    }
    if (reason) file.handle = open_for_inspection(path, GENERIC_READ, FILE_SHARE_READ);
    if (!file.handle) {
      const DWORD error = ::GetLastError();
      file.error = windows_error(error);
      file.vanished = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
      if (file.vanished) return file;
      if (const auto inspected = inspect(name)) file.refused = *inspected;
      return file;
    }
    LARGE_INTEGER size{};
    if (::GetFileSizeEx(file.handle.get(), &size)) file.size = static_cast<std::uint64_t>(size.QuadPart);
    file.refused = not_private_reason(file.handle.get(), false, security_->user());
    if (!file.refused.empty()) file.handle.reset();
    return file;
  }

  std::error_code remove(const std::string& name) const {
    if (::DeleteFileW((path_ / utf8_name(name)).c_str())) return {};
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return {};
    return windows_error(error);
  }

  // Nothing to do: renames are written through (MOVEFILE_WRITE_THROUGH); Windows offers no
  // call that makes a removal durable on its own (docs/windows.md).
  std::error_code sync() const noexcept { return {}; }

  std::error_code write_durably(const std::string& temporary, const std::string& final_name, std::string_view header,
                                std::string_view body, const char*& step) const {
    const auto temporary_path = path_ / utf8_name(temporary);
    step = "cannot create a file in";
    // CREATE_NEW: never an existing file or link (O_CREAT | O_EXCL); the explicit
    // descriptor, whatever the folder would pass on (fchmod 0600 on POSIX).
    unique_handle file{::CreateFileW(temporary_path.c_str(), GENERIC_WRITE, 0, security_->attributes(), CREATE_NEW,
                                     FILE_ATTRIBUTE_NORMAL, nullptr)};
    if (!file) return last_windows_error();
    std::error_code error;
    step = "cannot write a file in";
    if (!write_all(file.get(), header) || !write_all(file.get(), body) || !::FlushFileBuffers(file.get())) {
      error = last_windows_error();
    }
    if (!::CloseHandle(file.release()) && !error) error = last_windows_error();
    if (!error) {
      step = "cannot rename a file in";
      if (!::MoveFileExW(temporary_path.c_str(), (path_ / utf8_name(final_name)).c_str(),
                         MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        error = last_windows_error();
      }
    }
    if (error) (void)::DeleteFileW(temporary_path.c_str());
    return error;
  }

 private:
  static bool write_all(HANDLE file, std::string_view text) {
    while (!text.empty()) {
      const auto want = static_cast<DWORD>(std::min<std::size_t>(text.size(), 1u << 30));
      DWORD written = 0;
      if (!::WriteFile(file, text.data(), want, &written, nullptr)) return false;
      if (written == 0) {
        ::SetLastError(ERROR_WRITE_FAULT);
        return false;
      }
      text.remove_prefix(written);
    }
    return true;
  }

  std::unique_ptr<private_security> security_;
  std::filesystem::path path_;
  unique_handle folder_;
};

struct spool_directory::open_result {
  spool_directory folder;
  std::string problem;  // empty when `folder` is open
  std::error_code error;
};

// Creates `directory` (and its missing parents) with the private descriptor if missing, then
// opens the folder itself and accepts it only when it is a directory of the current user
// whose DACL gives nobody else access. The parent path may go through reparse points (the
// operator's choice of root); the folder itself may not. An existing DACL is never changed.
inline spool_directory::open_result spool_directory::open(const std::filesystem::path& requested) {
  open_result result;
  auto directory = requested;
  if (!directory.has_filename()) directory = directory.parent_path();  // "root\name\"
  const auto name = directory.filename();
  if (name.empty() || name == "." || name == "..") {
    result.problem = "the spool folder needs a name of its own";
    result.error = std::error_code(EINVAL, std::generic_category());
    return result;
  }
  auto security = std::make_unique<private_security>();
  if (const auto error = security->init()) {
    result.problem = "cannot read the current user's SID: " + error.message();
    result.error = error;
    return result;
  }
  std::filesystem::path prefix;
  for (const auto& part : directory.parent_path()) {  // errors are left to the open below
    prefix /= part;
    if (prefix != prefix.root_path()) (void)::CreateDirectoryW(prefix.c_str(), security->attributes());
  }
  if (!::CreateDirectoryW(directory.c_str(), security->attributes()) && ::GetLastError() != ERROR_ALREADY_EXISTS) {
    result.error = last_windows_error();
    result.problem = "cannot create the spool folder: " + result.error.message();
    return result;
  }
  if (auto reason = path_reason(directory, true); reason && !reason->empty()) {
    result.problem = "refusing the spool folder: " + *reason;
    result.error = std::error_code(EPERM, std::generic_category());
    return result;
  }
  auto folder = open_for_inspection(directory, FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE);
  if (!folder) {
    result.error = last_windows_error();
    result.problem = "cannot open the spool folder: " + result.error.message();
    return result;
  }
  if (auto reason = not_private_reason(folder.get(), true, security->user()); !reason.empty()) {
    result.problem = "refusing the spool folder: " + reason + " (its DACL is never changed)";
    result.error = std::error_code(EPERM, std::generic_category());
    return result;
  }
  result.folder.security_ = std::move(security);
  result.folder.path_ = std::move(directory);
  result.folder.folder_ = std::move(folder);
  return result;
}

inline long spool_process_id() noexcept { return static_cast<long>(::GetCurrentProcessId()); }

}  // namespace onefuzz::telemetry::transport::detail

#endif  // _WIN32
