#!/usr/bin/env bash
# End-to-end test of the plot and report scripts on a small REAL run (no fabricated numbers):
#
#   bash tests/scripts/test_report.sh BUILD_DIR SCRATCH_DIR        (ctest: test_report)
#
# Runs scripts/bench.sh --bin BUILD_DIR/bench/softmax_bench on 1x64 and 1x4096 (max_shifted
# scalar and AVX2, the peers, memcpy) with a tiny min time, checking its progress lines (also
# with repetitions) and that a failing benchmark binary fails it; `BUILD_DIR/softmaxbench
# accuracy` on three scalar variants and one distribution (exit 0 expected: every case within
# its bound); then every scripts/plot_*.py and scripts/make_report.py
# through scripts/pyrun.sh, and checks the PNGs (signature, IHDR size), REPORT.md (tables,
# metadata, figure links, BibTeX, the claims section: claim 4 measured, the others not run),
# that running every generator again gives byte-identical
# files, make_report.py --readme on a scratch README (the block between the marker lines
# replaced, the claims link, the same bytes when run twice, a README without exactly one begin and one end
# marker line rejected), the error path on malformed input, and pyrun.sh without a usable
# Python.
# Prints one line per check and finally "N passed, M failed"; exits non-zero on any failure.
set -u

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "BUILD_DIR SCRATCH_DIR" "$@"
BUILD=$1
WORK=$2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_BIN="$BUILD/bench/softmax_bench"
CLI="$BUILD/softmaxbench"
for b in "$BENCH_BIN" "$CLI"; do
  require_exec "$b" "build it first"
done
unset SOFTMAXBENCH_FORCE_ISA
export LC_ALL=C
rm -rf -- "$WORK"
RES="$WORK/res"
mkdir -p -- "$RES" "$WORK/bad" "$WORK/empty"

pyrun() { bash "$ROOT/scripts/pyrun.sh" "$@"; }

# png_ok FILE: PNG signature and IHDR width/height > 100.
png_ok() {
  local f=$1 sig dims w h
  [[ -s $f ]] || return 1
  sig=$(od -An -tx1 -N8 "$f" | tr -d ' \n')
  [[ $sig == 89504e470d0a1a0a ]] || return 1
  [[ $(od -An -c -j12 -N4 "$f" | tr -d ' \n') == IHDR ]] || return 1
  read -r -a dims <<< "$(od -An -tu1 -j16 -N8 "$f")"
  w=$(( (dims[0] << 24) | (dims[1] << 16) | (dims[2] << 8) | dims[3] ))
  h=$(( (dims[4] << 24) | (dims[5] << 16) | (dims[6] << 8) | dims[7] ))
  (( w > 100 && h > 100 ))
}

# run_plot NAME ARGS...: runs a plot script, checks exit 0 and every PNG path it prints.
PNGS=()
run_plot() {
  local name=$1 out rc line n=0
  shift
  out=$(pyrun "$ROOT/scripts/$name" "$@" 2>"$WORK/stderr"); rc=$?
  check "$name $* exits 0" "[[ $rc -eq 0 ]]" "$(head -c 500 "$WORK/stderr")"
  while IFS= read -r line; do
    [[ $line == *.png ]] || continue
    n=$((n + 1))
    PNGS+=("$line")
    check "$(basename "$line") is a PNG larger than 100x100" "png_ok '$line'"
  done <<< "$out"
  LAST_OUT=$out
  LAST_PNG_COUNT=$n
}

# ---- a small real run, through scripts/bench.sh (its progress lines checked too) -------------
# bench.sh --bin runs that binary with the quick mode's flags; the ones after -- win.
FILTER='(max_shifted.scalar|max_shifted.avx2|onednn|xnnpack|memcpy)/1/(64|4096)$'
bash "$ROOT/scripts/bench.sh" --bin "$BENCH_BIN" --out "$RES/bench-test.json" -- \
  --smb_filter_isa=all --benchmark_filter="$FILTER" --benchmark_min_time=0.01 \
  > "$WORK/bench.log" 2> "$WORK/bench.err"
check "bench.sh small run exits 0 and writes JSON" "[[ $? -eq 0 && -s '$RES/bench-test.json' ]]" \
  "$(tail -n 5 "$WORK/bench.log" "$WORK/bench.err")"
"$BENCH_BIN" --smb_shapes=headline --smb_filter_isa=all --benchmark_filter="$FILTER" \
  --benchmark_list_tests=true > "$WORK/bench.list"
