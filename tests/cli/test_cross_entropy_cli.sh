#!/usr/bin/env bash
# softmaxbench run --op cross_entropy, end to end: the README's two-class example by hand, the
# reductions, ignore_index, label smoothing, int32 targets and the gradient against NumPy, and
# the error cases (one line on stderr, non-zero exit, no output file, neither LOSS nor GRAD).
#
#   bash tests/cli/test_cross_entropy_cli.sh <path-to-softmaxbench> <scratch-dir>
#
# Needs bash, perl and the binary; the NumPy cross-check needs a Python with NumPy (skipped with
# a notice without one, a failure with SMB_REQUIRE_NUMPY=1).
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
cli_setup in "$@"
IN=$WORK/in
NUMPY_PY=$(find_python numpy)

# make_npy FILE DESCR SHAPE PERL_PACK_TEMPLATE VALUES...: an .npy file (format 1.0).
make_npy() {
    local file=$1 descr=$2 shape=$3 tmpl=$4
    shift 4
    perl -e '
        my ($file, $descr, $shape, $tmpl, @v) = @ARGV;
        my $dict = "{'"'"'descr'"'"': '"'"'$descr'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': $shape, }";
        my $un = 10 + length($dict) + 1;
        my $pad = (64 - $un % 64) % 64;
        my $h = $dict . (" " x $pad) . "\n";
        open(my $f, ">:raw", $file) or die;
        print $f "\x93NUMPY\x01\x00" . pack("v", length $h) . $h . pack($tmpl x scalar(@v), @v);
    ' "$file" "$descr" "$shape" "$tmpl" "$@"
}
# floats FILE: the float32 values of an .npy file written by softmaxbench, one per line (%.7g).
floats() {
    perl -e 'open(my $f, "<:raw", $ARGV[0]) or die; local $/; my $b = <$f>; my $hl = unpack("v", substr($b, 8, 2));
             printf("%.7g\n", $_) for unpack("f<*", substr($b, 10 + $hl));' "$1"
}

V=ce_fused.scalar.accurate
# ---- the README's example: x = [2, 1], target 0 ------------------------------------------------
make_npy "$IN/x.npy" '<f4' '(1, 2)' 'f<' 2 1
make_npy "$IN/t.npy" '<i8' '(1,)' 'q<' 0
make_npy "$IN/t32.npy" '<i4' '(1,)' 'l<' 0
make_npy "$IN/t_bad1.npy" '<i8' '(1,)' 'q<' 5
for v in ce_fused.scalar.accurate ce_fused.avx2.accurate ce_log_softmax.scalar ce_softmax_log.scalar; do
    run_cmd run --op cross_entropy --variant $v --targets "$IN/t.npy" "$IN/x.npy" "$WORK/loss.npy" "$WORK/grad.npy"
    got="$(floats "$WORK/loss.npy" 2>/dev/null | tr '\n' ' ')$(floats "$WORK/grad.npy" 2>/dev/null | tr '\n' ' ')"
    if [[ $RC -eq 0 && $got == "0.3132617 -0.2689414 0.2689414 " ]]; then
        pass "two-class example by hand with $v: loss log(1 + e^-1), gradient [p0 - 1, p1]"
    else
        fail "two-class example with $v" "exit $RC, got '$got' ($ERR)"
    fi
done
run_cmd run --op cross_entropy --variant $V --targets "$IN/t32.npy" --reduction none "$IN/x.npy" "$WORK/l32.npy"
if [[ $RC -eq 0 && $(floats "$WORK/l32.npy") == "0.3132617" && ! -e $WORK/g32.npy ]]; then
    pass "int32 targets, --reduction none, loss only"
else
    fail "int32 targets" "exit $RC: $ERR"
fi

# ---- reductions, ignore_index, label smoothing against NumPy ---------------------------------------
if [[ -z $NUMPY_PY && ${SMB_REQUIRE_NUMPY:-0} == 1 ]]; then
    fail "NumPy is required here (SMB_REQUIRE_NUMPY=1)"
