#!/usr/bin/env bash
# Runs the softmax benchmark (bench/softmax_bench) and stores its raw Google Benchmark JSON.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/bench.sh [--quick|--full] [--out FILE] [--no-build] [--bin PATH] [-- extra benchmark args]

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
goes to stderr. N comes from --benchmark_list_tests with the same flags. The work left is
estimated from the benchmarks' sizes and the times so far: a least-squares fit of each finished
benchmark's time to a + b x elements (x repetitions, the same for all), summed over the ones
left. A failing benchmark binary fails the script.

  --quick      (default) headline shapes, only our variants of the dispatch ISA and scalar
               (--smb_shapes=headline --smb_filter_isa=best), --benchmark_min_time=0.1;
               a few minutes on 2 cores
  --full       all shapes, all variants, --benchmark_repetitions=5
               --benchmark_report_aggregates_only=true (mean, median, stddev, cv in the JSON);
               long (tens of minutes)
  --out FILE   write the JSON to FILE instead
  --no-build   do not configure or build; use the existing binary
  --bin PATH   run this softmax_bench binary (implies --no-build)
  -- ARGS      passed to softmax_bench after the mode's flags (later flags win), e.g.
               -- --benchmark_filter='online' --smb_shapes=all
  -h, --help   this text
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=quick
out=""
build=1
bin=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --out) [[ $# -ge 2 ]] || { echo "bench.sh: --out needs a file" >&2; exit 2; }; out="$2"; shift ;;
    --out=*) out="${1#--out=}" ;;
    --no-build) build=0 ;;
    --bin) [[ $# -ge 2 ]] || { echo "bench.sh: --bin needs a path" >&2; exit 2; }; bin="$2"; build=0; shift ;;
    --bin=*) bin="${1#--bin=}"; build=0 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

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

if [[ -z "$out" ]]; then
  out="results/${machine_id}/bench-$(date -u +%Y%m%d-%H%M%S).json"
fi
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.bench-XXXXXX.json.tmp")"
trap 'rm -f "$tmp"' EXIT

case "$mode" in
  quick) args=(--smb_shapes=headline --smb_filter_isa=best --benchmark_min_time=0.1) ;;
  full) args=(--smb_shapes=all --smb_filter_isa=all --benchmark_repetitions=5
              --benchmark_report_aggregates_only=true) ;;
esac

echo "machine id: $machine_id"
echo "output:     $out"
echo "mode:       $mode (${args[*]} ${extra[*]})"

# ---- progress: [k/N] name, share of the work, elapsed, ETA (to stderr) ----
# fmt_seconds S: "12.3 s" below 100 s, else "83m25s" (as `softmaxbench accuracy` prints them).
fmt_seconds() {
  awk -v s="$1" 'BEGIN { if (s < 100) printf "%.1f s", s; else printf "%dm%02ds", int(s / 60), int(s) % 60 }'
}

