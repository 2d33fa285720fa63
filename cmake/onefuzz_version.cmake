# The OneFuzz version string, computed as the original's build.rs computes ONEFUZZ_VERSION
# (docs/integrations.md, "Version string"), for programs that put it in their telemetry
# context.
#
#   onefuzz_version(<out-var> VERSION_FILE <file> [SOURCE_DIR <dir>])
#     Sets <out-var> in the caller's scope to:
#       $ENV{ONEFUZZ_SET_VERSION}          when set and not empty, verbatim
#       <base>                             when $ENV{GITHUB_REF} starts with refs/tags/
#       <base>+<40-hex sha>                when GITHUB_REF is set otherwise (CI)
#       <base>+<sha>[.localchanges]        locally; .localchanges when tracked files differ
#                                          from HEAD (staged or not; untracked files do not
#                                          count, as with the original's `git diff`)
#     <base> is the trimmed content of VERSION_FILE (OneFuzz's CURRENT_VERSION). <dir> is the
#     git work tree (default: VERSION_FILE's directory). Outside a git work tree, or without
#     git, the result is <base> with a warning. The result always parses with
#     onefuzz::telemetry::version::parse; anything else is a fatal error naming its source.
#     In a project, a commit or a checkout re-runs the configure step; a tree that only
#     became dirty does not (use onefuzz_version_header for a value fresh at every build).
#
#   onefuzz_version_header(<target> VERSION_FILE <file> [SOURCE_DIR <dir>]
#                          OUTPUT <header> [MACRO <name>])
#     Adds <target>, which at every build writes <header> with
#     `#define <name> "<version>"` (default name ONEFUZZ_VERSION), rewriting it only when the
#     version changed so dependents do not rebuild for nothing. The environment is read at
#     build time, as build.rs reads it.
#
# Usable from a project and from `cmake -P` scripts alike.
include_guard(GLOBAL)

# The grammar of onefuzz::telemetry::version::parse (include/onefuzz/telemetry/version.hpp),
# as CMake regular expressions (which have no {m,n}). Macros, not variables: a variable set
# here would be missing in a directory that include()s this file after another one did.
macro(_onefuzz_version_regexes)
  string(REPEAT "[0-9]?" 4 _ofv_more_digits)
  set(_ofv_number "[0-9]${_ofv_more_digits}")
  set(_ofv_base "^${_ofv_number}\\.${_ofv_number}\\.${_ofv_number}")
  string(REPEAT "[0-9a-f]" 7 _ofv_sha_min)
  string(REPEAT "[0-9a-f]?" 33 _ofv_sha_more)
  set(_ofv_full "${_ofv_base}([+-]${_ofv_sha_min}${_ofv_sha_more}(\\.localchanges|-local_changes)?)?$")
endmacro()

function(_onefuzz_version_check text source)
  _onefuzz_version_regexes()
  if(NOT text MATCHES "${_ofv_full}")
    message(FATAL_ERROR
      "onefuzz_version: ${source} gives '${text}', which is not a OneFuzz version: expected "
      "MAJOR.MINOR.PATCH (1 to 5 digits each), optionally followed by +<git sha> (7 to 40 "
      "lowercase hex digits) and .localchanges")
  endif()
endfunction()

