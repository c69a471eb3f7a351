#!/usr/bin/env bash
# One command from a fresh clone to results/<machine-id>/REPORT.md. See --help.
set -Eeuo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/reproduce.sh [--quick|--full] [--target-isa avx2|sse2] [--skip-install]

Measures this machine and writes results/<machine-id>/REPORT.md, in these steps:
  1. install    scripts/install-deps.sh (Debian 12 packages; skipped with --skip-install)
  2. build      cmake --preset release && cmake --build --preset release -j$(nproc)
  3. machine id build/release/softmaxbench info --machine-id; saves the variant table
                (softmaxbench list --json) as results/<id>/variants.json
  4. accuracy   build/release/softmaxbench accuracy --quick|--full
                  --out results/<id>/accuracy.csv   (+ accuracy.json, accuracy-special.csv,
                  accuracy-backward.csv, accuracy-cross_entropy.csv, accuracy-bf16.csv)
                Exit status 1 with a fresh CSV (some accuracy or special-value case failed)
                is recorded and the pipeline continues; the report shows it.
                Then build/release/bench/peer_accuracy --quick|--full
                  --out results/<id>/peer-accuracy.csv  (+ peer-accuracy-special.csv,
                  peer-accuracy-backward.csv, peer-accuracy-cross_entropy.csv,
                  peer-accuracy-bf16.csv): the peers scored the same way, op by op
  5. tune       build/release/softmaxbench tune --out results/<id>/tuning.json
                (its default 120 s budget; it also installs the table where the `auto`
                variants read it: $SOFTMAXBENCH_TUNING, else ~/.config/softmaxbench/), so
                the benchmark's auto entries run with this machine's table
  6. bench      scripts/bench.sh --quick|--full --no-build
                  --out results/<id>/bench-<UTC YYYYmmdd-HHMMSS>.json
                (the same JSON gets PyTorch's entries again at ATEN_CPU_CAPABILITY=avx512 and
                the NumPy/SciPy peers of scripts/bench_numpy.py; see scripts/bench.sh --help;
                --quick includes the training ops: the softmax and log_softmax backward with
                their peers (oneDNN, PyTorch, memcpy), and the cross-entropy at 4096x128,
                32x32000, 8x128256 and 1x16M against PyTorch and memcpy)
                with --quick also scripts/bench.sh --claims (two_pass, max_shifted and recompute at AVX2
                on 1x16M: the report's claims section needs them; --full times them anyway)
                  --out results/<id>/claims-<UTC YYYYmmdd-HHMMSS>.json
                then the bf16 entries (both modes): scripts/bench.sh --quick --no-build
                  --out results/<id>/bf16-<UTC YYYYmmdd-HHMMSS>.json -- --smb_dtype=bf16
                (headline shapes plus 8x128256 and 32x151936, our f32 variants at 1x16M for
                the bf16 / f32 ratio, and the cross-entropy on bf16 logits at the same shapes as
                above; about 3m53s measured with --repetitions 3 on a 2-core Zen 4 VM, both
                ATen capabilities included)
  7. plots      scripts/plot_{throughput,speedup,accuracy,scaling,backward}.py,
                report_cross_entropy.py, report_bf16.py (PNGs in results/<id>/)
  8. report     scripts/make_report.py -> results/<id>/REPORT.md
The mode, each step's exit status and duration, and the git commit the measured binaries were
built from (as `softmaxbench --version` reports it) are recorded in results/<id>/reproduce.json.
Python steps run through scripts/pyrun.sh (needs python3-matplotlib and python3-numpy).

  --quick         (default) headline shapes, our variants of the dispatch ISA and scalar (the
                  bf16 rows: avx512bf16 where the CPU has AVX512_BF16), one run each;
                  accuracy --quick. About 10 minutes on 2 cores from a fresh clone (measured:
                  9 min 01 s on a busy 2-core VM without the install step; build 4m47s,
                  accuracy 11 s, tune 36 s, bench 3m09s, plots and report 18 s), measured
                  before the quick set gained the cross-entropy at 8x128256 and 1x16M and the
                  log_softmax_backward peers (about 19 s more a repetition, measured alone);
                  the claims entries (bench.sh --claims) add about 5 s (4.3 s measured on a
                  busy 2-core VM), the bf16 entries a few minutes (about 3m53s with --repetitions 3
                  on a 2-core Zen 4 VM, where the whole --quick --repetitions 3 run took
                  14m18s by its own clock),
                  the peers' backward, cross-entropy and bf16 scoring about 40 s of CPU (82 s
                  wall measured on a 2-core VM at a load average near 10).
  --full          every shape and variant, 5 repetitions (medians reported); accuracy --full
                  (sizes up to 16M). About 85 minutes on 2 cores (measured: 83 min 25 s on a
                  2-core Zen 5 VM; accuracy 11.5 min, tune 1 min, bench 70 min).
  --repetitions N run each benchmark N times and report medians (with --quick; --full
                  already repeats 5 times)
  --target-isa avx2|sse2
                  measure for a target CPU without AVX-512 (or without AVX2) on this one: after
                  the build, every step runs with every implementation capped at that ISA
                  (SOFTMAXBENCH_FORCE_ISA for ours, ONEDNN_MAX_CPU_ISA=AVX2|SSE41 for oneDNN,
                  ATEN_CPU_CAPABILITY=avx2|default for PyTorch; XNNPACK runs SSE2 code anyway;
                  NumPy/SciPy are not capped: see scripts/bench.sh --help), and the results go
                  to results/<machine-id>-emulated-<isa>/ instead: the accuracy sweep scores
                  the variants within the cap, tune writes a table for the emulated target
                  (installed as tuning-<machine-id>-emulated-<isa>.json, which only capped runs
                  use), the benchmark runs scripts/bench.sh --target-isa, reproduce.json records
                  target_isa and the report is labelled "emulated <isa> target on <machine-id>".
                  An ISA other than avx2 or sse2 is a usage error; one this CPU/OS lacks stops
                  the run with one line (from /proc/cpuinfo before the install, from the built
                  softmaxbench after the build); the CPU's own best ISA is a native run.
  --skip-install  do not run scripts/install-deps.sh
  -h, --help      this text

