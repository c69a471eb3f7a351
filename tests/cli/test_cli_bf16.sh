#!/usr/bin/env bash
# `softmaxbench run --dtype bf16` and `list --dtype bf16`: bf16 bit patterns in '<u2' or '|V2'
# files (made here with NumPy, as README.md shows), bf16 ('<u2') or float32 output, checked
# against a double-precision softmax; every other dtype with --dtype bf16, and a bf16 variant
# without it, is a clear error.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
cli_setup "" "$@"

NUMPY_PY=$(find_python numpy)
if [[ -z $NUMPY_PY ]]; then
    if [[ ${SMB_REQUIRE_NUMPY:-0} == 1 ]]; then fail "NumPy is required (SMB_REQUIRE_NUMPY=1)"; harness_finish; exit; fi
    notice "no Python with NumPy: the bf16 CLI test needs it to make and check files"
    echo "0 passed, 0 failed"
    exit 0
fi

# The README's recipe: float32 -> bf16 bits, round to nearest even, as '<u2' and as '|V2'.
if "$NUMPY_PY" - "$WORK" <<'PY'; then pass "NumPy makes '<u2', '|V2', '<f4' and '>u2' inputs"; else fail "NumPy inputs"; fi
import sys, numpy as np
w = sys.argv[1]
x = np.random.default_rng(7).normal(0, 3, (5, 333)).astype(np.float32)
x[1, 10] = -np.inf
u = x.view(np.uint32)
b = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
np.save(f"{w}/x_u2.npy", b)
np.save(f"{w}/x_v2.npy", b.view("V2"))
np.save(f"{w}/x_f4.npy", x)
np.save(f"{w}/x_be.npy", b.astype(">u2"))
PY

check() {  # check OUT.npy KIND(bf16|f32) LOG(0|1): within 0.5 bf16 ULP + 2^-14 (bf16) or 2^-20 relative (f32)
    "$NUMPY_PY" - "$WORK" "$1" "$2" "$3" <<'PY'
import sys, numpy as np
w, out, kind, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
b = np.load(f"{w}/x_u2.npy")
x = (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
m = x.max(axis=1, keepdims=True)
l = np.log(np.exp(x - m).sum(axis=1, keepdims=True))
ref = (x - m - l) if log else np.exp(x - m - l)
y = np.load(f"{w}/{out}")
if kind == "bf16":
    assert y.dtype == np.dtype("<u2") and y.shape == b.shape, (y.dtype, y.shape)
    y = (y.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    tol = 2.0 ** -8 * (1 + 2.0 ** -13)
else:
    assert y.dtype == np.dtype("<f4") and y.shape == b.shape, (y.dtype, y.shape)
    tol = 2.0 ** -20
fin = np.isfinite(ref) & (ref != 0)
assert np.all(y[~fin] == ref[~fin]), "specials"
err = np.abs(y[fin] - ref[fin]) / np.abs(ref[fin])
assert err.max() <= tol, err.max()
PY
}

for v in online.avx512.accurate.bf16 online.sse2.bf16 max_shifted.avx2.bf16 online.scalar.accurate.bf16; do
    for log in 0 1; do
        flag=(); [[ $log == 1 ]] && flag=(--log)
        run_cmd run --dtype bf16 -v "$v" "${flag[@]}" "$WORK/x_u2.npy" "$WORK/y.npy"
        if [[ $RC -eq 0 ]] && check y.npy bf16 $log; then pass "run --dtype bf16 $v ${flag[*]}: '<u2' out, within bound"
        elif [[ $RC -eq 1 && $ERR == *"not available"* ]]; then notice "$v not available here"
        else fail "run --dtype bf16 $v ${flag[*]}" "exit $RC: $ERR"; fi
    done
done
run_cmd run --dtype bf16 -v online.sse2.accurate.bf16_f32 -t 2 "$WORK/x_v2.npy" "$WORK/y32.npy"
if [[ $RC -eq 0 ]] && check y32.npy f32 0; then pass "run --dtype bf16 on a '|V2' file, .bf16_f32 variant: float32 out"
else fail "run --dtype bf16 '|V2' -> float32" "exit $RC: $ERR"; fi
run_cmd run --dtype bf16 -v online.sse2.accurate.bf16 "$WORK/x_v2.npy" "$WORK/yv.npy"
run_cmd run --dtype bf16 -v online.sse2.accurate.bf16 "$WORK/x_u2.npy" "$WORK/yu.npy"
if cmp -s <(tail -c +129 "$WORK/yv.npy") <(tail -c +129 "$WORK/yu.npy"); then pass "'|V2' and '<u2' inputs give the same bits"
else fail "'|V2' and '<u2' inputs give the same bits"; fi

expect_error "--dtype bf16 with a float32 file" 1 "unsupported dtype '<f4' (float32, little-endian) for bf16" \
    run --dtype bf16 -v online.sse2.bf16 "$WORK/x_f4.npy" @OUT@
expect_error "--dtype bf16 with a big-endian uint16 file" 1 "unsupported dtype '>u2'" \
    run --dtype bf16 -v online.sse2.bf16 "$WORK/x_be.npy" @OUT@
expect_error "a bf16 variant without --dtype bf16" 2 "takes bf16 logits: add --dtype bf16" \
    run -v online.sse2.bf16 "$WORK/x_u2.npy" @OUT@
expect_error "a float32 variant with --dtype bf16" 2 "takes float32 logits" \
    run --dtype bf16 -v online.sse2 "$WORK/x_u2.npy" @OUT@
expect_error "a bf16 file without --dtype bf16" 1 "with --dtype bf16" \
    run -v online.sse2 "$WORK/x_u2.npy" @OUT@
expect_error "an unknown --dtype" 2 "--dtype must be f32 or bf16" \
    run --dtype f16 -v online.sse2 "$WORK/x_u2.npy" @OUT@

run_cmd list --dtype bf16
if [[ $RC -eq 0 && $OUT == *"online.avx512.accurate.bf16 "* && $OUT == *"online.sse2.bf16_f32 "* &&
      $OUT != *"online.sse2 "* ]]; then pass "list --dtype bf16 lists the .bf16 and .bf16_f32 variants only"
else fail "list --dtype bf16" "exit $RC"; fi
harness_finish
