// Operator settings' reader: included by operator_settings.hpp (header-only), or by src.hpp
// alone (ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION).
#pragma once

#include <onefuzz/telemetry/transport/operator_settings.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace onefuzz::telemetry::transport {

namespace detail {

inline constexpr std::uint64_t kibibyte = 1024;
inline constexpr std::uint64_t mebibyte = 1024 * kibibyte;

// A number and the text after it ("250ms" -> 250, "ms"), or why the text is no number. Only
// ASCII digits: no sign, no fraction, no hexadecimal, no inner blanks.
struct number_and_unit {
  std::uint64_t number = 0;
  std::string_view unit;
};

inline std::optional<number_and_unit> split_number(std::string_view text, std::string_view& why) {
  number_and_unit out;
  const char* const end = text.data() + text.size();
  const auto [stop, code] = std::from_chars(text.data(), end, out.number);
  if (code == std::errc::result_out_of_range) {
    why = "is out of range";
    return std::nullopt;
  }
  if (code != std::errc{}) {
    why = text.front() == '-' ? "is negative" : "is not a number";
    return std::nullopt;
  }
  out.unit = std::string_view(stop, static_cast<std::size_t>(end - stop));
  if (!out.unit.empty() && out.unit.front() == '.') {
    why = "is not a whole number";
    return std::nullopt;
  }
  return out;
}

// number * factor when it lies in [low, high], else why not.
inline std::optional<std::uint64_t> scaled_in_range(std::uint64_t number, std::uint64_t factor, std::uint64_t low,
                                                    std::uint64_t high, std::string_view& why) {
  if (number > high / factor || number * factor < low || number * factor > high) {
    why = "is out of range";
    return std::nullopt;
  }
  return number * factor;
}

// One multiplier per accepted unit word; nullopt for an unknown unit.
template <std::size_t N>
std::optional<std::uint64_t> unit_factor(std::string_view unit,
                                         const std::array<std::pair<std::string_view, std::uint64_t>, N>& units) {
  for (const auto& [word, factor] : units)
    if (iequals(unit, word)) return factor;
  return std::nullopt;
}

inline constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> size_units = {
    {{"", 1}, {"KiB", kibibyte}, {"MiB", mebibyte}, {"GiB", 1024 * mebibyte}, {"TiB", 1024 * 1024 * mebibyte}}};
inline constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> duration_units = {
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};

// Reads the variables through `lookup` and collects one message per bad variable.
class operator_settings_reader {
 public:
  explicit operator_settings_reader(const getenv_fn& lookup) : lookup_(lookup) {}

  // A whole number without a unit, in [low, high].
  template <class T>
  void count(const operator_setting& setting, std::uint64_t low, std::uint64_t high, T& out) {
    const auto text = read(setting);
    if (!text) return;
    std::string_view why;
    auto parsed = split_number(*text, why);
    if (parsed && !parsed->unit.empty()) why = "has characters after the number";
    const auto value = parsed && parsed->unit.empty() ? scaled_in_range(parsed->number, 1, low, high, why)
                                                      : std::nullopt;
    value ? void(out = static_cast<T>(*value)) : fail(setting, why);
  }

  // Bytes, or a number with KiB, MiB, GiB or TiB, in [low, high] bytes.
  template <class T>
  void size(const operator_setting& setting, std::uint64_t low, std::uint64_t high, T& out) {
    const auto text = read(setting);
    if (!text) return;
    std::string_view why;
    const auto parsed = split_number(*text, why);
    const auto factor = parsed ? unit_factor(parsed->unit, size_units) : std::nullopt;
    if (parsed && !factor) why = "has an unknown unit";
    const auto value = factor ? scaled_in_range(parsed->number, *factor, low, high, why) : std::nullopt;
    value ? void(out = static_cast<T>(*value)) : fail(setting, why);
  }

  // A number with ms, s, m or h, in [low, high]; a whole number of `granule` when given.
  template <class Duration>
  void duration(const operator_setting& setting, std::chrono::milliseconds low, std::chrono::milliseconds high,
                Duration& out, std::chrono::milliseconds granule = std::chrono::milliseconds{1}) {
    const auto text = read(setting);
    if (!text) return;
    std::string_view why;
    const auto parsed = split_number(*text, why);
    const auto factor = parsed ? unit_factor(parsed->unit, duration_units) : std::nullopt;
    if (parsed && !factor) why = parsed->unit.empty() ? "has no unit" : "has an unknown unit";
    auto value = factor ? scaled_in_range(parsed->number, *factor, static_cast<std::uint64_t>(low.count()),
                                          static_cast<std::uint64_t>(high.count()), why)
                        : std::nullopt;
    if (value && *value % static_cast<std::uint64_t>(granule.count()) != 0) {
      why = "is not a whole number of hours";  // the one granule in use (spool_options::max_age)
      value.reset();
    }
    value ? void(out = std::chrono::duration_cast<Duration>(
                     std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(*value)}))
          : fail(setting, why);
  }