elif [[ -z $NUMPY_PY ]]; then
    notice "NumPy not importable: the cross-check against NumPy is skipped"
else
    "$NUMPY_PY" -c '
import numpy as np, sys
d = sys.argv[1]
rng = np.random.default_rng(7)
x = (rng.standard_normal((23, 517)) * 3).astype(np.float32)
t = rng.integers(0, 517, 23).astype(np.int64)
t[[4, 9]] = 3
np.save(d + "/x2.npy", x); np.save(d + "/t2.npy", t)
' "$IN"
    for red in none mean sum; do
        for eps in 0 0.1; do
            run_cmd run --op cross_entropy --variant ce_fused.avx2.poly6 --targets "$IN/t2.npy" --reduction $red \
                --label-smoothing $eps --ignore-index 3 --threads 2 "$IN/x2.npy" "$WORK/l.npy" "$WORK/g.npy"
            if [[ $RC -ne 0 ]]; then
                fail "reduction $red, eps $eps" "exit $RC: $ERR"
                continue
            fi
            if "$NUMPY_PY" -c '
import numpy as np, sys
d, w, red, eps = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
x = np.load(d + "/x2.npy").astype(np.float64); t = np.load(d + "/t2.npy")
l = np.load(w + "/l.npy"); g = np.load(w + "/g.npy")
n = x.shape[1]; keep = t != 3
m = x.max(1, keepdims=True); lse = m[:, 0] + np.log(np.exp(x - m).sum(1))
q = np.full(x.shape, eps / n); q[np.arange(len(t)), np.where(keep, t, 0)] += 1 - eps
per = np.where(keep, (q * (lse[:, None] - x)).sum(1), 0.0)
p = np.exp(x - lse[:, None])
scale = 1.0 / keep.sum() if red == "mean" else 1.0
want_g = np.where(keep[:, None], (p - q) * np.float32(scale), 0.0)
want_l = per if red == "none" else (per.sum() / keep.sum() if red == "mean" else per.sum())
assert l.dtype == np.float32 and l.shape == ((23,) if red == "none" else ()), l.shape
assert g.dtype == np.float32 and g.shape == x.shape
assert np.allclose(l, want_l, rtol=1e-6, atol=0), (l, want_l)
assert np.allclose(g, want_g, rtol=1e-5, atol=1e-9), abs(g - want_g).max()
assert (g[~keep] == 0).all()
' "$IN" "$WORK" $red $eps; then
                pass "reduction $red, label smoothing $eps, ignore_index, 2 threads: loss and gradient match NumPy"
            else
                fail "reduction $red, eps $eps: NumPy disagrees"
            fi
        done
    done
fi

# ---- --dtype bf16: bf16 logits ('<u2' bits), the gradient in bf16 ('<u2') or float32 -------------
# x = [2, 1] in bf16 is 0x4000 0x3F80; loss log(1 + e^-1) = 0.3132617 (float32 either way); the
# gradient [-0.26894142, 0.26894142] rounds to bf16 0xBE8A / 0x3E8A (-0.26953125, 0.26953125).
make_npy "$IN/xb.npy" '<u2' '(1, 2)' 'v' 16384 16256
make_npy "$IN/xv.npy" '|V2' '(1, 2)' 'v' 16384 16256
bits() {
    perl -e 'open(my $f, "<:raw", $ARGV[0]) or die; local $/; my $b = <$f>; my $hl = unpack("v", substr($b, 8, 2));
             print substr($b, 10, $hl) =~ /<u2/ ? "u2" : "??"; printf(" %04x", $_) for unpack("v*", substr($b, 10 + $hl));' "$1"
}
for xin in xb xv; do
    for v in ce_fused.scalar.accurate.bf16 ce_fused.avx2.poly6.bf16 ce_fused.avx2.accurate.bf16; do
        run_cmd run --op cross_entropy --dtype bf16 --variant $v --targets "$IN/t.npy" "$IN/$xin.npy" "$WORK/lb.npy" "$WORK/gb.npy"
        got="$(floats "$WORK/lb.npy" 2>/dev/null) $(bits "$WORK/gb.npy" 2>/dev/null)"
        if [[ $RC -eq 0 && $got == "0.3132617 u2 be8a 3e8a" ]]; then
            pass "--dtype bf16 ($xin) with $v: float32 loss, bf16 gradient by hand"
        else
            fail "--dtype bf16 ($xin) with $v" "exit $RC, got '$got' ($ERR)"
        fi
    done
