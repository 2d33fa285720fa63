#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs; quick and quiet when all are present.
#   tools/setup.sh          what the library and the demo need (the demo fuzzes a real
#                           libFuzzer target, hence clang and its runtime)
#   tools/setup.sh --full   also AFL++ (the AFL++ example runs it for real), ccache, and
#                           mingw-w64 with wine64 for the Windows step
set -euo pipefail

# libssl-dev: the HTTPS ingestion server and the certificates of the TLS tests.
# time: GNU time, which the compile-time benchmark reads CPU and peak memory from (Debian
# marks it optional, so minimal installs lack it).
packages=(g++ cmake ninja-build git libboost1.81-dev libboost-json1.81-dev
          libcurl4-openssl-dev libssl-dev zlib1g-dev catch2 libbenchmark-dev
          clang libclang-rt-14-dev time)
if [[ "${1:-}" == "--full" ]]; then
  # ccache: the test command's builds reuse what an earlier run compiled.
  # mingw-w64 and wine64: the Windows step cross-compiles the core tests and runs them
  # under wine (docs/windows.md).
  packages+=(afl++ ccache g++-mingw-w64-x86-64-posix wine64)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: these packages are missing: ${missing[*]}" >&2
  echo "setup: run this script as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
