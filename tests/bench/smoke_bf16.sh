#!/usr/bin/env bash
# Smoke test of the bf16 entries (softmax_bench --smb_dtype=bf16): one small shape and one of the
# large-vocabulary shapes' names, tiny min time; every bf16 variant available here, oneDNN bf16,
# PyTorch bf16 and memcpy.bf16 must run (no error) with their check met, and the bytes counted
# must be 2 read + 2 (bf16 out) or 4 (float32 out) written per element; the f32 cross-entropy
# entries are registered by the f32 and all runs only.
# usage: tests/bench/smoke_bf16.sh BINARY SCRATCH_DIR [--require-peers]   (ctest: bench_smoke_bf16)
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 BINARY SCRATCH_DIR [--require-peers]" >&2
  exit 2
fi
mkdir -p "$2"
exec "${PYTHON:-/usr/bin/python3}" - "$1" "$2" "${3:-}" <<'PYEOF'
import json, os, subprocess, sys
binary, scratch, require = sys.argv[1], sys.argv[2], sys.argv[3] == "--require-peers"
out = os.path.join(scratch, "bf16.json")
passed = failed = 0
def check(ok, what, detail=""):
    global passed, failed
    passed, failed = passed + bool(ok), failed + (not ok)
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else ": " + detail))
run = subprocess.run([binary, "--smb_dtype=bf16", "--smb_shapes=1x1000", "--benchmark_min_time=0.01",
                      f"--benchmark_out={out}", "--benchmark_out_format=json"], capture_output=True, text=True)
check(run.returncode == 0, "binary exits 0", run.stderr[-2000:])
doc = json.load(open(out))
check(doc["context"].get("smb_dtype") == "bf16", "context has smb_dtype=bf16")
runs = {b["name"]: b for b in doc["benchmarks"]}
names = set(runs)
check(any(n.startswith("online.avx512.bf16/") or n.startswith("online.sse2.bf16/") for n in names), "our .bf16 entries are registered")
check(not any(n.split("/")[0] in ("online.avx512", "onednn", "memcpy") for n in names), "no f32 entries with --smb_dtype=bf16")
for base in ["onednn.bf16", "onednn_log.bf16", "pytorch.bf16", "pytorch.bf16:log", "memcpy.bf16",
             "online.scalar.accurate.bf16", "online.sse2.bf16", "online.sse2.accurate.bf16_f32", "max_shifted.sse2.bf16:log"]:
    b = runs.get(base + "/1/1000")
    if b is None:
        check(False, f"{base} registered")
        continue
    err = b.get("error_message", "")
    if err and "not found at build time" in err and not require:
        print(f"skip {base}: {err}")
        continue
    check(not b.get("error_occurred", False), f"{base} runs with its check met", err)
    if not b.get("error_occurred", False):
        per = b["bytes_per_second"] / b["items_per_second"]
        want = 6 if base.endswith("bf16_f32") else 4
        check(abs(per - want) < 1e-6, f"{base}: {want} bytes per element", str(per))
# The large vocabularies are in the default bf16 shape set.
lst = subprocess.run([binary, "--smb_dtype=bf16", "--benchmark_list_tests=true"], capture_output=True, text=True).stdout
for shape in ["8/128256", "32/151936", "1/16777216"]:
    check(f"online.sse2.bf16/{shape}" in lst and f"memcpy.bf16/{shape}" in lst, f"bf16 shape {shape} listed")
# The f32 cross-entropy entries: listed by the f32 run (the default) and by all, once each, and not
# by the bf16 run (which would time them a second time in scripts/reproduce.sh); the bf16 run lists
# only cross-entropy entries on bf16 logits (<impl>.bf16...).
f32_ce = [n for n in lst.split() if ":cross_entropy" in n and ".bf16" not in n.split(":")[0]]
check(not f32_ce, "no f32 cross-entropy entries with --smb_dtype=bf16", " ".join(f32_ce[:3]))
for dtype in ("f32", "all"):
    listed = subprocess.run([binary, f"--smb_dtype={dtype}", "--benchmark_list_tests=true"], capture_output=True,
                            text=True).stdout.split()
    ce = [n for n in listed if ":cross_entropy" in n]
    check(ce and len(ce) == len(set(ce)), f"--smb_dtype={dtype} lists the cross-entropy entries once each",
          f"{len(ce)} listed, {len(set(ce))} distinct")
# --smb_filter_isa=best keeps scalar and one ISA's bf16 rows: avx512bf16 where the CPU has
# AVX512_BF16 (and no SOFTMAXBENCH_FORCE_ISA caps it), the dispatch ISA otherwise; guarded leads.
best = subprocess.run([binary, "--smb_dtype=bf16", "--smb_filter_isa=best", "--smb_shapes=1x1000",
                       "--benchmark_list_tests=true"], capture_output=True, text=True).stdout.split()
ours = [n.split("/")[0].split(".") for n in best]  # <algorithm>.<isa>[...].<dtype>; peers have two parts
isas = {p[1] for p in ours if len(p) >= 3 and p[-1].startswith("bf16")}
isas.discard("scalar")
check(len(isas) == 1, "--smb_filter_isa=best: one ISA's bf16 rows besides scalar", str(sorted(isas)))
flags = next((l.split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
if "avx512_bf16" in flags and "avx512bw" in flags and not os.environ.get("SOFTMAXBENCH_FORCE_ISA"):
    check(isas == {"avx512bf16"}, "--smb_filter_isa=best keeps the avx512bf16 rows on this CPU", str(sorted(isas)))
isa = next(iter(isas), "?")
for base in [f"guarded.{isa}.bf16", f"guarded.{isa}.bf16_f32", "onednn.bf16", "memcpy.bf16"]:
    check(f"{base}/1/1000" in best, f"--smb_filter_isa=best lists {base}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF
