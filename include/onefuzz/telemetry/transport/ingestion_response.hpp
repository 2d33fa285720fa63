// Reads the ingestion service's response body and decides, item by item, what to resend.
//
// Body (swagger TrackResponse): {"itemsReceived": 10, "itemsAccepted": 6,
//                                "errors": [{"index": 7, "statusCode": 408, "message": "..."}]}
// The body comes from the network, so nothing in it is trusted: size, nesting, entry count and
// message length are bounded, types are checked, and indexes are checked against the batch.
#pragma once

#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/retry_policy.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::transport {

// One entry of `errors[]`, type-checked but not yet checked against a batch (select_resend does).
struct item_error {
  // As sent; may be negative or beyond the batch. A number above INT64_MAX is stored as INT64_MAX.
  std::int64_t index = 0;
  // An integer in [0, 999].
  int status_code = 0;
  // At most response_limits::max_message_bytes, cut on a UTF-8 boundary; control characters are
  // replaced by spaces so a message cannot forge log lines.
  std::string message;

  friend bool operator==(const item_error&, const item_error&) = default;
};

struct ingestion_response {
  std::uint64_t items_received = 0;
  std::uint64_t items_accepted = 0;
  std::vector<item_error> errors;  // in body order

  friend bool operator==(const ingestion_response&, const ingestion_response&) = default;
};

// Bounds for parse_ingestion_response; the defaults fit the service's 64,000-item batch limit.
struct response_limits {
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_errors = 65536;
  std::size_t max_message_bytes = 512;
  unsigned max_depth = 16;  // the real body nests 3 deep; bounded so hostile nesting cannot exhaust the stack
};

