#include <onefuzz/telemetry.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
namespace tel = onefuzz::telemetry;
#include <boost/hana/adapt_adt.hpp>
// An accessor that computes its value (BOOST_HANA_ADAPT_ADT) could read an instance-only
// member into a central field, so only data members are accepted.
namespace user {
struct my_event {
  static constexpr std::string_view event_name = "my_event";
  tel::instance_only<std::uint64_t> secret;
};
}  // namespace user
BOOST_HANA_ADAPT_ADT(user::my_event,
  (leak, [](const user::my_event& e) { return tel::central<std::uint64_t>{e.secret.get()}; }));
void use(tel::output_buffer& out, const tel::central_envelope& destination) {
  tel::write_central(out, destination, tel::timestamp{}, user::my_event{});
}
