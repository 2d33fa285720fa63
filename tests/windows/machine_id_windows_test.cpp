// The machine id on Windows (integrations/machine_id_windows.hpp, through the chain of
// machine_id_chain.hpp): the registry's MachineGuid read and well formed (wine creates one
// too), and the chain falling through when the OS source fails, with values the test writes
// under a key of its own in HKEY_CURRENT_USER. IMDS is a stand-in function here: the
// transport, which fetch_imds_vm_id needs, does not build for Windows yet. Built only for
// Windows; run under wine by tools/windows_test.sh.
#include "temporary_directory.hpp"

#include <onefuzz/telemetry/integrations/machine_id_chain.hpp>
#include <onefuzz/telemetry/integrations/machine_id_keyed.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace machine_id_windows_test {

namespace integ = onefuzz::telemetry::integrations;
namespace cat = onefuzz::telemetry::catalog;
using integ::machine_id_source;

namespace {

constexpr const char* test_vm_id_text = "6c2d9b1e-3f41-4d0a-9a5e-0f1e2d3c4b5a";

// A key of the test's own under HKCU\Software, deleted with its values at the end.
class registry_test_key {
 public:
  registry_test_key() {
    std::random_device random;
    name_ = L"Software\\onefuzz-telemetry-test-" + std::to_wstring(random());
    HKEY key = nullptr;
    REQUIRE(::RegCreateKeyExW(HKEY_CURRENT_USER, name_.c_str(), 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &key,
                              nullptr) == ERROR_SUCCESS);
    ::RegCloseKey(key);
  }
  ~registry_test_key() { ::RegDeleteKeyW(HKEY_CURRENT_USER, name_.c_str()); }
  registry_test_key(const registry_test_key&) = delete;
  registry_test_key& operator=(const registry_test_key&) = delete;

  void set_string(const std::wstring& value) const {
    const auto bytes = static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t));
    REQUIRE(::RegSetKeyValueW(HKEY_CURRENT_USER, name_.c_str(), L"MachineGuid", REG_SZ, value.c_str(), bytes) ==
            ERROR_SUCCESS);
  }
  void set_number(DWORD value) const {
    REQUIRE(::RegSetKeyValueW(HKEY_CURRENT_USER, name_.c_str(), L"MachineGuid", REG_DWORD, &value, sizeof value) ==
            ERROR_SUCCESS);
  }
  [[nodiscard]] integ::os_machine_id_source source() const {
    integ::os_machine_id_source out;
    out.os_machine_guid_root = HKEY_CURRENT_USER;
    out.os_machine_guid_key = name_;
    return out;
  }

 private:
  std::wstring name_;
};

// MachineGuid read with another call than the library's (RegQueryValueExW on the 64-bit
// view), lowercased, without braces.
std::string machine_guid_independently() {
  HKEY key = nullptr;
  REQUIRE(::RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Cryptography", 0,
                          KEY_READ | KEY_WOW64_64KEY, &key) == ERROR_SUCCESS);
  wchar_t text[64] = {};
  DWORD bytes = sizeof text - sizeof(wchar_t);
  DWORD type = 0;
  const LSTATUS status =
      ::RegQueryValueExW(key, L"MachineGuid", nullptr, &type, reinterpret_cast<BYTE*>(text), &bytes);
  ::RegCloseKey(key);
  REQUIRE(status == ERROR_SUCCESS);
  REQUIRE(type == REG_SZ);
  std::string out;
  for (const wchar_t* c = text; *c != L'\0'; ++c) {
    if (*c != L'{' && *c != L'}') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*c))));
  }
  return out;
}

std::string read_cache_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_cache_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
}

const integ::vm_id_fetcher no_imds{};

}  // namespace

