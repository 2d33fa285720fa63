# Boost for the mingw-w64 build (set as Boost_DIR by ../../mingw-w64-x86_64.cmake): the
# host's headers (Debian's libboost-dev), without the rest of /usr/include.
include("${CMAKE_CURRENT_LIST_DIR}/../host_headers.cmake")

if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${ONEFUZZ_TELEMETRY_HOST_HEADERS}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${ONEFUZZ_TELEMETRY_HOST_HEADERS}")
  add_library(Boost::boost ALIAS Boost::headers)
endif()

# Only the headers: Boost.JSON, which the tests use, is compiled from its headers by the
# project itself when the transport is left out (cmake/onefuzz_layers.cmake).
foreach(component IN LISTS Boost_FIND_COMPONENTS)
  set(Boost_${component}_FOUND FALSE)
  if(Boost_FIND_REQUIRED_${component})
    set(Boost_FOUND FALSE)
    set(Boost_NOT_FOUND_MESSAGE
        "the mingw-w64 build has Boost's headers only, not Boost.${component}: configure "
        "with -DONEFUZZ_TELEMETRY_WITH_TRANSPORT=OFF")
  endif()
endforeach()
