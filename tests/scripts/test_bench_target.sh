#!/usr/bin/env bash
# scripts/bench.sh --target-isa and scripts/reproduce.sh --target-isa: bad values and a target the
# CPU lacks are refused with one line; a capped run (one tiny shape, the real binaries) caps ours,
# oneDNN and PyTorch, skips the PyTorch avx512 process, lands in results/<id>-emulated-<isa>/
# with the cap in its context, and scripts/make_report.py labels it "emulated <isa> target on
# <id>". bench.sh runs from a scratch copy of the repository's layout (symbolic links to the
# two scripts it needs), so its default results folder is inside the scratch directory.
# usage: tests/scripts/test_bench_target.sh BUILD_DIR SCRATCH_DIR     (ctest: test_bench_target)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/harness.sh"
harness_args "BUILD_DIR SCRATCH_DIR" "$@"
build="$(cd "$1" && pwd)" work=$2
bench="$build/bench/softmax_bench" cli="$build/softmaxbench"
require_exec "$bench"; require_exec "$cli"
scripts="$(cd "$here/../../scripts" && pwd)"
py="$(find_python)" || { echo "error: no python3" >&2; exit 2; }
unset SOFTMAXBENCH_FORCE_ISA ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA ATEN_CPU_CAPABILITY
rm -rf "$work"; mkdir -p "$work/root/scripts"
ln -s "$scripts/bench.sh" "$scripts/target_isa.sh" "$scripts/bench_numpy.py" "$work/root/scripts/"
root=$work/root

# expect_refusal DESC RC PATTERN CMD...: exit RC, exactly one stderr line containing PATTERN,
# nothing on stdout, no results folder.
expect_refusal() {
    local desc=$1 want=$2 pattern=$3
    shift 3
    "$@" > "$work/out" 2> "$work/err"
    local rc=$? lines
    lines=$(wc -l < "$work/err")
    if [[ $rc -eq $want && $lines -eq 1 && ! -s $work/out && ! -e $root/results ]] && grep -qF -- "$pattern" "$work/err"; then
        pass "$desc [$(cat "$work/err")]"
    else
        fail "$desc" "exit $rc (want $want), stderr: $(head -3 "$work/err"), stdout: $(head -3 "$work/out")"
    fi
}

# Stand-ins: a softmax_bench that fails at once (the refusals below must come before it runs; a
# regression then fails fast instead of running the benchmark), and a softmaxbench that answers
# as the library does on an SSE2-only CPU (the real one cannot be made to lack AVX2 here).
mkdir -p "$work/stub/bench"
printf '#!/bin/sh\necho "stub softmax_bench must not run" >&2\nexit 3\n' > "$work/stub/bench/softmax_bench"
cat > "$work/stub/softmaxbench" <<'SH'
#!/bin/sh
if [ "$1" = info ] && [ "$2" = --machine-id ]; then echo stub-cpu-000000; exit 0; fi
if [ -n "$SOFTMAXBENCH_FORCE_ISA" ] && [ "$SOFTMAXBENCH_FORCE_ISA" != sse2 ] && [ "$SOFTMAXBENCH_FORCE_ISA" != scalar ]; then
    echo "softmaxbench: error: SOFTMAXBENCH_FORCE_ISA='$SOFTMAXBENCH_FORCE_ISA' is not supported by this CPU/OS (best here: sse2)" >&2
    exit 1
fi
if [ "$1" = info ]; then echo '{"isa": {"best": "sse2", "dispatch": "sse2"}}'; exit 0; fi
exit 0
SH
chmod +x "$work/stub/bench/softmax_bench" "$work/stub/softmaxbench"
expect_refusal "bench.sh --target-isa avx512: usage error" 2 "bench.sh: --target-isa must be avx2 or sse2 (got 'avx512')" \
    "$root/scripts/bench.sh" --target-isa avx512 --bin "$work/stub/bench/softmax_bench"
expect_refusal "bench.sh --target-isa without a value" 2 "bench.sh: --target-isa needs avx2 or sse2" \
    "$root/scripts/bench.sh" --bin "$work/stub/bench/softmax_bench" --target-isa
expect_refusal "bench.sh with SOFTMAXBENCH_FORCE_ISA set and no --target-isa" 2 "use --target-isa" \
    env SOFTMAXBENCH_FORCE_ISA=avx2 "$root/scripts/bench.sh" --bin "$work/stub/bench/softmax_bench"
# reproduce.sh must refuse before it builds anything: a cmake on PATH that fails at once keeps a
# regression from starting the release build (and --skip-install, the package install).
mkdir -p "$work/nocmake"
printf '#!/bin/sh\necho "reproduce.sh went on to run cmake" >&2\nexit 97\n' > "$work/nocmake/cmake"
chmod +x "$work/nocmake/cmake"
expect_refusal "reproduce.sh --target-isa avx512: usage error" 2 "reproduce.sh: --target-isa must be avx2 or sse2 (got 'avx512')" \
    env PATH="$work/nocmake:$PATH" bash "$scripts/reproduce.sh" --skip-install --target-isa=avx512
