#!/usr/bin/env bash
# Compile-time benchmark: compiles a fixed set of translation units (benchmarks/compile_time/)
# and two peers, Boost.JSON's and Boost.Hana's umbrella headers (and nlohmann/json's when it is
# installed), in one run, and prints for each: user+sys CPU seconds (the median of N runs), the
# same over the empty TU, the peak RSS of the compiler, and the ratio of its cost over the
# empty TU to each peer's. Each TU is compiled with -c to an object file (code generation
# included, no link), with ccache disabled, the TUs taken in turn within each run so that a
# busy moment of the machine spreads over all of them rather than landing on one.
#
#   bash benchmarks/compile_time.sh                      # g++ -std=c++20 -O0, median of 3
#   bash benchmarks/compile_time.sh --compiler clang++ --opt -O2 --runs 5
#   bash benchmarks/compile_time.sh --check              # exit 1 when a target is missed
#   cmake --build <build dir> --target compile_time_benchmark   # the build's compiler, -O0
#
# "spread" is (slowest - fastest) / median of a TU's runs: large, the machine was busy.
# Targets (checked on the median, CPU over the empty TU; RSS as measured): umbrella + catalog
# <= 1.5 s; the README example <= 3 s and <= 250 MB, header-only and (once the mode exists)
# with ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION, where src.hpp's TUs are compiled once and
# listed apart. Without include/onefuzz/telemetry/transport/src.hpp the run says
# "separate compilation: not available".
# Needs GNU time (/usr/bin/time, Debian package `time`): bash's `time` has no peak RSS.
# CPU time depends far less on other load than wall time does, but not nothing (caches,
# clock frequency): the header line prints the load average so a busy machine shows.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
tus="$here/compile_time"

runs=3
cxx=g++
opt=-O0
check=0
usage() {
  echo "usage: $0 [--runs N] [--compiler g++|clang++|PATH] [--opt -O0|-O1|-O2|-O3|-Os|-Og] [--check]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:-}"; shift 2 || usage ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --compiler) cxx="${2:-}"; shift 2 || usage ;;
    --compiler=*) cxx="${1#*=}"; shift ;;
    --opt) opt="${2:-}"; shift 2 || usage ;;
    --opt=*) opt="${1#*=}"; shift ;;
    --check) check=1; shift ;;
    -h|--help) usage ;;
    *) echo "compile_time: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "compile_time: --runs takes a positive integer" >&2; exit 2; }
[[ "$opt" =~ ^-O[0123sg]$ ]] || { echo "compile_time: --opt takes -O0, -O1, -O2, -O3, -Os or -Og" >&2; exit 2; }
command -v "$cxx" >/dev/null || { echo "compile_time: compiler '$cxx' not found" >&2; exit 2; }

gnu_time=/usr/bin/time
if [[ ! -x "$gnu_time" ]] || ! "$gnu_time" --version 2>&1 | grep -q GNU; then
  echo "compile_time: GNU time ($gnu_time) is missing; on Debian: apt-get install time" >&2
  exit 2
fi

# The figures are the compiler's, not a cache's (the project's builds may go through ccache,
# and a ccache symlink may come first in PATH).
export CCACHE_DISABLE=1
export LC_ALL=C

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

flags=(-std=c++20 "$opt" -I"$root/include" -I"$root/testing/include")
separate=(-DONEFUZZ_TELEMETRY_SEPARATE_COMPILATION)

# The rows, in the order printed: name, source, extra flags (one word or empty), role.
# Role: base (the empty TU), tu, peer.
names=() sources=() extras=() roles=()
row() { names+=("$1"); sources+=("$2"); extras+=("${3:-}"); roles+=("$4"); }

row "empty TU (int main(){})" "$tus/empty.cpp" "" base
row "umbrella <onefuzz/telemetry.hpp>" "$tus/umbrella.cpp" "" tu
row "umbrella + catalog.hpp" "$tus/umbrella_catalog.cpp" "" tu
row "transport/sender.hpp alone" "$tus/sender.cpp" "" tu
row "README example" "$tus/readme_example.cpp" "" tu
# The separate-compilation mode exists once its source header does; the headers then hold
# declarations only, and src.hpp (and any other layer's src.hpp) is compiled once, in its
# own TU, also measured here.
separate_available=0
if [[ -f "$root/include/onefuzz/telemetry/transport/src.hpp" ]]; then
  separate_available=1
  row "README example, separate compilation" "$tus/readme_example.cpp" "${separate[0]}" tu
