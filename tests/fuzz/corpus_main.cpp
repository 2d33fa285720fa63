// The regression driver: runs every file of the corpus directories given on the command
// line through the target's LLVMFuzzerTestOneInput, in name order, so the committed seeds
// and reproducers are checked on every test run, with whatever compiler and sanitizer
// the build uses. A broken property ends the process (fuzz_support::fail).
#include "fuzz_support.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus directory or file>...\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path{argv[i]};
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(path)) {
      inputs.push_back(path);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  // An empty corpus checks nothing: treat it as a mistake in the test's setup.
  if (inputs.empty()) {
    std::fprintf(stderr, "no corpus files found\n");
    return 2;
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream file(path, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    const std::string name = path.string();
    fuzz_support::current_input = name.c_str();
    // Named before it runs, so a sanitizer's report is followed by nothing else and the
    // last name printed is the input at fault.
    std::printf("%s\n", name.c_str());
    std::fflush(stdout);
    // libFuzzer never passes a null pointer, even for an empty input; reserved room keeps
    // data() non-null here too.
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    data.reserve(1);
    LLVMFuzzerTestOneInput(data.data(), bytes.size());
  }
  fuzz_support::current_input = nullptr;
  std::printf("%zu corpus files passed\n", inputs.size());
  return 0;
}
