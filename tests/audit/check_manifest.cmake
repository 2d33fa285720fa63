# audit.manifest_up_to_date: runs onefuzz-manifest into the build directory and fails when
# the committed docs/privacy-manifest.json or docs/telemetry.md differ from its output.
#   cmake -DTOOL=<onefuzz-manifest> -DSOURCE_DIR=<repo> -DBUILD_DIR=<build> -DOUT_DIR=<dir>
#         -P check_manifest.cmake
file(MAKE_DIRECTORY "${OUT_DIR}")
execute_process(
  COMMAND "${TOOL}" --json "${OUT_DIR}/privacy-manifest.json" --markdown "${OUT_DIR}/telemetry.md"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "onefuzz-manifest failed (exit ${result}); see its message above")
endif()

set(stale "")
foreach(name privacy-manifest.json telemetry.md)
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E compare_files "${SOURCE_DIR}/docs/${name}" "${OUT_DIR}/${name}"
    RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    list(APPEND stale "${name}")
    find_program(diff_program diff)
    if(diff_program)
      execute_process(COMMAND "${diff_program}" -u "${SOURCE_DIR}/docs/${name}" "${OUT_DIR}/${name}"
                      OUTPUT_VARIABLE diff_text ERROR_VARIABLE diff_text)
      string(SUBSTRING "${diff_text}" 0 6000 diff_text)
      message("--- docs/${name} (committed) versus what the code generates (first lines):\n${diff_text}")
    endif()
  endif()
endforeach()

if(stale)
  list(JOIN stale ", docs/" stale_text)
  message(FATAL_ERROR
    "docs/${stale_text} out of date: the event types (or their descriptions) changed, so the "
    "privacy documents must be regenerated, and the change reviewed with the diff.\n"
    "Regenerate with:\n"
    "  cmake --build ${BUILD_DIR} --target update_privacy_manifest\n"
    "or: ${TOOL} --json ${SOURCE_DIR}/docs/privacy-manifest.json --markdown ${SOURCE_DIR}/docs/telemetry.md\n"
    "Full diff: diff -u ${SOURCE_DIR}/docs/<file> ${OUT_DIR}/<file>")
endif()
message(STATUS "docs/privacy-manifest.json and docs/telemetry.md match the code")