# progress LIST REPS: copies Google Benchmark's console lines from stdin to stdout and prints a
# progress line to stderr whenever a benchmark of LIST (one name a line, from
# --benchmark_list_tests) has finished. A benchmark is finished at its line when it runs once,
# at its _cv aggregate (the last one Google Benchmark prints) when it repeats, and in any case
# when a line of another benchmark appears (a benchmark skipped with an error has no
# aggregates). The per-benchmark time is the time between two finished benchmarks.
progress() {
  local list=$1 reps=$2 line tok base idx now k=0 total=0 name n
  local -A index_of=()
  local -a names=() elems=() finished=()
  while IFS= read -r name || [[ -n $name ]]; do
    [[ -n $name ]] || continue
    index_of[$name]=${#names[@]}
    names+=("$name")
    # <impl>/<rows>/<cols>[/<threads>/real_time]: elements = rows x cols; else unknown (0).
    if [[ $name =~ ^[^/]+/([0-9]+)/([0-9]+)(/|$) ]]; then
      elems+=($(( BASH_REMATCH[1] * BASH_REMATCH[2] )))
    else
      elems+=(0)
    fi
  done < "$list"
  total=${#names[@]}
  if [[ $total -eq 0 ]]; then
    echo "bench: --benchmark_list_tests named no benchmark: no progress lines" >&2
    cat
    return
  fi
  local start=${EPOCHREALTIME/,/.} last=${EPOCHREALTIME/,/.} current=-1 left_c=$total left_n=0
  for n in "${elems[@]}"; do left_n=$((left_n + n)); done
  # The fit's sums over the finished benchmarks (count, sum n, sum n^2, sum t, sum n t, with
  # n = elements x repetitions; awk does the floating point) and the count and elements of those
  # left. A name of another form counts as 0 elements: the fit's constant part only.
  local fit="0 0 0 0 0"
  finish() {  # finish IDX: marks benchmark IDX finished and prints the progress line
    local i=$1 t out
    [[ -z ${finished[$i]:-} ]] || return 0
    finished[$i]=1
    k=$((k + 1))
    now=${EPOCHREALTIME/,/.}
    left_c=$((left_c - 1)); left_n=$((left_n - elems[i]))
    out=$(awk -v fit="$fit" -v n="${elems[$i]}" -v t0="$last" -v t1="$now" -v start="$start" \
              -v left_c="$left_c" -v left_n="$left_n" -v reps="$reps" '
      function fmt(s) { return s < 100 ? sprintf("%.1f s", s) : sprintf("%dm%02ds", int(s / 60), int(s) % 60) }
      BEGIN {
        split(fit, f, " "); c = f[1] + 1; sn = f[2] + n * reps; snn = f[3] + (n * reps) ^ 2
        d = t1 - t0; st = f[4] + d; snt = f[5] + n * reps * d
        # t = a + b * (n * reps): least squares; b >= 0 and a >= 0 (else the one-parameter fit).
        mn = sn / c; mt = st / c; var = snn / c - mn * mn
        if (var > 1e-9 * (mn * mn + 1)) { b = (snt / c - mn * mt) / var; a = mt - b * mn }
        else { b = 0; a = mt }
        if (b < 0) { b = 0; a = mt }
        if (a < 0) { a = 0; b = snt / snn }
        left = a * left_c + b * left_n * reps
        doneest = a * c + b * sn
        pct = doneest + left > 0 ? 100 * doneest / (doneest + left) : 100
        printf "%d %.17g %.17g %.17g %.17g\n", c, sn, snn, st, snt
        printf "%.0f%% of the work, %s elapsed, ETA %s\n", pct, fmt(t1 - start), left_c ? fmt(left) : "0.0 s"
      }') || out=""
    last=$now
    if [[ -n $out ]]; then
      fit=${out%%$'\n'*}
      printf 'bench: [%d/%d] %s, %s\n' "$k" "$total" "${names[$i]}" "${out#*$'\n'}" >&2
    else
      printf 'bench: [%d/%d] %s\n' "$k" "$total" "${names[$i]}" >&2
    fi
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
list="$(mktemp "$(dirname "$out")/.bench-XXXXXX.list.tmp")"
trap 'rm -f "$tmp" "$list"' EXIT
if ! "$bin" "${args[@]}" "${extra[@]}" --benchmark_list_tests=true > "$list" 2>/dev/null; then
  : > "$list"  # no count: the run below still runs, the lines only lack N and the ETA
fi
# stdbuf: Google Benchmark's console lines reach the progress reader as they are printed.
unbuffered=()
command -v stdbuf > /dev/null 2>&1 && unbuffered=(stdbuf -oL)
"${unbuffered[@]}" "$bin" "${args[@]}" --benchmark_out="$tmp" --benchmark_out_format=json "${extra[@]}" \
  | progress "$list" "$reps"

# Only a complete, parseable file is kept.
py="${PYTHON:-$(command -v python3 || true)}"
if [[ -n "$py" ]]; then
  "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["benchmarks"], "no benchmarks"' "$tmp" \
    || { echo "bench.sh: the run produced no usable JSON; nothing written" >&2; exit 1; }
fi
chmod 644 "$tmp"
mv "$tmp" "$out"
rm -f "$list"
trap - EXIT
echo "machine id: $machine_id"
echo "wrote:      $out"