  // One of `words` (case-insensitively); the index of the match.
  template <std::size_t N>
  std::optional<std::size_t> word(const operator_setting& setting, const std::array<std::string_view, N>& words) {
    const auto text = read(setting);
    if (!text) return std::nullopt;
    for (std::size_t i = 0; i < N; ++i)
      if (iequals(*text, words[i])) return i;
    fail(setting, "is not an accepted word");
    return std::nullopt;
  }

  // An absolute path; relative ones would move with the working directory between starts.
  void absolute_path(const operator_setting& setting, std::filesystem::path& out) {
    const auto text = read(setting);
    if (!text) return;
    std::filesystem::path path{std::string(*text)};
    path.is_absolute() ? void(out = std::move(path)) : fail(setting, "is not an absolute path");
  }

  // "" when every variable read so far was valid or unset.
  [[nodiscard]] const std::string& errors() const noexcept { return errors_; }

 private:
  // The trimmed value; nullopt when unset (or without an environment) or empty (an error).
  std::optional<std::string_view> read(const operator_setting& setting) {
    if (!lookup_) return std::nullopt;
    const char* raw = lookup_(std::string(setting.name).c_str());
    if (raw == nullptr) return std::nullopt;
    const std::string_view text = trim_ascii(raw);
    if (text.empty()) {
      fail(setting, "is empty");
      return std::nullopt;
    }
    return text;
  }

  void fail(const operator_setting& setting, std::string_view why) {
    if (!errors_.empty()) errors_ += "; ";
    errors_.append(setting.name).append(" ").append(why).append(" (expected: ").append(setting.accepted).append(")");
  }

  const getenv_fn& lookup_;
  std::string errors_;
};

}  // namespace detail

namespace detail {

// apply_operator_settings; `api` starts the error message.
ONEFUZZ_TELEMETRY_DECL result<void> apply_operator_settings(sender_options& options, const getenv_fn& lookup,
                                                                      std::string_view api) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  namespace v = operator_variables;
  operator_settings_reader reader{lookup};
  sender_options out = options;

  reader.count(v::batch_max_items, 1, 64000, out.batching.max_items);  // the service's items per request
  reader.size(v::batch_max_bytes, 64 * kibibyte, 16 * mebibyte, out.batching.max_bytes);
  reader.duration(v::batch_delay, milliseconds{10}, hours{1}, out.batching.max_delay);
  reader.count(v::queue_capacity, 64, 1u << 20, out.queue_capacity);
  if (const auto policy =
          reader.word(v::queue_overflow, std::array<std::string_view, 3>{"drop_newest", "drop_oldest", "block"}))
    out.queue_overflow =
        std::array{overflow_policy::drop_newest, overflow_policy::drop_oldest, overflow_policy::block}[*policy];
  reader.duration(v::queue_block_timeout, milliseconds{1}, seconds{10}, out.block_timeout);
  reader.absolute_path(v::spool_dir, out.spool.directory);
  reader.size(v::spool_max_bytes, mebibyte, 1024 * 1024 * mebibyte, out.spool.max_bytes);
  reader.duration(v::spool_max_age, hours{1}, hours{48}, out.spool.max_age, hours{1});
  if (const auto encoding =
          reader.word(v::instance_encoding, std::array<std::string_view, 2>{"onefuzz_compatible", "typed"}))
    out.instance.encoding = *encoding == 0 ? telemetry::encoding::onefuzz_compatible : telemetry::encoding::typed;
  if (const auto level =
          reader.word(v::diagnostics, std::array<std::string_view, 4>{"off", "error", "warning", "info"})) {
    if (*level == 0) {
      out.diagnostics.handler = &discard_diagnostic;
    } else {
      // A level leaves the handler as it is: it does not undo a handler the program chose.
      out.diagnostics.minimum = std::array{diagnostic_severity::error, diagnostic_severity::warning,
                                           diagnostic_severity::info}[*level - 1];
    }
  }

  if (!reader.errors().empty()) return telemetry::error{std::string(api) + ": " + reader.errors()};
  options = std::move(out);
  return {};
}

}  // namespace detail

ONEFUZZ_TELEMETRY_DECL result<void> apply_operator_settings(sender_options& options,
                                                                      const getenv_fn& lookup) {
  return detail::apply_operator_settings(options, lookup, "apply_operator_settings");
}

ONEFUZZ_TELEMETRY_DECL result<sender_options> sender_options_from_environment(getenv_fn lookup) {
  sender_options options;
  options.getenv = lookup;
  auto applied = detail::apply_operator_settings(options, lookup, "sender_options_from_environment");
  if (!applied) return applied.error();
  return options;
}

}  // namespace onefuzz::telemetry::transport
