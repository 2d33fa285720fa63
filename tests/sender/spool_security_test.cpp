// The spool on a shared machine, against a hostile local user (docs/spool.md): a folder
// reached through a link, owned by someone else or open to others is refused and never
// chmod-ed; planted files (links, FIFOs, other owners, mode 0666) are never read, sent or
// deleted, and are counted; damaged files of our own count what they announced; writes
// are complete or absent, also on a full disk and in a read-only folder.
//
// Other users are real: the tests run as root and chown to 65534 ("nobody"), and the
// spool checks owners with fstat (root passes every permission check, so access() would
// prove nothing). The read-only folder runs in a child process that becomes uid 65534,
// and the full disk is a 64 KiB tmpfs. Where the process cannot do that (not root, no
// mount), the case says so with a warning and checks nothing.
#include "temporary_directory.hpp"
#include "sender_support.hpp"

#include <onefuzz/telemetry/transport/detail/spool_ledger.hpp>  // detail::spool_folder

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace spool_security_test {

namespace fs = std::filesystem;
using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::drop_reason;
using tel::transport::spool;
using tel::transport::spool_entry;
using tel::transport::spool_options;
using tel::transport::spool_read_error;

namespace {

constexpr uid_t other_user = 65534;

bool can_be_other_users() {
  if (::geteuid() == 0) return true;
  WARN("not running as root: the cases with another user's files cannot be made here");
  return false;
}

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

uid_t owner_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_uid;
}

void write_file(const fs::path& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out{path, std::ios::binary};
    out << text;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>(in), {}};
}

// A valid spool file of `items` items: what a planted file would hold to be sent.
std::string spool_text(std::size_t items, std::string_view marker) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string text = "onefuzz-spool 1 " + std::to_string(items) + " " + std::to_string(now_ms) + "\n";
  for (std::size_t i = 0; i < items; ++i) {
    if (i > 0) text += '\n';
    text += R"({"name":")" + std::string{marker} + R"(","n":)" + std::to_string(i) + "}";
  }
  return text;
}

tel::transport::detail::batch batch_of(std::size_t items, std::size_t padding = 0) {
  tel::transport::detail::batch batch;
  for (std::size_t i = 0; i < items; ++i) {
    batch.begin_item();
    batch.body().append(R"({"n":)" + std::to_string(i) + R"(,"pad":")" + std::string(padding, 'x') + "\"}");
  }
  return batch;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string refusal_of(const fs::path& folder) {
  try {
    spool refused{spool_options{.directory = folder}};
  } catch (const fs::filesystem_error& e) {
    return e.what();
  }
  return {};
}

