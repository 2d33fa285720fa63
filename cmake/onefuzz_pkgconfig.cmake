# pkg-config files, one per component, for builds without CMake:
#   c++ -std=c++20 main.cpp $(pkg-config --cflags --libs onefuzz-telemetry-transport)
# onefuzz-telemetry (the core) needs only Boost's headers, which have no .pc file: their
# folder is added to Cflags unless the compiler searches it anyway. The transport Requires
# libcurl and zlib (which have .pc files) and links Boost.JSON and threads directly; the
# integrations Require the transport; testing Requires the transport and openssl.
# Installed under share/ (nothing in them depends on the architecture beyond the paths
# of Boost's library, given absolute). C++20 is the caller's flag to give.
set(onefuzz_pc_dir "${CMAKE_INSTALL_DATADIR}/pkgconfig")

# -I for Boost's headers, -L for Boost.JSON's folder, when not searched by default.
set(onefuzz_pc_boost_cflags "")
get_target_property(onefuzz_boost_includes Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
foreach(dir IN LISTS onefuzz_boost_includes)
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT dir STREQUAL "/usr/include")
    string(APPEND onefuzz_pc_boost_cflags " -I${dir}")
  endif()
endforeach()

function(onefuzz_write_pc name description requires libs)
  # Relocatable: the prefix is found from the .pc file's own folder (share/pkgconfig).
  set(content "prefix=\${pcfiledir}/../..
includedir=\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}

Name: ${name}
Description: ${description}
Version: ${PROJECT_VERSION}
")
  if(requires)
    string(APPEND content "Requires: ${requires}\n")
  endif()
  string(APPEND content "Cflags: -I\${includedir}${onefuzz_pc_boost_cflags}\n")
  if(libs)
    string(APPEND content "Libs:${libs}\n")
  endif()
  file(WRITE "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc" "${content}")
  install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc" DESTINATION "${onefuzz_pc_dir}")
endfunction()

onefuzz_write_pc(onefuzz-telemetry
  "OneFuzz telemetry, header-only C++20: events, serializers, catalog, audits (needs Boost headers)"
  "" "")

if("transport" IN_LIST ONEFUZZ_TELEMETRY_COMPONENTS)
  get_target_property(onefuzz_boost_json_location Boost::json LOCATION)
  get_filename_component(onefuzz_boost_json_dir "${onefuzz_boost_json_location}" DIRECTORY)
  set(onefuzz_pc_transport_libs "")
  if(NOT onefuzz_boost_json_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    string(APPEND onefuzz_pc_transport_libs " -L${onefuzz_boost_json_dir}")
  endif()
  get_filename_component(onefuzz_boost_json_name "${onefuzz_boost_json_location}" NAME)
  if(NOT onefuzz_boost_json_name MATCHES "^lib([^.]+)\\.")
    message(FATAL_ERROR "onefuzz-telemetry: cannot name Boost.JSON's library for pkg-config: ${onefuzz_boost_json_location}")
  endif()
  string(APPEND onefuzz_pc_transport_libs " -l${CMAKE_MATCH_1} -pthread")
  onefuzz_write_pc(onefuzz-telemetry-transport
    "OneFuzz telemetry transport: the sender to Application Insights"
    "onefuzz-telemetry libcurl zlib" "${onefuzz_pc_transport_libs}")
endif()
if("integrations" IN_LIST ONEFUZZ_TELEMETRY_COMPONENTS)
  onefuzz_write_pc(onefuzz-telemetry-integrations
    "OneFuzz telemetry integrations: libFuzzer and AFL reporters, file watcher, process stats"
    "onefuzz-telemetry-transport" "")
endif()
if("testing" IN_LIST ONEFUZZ_TELEMETRY_COMPONENTS)
  onefuzz_write_pc(onefuzz-telemetry-testing
    "OneFuzz telemetry testing: the local Application Insights ingestion server"
    "onefuzz-telemetry-transport openssl" "")
endif()
