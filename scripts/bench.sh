#!/usr/bin/env bash
# Runs the softmax benchmark (bench/softmax_bench) and stores its raw Google Benchmark JSON.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/bench.sh [--quick|--full|--claims] [--target-isa avx2|sse2] [--out FILE] [--no-build]
                        [--bin PATH] [-- extra benchmark args]

Builds softmax_bench and the softmaxbench CLI (cmake --preset release; cmake --build --preset
release --target softmax_bench softmaxbench_cli), runs the benchmark, and writes the raw Google
Benchmark JSON to
  results/<machine-id>/bench-<UTC YYYYmmdd-HHMMSS>.json
(or FILE with --out). machine-id is what `softmaxbench info --machine-id` prints (the CPU model
plus a short host tag), the same folder every script uses. The JSON is written to
a temporary file next to the destination and moved into place only when the run succeeds.
Google Benchmark's console lines (one per finished benchmark, or per aggregate with
repetitions) go to stdout as the run proceeds; after each finished benchmark a progress line
  bench: [k/N] NAME, P% of the work, T elapsed, ETA R
goes to stderr. N comes from --benchmark_list_tests with the same flags. The time left is
estimated from the shapes' sizes and the times so far (which include the repetitions): a
benchmark left takes the mean time of its shape so far, or, for a shape not run yet, the mean
time of the sizes (rows x cols) run so far, interpolated between the nearest smaller and larger
size (not extrapolated). A failing benchmark binary fails the script.
The same JSON also gets, from further processes: the pytorch entries again with
ATEN_CPU_CAPABILITY=avx512 (names pytorch.avx512...; ATen reads it once per process), and the
NumPy/SciPy peers of scripts/bench_numpy.py on the same shapes and inputs (needs a Python with
numpy and scipy: $PYTHON, python3, /usr/bin/python3; skipped with a message otherwise).

  --quick      (default) headline shapes, only our variants of the dispatch ISA and scalar
               (--smb_shapes=headline --smb_filter_isa=best), --benchmark_min_time=0.1;
               about 3 minutes on 2 cores (3m09s measured on a busy 2-core VM)
  --full       all shapes, all variants, --benchmark_repetitions=5
               --benchmark_report_aggregates_only=true (mean, median, stddev, cv in the JSON);
               about 70 minutes on 2 cores (measured on a 2-core Zen 5 VM)
  --claims     the entries the report's claims section needs that --quick does not time:
               two_pass, max_shifted and recompute at AVX2 on 1x16M, 1 thread (--smb_shapes=headline
               --smb_filter_isa=all, a --benchmark_filter, --benchmark_min_time=0.1), to
               results/<machine-id>/claims-<UTC YYYYmmdd-HHMMSS>.json by default; scripts/
               reproduce.sh --quick runs it after the benchmark (the AVX-512 pair and online
               vs max_shifted come from the --quick run itself)
  --target-isa avx2|sse2
               measure for a target CPU without AVX-512 (or without AVX2) on this one: every
               implementation is capped at that ISA, consistently:
                 ours     SOFTMAXBENCH_FORCE_ISA=avx2|sse2 (--quick then times the avx2|sse2
                          variants and scalar; auto picks within the cap)
                 oneDNN   ONEDNN_MAX_CPU_ISA=AVX2|SSE41 (oneDNN 2.x has no SSE2 level: SSE4.1 is
                          its lowest JIT ISA, so for sse2 its code may use SSE3..SSE4.1)
                 PyTorch  ATEN_CPU_CAPABILITY=avx2|default (entries named pytorch.avx2 /
                          pytorch.default); the second PyTorch process at avx512 is not run
                 XNNPACK  unchanged: the distribution's build runs SSE2 code here already
                 NumPy    not capped: NumPy/SciPy dispatch on their own (the JSON says so)
               The results go to results/<machine-id>-emulated-<isa>/ (not the machine's own
               folder), the JSON's context records target_isa (from the binary) and
               target_isa_run (these caps), and the report labels them "emulated <isa> target
               on <machine-id>". An ISA other than avx2 or sse2, or one this CPU/OS lacks, is
               an error; the CPU's own best ISA is a native run. Without this option, a
               SOFTMAXBENCH_FORCE_ISA, ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA in the environment
               is an error (a capped run would land in the native folder).
  --out FILE   write the JSON to FILE instead
  --no-build   do not configure or build; use the existing binary
  --bin PATH   run this softmax_bench binary (implies --no-build)
  -- ARGS      passed to softmax_bench after the mode's flags (later flags win), e.g.
               -- --benchmark_filter='online' --smb_shapes=all
  -h, --help   this text
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=target_isa.sh
source "$root/scripts/target_isa.sh"
mode=quick
out=""
build=1
bin=""
extra=()
target=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --claims) mode=claims ;;
    --out) [[ $# -ge 2 ]] || { echo "bench.sh: --out needs a file" >&2; exit 2; }; out="$2"; shift ;;
    --out=*) out="${1#--out=}" ;;
    --target-isa) [[ $# -ge 2 ]] || { echo "bench.sh: --target-isa needs avx2 or sse2" >&2; exit 2; }; target="$2"; shift ;;
    --target-isa=*) target="${1#--target-isa=}" ;;
    --no-build) build=0 ;;
    --bin) [[ $# -ge 2 ]] || { echo "bench.sh: --bin needs a path" >&2; exit 2; }; bin="$2"; build=0; shift ;;
    --bin=*) bin="${1#--bin=}"; build=0 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$target" in
  ""|avx2|sse2) ;;
  *) echo "bench.sh: --target-isa must be avx2 or sse2 (got '$target')" >&2; exit 2 ;;
