// Peer: Boost.JSON's umbrella header (the library compiled separately, as Debian ships it).
#include <boost/json.hpp>

int main() {}
