# Tests cmake/onefuzz_version.cmake in a temporary git repository: clean, dirty (unstaged,
# staged, untracked), tagged, CI, overridden, and the error cases. Run as
#   cmake -DREPO_ROOT=<repo> -DWORK_DIR=<empty dir> -P version_test.cmake
# Every computed version is also written to <WORK_DIR>/versions.txt, one per line, for
# integrations.version_grammar, which parses each with onefuzz::telemetry::version::parse.
cmake_minimum_required(VERSION 3.25)
include("${REPO_ROOT}/cmake/onefuzz_version.cmake")

find_program(GIT git REQUIRED)
set(repo "${WORK_DIR}/repo")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${repo}")
set(versions_file "${WORK_DIR}/versions.txt")
file(WRITE "${versions_file}" "")

# The test decides the environment; a CI runner's own GITHUB_REF must not leak in.
unset(ENV{GITHUB_REF})
unset(ENV{ONEFUZZ_SET_VERSION})
# The work directory usually sits in a build tree inside the project's own repository; git
# must not find that one from the "outside git" case.
set(ENV{GIT_CEILING_DIRECTORIES} "${WORK_DIR}")

function(git)
  execute_process(
    COMMAND "${GIT}" -c user.name=test -c user.email=test@example.invalid -c commit.gpgsign=false
            -c init.defaultBranch=main ${ARGN}
    WORKING_DIRECTORY "${repo}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "git ${ARGN} failed: ${err}")
  endif()
  set(git_out "${out}" PARENT_SCOPE)
endfunction()

function(expect name actual expected)
  if(actual STREQUAL expected)
    message(STATUS "ok   ${name}: ${actual}")
  else()
    message(SEND_ERROR "FAIL ${name}: got '${actual}', expected '${expected}'")
  endif()
  file(APPEND "${versions_file}" "${actual}\n")
endfunction()

# A helper run in a child cmake, for the cases that must stop with a fatal error.
function(expect_fatal name message_regex)
  file(WRITE "${WORK_DIR}/fatal.cmake"
    "include(\"${REPO_ROOT}/cmake/onefuzz_version.cmake\")\n${ARGN}\n")
  execute_process(COMMAND "${CMAKE_COMMAND}" -P "${WORK_DIR}/fatal.cmake"
    WORKING_DIRECTORY "${repo}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  # CMake wraps long messages; match on the text with its line breaks folded.
  string(REGEX REPLACE "[ \n]+" " " err "${err}")
  if(rc EQUAL 0)
    message(SEND_ERROR "FAIL ${name}: expected a fatal error, the script succeeded")
  elseif(NOT err MATCHES "${message_regex}")
    message(SEND_ERROR "FAIL ${name}: the error does not match '${message_regex}':\n${err}")
  else()
    message(STATUS "ok   ${name}: fails with the expected message")
  endif()
endfunction()

file(WRITE "${repo}/CURRENT_VERSION" "8.9.0\n")
file(WRITE "${repo}/main.c" "int main(void) { return 0; }\n")
git(init -q)
git(add CURRENT_VERSION main.c)
git(commit -q -m initial)
git(rev-parse HEAD)
set(sha "${git_out}")
if(NOT sha MATCHES "^[0-9a-f]+$")
  message(FATAL_ERROR "could not read the test repository's sha")
endif()
string(LENGTH "${sha}" sha_length)
if(NOT sha_length EQUAL 40)
  message(FATAL_ERROR "expected a 40-digit sha, got '${sha}'")
endif()

# Clean tree: base+sha. VERSION_FILE alone: SOURCE_DIR defaults to its directory.
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("clean" "${v}" "8.9.0+${sha}")

# Untracked files do not make the tree dirty (as with the original's git diff).
file(WRITE "${repo}/untracked.txt" "x")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION" SOURCE_DIR "${repo}")
expect("untracked file" "${v}" "8.9.0+${sha}")

# A file touched but not changed is not a change.
file(TOUCH "${repo}/main.c")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("touched, unchanged" "${v}" "8.9.0+${sha}")

# Unstaged change: dirty.
file(WRITE "${repo}/main.c" "int main(void) { return 1; }\n")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("dirty (unstaged)" "${v}" "8.9.0+${sha}.localchanges")

# Staged change: dirty too.
git(add main.c)
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("dirty (staged)" "${v}" "8.9.0+${sha}.localchanges")

# CI building a branch: base+sha, no local-changes check.
set(ENV{GITHUB_REF} "refs/heads/main")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("CI branch build" "${v}" "8.9.0+${sha}")

# A tag build: the plain base, dirty or not.
set(ENV{GITHUB_REF} "refs/tags/8.9.0")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("tag build" "${v}" "8.9.0")
unset(ENV{GITHUB_REF})

# Committed: clean again, with the new sha; the version file is trimmed.
file(WRITE "${repo}/CURRENT_VERSION" "  8.10.1 \r\n")
git(commit -q -am second)
git(rev-parse HEAD)
set(sha2 "${git_out}")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("clean after commit" "${v}" "8.10.1+${sha2}")

# Overridden: verbatim, whatever git says.
set(ENV{ONEFUZZ_SET_VERSION} "1.2.3+abcdef0")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("ONEFUZZ_SET_VERSION" "${v}" "1.2.3+abcdef0")
set(ENV{ONEFUZZ_SET_VERSION} "")
onefuzz_version(v VERSION_FILE "${repo}/CURRENT_VERSION")
expect("empty ONEFUZZ_SET_VERSION counts as unset" "${v}" "8.10.1+${sha2}")
unset(ENV{ONEFUZZ_SET_VERSION})

# Not a git work tree: the base, with a warning.
file(MAKE_DIRECTORY "${WORK_DIR}/plain")
file(WRITE "${WORK_DIR}/plain/CURRENT_VERSION" "2.0.0")
onefuzz_version(v VERSION_FILE "${WORK_DIR}/plain/CURRENT_VERSION")
expect("outside git" "${v}" "2.0.0")

# The build-time header script writes the same version, and only when it changed.
execute_process(
  COMMAND "${CMAKE_COMMAND}" "-DVERSION_FILE=${repo}/CURRENT_VERSION" "-DSOURCE_DIR=${repo}"
          "-DOUTPUT=${WORK_DIR}/version.h" "-DMACRO=MY_VERSION"
          -P "${REPO_ROOT}/cmake/onefuzz_version_header.cmake"
  RESULT_VARIABLE rc)
file(READ "${WORK_DIR}/version.h" header)
if(NOT rc EQUAL 0 OR NOT header MATCHES "#define MY_VERSION \"8\\.10\\.1\\+${sha2}\"")
  message(SEND_ERROR "FAIL header: ${header}")
else()
  message(STATUS "ok   header: ${header}")
endif()
find_program(TOUCH touch REQUIRED)
execute_process(COMMAND "${TOUCH}" -d "2000-01-01 00:00:00" "${WORK_DIR}/version.h")
execute_process(
  COMMAND "${CMAKE_COMMAND}" "-DVERSION_FILE=${repo}/CURRENT_VERSION" "-DSOURCE_DIR=${repo}"
          "-DOUTPUT=${WORK_DIR}/version.h" "-DMACRO=MY_VERSION"
          -P "${REPO_ROOT}/cmake/onefuzz_version_header.cmake")
file(TIMESTAMP "${WORK_DIR}/version.h" after "%Y")
if(NOT after STREQUAL "2000")
  message(SEND_ERROR "FAIL header: rewritten although the version did not change")
else()
  message(STATUS "ok   header: left alone when unchanged")
endif()

# Errors name what is wrong.
expect_fatal("free text in ONEFUZZ_SET_VERSION" "ONEFUZZ_SET_VERSION gives 'alice-laptop build'"
  "set(ENV{ONEFUZZ_SET_VERSION} \"alice-laptop build\")\nonefuzz_version(v VERSION_FILE \"${repo}/CURRENT_VERSION\")")
expect_fatal("upper-case sha" "not a OneFuzz version"
  "set(ENV{ONEFUZZ_SET_VERSION} \"1.2.3+ABCDEF0\")\nonefuzz_version(v VERSION_FILE \"${repo}/CURRENT_VERSION\")")
file(WRITE "${WORK_DIR}/BAD_VERSION" "version eight\n")
expect_fatal("bad version file" "VERSION_FILE '.*BAD_VERSION' holds 'version eight'"
  "onefuzz_version(v VERSION_FILE \"${WORK_DIR}/BAD_VERSION\")")
expect_fatal("missing version file" "VERSION_FILE '.*NOPE' does not exist"
  "onefuzz_version(v VERSION_FILE \"${WORK_DIR}/NOPE\")")
expect_fatal("missing argument" "VERSION_FILE <file> is required" "onefuzz_version(v)")
