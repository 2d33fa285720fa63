# Fails when benchmarks/compile_time/readme_example.cpp differs from the README's main.cpp
# (the first ```cpp block of "Using the library", the block install.readme builds), so the
# compile-time figure for "the README example" is always the example's:
#   cmake -DSOURCE_DIR=<repository> -P benchmarks/compile_time/check_readme_example.cmake
# With -DUPDATE=ON it writes the README's block to the file instead.
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_readme_example: pass -DSOURCE_DIR=<the repository>")
endif()
set(readme_path "${SOURCE_DIR}/README.md")
set(example_path "${SOURCE_DIR}/benchmarks/compile_time/readme_example.cpp")

file(READ "${readme_path}" readme)
string(REPLACE "\r\n" "\n" readme "${readme}")
string(FIND "${readme}" "\n## Using the library\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "check_readme_example: README.md has no section 'Using the library'")
endif()
math(EXPR start "${start} + 1")
string(SUBSTRING "${readme}" ${start} -1 section)
string(FIND "${section}" "\n## " end)
string(SUBSTRING "${section}" 0 ${end} section)
set(fence "```cpp\n")
string(FIND "${section}" "${fence}" from)
if(from EQUAL -1)
  message(FATAL_ERROR "check_readme_example: no ```cpp block in the README's 'Using the library'")
endif()
string(LENGTH "${fence}" fence_length)
math(EXPR from "${from} + ${fence_length}")
string(SUBSTRING "${section}" ${from} -1 rest)
string(FIND "${rest}" "\n```" to)
if(to EQUAL -1)
  message(FATAL_ERROR "check_readme_example: the README's ```cpp block is not closed")
endif()
math(EXPR to "${to} + 1")
string(SUBSTRING "${rest}" 0 ${to} block)

if(UPDATE)
  file(WRITE "${example_path}" "${block}")
  message(STATUS "check_readme_example: wrote ${example_path} from the README")
  return()
endif()

file(READ "${example_path}" example)
string(REPLACE "\r\n" "\n" example "${example}")
if(example STREQUAL block)
  message(STATUS "check_readme_example: readme_example.cpp is the README's main.cpp")
  return()
endif()

# The first line that differs, found by walking both texts a line at a time (CMake lists
# would split the code's semicolons too).
set(line 1)
while(TRUE)
  string(FIND "${example}" "\n" example_end)
  string(FIND "${block}" "\n" block_end)
  if(example_end EQUAL -1 OR block_end EQUAL -1)
    string(SUBSTRING "${example}" 0 ${example_end} example_line)
    string(SUBSTRING "${block}" 0 ${block_end} block_line)
    break()
  endif()
  string(SUBSTRING "${example}" 0 ${example_end} example_line)
  string(SUBSTRING "${block}" 0 ${block_end} block_line)
  if(NOT example_line STREQUAL block_line)
    break()
  endif()
  math(EXPR example_end "${example_end} + 1")
  math(EXPR block_end "${block_end} + 1")
  string(SUBSTRING "${example}" ${example_end} -1 example)
  string(SUBSTRING "${block}" ${block_end} -1 block)
  math(EXPR line "${line} + 1")
endwhile()
if(example_line STREQUAL block_line)
  string(APPEND example_line "   (only the line ending differs: one text lacks its final newline)")
endif()
foreach(text IN ITEMS example block)
  if("${${text}}" STREQUAL "")
    set(${text}_line "(the end)")
  endif()
endforeach()
message(FATAL_ERROR
  "check_readme_example: benchmarks/compile_time/readme_example.cpp differs from the README's "
  "main.cpp (first ```cpp block of 'Using the library'), first at line ${line}:\n"
  "  README:             ${block_line}\n"
  "  readme_example.cpp: ${example_line}\n"
  "Copy the README's block into the file, or run: cmake -DSOURCE_DIR=. -DUPDATE=ON "
  "-P benchmarks/compile_time/check_readme_example.cmake")
