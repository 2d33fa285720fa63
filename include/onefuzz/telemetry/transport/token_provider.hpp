// Defines the Entra ID (AAD) token-provider interface for `Authorization=AAD` destinations and
// the adapter that turns a provider into sender_options::bearer_token. No libcurl, no JSON: the
// managed-identity provider that talks to IMDS is in transport/managed_identity.hpp.
#pragma once

#include <onefuzz/telemetry/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace onefuzz::telemetry::transport {

// A bearer token and the moment it stops being valid. `value` is a secret: never log it,
// never put it in an error message; there is deliberately no operator<< or to_string.
struct access_token {
  std::string value;
  std::chrono::system_clock::time_point expires_on;
};

// Where Entra ID tokens come from. One provider may serve several senders and destinations
// (the instance and the central sinks), so implementations must be thread-safe, and they are
// shared through std::shared_ptr (a provider owns a cache and a mutex: it is an identity, not a
// value, and the copies of a std::function must all see the same cache and invalidate()).
class token_provider {
 public:
  virtual ~token_provider() = default;

  // A token valid at `now` (passed in so tests and callers control time). Providers cache:
  // most calls return at once, some block for a bounded fetch. Never throws except
  // std::bad_alloc; failures are errors whose message never holds a token.
  virtual result<access_token> token(std::chrono::system_clock::time_point now) = 0;

  // The service rejected the current token (HTTP 401): forget it, so the next token() fetches
  // a new one. Cheap and thread-safe; calling it twice before the next token() still costs
  // only one fetch.
  virtual void invalidate() = 0;

 protected:
  token_provider() = default;
  token_provider(const token_provider&) = default;
  token_provider& operator=(const token_provider&) = default;
};

// How bearer_token_function calls the provider.
struct bearer_token_options {
  // Supplies `now` for token(); tests replace it.
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  // Told why no token could be had (the message holds no token), e.g. to log IMDS's
  // error_description; the sender itself only learns "no token". Called on the sender's thread.
  std::function<void(const error&)> on_error{};
};

// The `std::function<std::optional<std::string>()>` that sender_options::bearer_token takes:
// the provider's token value, or nullopt when the provider failed (on_error then says why).
// The function holds a reference to the provider, so copies share one cache. A null provider
// makes a function that always answers nullopt.
//   auto provider = std::make_shared<managed_identity_token_provider>();
//   options.bearer_token = bearer_token_function(provider);
inline std::function<std::optional<std::string>()> bearer_token_function(std::shared_ptr<token_provider> provider,
                                                                         bearer_token_options options = {}) {
  return [provider = std::move(provider), options = std::move(options)]() -> std::optional<std::string> {
    if (!provider) return std::nullopt;
    auto token = provider->token(options.clock ? options.clock() : std::chrono::system_clock::now());
    if (!token) {
      if (options.on_error) options.on_error(token.error());
      return std::nullopt;
    }
    return std::move(token->value);
  };
}

// The matching `std::function<void()>` for a sender to call once when ingestion answers 401
// to a request that carried a token from `provider`.
inline std::function<void()> invalidate_function(std::shared_ptr<token_provider> provider) {
  return [provider = std::move(provider)] {
    if (provider) provider->invalidate();
  };
}

}  // namespace onefuzz::telemetry::transport
