# Runs one compile-fail check (see onefuzz_expect_compile_error): the snippet must be
# rejected, and the compiler's output must contain the expected message.
execute_process(
  COMMAND "${COMPILER}" -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

if(result EQUAL 0)
  message(FATAL_ERROR "compile-fail: ${SOURCE} compiled, but it must be rejected")
endif()
string(REPLACE "@@" ";" expected "${ERROR_REGEX}")
foreach(regex IN LISTS expected)
  if(NOT output MATCHES "${regex}")
    message(FATAL_ERROR
      "compile-fail: ${SOURCE} was rejected, but not with the expected message\n"
      "expected (regex): ${regex}\ncompiler output:\n${output}")
  endif()
  message(STATUS "rejected as expected: ${regex}")
endforeach()
