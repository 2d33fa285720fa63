// gzip (RFC 1952) compression and size-capped decompression over zlib, shared by the
// HTTP transport (which compresses request bodies) and the loopback ingestion server
// (which must inflate hostile bodies without unbounded memory).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace onefuzz::telemetry::detail {

// The level request bodies are compressed at: the fastest. At the default level a 500-item
// batch took 1.5 ms of a 4.5 ms post cycle, for 2 % fewer bytes (benchmarks/end_to_end_benchmark).
inline constexpr int request_gzip_level = Z_BEST_SPEED;

// zlib's `avail_in`/`avail_out` are 32-bit; larger buffers are fed in slices of this size.
inline constexpr std::size_t zlib_max_slice = std::numeric_limits<uInt>::max();

// Reusable gzip deflater: keeps zlib's ~256 KiB of state between calls, so a sender that
// compresses a batch every few seconds does not reallocate it each time. Not thread-safe.
class gzip_compressor {
public:
  // Allocates the zlib state; throws std::bad_alloc if zlib cannot.
  explicit gzip_compressor(int level = Z_DEFAULT_COMPRESSION) {
    // windowBits 15 + 16 asks zlib for the gzip wrapper instead of the zlib one.
    if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::bad_alloc{};
    }
  }
  gzip_compressor(gzip_compressor const&) = delete;
  gzip_compressor& operator=(gzip_compressor const&) = delete;
  ~gzip_compressor() { deflateEnd(&stream_); }

  // Replaces `out` with one complete gzip member holding `in`, reusing `out`'s capacity.
  // Returns false (and leaves `out` empty) only if zlib reports an error; never throws
  // except std::bad_alloc from growing `out`.
  bool compress(std::string_view in, std::string& out) {
    out.clear();
    if (deflateReset(&stream_) != Z_OK) {
      return false;
    }
    // deflateBound is exact enough that one resize almost always suffices; the loop
    // below still grows the buffer if it does not.
    out.resize(static_cast<std::size_t>(deflateBound(&stream_, static_cast<uLong>(in.size()))) + 64);
    std::size_t produced = 0;
    std::size_t consumed = 0;
    for (;;) {
      std::size_t const in_slice = std::min(in.size() - consumed, zlib_max_slice);
      // zlib's API is not const-correct; deflate never writes through next_in.
      stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
      stream_.avail_in = static_cast<uInt>(in_slice);
      bool const last = consumed + in_slice == in.size();
      if (produced == out.size()) {
        out.resize(out.size() * 2);
      }
      std::size_t const out_slice = std::min(out.size() - produced, zlib_max_slice);
      stream_.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      stream_.avail_out = static_cast<uInt>(out_slice);
      int const rc = deflate(&stream_, last ? Z_FINISH : Z_NO_FLUSH);
      consumed += in_slice - stream_.avail_in;
      produced += out_slice - stream_.avail_out;
      if (rc == Z_STREAM_END) {
        out.resize(produced);
        return true;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        out.clear();
        return false;
      }
    }
  }

private:
  z_stream stream_{};
};

// Returns `in` as one gzip member; throws std::runtime_error if zlib fails (it cannot for
// in-memory buffers unless memory is exhausted).
inline std::string gzip_compress(std::string_view in) {
  gzip_compressor compressor;
  std::string out;
  if (!compressor.compress(in, out)) {
    throw std::runtime_error("gzip_compress: zlib deflate failed");
  }
  return out;
}

// Why gzip_decompress refused its input.
enum class gunzip_status {
  ok,         // `out` holds the whole inflated payload
  corrupt,    // not gzip, bad checksum, truncated, or trailing garbage
  too_large,  // the inflated payload would exceed the caller's cap
};

// Inflates one or more concatenated gzip members (RFC 1952 allows several) into `out`.
// Never allocates more than `max_size` bytes of output, so a small "zip bomb" cannot
// exhaust memory; on failure `out` is cleared. Never throws except std::bad_alloc.
inline gunzip_status gzip_decompress(std::string_view in, std::string& out, std::size_t max_size) {
  out.clear();
  z_stream stream{};
  // 15 + 16: accept the gzip wrapper only; a zlib or raw deflate stream is "corrupt".
  if (inflateInit2(&stream, 15 + 16) != Z_OK) {
    throw std::bad_alloc{};
  }
  struct end_guard {
    z_stream* s;
    ~end_guard() { inflateEnd(s); }
  } guard{&stream};

  if (in.empty()) {
    return gunzip_status::corrupt;
  }
  std::size_t consumed = 0;
  std::size_t produced = 0;
  bool member_open = false;  // true between a member's first byte and its trailer
  constexpr std::size_t chunk = 64 * 1024;
  while (consumed < in.size() || member_open) {
    std::size_t const in_slice = std::min(in.size() - consumed, zlib_max_slice);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    stream.avail_in = static_cast<uInt>(in_slice);
    // Grow by a chunk at a time but never past the cap (+1 byte to detect overflow).
    if (produced == out.size()) {
      if (out.size() > max_size) {
        out.clear();
        return gunzip_status::too_large;
      }
      out.resize(std::min(out.size() + chunk, max_size + 1));
    }
    std::size_t const out_slice = std::min(out.size() - produced, zlib_max_slice);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.avail_out = static_cast<uInt>(out_slice);
    member_open = true;
    int const rc = inflate(&stream, Z_NO_FLUSH);
    std::size_t const used_in = in_slice - stream.avail_in;
    std::size_t const made_out = out_slice - stream.avail_out;
    consumed += used_in;
    produced += made_out;
    if (produced > max_size) {
      out.clear();
      return gunzip_status::too_large;
    }
    if (rc == Z_STREAM_END) {
      member_open = false;
      if (inflateReset(&stream) != Z_OK) {
        out.clear();
        return gunzip_status::corrupt;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && used_in == 0 && made_out == 0 && consumed == in.size()) {
      // Input ended inside a member: truncated body.
      out.clear();
      return gunzip_status::corrupt;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      out.clear();
      return gunzip_status::corrupt;
    }
  }
  out.resize(produced);
  return gunzip_status::ok;
}

}  // namespace onefuzz::telemetry::detail
