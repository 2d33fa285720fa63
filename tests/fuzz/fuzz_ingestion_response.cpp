// Fuzz target for the ingestion-response reader (transport/ingestion_response.hpp): the
// body comes from the network, so parse_ingestion_response sees any bytes, and
// select_resend any parsed response, against batches of 0 to 100 items.
//
// Input: a flags byte, a batch size byte, then either a JSON body (flags bit 0 clear) or,
// so the plan's properties are reached without the fuzzer having to write JSON first, a
// response built directly from bytes (bit 0 set).
//
// Properties:
//  - parse_ingestion_response never crashes or recurses without bound, whatever the body
//    and limits; an error starts with the function's name and is short (never the body);
//  - a parsed response obeys its documented invariants: status codes in [0, 999], at most
//    max_errors entries, messages of at most max_message_bytes of valid UTF-8 without
//    control characters; written back as JSON it parses to the same response;
//  - select_resend accounts for every index of the batch exactly once (resend + rejected +
//    sampled_out + accepted == batch_size), resend is strictly ascending and below the
//    batch size, rejected too and disjoint from it, and the plan is the one the documented
//    rules give, computed here independently (first entry per index wins, 206 sampled
//    out, 408/429/500/503 resent, the rest rejected, everything accepted when the counters
//    say the whole batch was); compose_indices and take_indices accept the plan.
#include "fuzz_support.hpp"
#include "utf8_reference.hpp"

#include <onefuzz/telemetry/transport/ingestion_response.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

// In the libFuzzer build Boost.JSON is compiled into this target, instrumented, so the
// fuzzer also explores the parser the hostile bytes go through (see CMakeLists.txt).
#if defined(ONEFUZZ_FUZZ_BOOST_JSON_SOURCES)
#include <boost/json/src.hpp>
#endif

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace transport = onefuzz::telemetry::transport;
using fuzz_support::reader;

namespace {

transport::response_limits limits_from(std::uint8_t code) {
  transport::response_limits limits;
  if (code & 1) {  // tight limits, so each bound is reached by small inputs
    limits.max_body_bytes = 64 + (code >> 1) * 16u;
    limits.max_errors = (code >> 2) % 8;
    limits.max_message_bytes = (code >> 3) % 16;
    limits.max_depth = 1 + (code >> 4) % 4;
  }
  return limits;
}

void check_response(const transport::ingestion_response& response, const transport::response_limits& limits) {
  FUZZ_CHECK(response.errors.size() <= limits.max_errors, "more entries than max_errors");
  for (const auto& e : response.errors) {
    FUZZ_CHECK(e.status_code >= 0 && e.status_code <= 999, "a status code outside [0, 999]");
    FUZZ_CHECK(e.message.size() <= limits.max_message_bytes, "a message longer than max_message_bytes");
    FUZZ_CHECK(fuzz_support::is_valid_utf8(e.message), "a message cut inside a UTF-8 character");
    for (const char c : e.message) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u != 0x7f, "a control character in a message");
    }
  }
  // Written back as JSON, the response reads back unchanged (nothing was kept that the
  // reader would refuse or change).
  boost::json::object body;
  body["itemsReceived"] = response.items_received;
  body["itemsAccepted"] = response.items_accepted;
  boost::json::array errors;
  for (const auto& e : response.errors) {
    errors.push_back(boost::json::object{{"index", e.index}, {"statusCode", e.status_code}, {"message", e.message}});
  }
  body["errors"] = std::move(errors);
  const std::string text = boost::json::serialize(body);
  const auto again = transport::parse_ingestion_response(text);
  FUZZ_CHECK(again && *again == response, "the parsed response does not read back: " + text.substr(0, 300));
}

