// The ingestion decision for one request body, independent of sockets: decode, split,
// validate, store, and compose the status and body the service would answer.
#pragma once

#include "onefuzz/telemetry/transport/detail/gzip.hpp"
#include "onefuzz/telemetry/testing/detail/batch.hpp"
#include "onefuzz/telemetry/testing/detail/envelope_rules.hpp"
#include "onefuzz/telemetry/testing/detail/ingestion_state.hpp"
#include "onefuzz/telemetry/testing/fault.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace onefuzz::telemetry::testing::detail {

// What to send back for one ingestion request.
struct ingest_answer {
  int status{200};
  std::string body;
  std::size_t items_received{0};
  std::size_t items_accepted{0};
};

// The message the service's docs and issues show for a per-item status.
inline std::string scripted_message(int code) {
  switch (code) {
    case 206: return "Telemetry sampled out.";
    case 402: return "Monthly quota exceeded (scripted)";
    case 408: return "Request timed out (scripted)";
    case 429: return "Too many requests (scripted)";
    case 439: return "Daily quota exceeded (scripted)";
    case 500: return "Internal server error (scripted)";
    case 502: return "Bad gateway (scripted)";
    case 503: return "Service unavailable (scripted)";
    case 504: return "Gateway timeout (scripted)";
    default: return "Scripted failure with status " + std::to_string(code);
  }
}

// An answer for a request that failed as a whole (nothing parsed or stored).
inline ingest_answer whole_request_error(int status, std::string message, std::size_t received = 0) {
  return {.status = status,
          .body = make_response_body(received, 0, {{.index = 0, .status_code = status, .message = std::move(message)}}),
          .items_received = received,
          .items_accepted = 0};
}

// The body as the client meant it, or the answer that refuses it.
struct decoded_body {
  std::string storage;  // owns the inflated bytes when the body was gzip
  std::string_view text;
  std::optional<ingest_answer> refusal;
};

inline decoded_body decode_body(std::string_view content_encoding, std::string_view body, std::size_t max_bytes) {
  decoded_body out;
  std::string encoding(content_encoding);
  std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  encoding.erase(0, encoding.find_first_not_of(" \t"));
  encoding.erase(encoding.find_last_not_of(" \t") + 1);
  if (encoding.empty() || encoding == "identity") {
    out.text = body;
    return out;
  }
  if (encoding != "gzip" && encoding != "x-gzip") {
    out.refusal = whole_request_error(415, "Unsupported Content-Encoding '" + utf8_prefix(encoding, 64) +
                                               "'; use gzip or none");
    return out;
  }
  switch (::onefuzz::telemetry::detail::gzip_decompress(body, out.storage, max_bytes)) {
    case ::onefuzz::telemetry::detail::gunzip_status::ok: out.text = out.storage; break;
    case ::onefuzz::telemetry::detail::gunzip_status::corrupt:
      out.refusal = whole_request_error(400, "Content-Encoding is gzip but the body is not valid gzip");
      break;
    case ::onefuzz::telemetry::detail::gunzip_status::too_large:
      out.refusal = whole_request_error(413, "Decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
      break;
  }
  return out;
}

// Appends accepted items to `<dir>/<key>.jsonl`; false if the disk refused. Keys are
// validated to [A-Za-z0-9-] before they get here, so they are safe file names.
inline bool append_jsonl(std::filesystem::path const& dir, std::map<std::string, std::vector<boost::json::object>> const& by_key) {
  for (auto const& [key, items] : by_key) {
    std::ofstream file(dir / (key + ".jsonl"), std::ios::app | std::ios::binary);
    for (auto const& item : items) {
      file << boost::json::serialize(item) << '\n';
    }
    file.flush();
    if (!file) {
      return false;
    }
  }
  return true;
}

// Handles one ingestion request body under an optional status or partial fault.
// Never throws except std::bad_alloc.
inline ingest_answer ingest(ingestion_state& state, std::string_view content_encoding, std::string_view body,
                            fault const* scripted) {
  auto const& options = state.options();
  decoded_body decoded = decode_body(content_encoding, body, options.max_body_bytes);

  if (scripted != nullptr && scripted->type() == fault::kind::status) {
    // The real service answers throttling and outages with the full body shape, one
    // error per item, whether or not it looked at them; count what we can.
    std::size_t received = 0;
    if (!decoded.refusal) {
      auto const batch = parse_batch(decoded.text);
      received = batch.error ? 0 : batch.items.size();
    }
    int const code = scripted->status_code();
    std::vector<item_error> errors;
    if (code >= 400) {
      for (std::size_t i = 0; i < received; ++i) {
        errors.push_back({.index = i, .status_code = code, .message = scripted_message(code)});
      }
    }
    return {.status = code,
            .body = make_response_body(received, 0, errors),
            .items_received = received,
            .items_accepted = 0};
  }

  if (decoded.refusal) {
    return std::move(*decoded.refusal);
  }
  parsed_batch batch = parse_batch(decoded.text);
  if (batch.error) {
    return whole_request_error(400, std::move(*batch.error));
  }

  std::size_t const received = batch.items.size();
  std::vector<item_error> errors;
  std::map<std::string, std::vector<boost::json::object>> accepted;
  std::size_t accepted_count = 0;
  auto const ctx = state.validation();
  for (std::size_t i = 0; i < received; ++i) {
    if (scripted != nullptr && scripted->type() == fault::kind::partial) {
      auto const& items = scripted->items();
      auto const hit = std::find_if(items.begin(), items.end(), [i](item_status const& s) { return s.index == i; });
      if (hit != items.end()) {
        errors.push_back({.index = i, .status_code = hit->status_code, .message = scripted_message(hit->status_code)});
        continue;
      }
    }
    auto& item = batch.items[i];
    if (item.bytes > max_item_bytes) {
      errors.push_back({.index = i,
                        .status_code = 400,
                        .message = "Item exceeds the maximum size. Expected: " + std::to_string(max_item_bytes) +
                                   " bytes, Actual: " + std::to_string(item.bytes)});
      continue;
    }
    if (auto error = validate_envelope(item.value, ctx)) {
      errors.push_back({.index = i, .status_code = 400, .message = std::move(*error)});
      continue;
    }
    auto& object = item.value.as_object();
    std::string const key = normalize_ikey(object.at("iKey").as_string());
    accepted[key].push_back(std::move(object));
    ++accepted_count;
  }

  if (!options.store_directory.empty() && !accepted.empty() && !append_jsonl(options.store_directory, accepted)) {
    std::vector<item_error> all;
    for (std::size_t i = 0; i < received; ++i) {
      all.push_back({.index = i, .status_code = 500, .message = "Could not persist the item (server storage failure)"});
    }
    return {.status = 500, .body = make_response_body(received, 0, all), .items_received = received, .items_accepted = 0};
  }
  for (auto& [key, items] : accepted) {
    state.store(key, std::move(items));
  }

  int status = 200;
  if (scripted != nullptr && scripted->type() == fault::kind::partial && received > 0) {
    status = 206;
  } else if (!errors.empty()) {
    status = accepted_count == 0 ? 400 : 206;
  }
  return {.status = status,
          .body = make_response_body(received, accepted_count, errors),
          .items_received = received,
          .items_accepted = accepted_count};
}

}  // namespace onefuzz::telemetry::testing::detail
