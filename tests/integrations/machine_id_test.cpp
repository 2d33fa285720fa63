// The machine-id chain (cache file, IMDS vmId, OS machine id, random GUID; then cached)
// with temporary files and a loopback IMDS (tests/support/fake_imds.hpp), and the agent's ids from
// ONEFUZZ_* variables through an injected getenv.
#include "fake_imds.hpp"
#include "test_support.hpp"

#include <onefuzz/telemetry/integrations/agent_environment.hpp>
#include <onefuzz/telemetry/integrations/imds.hpp>
#include <onefuzz/telemetry/integrations/machine_id.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace machine_id_test {

namespace cat = onefuzz::telemetry::catalog;
namespace integ = onefuzz::telemetry::integrations;
namespace http = boost::beast::http;
using integ::machine_id_source;
using namespace std::chrono_literals;

namespace {

using imds_support::fake_imds;

constexpr const char* vm_id_text = "6c2d9b1e-3f41-4d0a-9a5e-0f1e2d3c4b5a";
constexpr const char* os_id_text = "0123456789abcdef0123456789abcdef";  // /etc/machine-id's form

struct chain_files {
  integrations_test::temp_dir dir;
  std::filesystem::path cache = dir / "etc" / "machine_id";
  std::filesystem::path os = dir / "machine-id";
  integ::machine_id_options options(const fake_imds* imds = nullptr) const {
    integ::machine_id_options o;
    o.cache_file = cache;
    o.os_machine_id_file = os;
    if (imds != nullptr) {
      o.use_imds = true;
      o.imds.base_url = imds->base_url();
      o.imds.timeout = 300ms;
    }
    return o;
  }
};

std::string cached_text(const chain_files& files) { return integrations_test::read_file(files.cache); }

}  // namespace

TEST_CASE("the cache answers first, and nothing else is consulted") {
  chain_files files;
  fake_imds imds;
  imds.set("vmId", {.body = vm_id_text});
  std::filesystem::create_directories(files.cache.parent_path());
  integrations_test::write_file(files.cache, "9a7b3c2d-1e0f-4a5b-8c6d-7e8f9a0b1c2d\n");
  integrations_test::write_file(files.os, os_id_text);
  const auto resolved = integ::resolve_machine_id(files.options(&imds));
  CHECK(resolved.source == machine_id_source::cache);
  CHECK(resolved.id.to_string() == "9a7b3c2d-1e0f-4a5b-8c6d-7e8f9a0b1c2d");
  CHECK(resolved.notes.empty());
  CHECK(imds.requests().empty());
}

TEST_CASE("no cache: IMDS vmId when enabled, asked as IMDS requires, then cached") {
  chain_files files;
  fake_imds imds;
  imds.set("vmId", {.body = std::string{vm_id_text} + "\n"});
  integrations_test::write_file(files.os, os_id_text);
  const auto resolved = integ::resolve_machine_id(files.options(&imds));
  CHECK(resolved.source == machine_id_source::imds);
  CHECK(resolved.id.to_string() == vm_id_text);
  REQUIRE(imds.requests().size() == 1);
  const auto request = imds.requests().front();
  CHECK(request.target.starts_with("/metadata/instance/compute/vmId?api-version="));
  CHECK_THAT(request.target, Catch::Contains("format=text"));
  CHECK(request.metadata_header == "true");
  CHECK(cached_text(files) == vm_id_text);  // cached; the parent directory was created

  // The next start reads the cache and leaves IMDS alone.
  const auto again = integ::resolve_machine_id(files.options(&imds));
  CHECK(again.source == machine_id_source::cache);
  CHECK(again.id == resolved.id);
  CHECK(imds.requests().size() == 1);
}

