#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
#include <string>
// A subclass of the central envelope could add the host name to the central tags.
struct leaky_envelope : tel::central_envelope {
  using tel::central_envelope::central_envelope;
};