nbench=$(wc -l < "$WORK/bench.list")
njson=$(grep -c '"run_type": "iteration"' "$RES/bench-test.json")
check "bench.sh: the JSON has one result per listed benchmark ($nbench)" \
  "[[ $nbench -ge 6 && $njson -eq $nbench ]]" "listed $nbench, in the JSON $njson"
# One progress line per benchmark, in order, [1/N] .. [N/N], each naming the benchmark just
# finished, with the share of the work and an ETA; the last says 100% and ETA 0.0 s.
grep '^bench: \[' "$WORK/bench.err" | sed 's/^bench: \[\([0-9]*\)\/\([0-9]*\)\] \([^,]*\),.*/\1 \2 \3/' \
  > "$WORK/progress.got"
awk -v n="$nbench" '{ print NR, n, $0 }' "$WORK/bench.list" > "$WORK/progress.want"
check "bench.sh: progress lines [k/$nbench] NAME for every benchmark, in order" \
  "cmp -s '$WORK/progress.want' '$WORK/progress.got'" "$(diff "$WORK/progress.want" "$WORK/progress.got" | head -n 6)"
check "bench.sh: every progress line has the share of the work, the elapsed time and an ETA" \
  "[[ \$(grep -c '^bench: \[' '$WORK/bench.err') -eq $nbench ]] && ! grep '^bench: \[' '$WORK/bench.err' | grep -vEq ', [0-9]+% of the work, [0-9.]+ s elapsed, ETA ([0-9]+\.[0-9] s|[0-9]+m[0-9]{2}s)$'" \
  "$(grep '^bench: \[' "$WORK/bench.err" | head -n 3)"
check "bench.sh: the last progress line says 100% of the work, ETA 0.0 s" \
  "grep '^bench: \[' '$WORK/bench.err' | tail -n 1 | grep -q ', 100% of the work, .* ETA 0.0 s$'" \
  "$(tail -n 2 "$WORK/bench.err")"
check "bench.sh: progress goes to stderr, Google Benchmark's lines to stdout" \
  "! grep -q '^bench: \[' '$WORK/bench.log' && grep -q '^max_shifted.scalar/1/64 ' '$WORK/bench.log'"
# As the run proceeds: with both streams in one file, benchmark k's progress line comes after its
# console line and before benchmark k+1's.
bash "$ROOT/scripts/bench.sh" --bin "$BENCH_BIN" --out "$WORK/bench-both.json" -- \
  --benchmark_filter='max_shifted.scalar/1/(64|4096)$' --benchmark_min_time=0.01 > "$WORK/both.log" 2>&1
check "bench.sh: each progress line follows its benchmark's console line, before the next one" \
  "[[ \$(grep -E '^(max_shifted.scalar/1/(64|4096) |bench: \[)' '$WORK/both.log' | sed 's/ .*//') == \$'max_shifted.scalar/1/64\nbench:\nmax_shifted.scalar/1/4096\nbench:' ]]" \
  "$(cat "$WORK/both.log" | grep -v '^[a-z_]*:' | head -n 12)"
# Repetitions: with aggregates only, a benchmark has finished at its _cv line.
bash "$ROOT/scripts/bench.sh" --bin "$BENCH_BIN" --out "$WORK/bench-reps.json" -- \
  --benchmark_filter='max_shifted.scalar/1/(64|4096)$' --benchmark_min_time=0.01 \
  --benchmark_repetitions=2 --benchmark_report_aggregates_only=true > "$WORK/reps.log" 2>&1
check "bench.sh with repetitions: exits 0, one progress line per benchmark after its _cv line" \
  "[[ $? -eq 0 && \$(grep -E '^(max_shifted.scalar/1/(64|4096)_cv |bench: \[)' '$WORK/reps.log' | sed 's/ .*//') == \$'max_shifted.scalar/1/64_cv\nbench:\nmax_shifted.scalar/1/4096_cv\nbench:' ]] && grep -q '^bench: \[2/2\] max_shifted.scalar/1/4096, 100% of the work' '$WORK/reps.log' && grep -q '\"aggregate_name\": \"median\"' '$WORK/bench-reps.json'" \
  "$(grep -v '^[a-z_]*:' "$WORK/reps.log" | head -n 14)"
