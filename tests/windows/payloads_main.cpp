// onefuzz-payloads: writes the payloads of every catalog event, with fixed values, to
// stdout: each event with each context, in several variants (typical values, extremes,
// empty optionals, text that must be escaped, repaired or cut), full and central, in both
// encodings, and the metric twins. tools/windows_test.sh builds it for Linux and for
// Windows and compares the two outputs byte for byte (docs/windows.md).
//
// Each line: <event>/<context>/<variant>/<payload kind> TAB <write_report counters> TAB
// <payload>. Nothing here depends on the machine: the envelopes name their role instance
// and device, and the time is fixed.
#include <onefuzz/telemetry.hpp>
#include <onefuzz/telemetry/catalog.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

namespace {

namespace tel = onefuzz::telemetry;
namespace cat = onefuzz::telemetry::catalog;
namespace hana = boost::hana;
using namespace std::chrono_literals;

// An event outside the catalog with path fields: no catalog event has one, and a path is
// the one value whose native form differs between the platforms.
struct file_seen {
  static constexpr std::string_view event_name = "file_seen";
  static constexpr bool metric_twin = true;
  BOOST_HANA_DEFINE_STRUCT(file_seen,
                           (tel::instance_only<std::filesystem::path>, file),
                           (tel::instance_only<std::optional<std::filesystem::path>>, previous),
                           (tel::central<std::uint64_t>, size));
};
static_assert(tel::event<file_seen>);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// Texts for free-text fields and reviewed values: plain, escapes, control characters,
// non-ASCII, invalid UTF-8, empty, and one longer than the property limit (cut).
const std::array<std::string, 8> texts = {
    std::string{"/home/alice/crashes/crash-1"},
    std::string{"C:\\Users\\Zo\xC3\xAB\\crash \"2\"\t\x01 \xF0\x9F\x98\x80"},
    std::string{"libfuzzer"},
    std::string{""},
    std::string{"bad \xFF\xFE utf-8 \xC3"},
    std::string(tel::max_property_value_size + 5, 'x') + "\xC3\xA9",
    std::string{"Standard_D2s_v3"},
    std::string{"/usr/local/bin/afl-fuzz"},
};

const std::array<std::u8string, 3> paths = {
    std::u8string{u8"/home/zo\u00EB/crashes/crash-\U0001F600"},
    std::u8string{u8"C:/Users/alice/AppData/Local/onefuzz/crash 1"},
    std::u8string{u8""},
};

constexpr std::array<double, 16> doubles = {
    0.0, -0.0, 0.1, 1.0 / 3.0, 123456.789, 1e21, 1e-7, 5e-324, 1.7976931348623157e308,
    std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
    -std::numeric_limits<double>::infinity(), 2.5, 100.0, 1e15 + 0.3, -42.125};

template <class T>
T integer_sample(std::size_t k) {
  using limits = std::numeric_limits<T>;
  switch (k % 8) {
    case 0: return T{0};
    case 1: return T{1};
    case 2: return limits::max();
    case 3: return limits::min();
    case 4: return static_cast<T>(1000000007u % static_cast<std::uint64_t>(limits::max()));
    case 5: return static_cast<T>(99);
    case 6: return static_cast<T>(limits::max() / 3);
    default: return static_cast<T>(k);
  }
}

// A fixed value of type T for the k-th field of a variant.
template <class T>
T sample(std::size_t k) {
  if constexpr (is_optional<T>::value) {
    if (k % 5 == 4) return std::nullopt;
    return sample<typename T::value_type>(k);
  } else if constexpr (std::is_same_v<T, bool>) {
    return k % 2 == 0;
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    return static_cast<T>(doubles[k % doubles.size()]);
  } else if constexpr (std::is_integral_v<T>) {
    return integer_sample<T>(k);
  } else if constexpr (tel::wire_enum<T>) {
    // One past the last name: an out-of-range value, sent as its number.
    return static_cast<T>(k % (tel::wire_names_of<T>.names.size() + 1));
  } else if constexpr (tel::id_value<T>) {
    char text[37];
    std::snprintf(text, sizeof text, "%08x-1a2b-4c3d-9e8f-%012llx", static_cast<unsigned>(k * 2654435761u),
                  static_cast<unsigned long long>(k) * 0x9E3779B97F4Aull % 0x1000000000000ull);
    return T::parse(text).value();
  } else if constexpr (std::is_same_v<T, tel::version>) {
    constexpr std::array<std::string_view, 3> versions = {
        "8.9.0", "8.9.0+82fffbe8a1b2c3d4e5f60718293a4b5c6d7e8f90", "1.2.3-abcdef0.localchanges"};
    return tel::version::parse(versions[k % versions.size()]).value();
  } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
    return std::filesystem::path{paths[k % paths.size()]};
  } else if constexpr (std::is_same_v<T, std::string>) {
    return texts[k % texts.size()];
  } else {
    return T{texts[k % texts.size()]};  // a reviewed type
  }
}

