// Peer: Boost.Hana's umbrella header (the core builds on Hana's reflection).
#include <boost/hana.hpp>

int main() {}
