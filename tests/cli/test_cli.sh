#!/usr/bin/env bash
# End-to-end checks of the softmaxbench command-line tool.
#
#   bash tests/cli/test_cli.sh <path-to-softmaxbench> <scratch-dir>
#
# Needs bash, coreutils (od, cmp, env), perl (perl-base: in every Debian install) and the binary.
# A Python ($PYTHON, else python3, else /usr/bin/python3) parses the JSON output when present, and
# one that imports NumPy runs the numerical cross-check; without them those checks are skipped
# with a notice, except that SMB_REQUIRE_NUMPY=1 (set by ctest when SMB_REQUIRE_PEERS is ON, as in
# CI) makes a missing NumPy a failure. Every input file for the error cases is written here with
# printf or perl, so they run everywhere. The unreadable-directory cases need either a non-root
# user or, as root, setpriv (util-linux) to drop CAP_DAC_OVERRIDE; otherwise they are skipped
# with a notice.
# Prints one line per check and finally "N passed, M failed"; exits non-zero on any failure.
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
cli_setup in "$@"
IN=$WORK/in


# Python for JSON, and one with NumPy (empty when there is none).
PY=$(find_python)
NUMPY_PY=$(find_python numpy)
REQUIRE_NUMPY=${SMB_REQUIRE_NUMPY:-0}

# ---- helpers ----------------------------------------------------------------------------------

