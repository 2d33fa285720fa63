#!/usr/bin/env bash
# Compile check of the transport and the integrations for Windows x86-64
# (docs/windows-transport.md): Debian's mingw-w64 (g++ 12, posix threads, C++20) against
# Debian's libcurl, zlib and Boost headers. Nothing is linked or run: Debian has no libcurl
# built for Windows.
#
#   bash tools/windows_transport_check.sh [--build-dir DIR] [--jobs N]
#
# tools/windows_transport_check.cpp, preceded by every public header under
# include/onefuzz/telemetry/transport/ and integrations/ (found here, so a new header is
# checked without a list to update), instantiates a sender, emits a catalog event and
# resolves the machine id with IMDS: compiled to an object file, header-only and with
# ONEFUZZ_TELEMETRY_SEPARATE_COMPILATION, side by side. That each header compiles alone is
# checked on Linux (the header sets of the CMake build); here, what matters is that none
# needs a POSIX header, which one translation unit holding them all shows.
# Warnings are errors (-Wall -Wextra -Wshadow -Wnon-virtual-dtor, as cmake/onefuzz_warnings.cmake).
# Needs the Debian packages g++-mingw-w64-x86-64-posix, libcurl4-openssl-dev, zlib1g-dev and
# libboost-dev. The default build folder is build/windows-transport-check; --jobs defaults to nproc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/windows-transport-check"
jobs=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "windows_transport_check.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

start=$SECONDS
step() { echo "--- windows transport [$((SECONDS - start))s] $*"; }

cxx=x86_64-w64-mingw32-g++-posix
if ! command -v "$cxx" >/dev/null; then
  echo "windows_transport_check.sh: $cxx is missing (apt-get install -y g++-mingw-w64-x86-64-posix)" >&2
  exit 1
fi

# The headers the cross-compiler may see: links to libcurl's, zlib's and Boost's folders and
# files only, never /usr/include itself (glibc's headers there would break a Windows build).
# libcurl's public headers are the same for every platform (curl/system.h picks the types
# by __MINGW32__); Debian keeps them in the multiarch folder.
rm -rf "$build"
stage="$build/include"
mkdir -p "$stage"
link() {  # link <name in stage> <Debian package> <candidates...>
  local name=$1 package=$2
  shift 2
  for candidate in "$@"; do
    if [[ -e "$candidate" ]]; then ln -s "$candidate" "$stage/$name"; return; fi
  done
  echo "windows_transport_check.sh: $name not found in $* (apt-get install -y $package)" >&2
  exit 1
}
link curl libcurl4-openssl-dev /usr/include/x86_64-linux-gnu/curl /usr/include/curl
link zlib.h zlib1g-dev /usr/include/zlib.h
link zconf.h zlib1g-dev /usr/include/zconf.h /usr/include/x86_64-linux-gnu/zconf.h
link boost libboost-dev /usr/include/boost

flags=(-std=c++20 -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Werror
       -I "$root/include" -isystem "$stage")
export CCACHE_BASEDIR="$root"
compiler=("$cxx")
command -v ccache >/dev/null && compiler=(ccache "$cxx")

# Every public header of the two folders, in one file the program is compiled after.
headers=$(cd "$root/include" &&
          find onefuzz/telemetry/transport onefuzz/telemetry/integrations -maxdepth 1 -name '*.hpp' | sort)
count=$(wc -l <<<"$headers")
sed 's/.*/#include <&>/' <<<"$headers" >"$build/all_headers.hpp"

# -Wa,-mbig-obj as the Windows build (cmake/toolchains/mingw-w64-x86_64.cmake): COFF's
# section limit. To object files rather than -fsyntax-only, so that ccache keeps them.
step "$count headers and tools/windows_transport_check.cpp: header-only and separately compiled"
compile() {  # compile <variant> [flags...]: a failure appends its log's path to $build/failed
  local variant=$1
  shift
  "${compiler[@]}" "${flags[@]}" "$@" -Wa,-mbig-obj -include "$build/all_headers.hpp" -c \
    "$root/tools/windows_transport_check.cpp" -o "$build/check-$variant.o" >"$build/check-$variant.log" 2>&1 ||
    echo "$build/check-$variant.log" >>"$build/failed"
}
: >"$build/failed"
compile header-only &
[[ $jobs -le 1 ]] && wait
compile separate -DONEFUZZ_TELEMETRY_SEPARATE_COMPILATION &
wait
mapfile -t failed <"$build/failed"

status=0
for log in "${failed[@]}"; do
  status=1
  echo "FAILED: ${log#"$build"/} (first errors; the whole log is $log)" >&2
  grep -m 5 -E 'error|required from' "$log" | cut -c1-400 >&2 || head -n 5 "$log" >&2
done
if [[ $status -eq 0 ]]; then
  step "the $count headers and the program compile for Windows"
else
  step "failed" >&2
fi
exit $status
