#!/usr/bin/env bash
# The test command: install what is missing, configure (Release, warnings as errors), build,
# run every test with ctest. Usage: scripts/test.sh [extra ctest args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh
jobs="$(nproc 2>/dev/null || echo 2)"
cmake --preset test
cmake --build --preset test -j "$jobs"
ctest --preset test -j "$jobs" "$@"