fi
row "ingestion server (testing)" "$tus/ingestion_server.cpp" "" tu
if [[ $separate_available -eq 1 ]]; then
  row "ingestion server, separate compilation" "$tus/ingestion_server.cpp" "${separate[0]}" tu
  while IFS= read -r src; do
    relative="${src#"$root/"}"
    relative="${relative#include/}"
    relative="${relative#testing/include/}"
    tu="$work/src_$(echo "$relative" | tr '/.' '__').cpp"
    printf '#include <%s>\n' "$relative" > "$tu"
    row "${relative#onefuzz/telemetry/}, compiled once" "$tu" "${separate[0]}" tu
  done < <(find "$root/include/onefuzz/telemetry" "$root/testing/include/onefuzz/telemetry" \
             -name src.hpp 2>/dev/null | sort)
fi
row "peer: <boost/json.hpp>" "$tus/boost_json.cpp" "" peer
row "peer: <boost/hana.hpp>" "$tus/boost_hana.cpp" "" peer
nlohmann=0
if echo '#include <nlohmann/json.hpp>' | "$cxx" -std=c++20 -E -x c++ - -o /dev/null 2>/dev/null; then
  nlohmann=1
  row "peer: <nlohmann/json.hpp>" "$tus/nlohmann_json.cpp" "" peer
fi

count=${#names[@]}
declare -a cpu_runs rss_runs   # per row: space-separated figures, one per run

compile() {  # $1: row index; appends one run's CPU seconds and peak RSS (kB)
  local i=$1 args=("${flags[@]}")
  [[ -n "${extras[$i]}" ]] && args+=("${extras[$i]}")
  if ! "$gnu_time" -o "$work/time" -f '%U %S %M' \
         "$cxx" "${args[@]}" -c "${sources[$i]}" -o "$work/out.o" 2> "$work/errors"; then
    echo "compile_time: '${names[$i]}' does not compile:" >&2
    echo "  $cxx ${args[*]} -c ${sources[$i]}" >&2
    cat "$work/errors" >&2
    exit 1
  fi
  local user sys rss
  read -r user sys rss < <(tail -n 1 "$work/time")
  cpu_runs[i]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') "
  rss_runs[i]+="$rss "
}

spread() {  # (max - min) / median of the numbers in $1, in percent: how noisy the runs were
  # (not for a median under 0.05 s, where the 0.01 s resolution of GNU time is the spread)
  tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          if (NR < 2 || m < 0.05) print "-"; else printf "%.0f%%", 100 * (v[NR] - v[1]) / m }'
}

median() {  # the median of the numbers in $1
  tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

version="$("$cxx" -dumpfullversion 2>/dev/null || "$cxx" -dumpversion)"
read -r load1 _ < /proc/loadavg
echo "compile time: $(basename "$cxx") $version, -std=c++20 $opt -c, median of $runs run(s), user+sys CPU"
busy="$(awk -v l="$load1" -v n="$(nproc)" 'BEGIN { if (l >= n) print ": other work was running" }')"
echo "machine: $(nproc) CPU(s), load average $load1 at the start$busy"
for ((r = 1; r <= runs; r++)); do
  [[ -t 2 ]] && printf '  run %d/%d ...\r' "$r" "$runs" >&2
  for ((i = 0; i < count; i++)); do compile "$i"; done
done
[[ -t 2 ]] && printf '%20s\r' '' >&2

declare -a cpu rss net
for ((i = 0; i < count; i++)); do
  cpu[i]="$(median "${cpu_runs[$i]}")"
  rss[i]="$(median "${rss_runs[$i]}")"
done
base_cpu="${cpu[0]}"
peer_rows=()
for ((i = 0; i < count; i++)); do
  net[i]="$(awk -v c="${cpu[$i]}" -v b="$base_cpu" 'BEGIN { d = c - b; printf "%.3f", d < 0 ? 0 : d }')"
  if [[ "${roles[$i]}" == peer ]]; then peer_rows+=("$i"); fi
done

# A peer's column header: the header's short name.
peer_label() { local n="${names[$1]#peer: <}"; n="${n%>}"; echo "/ ${n%.hpp}"; }

# The target column; misses are counted here, outside the table's command substitutions.
declare -a target
missed=0
for ((i = 0; i < count; i++)); do
  target[i]=""
  case "${sources[$i]##*/}:${extras[$i]}" in
    umbrella_catalog.cpp:)
      verdict="$(awk -v n="${net[$i]}" 'BEGIN { print (n <= 1.5) ? "ok" : "MISSED" }')"
      target[i]="<= 1.5 s: $verdict" ;;
    readme_example.cpp:*)
      verdict="$(awk -v n="${net[$i]}" -v m="${rss[$i]}" \
        'BEGIN { print (n <= 3 && m / 1024 <= 250) ? "ok" : "MISSED" }')"
      target[i]="<= 3 s, 250 MB: $verdict" ;;
    *) continue ;;
  esac
  [[ "$verdict" == ok ]] || missed=$((missed + 1))