done
run_cmd run --op cross_entropy --dtype bf16 --variant ce_fused.scalar.accurate.bf16_f32 --targets "$IN/t.npy" \
    "$IN/xb.npy" "$WORK/lb.npy" "$WORK/gf.npy"
got="$(floats "$WORK/lb.npy" 2>/dev/null | tr '\n' ' ')$(floats "$WORK/gf.npy" 2>/dev/null | tr '\n' ' ')"
if [[ $RC -eq 0 && $got == "0.3132617 -0.2689414 0.2689414 " ]]; then
    pass "--dtype bf16 with a .bf16_f32 variant: float32 gradient"
else
    fail "--dtype bf16, .bf16_f32" "exit $RC, got '$got' ($ERR)"
fi
if [[ -n $NUMPY_PY ]]; then
    # Rows of bf16 logits made with NumPy (the README's recipe), reductions and ignore_index,
    # 2 threads: the bf16 gradient within a bf16 ULP of the float64 one.
    "$NUMPY_PY" -c '
import numpy as np, sys
d = sys.argv[1]
rng = np.random.default_rng(8)
x = (rng.standard_normal((13, 301)) * 3).astype(np.float32)
u = x.view(np.uint32)
b = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
t = rng.integers(0, 301, 13).astype(np.int64); t[2] = -100
np.save(d + "/xb2.npy", b); np.save(d + "/tb2.npy", t)
' "$IN"
    for red in none mean; do
        run_cmd run --op cross_entropy --dtype bf16 --variant ce_fused.avx2.poly6.bf16 --targets "$IN/tb2.npy" \
            --reduction $red --threads 2 "$IN/xb2.npy" "$WORK/lb2.npy" "$WORK/gb2.npy"
        if [[ $RC -eq 0 ]] && "$NUMPY_PY" -c '
