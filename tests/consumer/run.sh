#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, then configures, builds and runs the consumer
# against it. Usage: run.sh BUILD_DIR SCRATCH_DIR [CXX_FLAGS [LINKER_FLAGS]]
set -euo pipefail
build="$1"; scratch="$2"; cxx_flags="${3:-}"; ld_flags="${4:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$ld_flags" > "$scratch/configure.log"
cmake --build "$scratch/build" > "$scratch/build.log"
"$scratch/build/consumer"
echo "consumer: 1 passed, 0 failed"
