# A folder with links to the host's header-only packages (Boost, Catch2), so that the
# cross-compiler sees them without seeing /usr/include, whose glibc headers would break a
# Windows build. Sets ONEFUZZ_TELEMETRY_HOST_HEADERS to the folder.
include_guard(GLOBAL)

set(ONEFUZZ_TELEMETRY_HOST_HEADERS "${CMAKE_BINARY_DIR}/onefuzz-mingw-host-headers")
file(MAKE_DIRECTORY "${ONEFUZZ_TELEMETRY_HOST_HEADERS}")
foreach(package IN ITEMS boost catch2)
  if(NOT EXISTS "/usr/include/${package}")
    message(FATAL_ERROR "/usr/include/${package} is missing: install the Debian package "
                        "(libboost-dev, catch2) that the Windows build borrows headers from")
  endif()
  file(CREATE_LINK "/usr/include/${package}" "${ONEFUZZ_TELEMETRY_HOST_HEADERS}/${package}" SYMBOLIC)
endforeach()
