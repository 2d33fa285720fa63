// What the platform gives as text reaches the payload as UTF-8: a path field (UTF-16 on
// Windows, bytes on Linux) and the host name in the full envelope's tags. Runs on every
// platform; on Windows (tools/windows_test.sh, under wine) it checks the Windows paths.
#include <onefuzz/telemetry.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace platform_text_test {

namespace {

namespace tel = onefuzz::telemetry;
namespace json = boost::json;

struct file_seen {
  static constexpr std::string_view event_name = "file_seen";
  BOOST_HANA_DEFINE_STRUCT(file_seen, (tel::instance_only<std::filesystem::path>, file),
                           (tel::instance_only<std::optional<std::filesystem::path>>, previous));
};
static_assert(tel::event<file_seen>);

const tel::timestamp when = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1};

json::object parse_object(std::string_view text) {
  json::error_code error;
  json::value value = json::parse(text, error);
  INFO(text);
  REQUIRE_FALSE(error);
  REQUIRE(value.is_object());
  return value.as_object();
}

struct sent {
  json::object properties;
  tel::write_report report;
};

sent send(const file_seen& event) {
  const tel::full_envelope destination{tel::envelope_options{
      .instrumentation_key = "00000000-0000-0000-0000-0000000000aa",
      .role_instance = "vm-0",
      .device_id = "vm-0"}};
  tel::output_buffer out;
  const auto report = tel::write_full(out, destination, when, event);
  auto root = parse_object(out.view());
  return {root.at("data").as_object().at("baseData").as_object().at("properties").as_object(),
          report};
}

}  // namespace

TEST_CASE("a path with non-ASCII characters is sent as UTF-8, as given", "[windows][path]") {
  // zoë, U+1F600: the bytes C3 AB and F0 9F 98 80 on the wire, on every platform (on
  // Windows the path holds them as UTF-16 in between). Separators are kept as written.
  file_seen event;
  event.file = std::filesystem::path{u8"C:/Users/zo\u00EB/crash-\U0001F600 \"1\""};
  event.previous = std::filesystem::path{u8"/tmp/plain"};
  const auto [properties, report] = send(event);
  CHECK(properties.at("file").as_string() == "C:/Users/zo\xC3\xAB/crash-\xF0\x9F\x98\x80 \"1\"");
  CHECK(properties.at("previous").as_string() == "/tmp/plain");
  CHECK(report.clean());
}

TEST_CASE("a path that is not valid Unicode is repaired with U+FFFD and counted", "[windows][path]") {
  file_seen event;
#if defined(_WIN32)
  // Windows allows a lone surrogate in a file name; UTF-8 cannot hold one.
  event.file = std::filesystem::path{std::wstring{L"a"} + wchar_t{0xD800} + L"b.txt"};
#else
  // Linux allows any byte but '/' and NUL; 0xFF never occurs in UTF-8.
  event.file = std::filesystem::path{std::string{"a\xFF" "b.txt"}};
#endif
  const auto [properties, report] = send(event);
  CHECK(properties.at("file").as_string() == "a\xEF\xBF\xBD" "b.txt");
  CHECK(properties.count("previous") == 0);  // an empty optional is left out
  CHECK(report.invalid_utf8_replaced == 1);
  CHECK(report.truncated_values == 0);
}

TEST_CASE("the full envelope names this host when no role instance is given", "[windows][host]") {
  tel::envelope_options options;  // role instance and device id left empty
  options.instrumentation_key = "00000000-0000-0000-0000-0000000000aa";
  const tel::full_envelope destination{options};
  std::string prefix{destination.prefix()};
  prefix += R"(2024-05-01T00:00:00.000Z"})";
  const auto root = parse_object(prefix);
  const auto& tags = root.at("tags").as_object();
  const std::string instance{tags.at("ai.cloud.roleInstance").as_string()};
  CHECK(std::string{tags.at("ai.device.id").as_string()} == instance);
  CHECK_FALSE(instance.empty());
  CHECK(instance != "unknown");
#if defined(_WIN32)
  // COMPUTERNAME is the NetBIOS name: the host name in capitals, cut at 15 characters.
  const char* netbios = std::getenv("COMPUTERNAME");
  REQUIRE(netbios != nullptr);
  std::string expected = instance.substr(0, 15);
  for (char& c : expected) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  CHECK(std::string{netbios} == expected);
#else
  std::ifstream kernel{"/proc/sys/kernel/hostname"};
  std::string expected;
  if (kernel && std::getline(kernel, expected)) CHECK(instance == expected);
#endif
}

}  // namespace platform_text_test