# A failing benchmark binary fails bench.sh (pipefail through the progress reader) and leaves
# no output file: a stand-in binary runs the real one, then exits 3.
mkdir -p "$WORK/fake/bench"
ln -sf "$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI")" "$WORK/fake/softmaxbench"
printf '#!/usr/bin/env bash\n"%s" "$@"\nexit 3\n' "$BENCH_BIN" > "$WORK/fake/bench/softmax_bench"
chmod +x "$WORK/fake/bench/softmax_bench"
bash "$ROOT/scripts/bench.sh" --bin "$WORK/fake/bench/softmax_bench" --out "$WORK/fake/out.json" -- \
  --benchmark_filter='max_shifted.scalar/1/64$' --benchmark_min_time=0.01 > "$WORK/fake.log" 2>&1
rc=$?
check "bench.sh with a benchmark binary that exits 3: exits 3, writes nothing, leaves no temporary" \
  "[[ $rc -eq 3 && ! -e '$WORK/fake/out.json' && -z \$(ls -A '$WORK/fake' | grep -v '^bench\$\|^softmaxbench\$') ]]" \
  "rc=$rc: $(tail -n 3 "$WORK/fake.log"); left: $(ls -A "$WORK/fake")"

# The claims' extra entries (two_pass and both three-pass forms, max_shifted and recompute, at
# AVX2 on 1x16M, ~7 s): claim 1 reads them.
bash "$ROOT/scripts/bench.sh" --claims --bin "$BENCH_BIN" --out "$RES/claims-test.json" \
  > "$WORK/claims-bench.log" 2>&1
check "bench.sh --claims exits 0 and writes the three AVX2 entries at 1x16M" \
  "[[ $? -eq 0 ]] && [[ \$(grep -cE '\"name\": \"(two_pass|max_shifted|recompute)\.avx2/1/16777216\"' '$RES/claims-test.json') -eq 3 ]]" \
  "$(tail -n 5 "$WORK/claims-bench.log")"
AVX2_TIMED=0
grep -q '"error_occurred": true' "$RES/claims-test.json" || AVX2_TIMED=1  # skipped on a CPU without AVX2

# accuracy exits 1 when a case fails (after writing every file) or on a runtime error, 2 on a
# usage error. Both variants here are within their documented bounds on normal_1, so exactly 0.
# naive.scalar too: the claims section's claim 4 reads its overflow on [1000, 1001, 1002].
"$CLI" accuracy --quick --variants max_shifted.scalar,online.scalar,naive.scalar --distributions normal_1 \
  --out "$RES/accuracy.csv" > "$WORK/accuracy.log" 2>&1
rc=$?
check "softmaxbench accuracy exits 0 (every case passed) and writes accuracy.csv" \
  "[[ $rc -eq 0 && -s '$RES/accuracy.csv' ]]" "rc=$rc: $(tail -n 5 "$WORK/accuracy.log")"
check "accuracy summary: 0 failed, every special-value case passed" \
  "grep -Eq '^[0-9]+ cases .*: [0-9]+ passed, 0 failed, 0 out of domain; special values: ([0-9]+)/\1 passed' '$WORK/accuracy.log'" \
  "$(tail -n 3 "$WORK/accuracy.log")"

# ---- plots ----------------------------------------------------------------------------------
run_plot plot_throughput.py --results "$RES"
check "plot_throughput.py wrote a figure" "[[ $LAST_PNG_COUNT -ge 1 ]]"
run_plot plot_throughput.py --results "$RES" --best-only
run_plot plot_speedup.py --results "$RES"
# The filter above selects 1-thread shapes only (threaded names end in /<threads>/real_time).
run_plot plot_scaling.py --results "$RES"
check "plot_scaling.py says there is nothing to plot for 1-thread-only runs" \
  "[[ $LAST_PNG_COUNT -eq 0 && '$LAST_OUT' == *'more than one thread count'* ]]" "$LAST_OUT"
run_plot plot_accuracy.py --results "$RES"
check "plot_accuracy.py wrote the heatmaps and the CDF" "[[ $LAST_PNG_COUNT -ge 2 ]]"

# ---- the report -----------------------------------------------------------------------------
pyrun "$ROOT/scripts/make_report.py" --results "$RES" > "$WORK/report.out" 2>&1
check "make_report.py exits 0" "[[ $? -eq 0 ]]" "$(cat "$WORK/report.out")"
REPORT="$RES/REPORT.md"
check "REPORT.md written" "[[ -s '$REPORT' ]]"
commit=$(sed -n 's/^ *"git_commit": "\([^"]*\)".*/\1/p' "$RES/bench-test.json" | head -n1)
check "metadata table has the git commit ($commit)" \
  "[[ -n '$commit' ]] && grep -Fq '| Git commit | \`$commit\` |' '$REPORT'"
