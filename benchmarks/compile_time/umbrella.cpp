// The core's umbrella header, nothing used: what every user's TU pays first.
#include <onefuzz/telemetry.hpp>

int main() {}
