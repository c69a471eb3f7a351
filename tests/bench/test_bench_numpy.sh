#!/usr/bin/env bash
# scripts/bench_numpy.py on tiny shapes: the same inputs as softmax_bench (written by
# `softmax_bench --smb_write_inputs`), valid Google Benchmark-compatible JSON, the --serve driver.
# usage: tests/bench/test_bench_numpy.sh BENCH_BINARY SCRATCH_DIR     (ctest: bench_numpy)
# Needs a Python with numpy and scipy (find_python, tests/lib/harness.sh); skips
# (exit 77) when there is none.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "BENCH_BINARY SCRATCH_DIR" "$@"
bin="$1"
work="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py="$(find_python "numpy, scipy.special")" || { echo "SKIP: no Python with numpy and scipy"; exit 77; }
rm -rf -- "$work"
mkdir -p -- "$work"

PYTHONPATH="$root/tests/lib${PYTHONPATH:+:$PYTHONPATH}" exec "$py" - "$bin" "$work" "$root/scripts/bench_numpy.py" <<'PYEOF'
import json, os, subprocess, sys
import numpy as np

binary, work, script = sys.argv[1:4]
from harness import check, finish  # tests/lib/harness.py

inputs = os.path.join(work, "inputs")
r = subprocess.run([binary, f"--smb_write_inputs={inputs}", "--smb_shapes=1x64,3x17"],
                   capture_output=True, text=True)
check(r.returncode == 0, "softmax_bench --smb_write_inputs exits 0", r.stderr[-500:])
files = sorted(os.listdir(inputs)) if os.path.isdir(inputs) else []
check(files == ["context.json", "x-1x64.npy", "x-3x17.npy"], "one .npy per shape and context.json", str(files))
x = np.load(os.path.join(inputs, "x-3x17.npy"))
check(x.dtype == np.float32 and x.shape == (3, 17) and np.isfinite(x).all() and len(set(map(bytes, x))) == 3,
      "inputs are float32 rows x cols, distinct finite rows", f"{x.dtype} {x.shape}")
# The list shapes are the benchmark's too: the same names as bench_numpy.py's entries.
bj = os.path.join(work, "bench.json")
r = subprocess.run([binary, "--smb_shapes=1x64", "--benchmark_filter=^pytorch/1/64$|^memcpy/1/64$",
                    "--benchmark_min_time=0.001", f"--benchmark_out={bj}", "--benchmark_out_format=json"],
                   capture_output=True, text=True)
names = [b["name"] for b in json.load(open(bj))["benchmarks"]] if os.path.exists(bj) else []
check(r.returncode == 0 and names == ["pytorch/1/64", "memcpy/1/64"], "--smb_shapes=1x64 runs that shape",
      f"{names} {r.stderr[-300:]}")

out = os.path.join(work, "numpy.json")
r = subprocess.run([sys.executable, script, "--inputs", inputs, "--min-time", "0.002",
                    "--repetitions", "2", "--out", out], capture_output=True, text=True)
check(r.returncode == 0, "bench_numpy.py exits 0", r.stderr[-1000:])
doc = json.load(open(out))
ctx = doc["context"]
for k in ("cpu_model", "git_commit", "compiler", "input", "numpy_version", "scipy_version",
          "python_version", "numpy_cpu_dispatch", "date", "num_cpus"):
    check(str(ctx.get(k, "")).strip() != "", f"context has {k}")
impls = ["numpy_guide", "numpy_guide_stable", "numpy_guide_batch", "numpy_wandb", "scipy", "scipy:log"]
by = {}
for b in doc["benchmarks"]:
    by.setdefault(b["name"], []).append(b)
for impl in impls:
    for shape in ("1/64", "3/17"):
        name = f"{impl}/{shape}"
        its = by.get(name, [])
        check(len(its) == 2 and all(b["run_type"] == "iteration" and b["iterations"] > 0
                                    and b["items_per_second"] > 0
                                    and abs(b["bytes_per_second"] / b["items_per_second"] - 8) < 1e-9
                                    and b["time_unit"] == "ns" for b in its),
              f"{name}: 2 repetitions with items/s, bytes/s = 8 x items/s", str(its)[:300])
        med = by.get(f"{name}_median", [])
        check(len(med) == 1 and med[0]["run_type"] == "aggregate" and med[0]["aggregate_name"] == "median",
              f"{name}_median aggregate")

# --serve: the accuracy driver computes the same functions.
y_path = os.path.join(work, "y.npy")
req = "".join(f"{impl} {os.path.join(inputs, 'x-3x17.npy')} {y_path}.{i}.npy\n"
              for i, impl in enumerate(impls)) + "bogus a b\nquit\n"
r = subprocess.run([sys.executable, script, "--serve"], input=req, capture_output=True, text=True)
lines = r.stdout.splitlines()
check(r.returncode == 0 and lines[:6] == ["ok"] * 6 and lines[6].startswith("error "),
      "--serve answers ok per request and one error line for a bad one", r.stdout + r.stderr[-300:])
xd = x.astype(np.float64)
exact = np.exp(xd - xd.max(axis=1, keepdims=True))
exact /= exact.sum(axis=1, keepdims=True)
for i, impl in enumerate(impls):
    y = np.load(f"{y_path}.{i}.npy")
    want = np.log(exact) if impl == "scipy:log" else exact
    err = float(np.max(np.abs(y.astype(np.float64) - want)))
    check(y.dtype == np.float32 and y.shape == x.shape and err < 1e-6, f"--serve {impl} output is the softmax",
          f"{y.dtype} {y.shape} max abs err {err:.3g}")
# No numpy: a clear message (exit 3), not a traceback.
r = subprocess.run([sys.executable, "-S", "-c",
                    "import sys; sys.modules['numpy'] = None; sys.argv = ['bench_numpy.py', '--serve'];"
                    f"exec(open({script!r}).read())"], capture_output=True, text=True)
check(r.returncode == 3 and "install" in r.stderr and "Traceback" not in r.stderr,
      "without numpy: exit 3 and what to install", r.stderr[-300:])
finish()
PYEOF