TEST_CASE("IMDS failing in each way falls through to the OS machine id, with a note") {
  struct failure {
    const char* what;
    fake_imds::answer answer;
    const char* note;
  };
  const std::vector<failure> failures = {
      {"404", {.status = http::status::not_found, .body = ""}, "HTTP 404"},
      {"500", {.status = http::status::internal_server_error, .body = vm_id_text}, "HTTP 500"},
      {"not a GUID", {.status = http::status::ok, .body = "not-a-guid"}, "not a GUID"},
      {"nil GUID", {.status = http::status::ok, .body = "00000000-0000-0000-0000-000000000000"}, "nil"},
      {"huge body", {.status = http::status::ok, .body = std::string(100000, 'a')}, "over 4 KB"},
      {"no answer", {.status = http::status::ok, .body = "", .hang = true}, "failed"},
  };
  for (const auto& f : failures) {
    INFO(f.what);
    chain_files files;
    fake_imds imds;
    imds.set("vmId", f.answer);
    integrations_test::write_file(files.os, std::string{os_id_text} + "\n");
    const auto started = std::chrono::steady_clock::now();
    const auto resolved = integ::resolve_machine_id(files.options(&imds));
    CHECK(std::chrono::steady_clock::now() - started < 5s);  // the 300 ms timeout holds
    CHECK(resolved.source == machine_id_source::os);
    CHECK(resolved.id.to_string() == "01234567-89ab-cdef-0123-456789abcdef");
    REQUIRE(resolved.notes.size() >= 2);  // no cache, then IMDS's reason
    CHECK_THAT(resolved.notes[1], Catch::Contains(f.note));
    CHECK(cached_text(files) == "01234567-89ab-cdef-0123-456789abcdef");
  }
}

TEST_CASE("IMDS that nobody serves: a refused connection falls through quickly") {
  chain_files files;
  std::string dead_url;
  {
    fake_imds gone;  // bind a port, then free it: nothing listens there afterwards
    dead_url = gone.base_url();
  }
  auto options = files.options();
  options.use_imds = true;
  options.imds.base_url = dead_url;
  options.imds.timeout = 300ms;
  integrations_test::write_file(files.os, os_id_text);
  const auto resolved = integ::resolve_machine_id(options);
  CHECK(resolved.source == machine_id_source::os);
}

TEST_CASE("IMDS is never contacted unless enabled") {
  chain_files files;
  fake_imds imds;
  imds.set("vmId", {.body = vm_id_text});
  auto options = files.options();
  options.imds.base_url = imds.base_url();  // configured, but use_imds stays false
  integrations_test::write_file(files.os, os_id_text);
  CHECK(integ::resolve_machine_id(options).source == machine_id_source::os);
  CHECK(imds.requests().empty());
  CHECK_FALSE(integ::machine_id_options{}.use_imds);
}

TEST_CASE("nothing answers: a random v4 GUID, cached so the machine keeps it") {
  chain_files files;  // neither the cache nor the OS file exists
  const auto first = integ::resolve_machine_id(files.options());
  CHECK(first.source == machine_id_source::random);
  CHECK((first.id.value().bytes()[6] >> 4) == 4);  // version 4
  const auto second = integ::resolve_machine_id(files.options());
  CHECK(second.source == machine_id_source::cache);
  CHECK(second.id == first.id);
}

TEST_CASE("a cache that does not hold a GUID is passed over and rewritten") {
  chain_files files;
  std::filesystem::create_directories(files.cache.parent_path());
  integrations_test::write_file(files.cache, "garbage");
  integrations_test::write_file(files.os, os_id_text);
  const auto resolved = integ::resolve_machine_id(files.options());
  CHECK(resolved.source == machine_id_source::os);
  REQUIRE_FALSE(resolved.notes.empty());
  CHECK_THAT(resolved.notes[0], Catch::Contains("does not hold a GUID"));
  CHECK(cached_text(files) == "01234567-89ab-cdef-0123-456789abcdef");
}

