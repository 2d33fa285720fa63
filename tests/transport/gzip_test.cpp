// gzip_compress and the capped gzip_decompress: round trips, multi-member bodies, and
// every way a hostile body can be wrong; a batch's gzip form made at seal time.
#include "onefuzz/telemetry/transport/detail/batch.hpp"
#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/transport/http_client.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>

// This file's own namespace: the files of an area are compiled together (a unity build), so
// its names must not meet another file's, nor shadow a later file's headers' names.
namespace gzip_test {

using onefuzz::telemetry::detail::gunzip_status;
using onefuzz::telemetry::detail::gzip_compressor;
using onefuzz::telemetry::detail::gzip_decompress;
using onefuzz::telemetry::transport::gzip_compress;

namespace {
std::string noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}
}  // namespace

TEST_CASE("gzip round trips text, binary and empty input", "[gzip]") {
  for (auto const& input : {std::string(), std::string("hello"), std::string(200000, 'x'), noise(300000, 1)}) {
    INFO("size " << input.size());
    auto const gz = gzip_compress(input);
    REQUIRE(gz.size() >= 18);  // header + trailer
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    std::string out = "stale";
    CHECK(gzip_decompress(gz, out, input.size()) == gunzip_status::ok);
    CHECK(out == input);
  }
}

TEST_CASE("a reused compressor gives the same bytes as a fresh one", "[gzip]") {
  gzip_compressor compressor;
  std::string buffer;
  for (auto const& input : {noise(100000, 2), std::string("{}"), std::string(70000, 'a')}) {
    REQUIRE(compressor.compress(input, buffer));
    CHECK(buffer == gzip_compress(input));
  }
}

TEST_CASE("concatenated gzip members inflate to the concatenation", "[gzip]") {
  std::string out;
  CHECK(gzip_decompress(gzip_compress("abc") + gzip_compress("def"), out, 100) == gunzip_status::ok);
  CHECK(out == "abcdef");
}

TEST_CASE("the size cap is exact", "[gzip]") {
  auto const gz = gzip_compress(std::string(100000, 'z'));
  std::string out;
  CHECK(gzip_decompress(gz, out, 100000) == gunzip_status::ok);
  CHECK(out.size() == 100000);
  CHECK(gzip_decompress(gz, out, 99999) == gunzip_status::too_large);
  CHECK(out.empty());
  CHECK(gzip_decompress(gzip_compress("x"), out, 0) == gunzip_status::too_large);
}

TEST_CASE("corrupt gzip is reported, never inflated partially", "[gzip]") {
  auto const gz = gzip_compress(noise(5000, 3));
  std::string out;
  SECTION("not gzip at all") { CHECK(gzip_decompress("[{\"name\":1}]", out, 1 << 20) == gunzip_status::corrupt); }
  SECTION("empty") { CHECK(gzip_decompress("", out, 1 << 20) == gunzip_status::corrupt); }
  SECTION("truncated") { CHECK(gzip_decompress(std::string_view(gz).substr(0, gz.size() - 1), out, 1 << 20) == gunzip_status::corrupt); }
  SECTION("header only") { CHECK(gzip_decompress(std::string_view(gz).substr(0, 10), out, 1 << 20) == gunzip_status::corrupt); }
  SECTION("bad CRC") {
    auto bad = gz;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x01);
    CHECK(gzip_decompress(bad, out, 1 << 20) == gunzip_status::corrupt);
  }
  SECTION("trailing garbage") { CHECK(gzip_decompress(gz + "junk", out, 1 << 20) == gunzip_status::corrupt); }
  SECTION("a zlib (not gzip) stream") {
    std::string const zlib_header("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
    CHECK(gzip_decompress(zlib_header, out, 1 << 20) == gunzip_status::corrupt);
  }
  CHECK(out.empty());
}

TEST_CASE("a batch's gzip form is the body's, and is dropped whenever the items change", "[gzip]") {
  using onefuzz::telemetry::transport::detail::batch;
  gzip_compressor compressor(onefuzz::telemetry::detail::request_gzip_level);
  const auto compress = [&](std::string_view in, std::string& out) { return compressor.compress(in, out); };
  batch b;
  for (const std::string_view item : {R"({"a":1})", R"({"b":2})", R"({"c":3})"}) {
    b.begin_item();
    b.body().append(item);
    b.end_item();
  }
  CHECK_FALSE(b.compressed());
  b.make_compressed(compress);
  REQUIRE(b.compressed());
  std::string inflated;
  REQUIRE(gzip_decompress(*b.compressed(), inflated, 1000) == gunzip_status::ok);
  CHECK(inflated == b.view());

  b.begin_item();  // an item added after sealing
  CHECK_FALSE(b.compressed());
  b.body().append(R"({"d":4})");
  b.end_item();
  b.make_compressed(compress);
  REQUIRE(b.compressed());
  b.begin_item();
  b.discard_item();
  CHECK_FALSE(b.compressed());

  b.make_compressed(compress);
  batch scratch;
  const std::size_t keep[] = {1, 3};
  b.keep_only(keep, scratch);  // a partial answer's resend
  CHECK_FALSE(b.compressed());
  CHECK(b.view() == "{\"b\":2}\n{\"d\":4}");

  b.make_compressed([](std::string_view, std::string&) { return false; });  // zlib failed
  CHECK_FALSE(b.compressed());
  b.make_compressed(compress);
  b.clear();
  CHECK_FALSE(b.compressed());
  b.make_compressed(compress);  // nothing to compress
  CHECK_FALSE(b.compressed());
}

}  // namespace gzip_test
