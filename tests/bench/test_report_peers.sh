#!/usr/bin/env bash
# The report and the accuracy heatmaps with the peers of issue 12, on a small REAL run: a bench
# JSON from scripts/bench.sh (ours, PyTorch at both capabilities, the NumPy/SciPy peers), a tiny
# `softmaxbench accuracy` and a tiny peer_accuracy; then plot_accuracy.py and make_report.py.
# usage: tests/bench/test_report_peers.sh BUILD_DIR SCRATCH_DIR        (ctest: report_peers)
# Needs a Python with numpy, scipy and matplotlib; skips (exit 77) without one.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "BUILD_DIR SCRATCH_DIR" "$@"
build="$1"
work="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py="$(find_python "numpy, scipy.special, matplotlib")" || { echo "SKIP: no Python with numpy, scipy and matplotlib"; exit 77; }
export PYTHON="$py"
rm -rf -- "$work"
res="$work/res"
mkdir -p -- "$res"

"$build/softmaxbench" accuracy --quick --variants max_shifted.scalar,online.scalar \
  --distributions normal_1,offset_1e4 --out "$res/accuracy.csv" > "$work/acc.log" 2>&1
check "softmaxbench accuracy wrote accuracy.csv" "[[ -s '$res/accuracy.csv' ]]" "$(tail -3 "$work/acc.log")"
"$build/bench/peer_accuracy" --sizes 17,1000 --distributions normal_1,offset_1e4 \
  --out "$res/peer-accuracy.csv" > "$work/peer.log" 2>&1
check "peer_accuracy exits 0" "[[ $? -eq 0 && -s '$res/peer-accuracy.csv' ]]" "$(tail -3 "$work/peer.log")"
bash "$root/scripts/bench.sh" --bin "$build/bench/softmax_bench" --out "$res/bench-20260101-000000.json" -- \
  --smb_shapes=1x64,2x1000 --smb_filter_isa=all \
  --benchmark_filter='^(max_shifted\.scalar|online\.scalar|onednn|xnnpack|memcpy|pytorch|pytorch_api|numpy_guide|scipy)(:log)?/' \
  --benchmark_min_time=0.002 > "$work/bench.log" 2>&1
check "bench.sh exits 0 and writes the JSON" "[[ $? -eq 0 && -s '$res/bench-20260101-000000.json' ]]" "$(tail -5 "$work/bench.log")"
pytorch_built=0
grep -q '"pytorch_version": "not built' "$res/bench-20260101-000000.json" || pytorch_built=1

"$py" "$root/scripts/plot_accuracy.py" --results "$res" > "$work/plot.log" 2>&1
check "plot_accuracy.py exits 0" "[[ $? -eq 0 && -s '$res/accuracy-heatmap-softmax.png' ]]" "$(tail -3 "$work/plot.log")"
# The heatmap has the peer rows: taller than the same plot without peer-accuracy.csv.
mkdir -p "$work/nopeers"
cp "$res/accuracy.csv" "$res/accuracy.json" "$res/accuracy-special.csv" "$work/nopeers/" 2>/dev/null
"$py" "$root/scripts/plot_accuracy.py" --results "$work/nopeers" > "$work/plot2.log" 2>&1
png_height() { "$py" -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); print(struct.unpack('>I', d[20:24])[0])" "$1"; }
h_with=$(png_height "$res/accuracy-heatmap-softmax.png")
h_without=$(png_height "$work/nopeers/accuracy-heatmap-softmax.png")
check "the softmax heatmap has the peer rows (taller: $h_with vs $h_without px)" "[[ $h_with -gt $h_without ]]"
"$py" "$root/scripts/make_report.py" --results "$res" > "$work/report.log" 2>&1
check "make_report.py exits 0" "[[ $? -eq 0 && -s '$res/REPORT.md' ]]" "$(tail -3 "$work/report.log")"
r="$res/REPORT.md"
check "REPORT.md has the PyTorch, NumPy and SciPy section" "grep -q '^## PyTorch, NumPy and SciPy' '$r'"
check "the quotable ratio to the guide's NumPy" "grep -Eq \"^From the guide's NumPy to our fastest: [0-9.]+×\" '$r'"
check "the PyTorch/NumPy/SciPy throughput table, with a 2x1000 row" \
  "grep -q '^| Shape | Threads | Fastest | G elem/s | PyTorch | torch::softmax | NumPy (guide) | SciPy | Fastest ÷ PyTorch' '$r' \
   && grep -Eq '^\| 2x1000 \| 1 \| \`(max_shifted|online)\.scalar\` \| [0-9.]+ \| [^|]+ \| [^|]+ \| [0-9.]+ \| [0-9.]+ \|' '$r'"
if [[ $pytorch_built -eq 1 ]]; then
  check "PyTorch at its faster capability, and the ratio to it" \
    "grep -Eq '^\| 1x64 \| 1 \| .*\(\`pytorch(\.avx512)?\`\) \| [0-9.]+ \|' '$r' && grep -q 'Our fastest ÷ PyTorch' '$r'"
  check "the peer sweep table lists pytorch and pytorch.avx512" \
    "grep -q '^| \`pytorch\` | softmax |' '$r' && grep -q '^| \`pytorch.avx512\` | log_softmax |' '$r'"
  check "the special-value table says PyTorch gives NaN for all -inf" \
    "grep -Eq '^\| \`pytorch\` \| softmax \| (.*\| ){3}all NaN \|' '$r'"
fi
check "the peer sweep table lists the guide's NumPy" "grep -q '^| \`numpy_guide\` | softmax |' '$r'"
harness_finish