done

header=("TU" "CPU s" "spread" "over empty" "peak MB")
for p in "${peer_rows[@]}"; do header+=("$(peer_label "$p")"); done
header+=("target")
line() {  # one table line from its cells
  printf '%-40s %7s %7s %11s %8s' "$1" "$2" "$3" "$4" "$5"
  shift 5
  while [[ $# -gt 1 ]]; do printf ' %12s' "$1"; shift; done
  if [[ -n "$1" ]]; then printf '   %s\n' "$1"; else printf '\n'; fi
}
echo
line "${header[@]}"
for ((i = 0; i < count; i++)); do
  cells=("${names[$i]}" "$(printf '%.2f' "${cpu[$i]}")" "$(spread "${cpu_runs[$i]}")")
  if [[ $i -eq 0 ]]; then cells+=("-"); else cells+=("$(printf '%.2f' "${net[$i]}")"); fi
  cells+=("$(awk -v k="${rss[$i]}" 'BEGIN { printf "%.0f", k / 1024 }')")
  for p in "${peer_rows[@]}"; do
    if [[ $i -eq 0 || $i -eq $p ]]; then cells+=("-"); else
      cells+=("$(awk -v n="${net[$i]}" -v d="${net[$p]}" \
        'BEGIN { if (d < 0.005) print "-"; else printf "%.2fx", n / d }')")
    fi
  done
  cells+=("${target[$i]}")
  line "${cells[@]}"
done
if [[ $separate_available -eq 0 ]]; then
  echo "separate compilation: not available (include/onefuzz/telemetry/transport/src.hpp does not exist)"
fi
[[ $nlohmann -eq 1 ]] || echo "peer <nlohmann/json.hpp>: not installed, not measured"

# The line a README can quote.
find_row() { local i; for ((i = 0; i < count; i++)); do
  [[ "${sources[$i]##*/}:${extras[$i]}" == "$1" ]] && { echo "$i"; return; }; done; echo -1; }
s() { printf '%.2f s' "${net[$1]}"; }
mb() { awk -v k="${rss[$1]}" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
u=$(find_row umbrella.cpp:) c=$(find_row umbrella_catalog.cpp:) r=$(find_row readme_example.cpp:)
rs=$(find_row "readme_example.cpp:${separate[0]}")
j=$(find_row boost_json.cpp:) h=$(find_row boost_hana.cpp:)
quote="Compile time, $(basename "$cxx") $version -std=c++20 $opt, CPU over an empty TU (median of $runs):"
quote+=" umbrella $(s "$u"), umbrella + catalog $(s "$c") (target 1.5 s),"
quote+=" README example $(s "$r") and $(mb "$r") peak (target 3 s, 250 MB)"
if [[ $rs -ge 0 ]]; then
  quote+=", $(s "$rs") and $(mb "$rs") with separate compilation"
else
  quote+=" (separate compilation: not available)"
fi
quote+="; <boost/json.hpp> $(s "$j"), <boost/hana.hpp> $(s "$h")."
echo
echo "$quote"

if [[ $check -eq 1 && $missed -gt 0 ]]; then
  echo "compile_time: $missed target(s) missed" >&2
  exit 1
fi