check "throughput table has a header row" "grep -q '^| Shape | Threads | Fastest | G elem/s' '$REPORT'"
check "throughput table has a 1x4096 data row" "grep -Eq '^\| 1x4096 \| 1 \| \`max_shifted' '$REPORT'"
check "throughput section names the bench file" "grep -Fq 'From \`bench-test.json\`' '$REPORT'"
check "speedup table present" "grep -q '^| Shape | Threads | Fastest ÷ oneDNN | Fastest ÷ XNNPACK' '$REPORT'"
check "thread scaling says not run" "grep -A2 '^## Thread scaling' '$REPORT' | grep -q '^Not run'"
check "tuning section says not run (no tuning.json)" "grep -A2 'Tuning winners' '$REPORT' | grep -q '^Not run'"
check "accuracy table present" "grep -q '^| Variant | Tier | softmax worst' '$REPORT'"
check "accuracy table has max_shifted.scalar" "grep -q '^| \`max_shifted.scalar\` |' '$REPORT'"
check "How to cite with a BibTeX block" \
  "grep -q '^## How to cite' '$REPORT' && grep -q '^\`\`\`bibtex' '$REPORT' && grep -q '@misc{softmaxbench-' '$REPORT'"
check "BibTeX names the commit" "grep -q 'note .*git commit $commit' '$REPORT'"
check "How to reproduce names reproduce.sh" "grep -q '^scripts/reproduce.sh --' '$REPORT'"
missing=""
while IFS= read -r link; do
  [[ -f "$RES/$link" ]] || missing+=" $link"
done < <(sed -n 's/^!\[[^]]*\](\([^)]*\))$/\1/p' "$REPORT")
nlinks=$(grep -c '^!\[' "$REPORT")
check "every figure link in REPORT.md resolves ($nlinks links)" "[[ $nlinks -ge 2 && -z '$missing' ]]" "$missing"

# The claims section (scripts/claims.py): one row per claim; claim 4 measured from this run's
# accuracy.json (naive.scalar overflows on [1000, 1001, 1002], max_shifted.scalar does not and
# is bit-identical under an exact shift); the others' inputs were not run here, so they say so.
CLAIMS_H='## Claims from the literature, measured on this machine'
sed -n "/^$CLAIMS_H\$/,/^## /p" "$REPORT" > "$WORK/claims.md"
check "REPORT.md has the claims section with a table of 5 claims" \
  "[[ \$(grep -c '^| [1-5] | ' '$WORK/claims.md') -eq 5 ]] && grep -q '^| Claim | Source | The source' '$WORK/claims.md'" \
  "$(head -c 600 "$WORK/claims.md")"
check "claims: claim 4 holds on this run's accuracy.json, naive overflows, max_shifted bit-identical" \
  "grep '^| 4 | ' '$WORK/claims.md' | grep -q '1 of 1 naive variants non-finite, 1 of 1 max_shifted variants finite.*1 of 1 max_shifted variants bit-identical.*| \*\*holds\*\* | \`accuracy.json\` |\$'" \
  "$(grep '^| 4 | ' "$WORK/claims.md")"
check "claims: claims 2, 3 and 5 (inputs not run here) say not measured in this run, name no file" \
  "[[ \$(grep -E '^\| [235] \| ' '$WORK/claims.md' | grep -c '| \*\*not measured in this run\*\* | — |\$') -eq 3 ]]" \
  "$(grep -E '^\| [235] \| ' "$WORK/claims.md")"
if [[ $AVX2_TIMED -eq 1 ]]; then
  check "claims: claim 1 measured at AVX2 from claims-test.json (a verdict), AVX-512 not measured" \
    "grep '^| 1 | ' '$WORK/claims.md' | grep -E 'avx512: not measured in this run; avx2: vs reload \\(max_shifted\\) [+-][0-9]+ %, vs recompute \\(recompute\\) [+-][0-9]+ % \\((holds|holds partly|does not hold here)\\)' | grep -Eq '\\| \\*\\*(holds|holds partly|does not hold here)\\*\\* \\| \`claims-test.json\` \\|\$'" \
    "$(grep '^| 1 | ' "$WORK/claims.md")"
