#include <onefuzz/telemetry.hpp>
#include <cstdint>
namespace tel = onefuzz::telemetry;
// A context adapted from outside with one member listed twice would send one key twice.
struct adapted_context {
  tel::central<std::uint64_t> count;
};
BOOST_HANA_ADAPT_STRUCT(adapted_context, count, count);
static_assert(tel::fields_of<adapted_context>.size() == 2);