// Runs `work` in a child process with uid and gid 65534; returns its exit status (0: every
// step passed; otherwise the failed step's number), or -1 when it could not run.
template <class F>
int as_other_user(F&& work) {
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (::setgid(other_user) != 0 || ::setuid(other_user) != 0) ::_exit(100);
    ::_exit(work());
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// A 64 KiB tmpfs mounted for the test's lifetime, when the process may mount one.
struct small_tmpfs {
  fs::path path;
  bool mounted = false;
  explicit small_tmpfs(const fs::path& where) : path(where) {
    fs::create_directory(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") == 0;
  }
  ~small_tmpfs() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

}  // namespace

TEST_CASE("the folder and its missing parents are created 0700, whatever the umask") {
  temporary_directory root;
  const auto folder = root.path / "a" / "b" / "instance-0123";
  const mode_t saved = ::umask(0);
  {
    spool created{spool_options{.directory = folder}};
  }
  ::umask(saved);
  CHECK(mode_of(root.path / "a") == 0700);
  CHECK(mode_of(root.path / "a" / "b") == 0700);
  CHECK(mode_of(folder) == 0700);
  // An existing root keeps its mode: the spool never chmods anything.
  fs::permissions(root.path / "a", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  spool reopened{spool_options{.directory = folder}};
  CHECK(mode_of(root.path / "a") == 0750);
}

TEST_CASE("a spool folder reached through a symbolic link is refused, and the link's target left as it was") {
  temporary_directory root;
  const auto target = root.path / "elsewhere";
  fs::create_directory(target);
  for (const mode_t mode : {0700u, 0777u}) {
    REQUIRE(::chmod(target.c_str(), mode) == 0);
    fs::create_directory_symlink(target, root.path / "instance-0123");
    const std::string refusal = refusal_of(root.path / "instance-0123");
    INFO(refusal);
    CHECK(refusal.find("symbolic link") != std::string::npos);
    CHECK(mode_of(target) == mode);  // never chmod-ed through the link
    CHECK(names_in(target).empty());
    fs::remove(root.path / "instance-0123");
  }
}

TEST_CASE("a spool folder open to others or owned by another user is refused, and never chmod-ed") {
  temporary_directory root;
  const auto folder = root.path / "instance-0123";

  SECTION("our own folder, mode 0777") {
    fs::create_directory(folder);
    REQUIRE(::chmod(folder.c_str(), 0777) == 0);
    const std::string refusal = refusal_of(folder);
    INFO(refusal);
    CHECK(refusal.find("mode 0777") != std::string::npos);
    CHECK(mode_of(folder) == 0777);
  }
  SECTION("our own folder, mode 0750") {
    fs::create_directory(folder);
    REQUIRE(::chmod(folder.c_str(), 0750) == 0);
    CHECK(refusal_of(folder).find("mode 0750") != std::string::npos);
    CHECK(mode_of(folder) == 0750);
  }
  SECTION("pre-created 0777 by another user in a world-writable root, with a planted file") {
    if (!can_be_other_users()) return;
    REQUIRE(::chmod(root.path.c_str(), 01777) == 0);  // like /tmp
    fs::create_directory(folder);
    REQUIRE(::chmod(folder.c_str(), 0777) == 0);
    REQUIRE(::chown(folder.c_str(), other_user, other_user) == 0);
    const auto planted = folder / "00000000000000000001-00000001.ndjson";
    const std::string planted_text = spool_text(2, "planted");
    write_file(planted, planted_text, 0600);
    REQUIRE(::chown(planted.c_str(), other_user, other_user) == 0);
    const std::string refusal = refusal_of(folder);
    INFO(refusal);
    CHECK(refusal.find("owned by another user (uid 65534)") != std::string::npos);
    CHECK(mode_of(folder) == 0777);
    CHECK(owner_of(folder) == other_user);
    CHECK(read_file(planted) == planted_text);
    CHECK(names_in(folder) == std::vector<std::string>{planted.filename().string()});
  }
  SECTION("another user's folder, even with mode 0700") {
    if (!can_be_other_users()) return;
    fs::create_directory(folder);
    REQUIRE(::chmod(folder.c_str(), 0700) == 0);
    REQUIRE(::chown(folder.c_str(), other_user, other_user) == 0);
    CHECK(refusal_of(folder).find("owned by another user") != std::string::npos);
    CHECK(owner_of(folder) == other_user);
  }
  SECTION("a file or a FIFO in the folder's place") {
    write_file(folder, "not a folder", 0600);
    CHECK(refusal_of(folder).find("refusing the spool folder: it is not a directory") != std::string::npos);
    fs::remove(folder);
    REQUIRE(::mkfifo(folder.c_str(), 0600) == 0);
    CHECK(refusal_of(folder).find("it is a FIFO") != std::string::npos);
  }
  SECTION("a root that is a file") {
    write_file(root.path / "file", "x", 0600);
    CHECK(refusal_of(root.path / "file" / "instance-0123").find("Not a directory") != std::string::npos);
  }
}

TEST_CASE("planted files are left alone, never read nor deleted, and counted") {
  temporary_directory root;
  const auto folder = root.path / "instance-0123";
  spool ours{spool_options{.directory = folder}};
  const auto stored = ours.store(batch_of(2), std::chrono::system_clock::now());
  REQUIRE(stored);

  // A link to a valid file of ours elsewhere, a FIFO, a valid file open to others, and a
  // directory, all under spool names.
  const auto outside = root.path / "outside.ndjson";
  const std::string outside_text = spool_text(3, "linked");
  write_file(outside, outside_text, 0600);
  fs::create_symlink(outside, folder / "00000000000000000001-1.ndjson");
  REQUIRE(::mkfifo((folder / "00000000000000000002-1.ndjson").c_str(), 0600) == 0);
  write_file(folder / "00000000000000000003-1.ndjson", spool_text(3, "open"), 0666);
  fs::create_directory(folder / "00000000000000000004-1.ndjson");
  std::size_t planted = 4;
  if (::geteuid() == 0) {
    // Another user's valid file, mode 0600, and another user's leftover temporary file.
    write_file(folder / "00000000000000000005-1.ndjson", spool_text(3, "foreign"), 0600);
    REQUIRE(::chown((folder / "00000000000000000005-1.ndjson").c_str(), other_user, other_user) == 0);
    write_file(folder / "00000000000000000006-1.tmp", "half", 0600);
    REQUIRE(::chown((folder / "00000000000000000006-1.tmp").c_str(), other_user, other_user) == 0);
    planted += 2;
  } else {
    WARN("not running as root: no file of another user is planted");
  }
  const auto before = names_in(folder);

  tel::transport::spool_scan found;
  {
    watchdog guard("scanning a spool folder with a FIFO in it", 10s);  // a FIFO must not block
    found = ours.scan();
  }
  REQUIRE(found.entries.size() == 1);
  CHECK(found.entries[0].path == stored->path);
  CHECK(found.entries[0].items == 2);
  CHECK(found.rejected_files == planted);
  CHECK(found.corrupt_files == 0);
  CHECK(found.corrupt_items == 0);
  INFO(found.rejected_reason);
  CHECK(found.rejected_reason.find("left alone and not sent") != std::string::npos);
  CHECK(found.rejected_reason.find("linked") == std::string::npos);  // never the contents
  CHECK(names_in(folder) == before);                                  // nothing deleted
  CHECK(read_file(outside) == outside_text);
  CHECK(mode_of(folder / "00000000000000000003-1.ndjson") == 0666);   // never chmod-ed

  // Loading one by name (as if it had been listed before it was swapped) refuses it too.
  tel::transport::detail::batch out;
  for (const char* name : {"00000000000000000001-1.ndjson", "00000000000000000002-1.ndjson",
                           "00000000000000000003-1.ndjson", "00000000000000000004-1.ndjson"}) {
    INFO(name);
    watchdog guard("loading a planted file", 10s);
    CHECK(ours.load(spool_entry{.path = folder / name, .items = 3}, out) == spool_read_error::not_ours);
    CHECK(out.items() == 0);
  }
  CHECK(ours.load(spool_entry{.path = folder / "missing.ndjson", .items = 1}, out) == spool_read_error::unreadable);
}

TEST_CASE("damaged files of our own count the items they announced, or their bytes, and are removed") {
  temporary_directory root;
  const auto folder = root.path / "instance-0123";
  spool ours{spool_options{.directory = folder}};
  const auto good = ours.store(batch_of(2), std::chrono::system_clock::now());
  REQUIRE(good);
  // Announced 100, holds 3.
  write_file(folder / "1-truncated.ndjson", "onefuzz-spool 1 100 0\n{\"a\":1}\n{\"a\":2}\n{\"a\":3}", 0600);
  // Announced 1, cut just after an inner '}'.
  write_file(folder / "2-cut.ndjson", "onefuzz-spool 1 1 0\n{\"a\":{\"b\":1}", 0600);
  // No header: its items are unknown, so its 10 bytes are counted.
  write_file(folder / "3-garbage.ndjson", "garbage\n{}", 0600);
  // Larger than any file the spool writes (sparse): only its header is read, announcing 7.
  {
    write_file(folder / "4-huge.ndjson", "onefuzz-spool 1 7 0\n{}", 0600);
    fs::resize_file(folder / "4-huge.ndjson", tel::transport::detail::spool_max_file_bytes + 1);
  }
  // A leftover of an interrupted write of ours, beside the file it was replacing.
  write_file(folder / (good->path.stem().string() + ".tmp"), "onefuzz-spool 1 1 0\n{\"half", 0600);

  const auto found = ours.scan();
  REQUIRE(found.entries.size() == 1);
  CHECK(found.entries[0].path == good->path);
  CHECK(found.corrupt_files == 4);
  CHECK(found.corrupt_items == 100 + 1 + 7);
  CHECK(found.corrupt_bytes == 10);
  CHECK(found.rejected_files == 0);
  CHECK(names_in(folder) == std::vector<std::string>{good->path.filename().string()});
  tel::transport::detail::batch out;
  CHECK_FALSE(ours.load(found.entries[0], out).has_value());
  CHECK(out.items() == 2);
}

TEST_CASE("store writes 0600 files; replace rewrites the rest of a batch under the same name") {
  temporary_directory root;
  const auto folder = root.path / "instance-0123";
  spool ours{spool_options{.directory = folder}};
  const auto oldest = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'700'000'000'123}};
  const mode_t saved = ::umask(0);
  const auto stored = ours.store(batch_of(3), oldest);
  ::umask(saved);
  REQUIRE(stored);
  CHECK(stored->items == 3);
  CHECK(mode_of(stored->path) == 0600);
  CHECK(fs::file_size(stored->path) == stored->bytes);
  CHECK(read_file(stored->path).starts_with("onefuzz-spool 1 3 1700000000123\n{\"n\":0,"));

  // The service accepted items 0 and 2; item 1 is left.
  tel::transport::detail::batch remaining;
  remaining.begin_item();
  remaining.body().append(R"({"n":1,"pad":""})");
  const auto replaced = ours.replace(*stored, remaining);
  REQUIRE(replaced);
  CHECK(replaced->path == stored->path);
  CHECK(replaced->items == 1);
  CHECK(replaced->oldest == oldest);
  CHECK(read_file(stored->path) == "onefuzz-spool 1 1 1700000000123\n{\"n\":1,\"pad\":\"\"}");
  CHECK(replaced->bytes == fs::file_size(stored->path));
  CHECK(names_in(folder) == std::vector<std::string>{stored->path.filename().string()});  // no .tmp left
  CHECK(mode_of(stored->path) == 0600);
  tel::transport::detail::batch out;
  CHECK_FALSE(ours.load(*replaced, out).has_value());
  REQUIRE(out.items() == 1);
  CHECK(out.item(0) == R"({"n":1,"pad":""})");
  // The listing with the old count no longer matches the file.
  CHECK(ours.load(*stored, out) == spool_read_error::bad_header);

  // Nothing left: the file goes.
  const auto emptied = ours.replace(*replaced, tel::transport::detail::batch{});
  REQUIRE(emptied);
  CHECK(emptied->items == 0);
  CHECK(names_in(folder).empty());
}

TEST_CASE("a full disk fails a write cleanly: no partial file, the stored ones intact") {
  temporary_directory root;
  small_tmpfs disk{root.path / "disk"};
  if (!disk.mounted) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "): the full-disk case is not checked");
    return;
  }
  spool ours{spool_options{.directory = disk.path / "instance-0123"}};
  std::size_t stored = 0;
  std::string error;
  for (int i = 0; i < 20 && error.empty(); ++i) {
    if (ours.store(batch_of(4, 2000), std::chrono::system_clock::now())) {
      ++stored;
    } else {
      error = ours.last_error();
    }
  }
  INFO(error);
  CHECK(stored >= 1);
  CHECK(stored < 20);
  CHECK(error.find("No space left on device") != std::string::npos);
  CHECK(error.find(root.path.string()) != std::string::npos);
  for (const auto& name : names_in(disk.path / "instance-0123")) CHECK(name.ends_with(".ndjson"));
  const auto found = ours.scan();
  CHECK(found.entries.size() == stored);
  CHECK(found.corrupt_files == 0);
  tel::transport::detail::batch out;
  for (const auto& entry : found.entries) CHECK_FALSE(ours.load(entry, out).has_value());
}