TEST_CASE("HKLM MachineGuid: read in the 64-bit view, a well-formed GUID", "[windows][machine_id]") {
  const auto id = integ::detail::read_os_machine_id(integ::os_machine_id_source{});
  REQUIRE(id);
  CHECK_FALSE(id->value().is_nil());
  const std::string text = id->to_string();
  REQUIRE(text.size() == 36);
  for (std::size_t i = 0; i < text.size(); ++i) {
    INFO("character " << i << " of " << text);
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      CHECK(text[i] == '-');
    } else {
      CHECK(std::isxdigit(static_cast<unsigned char>(text[i])) != 0);
    }
  }
  CHECK(text == machine_guid_independently());

  // The chain without a cache or IMDS answers with it, as the OS source.
  const auto resolved = integ::resolve_machine_id_chain({}, no_imds, integ::os_machine_id_source{});
  CHECK(resolved.source == machine_id_source::os);
  CHECK(resolved.id == *id);
  CHECK(resolved.notes.empty());
}

TEST_CASE("a missing key: the chain falls through to a random GUID, cached", "[windows][machine_id]") {
  temporary_directory dir;
  const auto cache = dir.path / "etc" / "machine_id";
  integ::os_machine_id_source missing;
  missing.os_machine_guid_root = HKEY_CURRENT_USER;
  missing.os_machine_guid_key = L"Software\\onefuzz-telemetry-test-no-such-key";
  const auto first = integ::resolve_machine_id_chain(cache, no_imds, missing);
  CHECK(first.source == machine_id_source::random);
  CHECK((first.id.value().bytes()[6] >> 4) == 4);  // version 4
  REQUIRE(first.notes.size() == 2);                 // no cache, then the registry's reason
  CHECK_THAT(first.notes[1], Catch::StartsWith("os: cannot open HKCU\\Software\\onefuzz-telemetry-test-no-such-key"
                                               "\\MachineGuid") &&
                                 Catch::Contains("Windows error 2)"));
  CHECK(read_cache_text(cache) == first.id.to_string());
  const auto second = integ::resolve_machine_id_chain(cache, no_imds, missing);
  CHECK(second.source == machine_id_source::cache);
  CHECK(second.id == first.id);
}

TEST_CASE("MachineGuid values that are not an id fall through, each with its reason", "[windows][machine_id]") {
  const registry_test_key key;
  SECTION("not a GUID") {
    key.set_string(L"not-a-guid");
    const auto resolved = integ::resolve_machine_id_chain({}, no_imds, key.source());
    CHECK(resolved.source == machine_id_source::random);
    REQUIRE(resolved.notes.size() == 1);
    CHECK_THAT(resolved.notes[0], Catch::Contains("MachineGuid does not hold a GUID"));
  }
  SECTION("the nil GUID") {
    key.set_string(L"00000000-0000-0000-0000-000000000000");
    const auto resolved = integ::resolve_machine_id_chain({}, no_imds, key.source());
    CHECK(resolved.source == machine_id_source::random);
    REQUIRE(resolved.notes.size() == 1);
    CHECK_THAT(resolved.notes[0], Catch::Contains("nil GUID"));
  }
  SECTION("a number, not a string") {
    key.set_number(42);
    const auto resolved = integ::resolve_machine_id_chain({}, no_imds, key.source());
    CHECK(resolved.source == machine_id_source::random);
    REQUIRE(resolved.notes.size() == 1);
    CHECK_THAT(resolved.notes[0], Catch::Contains("as a string (Windows error"));
  }
  SECTION("too long for any GUID") {
    key.set_string(std::wstring(1000, L'a'));
    const auto resolved = integ::resolve_machine_id_chain({}, no_imds, key.source());
    CHECK(resolved.source == machine_id_source::random);
    REQUIRE(resolved.notes.size() == 1);
    CHECK_THAT(resolved.notes[0], Catch::Contains("as a string (Windows error"));
  }
  SECTION("braces, capitals and spaces are accepted") {
    key.set_string(L" {9A7B3C2D-1E0F-4A5B-8C6D-7E8F9A0B1C2D}\r\n");
    const auto resolved = integ::resolve_machine_id_chain({}, no_imds, key.source());
    CHECK(resolved.source == machine_id_source::os);
    CHECK(resolved.id.to_string() == "9a7b3c2d-1e0f-4a5b-8c6d-7e8f9a0b1c2d");
  }
}