expect_refusal "reproduce.sh with ONEDNN_MAX_CPU_ISA set and no --target-isa" 2 "use --target-isa" \
    env PATH="$work/nocmake:$PATH" ONEDNN_MAX_CPU_ISA=AVX2 bash "$scripts/reproduce.sh" --skip-install

expect_refusal "bench.sh --target-isa avx2 on a CPU without AVX2: one line, nothing run" 1 \
    "bench.sh: --target-isa avx2: SOFTMAXBENCH_FORCE_ISA='avx2' is not supported by this CPU/OS (best here: sse2)" \
    "$root/scripts/bench.sh" --target-isa avx2 --bin "$work/stub/bench/softmax_bench"

# ---- a capped run of the real binaries ----
id="$("$cli" info --machine-id)"
best="$("$cli" info --json | sed -n 's/.*"best": "\([a-z0-9]*\)".*/\1/p')"
case "$best" in
    avx512) target=avx2 ;;
    avx2) target=sse2 ;;
    *) notice "this CPU's best ISA is $best: no lower target to emulate"; harness_finish; exit $? ;;
esac
filter='^(max_shifted\.[a-z0-9]+|onednn|xnnpack|pytorch[^/]*|numpy_guide_batch|scipy)/1/64$'
if "$root/scripts/bench.sh" --target-isa "$target" --bin "$bench" -- --smb_shapes=1x64 \
       "--benchmark_filter=$filter" --benchmark_min_time=0.01 > "$work/run.out" 2> "$work/run.err"; then
    pass "bench.sh --target-isa $target ran"
else
    fail "bench.sh --target-isa $target ran" "$(tail -5 "$work/run.err")"
fi
json=$(ls "$root/results/$id-emulated-$target"/bench-*.json 2>/dev/null | head -n 1)
if [[ -n $json && ! -e $root/results/$id ]]; then
    pass "the results are in results/$id-emulated-$target/, not in the machine's own folder"
else
    fail "the emulated target's folder" "$(ls -R "$root/results" 2>&1 | tr '\n' ' ')"
fi
if [[ -n $json ]] && "$py" - "$json" "$target" > "$work/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); target = sys.argv[2]
ctx = d["context"]
cap = {"avx2": ("AVX2", "avx2", "jit:avx2"), "sse2": ("SSE41", "default", "jit:sse41")}[target]
assert ctx["target_isa"] == target, ctx["target_isa"]
assert ctx["dispatch_isa"] == target, ctx["dispatch_isa"]
assert f"SOFTMAXBENCH_FORCE_ISA={target}; ONEDNN_MAX_CPU_ISA={cap[0]}" in ctx["target_isa_env"], ctx["target_isa_env"]
assert f"ATEN_CPU_CAPABILITY={cap[1]}" in ctx["target_isa_env"], ctx["target_isa_env"]
assert ctx["target_isa_run"].startswith(f"scripts/bench.sh --target-isa {target}"), ctx.get("target_isa_run")
assert "NumPy/SciPy not capped" in ctx["target_isa_run"]
assert "pytorch_second_run" not in ctx, ctx["pytorch_second_run"]
names = {b["name"]: b for b in d["benchmarks"]}
ours = sorted(n.split("/")[0] for n in names if n.startswith("max_shifted."))
assert ours == sorted({"max_shifted.scalar", f"max_shifted.{target}"}), ours  # nothing above the cap
if ctx["onednn_version"] != "not built":
    label = names["onednn/1/64"].get("label", "")
    assert label.startswith(cap[2]), label  # oneDNN's own report of the ISA its kernel uses
if ctx["pytorch_version"] != "not built":
    pt = sorted(n for n in names if n.startswith("pytorch"))
    assert pt and all(n.split("/")[0].split(":")[0].endswith("." + cap[1]) for n in pt), pt
    assert ctx["pytorch_cpu_capability"] == cap[1], ctx["pytorch_cpu_capability"]
if "numpy_run" in ctx:
    assert "numpy_guide_batch/1/64" in names, sorted(names)
print("ok", sorted(names))
PY
then pass "the context records the cap; ours, oneDNN and PyTorch ran capped, no PyTorch avx512 run ($(cut -c1-160 "$work/check"))"
else fail "the capped run's JSON" "$(cat "$work/check")"
fi
# The report's label.
if [[ -n $json ]] && "$py" "$scripts/make_report.py" --results "$root/results/$id-emulated-$target" > /dev/null 2> "$work/report.err" \
   && head -n 1 "$root/results/$id-emulated-$target/REPORT.md" | grep -qF "emulated $target target on $id" \
   && grep -qF "scripts/reproduce.sh --quick --target-isa $target" "$root/results/$id-emulated-$target/REPORT.md"; then
    pass "make_report.py labels the report \"emulated $target target on $id\""
else
    fail "the report's label" "$(cat "$work/report.err"; head -n 3 "$root/results/$id-emulated-$target/REPORT.md" 2>&1)"
fi
harness_finish
