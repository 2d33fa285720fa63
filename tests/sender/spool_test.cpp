// The spool: batches that cannot be sent are kept on disk and sent after a later success
// or the next start; damaged files are skipped and counted; nothing is lost uncounted.
#include "temporary_directory.hpp"
#include "sender_support.hpp"

#include <onefuzz/telemetry/transport/spool.hpp>

#include <boost/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace spool_test {

namespace fs = std::filesystem;
using namespace sender_support;
using tel::testing::fault;
using tel::testing::ingestion_server;
using tel::transport::drop_reason;

namespace {

tel::transport::sender_options options_for(const ingestion_server& server, const fs::path& spool,
                                           bool with_central = false) {
  auto options = fast_options(server.connection_string(instance_key),
                              with_central ? server.connection_string(central_key) : std::string{});
  options.retry.max_attempts = 2;
  options.spool.directory = spool;
  return options;
}

cat::new_result crash(const std::string& name) {
  cat::new_result ev;
  ev.path = name;
  return ev;
}

std::vector<fs::path> spool_files(const fs::path& root) {
  std::vector<fs::path> files;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

fs::path only_folder(const fs::path& root, std::string_view prefix) {
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(prefix)) return entry.path();
  }
  FAIL("no spool folder starting with " << prefix);
  return {};
}

}  // namespace

TEST_CASE("exhausted retries go to the spool, and leave it after the next success") {
  temporary_directory spool;
  ingestion_server server;
  server.script({fault::status(503), fault::status(503)});  // max_attempts = 2
  tel::transport::sender<> sender{options_for(server, spool.path)};
  sender.emit(crash("crash-1"));
  REQUIRE(sender.force_flush(10s));
  auto s = sender.instance_statistics();
  CHECK(s.spooled == 2);
  CHECK(s.dropped_total() == 0);
  check_accounting(s);

  const auto files = spool_files(spool.path);
  REQUIRE(files.size() == 1);
  struct stat file_info {};
  REQUIRE(::stat(files[0].c_str(), &file_info) == 0);
  CHECK((file_info.st_mode & 0777) == 0600);
  REQUIRE(::stat(files[0].parent_path().c_str(), &file_info) == 0);
  CHECK((file_info.st_mode & 0777) == 0700);
  // The folder is named after a hash of the key, never the key itself.
  CHECK(files[0].string().find(instance_key) == std::string::npos);

  // A live success lets the spooled batch follow.
  sender.emit(crash("crash-2"));
  REQUIRE(sender.force_flush(10s));
  REQUIRE(server.wait_for_accepted(instance_key, 4, std::chrono::steady_clock::now() + 10s));
  CHECK(sender.shutdown(10s));
  s = sender.instance_statistics();
  CHECK(s.accepted == 4);
  CHECK(s.spooled == 0);
  check_accounting(s);
  CHECK(spool_files(spool.path).empty());
}

TEST_CASE("what shutdown cannot deliver is spooled, and sent by the next run") {
  temporary_directory spool;
  {
    ingestion_server down;
    // One held request per destination: both are down.
    down.script({fault::never_answer(), fault::never_answer()});
    tel::transport::sender<> sender{options_for(down, spool.path, true)};
    for (int i = 0; i < 5; ++i) sender.emit(crash("crash-" + std::to_string(i)));
    CHECK_FALSE(sender.shutdown(300ms));
    const auto s = sender.instance_statistics();
    CHECK(s.spooled == 10);
    CHECK(s.dropped_total() == 0);
    check_accounting(s);
    check_accounting(*sender.central_statistics());
    CHECK(sender.central_statistics()->spooled == 10);
  }

  // The central spool holds central payloads only: no file names.
  for (const auto& file : spool_files(only_folder(spool.path, "central-"))) {
    std::ifstream in{file};
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    CHECK(text.find("crash-") == std::string::npos);
    CHECK(text.find(central_key) != std::string::npos);
  }

  ingestion_server up;
  tel::transport::sender<> restarted{options_for(up, spool.path, true)};
  CHECK(restarted.instance_statistics().restored == 10);
  REQUIRE(up.wait_for_accepted(instance_key, 10, std::chrono::steady_clock::now() + 10s));
  REQUIRE(up.wait_for_accepted(central_key, 10, std::chrono::steady_clock::now() + 10s));
  CHECK(restarted.shutdown(10s));
  const auto s = restarted.instance_statistics();
  CHECK(s.accepted == 10);
  CHECK(s.spooled == 0);
  check_accounting(s);
  CHECK(spool_files(spool.path).empty());
}

