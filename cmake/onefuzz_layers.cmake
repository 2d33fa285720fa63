# The layers (components) this build makes, for the project's own programs.
#
#   ONEFUZZ_TELEMETRY_LAYER_TARGETS
#     onefuzz::telemetry and every optional layer's target built here
#     (onefuzz::telemetry_transport, ..._integrations, ..._testing).
#
#   onefuzz_link_layers_in(<dir>)
#     Links every executable defined in <dir> (a folder already added, and its subfolders)
#     with ONEFUZZ_TELEMETRY_LAYER_TARGETS and Boost::json (the tests' oracle, the manifest
#     tool). The examples, benchmarks, tools and fuzz programs were written when the library
#     was one target; this keeps them building until each names the layers it uses (a
#     consumer names them: see the README, "Using the library").
#
#   onefuzz_telemetry_compiled, when ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION is ON (the
#     default for the top-level project): a static library compiled from the src.hpp of each
#     component that offers one (docs/separate-compilation.md), with the macro
#     ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION as a PUBLIC definition; appended to
#     ONEFUZZ_TELEMETRY_LAYER_TARGETS, so every program linking the layers gets both.
#
#   Boost::json, when the transport is left out (and so Boost.JSON was not looked for):
#     Boost.JSON compiled from its headers (<boost/json/src.hpp>) for the project's own
#     programs, so the core tests run where only Boost's headers exist (a cross build).
include_guard(GLOBAL)

if(NOT TARGET Boost::json)
  set(source "${PROJECT_BINARY_DIR}/onefuzz_boost_json_sources.cpp")
  file(CONFIGURE OUTPUT "${source}" CONTENT "#include <boost/json/src.hpp>\n")
  add_library(onefuzz_boost_json_sources STATIC EXCLUDE_FROM_ALL "${source}")
  target_link_libraries(onefuzz_boost_json_sources PUBLIC Boost::headers)
  target_compile_features(onefuzz_boost_json_sources PUBLIC cxx_std_20)
  add_library(Boost::json ALIAS onefuzz_boost_json_sources)
endif()

set(ONEFUZZ_TELEMETRY_LAYER_TARGETS onefuzz::telemetry)
foreach(layer IN LISTS ONEFUZZ_TELEMETRY_COMPONENTS)
  list(APPEND ONEFUZZ_TELEMETRY_LAYER_TARGETS onefuzz::telemetry_${layer})
endforeach()

# The components' definitions, compiled once: one source file per src.hpp, so that a
# parallel build compiles them side by side (each is among the build's longest files: Beast
# and Asio, or libcurl and the spool).
set(onefuzz_compiled_headers "")
if("testing" IN_LIST ONEFUZZ_TELEMETRY_COMPONENTS)
  list(APPEND onefuzz_compiled_headers "onefuzz/telemetry/testing/src.hpp")
endif()
# One macro switches every component's headers to declarations, so the library holds the
# definitions of every component this build makes that offers a src.hpp.
if("transport" IN_LIST ONEFUZZ_TELEMETRY_COMPONENTS)
  list(APPEND onefuzz_compiled_headers "onefuzz/telemetry/transport/src.hpp")
endif()
if(ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION AND onefuzz_compiled_headers)
  set(onefuzz_compiled_sources "")
  foreach(header IN LISTS onefuzz_compiled_headers)
    # onefuzz/telemetry/testing/src.hpp -> onefuzz_telemetry_compiled_testing.cpp
    string(REGEX REPLACE "^onefuzz/telemetry/([a-z_]+)/src\\.hpp$" "\\1" component "${header}")
    set(source "${PROJECT_BINARY_DIR}/onefuzz_telemetry_compiled_${component}.cpp")
    file(CONFIGURE OUTPUT "${source}" CONTENT "#include <${header}>\n")
    list(APPEND onefuzz_compiled_sources "${source}")
  endforeach()
  add_library(onefuzz_telemetry_compiled STATIC ${onefuzz_compiled_sources})
  target_compile_definitions(onefuzz_telemetry_compiled PUBLIC ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION)
  target_link_libraries(onefuzz_telemetry_compiled
    PUBLIC ${ONEFUZZ_TELEMETRY_LAYER_TARGETS} PRIVATE onefuzz_telemetry_warnings)
  list(APPEND ONEFUZZ_TELEMETRY_LAYER_TARGETS onefuzz_telemetry_compiled)
endif()

function(onefuzz_link_layers_in dir)
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_libraries(${target} PRIVATE ${ONEFUZZ_TELEMETRY_LAYER_TARGETS} Boost::json)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    onefuzz_link_layers_in("${subdir}")
  endforeach()
endfunction()
