# Catch2 2.x for the mingw-w64 build (set as Catch2_DIR by ../../mingw-w64-x86_64.cmake):
# the host's single header (Debian's catch2 package), without the rest of /usr/include.
include("${CMAKE_CURRENT_LIST_DIR}/../host_headers.cmake")

if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${ONEFUZZ_TELEMETRY_HOST_HEADERS}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${ONEFUZZ_TELEMETRY_HOST_HEADERS}")
endif()
