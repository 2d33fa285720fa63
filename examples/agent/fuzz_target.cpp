// A libFuzzer target with a crash that takes a real fuzzer a second or a few to find: the
// "FUZZ" prefix is solved quickly from comparison feedback, but the input must also grow to
// 256 bytes, and libFuzzer only lets inputs grow gradually (-len_control). The busy checksum
// keeps the exec/s in a range where libFuzzer prints pulse lines before the crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

std::uint32_t checksum(const std::uint8_t* data, std::size_t size) {
  std::uint32_t hash = 2166136261u;
  for (int round = 0; round < 64; ++round) {
    for (std::size_t i = 0; i < size && i < 64; ++i) hash = (hash ^ data[i]) * 16777619u;
  }
  return hash;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  volatile std::uint32_t sink = checksum(data, size);
  (void)sink;
  if (size >= 4 && data[0] == 'F' && data[1] == 'U' && data[2] == 'Z' && data[3] == 'Z') {
    if (size >= 256) std::abort();
  }
  return 0;
}
