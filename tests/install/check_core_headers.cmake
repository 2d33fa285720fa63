# install.core_headers: cmake -DCXX=... -DINCLUDE_DIR=... -DHEADERS=<a|b|...> -DWORK_DIR=... -P
cmake_minimum_required(VERSION 3.25)
# Preprocesses one file that includes every core header and lists what it reaches
# (-M); fails if any of that is another component's header or dependency, naming the
# core headers that reach it.
set(forbidden
  "onefuzz/telemetry/(transport|integrations|testing)/"
  "/curl/" "/zlib\\.h" "/boost/json" "/boost/asio" "/boost/beast" "/openssl/")
list(JOIN forbidden "|" forbidden_regex)

string(REPLACE "|" ";" headers "${HEADERS}")
list(LENGTH headers count)
if(count LESS 20)
  message(FATAL_ERROR "install.core_headers: only ${count} core headers given: ${headers}")
endif()

function(dependencies_of out)
  set(source "${WORK_DIR}/probe.cpp")
  set(content "")
  foreach(header IN LISTS ARGN)
    string(APPEND content "#include \"${header}\"\n")
  endforeach()
  file(WRITE "${source}" "${content}")
  execute_process(
    COMMAND "${CXX}" -std=c++20 -M "-I${INCLUDE_DIR}" "${source}"
    RESULT_VARIABLE result OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "install.core_headers: preprocessing failed:\n${errors}")
  endif()
  set(${out} "${deps}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${WORK_DIR}")
dependencies_of(all ${headers})
string(REGEX MATCHALL "[^ \\\n]*(${forbidden_regex})[^ \\\n]*" reached "${all}")
if(NOT reached)
  message(STATUS "install.core_headers: ${count} core headers reach no component's header or dependency")
  return()
endif()
list(REMOVE_DUPLICATES reached)
list(SUBLIST reached 0 10 reached)  # the first few say enough
set(culprits "")
foreach(header IN LISTS headers)
  dependencies_of(deps "${header}")
  if(deps MATCHES "${forbidden_regex}")
    list(APPEND culprits "${header}")
  endif()
endforeach()
list(JOIN reached "\n  " reached)
list(JOIN culprits "\n  " culprits)
message(FATAL_ERROR "install.core_headers: the core reaches\n  ${reached}\nthrough\n  ${culprits}")