esac
if [[ -z $target ]]; then
  for v in SOFTMAXBENCH_FORCE_ISA ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA; do
    if [[ -n ${!v:-} ]]; then
      echo "bench.sh: $v=${!v} is set: use --target-isa avx2|sse2 to measure a capped target (it caps every implementation and keeps the results apart), or unset it" >&2
      exit 2
    fi
  done
fi

cd "$root"
if [[ $build -eq 1 ]]; then
  cmake --preset release
  cmake --build --preset release --target softmax_bench softmaxbench_cli -j "$(nproc 2>/dev/null || echo 2)"
fi
[[ -n "$bin" ]] || bin="$root/build/release/bench/softmax_bench"
[[ -x "$bin" ]] || { echo "bench.sh: no binary at $bin (build it, or drop --no-build)" >&2; exit 1; }

# ---- machine id: one definition, in the library (softmaxbench info --machine-id) ----
cli="$(dirname "$bin")/../softmaxbench"
[[ -x "$cli" ]] || cli="$root/build/release/softmaxbench"
if [[ -x "$cli" ]]; then
  machine_id="$("$cli" info --machine-id)"
else
  echo "bench.sh: no softmaxbench CLI next to $bin to name the machine (build target softmaxbench_cli)" >&2
  exit 1
fi

# ---- the target ISA: the caps every implementation runs under ----
folder="$machine_id"
target_note=""
if [[ -n $target ]]; then
  apply_target_isa bench.sh "$target" "$cli" || exit 1
  if [[ -n $target ]]; then
    folder="${machine_id}-emulated-${target}"
    target_note="scripts/bench.sh --target-isa $target (this CPU: $best): SOFTMAXBENCH_FORCE_ISA=$target, ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY=$ATEN_CPU_CAPABILITY (the PyTorch avx512 process not run); XNNPACK unchanged (SSE2 code); NumPy/SciPy not capped (their own dispatch)"
  fi
fi

if [[ -z "$out" ]]; then
  prefix=bench
  [[ $mode == claims ]] && prefix=claims
  out="results/${folder}/${prefix}-$(date -u +%Y%m%d-%H%M%S).json"
fi
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.bench-XXXXXX.json.tmp")"
trap 'rm -f "$tmp"' EXIT

case "$mode" in
  quick) args=(--smb_shapes=headline --smb_filter_isa=best --benchmark_min_time=0.1) ;;
  # The claims section (scripts/claims.py): claim 1's AVX2 pair out of cache. Not a --quick
  # entry, whose filter keeps the dispatch ISA only; on a CPU without AVX2 they are skipped.
  claims) args=(--smb_shapes=headline --smb_filter_isa=all --benchmark_min_time=0.1
                '--benchmark_filter=^(two_pass|max_shifted|recompute)\.avx2/1/16777216$') ;;
  full) args=(--smb_shapes=all --smb_filter_isa=all --benchmark_repetitions=5
              --benchmark_report_aggregates_only=true) ;;
