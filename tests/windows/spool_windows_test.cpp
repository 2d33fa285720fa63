// The spool on Windows (transport/detail/spool_files_windows.hpp): batches written, listed,
// read back, rewritten and removed below a root whose path is not ASCII; leftovers of an
// interrupted write removed; expired files dropped by the ledger; the folder's security
// descriptor; folders and files that are not the user's own private ones refused with a
// reason. Built only for Windows; run under wine by tools/windows_test.sh.
//
// What wine cannot show (docs/windows.md, "Spool"): wine keeps no security descriptor. It
// turns the DACL given at creation into Unix mode bits and derives the DACL it reports from
// them (the owner's entry, one for LocalSystem always, one for Everyone when "other" may
// read), and it reports every file as owned by the current user. So under wine this test
// checks the descriptor the spool builds (in memory: protected, owned by the user, one
// entry for the user) and what wine can express: a folder or file open to Everyone is
// refused, the spool's own folder shows no entry for anyone but the user and LocalSystem.
// That the created folder keeps exactly that one entry, protected, and that a folder owned
// by another account is refused, are asserted only on real Windows, where this test has not
// run yet. Nor can wine make a reparse point (its CreateSymbolicLinkW returns success and
// makes nothing; FSCTL_SET_REPARSE_POINT is not supported), so the refusal of a symbolic
// link, as the folder or as a file in it, runs only where CreateSymbolicLinkW works.
#include "temporary_directory.hpp"

#include <onefuzz/telemetry/transport/detail/spool_ledger.hpp>
#include <onefuzz/telemetry/transport/spool.hpp>

#include <catch2/catch.hpp>

#include <sddl.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace spool_windows_test {

namespace fs = std::filesystem;
namespace tr = onefuzz::telemetry::transport;
using namespace std::chrono_literals;

namespace {

bool under_wine() { return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr; }

tr::detail::batch make_batch(std::initializer_list<std::string_view> items) {
  tr::detail::batch out;
  for (const auto item : items) {
    out.begin_item();
    out.body().append(item);
    out.end_item();
  }
  return out;
}

std::string current_user_sid() {
  tr::detail::private_security security;
  REQUIRE_FALSE(security.init());
  return tr::detail::sid_text(security.user());
}

// What GetNamedSecurityInfoW reports for a path: the owner, whether the DACL is protected,
// and its entries as "type:SID".
struct reported_security {
  std::string owner;
  bool has_dacl = false;
  bool is_protected = false;
  std::vector<std::string> entries;
};

reported_security security_of(const fs::path& path) {
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD status = ::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT,
                                               OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, nullptr,
                                               &dacl, nullptr, &descriptor);
  REQUIRE(status == ERROR_SUCCESS);
  reported_security out;
  out.owner = tr::detail::sid_text(owner);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  REQUIRE(::GetSecurityDescriptorControl(descriptor, &control, &revision));
  out.is_protected = (control & SE_DACL_PROTECTED) != 0;
  out.has_dacl = dacl != nullptr;
  for (DWORD i = 0; dacl != nullptr && i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    REQUIRE(::GetAce(dacl, i, &ace));
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    std::string entry = std::to_string(header->AceType) + ":";
    if (header->AceType == ACCESS_ALLOWED_ACE_TYPE || header->AceType == ACCESS_DENIED_ACE_TYPE) {
      entry += tr::detail::sid_text(&static_cast<ACCESS_ALLOWED_ACE*>(ace)->SidStart);
    }
    out.entries.push_back(entry);
  }
  ::LocalFree(descriptor);
  return out;
}

// Creates a folder or file with the descriptor an SDDL string gives.
void create_with_sddl(const fs::path& path, const wchar_t* sddl, bool directory) {
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  REQUIRE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &descriptor, nullptr));
  SECURITY_ATTRIBUTES attributes{sizeof attributes, descriptor, FALSE};
  if (directory) {
    CHECK(::CreateDirectoryW(path.c_str(), &attributes));
  } else {
    const HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, &attributes, CREATE_NEW, 0, nullptr);
    CHECK(file != INVALID_HANDLE_VALUE);
    ::CloseHandle(file);
  }
  ::LocalFree(descriptor);
}

