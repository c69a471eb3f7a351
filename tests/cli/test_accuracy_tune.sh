#!/usr/bin/env bash
# End-to-end checks of `softmaxbench accuracy` and `softmaxbench tune` (~15 s).
#
#   bash tests/cli/test_accuracy_tune.sh <path-to-softmaxbench> <scratch-dir>
#
# Needs bash, coreutils and the binary; python3, when present, parses the JSON files (without it
# those checks are skipped with a notice). Never touches the real tuning file: HOME and
# XDG_CONFIG_HOME point into the scratch directory.
# Prints one line per check and finally "N passed, M failed"; exits non-zero on any failure.
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
cli_setup home "$@"
unset SOFTMAXBENCH_TUNING
export HOME=$WORK/home
export XDG_CONFIG_HOME=$WORK/home/.config


PY=$(find_python)

# ---- which variants: skip AVX-512 ones this machine cannot run -----------------------------------
VARIANTS=max_shifted.scalar,naive.scalar
run_cmd list --json
if [[ $RC -eq 0 ]] && grep -q '"name": "online.avx512", [^}]*"available": true' <<<"$OUT"; then
    VARIANTS=max_shifted.scalar,online.avx512,naive.scalar
else
    notice "online.avx512 is not available here: accuracy runs without it"
fi
NV=$(tr ',' '\n' <<<"$VARIANTS" | wc -l)

# ---- accuracy --quick ---------------------------------------------------------------------------
ACC=$WORK/acc.csv
start=$SECONDS
run_cmd accuracy --quick --variants "$VARIANTS" --distributions normal_1,offset_1e4 --out "$ACC"
if [[ $RC -eq 0 && -s $ACC ]]; then
    pass "accuracy --quick ($VARIANTS on normal_1, offset_1e4) exits 0 in $((SECONDS - start)) s"
else
    fail "accuracy --quick exits 0 and writes the CSV" "exit $RC, stderr: $ERR"
fi

HEADER='variant,isa,tier,exp_kernel,output,distribution,n,bound,max_ulp,mean_ulp,p999_ulp,frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,sum_error,higham_normwise,normwise_inf,x_range,worst_index,worst_x,worst_y,worst_exact,status'
if [[ -f $ACC && $(head -n 1 "$ACC") == "$HEADER" ]]; then
    pass "CSV header has the documented columns"
else
    fail "CSV header" "$(head -n 1 "$ACC" 2>/dev/null)"
fi

want_lines=$((NV * 2 * 2 * 15))
got_lines=$(($(wc -l <"$ACC" 2>/dev/null || echo 1) - 1))
if [[ $got_lines -eq $want_lines ]]; then
    pass "CSV has one line per case ($NV variants x 2 outputs x 2 distributions x 15 sizes = $want_lines)"
else
    fail "CSV case count" "got $got_lines lines, want $want_lines"
fi

# Columns: 1 variant, 5 output, 6 distribution; status is the last (NF).
naive_offset=$(awk -F, '$1 == "naive.scalar" && $6 == "offset_1e4"' "$ACC" 2>/dev/null | wc -l)
naive_offset_ood=$(awk -F, '$1 == "naive.scalar" && $6 == "offset_1e4" && $NF == "out_of_domain"' "$ACC" 2>/dev/null | wc -l)
if [[ $naive_offset -eq 30 && $naive_offset_ood -eq 30 ]]; then
    pass "every naive.scalar row on offset_1e4 is out_of_domain ($naive_offset_ood/$naive_offset)"
else
    fail "naive.scalar on offset_1e4 is out_of_domain" "$naive_offset_ood of $naive_offset rows"
fi
others=$(awk -F, 'NR > 1 && !($1 == "naive.scalar" && $6 == "offset_1e4") && $NF != "pass"' "$ACC" 2>/dev/null | head -n 3)
if [[ -z $others ]]; then
    pass "every other case passes"
else
    fail "every other case passes" "$others"
fi
if grep -q '^max_shifted.scalar,scalar,fast,libm_double,softmax,offset_1e4,65537,1.5,' "$ACC"; then
    pass "max_shifted.scalar on offset_1e4 n=65537 is in the CSV with its bound 1.5"
else
    fail "max_shifted.scalar offset_1e4 row" "$(grep -m1 '^max_shifted.scalar' "$ACC")"
fi

if [[ $OUT == *"naive.scalar"*"out of domain"* && $OUT == *"max_shifted.scalar"* && $OUT == *"wrote $ACC"* ]]; then
    pass "summary lists the variants and the files"
else
    fail "summary on stdout" "$OUT"
fi

SPECIAL=$WORK/acc-special.csv
if [[ -f $SPECIAL && $(head -n 1 "$SPECIAL") == "variant,case,output,masked_safe,pass,detail" &&
      $(($(wc -l <"$SPECIAL") - 1)) -eq $((NV * 32)) ]] && ! awk -F, 'NR > 1 && $5 != "true"' "$SPECIAL" | grep -q .; then
    pass "special-value CSV beside it: $((NV * 32)) rows, all passing"
