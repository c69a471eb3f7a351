#!/usr/bin/env bash
# Smoke test of the backward's benchmark entries (bench/bench_backward.cpp): a few entries at
# 1x64 and 1x4096 with a tiny min time, then checks on the JSON: every entry ran (no error, no
# failed check), counts elements and 12 bytes per element, and records bound_k within its bound;
# then the report section (scripts/report_backward.py) and the figure (scripts/plot_backward.py,
# through scripts/pyrun.sh; skipped without matplotlib) from that JSON.
# usage: tests/bench/smoke_backward.sh BINARY SCRATCH_DIR [--require-peers]   (ctest: bench_smoke_backward)
# Needs Python 3 with the standard library only ($PYTHON, else /usr/bin/python3).
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 || ( $# -eq 3 && "$3" != "--require-peers" ) ]]; then
  echo "usage: $0 BINARY SCRATCH_DIR [--require-peers]" >&2
  exit 2
fi
mkdir -p "$2"
scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)"
lib="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)"
PYTHONPATH="$lib${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-/usr/bin/python3}" - "$1" "$2" "${3:-}" "$scripts" <<'PYEOF'
import json, os, shutil, subprocess, sys

binary, scratch, require_peers, scripts = sys.argv[1], sys.argv[2], sys.argv[3] == "--require-peers", sys.argv[4]
out = os.path.join(scratch, "smoke_backward.json")
if os.path.exists(out):
    os.remove(out)
from harness import check, finish  # tests/lib/harness.py

flt = r"^(backward\.scalar\.accurate|backward\.sse2|onednn|pytorch|memcpy|jacobian):(log_)?softmax_backward/1/(64|4096)$"
run = subprocess.run([binary, f"--benchmark_filter={flt}", "--benchmark_min_time=0.01",
                      f"--benchmark_out={out}", "--benchmark_out_format=json"], capture_output=True, text=True)
check(run.returncode == 0, "binary exits 0", run.stderr[-2000:])
with open(out) as f:
    rows = {r["name"]: r for r in json.load(f)["benchmarks"]}
want = ["backward.scalar.accurate:softmax_backward/1/64", "backward.scalar.accurate:log_softmax_backward/1/64",
        "backward.sse2:softmax_backward/1/4096", "backward.sse2:log_softmax_backward/1/4096",
        "jacobian:softmax_backward/1/64", "jacobian:softmax_backward/1/4096", "memcpy:softmax_backward/1/4096",
        "memcpy:log_softmax_backward/1/4096"]
peers = ["onednn:softmax_backward/1/4096", "onednn:log_softmax_backward/1/4096",
         "pytorch:softmax_backward/1/4096", "pytorch:log_softmax_backward/1/4096"]
for name in want + peers:
    r = rows.get(name)
    if r is None:
        check(False, f"{name} is registered", f"entries: {sorted(rows)}")
        continue
    if r.get("error_occurred"):
        msg = r.get("error_message", "")
        if name in peers and not require_peers and "not found at build time" in msg:
            print(f"skip {name}: {msg}")
            continue
        check(False, f"{name} ran", msg)
        continue
    ips, bps = r.get("items_per_second", 0), r.get("bytes_per_second", 0)
    check(ips > 0 and abs(bps / ips - 12) < 1e-6, f"{name}: items/s > 0 and 12 bytes per element", f"{ips} {bps}")
    check(isinstance(r.get("bound_k"), (int, float)) and "row 0: k" in r.get("label", ""),
          f"{name}: bound_k recorded ({r.get('bound_k')})", r.get("label", ""))
# The quick set (scripts/bench.sh --quick: --smb_shapes=headline --smb_filter_isa=best) lists the
# log_softmax_backward peers beside the softmax ones, and the training ops' large shapes:
# cross-entropy at 8x128256 and 1x16M (f32, and bf16 with --smb_dtype=bf16).
def listed(*extra):
    r = subprocess.run([binary, "--smb_shapes=headline", "--smb_filter_isa=best", "--benchmark_list_tests=true", *extra],
                       capture_output=True, text=True)
    return r.returncode, set(r.stdout.split())
rc, quick = listed()
for name in ["onednn:log_softmax_backward/4096/128", "pytorch:log_softmax_backward/32/32000",
             "memcpy:log_softmax_backward/1/16777216", "onednn:softmax_backward/8/128256",
             "pytorch_autograd:cross_entropy/8/128256", "pytorch_autograd:cross_entropy/1/16777216",
             "memcpy:cross_entropy/1/16777216"]:
    check(rc == 0 and name in quick, f"quick set lists {name}", f"{len(quick)} entries")
check(any(n.startswith("ce_fused.") and n.endswith(":cross_entropy/1/16777216") for n in quick),
      "quick set lists our ce_fused at 1x16M", "")
