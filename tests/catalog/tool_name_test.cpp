// Tests tool_name's central form on crafted values: paths of every platform, UNC and Win32
// namespace paths, URLs with SAS tokens, command lines, e-mail addresses, non-ASCII and
// invalid UTF-8, and sizes around the grammar's limit. Each expectation was worked out by
// hand from the rule in tool_name.hpp, not by running the code.
#include <onefuzz/telemetry/catalog/tool_name.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace cat = onefuzz::telemetry::catalog;

struct row {
  std::string input;
  std::string central;
};

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

const std::vector<row>& table() {
  static const std::vector<row> rows = {
      // What OneFuzz's own templates configure.
      {"{tools_dir}/radamsa", "radamsa"},
      {"cdb.exe", "cdb.exe"},
      // POSIX and Windows paths, and both separators mixed.
      {"/home/alice/fuzzing/tools/my-generator", "my-generator"},
      {"C:\\Users\\alice\\tools\\analyzer.exe", "analyzer.exe"},
      {"{tools_dir}\\sub/dir\\tool", "tool"},
      {"../tool", "tool"},
      {"%USERPROFILE%\\tools\\gen_v2.exe", "gen_v2.exe"},
      // Drive-relative: the drive goes, what follows is the name.
      {"C:tool.exe", "tool.exe"},
      {"c:..\\bin\\t+x.exe", "t+x.exe"},
      {"C:", "other"},
      // UNC: the server and share are never a file name.
      {"\\\\fileserver\\share\\alice\\fuzz\\generator.exe", "generator.exe"},
      {"//fileserver/share/generator", "generator"},
      {"\\\\fileserver\\share", "other"},
      {"\\\\fileserver\\share\\", "other"},
      {"\\\\alice-laptop", "other"},
      // Win32 namespace paths: their '?' is not a query.
      {"\\\\?\\C:\\Users\\alice\\tool.exe", "tool.exe"},
      {"\\\\?\\UNC\\fileserver\\share\\alice\\tool.exe", "tool.exe"},
      {"\\\\.\\C:\\tools\\t.exe", "t.exe"},
      {"\\\\?\\UNC\\fileserver", "other"},
      {"\\\\?\\", "other"},
      // URLs: the host, query (a SAS token) and fragment never leave.
      {"https://alicestorage.blob.core.windows.net/tools/generator.exe?sv=2021-06-08&se=2024-"
       "05-01T00%3A00%3A00Z&sr=b&sp=r&sig=AbC%2Bd%2Fe%3D",
       "generator.exe"},
      {"https://host/path/tool.exe?sv=1&sig=abc#frag", "tool.exe"},
      {"https://alice:secret@host:8443/t.exe", "t.exe"},
      {"file:///C:/tools/t.exe", "t.exe"},
      {"https://alicestorage.blob.core.windows.net", "other"},
      {"https://alicestorage.blob.core.windows.net?sig=abc", "other"},
      {"https://host/tools/", "other"},
      // An unencoded '/' in the query: the cut-off text has a separator.
      {"https://host/t.exe?sig=ab/cd", "other"},
      // Arguments: anything after the first space.
      {"radamsa -n 10 --seed 42", "radamsa"},
      {"/usr/bin/afl-fuzz -i in -o out", "afl-fuzz"},
      {"tool?x", "tool"},
      {"/opt/tool#1", "tool"},
      // A separator after the first space, '?' or '#': the cut may be inside a directory
      // name, so nothing is sent rather than that directory ("Program", "a").
      {"C:\\Program Files\\Fuzzers\\t.exe", "other"},
      {"/usr/bin/tool -o /home/alice/out", "other"},
      {"/srv/a#b/tool", "other"},
      {"\\\\my server\\share\\t.exe", "other"},
      // A space inside the file name: the part before it, a piece of the name.
      {"C:\\tools\\my tool.exe", "my"},
      {"{setup_dir}/my tool with spaces", "my"},
      {" tool", "other"},
      // E-mail addresses and other characters outside [A-Za-z0-9._+-].
      {"user@example.com", "other"},
      {"/home/alice/alice@example.com", "other"},
      {"mailto:user@example.com", "other"},
      {"t.exe:stream", "other"},
      {"tool%20x.exe", "other"},
      {"tool\t-x", "other"},
      {"tool\n", "other"},
      // Non-ASCII: unicode letters, invalid UTF-8.
      {"/opt/t\xc3\xb6\xc3\xb6l", "other"},          // "töl" in UTF-8
      {"/home/Jos\xc3\xa9/tool", "tool"},             // only the directory is non-ASCII
      {"/opt/tools/\xff\xfe.exe", "other"},           // invalid UTF-8
      {"/opt/t\xc3(.exe", "other"},                   // truncated sequence
      // Sizes: 1 to 64 bytes.
      {"/opt/" + repeat('a', 64), repeat('a', 64)},
      {"/opt/" + repeat('a', 65), "other"},
      {repeat('b', 64), repeat('b', 64)},
      {repeat('n', 9000), "other"},
      {"/opt/" + repeat('x', 9000) + "/tool", "tool"},
      {"x", "x"},
      // No file name at all.
      {"", "other"},
      {"/", "other"},
      {"///\\\\\\", "other"},
      {"/usr/bin/", "other"},
      {"dir/", "other"},
      {".", "other"},
      {"..", "other"},
      {"/usr/bin/..", "other"},
      {"C:\\tools\\.", "other"},
  };
  return rows;
}

}  // namespace

