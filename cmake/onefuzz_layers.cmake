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