TEST_CASE("damaged, partial and expired spool files are skipped and counted") {
  temporary_directory spool;
  // Make the folder layout with one run that spools a batch.
  {
    ingestion_server down;
    down.script({fault::status(503), fault::status(503)});
    tel::transport::sender<> sender{options_for(down, spool.path)};
    sender.emit(crash("kept"));
    REQUIRE(sender.force_flush(10s));
    sender.shutdown(1s);
  }
  const fs::path folder = only_folder(spool.path, "instance-");
  REQUIRE(spool_files(folder).size() == 1);
  // Written as the spool writes its own files: 0600. (A file open to others would be left
  // alone as not ours: spool_security_test.cpp.)
  const auto write = [&](const std::string& name, const std::string& text) {
    {
      std::ofstream out{folder / name, std::ios::binary};
      out << text;
    }
    fs::permissions(folder / name, fs::perms::owner_read | fs::perms::owner_write);
  };
  write("00000000000000000001-00000001.ndjson", "garbage\n{}");
  write("00000000000000000002-00000001.ndjson", "onefuzz-spool 1 3 0\n{\"a\":1}\n{\"b\":");  // cut short
  write("00000000000000000003-00000001.tmp", "an interrupted write");
  const auto old_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (std::chrono::system_clock::now() - 49h).time_since_epoch())
                          .count();
  write("00000000000000000004-00000001.ndjson", "onefuzz-spool 1 1 " + std::to_string(old_ms) + "\n{\"ver\":1}");

  ingestion_server up;
  tel::transport::sender<> sender{options_for(up, spool.path)};
  auto s = sender.instance_statistics();
  CHECK(s.spool_corrupt_files == 2);
  // The expired item, the two items of the real batch, and the 3 the cut file announced.
  CHECK(s.restored == 6);
  CHECK(s.dropped_by(drop_reason::spool_corrupt) == 3);
  CHECK(s.spool_corrupt_bytes == 10);  // "garbage\n{}": no readable header, so its bytes
  REQUIRE(up.wait_for_accepted(instance_key, 2, std::chrono::steady_clock::now() + 10s));
  CHECK(sender.shutdown(10s));
  s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::expired) == 1);
  CHECK(s.accepted == 2);
  check_accounting(s);
  CHECK(spool_files(spool.path).empty());
}

TEST_CASE("a spool over its byte cap evicts its oldest files, counted") {
  temporary_directory spool;
  ingestion_server down;
  down.script(std::vector<fault>(100, fault::status(503)));
  auto options = options_for(down, spool.path);
  options.batching.max_items = 2;
  options.spool.max_bytes = 3000;  // about two batches of two items
  tel::transport::sender<> sender{options};
  for (int i = 0; i < 8; ++i) {
    sender.emit(crash("crash-" + std::to_string(i)));
    REQUIRE(sender.force_flush(10s));
  }
  const auto s = sender.instance_statistics();
  CHECK(s.dropped_by(drop_reason::spool_full) > 0);
  CHECK(s.spooled > 0);
  std::uintmax_t bytes = 0;
  for (const auto& file : spool_files(spool.path)) bytes += fs::file_size(file);
  CHECK(bytes <= 3000);
  check_accounting(s);
  sender.shutdown(200ms);
  check_accounting(sender.instance_statistics());
}

TEST_CASE("spool files parse only when complete") {
  tel::transport::detail::batch batch;
  CHECK_FALSE(tel::transport::parse_spool_file("onefuzz-spool 1 2 5\n{\"a\":1}\n{\"b\":2}", batch).has_value());
  CHECK(batch.items() == 2);
  CHECK(batch.item(1) == "{\"b\":2}");
  using tel::transport::spool_read_error;
  CHECK(tel::transport::parse_spool_file("", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 0 5\n", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 x 5\n{}", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 2 5\n{\"a\":1}", batch) == spool_read_error::truncated);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 1 5\n{\"a\":", batch) == spool_read_error::bad_item);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 1 5\n\n", batch) == spool_read_error::truncated);
  // More lines than announced.
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 1 5\n{}\n{}", batch) == spool_read_error::truncated);
  CHECK(batch.items() == 0);  // nothing half-read is left for a caller to send
}

TEST_CASE("every spool line must be exactly one complete JSON object") {
  using tel::transport::spool_read_error;
  tel::transport::detail::batch batch;
  const auto parse = [&](const std::string& body) {
    return tel::transport::parse_spool_file("onefuzz-spool 1 1 5\n" + body, batch);
  };
  CHECK_FALSE(parse(R"({"a":{"b":[1,2]},"c":"d"})").has_value());
  CHECK(batch.item(0) == R"({"a":{"b":[1,2]},"c":"d"})");
  // Cut just after an inner '}': it starts with '{' and ends with '}', but is not complete.
  CHECK(parse(R"({"a":{"b":1})") == spool_read_error::bad_item);
  CHECK(parse(R"({"a":{"b":1}}})") == spool_read_error::bad_item);  // one '}' too many
  CHECK(parse(R"({"a":1}{"b":2})") == spool_read_error::bad_item);  // two objects on a line
  CHECK(parse(R"([{"a":1}])") == spool_read_error::bad_item);       // not an object
  CHECK(parse(R"({"a":1,})") == spool_read_error::bad_item);        // trailing comma
  CHECK(parse(R"({"a":1} )") == spool_read_error::bad_item);        // text after the object
  CHECK(parse(R"({"a":1 /* c */})") == spool_read_error::bad_item);  // comment
  CHECK(parse("{\"a\":\"\xff\"}") == spool_read_error::bad_item);  // invalid UTF-8
  CHECK(parse("{\"a\":\"x\ty\"}") == spool_read_error::bad_item);  // raw control character
  CHECK(batch.items() == 0);
  // Headers: an absurd count (more items than the largest file could hold) or a sign.
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 99999999999 5\n{}", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 +1 5\n{}", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 2 1 5\n{}", batch) == spool_read_error::bad_header);
  // An oldest time system_clock cannot hold (past 2262, or before 1970) would overflow.
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 1 9223372036855\n{}", batch) == spool_read_error::bad_header);
  CHECK(tel::transport::parse_spool_file("onefuzz-spool 1 1 -1\n{}", batch) == spool_read_error::bad_header);
  CHECK_FALSE(tel::transport::parse_spool_file("onefuzz-spool 1 1 9223372036854\n{}", batch).has_value());
}

}  // namespace spool_test
