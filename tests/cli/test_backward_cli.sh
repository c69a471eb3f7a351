#!/usr/bin/env bash
# End-to-end checks of `softmaxbench run --op softmax_backward|log_softmax_backward` and
# `softmaxbench jacobian`: results on the NumPy guide's example, and the error rules of `run`
# (one line on stderr, a non-zero exit, no output file).
#
#   bash tests/cli/test_backward_cli.sh <path-to-softmaxbench> <scratch-dir>
#
# Fixtures are written with perl (perl-base); a Python with NumPy cross-checks the results when
# there is one (SMB_REQUIRE_NUMPY=1 makes its absence a failure).
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
cli_setup in "$@"
IN=$WORK/in
NUMPY_PY=$(find_python numpy)
REQUIRE_NUMPY=${SMB_REQUIRE_NUMPY:-0}

# npy FILE SHAPE V...: a float32 .npy (format 1.0) of SHAPE (a Python tuple text) holding V...
npy() {
    local file=$1 shape=$2
    shift 2
    perl -e '
        my ($file, $shape, @v) = @ARGV;
        my $dict = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: $shape, }";
        my $pad = (64 - (10 + length($dict) + 1) % 64) % 64;
        my $h = $dict . (" " x $pad) . "\n";
        open(my $f, ">:raw", $file) or die;
        print $f "\x93NUMPY\x01\x00", pack("v", length($h)), $h, pack("f<*", @v);
        close($f);' "$file" "$shape" "$@"
}

# The guide's example: y = softmax([2.0, 1.0, 0.1]) (and a second row, softmax([1.5, 0.5, 3.0])),
# dy = the gradient of -log y_t (t = 0, then 2): dx = y - onehot(t).
Y0=(0.65900114 0.24243297 0.09856589)
Y1=(0.17095278 0.06289002 0.76615720)
npy "$IN/y.npy" "(2, 3)" "${Y0[@]}" "${Y1[@]}"
npy "$IN/dy.npy" "(2, 3)" -1.5174480 0 0 0 0 -1.3052173
npy "$IN/y1.npy" "(3,)" "${Y0[@]}"
npy "$IN/logy.npy" "(2, 3)" -0.41703 -1.41703 -2.31703 -1.7663679 -2.766368 -0.2663679
npy "$IN/logdy.npy" "(2, 3)" -1 0 0 0 0 -1
npy "$IN/posy.npy" "(2, 3)" -0.4 0.25 -2 -1 -1 -1
npy "$IN/y4.npy" "(4,)" 0.25 0.25 0.25 0.25

