#!/usr/bin/env bash
# The README's second command (and CI): installs what is missing, then builds and runs
# every test: with g++ (warnings as errors, every header compiled on its own), again under
# ASan+UBSan, the threaded transport tests under TSan with clang++ (which also builds the
# whole project with clang++), and the privacy mutation check.
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

step "g++ Debug: configure and build (with the header self-containment check)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs" --target all all_verify_interface_header_sets
step "g++ Debug: tests"
ctest --preset dev -j "$jobs" --label-exclude "mutation|${long_labels}"

step "g++ ASan+UBSan: configure and build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
step "g++ ASan+UBSan: tests (compile-fail rules and fuzz runs are compiler checks, done above)"
ctest --preset asan -j "$jobs" --label-exclude "mutation|compile-fail|${long_labels}"

# core is left out of the TSan build: its allocation test replaces operator new, which
# the TSan runtime also defines.
step "clang++ TSan: configure and build"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
step "clang++ TSan: threaded tests, and the compile-time rules under clang++"
# process_stats reads a forked child's resident memory from /proc; under TSan the child's
# pages are not all resident, and the test has no threads to check anyway.
ctest --preset tsan -j "$jobs" -L "transport|testing|integrations|examples|compile-fail" --label-exclude "load|${long_labels}" \
  -E '^integrations\.process_stats$'


step "privacy mutation check (flips every field's sharing; the build must fail each time)"
ctest --preset dev -L mutation

step "all passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
