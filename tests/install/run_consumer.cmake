# The install tests (see CMakeLists.txt), one step per CTest test:
#   cmake -DSTEP=<step> -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -P run_consumer.cmake
# Any failed command fails the test, with its output.
cmake_minimum_required(VERSION 3.25)
set(prefix "${WORK_DIR}/prefix")
string(REPLACE "," ";" COMPONENTS "${COMPONENTS}")  # the components the build makes
set(here "${CMAKE_CURRENT_LIST_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "install.${STEP}: '${ARGN}' failed:\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# Configures and builds <source> in <work>/<name>; extra arguments go to the configure step.
function(build_project name source)
  file(REMOVE_RECURSE "${WORK_DIR}/${name}")
  run("${CMAKE_COMMAND}" -S "${source}" -B "${WORK_DIR}/${name}" -G Ninja
      "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX}" ${ARGN})
  run("${CMAKE_COMMAND}" --build "${WORK_DIR}/${name}")
endfunction()

function(expect_output regex)
  if(NOT last_output MATCHES "${regex}")
    message(FATAL_ERROR "install.${STEP}: expected output matching '${regex}', got:\n${last_output}")
  endif()
endfunction()

# The core consumer's output: the central payload with the count, never the instance-only
# value, and the version onefuzz_version() computed.
set(core_output "\"properties\":{\"count\":\"3\"}.*version 1\\.2\\.3")

if(STEP STREQUAL "prefix")
  file(REMOVE_RECURSE "${WORK_DIR}")
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
  set(expected
      include/onefuzz/telemetry.hpp
      share/onefuzz_telemetry/onefuzz_telemetry-config.cmake
      share/onefuzz_telemetry/onefuzz_telemetry_targets.cmake
      share/onefuzz_telemetry/modules/onefuzz_version.cmake
      share/onefuzz_telemetry/modules/onefuzz_version_header.cmake
      share/pkgconfig/onefuzz-telemetry.pc
      share/doc/onefuzz_telemetry/LICENSE
      share/doc/onefuzz_telemetry/docs/integrations.md)
  set(absent "")
  foreach(component IN ITEMS transport integrations testing)
    set(files share/onefuzz_telemetry/onefuzz_telemetry_${component}_targets.cmake
              share/pkgconfig/onefuzz-telemetry-${component}.pc)
    if(component STREQUAL "transport")
      list(APPEND files include/onefuzz/telemetry/transport/sender.hpp)
    elseif(component STREQUAL "testing")
      list(APPEND files include/onefuzz/telemetry/testing/ingestion_server.hpp)
    endif()
    if(component IN_LIST COMPONENTS)
      list(APPEND expected ${files})
    else()
      list(APPEND absent ${files})
    endif()
  endforeach()
  foreach(file IN LISTS expected)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "install.prefix: ${file} was not installed")
    endif()
  endforeach()
  foreach(file IN LISTS absent)
    if(EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "install.prefix: ${file} was installed by a build without its component")
    endif()
  endforeach()
  # The core's targets file must not name a dependency of another component.
  file(READ "${prefix}/share/onefuzz_telemetry/onefuzz_telemetry_targets.cmake" core_targets)
  if(core_targets MATCHES "CURL|ZLIB|Boost::json|OpenSSL|Threads")
    message(FATAL_ERROR "install.prefix: the core's targets name a transport dependency:\n${core_targets}")
  endif()

elseif(STEP STREQUAL "core")
  # libcurl, zlib, OpenSSL and threads made unfindable: a core consumer must not need them.
  build_project(core "${here}/consumer"
    -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON -DCMAKE_DISABLE_FIND_PACKAGE_Threads=ON)
  run("${WORK_DIR}/core/consumer")
  expect_output("${core_output}")
  if(last_output MATCHES "hidden")
    message(FATAL_ERROR "install.core: an instance-only value reached the central payload")
  endif()

elseif(STEP STREQUAL "component_dependencies")
  # The other side: asking for a component looks for its dependencies, and fails without
  # them, naming the one missing; asking for one this install lacks fails, saying so.
  file(REMOVE_RECURSE "${WORK_DIR}/no_curl")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${here}/driver" -B "${WORK_DIR}/no_curl" -G Ninja
            "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX}"
            -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " out "${out}")
  if("testing" IN_LIST COMPONENTS)
    set(reason "CURL")
  else()
    set(reason "not: [a-z;]*testing.*ONEFUZZ_TELEMETRY_WITH_<COMPONENT>=OFF")
  endif()
  if(result EQUAL 0 OR NOT out MATCHES "${reason}")
    message(FATAL_ERROR
      "install.component_dependencies: COMPONENTS testing configured (or failed without "
      "saying '${reason}'):\n${out}")
  endif()
  # A component this install does not know is an error that lists the known ones.
  file(REMOVE_RECURSE "${WORK_DIR}/unknown")
  file(WRITE "${WORK_DIR}/unknown/CMakeLists.txt"
    "cmake_minimum_required(VERSION 3.25)\nproject(unknown LANGUAGES CXX)\n"
    "find_package(onefuzz_telemetry CONFIG REQUIRED COMPONENTS transprot)\n")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${WORK_DIR}/unknown" -B "${WORK_DIR}/unknown/build" -G Ninja
            "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX}"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " out "${out}")
  if(result EQUAL 0 OR NOT out MATCHES "transprot.*Known components: transport, integrations, testing")
    message(FATAL_ERROR "install.component_dependencies: an unknown component was not refused clearly:\n${out}")
  endif()