TEST_CASE("the chain's order on Windows: cache, IMDS, registry, random", "[windows][machine_id]") {
  temporary_directory dir;
  const auto cache = dir.path / "machine_id";
  const registry_test_key key;
  key.set_string(L"01234567-89ab-cdef-0123-456789abcdef");
  int imds_calls = 0;
  const integ::vm_id_fetcher imds_answers = [&imds_calls]() -> onefuzz::telemetry::result<cat::machine_id> {
    ++imds_calls;
    return *cat::machine_id::parse(test_vm_id_text);
  };
  const integ::vm_id_fetcher imds_fails = [&imds_calls]() -> onefuzz::telemetry::result<cat::machine_id> {
    ++imds_calls;
    return onefuzz::telemetry::error{"imds: GET vmId answered HTTP 404"};
  };

  // IMDS before the registry; its answer is cached, and the cache then answers alone.
  const auto from_imds = integ::resolve_machine_id_chain(cache, imds_answers, key.source());
  CHECK(from_imds.source == machine_id_source::imds);
  CHECK(from_imds.id.to_string() == test_vm_id_text);
  CHECK(read_cache_text(cache) == test_vm_id_text);
  const auto from_cache = integ::resolve_machine_id_chain(cache, imds_answers, key.source());
  CHECK(from_cache.source == machine_id_source::cache);
  CHECK(from_cache.notes.empty());
  CHECK(imds_calls == 1);

  // A cache that holds no GUID is passed over and replaced (rename over an existing file);
  // IMDS failing falls through to the registry, with IMDS's reason.
  write_cache_text(cache, "garbage");
  const auto from_registry = integ::resolve_machine_id_chain(cache, imds_fails, key.source());
  CHECK(from_registry.source == machine_id_source::os);
  CHECK(from_registry.id.to_string() == "01234567-89ab-cdef-0123-456789abcdef");
  REQUIRE(from_registry.notes.size() == 2);
  CHECK_THAT(from_registry.notes[0], Catch::StartsWith("cache: ") && Catch::Contains("does not hold a GUID"));
  CHECK(from_registry.notes[1] == "imds: GET vmId answered HTTP 404");
  CHECK(read_cache_text(cache) == "01234567-89ab-cdef-0123-456789abcdef");
  CHECK(imds_calls == 2);

  // The OS source skipped (an empty key): random, with no note from it.
  integ::os_machine_id_source skipped = key.source();
  skipped.os_machine_guid_key.clear();
  const auto random = integ::resolve_machine_id_chain({}, no_imds, skipped);
  CHECK(random.source == machine_id_source::random);
  CHECK(random.notes.empty());
}

TEST_CASE("an unwritable cache still gives the registry's id, with a note", "[windows][machine_id]") {
  temporary_directory dir;
  write_cache_text(dir.path / "a-file", "x");
  const auto resolved =
      integ::resolve_machine_id_chain(dir.path / "a-file" / "machine_id", no_imds, integ::os_machine_id_source{});
  CHECK(resolved.source == machine_id_source::os);
  REQUIRE_FALSE(resolved.notes.empty());
  CHECK_THAT(resolved.notes.back(), Catch::StartsWith("cache: cannot"));
}

TEST_CASE("the keyed machine id builds and agrees with Linux on Windows", "[windows][machine_id]") {
  // The value tests/integrations/machine_id_test.cpp checks against Python's uuid.uuid5.
  const auto raw = *cat::machine_id::parse("8a7e1c2b-4d3f-4e5a-9b6c-0d1e2f3a4b5c");
  CHECK(integ::keyed_machine_id(raw, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").to_string() ==
        "19e70c1e-bc7f-5b46-9e5e-470a65dbe183");
}

}  // namespace machine_id_windows_test
