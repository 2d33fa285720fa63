# Test helpers shared by every tests/<area>/CMakeLists.txt.
#
#   onefuzz_test_area(<target>)
#     The area's Catch2 executable, made empty: each onefuzz_add_test after it in the same
#     folder compiles its sources into <target>. One executable per area instead of one per
#     test: the test main, Catch2, libcurl and Boost.JSON are linked once per area, and with
#     ONEFUZZ_TELEMETRY_TEST_UNITY_BUILD (ON by default) the area's files are compiled together
#     (CMake's UNITY_BUILD), so the heavy headers they share are parsed once per batch. So
#     that one file's names neither meet another's nor shadow names in the headers a later
#     file includes (-Wshadow), each test file keeps its code in a namespace named after it
#     (namespace spool_test { ... }). A file that needs its own compiler flags can opt out
#     with the source property SKIP_UNITY_BUILD_INCLUSION (CMake leaves out, by itself, a
#     file with its own COMPILE_DEFINITIONS or COMPILE_OPTIONS).
#
#   onefuzz_add_test(<name> SOURCES <files...> [SUPPORT_SOURCES <files...>] [SEPARATE]
#                    [LABELS <labels...>] [LIBRARIES <libs...>] [TIMEOUT <seconds>])
#     One CTest test named <name>. After onefuzz_test_area, the SOURCES join the area's
#     executable, and the test runs that executable on the test cases of those files only:
#     Catch2's -# tags each test case with its file's name ("[#spool_test]"), and the test
#     asks for those tags. --warn NoTests makes a tag that matches nothing (a renamed file)
#     fail the test instead of passing it silently. SUPPORT_SOURCES are compiled in too but
#     hold no test cases, so they get no tag. LIBRARIES are linked into the whole executable.
#     SEPARATE (or no area) builds its own executable named <name>, as every test had
#     before: for a file that must not share a program (say why where it is used).
#     Each executable links every component this build makes (ONEFUZZ_TELEMETRY_LAYER_TARGETS,
#     cmake/onefuzz_layers.cmake): an area's tests are built only when the components they use
#     are (tests/CMakeLists.txt).
#
#   onefuzz_add_test(<name> FILTER <catch2 test spec> [LABELS ...] [TIMEOUT ...])
#     A further test that runs the area's executable on the test cases <spec> selects
#     (a tag, say), with no sources of its own.
#
#   onefuzz_expect_compile_error(<name> SOURCE <file> ERROR <regex> [<regex>...])
#     A CTest test labelled `compile-fail` that compiles <file> and passes only when the
#     compiler rejects it with output matching every <regex>.
include(onefuzz_layers)
find_package(Catch2 2 REQUIRED)

option(ONEFUZZ_TELEMETRY_TEST_UNITY_BUILD
  "Compile each test area's files together (fewer, larger translation units: less CPU)" ON)
set(ONEFUZZ_TELEMETRY_TEST_UNITY_BATCH_SIZE 8 CACHE STRING
  "Test files per unity translation unit (0: the whole area in one)")

add_library(onefuzz_test_main STATIC "${PROJECT_SOURCE_DIR}/tests/support/catch_main.cpp")
target_link_libraries(onefuzz_test_main PUBLIC Catch2::Catch2)
target_compile_features(onefuzz_test_main PUBLIC cxx_std_20)
# Catch2's runner (all of catch.hpp's implementation) is test machinery, not code under test:
# compiled the same way in every build, at -O1, without debug information or sanitizers.
# Under ASan at -O1 this one file took longer to compile than any test file (-g and the
# instrumentation); at -O0 its object holds so many sections that mingw-w64's ar and ld
# spend minutes on it (10 MB, against 1.5 MB at -O1). The sanitizers' runtimes, linked into
# each program, work with uninstrumented code; ASan, UBSan and TSan still check every test
# file and the library code those files instantiate (the linker keeps the test files' own
# copies of shared inline functions: they come before this library on its command line).
target_compile_options(onefuzz_test_main PRIVATE -O1 -g0 -fno-sanitize=all)

function(onefuzz_test_executable target)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE
    ${ONEFUZZ_TELEMETRY_LAYER_TARGETS} onefuzz_telemetry_warnings onefuzz_test_main)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests/support")
endfunction()

macro(onefuzz_test_area target)
  onefuzz_test_executable(${target})
  if(ONEFUZZ_TELEMETRY_TEST_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${ONEFUZZ_TELEMETRY_TEST_UNITY_BATCH_SIZE})
  endif()
  set(ONEFUZZ_TEST_AREA_TARGET ${target})
endmacro()

function(onefuzz_add_test name)
  cmake_parse_arguments(arg "SEPARATE" "TIMEOUT" "SOURCES;SUPPORT_SOURCES;LABELS;LIBRARIES;FILTER" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "onefuzz_add_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(arg_SEPARATE OR NOT ONEFUZZ_TEST_AREA_TARGET)
    if(arg_FILTER)
      message(FATAL_ERROR "onefuzz_add_test(${name}): FILTER needs an area executable")
    endif()
    onefuzz_test_executable(${name} ${arg_SOURCES} ${arg_SUPPORT_SOURCES})
    target_link_libraries(${name} PRIVATE ${arg_LIBRARIES})
    add_test(NAME ${name} COMMAND ${name})
  else()
    set(area ${ONEFUZZ_TEST_AREA_TARGET})
    target_sources(${area} PRIVATE ${arg_SOURCES} ${arg_SUPPORT_SOURCES})
    target_link_libraries(${area} PRIVATE ${arg_LIBRARIES})
    set(spec ${arg_FILTER})
    if(NOT spec)
      # A tag is the file's name without its folder and extension: two files of one area with
      # the same name would share it.
      get_target_property(stems ${area} ONEFUZZ_TEST_FILE_TAGS)
      if(NOT stems)
        set(stems "")
      endif()
      foreach(source IN LISTS arg_SOURCES)
        get_filename_component(stem "${source}" NAME_WLE)
        if(stem IN_LIST stems)
          message(FATAL_ERROR "onefuzz_add_test(${name}): another file of ${area} is named ${stem}")
        endif()
        list(APPEND stems ${stem})
        list(APPEND spec "[#${stem}]")
      endforeach()
      set_target_properties(${area} PROPERTIES ONEFUZZ_TEST_FILE_TAGS "${stems}")
      list(JOIN spec "," spec)
    endif()
    if(NOT spec)
      message(FATAL_ERROR "onefuzz_add_test(${name}): SOURCES or FILTER is needed")
    endif()
    add_test(NAME ${name} COMMAND ${area} --filenames-as-tags --warn NoTests "${spec}")
  endif()
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
