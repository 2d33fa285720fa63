// Peer, measured only where the header is installed: nlohmann/json's single header.
#include <nlohmann/json.hpp>

int main() {}