Each step prints a header with the elapsed time; the accuracy sweep and the benchmark also print
a count and an ETA as they go. Any other failure stops the pipeline with the step's name and
exit status.
USAGE
}

mode=quick
install=1
reps=0
target=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --repetitions)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]?$ ]] || { echo "reproduce.sh: --repetitions takes a number from 1 to 99" >&2; exit 2; }
      reps=$2; shift ;;
    --target-isa)
      [[ $# -ge 2 ]] || { echo "reproduce.sh: --target-isa needs avx2 or sse2" >&2; exit 2; }
      target=$2; shift ;;
    --target-isa=*) target=${1#--target-isa=} ;;
    --skip-install) install=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "reproduce.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$target" in
  ""|avx2|sse2) ;;
  *) echo "reproduce.sh: --target-isa must be avx2 or sse2 (got '$target')" >&2; exit 2 ;;
esac
# A cap already in the environment would put a capped run in the native folder.
if [[ -z $target ]]; then
  for v in SOFTMAXBENCH_FORCE_ISA ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA; do
    if [[ -n ${!v:-} ]]; then
      echo "reproduce.sh: $v=${!v} is set: use --target-isa avx2|sse2 to measure a capped target (it caps every implementation and keeps the results apart), or unset it" >&2
      exit 2
    fi
  done
fi
# Before installing and building: the CPU flags the kernel reports (the built softmaxbench checks
# again after the build, with the OS's saved state).
if [[ -n $target && -r /proc/cpuinfo ]]; then
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  need=(sse2)
  [[ $target == avx2 ]] && need=(avx avx2 fma)
  for f in "${need[@]}"; do
    if [[ $flags != *" $f "* ]]; then
      echo "reproduce.sh: --target-isa $target: this CPU lacks $f (/proc/cpuinfo flags)" >&2
      exit 1
    fi
  done
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=target_isa.sh
source "$root/scripts/target_isa.sh"
cd "$root"
cli="build/release/softmaxbench"
steps_json=()   # one JSON object per finished step, for reproduce.json
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
SECONDS=0
step_no=0
current=""
step_start=0