else
  check "claims: claim 1 not measured (no AVX2 on this CPU)" \
    "grep '^| 1 | ' '$WORK/claims.md' | grep -q '| \\*\\*not measured in this run\\*\\* | '"
fi
check "claims: every claim's rule is stated below the table" \
  "[[ \$(grep -c '^- Claim [1-5]: .*\*Rule:\* ' '$WORK/claims.md') -eq 5 ]]"

# ---- generated files are idempotent: every generator again, on the same inputs --------------
# The plots and REPORT.md are regenerated from the same raw files: every file in the results
# folder must come out byte for byte the same (PNG metadata included).
rm -rf -- "$WORK/first"
cp -a -- "$RES" "$WORK/first"
regen_ok=1
for args in "plot_throughput.py --results $RES" "plot_throughput.py --results $RES --best-only" \
            "plot_speedup.py --results $RES" "plot_scaling.py --results $RES" \
            "plot_accuracy.py --results $RES" "make_report.py --results $RES"; do
  read -r -a argv <<< "$args"
  pyrun "$ROOT/scripts/${argv[0]}" "${argv[@]:1}" > /dev/null 2> "$WORK/stderr" || { regen_ok=0; cat "$WORK/stderr"; }
done
check "every plot script and make_report.py runs again" "[[ $regen_ok -eq 1 ]]"
diff -r -q -- "$WORK/first" "$RES" > "$WORK/regen.diff" 2>&1
rc=$?
check "regenerating gives byte-identical files ($(ls "$RES" | wc -l) files: PNGs, REPORT.md, raw)" \
  "[[ $rc -eq 0 ]]" "$(head -c 500 "$WORK/regen.diff")"

# The README's results block: replaced between the marker lines, never appended, the same bytes
# when regenerated. This README quotes the markers in its prose first, as a README explaining
# them would: only lines that are a marker on their own count.
README="$WORK/readme/README.md"
mkdir -p "$WORK/readme"
cat > "$README" <<'MD'
# A project

The block between `<!-- results:begin -->` and `<!-- results:end -->` is generated.

<!-- results:begin -->
stale table
<!-- results:end -->

Text after the block.
MD
pyrun "$ROOT/scripts/make_report.py" --results "$RES" --out "$WORK/readme/REPORT.md" --readme "$README" \
  > /dev/null 2> "$WORK/stderr"
check "make_report.py --readme exits 0" "[[ $? -eq 0 ]]" "$(cat "$WORK/stderr")"
check "README: exactly one begin and one end marker line after --readme" \
  "[[ \$(grep -cx '<!-- results:begin -->' '$README') -eq 1 && \$(grep -cx '<!-- results:end -->' '$README') -eq 1 ]]" \
  "$(grep -n 'results:' "$README")"
check "README: the block replaced (stale table gone, table in), prose before and after kept" \
  "! grep -q '^stale table' '$README' && grep -q '^| 1x4096 | 1 | ' '$README' && grep -Fqx 'The block between \`<!-- results:begin -->\` and \`<!-- results:end -->\` is generated.' '$README' && [[ \$(tail -n 1 '$README') == 'Text after the block.' ]] && [[ \$(sed -n '/^<!-- results:begin -->$/,/^<!-- results:end -->$/p' '$README' | sed -n '2p') == '### Results on '* ]]" \
  "$(head -c 600 "$README")"
# The link goes to the results folder's REPORT.md (as for the committed README), whatever --out says.
check "README: the block links the report's claims section (its heading's anchor)" \
  "grep -Fq '[Claims from the literature, measured on this machine](../res/REPORT.md#claims-from-the-literature-measured-on-this-machine)' '$README' && grep -q '^## Claims from the literature, measured on this machine\$' '$RES/REPORT.md'" \
  "$(grep -n 'Claims' "$README")"
cp -- "$README" "$WORK/readme/first.md"
pyrun "$ROOT/scripts/make_report.py" --results "$RES" --out "$WORK/readme/REPORT.md" --readme "$README" \
  > /dev/null 2> "$WORK/stderr"
check "README: --readme again gives the same bytes" \
  "[[ $? -eq 0 ]] && cmp -s '$WORK/readme/first.md' '$README'" "$(diff "$WORK/readme/first.md" "$README" | head -n 8)"

