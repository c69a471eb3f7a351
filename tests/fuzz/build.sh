#!/usr/bin/env bash
# Builds the libFuzzer target for the .npy reader with clang (the g++ build never needs clang).
# usage: tests/fuzz/build.sh [OUT_DIR]   (default: build/fuzz); prints the binary's path.
# Needs clang and libclang-rt-14-dev (scripts/install-deps.sh installs them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/build/fuzz}"
cxx="${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [[ -z "$cxx" ]]; then
  echo "fuzz/build.sh: clang++ not found (install clang libclang-rt-14-dev)" >&2
  exit 1
fi
mkdir -p "$out"
# The sources of the smb_npy library (CMakeLists.txt): keep the two lists the same.
"$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I "$root/src" -I "$root/src/npy/include" \
  "$root/tests/fuzz/npy_fuzz.cpp" "$root/src/npy/npy.cpp" "$root/src/detail/atomic_file.cpp" \
  -o "$out/npy_fuzz"
echo "$out/npy_fuzz"