header() {
  step_no=$((step_no + 1))
  current="$1"
  step_start=$SECONDS
  printf '\n==> [%d/8] %s   (elapsed %dm%02ds)\n' "$step_no" "$1" $((SECONDS / 60)) $((SECONDS % 60))
}

# record NAME EXIT NOTE: remembers a finished step (NOTE: plain text, no quotes or backslashes);
# its seconds run from the step's header or the record before it in the same step, whichever is
# later (accuracy / peer_accuracy and bench / bench_bf16 share a header).
record() {
  steps_json+=("{\"name\": \"$1\", \"exit\": $2, \"seconds\": $((SECONDS - step_start)), \"note\": \"$3\"}")
  step_start=$SECONDS
}

on_error() {
  local rc=$?
  echo "reproduce.sh: step '${current}' failed (exit ${rc}); stopping." >&2
  exit "$rc"
}
trap on_error ERR

# The commit the built binaries were made from, as the CLI reports it (cmake/GitCommit.cmake):
# `softmaxbench --version` prints "softmaxbench <version> (git <commit>)".
built_commit() {
  "$cli" --version | sed -n 's/^softmaxbench .* (git \(.*\))$/\1/p'
}

# write_record FILE COMMIT
write_record() {
  local out="$1" commit="$2" tmp
  tmp="$(mktemp "$out.XXXXXX.tmp")"
  {
    printf '{\n  "mode": "%s",\n  "repetitions": %s,\n  "target_isa": "%s",\n  "target_caps": "%s",\n  "started": "%s",\n  "git_commit": "%s",\n  "steps": [\n' \
      "$mode" "$reps" "${target:-native}" "$target_caps" "$started" "$commit"
    local i
    for i in "${!steps_json[@]}"; do
      printf '    %s%s\n' "${steps_json[$i]}" "$([[ $i -lt $((${#steps_json[@]} - 1)) ]] && echo ,)"
    done
    printf '  ]\n}\n'
  } > "$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$out"
}

# ---- 1. install ----
header "install dependencies"
if [[ $install -eq 1 ]]; then
  bash scripts/install-deps.sh
  record install 0 "scripts/install-deps.sh"
else
  echo "skipped (--skip-install)"
  record install 0 "skipped (--skip-install)"
fi

# ---- 2. build ----
header "build (release preset)"
cmake --preset release
cmake --build --preset release -j"$(nproc 2>/dev/null || echo 2)"
record build 0 "cmake --preset release"

# ---- 3. machine id ----
header "machine id"
id="$("$cli" info --machine-id)"
[[ -n "$id" ]] || { echo "reproduce.sh: empty machine id" >&2; false; }
out="results/$id"
target_caps=""
if [[ -n $target ]]; then
  apply_target_isa reproduce.sh "$target" "$cli" || exit 1
  if [[ -n $target ]]; then
    target_caps="SOFTMAXBENCH_FORCE_ISA=$target, ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY=$ATEN_CPU_CAPABILITY; this CPU: $best"
    out="results/$id-emulated-$target"
    echo "target: emulated $target ($target_caps)"
  fi
fi
mkdir -p "$out"
"$cli" list --json > "$out/.variants.json.tmp"
mv "$out/.variants.json.tmp" "$out/variants.json"
echo "machine id: $id  (results in $out/)"
record machine_id 0 "$id${target:+, emulated $target target}"

# ---- 4. accuracy ----
header "accuracy ($mode)"
rc=0
marker="$(mktemp)"
"$cli" accuracy "--$mode" --out "$out/accuracy.csv" || rc=$?
# Exit 1 is also a runtime error; it means "some case failed" only with a fresh CSV.
fresh=0
[[ "$out/accuracy.csv" -nt "$marker" ]] && fresh=1
rm -f "$marker"
if [[ $rc -eq 1 && $fresh -eq 1 ]]; then
  echo "accuracy: exit 1 -- at least one accuracy or special-value case failed; recorded, continuing"
  record accuracy 1 "at least one accuracy or special-value case failed"
elif [[ $rc -ne 0 ]]; then
  echo "reproduce.sh: step 'accuracy' failed (exit $rc); stopping." >&2
  exit "$rc"
else
  record accuracy 0 "every case passed"
fi