TEST_CASE("a read-only folder fails writes and removals cleanly, and keeps what it holds") {
  // (Also: our own file that cannot be opened is counted by its bytes.)
  if (!can_be_other_users()) return;
  temporary_directory root;
  REQUIRE(::chown(root.path.c_str(), other_user, other_user) == 0);
  const auto folder = root.path / "instance-0123";
  // As uid 65534, who is bound by permissions (root is not).
  const int failed_step = as_other_user([&]() -> int {
    try {
      spool theirs{spool_options{.directory = folder}};
      const auto stored = theirs.store(batch_of(2), std::chrono::system_clock::now());
      if (!stored) return 1;
      // Our own file that we cannot read (mode 0200): its items are unknown, so its bytes count.
      {
        const int fd = ::open((folder / "1-unreadable.ndjson").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0200);
        if (fd < 0 || ::write(fd, "onefuzz-spool 1 1 0\n{}", 22) != 22 || ::close(fd) != 0) return 12;
        const auto found = theirs.scan();
        if (found.corrupt_files != 1 || found.corrupt_bytes != 22 || found.entries.size() != 1) return 13;
        if (names_in(folder).size() != 1) return 14;  // removed: it was ours
      }
      if (::chmod(folder.c_str(), 0500) != 0) return 2;
      if (theirs.store(batch_of(2), std::chrono::system_clock::now())) return 3;
      if (theirs.last_error().find("cannot create a file in") == std::string::npos) return 4;
      if (theirs.last_error().find("Permission denied") == std::string::npos) return 5;
      if (theirs.replace(*stored, batch_of(1))) return 6;
      if (theirs.remove(*stored)) return 7;
      tel::transport::detail::batch out;
      if (theirs.load(*stored, out) || out.items() != 2) return 8;  // the old file is intact
      if (names_in(folder).size() != 1) return 9;                    // and nothing else is there
      const auto found = theirs.scan();
      if (found.entries.size() != 1 || found.corrupt_files != 0 || found.rejected_files != 0) return 10;
      return 0;
    } catch (...) {
      return 11;
    }
  });
  CHECK(failed_step == 0);
}

