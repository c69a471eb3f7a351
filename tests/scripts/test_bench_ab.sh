#!/usr/bin/env bash
# scripts/bench_ab.py on a tiny real run: the same build as "old" and "new", two entries, one of
# them under an alias on the command line. Checks the JSON it writes (alternated order, both
# builds' raw runs, the summary's fields and ratios), that an old name is matched to its new
# one, and that bad arguments are refused with exit 2 and no output file.
# usage: tests/scripts/test_bench_ab.sh BUILD_DIR SCRATCH_DIR        (ctest: test_bench_ab)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/harness.sh"
harness_args "BUILD_DIR SCRATCH_DIR" "$@"
build=$1 work=$2
bench="$build/bench/softmax_bench" cli="$build/softmaxbench"
require_exec "$bench"; require_exec "$cli"
py="$(find_python)" || { echo "error: no Python with numpy" >&2; exit 2; }
rm -rf "$work"; mkdir -p "$work"
script="$here/../../scripts/bench_ab.py"

out="$work/ab.json"
if "$py" "$script" --old "$bench" --new "$bench" --new-cli "$cli" --out "$out" --rounds 2 \
     --repetitions 2 --min-time 0.01 -- '--benchmark_filter=^(max_shifted\.scalar|online\.scalar\.accurate)/1/64$' \
     > "$work/stdout" 2> "$work/stderr"; then
    pass "bench_ab.py ran"
else
    fail "bench_ab.py ran" "$(tail -3 "$work/stderr")"
fi
if "$py" - "$out" > "$work/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["order"] == ["old", "new", "new", "old"], d["order"]
assert len(d["old"]["runs"]) == 2 and len(d["new"]["runs"]) == 2
names = {s["name"] for s in d["summary"]}
assert names == {"max_shifted.scalar/1/64", "online.scalar.accurate/1/64"}, names
for s in d["summary"]:
    assert s["samples"] == [4, 4], s
    assert s["old_median"] > 0 and s["new_median"] > 0
    assert abs(s["ratio"] - s["new_median"] / s["old_median"]) < 1e-12
    assert s["slower_beyond_spread"] == (s["ratio"] < 1 - max(s["old_spread"], s["new_spread"]))
print("ok")
PY
then pass "the JSON: order, runs, ratios"; else fail "the JSON" "$(cat "$work/check")"; fi
# An old name (an alias in the new build's list) is compared under its new name.
if "$py" - "$here/../../scripts" "$cli" > "$work/alias" 2>&1 <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import bench_ab
amap = bench_ab.alias_map(sys.argv[2])
assert bench_ab.canon("online.scalar/1/64", amap) == "online.scalar.accurate/1/64"
assert bench_ab.canon("max_shifted.avx512.p6:log/32/32000/2/real_time", amap) == \
    "max_shifted.avx512.poly6:log/32/32000/2/real_time"
assert bench_ab.canon("guarded.avx512/1/64", amap) == "guarded.avx512/1/64"
print("ok")
PY
then pass "old names map to the new build's names"; else fail "alias mapping" "$(cat "$work/alias")"; fi
grep -q "2 entries compared" "$work/stdout" && pass "summary line" || fail "summary line" "$(cat "$work/stdout")"

"$py" "$script" --old "$work/nope" --new "$bench" --new-cli "$cli" --out "$work/bad.json" > /dev/null 2>&1
rc=$?
[[ $rc -eq 2 && ! -e "$work/bad.json" ]] && pass "a missing binary: exit 2, no file" || fail "a missing binary" "exit $rc"
"$py" "$script" --old "$bench" --new "$bench" --new-cli "$cli" --out "$work/bad.json" --rounds 0 > /dev/null 2>&1
rc=$?
[[ $rc -eq 2 && ! -e "$work/bad.json" ]] && pass "--rounds 0: exit 2, no file" || fail "--rounds 0" "exit $rc"
# A filter that matches nothing: Google Benchmark exits 0 with an empty JSON file; say so.
"$py" "$script" --old "$bench" --new "$bench" --new-cli "$cli" --out "$work/bad.json" --rounds 1 \
    --repetitions 1 -- '--benchmark_filter=^no_such_entry$' > /dev/null 2> "$work/nomatch"
rc=$?
[[ $rc -ne 0 && ! -e "$work/bad.json" ]] && grep -q "ran no benchmark" "$work/nomatch" \
    && pass "a filter matching nothing: one clear line, no file" || fail "a filter matching nothing" "exit $rc: $(tail -2 "$work/nomatch")"
harness_finish