TEST_CASE("tool_name sends a file name of [A-Za-z0-9._+-]{1,64} or \"other\"",
          "[catalog][reviewed][tool_name]") {
  REQUIRE(table().size() >= 20);
  for (const auto& [input, central] : table()) {
    INFO("input '" << input << "' (" << input.size() << " bytes)");
    const cat::tool_name value{input};
    CHECK(value.full_value() == input);
    CHECK(value.central_projection() == central);
    CHECK(cat::tool_name::central_form(input) == central);
    // Every central form fits the grammar, so the serializer never has to replace one.
    CHECK(cat::tool_name::central_grammar.accepts(value.central_projection()));
    // The form is a view into the stored value (or the literal "other"): no allocation.
    // Compared by content: the literal's address may differ between translation units
    // (each may fold it to its own copy), so "other" is told apart by its text.
    const std::string_view projected = value.central_projection();
    if (projected != cat::tool_name::other) {
      const std::string_view stored = value.full_value();
      CHECK(projected.data() >= stored.data());
      CHECK(projected.data() + projected.size() <= stored.data() + stored.size());
    }
    // Copies and moves project the same: the place is kept as offsets, not pointers.
    const cat::tool_name copy = value;
    CHECK(copy.central_projection() == central);
    CHECK(copy == value);
    cat::tool_name moved = cat::tool_name{input};
    const cat::tool_name target = std::move(moved);
    CHECK(target.central_projection() == central);
    CHECK(target.full_value() == input);
  }
}

TEST_CASE("tool_name's central form is never directory, host or query text",
          "[catalog][reviewed][tool_name]") {
  // Whatever the input, the form is "other" or a run of the input that ends where the
  // input ends or right before ' ', '?' or '#', and starts after a separator, a drive
  // or at the start: so it never ends at a separator.
  for (const auto& [input, central] : table()) {
    INFO("input '" << input << "'");
    const cat::tool_name value{input};
    const std::string_view projected = value.central_projection();
    if (projected == "other") continue;
    const auto offset = static_cast<std::size_t>(projected.data() - value.full_value().data());
    const std::size_t end = offset + projected.size();
    CHECK((end == input.size() || input[end] == ' ' || input[end] == '?' || input[end] == '#'));
    CHECK(input.find_first_of("/\\", end) == std::string::npos);
  }
}

TEST_CASE("tool_name's rule and grammar are what the review approved",
          "[catalog][reviewed][tool_name]") {
  constexpr auto grammar = cat::tool_name::central_grammar;
  CHECK(grammar.allowed() == "A-Za-z0-9._+-");
  CHECK(grammar.min_size() == 1);
  CHECK(grammar.max_size() == 64);
  CHECK(grammar.accepts(cat::tool_name::other));
  // The audit test (tests/audit) keys on this opening.
  CHECK(cat::tool_name::projection.starts_with("file name only"));
  CHECK(cat::tool_name::projection.find("[A-Za-z0-9._+-]") != std::string_view::npos);
  CHECK(cat::tool_name::projection.find("1 to 64") != std::string_view::npos);
  CHECK(cat::tool_name{}.full_value().empty());
  CHECK(cat::tool_name{}.central_projection() == "other");
}
