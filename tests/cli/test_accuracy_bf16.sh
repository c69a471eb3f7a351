#!/usr/bin/env bash
# End-to-end checks of the bf16 part of `softmaxbench accuracy` (<stem>-bf16.csv; ~5 s).
#
#   bash tests/cli/test_accuracy_bf16.sh <path-to-softmaxbench> <scratch-dir>
#
# The file's header and one line per case; the status column against the bound: a row whose
# max_ulp exceeds its bound must say fail (and a pass row must be within it), and the exit code
# must agree with the status column (non-zero exactly when a row fails); the accurate tier's
# correctly rounded share; an f32-only --variants list writes no bf16 file.
# Prints one line per check and finally "N passed, M failed"; exits non-zero on any failure.
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "<path-to-softmaxbench> <scratch-dir>" "$@"
BIN=$1
WORK=$2
require_exec "$BIN"
unset SOFTMAXBENCH_FORCE_ISA SOFTMAXBENCH_TUNING
export LC_ALL=C
rm -rf -- "$WORK"
mkdir -p -- "$WORK/home"
export HOME=$WORK/home
export XDG_CONFIG_HOME=$WORK/home/.config

# The scalar bf16 rows run everywhere; add the widest available fast and accurate ones.
VARIANTS=online.scalar.accurate.bf16,online.scalar.accurate.bf16_f32
run_cmd list --dtype bf16
for isa in avx512 avx2; do
    if [[ $RC -eq 0 ]] && grep -Eq "^online\.$isa\.bf16 +online +$isa +fast +[a-z0-9_]+ +yes " <<<"$OUT"; then
        VARIANTS=$VARIANTS,online.$isa.bf16,online.$isa.accurate.bf16,online.$isa.bf16_f32
        break
    fi
done
NV=$(tr ',' '\n' <<<"$VARIANTS" | wc -l)

ACC=$WORK/acc.csv
BF=$WORK/acc-bf16.csv
run_cmd accuracy --quick --variants "$VARIANTS,max_shifted.scalar" --distributions normal_1,ties,offset_1e4 \
    --out "$ACC" --threads 2
ACC_RC=$RC
if [[ -s $BF ]]; then
    pass "accuracy writes acc-bf16.csv beside acc.csv ($VARIANTS)"
else
    fail "accuracy writes acc-bf16.csv" "exit $RC, stderr: $ERR"
fi

HEADER='variant,isa,tier,dtype,op,distribution,n,unit,bound,max_ulp,band,correctly_rounded,frac_correctly_rounded,status,detail'
check "bf16 CSV header has the documented columns" '[[ $(head -n 1 "$BF" 2>/dev/null) == "$HEADER" ]]' \
    "$(head -n 1 "$BF" 2>/dev/null)"

want_lines=$((NV * 2 * 3 * 15))
got_lines=$(($(wc -l <"$BF" 2>/dev/null || echo 1) - 1))
check "bf16 CSV has one line per case ($NV variants x 2 outputs x 3 distributions x 15 sizes = $want_lines)" \
    '[[ $got_lines -eq $want_lines ]]' "got $got_lines lines"

# Column 8 unit by dtype; column 14 status against max_ulp (10) and bound (9): over the bound must
# be fail, pass must be within it; the accurate tier's bf16 rows correctly rounded >= 99.99 %.
bad=$(awk -F, 'NR > 1 {
    if (($4 == "bf16") != ($8 == "bf16_ulp") || ($4 == "bf16_f32") != ($8 == "f32_ulp")) print "unit: " $0
    over = ($10 == "nan" || $10 == "inf" || $10 + 0 > $9 + 0)
    if (over && $14 != "fail") print "over the bound but " $14 ": " $0
    if ($14 == "pass" && over) print "pass over the bound: " $0
    if ($14 != "pass" && $14 != "fail" && $14 != "out_of_domain") print "status: " $0
    if ($4 == "bf16" && $3 == "accurate") { band += $11; cr += $12 }
    if ($14 == "fail") fails++
} END {
    if (band == 0 || cr < 0.9999 * band) print "accurate tier correctly rounded " cr " of " band
    print "FAILS " fails + 0
}' "$BF" 2>/dev/null)
fails=$(sed -n 's/^FAILS //p' <<<"$bad")
bad=$(grep -v '^FAILS ' <<<"$bad")
check "every row's status agrees with max_ulp against its bound; accurate bf16 >= 99.99 % correctly rounded" \
    '[[ -s $BF && -z $bad ]]' "$(head -n 3 <<<"$bad")"
# The exit code follows the status column: non-zero exactly when a row failed (a variant over
# its bound fails the command).
if [[ ${fails:-0} -gt 0 ]]; then
    check "a failed bf16 row fails the command" '[[ $ACC_RC -ne 0 ]] && grep -q "bf16 cases failed" <<<"$ERR"' \
        "exit $ACC_RC with $fails failed rows"
else
    check "no failed bf16 row: the command exits 0" '[[ $ACC_RC -eq 0 ]]' "exit $ACC_RC, stderr: $ERR"
fi
check "stdout has the one bf16 summary line with the case count" \
    'grep -q "^bf16: $want_lines cases ($NV variants" <<<"$OUT"' "$(grep '^bf16' <<<"$OUT")"

# f32 variants only: no bf16 file.
run_cmd accuracy --quick --variants max_shifted.scalar --distributions normal_1 --out "$WORK/f32/acc.csv"
check "an f32-only --variants list writes no bf16 CSV" '[[ $RC -eq 0 && ! -e $WORK/f32/acc-bf16.csv ]]' \
    "exit $RC"

harness_finish