# near FILE "v1 v2 ..." TOL: the floats of FILE (read with perl) are within TOL of the values.
near() {
    perl -e '
        my ($file, $want, $tol) = @ARGV;
        open(my $f, "<:raw", $file) or exit 1;
        local $/; my $b = <$f>;
        my $hl = unpack("v", substr($b, 8, 2));
        my @got = unpack("f<*", substr($b, 10 + $hl));
        my @w = split(" ", $want);
        exit 1 if @got != @w;
        for my $i (0..$#w) { exit 1 if abs($got[$i] - $w[$i]) > $tol; }
        exit 0;' "$1" "$2" "$3"
}

for V in backward.scalar.accurate backward.avx512 backward.avx2.accurate backward.sse2; do
    run_cmd list --op backward
    if [[ $OUT != *"$V "*" yes "* ]]; then
        notice "$V is not available here"
        continue
    fi
    run_cmd run --op softmax_backward --variant "$V" --dy "$IN/dy.npy" "$IN/y.npy" "$WORK/dx.npy"
    if [[ $RC -eq 0 && -z $OUT && -z $ERR ]] &&
        near "$WORK/dx.npy" "-0.34099886 0.24243297 0.09856589 0.17095278 0.06289002 -0.2338428" 2e-6; then
        pass "run --op softmax_backward --variant $V: y - onehot on the guide's example"
    else
        fail "run --op softmax_backward --variant $V" "exit $RC, stderr: $ERR"
    fi
    run_cmd run --op log_softmax_backward --variant "$V" --threads 2 --dy "$IN/logdy.npy" "$IN/logy.npy" "$WORK/dxl.npy"
    if [[ $RC -eq 0 && -z $ERR ]] &&
        near "$WORK/dxl.npy" "-0.34099886 0.24243297 0.09856589 0.17095278 0.06289002 -0.2338428" 2e-6; then
        pass "run --op log_softmax_backward --variant $V: softmax - onehot"
    else
        fail "run --op log_softmax_backward --variant $V" "exit $RC, stderr: $ERR"
    fi
done

run_cmd jacobian "$IN/y1.npy" "$WORK/J.npy"
if [[ $RC -eq 0 && -z $OUT && -z $ERR ]] &&
    near "$WORK/J.npy" "0.224719 -0.159764 -0.064955 -0.159764 0.183659 -0.023896 -0.064955 -0.023896 0.088851" 1e-6; then
    pass "jacobian: the guide's softmax_gradient of softmax([2.0, 1.0, 0.1])"
else
    fail "jacobian of the guide's example" "exit $RC, stderr: $ERR"
fi

if [[ -n $NUMPY_PY ]]; then
    if msg=$("$NUMPY_PY" - "$IN" "$WORK" <<'EOF' 2>&1
import sys
import numpy as np
d, w = sys.argv[1], sys.argv[2]
y, dy = np.load(d + "/y.npy").astype(np.float64), np.load(d + "/dy.npy").astype(np.float64)
want = y * (dy - (dy * y).sum(axis=1, keepdims=True))
got = np.load(w + "/dx.npy")
assert got.dtype == np.float32 and got.shape == (2, 3), (got.dtype, got.shape)
assert np.allclose(got, want, rtol=0, atol=1e-6), (got, want)
y1 = np.load(d + "/y1.npy").astype(np.float64)
J = np.load(w + "/J.npy")
assert J.shape == (3, 3) and np.allclose(J, np.diag(y1) - np.outer(y1, y1), rtol=0, atol=1e-7), J
assert np.allclose(J @ dy[0], want[0], rtol=0, atol=1e-6)
EOF
    ); then
        pass "NumPy agrees: y * (dy - sum(dy * y)), and J = diag(y) - y y^T with J dy the same"
    else
        fail "NumPy cross-check" "$msg"
    fi
elif [[ $REQUIRE_NUMPY == 1 ]]; then
    fail "NumPy cross-check" "no Python with NumPy (SMB_REQUIRE_NUMPY=1)"
else
    notice "no Python with NumPy: cross-check skipped"
fi

run_cmd list --json --op backward
if [[ $RC -eq 0 && -n $NUMPY_PY ]] && "$NUMPY_PY" -c '
import json, sys
v = json.loads(sys.argv[1])
assert v and all(e["op"] == "backward" and e["algorithm"] == "backward" for e in v), v
assert {"backward.scalar.accurate", "backward.sse2", "backward.sse2.accurate"} <= {e["name"] for e in v}
' "$OUT"; then
    pass "list --json --op backward: the backward variants, op backward"
elif [[ $RC -eq 0 && -z $NUMPY_PY && $OUT == *'"op": "backward"'* ]]; then
    pass "list --json --op backward names op backward (not parsed: no Python)"
else
    fail "list --json --op backward" "exit $RC: $ERR"
fi
run_cmd list --json --op forward
if [[ $RC -eq 0 && $OUT != *'"op": "backward"'* && $OUT == *'"op": "forward"'* ]]; then
    pass "list --json --op forward lists no backward variant"
else
    fail "list --json --op forward lists only the forward variants" "exit $RC: $ERR"
fi
run_cmd list --json
if [[ $RC -eq 0 && $OUT == *'"op": "backward"'* && $OUT == *'"op": "forward"'* && $OUT == *'"op": "cross_entropy"'* ]]; then
    pass "list --json (no --op) lists every op, the backward among them"
else
    fail "list --json lists every op" "exit $RC: $ERR"
fi

# ---- the accuracy sweep's backward file ------------------------------------------------------------
run_cmd accuracy --quick --distributions normal_1,dominant --variants max_shifted.scalar,backward.scalar.accurate \
    --threads 2 --out "$WORK/acc/accuracy.csv"
BWCSV=$WORK/acc/accuracy-backward.csv
if [[ $RC -eq 0 && -f $BWCSV ]] && head -1 "$BWCSV" | grep -q '^variant,isa,tier,op,distribution,dy,n,bound_k,k,' &&
    [[ $(grep -c '^backward.scalar.accurate,scalar,accurate,softmax_backward,' "$BWCSV") -eq 150 &&
       $(grep -c '^backward.scalar.accurate,scalar,accurate,log_softmax_backward,' "$BWCSV") -eq 150 &&
       $(grep -c ',pass$' "$BWCSV") -eq 300 ]] && [[ $OUT == *"backward: 300 cases"* ]]; then
    pass "accuracy writes accuracy-backward.csv: 2 ops x 2 distributions x 15 sizes x 5 kinds of dy, all pass"
else
    fail "accuracy writes accuracy-backward.csv" "exit $RC, stderr: $ERR, stdout tail: ${OUT: -400}"
fi

# ---- errors: one line, non-zero exit, nothing written --------------------------------------------
BW=backward.scalar.accurate
expect_error "backward without --dy" 2 "needs --dy" run --op softmax_backward --variant $BW "$IN/y.npy" @OUT@
expect_error "a forward variant for a backward op" 2 "computes forward" \
    run --op softmax_backward --variant max_shifted.scalar --dy "$IN/dy.npy" "$IN/y.npy" @OUT@
expect_error "a backward variant for softmax" 2 "computes backward" run --variant $BW "$IN/y.npy" @OUT@
expect_error "an unknown op" 2 "--op" run --op softmax_backwards --variant $BW --dy "$IN/dy.npy" "$IN/y.npy" @OUT@
expect_error "--dy with a forward op" 2 "--dy" run --variant max_shifted.scalar --dy "$IN/dy.npy" "$IN/y.npy" @OUT@
expect_error "--masked-safe with a backward op" 2 "--masked-safe" \
    run --op log_softmax_backward --masked-safe --variant $BW --dy "$IN/dy.npy" "$IN/y.npy" @OUT@
expect_error "--log with a backward op" 2 "--log" \
    run --op softmax_backward --log --variant $BW --dy "$IN/dy.npy" "$IN/y.npy" @OUT@
expect_error "shapes of dy and y differ" 1 "must be the same" \
    run --op softmax_backward --variant $BW --dy "$IN/y1.npy" "$IN/y.npy" @OUT@
expect_error "a missing DY file" 1 "nothere.npy" \
    run --op softmax_backward --variant $BW --dy "$IN/nothere.npy" "$IN/y.npy" @OUT@
expect_error "log_softmax_backward of a y above 0 names the row" 1 "row 0, column 1" \
    run --op log_softmax_backward --variant $BW --dy "$IN/dy.npy" "$IN/posy.npy" @OUT@
expect_error "jacobian of two rows" 1 "one row" jacobian "$IN/y.npy" @OUT@
perl -e 'my $n = 8193; my $dict = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: ($n,), }";
    my $pad = (64 - (10 + length($dict) + 1) % 64) % 64; my $h = $dict . (" " x $pad) . "\n";
    open(my $f, ">:raw", $ARGV[0]) or die; print $f "\x93NUMPY\x01\x00", pack("v", length($h)), $h, pack("f<*", (1.0 / $n) x $n);' \
    "$IN/big.npy"
expect_error "jacobian above the cap" 1 "capped at n = 8192" jacobian "$IN/big.npy" @OUT@
expect_error "jacobian of a missing file" 1 "nothere.npy" jacobian "$IN/nothere.npy" @OUT@

# An existing output is left unchanged by a failed run.
cp "$IN/y4.npy" "$WORK/keep.npy"
run_cmd run --op softmax_backward --variant $BW --dy "$IN/y1.npy" "$IN/y.npy" "$WORK/keep.npy"
if [[ $RC -eq 1 ]] && cmp -s "$IN/y4.npy" "$WORK/keep.npy" && [[ -z $(ls -A "$WORK" | grep -v -e '^in$' -e '^acc$' -e '\.npy$' -e '^err' -e '^std') ]]; then
    pass "a failed backward run leaves an existing output as it was, and no temporary"
else
    fail "a failed backward run leaves an existing output as it was" "exit $RC: $ERR; $(ls -A "$WORK")"
fi

harness_finish