TEST_CASE("a sender whose spool folder is refused runs without a spool, says why, and counts its drops") {
  temporary_directory root;
  const auto target = root.path / "elsewhere";
  fs::create_directory(target);
  fs::permissions(target, fs::perms::owner_all);
  fs::create_directory_symlink(target, tel::transport::detail::spool_folder(root.path, "instance", instance_key));
  ingestion_server server;
  server.script({fault::status(503), fault::status(503)});
  diagnostics_capture capture;
  auto options = fast_options(server.connection_string(instance_key));
  options.retry.max_attempts = 2;
  options.spool.directory = root.path;
  options.diagnostics = capture.options();
  tel::transport::sender<> sender{options};  // does not throw
  cat::new_result ev;
  ev.path = "crash-1";
  sender.emit(ev);
  REQUIRE(sender.force_flush(10s));
  CHECK(sender.shutdown(10s));
  const auto s = sender.instance_statistics();
  CHECK(s.spooled == 0);
  CHECK(s.dropped_by(drop_reason::retries_exhausted) == 2);
  check_accounting(s);
  const auto records = capture.of_kind(tel::transport::diagnostic_kind::spool_write_failed);
  REQUIRE_FALSE(records.empty());
  CHECK(records.front().detail.find("symbolic link") != std::string::npos);
  CHECK(records.front().detail.find(instance_key) == std::string::npos);
  CHECK(names_in(target).empty());
  CHECK(mode_of(target) == 0700);
}

