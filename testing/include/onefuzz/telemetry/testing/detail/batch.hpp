// Splitting an ingestion request body into items (a JSON array, or newline-delimited JSON
// as .NET and Node send), and writing the service's answer body.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onefuzz::telemetry::testing::detail {

// Documented service limits on a batch.
inline constexpr std::size_t max_items_per_batch = 64000;
inline constexpr std::size_t max_item_bytes = 64 * 1024;

// One element of a batch: the parsed value (any JSON kind; validation judges it) and its
// size in bytes, for the 64 KB per-item limit.
struct batch_item {
  boost::json::value value;
  std::size_t bytes{0};
};

// A body that parsed, or the reason it did not.
struct parsed_batch {
  std::vector<batch_item> items;
  std::optional<std::string> error;  // set when the whole body is malformed
};

// Parses `body` as a JSON array of items when its first non-blank character is '[',
// otherwise as NDJSON: one item per line, "\n" or "\r\n", blank lines skipped (so item
// indices count non-blank lines, as .NET's resend-by-index expects). Never throws except
// std::bad_alloc; malformed JSON or too many items sets `error`.
inline parsed_batch parse_batch(std::string_view body) {
  parsed_batch out;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  auto const first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return out;  // an empty body is an empty batch
  }
  if (body[first] == '[') {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(body, ec, {}, opts);
    if (ec) {
      out.error = "Invalid JSON: " + ec.message();
      return out;
    }
    auto& array = v.as_array();
    if (array.size() > max_items_per_batch) {
      out.error = "Too many items in the batch: " + std::to_string(array.size()) + " > " +
                  std::to_string(max_items_per_batch);
      return out;
    }
    out.items.reserve(array.size());
    for (auto& item : array) {
      std::size_t const bytes = boost::json::serialize(item).size();
      out.items.push_back({std::move(item), bytes});
    }
    return out;
  }
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos <= body.size();) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    if (out.items.size() == max_items_per_batch) {
      out.error = "Too many items in the batch: more than " + std::to_string(max_items_per_batch);
      out.items.clear();
      return out;
    }
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(line, ec, {}, opts);
    if (ec) {
      out.error = "Invalid JSON on line " + std::to_string(line_number) + ": " + ec.message();
      out.items.clear();
      return out;
    }
    out.items.push_back({std::move(v), line.size()});
  }
  return out;
}

// One entry of the answer's `errors` array.
struct item_error {
  std::size_t index;
  int status_code;
  std::string message;
};

// The service's answer body: {"itemsReceived":N,"itemsAccepted":M,"errors":[...]}.
inline std::string make_response_body(std::size_t received, std::size_t accepted, std::vector<item_error> const& errors) {
  boost::json::array list;
  list.reserve(errors.size());
  for (auto const& e : errors) {
    list.push_back(boost::json::object{{"index", e.index}, {"statusCode", e.status_code}, {"message", e.message}});
  }
  return boost::json::serialize(
      boost::json::object{{"itemsReceived", received}, {"itemsAccepted", accepted}, {"errors", std::move(list)}});
}

}  // namespace onefuzz::telemetry::testing::detail