# The peers scored the same way (bench/peer_accuracy: oneDNN, XNNPACK, PyTorch at both ATen
# capabilities, the seeds' NumPy code and SciPy), beside accuracy.csv; and beside
# accuracy-backward.csv, -cross_entropy.csv and -bf16.csv the peers of those ops (oneDNN and
# PyTorch backward, PyTorch cross_entropy, oneDNN and PyTorch bf16), which the report's
# backward, cross-entropy and bf16 sections put beside ours. Every op by default (--ops).
build/release/bench/peer_accuracy "--$mode" --out "$out/peer-accuracy.csv"
record peer_accuracy 0 "peer-accuracy.csv, -special.csv, -backward.csv, -cross_entropy.csv, -bf16.csv"

# ---- 5. tune (before the benchmark, so the benchmarked auto variants use this run's table) ----
header "tune"
"$cli" tune --out "$out/tuning.json"
record tune 0 "tuning.json"

# ---- 6. bench ----
header "benchmark ($mode)"
bench_file="$out/bench-$(date -u +%Y%m%d-%H%M%S).json"
bench_extra=()
if [[ $reps -gt 0 ]]; then
  bench_extra=(-- "--benchmark_repetitions=$reps" --benchmark_report_aggregates_only=true)
fi
target_arg=()
[[ -z $target ]] || target_arg=(--target-isa "$target")
scripts/bench.sh "--$mode" "${target_arg[@]}" --no-build --out "$bench_file" "${bench_extra[@]}"
if [[ $mode == quick ]]; then
  # The claims section's inputs that --quick does not time (scripts/claims.py, claim 1).
  scripts/bench.sh --claims "${target_arg[@]}" --no-build --out "$out/claims-$(date -u +%Y%m%d-%H%M%S).json" \
    "${bench_extra[@]}"
fi
record bench 0 "$(basename "$bench_file")"
# bf16 logits (the report's bf16 section): the same harness, --smb_dtype=bf16, headline shapes
# plus the large vocabularies whatever the mode, our f32 variants at 1x16M (the bf16 / f32
# ratio from one run), and the cross-entropy on bf16 logits (about 3m53s with 3 repetitions
# on a 2-core Zen 4 VM, both ATen capabilities).
bf16_file="$out/bf16-$(date -u +%Y%m%d-%H%M%S).json"
bf16_extra=(-- --smb_dtype=bf16)
[[ $reps -eq 0 ]] || bf16_extra+=("--benchmark_repetitions=$reps" --benchmark_report_aggregates_only=true)
scripts/bench.sh --quick "${target_arg[@]}" --no-build --out "$bf16_file" "${bf16_extra[@]}"
record bench_bf16 0 "$(basename "$bf16_file")"

# ---- 7. plots ----
header "plots"
py=(bash scripts/pyrun.sh)
"${py[@]}" scripts/plot_throughput.py --results "$out" --bench "$bench_file" --best-only
"${py[@]}" scripts/plot_throughput.py --results "$out" --bench "$bench_file"
"${py[@]}" scripts/plot_speedup.py --results "$out" --bench "$bench_file"
"${py[@]}" scripts/plot_scaling.py --results "$out" --bench "$bench_file"
"${py[@]}" scripts/plot_backward.py --results "$out" --bench "$bench_file" || echo "no backward entries: plot_backward skipped"
"${py[@]}" scripts/report_cross_entropy.py --results "$out" --bench "$bench_file"
"${py[@]}" scripts/report_bf16.py --results "$out" --bf16 "$bf16_file"
if [[ -f "$out/accuracy.csv" ]]; then
  "${py[@]}" scripts/plot_accuracy.py --results "$out"
else
  echo "no accuracy.csv: accuracy plots skipped"
fi
record plots 0 "PNG files in $out"

# ---- 8. report ----
header "report"
commit="$(built_commit)"
[[ -n "$commit" ]] || { echo "reproduce.sh: '$cli --version' names no git commit" >&2; false; }
write_record "$out/reproduce.json" "$commit"
"${py[@]}" scripts/make_report.py --results "$out" --bench "$bench_file"

trap - ERR
printf '\n==> done in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
echo "Report: $root/$out/REPORT.md"