else
    fail "special-value CSV" "$(head -n 3 "$SPECIAL" 2>/dev/null)"
fi

left=$(ls -A "$WORK" | grep -E '^\.|\.tmp' || true)
if [[ -z $left ]]; then
    pass "no temporary files left beside the outputs"
else
    fail "no temporary files left" "$left"
fi

if [[ -z $PY ]]; then
    notice "no python3: accuracy JSON not parsed"
elif msg=$("$PY" - "$WORK/acc.json" "$want_lines" "$NV" <<'EOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
meta = d["meta"]
for k in ("machine_id", "cpu_model", "git_commit", "date", "mode", "dispatch_isa"):
    assert isinstance(meta.get(k), str) and meta[k], "meta.%s missing" % k
assert meta["mode"] == "quick", meta["mode"]
assert len(d["cases"]) == int(sys.argv[2]), "cases: %d" % len(d["cases"])
c = d["cases"][0]
for k in ("variant", "output", "distribution", "n", "bound", "max_ulp", "p999_ulp", "higham_normwise", "normwise_inf", "x_range", "status"):
    assert k in c, "case key %s missing" % k
# x_range: max - min of the row's logits, one value per (distribution, n) whatever the variant;
# 0 for one logit, positive for several N(0, 1) logits
ranges = {}
for c in d["cases"]:
    r = c["x_range"]
    assert isinstance(r, (int, float)) and r >= 0, c
    assert r == 0 if c["n"] == 1 else (r > 0 or c["distribution"] != "normal_1"), c
    assert ranges.setdefault((c["distribution"], c["n"]), r) == r, c
    # ||y - r||_inf / ||r||_inf: within the documented ULP bound's relative error (2^-23 per ULP)
    if c["status"] == "pass" and c["output"] == "softmax":
        assert 0 <= c["normwise_inf"] <= c["bound"] * 2.0**-23, c
sp = d["special"]
assert len(sp) == 32 * int(sys.argv[3]), "special: %d" % len(sp)
for k in ("variant", "case", "output", "masked_safe", "pass", "detail"):
    assert k in sp[0], "special key %s missing" % k
assert all(s["pass"] for s in sp)
print("%d cases, %d special, machine %s" % (len(d["cases"]), len(sp), meta["machine_id"]))
EOF
); then
    pass "accuracy JSON parses with meta, cases and special ($msg)"
else
    fail "accuracy JSON" "$msg"
fi

# ---- accuracy usage errors ----------------------------------------------------------------------
# expect_error (tests/lib/harness.sh): exit 2, one "softmaxbench: error: " line naming it, no
# stdout, nothing written to the output's directory.
expect_error "accuracy --variants nope: usage error naming it" 2 "unknown variant 'nope'" \
    accuracy --variants nope --out @DIR@/a.csv
expect_error "accuracy --distributions with an unknown name: usage error" 2 "unknown distribution 'nope_dist'" \
    accuracy --distributions normal_1,nope_dist --out @DIR@/a.csv

# ---- tune ---------------------------------------------------------------------------------------
TUNE=$WORK/tuning.json
start=$SECONDS
run_cmd tune --budget 6 --no-install --out "$TUNE"
took=$((SECONDS - start))
if [[ $RC -eq 0 && -s $TUNE && $OUT == *CLASS*FAST*ACCURATE* && $OUT == *"wrote $TUNE"* && $took -le 12 ]]; then
    pass "tune --budget 6 --no-install writes the table in $took s"
else
    fail "tune --budget 6" "exit $RC, ${took} s, stdout: $OUT, stderr: $ERR"
fi
# Progress on stderr: "tune: [k/N] WHAT, P% of the work, T elapsed, ETA R", k rising, N fixed.
if awk '
    /^tune: \[[0-9]+\/[0-9]+\] / {
        split(substr($2, 2, length($2) - 2), kn, "/")
        if (!($0 ~ /, [0-9]+% of the work, [0-9.]+ s elapsed, ETA ([0-9.]+ s|[0-9]+m[0-9][0-9]s)$/)) { print "bad line: " $0; bad = 1 }
        if (n != "" && kn[2] != n) { print "N changed: " $0; bad = 1 }
        if (kn[1] + 0 <= k + 0 || kn[1] + 0 > kn[2] + 0) { print "k not rising within N: " $0; bad = 1 }
        n = kn[2]; k = kn[1]; lines++
    }
    END { if (lines < 10) { print lines " progress lines"; bad = 1 }; exit bad }' "$WORK/stderr" > "$WORK/progress" 2>&1; then
    pass "tune prints progress lines [k/N] with ETA on stderr ($(grep -c '^tune: \[' "$WORK/stderr") lines)"
else
    fail "tune progress lines" "$(head -5 "$WORK/progress"; head -3 "$WORK/stderr")"
