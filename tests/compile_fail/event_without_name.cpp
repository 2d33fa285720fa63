#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
// event<E> wants a wire name; a struct without one is a context.
struct my_context {
  BOOST_HANA_DEFINE_STRUCT(my_context, (tel::central<std::uint64_t>, count));
};
static_assert(tel::event<my_context>);