TEST_CASE("a sender never sends planted files, and its constructor neither blocks on a FIFO nor throws") {
  temporary_directory root;
  const auto folder = tel::transport::detail::spool_folder(root.path, "instance", instance_key);
  { spool create{spool_options{.directory = folder}}; }
  const auto outside = root.path / "outside.ndjson";
  write_file(outside, spool_text(3, "linked"), 0600);
  fs::create_symlink(outside, folder / "00000000000000000001-1.ndjson");
  REQUIRE(::mkfifo((folder / "00000000000000000002-1.ndjson").c_str(), 0600) == 0);
  write_file(folder / "00000000000000000003-1.ndjson", spool_text(3, "open"), 0666);
  if (::geteuid() == 0) {
    write_file(folder / "00000000000000000004-1.ndjson", spool_text(3, "foreign"), 0600);
    REQUIRE(::chown((folder / "00000000000000000004-1.ndjson").c_str(), other_user, other_user) == 0);
  }
  const auto before = names_in(folder);

  ingestion_server server;
  auto options = fast_options(server.connection_string(instance_key));
  options.spool.directory = root.path;
  options.diagnostics = tel::transport::diagnostics_options::off();
  std::optional<tel::transport::sender<>> sender;
  {
    watchdog guard("a sender's constructor with a FIFO in its spool", 10s);
    REQUIRE_NOTHROW(sender.emplace(options));
  }
  CHECK(sender->instance_statistics().restored == 0);
  cat::new_result ev;
  ev.path = "crash-1";
  sender->emit(ev);
  REQUIRE(sender->force_flush(10s));
  REQUIRE(server.wait_for_accepted(instance_key, 2, std::chrono::steady_clock::now() + 10s));
  CHECK(sender->shutdown(10s));
  const auto s = sender->instance_statistics();
  CHECK(s.accepted == 2);
  check_accounting(s);
  std::size_t received = 0;
  for (const auto& request : server.requests()) received += request.items_received;
  CHECK(received == 2);  // the live event and its metric twin, none of the planted items
  CHECK(names_in(folder) == before);
}