// S with every field set from variant.
template <class S>
S filled(std::size_t variant) {
  S value{};
  std::size_t k = variant * 7;
  hana::for_each(hana::accessors<S>(), [&](auto pair) {
    auto& member = hana::second(pair)(value);
    using field = std::remove_cvref_t<decltype(member)>;
    member = sample<typename field::value_type>(k++);
  });
  return value;
}

const tel::timestamp when =
    std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 34min + 56s + 789ms;

void print(std::string_view label, const tel::write_report& report, const tel::output_buffer& out) {
  std::printf("%.*s\ttruncated=%u invalid_utf8=%u non_finite=%u out_of_range=%u rejected=%u\t",
              static_cast<int>(label.size()), label.data(), report.truncated_values,
              report.invalid_utf8_replaced, report.non_finite_omitted, report.out_of_range_enums,
              report.projection_rejected);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::putchar('\n');
}

template <class E, class C>
void print_payloads(std::string_view context_name, std::size_t variant) {
  const tel::full_envelope full{tel::envelope_options{
      .instrumentation_key = "00000000-0000-0000-0000-0000000000aa",
      .cloud_role = tel::role::agent,
      .role_instance = "agent-vm-0",
      .device_id = "device-\xC3\xA9-0"}};
  const tel::central_envelope central{"00000000-0000-0000-0000-0000000000bb", tel::role::agent};
  const E event = filled<E>(variant);
  const C context = filled<C>(variant + 3);
  const std::string prefix = std::string{E::event_name} + "/" + std::string{context_name} + "/" +
                             std::to_string(variant) + "/";
  tel::output_buffer out;
  const auto emit = [&](std::string_view kind, auto write) {
    out.clear();
    const tel::write_report report = write();
    print(prefix + std::string{kind}, report, out);
  };
  using tel::encoding;
  emit("full", [&] { return tel::write_full<encoding::onefuzz_compatible>(out, full, when, event, context); });
  emit("full_typed", [&] { return tel::write_full<encoding::typed>(out, full, when, event, context); });
  emit("central", [&] { return tel::write_central<encoding::onefuzz_compatible>(out, central, when, event, context); });
  emit("central_typed", [&] { return tel::write_central<encoding::typed>(out, central, when, event, context); });
  if constexpr (tel::has_metric_twin_v<E>) {
    emit("metric_full", [&] { return tel::write_metric_full(out, full, when, event, context); });
    emit("metric_central", [&] { return tel::write_metric_central(out, central, when, event, context); });
  }
}

constexpr std::size_t variants = 6;

template <class E>
void print_event() {
  for (std::size_t variant = 0; variant < variants; ++variant) {
    print_payloads<E, cat::task_context>("task", variant);
    print_payloads<E, cat::supervisor_context>("supervisor", variant);
    print_payloads<E, cat::proxy_context>("proxy", variant);
    print_payloads<E, cat::service_context>("service", variant);
    print_payloads<E, tel::no_context>("none", variant);
  }
}

}  // namespace

int main() {
#if defined(_WIN32)
  // Bytes as written: no "\n" to "\r\n" translation, so the outputs compare byte for byte.
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  const auto each = [](auto types) {
    hana::for_each(types, [](auto type) { print_event<typename decltype(type)::type>(); });
  };
  each(cat::agent_event_types);
  each(cat::service_event_types);
  each(hana::tuple_t<file_seen>);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
