# Cross-compiles for Windows x86-64 with Debian's mingw-w64 (posix threads), and runs what
# CTest runs under wine. docs/windows.md says what is built and run; tools/windows_test.sh
# uses it:
#   cmake -S . -B build/windows -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake ...
# Needs the Debian packages g++-mingw-w64-x86-64-posix and wine64 (wine64 only to run).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# The posix flavour: std::thread and std::mutex come from winpthreads (the win32 flavour of
# g++ 12 has no std::thread).
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# COFF objects hold at most 32767 sections; a test file that instantiates many templates
# (tests/core/sentinel_test.cpp) needs more ("file too big" from the assembler).
set(CMAKE_CXX_FLAGS_INIT "-Wa,-mbig-obj")

# Static runtime: the executables need no libgcc, libstdc++ or winpthread DLL next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Libraries and headers come from the mingw-w64 tree only: the host's /usr/include holds
# glibc's headers, which would break a Windows build. The header-only Debian packages the
# project needs (Boost, Catch2 2.x) are offered through package configs of our own
# (mingw-w64-x86_64/Boost, mingw-w64-x86_64/Catch2), which put links to just those folders
# on the include path.
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(Boost_DIR "${CMAKE_CURRENT_LIST_DIR}/mingw-w64-x86_64/Boost" CACHE PATH
    "Boost headers for the mingw-w64 build (cmake/toolchains/mingw-w64-x86_64/Boost)")
set(Catch2_DIR "${CMAKE_CURRENT_LIST_DIR}/mingw-w64-x86_64/Catch2" CACHE PATH
    "Catch2 2.x for the mingw-w64 build (cmake/toolchains/mingw-w64-x86_64/Catch2)")

# CTest runs each test executable under wine (Debian installs wine64 in /usr/lib/wine).
# The caller chooses the prefix (WINEPREFIX) and the noise (WINEDEBUG=-all).
find_program(ONEFUZZ_TELEMETRY_WINE NAMES wine64 wine PATHS /usr/lib/wine)
if(ONEFUZZ_TELEMETRY_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ONEFUZZ_TELEMETRY_WINE}")
endif()
