#!/usr/bin/env bash
# The README's second command (and CI): installs what is missing, then builds and runs
# every test: with g++ (Release, default generator, warnings as errors, every header compiled
# on its own), for Windows under wine (core, catalog, audits), again under ASan+UBSan, the
# threaded transport tests under TSan with clang++ (which also builds the whole project with
# clang++), and the privacy mutation check.
# Longer runs are behind CTest labels and not run here (see the README, "Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --full

jobs=$(nproc)
# ccache keys on absolute paths unless told the source root: with it, a clean clone in a
# new folder reuses what an earlier clone compiled.
export CCACHE_BASEDIR="$PWD"
long_labels='fuzz-long|soak'
SECONDS=0

step() { echo; echo "=== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

# The way most people build a CMake project (default generator, Unix Makefiles), in Release
# (-O3, where g++ warns most), with warnings as errors; every public header compiled alone.
# The Debug builds with assert()s are the sanitizer steps below.
step "g++ Release, default generator: configure and build (with the header self-containment check)"
cmake -S . -B build/release-make -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
  -DONEFUZZ_TELEMETRY_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build/release-make -j "$jobs" --target all all_verify_interface_header_sets
# The privacy mutation check (flips every field's sharing; each mutant must fail to build)
# runs among them: it compiles with two jobs of its own, which keep the cores busy while
# other tests wait on sockets, timers and child processes.
step "g++ Release: tests, the privacy mutation check among them"
ctest --test-dir build/release-make -j "$jobs" --output-on-failure --label-exclude "${long_labels}"

step "Windows: mingw-w64 cross build, tests under wine64, payloads compared with Linux (docs/windows.md)"
bash tools/windows_test.sh --jobs "$jobs"

step "g++ ASan+UBSan: configure and build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
step "g++ ASan+UBSan: tests (compile-fail rules and fuzz runs are compiler checks, done above)"
ctest --preset asan -j "$jobs" --label-exclude "mutation|compile-fail|${long_labels}"

# core is left out of the TSan build: its allocation test needs the counting operator new
# (tests/support/counting_new.hpp), which the TSan runtime's own operator new rules out.
step "clang++ TSan: configure and build"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
step "clang++ TSan: threaded tests, and the compile-time rules under clang++"
ctest --preset tsan -j "$jobs" -L "transport|testing|integrations|examples|compile-fail" --label-exclude "load|${long_labels}"

step "all passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
