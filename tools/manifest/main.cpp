// onefuzz-manifest: writes the privacy manifest (JSON) and the "Data sent to Microsoft"
// document (Markdown) from the catalog's types, so neither can drift from the code.
//
//   onefuzz-manifest --json docs/privacy-manifest.json --markdown docs/telemetry.md
#include "catalog_manifest.hpp"
#include "markdown.hpp"

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

namespace {

int usage() {
  std::fputs("usage: onefuzz-manifest [--json <file>] [--markdown <file>]\n"
             "  writes the privacy manifest and/or the telemetry document generated from the\n"
             "  OneFuzz catalog; with no option, prints the manifest on standard output\n",
             stderr);
  return 2;
}

// Writes text to path, replacing it; an error names the file.
void write_file(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  std::string markdown_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if ((argument == "--json" || argument == "--markdown") && i + 1 < argc) {
      (argument == "--json" ? json_path : markdown_path) = argv[++i];
    } else {
      return usage();
    }
  }
  try {
    const auto manifest = onefuzz::manifest::catalog_manifest();
    const std::string json = onefuzz::telemetry::audit::pretty_json(manifest);
    // Rendered even when only the JSON is asked for, so a missing description always fails.
    const std::string markdown = onefuzz::manifest::render_markdown(manifest);
    if (json_path.empty() && markdown_path.empty()) std::fputs(json.c_str(), stdout);
    if (!json_path.empty()) write_file(json_path, json);
    if (!markdown_path.empty()) write_file(markdown_path, markdown);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "onefuzz-manifest: %s\n", error.what());
    return 1;
  }
  return 0;
}