namespace detail {

inline telemetry::error response_error(const std::string& why) {
  return telemetry::error{"parse_ingestion_response: " + why};
}

// A non-negative integer that fits in uint64 (JSON doubles such as 10.0 are refused: the service
// sends integers, and a double may have lost precision).
inline std::optional<std::uint64_t> as_count(const boost::json::value& v) noexcept {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

inline std::optional<std::int64_t> as_index(const boost::json::value& v) noexcept {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    const auto u = v.get_uint64();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  return std::nullopt;
}

inline std::optional<int> as_status(const boost::json::value& v) noexcept {
  const auto n = as_index(v);
  if (!n || *n < 0 || *n > 999) return std::nullopt;
  return static_cast<int>(*n);
}

// Boost.JSON has already rejected invalid UTF-8, so only the cut point needs care.
inline std::string sanitize_message(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace detail

// Parses a response body within `limits`. Any structural problem (not JSON, not an object, a
// missing or mistyped count, a malformed errors[] entry, too many entries) is an error that says
// what was wrong and never quotes the body; unknown fields are ignored; a missing or null
// `errors` means none; a missing or non-string `message` becomes "".
inline result<ingestion_response> parse_ingestion_response(std::string_view body, const response_limits& limits = {}) {
  if (body.size() > limits.max_body_bytes) {
    return detail::response_error("the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return detail::response_error("the body is empty");

  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::error_code ec;
  const boost::json::value root = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) return detail::response_error("the body is not valid JSON (" + ec.message() + ")");
  const auto* object = root.if_object();
  if (object == nullptr) return detail::response_error("the body is not a JSON object");

  ingestion_response out;
  for (const auto& [name, target] : {std::pair{"itemsReceived", &out.items_received},
                                     std::pair{"itemsAccepted", &out.items_accepted}}) {
    const auto* field = object->if_contains(name);
    if (field == nullptr) return detail::response_error(std::string("the body has no '") + name + "'");
    const auto count = detail::as_count(*field);
    if (!count) return detail::response_error(std::string("'") + name + "' is not a non-negative integer");
    *target = *count;
  }

  const auto* errors = object->if_contains("errors");
  if (errors == nullptr || errors->is_null()) return out;
  const auto* entries = errors->if_array();
  if (entries == nullptr) return detail::response_error("'errors' is not an array");
  if (entries->size() > limits.max_errors) {
    return detail::response_error("'errors' has more than " + std::to_string(limits.max_errors) + " entries");
  }
  out.errors.reserve(entries->size());
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string where = "errors[" + std::to_string(i) + "]";
    const auto* entry = (*entries)[i].if_object();
    if (entry == nullptr) return detail::response_error(where + " is not an object");
    const auto* index = entry->if_contains("index");
    const auto index_value = index == nullptr ? std::nullopt : detail::as_index(*index);
    if (!index_value) return detail::response_error(where + ".index is missing or not an integer");
    const auto* status = entry->if_contains("statusCode");
    const auto status_value = status == nullptr ? std::nullopt : detail::as_status(*status);
    if (!status_value) return detail::response_error(where + ".statusCode is missing or not an integer in [0, 999]");
    item_error item{*index_value, *status_value, {}};
    if (const auto* message = entry->if_contains("message"); message != nullptr && message->is_string()) {
      const auto& text = message->get_string();
      item.message = detail::sanitize_message(std::string_view(text.data(), text.size()), limits.max_message_bytes);
    }
    out.errors.push_back(std::move(item));
  }
  return out;
}

// An item the service refused for good; reported with its reason, never resent.
struct rejected_item {
  std::size_t index = 0;  // into the batch that was sent
  int status_code = 0;
  std::string message;

  friend bool operator==(const rejected_item&, const rejected_item&) = default;
};

// What to do with each item of a batch after a partial response. Every index in [0, batch_size)
// is counted exactly once: in `resend`, in `rejected`, in `sampled_out`, or in `accepted`.
struct resend_plan {
  // Ascending, distinct, < batch_size; indices into the batch that was just sent. The next
  // response's indexes refer to the new, smaller batch: keep a map (compose_indices).
  std::vector<std::size_t> resend;
  std::vector<rejected_item> rejected;  // ascending by index
  std::size_t sampled_out = 0;          // per-item 206: accepted by sampling, not kept by the service
  std::size_t accepted = 0;             // items no error names
  // errors[] entries not used: an index outside the batch or named twice (the first one counts).
  std::size_t ignored_errors = 0;
  // The body's counters agree with the batch and with errors[]. When false the plan is still the
  // best reading of errors[], but items it calls accepted may not have been; report the mismatch.
  bool counts_match = true;

  friend bool operator==(const resend_plan&, const resend_plan&) = default;
};

// Splits a batch of `batch_size` items by the per-item codes in `response`: 408/429/500/503 are
// resent, 206 is sampled out, anything else is rejected with its code and message. Errors may
// come in any order. If the service says it received and accepted the whole batch, the batch is
// accepted whatever errors[] says (every SDK treats itemsReceived == itemsAccepted as success).
inline resend_plan select_resend(std::size_t batch_size, const ingestion_response& response) {
  resend_plan plan;
  std::vector<bool> named(batch_size, false);
  const bool all_accepted = response.items_received == batch_size && response.items_accepted >= batch_size;
  std::size_t contradicting = 0;

  for (const auto& e : response.errors) {
    if (e.index < 0 || static_cast<std::uint64_t>(e.index) >= batch_size) {
      ++plan.ignored_errors;
      continue;
    }
    const auto index = static_cast<std::size_t>(e.index);
    if (named[index]) {
      ++plan.ignored_errors;
      continue;
    }
    named[index] = true;
    if (is_sampled_out_item_status(e.status_code)) {
      ++plan.sampled_out;
    } else if (all_accepted) {
      ++contradicting;  // the counters win; the entry is noted only in counts_match
    } else if (is_retriable_item_status(e.status_code)) {
      plan.resend.push_back(index);
    } else {
      plan.rejected.push_back(rejected_item{index, e.status_code, e.message});
    }
  }

  std::sort(plan.resend.begin(), plan.resend.end());
  std::sort(plan.rejected.begin(), plan.rejected.end(),
            [](const rejected_item& a, const rejected_item& b) { return a.index < b.index; });
  plan.accepted = batch_size - plan.resend.size() - plan.rejected.size() - plan.sampled_out;

  // Whether sampled-out items are inside itemsAccepted is not documented, so both readings match.
  const bool accepted_matches = response.items_accepted == plan.accepted ||
                                response.items_accepted == plan.accepted + plan.sampled_out;
  plan.counts_match = plan.ignored_errors == 0 && contradicting == 0 && response.items_received == batch_size &&
                      accepted_matches;
  return plan;
}

// [0, 1, ..., n-1]: the index map of a batch that has not been resent yet.
inline std::vector<std::size_t> identity_indices(std::size_t n) {
  std::vector<std::size_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

// Maps a resend list back to original positions: result[j] = origin[resend[j]], where origin maps
// the batch just sent to the original batch. Throws std::out_of_range on an index outside origin.
inline std::vector<std::size_t> compose_indices(std::span<const std::size_t> origin,
                                                std::span<const std::size_t> resend) {
  std::vector<std::size_t> out;
  out.reserve(resend.size());
  for (const std::size_t i : resend) {
    if (i >= origin.size()) throw std::out_of_range("compose_indices: index outside the previous batch");
    out.push_back(origin[i]);
  }
  return out;
}

// Copies the items at `indices`, in that order: the batch to resend. Throws std::out_of_range on an
// index outside `items` (select_resend never produces one for the batch it was given).
template <std::ranges::random_access_range Items>
  requires std::ranges::sized_range<Items> && std::copy_constructible<std::ranges::range_value_t<Items>>
std::vector<std::ranges::range_value_t<Items>> take_indices(const Items& items, std::span<const std::size_t> indices) {
  std::vector<std::ranges::range_value_t<Items>> out;
  out.reserve(indices.size());
  const auto size = static_cast<std::size_t>(std::ranges::size(items));
  for (const std::size_t i : indices) {
    if (i >= size) throw std::out_of_range("take_indices: index outside the batch");
    out.push_back(std::ranges::begin(items)[static_cast<std::ranges::range_difference_t<Items>>(i)]);
  }
  return out;
}

}  // namespace onefuzz::telemetry::transport