function(onefuzz_version out_var)
  cmake_parse_arguments(arg "" "VERSION_FILE;SOURCE_DIR" "" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "onefuzz_version: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_VERSION_FILE)
    message(FATAL_ERROR "onefuzz_version: VERSION_FILE <file> is required (OneFuzz's CURRENT_VERSION)")
  endif()
  get_filename_component(version_file "${arg_VERSION_FILE}" ABSOLUTE)
  if(NOT EXISTS "${version_file}")
    message(FATAL_ERROR "onefuzz_version: VERSION_FILE '${version_file}' does not exist")
  endif()
  file(READ "${version_file}" base)
  string(STRIP "${base}" base)
  _onefuzz_version_regexes()
  if(NOT base MATCHES "${_ofv_base}$")
    message(FATAL_ERROR
      "onefuzz_version: VERSION_FILE '${version_file}' holds '${base}'; expected MAJOR.MINOR.PATCH")
  endif()
  if(arg_SOURCE_DIR)
    get_filename_component(source_dir "${arg_SOURCE_DIR}" ABSOLUTE)
  else()
    get_filename_component(source_dir "${version_file}" DIRECTORY)
  endif()

  # Which file changes when HEAD moves, so that a project re-configures after a commit.
  if(NOT CMAKE_SCRIPT_MODE_FILE)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${version_file}")
  endif()

  if(DEFINED ENV{ONEFUZZ_SET_VERSION} AND NOT "$ENV{ONEFUZZ_SET_VERSION}" STREQUAL "")
    set(version "$ENV{ONEFUZZ_SET_VERSION}")
    _onefuzz_version_check("${version}" "ONEFUZZ_SET_VERSION")
    set(${out_var} "${version}" PARENT_SCOPE)
    return()
  endif()
  if(DEFINED ENV{GITHUB_REF} AND "$ENV{GITHUB_REF}" MATCHES "^refs/tags/")
    set(${out_var} "${base}" PARENT_SCOPE)
    return()
  endif()

  find_program(ONEFUZZ_GIT_EXECUTABLE NAMES git)
  if(NOT ONEFUZZ_GIT_EXECUTABLE)
    message(WARNING "onefuzz_version: git not found; the version is '${base}' without a sha")
    set(${out_var} "${base}" PARENT_SCOPE)
    return()
  endif()
  execute_process(
    COMMAND "${ONEFUZZ_GIT_EXECUTABLE}" rev-parse HEAD
    WORKING_DIRECTORY "${source_dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE sha ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT sha MATCHES "^[0-9a-f]+$")
    message(WARNING
      "onefuzz_version: '${source_dir}' is not in a git work tree with a commit; the version "
      "is '${base}' without a sha")
    set(${out_var} "${base}" PARENT_SCOPE)
    return()
  endif()
  set(version "${base}+${sha}")

  if(NOT CMAKE_SCRIPT_MODE_FILE)
    execute_process(
      COMMAND "${ONEFUZZ_GIT_EXECUTABLE}" rev-parse --absolute-git-dir
      WORKING_DIRECTORY "${source_dir}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE git_dir ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0)
      # HEAD changes on checkout; the ref it names (or packed-refs) on commit.
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${git_dir}/HEAD")
      execute_process(
        COMMAND "${ONEFUZZ_GIT_EXECUTABLE}" symbolic-ref -q HEAD
        WORKING_DIRECTORY "${source_dir}"
        RESULT_VARIABLE rc OUTPUT_VARIABLE ref ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(rc EQUAL 0 AND EXISTS "${git_dir}/${ref}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${git_dir}/${ref}")
      endif()
    endif()
  endif()

  # The original checks for local changes only outside CI (GITHUB_REF unset).
  if(NOT DEFINED ENV{GITHUB_REF})
    # Refresh the index's stat data first, so a file merely touched is not "changed".
    execute_process(
      COMMAND "${ONEFUZZ_GIT_EXECUTABLE}" update-index -q --refresh
      WORKING_DIRECTORY "${source_dir}" OUTPUT_QUIET ERROR_QUIET)
    execute_process(
      COMMAND "${ONEFUZZ_GIT_EXECUTABLE}" diff --quiet HEAD --
      WORKING_DIRECTORY "${source_dir}"
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(NOT rc EQUAL 0)
      string(APPEND version ".localchanges")
    endif()
  endif()

  _onefuzz_version_check("${version}" "git")
  set(${out_var} "${version}" PARENT_SCOPE)
endfunction()

function(onefuzz_version_header target)
  cmake_parse_arguments(arg "" "VERSION_FILE;SOURCE_DIR;OUTPUT;MACRO" "" ${ARGN})
  if(NOT arg_VERSION_FILE OR NOT arg_OUTPUT)
    message(FATAL_ERROR "onefuzz_version_header: VERSION_FILE <file> and OUTPUT <header> are required")
  endif()
  if(NOT arg_MACRO)
    set(arg_MACRO ONEFUZZ_VERSION)
  endif()
  get_filename_component(version_file "${arg_VERSION_FILE}" ABSOLUTE)
  if(arg_SOURCE_DIR)
    get_filename_component(source_dir "${arg_SOURCE_DIR}" ABSOLUTE)
  else()
    get_filename_component(source_dir "${version_file}" DIRECTORY)
  endif()
  get_filename_component(output "${arg_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  # Fail at configure time, not in the middle of a build, if the inputs are wrong.
  onefuzz_version(ignored VERSION_FILE "${version_file}" SOURCE_DIR "${source_dir}")
  add_custom_target(${target}
    COMMAND "${CMAKE_COMMAND}"
      "-DVERSION_FILE=${version_file}" "-DSOURCE_DIR=${source_dir}"
      "-DOUTPUT=${output}" "-DMACRO=${arg_MACRO}"
      -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/onefuzz_version_header.cmake"
    BYPRODUCTS "${output}"
    COMMENT "onefuzz_version: ${arg_MACRO} in ${output}"
    VERBATIM)
endfunction()
