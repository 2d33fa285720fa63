// Operator settings: the sender options an operator tunes without recompiling, read from
// ONEFUZZ_TELEMETRY_* environment variables (the table in docs/operators.md).
//
// Code wins over the environment, as for destinations: a program reads the environment first
// and then sets in code whatever it insists on,
//
//   auto options = transport::sender_options_from_environment().value();  // throws on a bad value
//   options.queue_capacity = 4096;  // stays, whatever ONEFUZZ_TELEMETRY_QUEUE_CAPACITY says
//
// or gives its own defaults first and lets the environment change them:
// apply_operator_settings(options).
//
// A variable that is set must be valid: a bad value (empty, not a number, negative, a
// fraction, trailing characters, an unknown unit or word, out of range, too large to
// represent) is an error naming the variable and what it accepts, never ignored, so a typo
// cannot quietly leave a setting at its default. Values are trimmed of surrounding ASCII
// blanks; unit and enum words are compared case-insensitively. Messages never contain the
// value. Unknown ONEFUZZ_TELEMETRY_* names cannot be detected (the lookup is by name).
#pragma once

#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/transport/connection_string.hpp>  // detail::trim_ascii, detail::iequals
#include <onefuzz/telemetry/detail/config.hpp>
#include <onefuzz/telemetry/transport/diagnostics.hpp>
#include <onefuzz/telemetry/transport/environment.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/transport/sender_options.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::transport {

// One variable: its name, what it accepts (as error messages and docs say it) and its default.
struct operator_setting {
  std::string_view name;
  std::string_view accepted;
  std::string_view default_value;
};

// The variables, in the order they are read and reported. The ranges keep a process sane
// rather than mirror hard limits: see docs/operators.md for the reason behind each bound.
namespace operator_variables {
inline constexpr operator_setting batch_max_items{"ONEFUZZ_TELEMETRY_BATCH_MAX_ITEMS",
                                                  "a whole number from 1 to 64000", "500"};
inline constexpr operator_setting batch_max_bytes{"ONEFUZZ_TELEMETRY_BATCH_MAX_BYTES",
                                                  "bytes, or a whole number with KiB, MiB, GiB or TiB, from 64KiB to 16MiB", "1MiB"};
inline constexpr operator_setting batch_delay{"ONEFUZZ_TELEMETRY_BATCH_DELAY", "a whole number with ms, s, m or h, from 10ms to 1h", "2s"};
inline constexpr operator_setting queue_capacity{"ONEFUZZ_TELEMETRY_QUEUE_CAPACITY",
                                                 "a whole number from 64 to 1048576", "8192"};
inline constexpr operator_setting queue_overflow{"ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW",
                                                 "drop_newest, drop_oldest or block", "drop_newest"};
inline constexpr operator_setting queue_block_timeout{"ONEFUZZ_TELEMETRY_QUEUE_BLOCK_TIMEOUT",
                                                      "a whole number with ms, s, m or h, from 1ms to 10s", "100ms"};
inline constexpr operator_setting spool_dir{"ONEFUZZ_TELEMETRY_SPOOL_DIR", "an absolute path", "(no spool)"};
inline constexpr operator_setting spool_max_bytes{"ONEFUZZ_TELEMETRY_SPOOL_MAX_BYTES",
                                                  "bytes, or a whole number with KiB, MiB, GiB or TiB, from 1MiB to 1TiB", "64MiB"};
inline constexpr operator_setting spool_max_age{"ONEFUZZ_TELEMETRY_SPOOL_MAX_AGE",
                                                "a whole number of hours, from 1h to 48h", "48h"};
inline constexpr operator_setting instance_encoding{"ONEFUZZ_TELEMETRY_INSTANCE_ENCODING",
                                                    "onefuzz_compatible or typed", "onefuzz_compatible"};
inline constexpr operator_setting diagnostics{"ONEFUZZ_TELEMETRY_DIAGNOSTICS", "off, error, warning or info",
                                              "warning"};
}  // namespace operator_variables

inline constexpr std::array<operator_setting, 11> operator_settings = {
    operator_variables::batch_max_items,     operator_variables::batch_max_bytes, operator_variables::batch_delay,
    operator_variables::queue_capacity,      operator_variables::queue_overflow,
    operator_variables::queue_block_timeout, operator_variables::spool_dir,       operator_variables::spool_max_bytes,
    operator_variables::spool_max_age,       operator_variables::instance_encoding,
    operator_variables::diagnostics};

namespace detail {

// apply_operator_settings; `api` starts the error message (impl/operator_settings.ipp).
ONEFUZZ_TELEMETRY_DECL result<void> apply_operator_settings(sender_options& options, const getenv_fn& lookup,
                                                                      std::string_view api);

}  // namespace detail

// Applies the variables that are set to `options` and leaves the other fields as they are.
// All or nothing: on any bad value `options` is unchanged and the error lists every bad
// variable, e.g. "apply_operator_settings: ONEFUZZ_TELEMETRY_BATCH_DELAY has no unit
// (expected: a whole number with ms, s, m or h, from 10ms to 1h); ONEFUZZ_TELEMETRY_QUEUE_OVERFLOW
// is not an accepted word (expected: drop_newest, drop_oldest or block)". An empty `lookup`
// reads nothing. Call it at start-up: std::getenv is not safe against a concurrent setenv.
ONEFUZZ_TELEMETRY_DECL result<void> apply_operator_settings(sender_options& options,
                                                                      const getenv_fn& lookup = &std::getenv);

// Default sender_options with the variables applied, and `lookup` kept as options.getenv so
// the destinations are resolved from the same environment. Errors as above, with this name.
ONEFUZZ_TELEMETRY_DECL result<sender_options> sender_options_from_environment(
    getenv_fn lookup = &std::getenv);

}  // namespace onefuzz::telemetry::transport

#ifndef ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION
#include <onefuzz/telemetry/transport/impl/operator_settings.ipp>
#endif
