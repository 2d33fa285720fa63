#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the demo and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target onefuzz-demo
exec build/release/examples/onefuzz-demo "$@"