TEST_CASE("an unwritable cache still gives an id, with a note") {
  chain_files files;
  integrations_test::write_file(files.os, os_id_text);
  auto options = files.options();
  integrations_test::write_file(files.dir / "a-file", "x");
  options.cache_file = files.dir / "a-file" / "machine_id";  // its parent is a file
  const auto resolved = integ::resolve_machine_id(options);
  CHECK(resolved.source == machine_id_source::os);
  CHECK_THAT(resolved.notes.back(), Catch::Contains("cache: cannot"));
}

TEST_CASE("the real /etc/machine-id, when present, parses as the OS source") {
  if (!std::filesystem::exists("/etc/machine-id") || std::filesystem::file_size("/etc/machine-id") == 0) {
    WARN("no /etc/machine-id on this machine");
    return;
  }
  integ::machine_id_options options;
  options.cache_file.clear();  // read only: never write outside the test's directories
  const auto resolved = integ::resolve_machine_id(options);
  CHECK(resolved.source == machine_id_source::os);
}

TEST_CASE("IMDS scale set name: present, or an error when the VM is in none") {
  fake_imds imds;
  imds.set("vmScaleSetName", {.body = "vmss-linux-pool"});
  const integ::imds_options options{.base_url = imds.base_url(), .timeout = 500ms};
  const auto name = integ::fetch_imds_scaleset_name(options);
  REQUIRE(name);
  CHECK(*name == "vmss-linux-pool");
  imds.set("vmScaleSetName", {.body = ""});
  CHECK_FALSE(integ::fetch_imds_scaleset_name(options));
}

TEST_CASE("agent ids from ONEFUZZ_* variables, through an injected getenv") {
  std::map<std::string, std::string> env = {
      {"ONEFUZZ_INSTANCE_ID", "  1b4e28ba-2fa1-4d2e-883f-0016d3cca427 "},
      {"ONEFUZZ_MACHINE_ID", "{6C2D9B1E-3F41-4D0A-9A5E-0F1E2D3C4B5A}"},
      {"ONEFUZZ_SCALESET_NAME", "vmss-alice"},
  };
  auto lookup = [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const auto read = integ::read_agent_environment(lookup);
  REQUIRE(read);
  CHECK(read->instance_id->to_string() == "1b4e28ba-2fa1-4d2e-883f-0016d3cca427");
  CHECK(read->machine_id->to_string() == "6c2d9b1e-3f41-4d0a-9a5e-0f1e2d3c4b5a");
  CHECK(*read->scaleset_name == "vmss-alice");

  env["ONEFUZZ_SCALESET_NAME"] = "   ";  // blank counts as unset
  env.erase("ONEFUZZ_INSTANCE_ID");
  const auto partial = integ::read_agent_environment(lookup);
  REQUIRE(partial);
  CHECK_FALSE(partial->instance_id);
  CHECK_FALSE(partial->scaleset_name);

  env["ONEFUZZ_MACHINE_ID"] = "my-laptop";
  const auto bad = integ::read_agent_environment(lookup);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("ONEFUZZ_MACHINE_ID") && Catch::Contains("not a GUID"));
  CHECK_THAT(bad.error().message, !Catch::Contains("my-laptop"));  // the value is not echoed

  const auto none = integ::read_agent_environment([](const char*) -> const char* { return nullptr; });
  REQUIRE(none);
  CHECK_FALSE(none->machine_id);
}

// The keyed machine id: a UUID v5 of the raw id under a namespace derived from the salt.
// Expected values computed independently with Python's uuid module (not Boost):
//   python3 -c 'import uuid
//   ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:onefuzz-telemetry:keyed-machine-id:" + SALT)
//   print(uuid.uuid5(ns, "8a7e1c2b-4d3f-4e5a-9b6c-0d1e2f3a4b5c"))'
// with SALT "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" and "another salt value".
namespace {
const cat::machine_id raw_machine = *cat::machine_id::parse("8a7e1c2b-4d3f-4e5a-9b6c-0d1e2f3a4b5c");
constexpr const char* deployment_salt = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
}  // namespace