elseif(STEP STREQUAL "readme")
  # The README's CMakeLists.txt and main.cpp ("Using the library": its first ```cmake and
  # ```cpp blocks), as a user pastes them, built against the install; then run by the
  # driver against the installed local ingestion server.
  file(READ "${SOURCE_DIR}/README.md" readme)
  string(FIND "${readme}" "\n## Using the library\n" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "install.readme: README.md has no section 'Using the library'")
  endif()
  math(EXPR start "${start} + 1")
  string(SUBSTRING "${readme}" ${start} -1 section)
  string(FIND "${section}" "\n## " end)
  string(SUBSTRING "${section}" 0 ${end} section)
  set(project_dir "${WORK_DIR}/readme-src")
  file(REMOVE_RECURSE "${project_dir}")
  foreach(block IN ITEMS cmake cpp)
    set(fence "```${block}\n")
    string(FIND "${section}" "${fence}" from)
    if(from EQUAL -1)
      message(FATAL_ERROR "install.readme: no ```${block} block in 'Using the library'")
    endif()
    string(LENGTH "${fence}" fence_length)
    math(EXPR from "${from} + ${fence_length}")
    string(SUBSTRING "${section}" ${from} -1 rest)
    string(FIND "${rest}" "\n```" to)
    math(EXPR to "${to} + 1")
    string(SUBSTRING "${rest}" 0 ${to} code)
    if(block STREQUAL "cmake")
      file(WRITE "${project_dir}/CMakeLists.txt" "${code}")
    else()
      file(WRITE "${project_dir}/main.cpp" "${code}")
    endif()
  endforeach()
  build_project(readme "${project_dir}")
  build_project(driver "${here}/driver")
  run("${WORK_DIR}/driver/driver" "${WORK_DIR}/readme/my_agent")
  expect_output("instance: emitted 2, accepted 2, dropped 0")
  expect_output("driver: 2 items accepted")

elseif(STEP STREQUAL "subdirectory" OR STEP STREQUAL "fetchcontent")
  # The source tree added to a project, the transport left out and libcurl and zlib made
  # unfindable.
  build_project(${STEP} "${here}/subproject" "-DMODE=${STEP}" "-DONEFUZZ_SOURCE=${SOURCE_DIR}"
    -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON)
  run("${WORK_DIR}/${STEP}/consumer")
  expect_output("${core_output}")

elseif(STEP STREQUAL "pkgconfig")
  # Builds without CMake: the core consumer with onefuzz-telemetry's flags, the README's
  # main.cpp (the sender) with onefuzz-telemetry-transport's, linked and run.
  find_program(pkg_config NAMES pkg-config pkgconf REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${prefix}/share/pkgconfig")
  set(packages onefuzz-telemetry)
  if("transport" IN_LIST COMPONENTS)
    list(APPEND packages onefuzz-telemetry-transport)
  endif()
  foreach(package IN LISTS packages)
    run("${pkg_config}" --cflags --libs ${package})
    string(STRIP "${last_output}" flags)
    separate_arguments(flags_${package} UNIX_COMMAND "${flags}")
    message(STATUS "install.pkgconfig: ${package}: ${flags}")
  endforeach()
  if(NOT flags_onefuzz-telemetry MATCHES "-I${prefix}/share/pkgconfig/../../include")
    message(FATAL_ERROR "install.pkgconfig: onefuzz-telemetry does not point into the prefix: ${flags_onefuzz-telemetry}")
  endif()
  file(MAKE_DIRECTORY "${WORK_DIR}/pkgconfig")
  run("${CXX}" -std=c++20 "${here}/consumer/main.cpp" "-DCONSUMER_VERSION=\"1.2.3\""
      ${flags_onefuzz-telemetry} -o "${WORK_DIR}/pkgconfig/core")
  run("${WORK_DIR}/pkgconfig/core")
  expect_output("${core_output}")
  if(NOT "testing" IN_LIST COMPONENTS)  # install.readme did not run
    return()
  endif()
  if(NOT EXISTS "${WORK_DIR}/readme-src/main.cpp")
    message(FATAL_ERROR "install.pkgconfig: runs after install.readme, which extracts main.cpp")
  endif()
  run("${CXX}" -std=c++20 "${WORK_DIR}/readme-src/main.cpp"
      ${flags_onefuzz-telemetry-transport} -o "${WORK_DIR}/pkgconfig/transport")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown STEP '${STEP}'")
endif()
