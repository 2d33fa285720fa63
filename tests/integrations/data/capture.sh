#!/usr/bin/env bash
# Regenerates the captured fuzzer output in this folder from real runs: libFuzzer (clang++
# -fsanitize=fuzzer) on examples/agent/fuzz_target.cpp and AFL++ (Debian's afl++) on
# examples/afl/afl_target.c. The files are committed so the tests do not depend on either
# tool; run this by hand after changing a target or a tool version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# libFuzzer: worker 0 runs until its crash, then restarts on the corpus it built (as the
# OneFuzz agent restarts a worker); worker 1 runs alone for 2 s. Stderr only, as the agent
# reads it. The stack trace's absolute paths are the temporary directory's.
clang++ -g -O1 -fsanitize=fuzzer "$repo/examples/agent/fuzz_target.cpp" -o fuzz_target
mkdir -p inputs crashes other
./fuzz_target -seed=12 -max_total_time=20 -artifact_prefix=crashes/ inputs 2> "$here/libfuzzer_worker0_run1.txt" || true
./fuzz_target -seed=13 -max_total_time=20 -artifact_prefix=crashes/ inputs 2> "$here/libfuzzer_worker0_run2.txt" || true
./fuzz_target -seed=14 -max_total_time=2 -artifact_prefix=crashes/ other 2> "$here/libfuzzer_worker1_run1.txt" || true

# AFL++: fuzzer_stats as first written (after calibration) and as written at exit.
if command -v afl-cc >/dev/null && command -v afl-fuzz >/dev/null; then
  afl-cc -O1 -o afl_target "$repo/examples/afl/afl_target.c"
  mkdir -p seeds && printf 'seed' > seeds/seed
  export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
  afl-fuzz -V 5 -i seeds -o findings -- ./afl_target > afl.log 2>&1 &
  afl=$!
  for _ in $(seq 50); do [[ -s findings/default/fuzzer_stats ]] && break; sleep 0.1; done
  cp findings/default/fuzzer_stats "$here/aflplusplus_fuzzer_stats_start"
  wait "$afl"
  cp findings/default/fuzzer_stats "$here/aflplusplus_fuzzer_stats_final"
else
  echo "capture: afl-cc/afl-fuzz not found (apt-get install afl++); AFL++ samples not refreshed" >&2
fi
ls -l "$here"