esac

echo "machine id: $machine_id"
[[ -z $target ]] || echo "target:     emulated $target ($target_note)"
echo "output:     $out"
echo "mode:       $mode (${args[*]} ${extra[*]})"

# ---- progress: [k/N] name, share of the work, elapsed, ETA (to stderr) ----
# fmt_seconds S: "12.3 s" below 100 s, else "83m25s" (as `softmaxbench accuracy` prints them).
fmt_seconds() {
  awk -v s="$1" 'BEGIN { if (s < 100) printf "%.1f s", s; else printf "%dm%02ds", int(s / 60), int(s) % 60 }'
}

# The time left, from STATE/done ("index elements shape seconds" per finished benchmark) and
# STATE/all (the same without seconds, every benchmark). A benchmark left is predicted to take
# the mean time of its shape (rows/cols/threads) so far; a shape not run yet, the mean time per
# benchmark of the sizes (rows x cols) seen so far, interpolated linearly in the size between
# the nearest smaller and larger one, flat beyond them (a slope measured on short rows says
# little about 16M-element ones: no extrapolation). The times include the repetitions.
# Prints "P% of the work, T elapsed, ETA R" (P = elapsed / (elapsed + left)).
ETA_AWK='
function fmt(s) { return s < 100 ? sprintf("%.1f s", s) : sprintf("%dm%02ds", int(s / 60), int(s) % 60) }
FNR == NR { fin[$1] = 1; ssum[$3] += $4; scnt[$3]++; nsum[$2] += $4; ncnt[$2]++; next }
!($1 in fin) { left += ($3 in scnt) ? ssum[$3] / scnt[$3] : by_size($2 + 0) }
function by_size(n,    s, lo, hi, tlo, thi) {
  lo = -1; hi = -1
  for (s in ncnt) {
    s += 0
    if (s <= n && (lo < 0 || s > lo)) lo = s
    if (s >= n && (hi < 0 || s < hi)) hi = s
  }
  if (lo >= 0) tlo = nsum[lo] / ncnt[lo]
  if (hi >= 0) thi = nsum[hi] / ncnt[hi]
  if (lo < 0) return thi
  if (hi < 0 || hi == lo) return tlo
  return tlo + (thi - tlo) * (n - lo) / (hi - lo)
}
END {
  el = now - start
  pct = (el + left > 0) ? 100 * el / (el + left) : 100
  printf "%.0f%% of the work, %s elapsed, ETA %s\n", pct, fmt(el), fmt(left)
}'