// The plan the documented rules give, built without select_resend's code.
void check_plan(std::size_t batch_size, const transport::ingestion_response& response) {
  const auto plan = transport::select_resend(batch_size, response);

  FUZZ_CHECK(plan.resend.size() + plan.rejected.size() + plan.sampled_out + plan.accepted == batch_size,
             "an index is counted twice or not at all");
  for (std::size_t i = 0; i < plan.resend.size(); ++i) {
    FUZZ_CHECK(plan.resend[i] < batch_size, "a resend index outside the batch");
    FUZZ_CHECK(i == 0 || plan.resend[i - 1] < plan.resend[i], "resend is not strictly ascending");
  }
  for (std::size_t i = 0; i < plan.rejected.size(); ++i) {
    FUZZ_CHECK(plan.rejected[i].index < batch_size, "a rejected index outside the batch");
    FUZZ_CHECK(i == 0 || plan.rejected[i - 1].index < plan.rejected[i].index, "rejected is not strictly ascending");
    FUZZ_CHECK(!std::binary_search(plan.resend.begin(), plan.resend.end(), plan.rejected[i].index),
               "an index both resent and rejected");
  }

  std::map<std::size_t, const transport::item_error*> first;  // the first entry naming each index
  std::size_t ignored = 0;
  for (const auto& e : response.errors) {
    if (e.index < 0 || static_cast<std::uint64_t>(e.index) >= batch_size ||
        first.count(static_cast<std::size_t>(e.index)) != 0) {
      ++ignored;
      continue;
    }
    first[static_cast<std::size_t>(e.index)] = &e;
  }
  const bool all_accepted = response.items_received == batch_size && response.items_accepted >= batch_size;
  std::vector<std::size_t> resend;
  std::vector<transport::rejected_item> rejected;
  std::size_t sampled = 0;
  std::size_t contradicting = 0;
  for (const auto& [index, e] : first) {
    const int code = e->status_code;
    if (code == 206) {
      ++sampled;
    } else if (all_accepted) {
      ++contradicting;
    } else if (code == 408 || code == 429 || code == 500 || code == 503) {
      resend.push_back(index);
    } else {
      rejected.push_back({index, code, e->message});
    }
  }
  const std::size_t accepted = batch_size - resend.size() - rejected.size() - sampled;
  const bool counts_match = ignored == 0 && contradicting == 0 && response.items_received == batch_size &&
                            (response.items_accepted == accepted || response.items_accepted == accepted + sampled);
  FUZZ_CHECK(plan.resend == resend, "resend differs from the rules");
  FUZZ_CHECK(plan.rejected == rejected, "rejected differs from the rules");
  FUZZ_CHECK(plan.sampled_out == sampled, "sampled_out differs from the rules");
  FUZZ_CHECK(plan.accepted == accepted, "accepted differs from the rules");
  FUZZ_CHECK(plan.ignored_errors == ignored, "ignored_errors differs from the rules");
  FUZZ_CHECK(plan.counts_match == counts_match, "counts_match differs from the rules");

  // The helpers that apply a plan accept it, and map it back through an identity batch.
  const auto origin = transport::identity_indices(batch_size);
  FUZZ_CHECK(transport::compose_indices(origin, plan.resend) == plan.resend, "compose_indices with identity changed the plan");
  FUZZ_CHECK(transport::take_indices(origin, plan.resend) == plan.resend, "take_indices picked other items");
}

// A response straight from bytes: counters near the batch size (or anywhere), then
// entries with small or extreme indexes and any status code.
transport::ingestion_response response_from(reader& in, std::size_t batch_size) {
  transport::ingestion_response response;
  auto counter = [&]() -> std::uint64_t {
    const auto code = in.byte();
    if (code < 0xF0) return batch_size + code % 5 - 2;  // wraps to near 2^64 for an empty batch
    return in.integer<std::uint64_t>();
  };
  response.items_received = counter();
  response.items_accepted = counter();
  const std::size_t count = in.byte() % 128;
  for (std::size_t i = 0; i < count && in.remaining() != 0; ++i) {
    transport::item_error e;
    const auto index_code = in.byte();
    e.index = index_code < 0xF8 ? static_cast<std::int64_t>(index_code % 104) - 2 : in.integer<std::int64_t>();
    static constexpr int codes[] = {206, 408, 429, 500, 503, 400, 402, 439, 0, 999};
    const auto status_code = in.byte();
    e.status_code = status_code < 200 ? codes[status_code % 10] : in.integer<std::uint16_t>() % 1000;
    response.errors.push_back(std::move(e));
  }
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const auto flags = in.byte();
  const std::size_t batch_size = in.byte() % 101;
  if (flags & 1) {
    check_plan(batch_size, response_from(in, batch_size));
    return 0;
  }
  const auto limits = limits_from(flags >> 1);
  const std::string_view body = in.rest();
  const auto parsed = transport::parse_ingestion_response(body, limits);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    FUZZ_CHECK(message.starts_with("parse_ingestion_response: "), "the error does not name the function");
    FUZZ_CHECK(message.size() <= 200, "a long error (does it quote the body?): " + message.substr(0, 300));
    return 0;
  }
  check_response(*parsed, limits);
  check_plan(batch_size, *parsed);
  return 0;
}
