// Defines batch: NDJSON envelopes of one destination, with each item's offset, so that a
// partial answer can resend exactly the items the service asks for, and optionally the
// body's gzip form, made when the batch was sealed.
#pragma once

#include <onefuzz/telemetry/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport::detail {

class batch {
 public:
  // Starts an item (writes the separator); write the envelope into body(), then call
  // end_item() or discard_item().
  void begin_item() {
    compressed_valid_ = false;
    item_start_ = body_.size();
    if (!offsets_.empty()) body_.push_back('\n');
    offsets_.push_back(body_.size());
  }
  void end_item() noexcept {}
  // Removes the item being written (e.g. over the item size limit).
  void discard_item() noexcept {
    compressed_valid_ = false;
    offsets_.pop_back();
    truncate_to(item_start_);
  }
  [[nodiscard]] std::size_t current_item_size() const noexcept { return body_.size() - offsets_.back(); }

  [[nodiscard]] output_buffer& body() noexcept { return body_; }
  [[nodiscard]] std::string_view view() const noexcept { return body_.view(); }
  [[nodiscard]] std::size_t items() const noexcept { return offsets_.size(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return body_.size(); }
  [[nodiscard]] bool empty() const noexcept { return offsets_.empty(); }

  // The text of item i, without separator.
  [[nodiscard]] std::string_view item(std::size_t i) const noexcept {
    const std::size_t begin = offsets_[i];
    const std::size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] - 1 : body_.size();
    return body_.view().substr(begin, end - begin);
  }

  // Keeps only the listed items (ascending indices), in order; `scratch` lends its
  // buffers so that no memory is allocated once both have grown.
  void keep_only(std::span<const std::size_t> indices, batch& scratch) {
    compressed_valid_ = false;
    scratch.body_.clear();
    scratch.offsets_.clear();
    for (std::size_t i : indices) {
      scratch.begin_item();
      scratch.body_.append(item(i));
    }
    std::swap(body_, scratch.body_);
    std::swap(offsets_, scratch.offsets_);
  }

  // The gzip form of view(), when one was made after the last change to the items: the
  // worker compresses a batch as it seals it, while the posting thread waits for the answer
  // to the previous one, so compression stays off the request's critical path. Any change
  // to the items (a partial resend keeps fewer) invalidates it, and the body is compressed
  // again at post time.
  [[nodiscard]] std::optional<std::string_view> compressed() const noexcept {
    if (!compressed_valid_) return std::nullopt;
    return std::string_view{compressed_};
  }
  // Fills the gzip form: `compress(view(), out)` writes it into `out` (its capacity is kept
  // from batch to batch) and returns false on failure, which leaves no gzip form.
  template <class Compress>
  void make_compressed(Compress&& compress) {
    compressed_valid_ = !empty() && compress(view(), compressed_);
  }

  void clear() noexcept {
    compressed_valid_ = false;
    body_.clear();
    offsets_.clear();
    upto = 0;
    oldest = {};
  }

  // Every event before this queue position is in this batch or an earlier one.
  std::size_t upto = 0;
  // The time of the oldest item (the spool discards items the service would refuse as old).
  std::chrono::system_clock::time_point oldest{};

 private:
  void truncate_to(std::size_t size) noexcept {
    // output_buffer only appends; rebuild the size by clearing and re-committing.
    const std::size_t keep = size;
    body_.clear();
    body_.commit(keep);
  }

  output_buffer body_;
  std::vector<std::size_t> offsets_;
  std::size_t item_start_ = 0;
  std::string compressed_;  // gzip of body_ while compressed_valid_
  bool compressed_valid_ = false;
};

}  // namespace onefuzz::telemetry::transport::detail
