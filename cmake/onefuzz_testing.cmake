# Test helpers shared by every tests/<area>/CMakeLists.txt.
#
#   onefuzz_add_test(<name> SOURCES <files...> [LABELS <labels...>] [LIBRARIES <libs...>]
#                    [TIMEOUT <seconds>])
#     One Catch2 executable registered as one CTest test named <name>. It links every
#     component this build makes (ONEFUZZ_TELEMETRY_LAYER_TARGETS, cmake/onefuzz_layers.cmake):
#     an area's tests are built only when the components they use are (tests/CMakeLists.txt).
#
#   onefuzz_expect_compile_error(<name> SOURCE <file> ERROR <regex> [<regex>...])
#     A CTest test labelled `compile-fail` that compiles <file> and passes only when the
#     compiler rejects it with output matching every <regex>.
include(onefuzz_layers)
find_package(Catch2 2 REQUIRED)

add_library(onefuzz_test_main STATIC "${PROJECT_SOURCE_DIR}/tests/support/catch_main.cpp")
target_link_libraries(onefuzz_test_main PUBLIC Catch2::Catch2)
target_compile_features(onefuzz_test_main PUBLIC cxx_std_20)

function(onefuzz_add_test name)
  cmake_parse_arguments(arg "" "TIMEOUT" "SOURCES;LABELS;LIBRARIES" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE
    ${ONEFUZZ_TELEMETRY_LAYER_TARGETS} onefuzz_telemetry_warnings onefuzz_test_main ${arg_LIBRARIES})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests/support")
  add_test(NAME ${name} COMMAND ${name})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  if(arg_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}")
  endif()
endfunction()

# The snippet is compiled with the same compiler, standard and include path as the
# project's own code, straight from the test (no nested build, so tests can run in
# parallel), with -fsyntax-only: templates are still instantiated, so static_asserts fire.
function(onefuzz_expect_compile_error name)
  cmake_parse_arguments(arg "" "SOURCE" "ERROR" ${ARGN})
  list(JOIN arg_ERROR "@@" arg_ERROR)
  if(NOT IS_ABSOLUTE "${arg_SOURCE}")
    set(arg_SOURCE "${CMAKE_CURRENT_SOURCE_DIR}/${arg_SOURCE}")
  endif()
  add_test(NAME compile_fail.${name}
    COMMAND ${CMAKE_COMMAND}
      "-DCOMPILER=${CMAKE_CXX_COMPILER}"
      "-DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include"
      "-DSOURCE=${arg_SOURCE}"
      "-DERROR_REGEX=${arg_ERROR}"
      -P "${PROJECT_SOURCE_DIR}/cmake/check_compile_fail.cmake")
  set_tests_properties(compile_fail.${name} PROPERTIES LABELS compile-fail TIMEOUT 120)
endfunction()