// The sender-level counts of the spool's scan (spool_scan's corrupt_items, corrupt_bytes
// and rejected_files), passed on by the destination's spool ledger.
TEST_CASE("a sender counts damaged spool files' announced items and planted files", "[spool-wiring]") {
  temporary_directory root;
  const auto folder = tel::transport::detail::spool_folder(root.path, "instance", instance_key);
  { spool create{spool_options{.directory = folder}}; }
  write_file(folder / "1-truncated.ndjson", "onefuzz-spool 1 100 0\n{\"a\":1}\n{\"a\":2}\n{\"a\":3}", 0600);
  write_file(folder / "2-cut.ndjson", "onefuzz-spool 1 1 0\n{\"a\":{\"b\":1}", 0600);
  write_file(folder / "3-garbage.ndjson", "garbage\n{}", 0600);
  write_file(folder / "4-open.ndjson", spool_text(3, "open"), 0666);

  ingestion_server server;
  auto options = fast_options(server.connection_string(instance_key));
  options.spool.directory = root.path;
  diagnostics_capture capture;
  options.diagnostics = capture.options();
  tel::transport::sender<> sender{options};
  CHECK(sender.shutdown(10s));
  const auto s = sender.instance_statistics();
  CHECK(s.restored == 101);
  CHECK(s.dropped_by(drop_reason::spool_corrupt) == 101);
  CHECK(s.spool_corrupt_files == 3);
  CHECK(s.spool_corrupt_bytes == 10);
  CHECK(s.spool_rejected_files == 1);
  check_accounting(s);
  CHECK(server.requests().empty());
  CHECK(capture.wait_for(tel::transport::diagnostic_kind::spool_read_failed));
}

}  // namespace spool_security_test