check(not any(".bf16" in n and "cross_entropy" in n for n in quick), "the f32 quick set has no bf16 cross-entropy", "")
# The split training rows at 2 threads (1x16M: the batch call cuts the one row), so a quick run
# records their 2T / 1T: softmax_backward and cross_entropy, ours fast and accurate, the peers
# there at 1 thread, memcpy; nothing more (the quick run's time).
split2 = {n for n in quick if "/1/16777216/2/" in n and ("_backward" in n or ":cross_entropy" in n)}
want2 = ["memcpy:softmax_backward/1/16777216/2/real_time", "onednn:softmax_backward/1/16777216/2/real_time",
         "pytorch_autograd:cross_entropy/1/16777216/2/real_time", "pytorch_aten:cross_entropy/1/16777216/2/real_time",
         "memcpy:cross_entropy/1/16777216/2/real_time"]
for name in want2:
    check(name in split2, f"quick set lists {name}", f"{sorted(split2)}")
ours2 = sorted(n for n in split2 if n.startswith(("backward.", "ce_")))
check(len([n for n in ours2 if n.startswith("backward.") and ".accurate:" in n]) == 1
      and len([n for n in ours2 if n.startswith("backward.") and ".accurate:" not in n]) == 1
      and len([n for n in ours2 if n.startswith("ce_fused.") and ".accurate:" in n]) == 1
      and len([n for n in ours2 if n.startswith("ce_fused.") and ".accurate:" not in n]) == 1
      and len(ours2) == 4, "quick set: ours at 1x16M, 2 threads = backward and ce_fused, fast and accurate", f"{ours2}")
for n in ours2:
    check(n.replace("/2/real_time", "") in quick, f"{n}: its 1-thread entry is in the quick set too", "")
check(not any("log_softmax_backward" in n or "cross_entropy_loss" in n or ".bf16" in n for n in split2)
      and all(n.split(":")[0].split(".")[0] in ("backward", "ce_fused", "onednn", "pytorch", "pytorch_autograd",
                                                "pytorch_aten", "memcpy") for n in split2),
      "quick set: no other 2-thread 1x16M training entry", f"{sorted(split2)}")
rc, quick16 = listed("--smb_dtype=bf16")
check(rc == 0 and "pytorch_autograd.bf16:cross_entropy/8/128256" in quick16 and "memcpy.bf16:cross_entropy/1/16777216" in quick16
      and any(n.startswith("ce_fused.") and n.endswith(".bf16:cross_entropy/8/128256") for n in quick16)
      and not any(n.startswith("pytorch_autograd:cross_entropy") for n in quick16),
      "the bf16 quick set lists the bf16 cross-entropy entries (and not the f32 ones)", f"{len(quick16)} entries")
# --smb_filter_isa=best keeps the bf16 cross-entropy rows of the ISA it keeps for the bf16 forward
# rows (avx512bf16 where the CPU has AVX512_BF16 and no SOFTMAXBENCH_FORCE_ISA caps it).
def isas_of(names, ce):
    parts = [n.split("/")[0].split(":")[0].split(".") for n in names if (":cross_entropy" in n) == ce]
    return {p[1] for p in parts if len(p) >= 3 and p[-1].startswith("bf16") and p[1] != "scalar"}
fwd16, ce16 = isas_of(quick16, False), isas_of(quick16, True)
check(len(fwd16) == 1 and ce16 == fwd16, "the bf16 quick set's cross-entropy rows are of the bf16 forward rows' ISA",
      f"forward {sorted(fwd16)}, cross-entropy {sorted(ce16)}")
# The report section and the figure from this JSON.
res = os.path.join(scratch, "results")
shutil.rmtree(res, ignore_errors=True)
os.makedirs(res)
shutil.copy(out, os.path.join(res, "bench-20000101-000000.json"))
rep = subprocess.run([sys.executable, os.path.join(scripts, "report_backward.py"), "--results", res],
                     capture_output=True, text=True)
check(rep.returncode == 0 and "| `softmax_backward` | 1x4096 | 1 | `backward.sse2` " in rep.stdout
      and "| 4096 | `backward.sse2` |" in rep.stdout and "Accuracy not run" in rep.stdout,
      "report_backward.py: throughput row, Jacobian row, accuracy 'not run'", rep.stdout[-1500:] + rep.stderr[-500:])
plot = subprocess.run(["bash", os.path.join(scripts, "pyrun.sh"), os.path.join(scripts, "plot_backward.py"),
                       "--results", res], capture_output=True, text=True)
png = os.path.join(res, "bench-20000101-000000-backward.png")
if plot.returncode != 0 and "install" in plot.stderr:
    print(f"skip plot_backward.py: {plot.stderr.strip()}")
else:
    check(plot.returncode == 0 and os.path.getsize(png) > 10000, "plot_backward.py writes the figure",
          plot.stderr[-500:])
finish()
PYEOF
