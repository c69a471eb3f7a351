#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, then configures, builds and runs the consumer
# against it. Usage: run.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
build="$1"; scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log"
cmake --build "$scratch/build" > "$scratch/build.log"
"$scratch/build/consumer"
echo "consumer: 1 passed, 0 failed"
