// The spool's file system calls on POSIX (docs/spool.md): a private folder opened once and
// used through its descriptor, files accepted only when they are the process's own regular
// files, and writes made durable. POSIX calls only, so no std::filesystem exception can
// escape, and every refusal says why in words that never hold a key or file contents.
// Included through spool_files.hpp, which selects the platform; empty on Windows
// (spool_files_windows.hpp), so that every header compiles on its own.
#pragma once

#if !defined(_WIN32)

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport::detail {

// Owns a file descriptor; closes it once.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Gives up ownership: the caller closes it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

inline std::string errno_text(int error_number) { return std::generic_category().message(error_number); }

inline std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Why a folder or file is not the process's own private one; empty when it is. Ownership is
// read from fstat, never from access(): root passes every permission check.
inline std::string not_private_reason(const struct stat& info, bool want_directory) {
  if (want_directory ? !S_ISDIR(info.st_mode) : !S_ISREG(info.st_mode)) {
    if (S_ISLNK(info.st_mode)) return "it is a symbolic link";
    if (S_ISFIFO(info.st_mode)) return "it is a FIFO";
    if (S_ISDIR(info.st_mode)) return "it is a directory";
    return want_directory ? "it is not a directory" : "it is not a regular file";
  }
  if (info.st_uid != ::geteuid()) return "it is owned by another user (uid " + std::to_string(info.st_uid) + ")";
  // Setuid, setgid and sticky bits have no business on a spool file or folder either.
  if ((info.st_mode & 07077) != 0) return "its mode " + octal_mode(info.st_mode) + " gives other users access";
  return {};
}

// Creates the missing folders of `path`, mode 0700 (an existing one is never changed).
// Errors are left to the open that follows, which reports them.
inline void make_private_parents(const std::filesystem::path& path) {
  std::filesystem::path prefix;
  for (const auto& part : path) {
    prefix /= part;
    if (part == prefix.root_path() || part.empty()) continue;
    (void)::mkdir(prefix.c_str(), 0700);
  }
}

// The destination's folder, opened for use through its descriptor; or why it cannot be.
struct folder_open_result {
  unique_fd folder;
  std::string problem;  // empty when `folder` is open
  int error_number = 0;
};

// Creates `directory` (0700) below its parent if missing, then opens it without following a
// symbolic link and accepts it only when it is a directory of the effective user with no
// group or other permission bits. The parent path may go through links (the operator's
// choice of root); the folder itself, which this library names and creates, may not.
inline folder_open_result open_private_folder(std::filesystem::path directory) {
  folder_open_result result;
  if (!directory.has_filename()) directory = directory.parent_path();  // "root/name/"
  const auto name = directory.filename();
  if (name.empty() || name == "." || name == "..") {
    result.problem = "the spool folder needs a name of its own";
    result.error_number = EINVAL;
    return result;
  }
  const auto parent = directory.parent_path();
  unique_fd parent_fd;
  int at = AT_FDCWD;
  if (!parent.empty()) {
    make_private_parents(parent);
    parent_fd = unique_fd{::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!parent_fd) {
      result.error_number = errno;
      result.problem = "cannot open the spool root: " + errno_text(result.error_number);
      return result;
    }
    at = parent_fd.get();
  }
  if (::mkdirat(at, name.c_str(), 0700) != 0 && errno != EEXIST) {
    result.error_number = errno;
    result.problem = "cannot create the spool folder: " + errno_text(result.error_number);
    return result;
  }
  unique_fd folder{::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  struct stat info {};
  if (!folder) {
    result.error_number = errno;
    // O_NOFOLLOW on a link fails with ELOOP, O_DIRECTORY on anything else with ENOTDIR.
    if (::fstatat(at, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(info.st_mode)) {
      result.problem = "refusing the spool folder: " + not_private_reason(info, true);
      result.error_number = EPERM;
    } else {
      result.problem = "cannot open the spool folder: " + errno_text(result.error_number);
    }
    return result;
  }
  if (::fstat(folder.get(), &info) != 0) {
    result.error_number = errno;
    result.problem = "cannot inspect the spool folder: " + errno_text(result.error_number);
    return result;
  }
  if (auto reason = not_private_reason(info, true); !reason.empty()) {
    result.problem = "refusing the spool folder: " + reason + " (it is never chmod-ed)";
    result.error_number = EPERM;
    return result;
  }
  result.folder = std::move(folder);
  return result;
}

// A spool file opened for reading, when it is the effective user's own private regular
// file; otherwise `refused` (not ours: left alone) or `error_number` (gone, or it cannot be
// opened or inspected) says why. `info` is from fstat once opened, else from fstatat.
struct file_open_result {
  unique_fd file;
  struct stat info {};
  std::string refused;  // not our own private regular file
  int error_number = 0;
};

// O_NONBLOCK: a FIFO planted under a spool name must not block the open; fstatat first, so
// a device or FIFO is not even opened; fstat after, as that is what was opened.
inline file_open_result open_own_file(int folder, const char* name) {
  file_open_result result;
  struct stat before {};
  if (::fstatat(folder, name, &before, AT_SYMLINK_NOFOLLOW) != 0) {
    result.error_number = errno;
    return result;
  }
  result.info = before;
  if (result.refused = not_private_reason(before, false); !result.refused.empty()) return result;
  result.file = unique_fd{::openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (!result.file) {
    result.error_number = errno;
    if (result.error_number == ELOOP) result.refused = "it is a symbolic link";
    return result;
  }
  if (::fstat(result.file.get(), &result.info) != 0) {
    result.error_number = errno;
    result.file.reset();
    return result;
  }
  if (result.refused = not_private_reason(result.info, false); !result.refused.empty()) result.file.reset();
  return result;
}

// Reads up to `limit` bytes; false on a read error.
inline bool read_up_to(int fd, std::string& out, std::uint64_t limit) {
  out.clear();
  char buffer[65536];
  while (out.size() < limit) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, limit - out.size()));
    const ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

inline bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Makes a rename or unlink in the folder durable. File systems that cannot sync a
// directory (EINVAL) have nothing more to offer, and are not an error.
inline bool sync_folder(int folder) { return ::fsync(folder) == 0 || errno == EINVAL; }

// Writes `header` and `body` to `temporary`, makes them durable, and renames the file to
// `final_name` (replacing a file of that name atomically), then makes the rename durable.
// On failure nothing is left under either name that was not there before, except when only
// the last directory sync failed (then the old file may be gone: the caller counts the
// items as lost). Returns 0 or the errno, with `step` naming what failed.
inline int write_durably(int folder, const std::string& temporary, const std::string& final_name,
                         std::string_view header, std::string_view body, const char*& step) {
  step = "cannot create a file in";
  unique_fd file{::openat(folder, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (!file) return errno;
  int error = 0;
  step = "cannot write a file in";
  // 0600 whatever the umask, so the reader's mode check accepts what was written.
  if (::fchmod(file.get(), 0600) != 0 || !write_all(file.get(), header) || !write_all(file.get(), body) ||
      ::fsync(file.get()) != 0) {
    error = errno;
  }
  if (::close(file.release()) != 0 && error == 0) error = errno;  // NFS reports late errors here
  if (error == 0) {
    step = "cannot rename a file in";
    if (::renameat(folder, temporary.c_str(), folder, final_name.c_str()) != 0) error = errno;
  }
  if (error != 0) {
    (void)::unlinkat(folder, temporary.c_str(), 0);
    return error;
  }
  step = "cannot sync the folder";
  if (!sync_folder(folder)) {
    error = errno;
    (void)::unlinkat(folder, final_name.c_str(), 0);
    return error;
  }
  return 0;
}

// ---- The interface spool.hpp uses (the same in spool_files_windows.hpp) ----

// A spool file opened for reading, or why not: `refused` (not our own private regular file:
// left alone), `vanished` (gone since listed), or `error`.
struct spool_file {
  unique_fd handle;
  std::uint64_t size = 0;
  std::string refused;
  std::error_code error;
  bool vanished = false;

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(handle); }
  // Reads up to `limit` bytes; false on a read error.
  bool read_up_to(std::string& out, std::uint64_t limit) { return detail::read_up_to(handle.get(), out, limit); }
  void close() noexcept { handle.reset(); }
};

// The destination's private folder, opened once; every operation names a file in it.
class spool_directory {
 public:
  struct open_result;
  // Creates and opens the folder, or says why it cannot be used (open_private_folder).
  static open_result open(const std::filesystem::path& directory);

  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(folder_); }

  // The names of the folder's entries (not "." and ".."), in no particular order.
  std::error_code list(std::vector<std::string>& names) const {
    names.clear();
    // Through a duplicate of the descriptor (closedir closes that).
    const int duplicate = ::fcntl(folder_.get(), F_DUPFD_CLOEXEC, 0);
    DIR* listing = duplicate >= 0 ? ::fdopendir(duplicate) : nullptr;
    if (listing == nullptr) {
      const std::error_code error(errno, std::generic_category());
      if (duplicate >= 0) ::close(duplicate);
      return error;
    }
    ::rewinddir(listing);  // the duplicate shares the offset of earlier listings
    while (const dirent* item = ::readdir(listing)) {
      const std::string_view name{item->d_name};
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(listing);
    return {};
  }

  // Why `name` is not our own private regular file ("" when it is), without opening it;
  // nothing when it is gone or cannot be inspected.
  [[nodiscard]] std::optional<std::string> inspect(const std::string& name) const {
    struct stat info {};
    if (::fstatat(folder_.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return not_private_reason(info, false);
  }

  [[nodiscard]] spool_file open_own(const std::string& name) const {
    auto opened = open_own_file(folder_.get(), name.c_str());
    spool_file file;
    file.handle = std::move(opened.file);
    file.size = static_cast<std::uint64_t>(opened.info.st_size);
    file.refused = std::move(opened.refused);
    if (opened.error_number != 0) file.error = std::error_code(opened.error_number, std::generic_category());
    file.vanished = opened.error_number == ENOENT;
    return file;
  }

  // Removes `name`; one already gone is no error.
  std::error_code remove(const std::string& name) const {
    if (::unlinkat(folder_.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      return std::error_code(errno, std::generic_category());
    }
    return {};
  }

  // Makes the renames and removals so far durable.
  std::error_code sync() const {
    if (sync_folder(folder_.get())) return {};
    return std::error_code(errno, std::generic_category());
  }

  // write_durably(), above: `step` names what failed.
  std::error_code write_durably(const std::string& temporary, const std::string& final_name, std::string_view header,
                                std::string_view body, const char*& step) const {
    if (const int error = detail::write_durably(folder_.get(), temporary, final_name, header, body, step)) {
      return std::error_code(error, std::generic_category());
    }
    return {};
  }

 private:
  unique_fd folder_;
};

struct spool_directory::open_result {
  spool_directory folder;
  std::string problem;  // empty when `folder` is open
  std::error_code error;
};

inline spool_directory::open_result spool_directory::open(const std::filesystem::path& directory) {
  auto opened = open_private_folder(directory);
  open_result result;
  result.problem = std::move(opened.problem);
  if (opened.error_number != 0) result.error = std::error_code(opened.error_number, std::generic_category());
  result.folder.folder_ = std::move(opened.folder);
  return result;
}

// For the names of spool files: the process id.
inline long spool_process_id() noexcept { return static_cast<long>(::getpid()); }

}  // namespace onefuzz::telemetry::transport::detail

#endif  // !_WIN32