# make_npy FILE DICT [DATA] [MAJOR]: an .npy file with the header dict DICT (padded so the data
# starts at a multiple of 64), followed by DATA (a printf format string of \xNN escapes).
make_npy() {
    local file=$1 dict=$2 data=${3:-} major=${4:-1}
    local lenbytes=2
    [[ $major != 1 ]] && lenbytes=4
    local unpadded=$((6 + 2 + lenbytes + ${#dict} + 1))
    local pad=$(((64 - unpadded % 64) % 64))
    local hlen=$((${#dict} + pad + 1))
    {
        printf '\x93NUMPY'
        printf "\\x$(printf %02x "$major")\\x00"
        printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
        [[ $lenbytes == 4 ]] && printf '\x00\x00'
        printf '%s' "$dict"
        printf '%*s' "$pad" ''
        printf '\n'
        printf "$data"
    } >"$file"
}
dict() { printf "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" "$1" "$2" "$3"; }

# Little-endian float32 bytes.
F_2='\x00\x00\x00\x40'    # 2.0
F_1='\x00\x00\x80\x3f'    # 1.0
F_01='\xcd\xcc\xcc\x3d'   # 0.1f
F_0='\x00\x00\x00\x00'    # 0.0
F_M1='\x00\x00\x80\xbf'   # -1.0
F_NINF='\x00\x00\x80\xff' # -inf

# floats_of FILE: the data of a .npy written by softmaxbench (format 1.0), one value a line, %.6f.
floats_of() {
    local file=$1
    local b0 b1
    read -r b0 b1 < <(od -A n -t u1 -j 8 -N 2 "$file")
    local off=$((10 + b0 + 256 * b1))
    local v
    for v in $(od -A n -v -t f4 -j "$off" "$file"); do printf '%.6f\n' "$v"; done
}

header_of() { tail -c +11 "$1" | head -n 1; }

# run_cmd and expect_error: tests/lib/harness.sh.

VAR=max_shifted.scalar

# ---- fixtures (printf, no NumPy needed) -------------------------------------------------------
make_npy "$IN/example.npy" "$(dict '<f4' False '(3,)')" "$F_2$F_1$F_01"
make_npy "$IN/m2x3.npy" "$(dict '<f4' False '(2, 3)')" "$F_2$F_1$F_01$F_0$F_M1$F_NINF"
make_npy "$IN/empty1.npy" "$(dict '<f4' False '(0,)')"
make_npy "$IN/empty2.npy" "$(dict '<f4' False '(3, 0)')"
make_npy "$IN/v2.npy" "$(dict '<f4' False '(3,)')" "$F_2$F_1$F_01" 2
make_npy "$IN/v3.npy" "$(dict '<f4' False '(3,)')" "$F_2$F_1$F_01" 3
make_npy "$IN/allninf.npy" "$(dict '<f4' False '(2,)')" "$F_NINF$F_NINF"
printf 'this is not an npy file\n' >"$IN/text.npy"
: >"$IN/zero_bytes.npy"
make_npy "$IN/truncated.npy" "$(dict '<f4' False '(2, 3)')" "$F_2$F_1$F_01$F_0$F_M1"
make_npy "$IN/trailing.npy" "$(dict '<f4' False '(3,)')" "$F_2$F_1$F_01$F_0"
make_npy "$IN/f8.npy" "$(dict '<f8' False '(3,)')" "$F_0$F_0$F_0$F_0$F_0$F_0"
make_npy "$IN/bigendian.npy" "$(dict '>f4' False '(3,)')" "$F_0$F_0$F_0"
make_npy "$IN/fortran.npy" "$(dict '<f4' True '(2, 3)')" "$F_2$F_1$F_01$F_0$F_M1$F_0"
make_npy "$IN/d0.npy" "$(dict '<f4' False '()')" "$F_1"
make_npy "$IN/d3.npy" "$(dict '<f4' False '(1, 2, 3)')" "$F_2$F_1$F_01$F_0$F_M1$F_0"
make_npy "$IN/overflow.npy" "$(dict '<f4' False '(4294967296, 4294967296)')"
make_npy "$IN/overflow_bytes.npy" "$(dict '<f4' False '(4611686018427387904,)')"
make_npy "$IN/huge.npy" "$(dict '<f4' False '(1000000000000, 1000)')"
make_npy "$IN/badheader.npy" "{'descr': '<f4', 'fortran_order': False}" ""
make_npy "$IN/version4.npy" "$(dict '<f4' False '(3,)')" "$F_2$F_1$F_01" 4
mkdir -p "$IN/adir.npy"

# ---- list ---------------------------------------------------------------------------------------
# The forward f32 variants: what the run checks below run on float32 files.
run_cmd list --op forward --dtype f32
if [[ $RC -eq 0 && $OUT == *max_shifted.scalar* && -z $ERR ]]; then
    pass "list --op forward --dtype f32 prints the variants (max_shifted.scalar among them)"
else
    fail "list --op forward --dtype f32 prints the variants" "exit $RC, stdout: $OUT, stderr: $ERR"
fi
LIST_TEXT=$OUT
# Variant rows: NAME ALGORITHM ISA TIER EXP AVAILABLE ...
mapfile -t NAMES < <(awk '$6 == "yes" || $6 == "no" { print $1 }' <<<"$LIST_TEXT")
mapfile -t AVAILABLE < <(awk '$6 == "yes" { print $1 }' <<<"$LIST_TEXT")
NON_SCALAR=$(awk '($6 == "yes" || $6 == "no") && $3 != "scalar" { print $1; exit }' <<<"$LIST_TEXT")
if [[ ${#NAMES[@]} -ge 1 ]]; then
    pass "list table has ${#NAMES[@]} variant rows (${#AVAILABLE[@]} available here)"
else
    fail "list table has variant rows" "$LIST_TEXT"
fi

run_cmd list --json --op forward --dtype f32
if [[ -z $PY ]]; then
    notice "no python3: list --json is not parsed"
elif [[ $RC -ne 0 ]]; then
    fail "list --json" "exit $RC: $ERR"
else
    names_text=$(printf '%s\n' "${NAMES[@]}")
    if msg=$("$PY" -c '
import json, sys
data = json.load(sys.stdin)
assert isinstance(data, list) and data, "not a non-empty array"
# max_ulp / max_ulp_log are null when the documented bound is infinite (no bound).
bound = (int, float, type(None))
need = {"name": str, "algorithm": str, "isa": str, "available": bool, "max_ulp": bound,
        "tier": str, "exp_kernel": str, "max_ulp_log": bound, "subnormal": str, "summary": str}
for v in data:
    for k, t in need.items():
        assert k in v, "missing key %r in %r" % (k, v)
        assert isinstance(v[k], t), "key %r has type %s" % (k, type(v[k]).__name__)
names = [v["name"] for v in data]
assert len(set(names)) == len(names), "duplicate names"
assert "max_shifted.scalar" in names, "max_shifted.scalar missing"
assert names == sys.argv[1].split("\n"), "JSON names differ from the table"
print(len(data))
' "$names_text" <<<"$OUT" 2>&1); then
        pass "list --json parses: $msg objects with the required keys, same names as the table"
    else
        fail "list --json parses with the required keys" "$msg"
    fi
fi

# list and list --json with no --op / --dtype: every registered variant, every op and dtype, in the
# same order, with the fields a script needs; --op and --dtype select; the forward f32 variants
# come first, as the scripts' registry order expects.
run_cmd list
ALL_TEXT=$OUT
ALL_RC=$RC
run_cmd list --json
if [[ -z $PY ]]; then
    notice "no python3: list --json (every op and dtype) is not parsed"
elif [[ $RC -ne 0 || $ALL_RC -ne 0 ]]; then
    fail "list / list --json (every op and dtype)" "exit $ALL_RC / $RC: $ERR"
else
    printf '%s\n' "$ALL_TEXT" >"$WORK/list_all.txt"
    printf '%s\n' "$LIST_TEXT" >"$WORK/list_f32.txt"
    printf '%s\n' "$OUT" >"$WORK/list_all.json"
    for sel in "--op backward" "--op cross_entropy" "--dtype bf16" "--op cross_entropy --dtype bf16" "--op forward --dtype f32"; do
        # shellcheck disable=SC2086
        "$BIN" list --json $sel >"$WORK/list_sel_${sel//[^a-z0-9]/_}.json" 2>>"$WORK/list_sel.err" || echo "$sel" >>"$WORK/list_sel.err"
    done
    if msg=$("$PY" - "$WORK" <<'PYEOF' 2>&1
import glob, json, sys
w = sys.argv[1]
data = json.load(open(w + "/list_all.json"))
table = [l.split() for l in open(w + "/list_all.txt") if len(l.split()) > 12 and l.split()[5] in ("yes", "no")]
f32 = [l.split()[0] for l in open(w + "/list_f32.txt") if len(l.split()) > 5 and l.split()[5] in ("yes", "no")]
names = [v["name"] for v in data]
assert names == [r[0] for r in table], "the table and the JSON list different variants"
assert len(set(names)) == len(names), "duplicate names"
ops = {v["op"] for v in data}
dtypes = {(v["op"], v["dtype"]) for v in data}
assert ops == {"forward", "backward", "cross_entropy"}, ops
for need in [("forward", "f32"), ("forward", "bf16"), ("forward", "bf16_f32"), ("backward", "f32"),
             ("cross_entropy", "f32"), ("cross_entropy", "bf16"), ("cross_entropy", "bf16_f32")]:
    assert need in dtypes, "no %s %s variant listed" % need
# The table's OP and DTYPE columns agree with the JSON.
for r, v in zip(table, data):
    assert (r[10], r[11]) == (v["op"], v["dtype"]), (r, v["op"], v["dtype"])
    assert r[9] == v["parallel"], (r, v["parallel"])
# The forward f32 variants first, as `--op forward --dtype f32` lists them.
assert names[:len(f32)] == f32, "the forward f32 variants are not listed first"
units = {"forward": ("softmax", "log_softmax"), "backward": ("softmax_backward", "log_softmax_backward"),
         "cross_entropy": ("loss", "gradient")}
bound = (int, float, type(None))
for v in data:
    for k, t in {"name": str, "op": str, "dtype": str, "isa": str, "tier": str, "exp_kernel": str,
                 "available": bool, "max_ulp": bound, "max_ulp_log": bound, "split_form": str,
                 "parallel": str, "bounds": dict, "accurate_max_ulp": bound}.items():
        assert isinstance(v.get(k), t), "%s: key %r missing or of type %s" % (v["name"], k, type(v.get(k)).__name__)
    b = v["bounds"]
    first, second = units[v["op"]]
    assert set(b) == {first, second}, (v["name"], b)
    assert b[first]["max"] == v["max_ulp"] and b[second]["max"] == v["max_ulp_log"], (v["name"], b)
    want = {"forward": "ulp_bf16" if v["dtype"] == "bf16" else "ulp", "backward": "k",
            "cross_entropy": "ulp"}[v["op"]]
    assert b[first]["unit"] == want, (v["name"], b)
    assert (v["split_form"] == "none") == (v["parallel"] == "rows"), (v["name"], v["split_form"], v["parallel"])
# The batch call cuts one long row of a SIMD backward and a fused SIMD cross-entropy: the list says so.
by = {v["name"]: v for v in data}
for n in ("backward.sse2", "ce_fused.sse2.poly6", "ce_fused.sse2.poly6.bf16"):
    assert by[n]["parallel"] == "rows+split" and by[n]["split_form"] == "one_pass", (n, by[n]["split_form"])
for n in ("ce_log_softmax.sse2", "online.sse2.bf16"):
    assert by[n]["parallel"] == "rows", (n, by[n]["parallel"])
# --op / --dtype select a part of the same list, in the same order.
for f in glob.glob(w + "/list_sel_*.json"):
    sel = json.load(open(f))
    part = [v["name"] for v in sel]
    assert part and part == [n for n in names if n in set(part)], f
    key = f.split("list_sel_")[1]
    if "op_backward" in key: assert {v["op"] for v in sel} == {"backward"}, key
    if "op_cross_entropy" in key: assert {v["op"] for v in sel} == {"cross_entropy"}, key
    if "dtype_bf16" in key: assert {v["dtype"] for v in sel} == {"bf16", "bf16_f32"}, key
    if "dtype_f32" in key: assert part == f32, key
print("%d variants, %d op/dtype pairs" % (len(data), len(dtypes)))
PYEOF
) && [[ ! -s $WORK/list_sel.err ]]; then
        pass "list / list --json: every op and dtype ($msg), same order and fields, bounds with units, the backward's and fused cross-entropy's split; --op / --dtype select"
    else
        fail "list / list --json list every op and dtype" "$msg $(cat "$WORK/list_sel.err" 2>/dev/null)"
    fi
fi
expect_error "list: no bf16 backward variants" 2 "no variant has --op backward and --dtype bf16" list --op backward --dtype bf16

# ---- run: worked example and basic behaviour ----------------------------------------------------
d=$WORK/ok
mkdir -p "$d"
run_cmd run --variant "$VAR" "$IN/example.npy" "$d/example.npy"
got=$(floats_of "$d/example.npy" 2>/dev/null | tr '\n' ' ')
if [[ $RC -eq 0 && -z $OUT && -z $ERR && $got == "0.659001 0.242433 0.098566 " ]]; then
    pass "run softmax [2.0, 1.0, 0.1] = 0.659001 0.242433 0.098566"
else
    fail "run softmax worked example" "exit $RC, got '$got', stderr: $ERR"
fi
if [[ $(header_of "$d/example.npy") == "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"* &&
      $(stat -c %s "$d/example.npy") -eq 140 ]]; then
    pass "output header is float32 C-order shape (3,), data at byte 128"
else
    fail "output header" "$(header_of "$d/example.npy")"
fi

run_cmd run --variant "$VAR" --log "$IN/example.npy" "$d/example_log.npy"
got=$(floats_of "$d/example_log.npy" 2>/dev/null | tr '\n' ' ')
if [[ $RC -eq 0 && $got == "-0.417030 -1.417030 -2.317030 " ]]; then
    pass "run --log [2.0, 1.0, 0.1] = -0.417030 -1.417030 -2.317030"
else
    fail "run --log worked example" "exit $RC, got '$got', stderr: $ERR"
fi

for v in v2 v3; do
    run_cmd run --variant "$VAR" "$IN/$v.npy" "$d/$v.out.npy"
    if [[ $RC -eq 0 ]] && cmp -s "$d/$v.out.npy" "$d/example.npy"; then
        pass "run reads format version ${v#v}.0"
    else
        fail "run reads format version ${v#v}.0" "exit $RC: $ERR"
    fi
done

run_cmd run --variant "$VAR" "$IN/m2x3.npy" "$d/m2x3.npy"
got=$(floats_of "$d/m2x3.npy" 2>/dev/null | tr '\n' ' ')
want="0.659001 0.242433 0.098566 0.731059 0.268941 0.000000 "
if [[ $RC -eq 0 && $got == "$want" && $(header_of "$d/m2x3.npy") == *"'shape': (2, 3), }"* ]]; then
    pass "run 2-D: softmax per row, -inf -> 0, shape (2, 3) kept"
else
    fail "run 2-D" "exit $RC, got '$got', want '$want', stderr: $ERR"
fi

run_cmd run --variant "$VAR" "$IN/allninf.npy" "$d/nan.npy"
got_nan=$(floats_of "$d/nan.npy" 2>/dev/null | tr '\n' ' ')
run_cmd run --variant "$VAR" --masked-safe "$IN/allninf.npy" "$d/masked.npy"
got_masked=$(floats_of "$d/masked.npy" 2>/dev/null | tr '\n' ' ')
if [[ $RC -eq 0 && ${got_nan,,} == *nan*nan* && $got_masked == "0.000000 0.000000 " ]]; then
    pass "all -inf row: NaN by default, 0 with --masked-safe"
else
    fail "all -inf row" "default '$got_nan', masked '$got_masked', stderr: $ERR"
fi

for e in empty1 empty2; do
    run_cmd run --variant "$VAR" "$IN/$e.npy" "$d/$e.npy"
    shape=$(header_of "$IN/$e.npy" | grep -o "'shape': ([0-9, ]*)")
    if [[ $RC -eq 0 && $(header_of "$d/$e.npy") == *"$shape"* ]]; then
        pass "run on an empty array keeps its shape ($shape)"
    else
        fail "run on empty array $e" "exit $RC: $ERR"
    fi
done

cp "$IN/example.npy" "$d/inplace.npy"
run_cmd run --variant "$VAR" "$d/inplace.npy" "$d/inplace.npy"
if [[ $RC -eq 0 ]] && cmp -s "$d/inplace.npy" "$d/example.npy"; then
    pass "INPUT and OUTPUT may be the same file"
else
    fail "in-place run" "exit $RC: $ERR"
fi

printf 'old contents\n' >"$d/replace.npy"
run_cmd run --variant "$VAR" "$IN/example.npy" "$d/replace.npy"
if [[ $RC -eq 0 ]] && cmp -s "$d/replace.npy" "$d/example.npy"; then
    pass "an existing OUTPUT is replaced on success"
else
    fail "existing OUTPUT replaced on success" "exit $RC: $ERR"
fi
tmp_left=$(ls -A "$d" | grep -v '\.npy$' || true)
if [[ -z $tmp_left ]] && ! ls -A "$d" | grep -q '^\.'; then
    pass "no temporary files left after the successful runs"
else
    fail "no temporary files after success" "$(ls -A "$d")"
fi

# Every available variant runs (sanity: the worked example to 3 decimals).
for v in "${AVAILABLE[@]}"; do
    run_cmd run --variant "$v" "$IN/example.npy" "$d/each.npy"
    got=$(floats_of "$d/each.npy" 2>/dev/null | awk '{ printf "%.3f ", $1 }')
    if [[ $RC -eq 0 && $got == "0.659 0.242 0.099 " ]]; then
        pass "run --variant $v on the worked example"
    else
        fail "run --variant $v" "exit $RC, got '$got', stderr: $ERR"
    fi
done

# ---- run --threads: shapes that really run more than one thread ---------------------------------
# src/core/batch.cpp runs rows in parallel only from kMinParallelElements = 16384 elements in all,
# and splits one row among threads only when rows < threads, the row has at least
# kMinSplitCols = 32768 elements and the variant has a split form (PARALLEL `rows+split` in
# `list`). Below those sizes --threads N runs one thread and a comparison proves nothing, so:
#   (64, 1000)  64000 elements, rows >= threads: row-parallel; bytes equal to 1 thread (README)
#   (65536,)    1 row, --threads 2: split;   (2, 40000), --threads 3: split (rows < threads).
# Split results may differ from 1 thread in the last bits (README, "Threads"): a split run must
# give the same bytes when repeated, and stay close to the 1-thread output (test_cli's NumPy part
# below holds both to the documented bound).
T=$WORK/threads
mkdir -p "$T"
# big_npy FILE SHAPE N SEED: a float32 .npy of N values ~ 4 * (sum of 12 uniforms - 6), from perl.
big_npy() {
    make_npy "$1" "$(dict '<f4' False "$2")" ""
    perl -e 'my ($n, $seed) = @ARGV; srand($seed); binmode STDOUT;
             for (1 .. $n) { my $s = -6; $s += rand() for 1 .. 12; print pack("f<", 4 * $s) }' \
        "$3" "$4" >>"$1"
}
big_npy "$T/rows.npy" '(64, 1000)' 64000 1
big_npy "$T/row.npy" '(65536,)' 65536 2
big_npy "$T/rows2.npy" '(2, 40000)' 80000 3
if [[ $(stat -c %s "$T/rows.npy") -eq $((128 + 4 * 64000)) ]] &&
   "$BIN" run --variant "$VAR" "$T/rows.npy" "$T/check.npy" 2>/dev/null; then
    pass "perl-written inputs of 64000, 65536 and 80000 float32 values read back"
else
    fail "perl-written inputs" "size $(stat -c %s "$T/rows.npy"), run: $(cat "$WORK/stderr")"
fi

# near_outputs A.npy B.npy BOUND: every output of A within 4 * BOUND + 4 float steps of B's (both
# within BOUND ULP of the exact value, one maybe in the binade below); BOUND inf (log_softmax of
# forms with no max): |a - b| <= 2 * 2^-20 (1 + |a|), twice the absolute contract. Outputs below
# FLT_MIN in both are skipped (the subnormal band has its own policy). Prints the worst ratio.
near_outputs() {
    perl -e '
        my ($fa, $fb, $bound) = @ARGV;
        sub data {
            open(my $h, "<:raw", $_[0]) or die "$_[0]: $!\n";
            local $/; my $d = <$h>;
            return substr($d, 10 + unpack("v", substr($d, 8, 2)));
        }
        my ($a, $b) = (data($fa), data($fb));
        die "sizes differ\n" if length($a) != length($b);
        my @fa = unpack("f<*", $a); my @fb = unpack("f<*", $b);
        my @ia = unpack("l<*", $a); my @ib = unpack("l<*", $b);
        my ($worst, $at) = (0, -1);
        for my $i (0 .. $#fa) {
            next if $ia[$i] == $ib[$i];
            my ($x, $y) = ($fa[$i], $fb[$i]);
            my $r;
            if ($x != $x || $y != $y) { $r = 9e99 }
            elsif ($bound eq "inf") { $r = abs($x - $y) / (2 * 2**-20 * (1 + abs($x))) }
            elsif (abs($x) < 1.1754944e-38 && abs($y) < 1.1754944e-38) { next }
            elsif (($x < 0) != ($y < 0)) { $r = 9e99 }
            else { $r = abs($ia[$i] - $ib[$i]) / (4 * $bound + 4) }
            ($worst, $at) = ($r, $i) if $r > $worst;
        }
        printf "worst %.3g of the tolerance (index %d)\n", $worst, $at;
        exit($worst <= 1 ? 0 : 1);' "$@"
}

bad=()
for v in "${AVAILABLE[@]}"; do
    for out in softmax log; do
        flag=()
        [[ $out == log ]] && flag=(--log)
        if ! "$BIN" run --variant "$v" "${flag[@]}" "$T/rows.npy" "$T/t1.npy" 2>"$WORK/stderr"; then
            bad+=("$v $out: $(cat "$WORK/stderr")")
            continue
        fi
        for t in 2 3; do
            "$BIN" run --variant "$v" "${flag[@]}" --threads "$t" "$T/rows.npy" "$T/t$t.npy" 2>/dev/null &&
                cmp -s "$T/t1.npy" "$T/t$t.npy" || bad+=("$v $out --threads $t")
        done
    done
done
if [[ ${#bad[@]} -eq 0 ]]; then
    pass "row-parallel (64 x 1000 = 64000 elements >= 16384): --threads 2 and 3 give the same bytes as 1 thread, every available variant (${#AVAILABLE[@]}), softmax and --log"
else
    fail "row-parallel --threads gives the same bytes as 1 thread" "$(printf '%s; ' "${bad[@]}")"
fi

# Variant rows of `list`: NAME ALGORITHM ISA TIER EXP AVAILABLE MAX_ULP MAX_ULP_LOG SUBNORMAL PARALLEL ...
mapfile -t SPLIT < <(awk '$6 == "yes" && $10 == "rows+split" { print $1, $7, $8 }' <<<"$LIST_TEXT")
bad=()
for line in "${SPLIT[@]}"; do
    read -r v bound bound_log <<<"$line"
    for out in softmax log; do
        flag=()
        b=$bound
        [[ $out == log ]] && flag=(--log) && b=$bound_log
        for spec in "row.npy 2" "rows2.npy 3"; do
            read -r f t <<<"$spec"
            if ! "$BIN" run --variant "$v" "${flag[@]}" "$T/$f" "$T/s1.npy" 2>/dev/null ||
               ! "$BIN" run --variant "$v" "${flag[@]}" --threads "$t" "$T/$f" "$T/sa.npy" 2>/dev/null ||
               ! "$BIN" run --variant "$v" "${flag[@]}" --threads "$t" "$T/$f" "$T/sb.npy" 2>/dev/null; then
                bad+=("$v $out $f: a run failed")
            elif ! cmp -s "$T/sa.npy" "$T/sb.npy"; then
                bad+=("$v $out $f --threads $t: two runs differ")
            elif ! msg=$(near_outputs "$T/sa.npy" "$T/s1.npy" "$b" 2>&1); then
                bad+=("$v $out $f --threads $t vs 1 thread: $msg")
            fi
            # Kept for the NumPy part: split.row.NAME[.log].npy, split.rows2.NAME[.log].npy
            suffix=""
            [[ $out == log ]] && suffix=.log
            mv -f "$T/sa.npy" "$T/split.${f%.npy}.$v$suffix.npy" 2>/dev/null
        done
    done
done
if [[ ${#SPLIT[@]} -eq 0 ]]; then
    notice "no available variant has a split form: the split-row checks are not exercised"
elif [[ ${#bad[@]} -eq 0 ]]; then
    pass "split rows (1 x 65536 --threads 2, 2 x 40000 --threads 3), every available rows+split variant (${#SPLIT[@]}), softmax and --log: repeatable bytes, within 4 x bound + 4 steps of 1 thread"
else
    fail "split rows" "$(printf '%s; ' "${bad[@]}")"
fi

# ---- run: every bad input fails cleanly ----------------------------------------------------------
expect_error "unknown variant (exit 2, suggests list)" 2 "softmaxbench list" \
    run --variant no.such.variant "$IN/example.npy" @OUT@
if [[ -n $NON_SCALAR ]]; then
    SOFTMAXBENCH_FORCE_ISA=scalar expect_error "variant not available ($NON_SCALAR with FORCE_ISA=scalar)" \
        1 "not available" run --variant "$NON_SCALAR" "$IN/example.npy" @OUT@
else
    notice "no non-scalar variant compiled: the 'variant not available' case is not exercised"
fi
expect_error "missing --variant (exit 2)" 2 "--variant" run "$IN/example.npy" @OUT@
expect_error "missing OUTPUT argument (exit 2)" 2 "output" run --variant "$VAR" "$IN/example.npy"
expect_error "missing input file" 1 "cannot open: No such file or directory" \
    run --variant "$VAR" "$IN/does_not_exist.npy" @OUT@
expect_error "input is a directory" 1 "is a directory" run --variant "$VAR" "$IN/adir.npy" @OUT@
expect_error "not an npy (text)" 1 "not a NumPy .npy file" run --variant "$VAR" "$IN/text.npy" @OUT@
expect_error "not an npy (empty file)" 1 "not a NumPy .npy file" \
    run --variant "$VAR" "$IN/zero_bytes.npy" @OUT@
expect_error "unsupported format version 4.0" 1 "unsupported .npy format version 4.0" \
    run --variant "$VAR" "$IN/version4.npy" @OUT@
expect_error "malformed header" 1 "malformed header: missing key 'shape'" \
    run --variant "$VAR" "$IN/badheader.npy" @OUT@
expect_error "truncated data (expected vs present bytes)" 1 "needs 24 bytes of float32 data, found 20" \
    run --variant "$VAR" "$IN/truncated.npy" @OUT@
expect_error "trailing bytes after the data" 1 "unexpected trailing bytes" \
    run --variant "$VAR" "$IN/trailing.npy" @OUT@
expect_error "wrong dtype <f8 (named in the message)" 1 "unsupported dtype '<f8'" \
    run --variant "$VAR" "$IN/f8.npy" @OUT@
expect_error "wrong dtype >f4 (big-endian)" 1 "unsupported dtype '>f4'" \
    run --variant "$VAR" "$IN/bigendian.npy" @OUT@
expect_error "Fortran order" 1 "Fortran-order" run --variant "$VAR" "$IN/fortran.npy" @OUT@
expect_error "0-d array" 1 "expected 1 or 2 dimensions" run --variant "$VAR" "$IN/d0.npy" @OUT@
expect_error "3-d array" 1 "expected 1 or 2 dimensions" run --variant "$VAR" "$IN/d3.npy" @OUT@
expect_error "shape whose element count overflows size_t" 1 "element count overflows size_t" \
    run --variant "$VAR" "$IN/overflow.npy" @OUT@
expect_error "shape whose byte size overflows size_t" 1 "byte size overflows size_t" \
    run --variant "$VAR" "$IN/overflow_bytes.npy" @OUT@
expect_error "huge shape, tiny file (no huge allocation)" 1 "truncated data" \
    run --variant "$VAR" "$IN/huge.npy" @OUT@
expect_error "--threads 0 (exit 2)" 2 "--threads must be between 1 and" \
    run --variant "$VAR" --threads 0 "$IN/example.npy" @OUT@
expect_error "--threads -3 (exit 2)" 2 "--threads" \
    run --variant "$VAR" --threads -3 "$IN/example.npy" @OUT@
expect_error "--threads not a number (exit 2)" 2 "--threads" \
    run --variant "$VAR" --threads many "$IN/example.npy" @OUT@
expect_error "output directory missing" 1 "does not exist" \
    run --variant "$VAR" "$IN/example.npy" @DIR@/no/such/dir/out.npy
expect_error "output is an existing directory" 1 "is a directory" \
    run --variant "$VAR" "$IN/example.npy" "$IN/adir.npy"
if [[ -d $IN/adir.npy && -z $(ls -A "$IN/adir.npy") ]]; then
    pass "the directory named as OUTPUT is left untouched"
else
    fail "the directory named as OUTPUT is left untouched" "$(ls -A "$IN/adir.npy")"
fi
SOFTMAXBENCH_FORCE_ISA=bogus expect_error "SOFTMAXBENCH_FORCE_ISA=bogus makes run fail" 1 \
    "SOFTMAXBENCH_FORCE_ISA='bogus'" run --variant "$VAR" "$IN/example.npy" @OUT@
expect_error "unknown command (exit 2)" 2 "unknown command 'frobnicate'" frobnicate
expect_error "no command (exit 2)" 2 "subcommand is required"

# An existing OUTPUT survives failed runs unchanged, and nothing else appears next to it.
d=$WORK/survive
mkdir -p "$d"
printf 'precious bytes\n' >"$d/out.npy"
cp "$d/out.npy" "$WORK/precious.copy"
ok=1
for bad in truncated f8 fortran d3 text overflow; do
    run_cmd run --variant "$VAR" "$IN/$bad.npy" "$d/out.npy"
    [[ $RC -ne 0 ]] || ok=0
done
run_cmd run --variant no.such "$IN/example.npy" "$d/out.npy"
[[ $RC -ne 0 ]] || ok=0
if [[ $ok -eq 1 ]] && cmp -s "$d/out.npy" "$WORK/precious.copy" && [[ $(ls -A "$d") == out.npy ]]; then
    pass "an existing OUTPUT survives failed runs unchanged, no temporaries beside it"
else
    fail "existing OUTPUT survives failed runs" "dir: $(ls -A "$d")"
fi

# ---- OUTPUT files: links, permissions, non-regular targets ---------------------------------------
# The example's expected bytes: $WORK/ok/example.npy (above).
o=$WORK/outputs
mkdir -p "$o/links" "$o/real"
ln -s ../real/y.npy "$o/links/rel.npy"
printf 'old\n' >"$o/real/y.npy"
run_cmd run --variant "$VAR" "$IN/example.npy" "$o/links/rel.npy"
if [[ $RC -eq 0 && -L $o/links/rel.npy && $(readlink "$o/links/rel.npy") == ../real/y.npy ]] &&
   cmp -s "$o/real/y.npy" "$WORK/ok/example.npy" && [[ $(ls -A "$o/links") == rel.npy && $(ls -A "$o/real") == y.npy ]]; then
    pass "a symlinked OUTPUT is written through: the link survives, its target (another directory) is replaced, no temporary in either"
else
    fail "symlinked OUTPUT" "exit $RC ($ERR); links: $(ls -lA "$o/links"); real: $(ls -A "$o/real")"
fi
ln -s "$o/real/new.npy" "$o/links/dangling.npy"
run_cmd run --variant "$VAR" "$IN/example.npy" "$o/links/dangling.npy"
if [[ $RC -eq 0 && -L $o/links/dangling.npy ]] && cmp -s "$o/real/new.npy" "$WORK/ok/example.npy"; then
    pass "a dangling symlink as OUTPUT: its target is created, the link kept"
else
    fail "dangling symlink OUTPUT" "exit $RC ($ERR); $(ls -lA "$o/links" "$o/real")"
fi

printf 'old\n' >"$o/mode.npy"
chmod 0604 "$o/mode.npy"
owner_note="(owner kept is not checked: not root)"
if [[ $(id -u) -eq 0 ]]; then
    chown 65534:65534 "$o/mode.npy"
    owner_note="and its owner and group (65534:65534)"
fi
want_owner=$(stat -c %u:%g "$o/mode.npy")
run_cmd run --variant "$VAR" "$IN/example.npy" "$o/mode.npy"
if [[ $RC -eq 0 && $(stat -c %a "$o/mode.npy") == 604 && $(stat -c %u:%g "$o/mode.npy") == "$want_owner" ]] &&
   cmp -s "$o/mode.npy" "$WORK/ok/example.npy"; then
    pass "a replaced OUTPUT keeps its permission bits (0604) $owner_note"
else
    fail "replaced OUTPUT keeps its mode" "exit $RC ($ERR); $(stat -c '%a %u:%g' "$o/mode.npy"), want 604 $want_owner"
fi

# expect_refused DESC NODE TEST PATTERN: `run` onto the existing NODE fails with one error line
# naming PATTERN, and NODE is still what `test TEST` says (-p FIFO, -S socket, -c device) with
# nothing beside it. Nodes live in the scratch directory: before the fix, they were replaced.
expect_refused() {
    local desc=$1 node=$2 kind=$3 pattern=$4
    run_cmd run --variant "$VAR" "$IN/example.npy" "$node"
    local others
    others=$(ls -A "$(dirname "$node")" | grep -vx "$(basename "$node")")
    if [[ $RC -eq 1 && $(wc -l <"$WORK/stderr") -eq 1 && $ERR == "softmaxbench: error: "*"$pattern"* ]] &&
       test "$kind" "$node" && [[ -z $others ]]; then
        pass "$desc [${ERR#softmaxbench: error: }]"
    else
        fail "$desc" "exit $RC, stderr: $ERR; $(ls -lA "$(dirname "$node")")"
    fi
}
mkdir -p "$o/fifo" "$o/sock" "$o/dev" "$o/tofifo"
mkfifo "$o/fifo/out.npy"
expect_refused "OUTPUT that is a FIFO is refused and left alone" "$o/fifo/out.npy" -p \
    "it is a FIFO (named pipe); only a regular file is replaced"
ln -s ../fifo/out.npy "$o/tofifo/link.npy"
expect_refused "OUTPUT that is a symlink to a FIFO is refused" "$o/tofifo/link.npy" -L "is a FIFO"
if perl -MSocket -e 'socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die; bind($s, pack_sockaddr_un($ARGV[0])) or die' \
       "$o/sock/out.npy" 2>/dev/null; then
    expect_refused "OUTPUT that is a socket is refused and left alone" "$o/sock/out.npy" -S \
        "it is a socket; only a regular file is replaced"
else
    notice "cannot create a UNIX socket file here: the socket OUTPUT case is not exercised"
fi
if mknod "$o/dev/null.npy" c 1 3 2>/dev/null; then
    expect_refused "OUTPUT that is a character device (a copy of /dev/null's node) is refused and left alone" \
        "$o/dev/null.npy" -c "it is a character device; only a regular file is replaced"
else
    notice "cannot create a device node here (mknod needs CAP_MKNOD): the device OUTPUT case is not exercised"
fi

# ---- a run stopped by SIGINT or SIGTERM leaves no temporary ---------------------------------------
# INPUT is a FIFO this script holds open after writing part of a preamble: the run has created
# OUTPUT's temporary (before reading INPUT) and is blocked reading the rest when the signal comes.
# env --default-signal undoes the SIGINT-ignore that bash gives background jobs.
if ! env --default-signal=INT true 2>/dev/null; then
    notice "env --default-signal is missing (coreutils < 8.31): the signal cases are not exercised"
else
    for sig in INT TERM; do
        s=$WORK/signal_$sig
        mkdir -p "$s/out"
        mkfifo "$s/in.npy"
        env --default-signal=INT,TERM "$BIN" run --variant "$VAR" "$s/in.npy" "$s/out/y.npy" \
            >"$s/stdout" 2>"$s/stderr" &
        pid=$!
        exec 3<>"$s/in.npy"  # read-write: never blocks, and keeps the FIFO open
        printf '\x93NUMPY\x01\x00' >&3
        tmp=""
        for _ in $(seq 200); do
            tmp=$(ls -A "$s/out")
            [[ -n $tmp ]] && break
            sleep 0.05
        done
        sleep 0.2  # let it block in read()
        kill -s "$sig" "$pid"
        wait "$pid"
        rc=$?
        exec 3>&-
        left=$(ls -A "$s/out")
        want=$((128 + $(kill -l "$sig")))
        if [[ -n $tmp && $rc -eq $want && -z $left ]]; then
            pass "SIG$sig while the run waits for INPUT (its temporary $tmp existed): killed by the signal (exit $rc), no temporary left"
        else
            fail "SIG$sig mid-run leaves no temporary" "temporary seen: '$tmp', exit $rc (want $want), left: '$left', stderr: $(cat "$s/stderr")"
        fi
    done
fi

# ---- unreadable directories are reported as such, not as missing ---------------------------------
# Permission bits do not stop root: as root, the binary runs under setpriv without
# CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so the bits apply to it as to any user.
u=$WORK/unreadable
mkdir -p "$u/locked/sub" "$u/open"
cp "$IN/example.npy" "$u/locked/in.npy"
printf 'old\n' >"$u/open/readonly.npy"
chmod 0444 "$u/open/readonly.npy"
chmod 000 "$u/locked"
UNPRIV=""
if [[ $(id -u) -ne 0 ]]; then
    UNPRIV=$BIN
elif command -v setpriv >/dev/null 2>&1 &&
     setpriv --bounding-set=-dac_override,-dac_read_search -- true 2>/dev/null &&
     ! setpriv --bounding-set=-dac_override,-dac_read_search -- test -x "$u/locked"; then
    UNPRIV=$WORK/unprivileged.sh
    printf '#!/bin/sh\nexec setpriv --bounding-set=-dac_override,-dac_read_search -- "%s" "$@"\n' "$BIN" >"$UNPRIV"
    chmod +x "$UNPRIV"
fi
if [[ -z $UNPRIV ]]; then
    notice "root, and setpriv cannot drop CAP_DAC_OVERRIDE here: the unreadable-directory cases are not exercised"
else
    BIN=$UNPRIV expect_error "OUTPUT under an unreadable directory: permission denied, not 'does not exist'" 1 \
        "Permission denied" run --variant "$VAR" "$IN/example.npy" "$u/locked/sub/out.npy"
    if [[ $ERR == *"does not exist"* ]]; then fail "unreadable OUTPUT directory not called missing" "$ERR"; fi
    BIN=$UNPRIV expect_error "OUTPUT in an unreadable directory: permission denied" 1 \
        "Permission denied" run --variant "$VAR" "$IN/example.npy" "$u/locked/out.npy"
    BIN=$UNPRIV expect_error "INPUT in an unreadable directory: permission denied, not 'No such file'" 1 \
        "cannot open: Permission denied" run --variant "$VAR" "$u/locked/in.npy" @OUT@
    BIN=$UNPRIV expect_error "a read-only OUTPUT is refused, as np.save would" 1 \
        "is not writable: Permission denied" run --variant "$VAR" "$IN/example.npy" "$u/open/readonly.npy"
    if printf 'old\n' | cmp -s - "$u/open/readonly.npy" && [[ $(ls -A "$u/open") == readonly.npy ]]; then
        pass "the read-only OUTPUT is unchanged, nothing beside it"
    else
        fail "the read-only OUTPUT is unchanged" "$(ls -lA "$u/open")"
    fi
fi
chmod 755 "$u/locked"

# ---- info, help, version ------------------------------------------------------------------------
run_cmd info
if [[ $RC -eq 0 && $OUT == *"dispatch isa"* && $OUT == *"best isa"* && $OUT == *"cpuid flags"* &&
      $OUT == *"softmaxbench version"* ]]; then
    pass "info runs and reports the ISA ($(grep 'dispatch isa' <<<"$OUT" | tr -s ' '))"
else
    fail "info" "exit $RC, stdout: $OUT, stderr: $ERR"
fi
SOFTMAXBENCH_FORCE_ISA=bogus run_cmd info
if [[ $RC -eq 0 && $(grep '^dispatch isa' <<<"$OUT") == *"error: SOFTMAXBENCH_FORCE_ISA='bogus'"* &&
      $OUT == *"SOFTMAXBENCH_FORCE_ISA"*bogus* ]]; then
    pass "info with SOFTMAXBENCH_FORCE_ISA=bogus shows the error as the dispatch line"
else
    fail "info with bad SOFTMAXBENCH_FORCE_ISA" "exit $RC, stdout: $OUT, stderr: $ERR"
fi
SOFTMAXBENCH_FORCE_ISA=scalar run_cmd info
if [[ $RC -eq 0 && $(grep '^dispatch isa' <<<"$OUT") == *scalar* ]]; then
    pass "info with SOFTMAXBENCH_FORCE_ISA=scalar shows dispatch isa scalar"
else
    fail "info with SOFTMAXBENCH_FORCE_ISA=scalar" "exit $RC, stdout: $OUT"
fi
run_cmd info --json
if [[ -z $PY ]]; then
    notice "no python3: info --json is not parsed"
elif msg=$("$PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in ("cpu", "isa", "build"):
    assert k in d, "missing " + k
assert d["isa"]["dispatch"] in ("scalar", "sse2", "avx2", "avx512"), d["isa"]
assert isinstance(d["cpu"]["cpuid"]["avx2"], bool) and isinstance(d["cpu"]["os_enabled"]["avx512"], bool)
assert d["build"]["version"]
print(d["isa"]["dispatch"])
' <<<"$OUT" 2>&1) && [[ $RC -eq 0 ]]; then
    pass "info --json parses (dispatch $msg)"
else
    fail "info --json parses" "exit $RC: $msg"
fi
if [[ -n $PY ]]; then
    SOFTMAXBENCH_FORCE_ISA=bogus run_cmd info --json
    if [[ $RC -eq 0 ]] && "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["isa"]["dispatch"] is None and "bogus" in d["isa"]["dispatch_error"]
assert d["isa"]["force_isa"] == "bogus"' <<<"$OUT" 2>/dev/null; then
        pass "info --json with SOFTMAXBENCH_FORCE_ISA=bogus: dispatch null, dispatch_error set"
    else
        fail "info --json with bad SOFTMAXBENCH_FORCE_ISA" "exit $RC: $OUT"
    fi
fi
SOFTMAXBENCH_FORCE_ISA=bogus expect_error "SOFTMAXBENCH_FORCE_ISA=bogus makes list fail" 1 \
    "SOFTMAXBENCH_FORCE_ISA='bogus'" list

run_cmd --help
if [[ $RC -eq 0 && -z $ERR && $OUT == *"Usage: softmaxbench"* && $OUT == *list* && $OUT == *run* &&
      $OUT == *info* && $OUT == *"Exit status"* ]]; then
    pass "--help lists the subcommands and the exit status"
else
    fail "--help" "exit $RC"
fi
for sub in list run info; do
    run_cmd "$sub" --help
    if [[ $RC -eq 0 && -z $ERR && $OUT == *"Usage: softmaxbench $sub"* ]]; then
        pass "$sub --help"
    else
        fail "$sub --help" "exit $RC, stderr: $ERR"
    fi
done
run_cmd run --help
if [[ $OUT == *--variant* && $OUT == *--log* && $OUT == *--masked-safe* && $OUT == *--threads* ]]; then
    pass "run --help documents --variant, --log, --masked-safe, --threads"
else
    fail "run --help documents its options" "$OUT"
fi
run_cmd --version
if [[ $RC -eq 0 && $OUT == "softmaxbench "[0-9]*" (git "*")" ]]; then
    pass "--version: $OUT"
else
    fail "--version" "exit $RC: $OUT"
fi

# ---- numerical cross-check against NumPy ---------------------------------------------------------
if [[ -z $NUMPY_PY && $REQUIRE_NUMPY == 1 ]]; then
    fail "NumPy is required here (SMB_REQUIRE_NUMPY=1)" \
        "none of \$PYTHON (${PYTHON:-unset}), python3, /usr/bin/python3 can import numpy"
elif [[ -z $NUMPY_PY ]]; then
    notice "NumPy not importable: the cross-check against NumPy is skipped (SMB_REQUIRE_NUMPY=1 makes this a failure)"
else
    n=$WORK/numpy
    mkdir -p "$n"
    "$NUMPY_PY" -c '
import numpy as np, sys
d = sys.argv[1]
rng = np.random.default_rng(12345)
x = (rng.standard_normal((37, 1031)) * 4).astype(np.float32)
np.save(d + "/x2d.npy", x)
np.save(d + "/x1d.npy", x[5])
np.save(d + "/f8.npy", x.astype(np.float64))
np.save(d + "/fortran.npy", np.asfortranarray(x))
np.save(d + "/x3d.npy", x[:36].reshape(4, 9, 1031))
' "$n"
    compare() {  # compare OUT.npy INPUT.npy softmax|log RELTOL
        "$NUMPY_PY" -c '
import numpy as np, sys
y = np.load(sys.argv[1]); x = np.load(sys.argv[2]).astype(np.float64); kind = sys.argv[3]
tol = float(sys.argv[4])
assert y.dtype == np.float32 and y.shape == x.shape, (y.dtype, y.shape, x.shape)
m = x.max(axis=-1, keepdims=True)
if kind == "softmax":
    e = np.exp(x - m); r = e / e.sum(axis=-1, keepdims=True)
else:
    r = (x - m) - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
err = np.abs(y.astype(np.float64) - r) / np.maximum(np.abs(r), np.finfo(np.float32).tiny)
worst = err.max()
print("max rel err %.3g" % worst)
sys.exit(0 if worst <= tol else 1)
' "$@"
    }
    for f in x2d x1d; do
        run_cmd run --variant "$VAR" "$n/$f.npy" "$n/$f.out.npy"
        if [[ $RC -eq 0 ]] && msg=$(compare "$n/$f.out.npy" "$n/$f.npy" softmax 1e-6 2>&1); then
            pass "NumPy-written $f: softmax equals NumPy's stable softmax to 1e-6 relative ($msg)"
        else
            fail "NumPy $f softmax" "exit $RC, $ERR $msg"
        fi
        run_cmd run --variant "$VAR" --log "$n/$f.npy" "$n/$f.log.npy"
        if [[ $RC -eq 0 ]] && msg=$(compare "$n/$f.log.npy" "$n/$f.npy" log 1e-6 2>&1); then
            pass "NumPy-written $f: --log equals NumPy's log-softmax to 1e-6 relative ($msg)"
        else
            fail "NumPy $f log-softmax" "exit $RC, $ERR $msg"
        fi
    done
    run_cmd run --variant "$VAR" --threads 3 "$n/x2d.npy" "$n/x2d.t3.npy"
    if [[ $RC -eq 0 ]] && cmp -s "$n/x2d.t3.npy" "$n/x2d.out.npy"; then
        pass "NumPy 2-D input (37 x 1031 = 38147 elements, row-parallel): --threads 3 gives the same bytes"
    else
        fail "NumPy 2-D --threads 3" "exit $RC: $ERR"
    fi
    if "$NUMPY_PY" -c '
import numpy as np, sys
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
assert a.dtype == np.float32 and a.shape == (37, 1031) and np.array_equal(a, b)
' "$n/x2d.out.npy" "$n/x2d.t3.npy" 2>/dev/null; then
        pass "NumPy loads softmaxbench output (float32, shape (37, 1031))"
    else
        fail "NumPy loads softmaxbench output"
    fi
    # Every available variant, through the CLI, within its documented ULP bound (outputs >= FLT_MIN;
    # an infinite max_ulp_log: the absolute contract |y - exact| <= 2^-20 (1 + |exact|)): on x2d
    # with 1 thread, and the split runs of the threads section (every rows+split variant with more
    # threads than rows: 1 x 65536 --threads 2, 2 x 40000 --threads 3).
    ok=1
    for v in "${AVAILABLE[@]}"; do
        "$BIN" run --variant "$v" "$n/x2d.npy" "$n/all.$v.npy" 2>"$WORK/stderr" || ok=0
        "$BIN" run --variant "$v" --log "$n/x2d.npy" "$n/all.$v.log.npy" 2>"$WORK/stderr" || ok=0
    done
    if [[ $ok -eq 1 ]] && msg=$("$BIN" list --json | "$NUMPY_PY" -c '
import json, os, sys, numpy as np
variants = [v for v in json.load(sys.stdin) if v["available"]]
bad, worst_all, checked = [], 0.0, 0
expected = int(sys.argv[1])
for pair in sys.argv[2:]:
    xfile, prefix = pair.split("=")
    x = np.load(xfile).astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
    refs = {"softmax": np.exp(x - m - lse), "log": x - m - lse}
    for v in variants:
        for kind, key, suffix in (("softmax", "max_ulp", ""), ("log", "max_ulp_log", ".log")):
            out = "%s.%s%s.npy" % (prefix, v["name"], suffix)
            if not os.path.exists(out):
                continue
            checked += 1
            y = np.load(out).astype(np.float64)
            r = refs[kind]
            bound = v[key]
            if bound is None:
                err = (np.abs(y - r) / (2.0**-20 * (1 + np.abs(r)))).max()
                bound, unit = 1.0, "of the absolute bound"
            else:
                sel = np.abs(r) >= np.finfo(np.float32).tiny
                ulp = np.exp2(np.floor(np.log2(np.abs(r[sel]))) - 23)
                err = (np.abs(y[sel] - r[sel]) / ulp).max()
                unit = "ulp"
            worst_all = max(worst_all, err / bound)
            if not err <= bound * (1 + 1e-6):
                bad.append("%s %s %s: %.3g %s > %g" % (os.path.basename(prefix), v["name"], kind, err, unit, bound))
if checked != expected:
    bad.append("%d output files checked, expected %d" % (checked, expected))
print("; ".join(bad) if bad else "%d outputs, worst error / bound = %.3f" % (checked, worst_all))
sys.exit(1 if bad else 0)
 ' $((2 * ${#AVAILABLE[@]} + 4 * ${#SPLIT[@]})) "$n/x2d.npy=$n/all" "$T/row.npy=$T/split.row" "$T/rows2.npy=$T/split.rows2" 2>&1); then
        pass "every available variant (${#AVAILABLE[@]}; split rows: ${#SPLIT[@]} rows+split variants with more threads than rows) within its documented bound vs NumPy ($msg)"
    else
        fail "every available variant within its documented bounds vs NumPy" "$msg"
    fi

    expect_error "NumPy float64 file rejected" 1 "unsupported dtype '<f8'" \
        run --variant "$VAR" "$n/f8.npy" @OUT@
    expect_error "NumPy Fortran-order file rejected" 1 "Fortran-order" \
        run --variant "$VAR" "$n/fortran.npy" @OUT@
    expect_error "NumPy 3-d file rejected" 1 "3-d array of shape (4, 9, 1031)" \
        run --variant "$VAR" "$n/x3d.npy" @OUT@
fi

harness_finish
