# Runs one libFuzzer binary for a bounded time over a working copy of its seed corpus, so
# nothing is ever written into the source tree. Fails when the fuzzer finds a crash, a
# leak, a timeout or a broken property, and says where the reproducer is.
#   -DFUZZER=<binary> -DSEEDS=<corpus dir> -DWORK_DIR=<dir> -DSECONDS=<n>
#   [-DDICTIONARY=<file>] [-DFRESH=ON: start from the seeds only]
foreach(var FUZZER SEEDS WORK_DIR SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()

set(corpus "${WORK_DIR}/corpus")
set(artifacts "${WORK_DIR}/artifacts")
if(FRESH)
  file(REMOVE_RECURSE "${corpus}")
endif()
file(REMOVE_RECURSE "${artifacts}")
file(MAKE_DIRECTORY "${corpus}" "${artifacts}")
file(GLOB seeds "${SEEDS}/*")
file(COPY ${seeds} DESTINATION "${corpus}")

set(args
  -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
  "-artifact_prefix=${artifacts}/")
if(DICTIONARY)
  list(APPEND args "-dict=${DICTIONARY}")
endif()
execute_process(COMMAND "${FUZZER}" ${args} "${corpus}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB found "${artifacts}/*")
  string(REPLACE ";" "\n  " found "${found}")
  message(FATAL_ERROR "${FUZZER} failed (${result}); reproducer:\n  ${found}\n"
                      "Run it again with: ${FUZZER} <reproducer>")
endif()