// A symbolic link `link` to `target` (CreateSymbolicLinkW, unprivileged: Windows in
// developer mode). False when none was made: wine's CreateSymbolicLinkW returns success and
// makes nothing, so the link is looked for.
bool make_symbolic_link(const fs::path& link, const fs::path& target, bool directory) {
  const DWORD flags = (directory ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0) | 0x2;  // ALLOW_UNPRIVILEGED_CREATE
  if (!::CreateSymbolicLinkW(link.c_str(), target.c_str(), flags)) return false;
  const DWORD attributes = ::GetFileAttributesW(link.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}

// Writes a file with the descriptor the spool gives its own files: what a file created in
// the spool's folder inherits on Windows (wine applies no inheritance: a file that
// std::ofstream creates there is open to Everyone under wine, and refused).
void write_private(const fs::path& path, std::string_view text) {
  tr::detail::private_security security;
  REQUIRE_FALSE(security.init());
  const HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, security.attributes(), CREATE_NEW, 0, nullptr);
  REQUIRE(file != INVALID_HANDLE_VALUE);
  DWORD written = 0;
  CHECK(::WriteFile(file, text.data(), static_cast<DWORD>(text.size()), &written, nullptr));
  CHECK(written == text.size());
  ::CloseHandle(file);
}

std::string refusal(const fs::path& directory) {
  try {
    tr::spool refused{tr::spool_options{.directory = directory}};
  } catch (const fs::filesystem_error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("the spool writes, lists, reads back, rewrites and removes batches under a wide path") {
  temporary_directory root;
  const fs::path folder = root.path / L"spool-\u00e9\u4e2d\U0001F600" / L"instance-0123";
  tr::spool spool{tr::spool_options{.directory = folder}};
  REQUIRE(fs::is_directory(folder));

  const auto oldest = std::chrono::system_clock::time_point{1'700'000'000'000ms};
  const auto first = spool.store(make_batch({R"({"a":1})", R"({"b":"\u00e9"})"}), oldest);
  REQUIRE(first);
  CHECK(first->items == 2);
  const auto second = spool.store(make_batch({R"({"c":3})"}), oldest + 1s);
  REQUIRE(second);

  auto found = spool.scan();
  REQUIRE(found.entries.size() == 2);
  CHECK(found.entries[0].path == first->path);  // oldest first: names sort by time
  CHECK(found.entries[0].items == 2);
  CHECK(found.entries[0].oldest == oldest);
  CHECK(found.rejected_files == 0);
  CHECK(found.corrupt_files == 0);

  tr::detail::batch loaded;
  REQUIRE_FALSE(spool.load(found.entries[0], loaded));
  CHECK(loaded.view() == "{\"a\":1}\n{\"b\":\"\\u00e9\"}");

  // A partial answer: the file is replaced by one holding the item left, under its name.
  const auto rewritten = spool.replace(found.entries[0], make_batch({R"({"b":"\u00e9"})"}));
  REQUIRE(rewritten);
  CHECK(rewritten->path == first->path);
  CHECK(rewritten->items == 1);
  REQUIRE_FALSE(spool.load(*rewritten, loaded));
  CHECK(loaded.view() == R"({"b":"\u00e9"})");
  found = spool.scan();
  REQUIRE(found.entries.size() == 2);
  CHECK(found.entries[0].items == 1);
  CHECK(found.entries[0].oldest == oldest);  // kept through the rewrite

  // No temporary file is left, and a leftover of an interrupted write is removed.
  write_private(folder / "00000000000000000001-0000000001-00000001.tmp", "partial");
  found = spool.scan();
  CHECK(found.entries.size() == 2);
  INFO(found.rejected_reason);
  CHECK(found.rejected_files == 0);
  for (const auto& entry : fs::directory_iterator(folder)) CHECK(entry.path().extension() == ".ndjson");

  REQUIRE(spool.remove(found.entries[0]));
  REQUIRE(spool.replace(found.entries[1], tr::detail::batch{}));  // nothing left: removed
  CHECK(spool.scan().entries.empty());
  CHECK(fs::is_empty(folder));
}

TEST_CASE("a damaged spool file is removed and counted; one open to others is left alone") {
  temporary_directory root;
  const fs::path folder = root.path / "instance-damaged";
  tr::spool spool{tr::spool_options{.directory = folder}};
  write_private(folder / "00000000000000000001-0000000001-00000001.ndjson",
                "onefuzz-spool 1 3 1700000000000\n{\"a\":1}\n");  // cut short: 1 of 3 items
  const std::wstring user = tr::detail::utf8_name(current_user_sid()).wstring();
  create_with_sddl(folder / "00000000000000000002-0000000001-00000001.ndjson",
                   (L"D:P(A;;FA;;;" + user + L")(A;;FR;;;WD)").c_str(), false);
  const auto found = spool.scan();
  CHECK(found.entries.empty());
  CHECK(found.corrupt_files == 1);
  CHECK(found.corrupt_items == 3);
  CHECK(found.rejected_files == 1);
  CHECK_THAT(found.rejected_reason, Catch::Contains("gives another account access (S-1-1-0)"));
  CHECK(fs::exists(folder / "00000000000000000002-0000000001-00000001.ndjson"));  // left alone
  CHECK_FALSE(fs::exists(folder / "00000000000000000001-0000000001-00000001.ndjson"));
}

TEST_CASE("the ledger drops a restored file past max_age as expired") {
  temporary_directory root;
  tr::diagnostics_channel channel;
  tr::detail::sink_counters counters;
  tr::detail::destination_reporter reporter{channel, tr::diagnostic_destination::instance, counters};
  const tr::spool_options options{.directory = root.path, .max_bytes = 1 << 20, .max_age = 1h};
  {
    tr::detail::spool_ledger ledger{"instance", "key", options, "localhost:1", reporter, counters};
    REQUIRE(ledger.enabled());
    auto old = make_batch({R"({"old":1})", R"({"old":2})"});
    old.oldest = std::chrono::system_clock::now() - 2h;
    REQUIRE(ledger.store(old));
  }
  tr::detail::sink_counters restarted;
  tr::detail::destination_reporter restarted_reporter{channel, tr::diagnostic_destination::instance, restarted};
  tr::detail::spool_ledger ledger{"instance", "key", options, "localhost:1", restarted_reporter, restarted};
  CHECK(restarted.restored.load() == 2);
  REQUIRE(ledger.has_files());
  const auto entry = ledger.take_oldest();
  tr::detail::batch out;
  CHECK_FALSE(ledger.load_for_sending(entry, out));
  CHECK(restarted.dropped[static_cast<std::size_t>(tr::drop_reason::expired)].load() == 2);
  std::vector<tr::diagnostic> deferred;
  ledger.finish(out, true, tr::drop_reason::expired, deferred);
  CHECK(deferred.empty());
  CHECK(restarted.spooled.load() == 0);
  CHECK(fs::is_empty(tr::detail::spool_folder(root.path, "instance", "key")));
}

TEST_CASE("the spool's folder is created private to the current user") {
  // The descriptor the spool hands to CreateDirectoryW and CreateFileW, in memory.
  tr::detail::private_security security;
  REQUIRE_FALSE(security.init());
  const auto* attributes = security.attributes();
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  REQUIRE(::GetSecurityDescriptorControl(attributes->lpSecurityDescriptor, &control, &revision));
  CHECK((control & SE_DACL_PROTECTED) != 0);
  PSID owner = nullptr;
  BOOL defaulted = TRUE;
  REQUIRE(::GetSecurityDescriptorOwner(attributes->lpSecurityDescriptor, &owner, &defaulted));
  CHECK(tr::detail::sid_text(owner) == current_user_sid());
  BOOL present = FALSE;
  PACL dacl = nullptr;
  REQUIRE(::GetSecurityDescriptorDacl(attributes->lpSecurityDescriptor, &present, &dacl, &defaulted));
  REQUIRE(present);
  REQUIRE(dacl != nullptr);
  REQUIRE(dacl->AceCount == 1);
  void* ace = nullptr;
  REQUIRE(::GetAce(dacl, 0, &ace));
  CHECK(static_cast<const ACE_HEADER*>(ace)->AceType == ACCESS_ALLOWED_ACE_TYPE);
  CHECK(static_cast<ACCESS_ALLOWED_ACE*>(ace)->Mask == FILE_ALL_ACCESS);
  CHECK(tr::detail::sid_text(&static_cast<ACCESS_ALLOWED_ACE*>(ace)->SidStart) == current_user_sid());

  // What the file system reports for the folder the spool created.
  temporary_directory root;
  const fs::path folder = root.path / "instance-private";
  tr::spool spool{tr::spool_options{.directory = folder}};
  const auto reported = security_of(folder);
  CHECK(reported.owner == current_user_sid());
  REQUIRE(reported.has_dacl);
  const std::string user_entry = "0:" + current_user_sid();
  for (const auto& entry : reported.entries) {
    INFO("entry " << entry);
    CHECK((entry == user_entry || entry == "0:S-1-5-18"));  // never Everyone, Users or another account
  }
  if (under_wine()) {
    WARN("under wine: the DACL reported is derived from Unix mode bits (not protected, LocalSystem added): "
         << reported.entries.size() << " entries, protected " << reported.is_protected);
  } else {
    CHECK(reported.is_protected);
    CHECK(reported.entries == std::vector<std::string>{user_entry});
  }
}

TEST_CASE("a spool folder that is not the user's own private one is refused, and never changed") {
  temporary_directory root;
  // Open to Everyone (wine expresses this one: "other" mode bits).
  const fs::path open_folder = root.path / "instance-everyone";
  const std::wstring user = tr::detail::utf8_name(current_user_sid()).wstring();
  create_with_sddl(open_folder, (L"D:P(A;OICI;FA;;;" + user + L")(A;OICI;FR;;;WD)").c_str(), true);
  auto message = refusal(open_folder);
  CHECK_THAT(message, Catch::Contains("refusing the spool folder: its DACL gives another account access (S-1-1-0)"));
  CHECK_THAT(message, Catch::Contains("instance-everyone"));
  CHECK(security_of(open_folder).entries.size() >= 2);  // its DACL was not changed

  // A file in the folder's place.
  const fs::path file = root.path / "instance-file";
  std::ofstream{file} << "x";
  CHECK_THAT(refusal(file), Catch::Contains("refusing the spool folder: it is not a directory"));

  // A symbolic link in the folder's place, to a private folder.
  const fs::path target = root.path / "instance-target";
  { tr::spool made{tr::spool_options{.directory = target}}; }
  const fs::path link = root.path / "instance-link";
  if (make_symbolic_link(link, target, true)) {
    CHECK_THAT(refusal(link), Catch::Contains("refusing the spool folder: it is a reparse point"));
  } else {
    WARN("no symbolic link could be made here (wine, or Windows without developer mode): not checked");
  }

  // Owned by another account: wine reports every file as the current user's, and Windows
  // lets a user give a folder away only with SeRestorePrivilege.
  const fs::path foreign = root.path / "instance-foreign";
  create_with_sddl(foreign, (L"O:BAD:P(A;OICI;FA;;;" + user + L")").c_str(), true);
  if (security_of(foreign).owner != current_user_sid()) {
    CHECK_THAT(refusal(foreign), Catch::Contains("it is owned by another account (S-1-5-32-544)"));
  } else {
    WARN("the folder's owner could not be set to Administrators here: foreign owner refusal not checked");
  }
}

TEST_CASE("a spool file that is a reparse point is left alone") {
  temporary_directory root;
  const fs::path folder = root.path / "instance-links";
  tr::spool spool{tr::spool_options{.directory = folder}};
  REQUIRE(spool.store(make_batch({R"({"a":1})"}), std::chrono::system_clock::now()));
  const auto stored = spool.scan();
  REQUIRE(stored.entries.size() == 1);
  const fs::path link = folder / "00000000000000000001-0000000001-00000001.ndjson";
  if (!make_symbolic_link(link, stored.entries[0].path, false)) {
    WARN("no symbolic link could be made here (wine, or Windows without developer mode): not checked");
    return;
  }
  const auto found = spool.scan();
  CHECK(found.entries.size() == 1);
  CHECK(found.rejected_files == 1);
  CHECK_THAT(found.rejected_reason, Catch::Contains("it is a reparse point"));
  CHECK((::GetFileAttributesW(link.c_str()) & FILE_ATTRIBUTE_REPARSE_POINT) != 0);  // left alone
}

}  // namespace spool_windows_test