# progress LIST REPS STATE: copies Google Benchmark's console lines from stdin to stdout and
# prints a progress line to stderr whenever a benchmark of LIST (one name a line, from
# --benchmark_list_tests) has finished: at its line when it runs once, at its _cv aggregate
# (the last one Google Benchmark prints) when it repeats, and in any case when a line of
# another benchmark appears (a benchmark skipped with an error has no aggregates). A
# benchmark's time is the time between two finished benchmarks. STATE: a scratch folder.
progress() {
  local list=$1 reps=$2 state=$3 line tok base idx now k=0 total=0 name
  local -A index_of=()
  local -a names=() finished=()
  : > "$state/all"
  : > "$state/done"
  while IFS= read -r name || [[ -n $name ]]; do
    [[ -n $name ]] || continue
    index_of[$name]=${#names[@]}
    # <impl>/<rows>/<cols>[/<threads>/real_time]: size rows x cols, shape = all after <impl>.
    if [[ $name =~ ^[^/]+/([0-9]+)/([0-9]+)(/|$) ]]; then
      echo "${#names[@]} $(( BASH_REMATCH[1] * BASH_REMATCH[2] )) ${name#*/}" >> "$state/all"
    else
      echo "${#names[@]} 0 ?" >> "$state/all"
    fi
    names+=("$name")
  done < "$list"
  total=${#names[@]}
  if [[ $total -eq 0 ]]; then
    echo "bench: --benchmark_list_tests named no benchmark: no progress lines" >&2
    cat
    return
  fi
  local start=${EPOCHREALTIME/,/.} last=${EPOCHREALTIME/,/.} current=-1
  finish() {  # finish IDX: marks benchmark IDX finished and prints the progress line
    local i=$1 rest
    [[ -z ${finished[$i]:-} ]] || return 0
    finished[$i]=1
    k=$((k + 1))
    now=${EPOCHREALTIME/,/.}
    read -r _ rest < <(sed -n "$((i + 1))p" "$state/all")
    echo "$i $rest $(awk -v a="$last" -v b="$now" 'BEGIN { printf "%.6f", b - a }')" >> "$state/done"
    last=$now
    printf 'bench: [%d/%d] %s, %s\n' "$k" "$total" "${names[$i]}" \
      "$(awk -v start="$start" -v now="$now" "$ETA_AWK" "$state/done" "$state/all")" >&2
  }
  while IFS= read -r line || [[ -n $line ]]; do
    printf '%s\n' "$line"
    tok=${line%%[[:space:]]*}
    [[ -n $tok ]] || continue
    idx=${index_of[$tok]:-}
    base=$tok
    if [[ -z $idx && $tok == *_* && ${tok##*_} != */* ]]; then
      base=${tok%_*}
      idx=${index_of[$base]:-}
    fi
    [[ -n $idx ]] || continue
    if [[ $current -ge 0 && $idx -ne $current ]]; then
      finish "$current"
    fi
    current=$idx
    if [[ $reps -le 1 || $tok == "${base}_cv" ]]; then
      finish "$idx"
    fi
  done
  if [[ $current -ge 0 ]]; then
    finish "$current"
  fi
  printf 'bench: %d of %d benchmarks reported, %s\n' "$k" "$total" \
    "$(fmt_seconds "$(awk -v a="$start" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { print b - a }')")" >&2
}

# The repetitions every benchmark runs (the last --benchmark_repetitions= wins, as in the binary).
reps=1
for a in "${args[@]}" "${extra[@]}"; do
  [[ $a =~ ^--benchmark_repetitions=([0-9]+)$ ]] && reps=${BASH_REMATCH[1]}
done
state="$(mktemp -d)"
trap 'rm -f "$tmp"; rm -rf "$state"' EXIT
if ! "$bin" "${args[@]}" "${extra[@]}" --benchmark_list_tests=true > "$state/list" 2>/dev/null; then
  : > "$state/list"  # no count: the run below still runs, without progress lines
fi
# stdbuf: Google Benchmark's console lines reach the progress reader as they are printed.
unbuffered=()
command -v stdbuf > /dev/null 2>&1 && unbuffered=(stdbuf -oL)
"${unbuffered[@]}" "$bin" "${args[@]}" --benchmark_out="$tmp" --benchmark_out_format=json "${extra[@]}" \
  | progress "$state/list" "$reps" "$state"

# ---- PyTorch at ATEN_CPU_CAPABILITY=avx512 ----
# ATen reads ATEN_CPU_CAPABILITY once per process and picks avx2 by default (1.13), so its
# AVX-512 kernels need a second process. It runs the pytorch entries of the first run again
# (named pytorch.avx512..., pytorch_api.avx512...) and its benchmarks are appended to the JSON.
pytorch_second_run() {
  local py2="${PYTHON:-$(command -v python3 || true)}"
  [[ -n "$py2" ]] || { echo "bench.sh: no python3 to merge the PyTorch avx512 run; skipped" >&2; return 0; }
  local filter
  filter="$("$py2" - "$tmp" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
# Exactly the entries the first run timed, under their capability-suffixed names.
alts = sorted({re.escape(m.group(1)) + "\\.[a-z0-9]+" + re.escape(m.group(2) or "") + "/" + re.escape(m.group(3))
               for b in d["benchmarks"]
               if (m := re.match(r"^(pytorch|pytorch_api)(:log)?/(.*)$", b.get("run_name", b["name"])))
               and not b.get("error_occurred")})
print("^(" + "|".join(alts) + ")$" if alts else "")
PY
)"
  [[ -n "$filter" ]] || return 0
  local tmp2
  tmp2="$(mktemp "$(dirname "$out")/.bench-avx512-XXXXXX.json.tmp")"
  echo "PyTorch again with ATEN_CPU_CAPABILITY=avx512 (a second process)"
  ATEN_CPU_CAPABILITY=avx512 "$bin" "${args[@]}" "${extra[@]}" --benchmark_filter="$filter" \
    --benchmark_out="$tmp2" --benchmark_out_format=json
  "$py2" - "$tmp" "$tmp2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a["benchmarks"] += b["benchmarks"]
cb = b.get("context", {})
a["context"]["pytorch_second_run"] = (
    f"ATEN_CPU_CAPABILITY={cb.get('aten_cpu_capability_env', '?')}: capability "
    f"{cb.get('pytorch_cpu_capability', '?')}, {len(b['benchmarks'])} runs appended")
json.dump(a, open(sys.argv[1], "w"), indent=2)
PY
  rm -f "$tmp2"
}
# The claims run times only our two AVX2 entries: no peers to add. An emulated target has no
# AVX-512: ATen stays at the target's capability.
[[ $mode == claims || -n $target ]] || pytorch_second_run

# ---- NumPy / SciPy (scripts/bench_numpy.py) ----
# The seeds' NumPy code and scipy.special on the same shapes and the same input arrays (written by
# the binary, --smb_write_inputs), with the mode's min time, repetitions and filter; appended to
# the JSON like the runs above. Skipped, with what to install, when no Python has numpy + scipy.
numpy_run() {
  local py3="" p a shapes="all" input="" min_time=0.5 reps=1 filter="." agg="" inputs tmp3
  [[ "$mode" == quick ]] && { shapes=headline; min_time=0.1; }
  for a in "${args[@]}" "${extra[@]}"; do  # later flags win, as for the binary
    case "$a" in
      --smb_shapes=*) shapes="${a#*=}" ;;
      --smb_input=*) input="${a#*=}" ;;
      --benchmark_min_time=*) min_time="${a#*=}"; min_time="${min_time%s}" ;;
      --benchmark_repetitions=*) reps="${a#*=}" ;;
      --benchmark_filter=*) filter="${a#*=}" ;;
      --benchmark_report_aggregates_only=true) agg=--aggregates-only ;;
    esac
  done
  for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import numpy, scipy.special" >/dev/null 2>&1; then
      py3="$(command -v "$p")"; break
    fi
  done
  if [[ -z "$py3" ]]; then
    echo "bench.sh: no Python with numpy and scipy (tried \$PYTHON, python3, /usr/bin/python3): the" \
         "NumPy/SciPy peers are not run; install python3-numpy python3-scipy" >&2
    return 0
  fi
  inputs="$(mktemp -d)"
  tmp3="$(mktemp "$(dirname "$out")/.bench-numpy-XXXXXX.json.tmp")"
  echo "NumPy/SciPy peers (scripts/bench_numpy.py, $py3)"
  "$bin" --smb_write_inputs="$inputs" --smb_shapes="$shapes" ${input:+--smb_input="$input"} >/dev/null
  "$py3" "$root/scripts/bench_numpy.py" --inputs "$inputs" --min-time "$min_time" \
    --repetitions "$reps" --filter "$filter" $agg --out "$tmp3"
  rm -rf -- "$inputs"
  "$py3" - "$tmp" "$tmp3" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a["benchmarks"] += b["benchmarks"]
cb = b["context"]
a["context"]["numpy_run"] = (f"scripts/bench_numpy.py: python {cb['python_version']}, numpy "
                             f"{cb['numpy_version']}, scipy {cb['scipy_version']}; "
                             f"{len(b['benchmarks'])} runs appended")
for k in ("python_version", "numpy_version", "scipy_version", "numpy_cpu_dispatch"):
    a["context"][k] = cb[k]
json.dump(a, open(sys.argv[1], "w"), indent=2)
PY
  rm -f "$tmp3"
}
[[ $mode == claims ]] || numpy_run

# Only a complete, parseable file is kept. An emulated target's caps go into its context (the
# binary records target_isa itself).
py="${PYTHON:-$(command -v python3 || true)}"
if [[ -n "$py" ]]; then
  "$py" - "$tmp" "$target_note" <<'PY' || { echo "bench.sh: the run produced no usable JSON; nothing written" >&2; exit 1; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["benchmarks"], "no benchmarks"
if sys.argv[2]:
    d["context"]["target_isa_run"] = sys.argv[2]
    json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
fi
chmod 644 "$tmp"
mv "$tmp" "$out"
rm -rf "$state"
trap - EXIT
echo "machine id: $machine_id"
echo "wrote:      $out"