import numpy as np, sys
d, w, red = sys.argv[1], sys.argv[2], sys.argv[3]
b = np.load(d + "/xb2.npy"); t = np.load(d + "/tb2.npy")
x = (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
l = np.load(w + "/lb2.npy"); gb = np.load(w + "/gb2.npy")
assert gb.dtype == np.uint16 and gb.shape == x.shape, (gb.dtype, gb.shape)
g = (gb.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
keep = t != -100
m = x.max(1, keepdims=True); lse = m[:, 0] + np.log(np.exp(x - m).sum(1))
per = np.where(keep, lse - x[np.arange(len(t)), np.where(keep, t, 0)], 0.0)
scale = 1.0 / keep.sum() if red == "mean" else 1.0
p = np.exp(x - lse[:, None]); p[np.arange(len(t)), np.where(keep, t, 0)] -= 1
want_g = np.where(keep[:, None], p * np.float32(scale), 0.0)
want_l = per if red == "none" else per.sum() / keep.sum()
assert l.dtype == np.float32 and np.allclose(l, want_l, rtol=1e-6, atol=0), (l, want_l)
assert (np.abs(g - want_g) <= 2.0**-8 * np.abs(want_g) + 1e-30).all(), abs(g - want_g).max()
assert (gb[~keep] == 0).all()
' "$IN" "$WORK" $red; then
            pass "--dtype bf16, reduction $red, ignore_index, 2 threads: loss and bf16 gradient match NumPy"
        else
            fail "--dtype bf16, reduction $red" "exit $RC: $ERR"
        fi
    done
fi
expect_error "--dtype bf16 refuses float32 logits" 1 "<u2" \
    run --op cross_entropy --dtype bf16 --variant ce_fused.scalar.accurate.bf16 --targets "$IN/t.npy" "$IN/x.npy" @OUT@ @DIR@/g.npy
expect_error "--dtype bf16 with an f32 variant" 2 "takes float32 logits" \
    run --op cross_entropy --dtype bf16 --variant $V --targets "$IN/t.npy" "$IN/xb.npy" @OUT@ @DIR@/g.npy
expect_error "a bf16 variant without --dtype bf16" 2 "add --dtype bf16" \
    run --op cross_entropy --variant ce_fused.scalar.accurate.bf16 --targets "$IN/t.npy" "$IN/xb.npy" @OUT@ @DIR@/g.npy
expect_error "bf16 logits without --dtype bf16" 1 "x" \
    run --op cross_entropy --variant $V --targets "$IN/t.npy" "$IN/xb.npy" @OUT@ @DIR@/g.npy
expect_error "--dtype bf16: a target out of range names the row" 1 "target 5 of row 0" \
    run --op cross_entropy --dtype bf16 --variant ce_fused.scalar.accurate.bf16 --targets "$IN/t_bad1.npy" "$IN/xb.npy" @OUT@ @DIR@/g.npy
expect_error "--dtype bf16 has no backward variants" 2 "no bf16 backward" \
    run --op softmax_backward --dtype bf16 --variant backward.scalar.accurate --dy "$IN/xb.npy" "$IN/xb.npy" @OUT@

# ---- softmaxbench accuracy scores the cross_entropy variants named in --variants -----------------
mkdir -p "$WORK/acc"
run_cmd accuracy --threads 2 --variants ce_fused.scalar.accurate,ce_softmax_log.scalar \
    --distributions normal_1,dominant --out "$WORK/acc/acc.csv"
CE=$WORK/acc/acc-cross_entropy.csv
# 2 variants x (2 distributions x 15 sizes x 3 targets + 15 dominant_target rows)
if [[ $RC -eq 0 && -s $CE && $(($(wc -l <"$CE") - 1)) -eq 210 && $OUT == *"cross_entropy: 210 cases"* ]] &&
    ! awk -F, 'NR > 1 && $13 != "pass"' "$CE" | grep -q . &&
    awk -F, '$1 == "ce_softmax_log.scalar" && $5 == "dominant_target" && $9 > 1e6' "$CE" | grep -q . &&
    ! awk -F, '$1 == "ce_fused.scalar.accurate" && $9 > 0.51' "$CE" | grep -q .; then
    pass "accuracy: the cross_entropy CSV (every case within bound; the guide's form loses the dominant-target loss)"
else
    fail "accuracy with cross_entropy variants" "exit $RC: $ERR $(head -3 "$CE" 2>/dev/null)"
fi

# The bf16 dtypes in the same CSV, with the dtype column (15), on the rows rounded to bf16; the
# accurate bf16 gradient correctly rounded on every output (column 17: correct/outputs).
mkdir -p "$WORK/accb"
run_cmd accuracy --threads 2 --variants ce_fused.avx2.accurate.bf16,ce_fused.avx2.poly6.bf16_f32 \
    --distributions normal_5 --out "$WORK/accb/acc.csv"
CE=$WORK/accb/acc-cross_entropy.csv
if [[ $RC -eq 0 && $(($(wc -l <"$CE") - 1)) -eq 120 ]] &&
    ! awk -F, 'NR > 1 && $13 != "pass"' "$CE" | grep -q . &&
    [[ $(awk -F, '$15 == "bf16"' "$CE" | wc -l) -eq 60 && $(awk -F, '$15 == "bf16_f32"' "$CE" | wc -l) -eq 60 ]] &&
    ! awk -F, '$15 == "bf16" { split($17, c, "/"); if (c[1] != c[2]) print }' "$CE" | grep -q . &&
    awk -F, '$15 == "bf16" { split($17, c, "/"); n += c[2] } END { exit !(n > 1000) }' "$CE"; then
    pass "accuracy: bf16 cross_entropy variants in the cross_entropy CSV (dtype column, within bound, correctly rounded)"
else
    fail "accuracy with bf16 cross_entropy variants" "exit $RC: $ERR $(head -3 "$CE" 2>/dev/null)"
fi

# ---- errors: one line, non-zero exit, no output ----------------------------------------------------
make_npy "$IN/t_bad.npy" '<i8' '(3,)' 'q<' 0 5 1
make_npy "$IN/x3.npy" '<f4' '(3, 4)' 'f<' 1 2 3 4 5 6 7 8 9 10 11 12
make_npy "$IN/t2rows.npy" '<i8' '(2,)' 'q<' 0 1
make_npy "$IN/tf.npy" '<f4' '(3,)' 'f<' 0 1 2
make_npy "$IN/t3.npy" '<i8' '(3,)' 'q<' 0 1 2
expect_error "a target out of range names the row" 1 "target 5 of row 1" \
    run --op cross_entropy --variant $V --targets "$IN/t_bad.npy" "$IN/x3.npy" @OUT@ @DIR@/grad.npy
expect_error "targets and rows disagree" 1 "2 targets for 3 rows" \
    run --op cross_entropy --variant $V --targets "$IN/t2rows.npy" "$IN/x3.npy" @OUT@
expect_error "float targets are refused" 1 "int64" \
    run --op cross_entropy --variant $V --targets "$IN/tf.npy" "$IN/x3.npy" @OUT@
expect_error "--targets is required" 2 "needs --targets" \
    run --op cross_entropy --variant $V "$IN/x3.npy" @OUT@
expect_error "a forward variant is not a cross_entropy variant" 2 "not cross_entropy" \
    run --op cross_entropy --variant online.scalar.accurate --targets "$IN/t3.npy" "$IN/x3.npy" @OUT@
expect_error "an unknown variant lists the cross_entropy variants" 2 "the cross_entropy variants: ce_fused.scalar.accurate" \
    run --op cross_entropy --variant ce_nope --targets "$IN/t3.npy" "$IN/x3.npy" @OUT@
expect_error "a bad reduction" 2 "--reduction must be" \
    run --op cross_entropy --variant $V --targets "$IN/t3.npy" --reduction avg "$IN/x3.npy" @OUT@
expect_error "label smoothing outside [0, 1]" 2 "--label-smoothing" \
    run --op cross_entropy --variant $V --targets "$IN/t3.npy" --label-smoothing 1.5 "$IN/x3.npy" @OUT@
expect_error "an unknown op" 2 "--op: crossentropy not in" run --op crossentropy --variant $V "$IN/x3.npy" @OUT@
expect_error "cross_entropy options without --op" 2 "are for --op cross_entropy" \
    run --variant online.scalar.accurate --targets "$IN/t3.npy" "$IN/x3.npy" @OUT@
expect_error "a cross_entropy variant without --op" 2 "not --op softmax: run it with --op cross_entropy" \
    run --variant $V "$IN/x3.npy" @OUT@
expect_error "softmax flags with --op cross_entropy" 2 "not --op cross_entropy" \
    run --op cross_entropy --log --variant $V --targets "$IN/t3.npy" "$IN/x3.npy" @OUT@
expect_error "an unwritable GRAD leaves LOSS unwritten too" 1 "nodir" \
    run --op cross_entropy --variant $V --targets "$IN/t3.npy" "$IN/x3.npy" @OUT@ @DIR@/nodir/grad.npy

harness_finish