# A README without exactly one begin and one end marker line (begin first): exit 1, one line
# naming the problem, the README untouched, no REPORT.md written.
bad_readme() {  # bad_readme DESC PATTERN LINES...
  local desc=$1 pattern=$2 rc
  shift 2
  rm -rf -- "$WORK/badreadme"
  mkdir -p "$WORK/badreadme"
  printf '%s\n' "$@" > "$WORK/badreadme/README.md"
  cp -- "$WORK/badreadme/README.md" "$WORK/badreadme/before.md"
  pyrun "$ROOT/scripts/make_report.py" --results "$RES" --out "$WORK/badreadme/REPORT.md" \
    --readme "$WORK/badreadme/README.md" > /dev/null 2> "$WORK/stderr"
  rc=$?
  check "make_report.py --readme, $desc: exit 1, one line, README unchanged, no report" \
    "[[ $rc -eq 1 && \$(wc -l < '$WORK/stderr') -eq 1 ]] && grep -Fq -- '$pattern' '$WORK/stderr' && cmp -s '$WORK/badreadme/before.md' '$WORK/badreadme/README.md' && [[ ! -e '$WORK/badreadme/REPORT.md' ]]" \
    "rc=$rc: $(head -c 400 "$WORK/stderr")"
}
B='<!-- results:begin -->' E='<!-- results:end -->'
bad_readme "no markers" "found 0" "# x" "text"
bad_readme "no end marker" "exactly one line $E, found 0" "$B" "old"
bad_readme "the end marker twice" "exactly one line $E, found 2 (lines 3, 4)" "$B" "old" "$E" "$E"
bad_readme "the begin marker twice" "exactly one line $B, found 2 (lines 1, 3)" "$B" "old" "$B" "old" "$E"
bad_readme "end before begin" "$E (line 1) comes before $B (line 3)" "$E" "old" "$B"

# ---- malformed and missing input ------------------------------------------------------------
# script_fails DESC FOLDER PATTERN SCRIPT...: each SCRIPT --results FOLDER exits 1 with one
# stderr line containing PATTERN.
script_fails() {
  local desc=$1 folder=$2 pattern=$3 script rc
  shift 3
  for script in "$@"; do
    pyrun "$ROOT/scripts/$script" --results "$folder" > /dev/null 2> "$WORK/stderr"
    rc=$?
    check "$script $desc: exit 1 with a one-line message" \
      "[[ $rc -eq 1 && \$(wc -l < '$WORK/stderr') -eq 1 ]] && grep -Fq -- '$pattern' '$WORK/stderr'" \
      "rc=$rc: $(head -c 300 "$WORK/stderr")"
  done
}
# A run whose registry does not record the accurate tier's bound (as results saved by an older
# softmaxbench): the scripts copy no bound, so they stop and say so instead of assuming one.
mkdir -p "$WORK/oldreg"
sed 's/\\"accurate_max_ulp\\": [0-9.e+-]*, //g' "$RES/bench-test.json" > "$WORK/oldreg/bench-20000101-000000.json"
check "the stand-in older run has no accurate_max_ulp" "! grep -q accurate_max_ulp '$WORK/oldreg/bench-20000101-000000.json'"
script_fails "on a run whose registry lacks accurate_max_ulp" "$WORK/oldreg" "does not record accurate_max_ulp" \
  plot_speedup.py make_report.py
: > "$WORK/bad/bench-20000101-000000.json"
script_fails "on an empty JSON file" "$WORK/bad" "not valid JSON" plot_throughput.py plot_speedup.py make_report.py
script_fails "on a folder without bench-*.json" "$WORK/empty" "no bench-*.json" plot_speedup.py
script_fails "without accuracy.csv" "$WORK/empty" "no accuracy.csv" plot_accuracy.py

# ---- pyrun.sh without a usable Python -------------------------------------------------------
env PYTHON=/nonexistent PATH=/nonexistent "$BASH" "$ROOT/scripts/pyrun.sh" \
  "$ROOT/scripts/plot_speedup.py" --help > /dev/null 2> "$WORK/stderr"
rc=$?
check "pyrun.sh with PYTHON=/nonexistent and no python on PATH: exit 1, says what to install" \
  "[[ $rc -eq 1 ]] && grep -Fq 'sudo apt-get install python3-matplotlib python3-numpy' '$WORK/stderr'" \
  "rc=$rc: $(cat "$WORK/stderr")"

harness_finish
