// Tests the reviewed types' projections: what the central instance gets for each value, and
// that the user's own instance always gets the value unchanged.
#include <onefuzz/telemetry/catalog.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;

struct projection_case {
  std::string_view input;
  std::string_view central;
};

template <class Reviewed>
void check_projections(const std::vector<projection_case>& cases) {
  for (const auto& row : cases) {
    INFO("input '" << std::string{row.input} << "'");
    const Reviewed value{std::string{row.input}};
    CHECK(value.full_value() == row.input);
    CHECK(value.central_projection() == row.central);
    // A copy projects the same (the projection is a view into the copy, not the original).
    const Reviewed copy = value;
    CHECK(copy.central_projection() == row.central);
    CHECK(copy == value);
  }
}

}  // namespace

// The full table of crafted values is in tool_name_test.cpp.
TEST_CASE("tool_name sends only the file name centrally", "[catalog][reviewed]") {
  check_projections<cat::tool_name>({
      {"{tools_dir}/radamsa", "radamsa"},  // the radamsa template's generator
      {"cdb.exe", "cdb.exe"},              // the radamsa template's analyzer
      {"/home/alice/fuzzing/tools/my-generator", "my-generator"},
      {"C:\\Users\\alice\\tools\\analyzer.exe", "analyzer.exe"},
      {"{tools_dir}\\sub/dir\\tool", "tool"},
      {"{setup_dir}/my tool with spaces", "my"},
      {"dir/", "other"},
      {"", "other"},
  });
  CHECK_FALSE(cat::tool_name::projection.empty());
  CHECK(cat::tool_name{}.full_value().empty());
}

TEST_CASE("afl_mode passes AFL mode words centrally and nothing else", "[catalog][reviewed]") {
  check_projections<cat::afl_mode>({
      // What AFL 2.x writes.
      {"default", "default"},
      {"qemu", "qemu"},
      {"persistent deferred", "persistent deferred"},
      {"qemu  dumb no_forksrv crash", "qemu  dumb no_forksrv crash"},
      // What AFL++ writes, including its glued "unicorn" and "coresight".
      {"unicornpersistent", "unicornpersistent"},
      {"coresight non_instrumented", "coresight non_instrumented"},
      {"qemu no_fsrv shmem_testcase deferred", "qemu no_fsrv shmem_testcase deferred"},
      // Whitespace the original's parser would have trimmed.
      {"  persistent \t", "persistent"},
      // Anything else.
      {"", "other"},
      {"   ", "other"},
      {"nyx", "other"},
      {"qemu alice", "other"},
      {"defaults", "other"},
      {"Default", "other"},
      {"persistent,deferred", "other"},
      {"qemu\tpersistent", "other"},  // AFL separates words with spaces only
      {"/home/alice/afl-fuzz", "other"},
  });
  CHECK(cat::afl_mode{"qemu persistent"}.is_known());
  CHECK_FALSE(cat::afl_mode{"custom build"}.is_known());
  CHECK(cat::afl_mode{}.central_projection() == "other");
}

TEST_CASE("vm_sku passes Azure VM size names centrally and nothing else", "[catalog][reviewed]") {
  check_projections<cat::vm_sku>({
      {"Standard_D2s_v3", "Standard_D2s_v3"},  // OneFuzz's default
      {"Basic_A0", "Basic_A0"},
      {"Standard_A1", "Standard_A1"},
      {"Standard_D2_v2_Promo", "Standard_D2_v2_Promo"},
      {"Standard_DS13-4_v2", "Standard_DS13-4_v2"},
      {"Standard_GS5-8", "Standard_GS5-8"},
      {"Standard_M416-208s_v2", "Standard_M416-208s_v2"},
      {"Standard_M416s_8_v2", "Standard_M416s_8_v2"},
      {"Standard_NC4as_T4_v3", "Standard_NC4as_T4_v3"},
      {"Standard_NC24ads_A100_v4", "Standard_NC24ads_A100_v4"},
      {"Standard_ND96isr_MI300X_v5", "Standard_ND96isr_MI300X_v5"},
      {"Standard_NCC40ads_H100_v5", "Standard_NCC40ads_H100_v5"},
      {"Standard_NG8ads_V620_v1", "Standard_NG8ads_V620_v1"},
      {"Standard_DC4ads_cc_v5", "Standard_DC4ads_cc_v5"},
      {"Standard_HB176-24rs_v4", "Standard_HB176-24rs_v4"},
      {"Standard_D2plds_v5", "Standard_D2plds_v5"},
      {"Standard_M832ixs_v2", "Standard_M832ixs_v2"},
      {"Standard_B1ls", "Standard_B1ls"},
      {"Standard_FX4mds", "Standard_FX4mds"},
      // Not size names, or not in canonical spelling.
      {"", "other"},
      {"Standard_", "other"},
      {"standard_d2s_v3", "other"},
      {"Standard_D2s_v3 ", "other"},
      {"Standard_Alice", "other"},
      {"Standard_D2alice", "other"},
      {"Standard_D2s_v3_alice", "other"},
      {"Standard_D2s_v3_v3_v3_v3_v3", "other"},
      {"Standard_D2sssssssss", "other"},
      {"Premium_D2s_v3", "other"},
      {"/subscriptions/0000/resourceGroups/alice/Standard_D2s_v3", "other"},
      {"Standard_D2s_v3\"}", "other"},
      {"Standard_ABCDE1", "other"},
      {"Standard_D1234", "other"},
  });
  CHECK(cat::vm_sku{"Standard_D2s_v3"}.is_known());
  CHECK_FALSE(cat::vm_sku{"my sku"}.is_known());
}

TEST_CASE("the catalog's reviewed fields are central by projection", "[catalog][reviewed]") {
  auto projection_of = [](const auto& fields, std::string_view name) {
    for (const auto& field : fields) {
      if (field.name == name) return field;
    }
    FAIL("no field " << std::string{name});
    return tel::field_info{};
  };
  const auto tool = projection_of(tel::fields_of<cat::task_start>, "tool_name");
  CHECK(tool.exposure == tel::central_exposure::projection);
  CHECK(tool.projection == cat::tool_name::projection);
  const auto mode = projection_of(tel::fields_of<cat::afl_runtime_stats>, "mode");
  CHECK(mode.exposure == tel::central_exposure::projection);
  CHECK(mode.projection == cat::afl_mode::projection);
  const auto sku = projection_of(tel::fields_of<cat::scaleset_state_changed>, "vm_sku");
  CHECK(sku.exposure == tel::central_exposure::projection);
  CHECK(sku.projection == cat::vm_sku::projection);
}