TEST_CASE("keyed machine id: the UUID v5 that Python's uuid.uuid5 computes") {
  CHECK(integ::keyed_machine_id(raw_machine, deployment_salt).to_string() ==
        "19e70c1e-bc7f-5b46-9e5e-470a65dbe183");
  CHECK(integ::keyed_machine_id(raw_machine, "another salt value").to_string() ==
        "9394dda4-e086-58ad-ba83-0947fa6158f0");
  // The uuid overload is the same function.
  CHECK(integ::keyed_machine_id(raw_machine.value(), deployment_salt) ==
        integ::keyed_machine_id(raw_machine, deployment_salt).value());
}

TEST_CASE("keyed machine id: deterministic, keyed by salt and id, never the raw id, RFC 4122 v5") {
  const auto keyed = integ::keyed_machine_id(raw_machine, deployment_salt);
  CHECK(keyed == integ::keyed_machine_id(raw_machine, deployment_salt));
  CHECK(keyed != raw_machine);
  CHECK(keyed != integ::keyed_machine_id(raw_machine, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1"));
  const auto other_machine = *cat::machine_id::parse("8a7e1c2b-4d3f-4e5a-9b6c-0d1e2f3a4b5d");
  CHECK(keyed != integ::keyed_machine_id(other_machine, deployment_salt));
  // The salt and the id are not simply concatenated: moving a character between them changes
  // the result (the salt names a namespace; the id is hashed in it).
  CHECK(integ::keyed_machine_id(raw_machine, "ab") != integ::keyed_machine_id(raw_machine, "a"));
  for (const auto& id : {keyed, integ::keyed_machine_id(other_machine, "x"),
                         integ::keyed_machine_id(cat::machine_id{}, deployment_salt)}) {
    const auto& bytes = id.value().bytes();
    CHECK((bytes[6] >> 4) == 5);       // version 5: name-based, SHA-1
    CHECK((bytes[8] & 0xC0) == 0x80);  // RFC 4122 variant
    CHECK_FALSE(id.value().is_nil());
    const auto reparsed = cat::machine_id::parse(id.to_string());  // a well-formed GUID on the wire
    REQUIRE(reparsed);
    CHECK(*reparsed == id);
  }
}

TEST_CASE("keyed machine id: off by default, on with ONEFUZZ_TELEMETRY_MACHINE_ID_SALT") {
  std::map<std::string, std::string> env = {{"ONEFUZZ_MACHINE_ID", raw_machine.to_string()}};
  auto lookup = [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const auto unset = integ::read_agent_environment(lookup);
  REQUIRE(unset);
  CHECK_FALSE(unset->machine_id_salt);
  CHECK(integ::reported_machine_id(*unset->machine_id, unset->machine_id_salt) == raw_machine);

  env[integ::machine_id_salt_variable] = "   ";  // blank counts as unset
  const auto blank = integ::read_agent_environment(lookup);
  REQUIRE(blank);
  CHECK_FALSE(blank->machine_id_salt);

  env["ONEFUZZ_TELEMETRY_MACHINE_ID_SALT"] = std::string{"  "} + deployment_salt + "\n";
  const auto salted = integ::read_agent_environment(lookup);
  REQUIRE(salted);
  REQUIRE(salted->machine_id_salt);
  CHECK(*salted->machine_id_salt == deployment_salt);  // trimmed
  CHECK(integ::reported_machine_id(*salted->machine_id, salted->machine_id_salt).to_string() ==
        "19e70c1e-bc7f-5b46-9e5e-470a65dbe183");

  env["ONEFUZZ_TELEMETRY_MACHINE_ID_SALT"] = "hunter2-short";  // 13 characters: too easy to guess
  const auto weak = integ::read_agent_environment(lookup);
  REQUIRE_FALSE(weak);
  CHECK_THAT(weak.error().message,
             Catch::Contains("ONEFUZZ_TELEMETRY_MACHINE_ID_SALT") && Catch::Contains("16"));
  CHECK_THAT(weak.error().message, !Catch::Contains("hunter2"));  // the salt is not echoed
}

}  // namespace machine_id_test
