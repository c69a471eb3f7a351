#!/usr/bin/env bash
# The layout's rules (README, "Layout"), checked on the sources: usage: check.sh SOURCE_DIR
#   1. no intrinsic and no per-architecture branch outside the ops headers (variants/simd/ops_*.hpp);
#   2. scripts/ holds no copy of the algorithm, ISA or bound tables (they read the registry);
#   3. the public header names no split plumbing (RowSplit, SplitState: src/detail/split.hpp).
set -uo pipefail
src="${1:?usage: check.sh SOURCE_DIR}"
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
echo "$((3 - fails)) passed, $fails failed"
exit $((fails > 0))
