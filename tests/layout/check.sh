#!/usr/bin/env bash
# The layout's rules (README, "Layout"), checked on the sources and the build's targets:
#   usage: check.sh SOURCE_DIR [EXPORTED_INCLUDE_DIRS]
#   1. no intrinsic and no per-architecture branch outside the ops headers (variants/simd/ops_*.hpp);
#   2. scripts/ holds no copy of the algorithm, ISA or bound tables (they read the registry);
#   3. the public header names no split plumbing (RowSplit, SplitState: src/detail/split.hpp);
#   4. each library exports only its own include directory (and, transitively, those of the
#      libraries it links publicly): every directory of the source tree
#      in a library's usage requirements (EXPORTED_INCLUDE_DIRS, "target: dir|dir" lines and
#      a "build: DIR" line that tests/CMakeLists.txt generates) is an include/ directory holding headers only, never
#      src/, variants/ or the source root.
set -uo pipefail
src="${1:?usage: check.sh SOURCE_DIR [EXPORTED_INCLUDE_DIRS]}"
exported="${2:-}"
fails=0
check() {  # check NAME OUTPUT: the rule holds when OUTPUT is empty
    if [[ -z "$2" ]]; then echo "PASS: $1"; else echo "FAIL: $1"; echo "$2" | head -20; fails=$((fails + 1)); fi
}
check "no intrinsic or architecture test outside variants/simd/ops_*.hpp" \
    "$(grep -rnE '_mm(256|512)?_[a-z0-9_]+\(|__m(128|256|512)[di]?\b|is_same_v<Arch|is_same_v<A,|is_base_of_v<xsimd::|immintrin\.h' \
        "$src/variants" "$src/src" --include='*.hpp' --include='*.cpp' --include='*.inc' | grep -v '/variants/simd/ops_' | grep -v '^\S*:[0-9]*:\s*//')"
check "scripts/ copies no algorithm, ISA or bound table" \
    "$(grep -nE '^(ALGORITHMS|ISAS|BOUNDS|_LABEL_BOUND)\s*=|\"max_shifted\", \"online\"' "$src"/scripts/*.py)"
check "softmax.hpp names no split types" \
    "$(grep -nwE 'RowSplit|SplitState' "$src/src/include/softmaxbench/softmax.hpp")"
n=3
if [[ -n "$exported" ]]; then
    n=4
    root="$(cd "$src" && pwd)"
    bad=""
    build="$(sed -n 's/^build: //p' "$exported")"
    while IFS= read -r line; do
        target="${line%%:*}"
        [[ "$target" == build ]] && continue
        IFS='|' read -r -a dirs <<< "${line#*:}"
        for d in "${dirs[@]}"; do
            d="$(echo "$d" | xargs)"
            # Only the source tree's directories (not the build tree's generated ones, not the system's).
            [[ -z "$d" || "$d" != "$root"/* || ( -n "$build" && "$d" == "$build"* ) ]] && continue
            if [[ "$d" != */include ]] || [[ -n "$(find "$d" -type f ! -name '*.hpp' ! -name '*.h' ! -name '*.inc' | head -1)" ]]; then
                bad+="$target exports ${d#"$root"/}"$'\n'
            fi
        done
    done < "$exported"
    check "each library exports only include/ directories, never src/, bench/ or the root ($(grep -vc '^build: ' "$exported") libraries)" "${bad%$'\n'}"
fi
echo "$((n - fails)) passed, $fails failed"
exit $((fails > 0))
