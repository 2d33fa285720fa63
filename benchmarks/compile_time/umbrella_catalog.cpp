// The umbrella and OneFuzz's event catalog: an agent's TU that declares no event of its own.
#include <onefuzz/telemetry.hpp>
#include <onefuzz/telemetry/catalog.hpp>

int main() {}