fi
# The split thresholds: measured first (2+ cores), into the table, or listed as skipped.
if [[ $(nproc 2>/dev/null || echo 1) -lt 2 ]]; then
    notice "one core: no split thresholds to measure"
elif grep -q '"split": {"threads": 2, "variant": "[a-z_0-9.]*", "min_split_cols": [0-9]*' "$TUNE" \
     || [[ $OUT == *"skipped: split threshold"* ]]; then
    pass "tune measures the split thresholds into the table, or lists them as skipped"
else
    fail "tune split thresholds" "$(head -12 "$TUNE"; echo "$OUT" | tail -4)"
fi
if [[ -z $(ls -A "$HOME") && $OUT != *installed* ]]; then
    pass "--no-install leaves the config directory alone"
else
    fail "--no-install" "$(ls -AR "$HOME")"
fi
if [[ -z $PY ]]; then
    notice "no python3: tuning JSON not parsed"
elif msg=$("$PY" - "$TUNE" <<'EOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("machine_id", "cpu_model", "git_commit", "date"):
    assert isinstance(d[k], str), k
e = d["entries"]
assert e, "no entries"
for x in e:
    assert x["tier"] in ("fast", "accurate") and x["threads"] >= 1 and x["cols_min"] <= x["cols_max"], x
    assert x["items_per_second"] > 0, x
    if x["tier"] == "accurate":
        assert x["max_ulp"] <= 1.0, x
assert e[0]["cols_min"] == 1
print("%d entries" % len(e))
EOF
); then
    pass "tuning JSON is valid ($msg, the first class measured)"
else
    fail "tuning JSON" "$msg"
fi

run_cmd info --machine-id
MID=$OUT

# An emulated target: under SOFTMAXBENCH_FORCE_ISA=sse2 (below this CPU's best ISA) the table
# says so, and its default paths carry -emulated-sse2 (results folder and installed file).
run_cmd info --json
if [[ $OUT == *'"best": "sse2"'* || $OUT == *'"best": "scalar"'* ]]; then
    notice "this CPU's best ISA is sse2 or below: no emulated target to tune"
else
    mkdir -p "$WORK/cwd"
    bin_abs=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    (cd "$WORK/cwd" && SOFTMAXBENCH_FORCE_ISA=sse2 "$bin_abs" tune --budget 2 > "$WORK/stdout" 2> "$WORK/stderr")
    RC=$?
    OUT=$(cat "$WORK/stdout")
    table=$WORK/cwd/results/$MID-emulated-sse2/tuning.json
    installed=$XDG_CONFIG_HOME/softmaxbench/tuning-$MID-emulated-sse2.json
    if [[ $RC -eq 0 && -s $table && -s $installed ]] && cmp -s "$table" "$installed" \
       && grep -q '"target_isa": "sse2"' "$table" && ! grep -q '"variant": "[a-z_]*\.avx' "$table"; then
        pass "tune under SOFTMAXBENCH_FORCE_ISA=sse2: an emulated sse2 table in results/$MID-emulated-sse2/, installed as tuning-$MID-emulated-sse2.json"
    else
        fail "tune for an emulated sse2 target" "exit $RC; $(ls -R "$WORK/cwd" "$XDG_CONFIG_HOME" 2>&1 | tr '\n' ' '); $(head -8 "$table" 2>&1)"
    fi
    # That table steers only a process under the same cap.
    SOFTMAXBENCH_TUNING=$installed run_cmd info
    line=$(grep '^auto picks from' <<<"$OUT" | head -n 1)
    if [[ $line == *"not using"*"emulated sse2 target"* ]]; then
        pass "a native process does not use the emulated sse2 table"
    else
        fail "a native process and the emulated table" "$line"
    fi
    rm -rf -- "$XDG_CONFIG_HOME/softmaxbench"
fi
run_cmd info
if [[ $RC -eq 0 && -n $MID && $(grep '^machine id' <<<"$OUT") == *"$MID"* ]]; then
    pass "info shows the machine id ($MID)"
else
    fail "info shows the machine id" "$OUT"
fi
run_cmd info --json
if [[ $RC -eq 0 && $OUT == *"\"machine_id\": \"$MID\""* ]]; then
    pass "info --json has machine_id"
else
    fail "info --json has machine_id" "$OUT"
fi

SOFTMAXBENCH_TUNING=$TUNE run_cmd info
# info always prints the tuning source auto uses: "auto picks from   <source>".
line=$(grep '^auto picks from' <<<"$OUT" | head -n 1)
if [[ -z $line ]]; then
    fail "info reports SOFTMAXBENCH_TUNING's table as used" "no 'auto picks from' line: $OUT"
elif [[ $line == *"$TUNE"* && ${line,,} != *"not using"* && ${line,,} != *"none"* ]]; then
    pass "info reports SOFTMAXBENCH_TUNING's table as used [$(tr -s ' ' <<<"$line")]"
else
    fail "info reports SOFTMAXBENCH_TUNING's table as used" "$line"
fi

harness_finish
