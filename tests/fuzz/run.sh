#!/usr/bin/env bash
# Builds and runs the .npy reader fuzz target for SECONDS (default 60) from the committed seed
# corpus (tests/fuzz/corpus, read only: new inputs go to a scratch corpus in OUT_DIR).
# A crash, leak, timeout or sanitizer report makes it exit non-zero; the reproducer is kept in
# OUT_DIR (replay: OUT_DIR/npy_fuzz FILE).
# usage: tests/fuzz/run.sh [SECONDS] [OUT_DIR]    (default OUT_DIR: build/fuzz)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-60}"
out="${2:-$root/build/fuzz}"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz/run.sh: SECONDS must be a positive integer" >&2; exit 2; }
bin="$(bash "$root/tests/fuzz/build.sh" "$out" | tail -n 1)"
rm -rf "$out/corpus" "$out/artifacts"
mkdir -p "$out/corpus" "$out/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
# -rss_limit_mb: the reader must not allocate far beyond its input; -timeout: per input.
"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/npy.dict" -artifact_prefix="$out/artifacts/" -print_final_stats=1 \
  "$out/corpus" "$root/tests/fuzz/corpus"
echo "fuzz/run.sh: no crash, leak or sanitizer report in ${secs} s"
