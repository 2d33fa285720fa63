#!/usr/bin/env bash
# The README's second command (and CI): installs what is missing, then builds and runs
# every test with g++ (warnings as errors), again under ASan+UBSan, and builds with clang++.
# Heavier runs are behind CTest labels and not run here: see the README ("Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --full

jobs=$(nproc)
heavy_labels='mutation|fuzz-long|soak'

run_preset() {
  local preset=$1
  shift
  echo "=== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  # all_verify_interface_header_sets: every public header compiles on its own.
  cmake --build --preset "$preset" -j "$jobs" --target all all_verify_interface_header_sets
  echo "=== $preset: test"
  ctest --preset "$preset" -j "$jobs" --label-exclude "$heavy_labels" "$@"
}

run_preset dev
run_preset asan --label-exclude "${heavy_labels}|compile-fail|benchmark"
echo "=== clang: configure and build"
cmake --preset clang >/dev/null
cmake --build --preset clang -j "$jobs"
echo "=== clang: compile-fail rules under clang++"
ctest --preset clang -j "$jobs" -L compile-fail
