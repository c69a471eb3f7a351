#!/usr/bin/env python3
"""NumPy and SciPy softmax as peers: the two seed articles' NumPy code and scipy.special.

Times, on softmax_bench's shapes and inputs, the softmax a reader of the articles the project
grew from would write, and SciPy's:

  numpy_guide          the NumPy guide's basic `softmax` (no shift), applied to each row
  numpy_guide_stable   the guide's `softmax_stable`, applied to each row
  numpy_guide_batch    the guide's `softmax_batch` on the whole rows x cols array
  numpy_wandb          the W&B article's NumPy `softmax` (no shift), applied to each row
  scipy                scipy.special.softmax(x, axis=-1)
  scipy:log            scipy.special.log_softmax(x, axis=-1)

The functions below are written as the articles write them (only the guide's first `softmax`
is renamed, since both articles call theirs `softmax`). Applied to each row means a Python loop
over the rows (`np.stack`), as those 1-D functions need for a batch; on one row the function is
called on it directly. Everything runs in float32, the dtype of the inputs, on one thread.

Inputs: the exact arrays softmax_bench times, written by `softmax_bench --smb_write_inputs=DIR`
(one x-<rows>x<cols>.npy per shape and context.json, the benchmark's context). Give the
directory (--inputs) or the binary (--bench; the inputs then go to a temporary directory).

Output: Google Benchmark-compatible JSON (--out; default stdout): the benchmark binary's context
plus python/numpy/scipy versions, and one entry per (impl, shape) named <impl>/<rows>/<cols>
with real_time, cpu_time, time_unit, iterations, items_per_second and bytes_per_second (8 bytes
per element, the benchmark's convention); with --repetitions N > 1, N iteration rows and the
mean/median/stddev/cv aggregates, as --benchmark_repetitions does.

--serve: the accuracy scoring's driver (peer_accuracy). Reads lines "<impl> <in.npy> <out.npy>"
on stdin, writes the impl's float32 output of the 2-D input to out.npy and answers "ok", or
"error <message>" (one line); the same functions as the timing.

Needs numpy and scipy (Debian: python3-numpy python3-scipy); run it with a Python that has them
(scripts/bench.sh and reproduce.sh try $PYTHON, python3, /usr/bin/python3).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

INSTALL_HINT = "python3-numpy python3-scipy (Debian), or pip install numpy scipy"

try:
    import numpy as np
    import scipy
    import scipy.special
except ImportError as e:  # pragma: no cover - depends on the interpreter
    sys.stderr.write(f"bench_numpy.py: {sys.executable} cannot import {e.name}; "
                     f"install {INSTALL_HINT}, or set PYTHON to an interpreter that has them\n")
    sys.exit(3)


# ---- the NumPy guide ("Implementing Softmax From Scratch"), as written there ------------------
def softmax(z):
    exp_z = np.exp(z)
    return exp_z / np.sum(exp_z)


def softmax_stable(z):
    z_shifted = z - np.max(z)
    exp_z = np.exp(z_shifted)
    return exp_z / np.sum(exp_z)


def softmax_batch(Z):
    Z_shifted = Z - np.max(Z, axis=1, keepdims=True)
    exp_Z = np.exp(Z_shifted)
    return exp_Z / np.sum(exp_Z, axis=1, keepdims=True)


# ---- the W&B article ("The Softmax Function: The Workhorse ..."), its NumPy version ------------
def softmax_wandb(scores: np.array):
    exp_scores = np.exp(scores)
    return exp_scores / exp_scores.sum()


def each_row(f):
    """A 1-D softmax over the rows of a 2-D array: a Python loop, as a batch needs it."""
    def apply(X):
        if X.shape[0] == 1:
            return f(X[0])[None, :]
        return np.stack([f(z) for z in X])
    return apply


# impl -> (output, function of the 2-D float32 input)
IMPLS = {
    "numpy_guide": ("softmax", each_row(softmax)),
    "numpy_guide_stable": ("softmax", each_row(softmax_stable)),
    "numpy_guide_batch": ("softmax", softmax_batch),
    "numpy_wandb": ("softmax", each_row(softmax_wandb)),
    "scipy": ("softmax", lambda X: scipy.special.softmax(X, axis=-1)),
    "scipy:log": ("log_softmax", lambda X: scipy.special.log_softmax(X, axis=-1)),
}


# ---- --serve ------------------------------------------------------------------------------------
def serve() -> int:
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        try:
            if len(parts) != 3 or parts[0] not in IMPLS:
                raise ValueError(f"bad request {line.strip()!r}: want '<impl> <in.npy> <out.npy>', "
                                 f"impl in {sorted(IMPLS)}")
            X = np.load(parts[1])
            if X.dtype != np.float32 or X.ndim != 2:
                raise ValueError(f"{parts[1]}: want a 2-D float32 array, got {X.dtype} {X.shape}")
            with np.errstate(all="ignore"):  # overflow / invalid are what is being measured
                Y = IMPLS[parts[0]][1](X)
            Y = np.asarray(Y)
            if Y.dtype != np.float32 or Y.shape != X.shape:
                raise ValueError(f"{parts[0]} returned {Y.dtype} {Y.shape} for {X.shape}")
            np.save(parts[2], np.ascontiguousarray(Y))
            print("ok", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is an answer, not a crash
            msg = " ".join(f"{type(e).__name__}: {e}".split())
            print(f"error {msg}", flush=True)
    return 0


# ---- timing ---------------------------------------------------------------------------------------
def time_unit(elems: int) -> str:
    """The unit softmax_bench gives a shape."""
    return "ms" if elems >= 1 << 20 else "us" if elems >= 4096 else "ns"


UNIT_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def time_once(f, X, min_time: float) -> tuple[int, float, float]:
    """Google Benchmark's way: grow the iteration count until a batch lasts min_time."""
    iters = 1
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            f(X)
        real, cpu = time.perf_counter() - t0, time.process_time() - c0
        if real >= min_time or iters >= 1_000_000_000:
            return iters, real, cpu
        # As Google Benchmark: aim 40% past min_time, grow by at most 10x per step.
        mult = min(10.0, max(1.4 * min_time / max(real, 1e-9), 2.0)) if real > 0 else 10.0
        iters = max(iters + 1, int(iters * mult))


def entry(name: str, family: int, rows: int, cols: int, rep: int, reps: int, iters: int,
          real: float, cpu: float) -> dict:
    elems = rows * cols
    unit = time_unit(elems)
    per = UNIT_S[unit]
    ips = elems * iters / cpu if cpu > 0 else elems * iters / real
    return {"name": name, "family_index": family, "per_family_instance_index": 0,
            "run_name": name, "run_type": "iteration", "repetitions": reps,
            "repetition_index": rep, "threads": 1, "iterations": iters,
            "real_time": real / iters / per, "cpu_time": cpu / iters / per, "time_unit": unit,
            "bytes_per_second": 8 * ips, "items_per_second": ips,
            "label": "python " + platform.python_version() + ", numpy " + np.__version__}


def aggregates(rows: list[dict]) -> list[dict]:
    out = []
    base = {k: rows[0][k] for k in ("name", "family_index", "per_family_instance_index",
                                     "run_name", "repetitions", "threads", "time_unit")}
    keys = ("real_time", "cpu_time", "bytes_per_second", "items_per_second")
    for agg, fn in (("mean", statistics.fmean), ("median", statistics.median),
                    ("stddev", lambda v: statistics.stdev(v) if len(v) > 1 else 0.0)):
        r = dict(base, name=f"{base['name']}_{agg}", run_type="aggregate", aggregate_name=agg,
                 aggregate_unit="time", iterations=len(rows))
        for k in keys:
            r[k] = fn([x[k] for x in rows])
        out.append(r)
    mean = {k: statistics.fmean([x[k] for x in rows]) for k in keys}
    sd = out[2]
    cv = dict(base, name=f"{base['name']}_cv", run_type="aggregate", aggregate_name="cv",
              aggregate_unit="percentage", iterations=len(rows))
    for k in keys:
        cv[k] = sd[k] / mean[k] if mean[k] else 0.0
    out.append(cv)
    return out


SHAPE_FILE = re.compile(r"^x-(\d+)x(\d+)\.npy$")


def load_inputs(folder: str) -> tuple[dict, list[tuple[int, int, str]]]:
    ctx_path = os.path.join(folder, "context.json")
    if not os.path.exists(ctx_path):
        raise SystemExit(f"bench_numpy.py: {folder} has no context.json: write the inputs with "
                         f"softmax_bench --smb_write_inputs={folder}")
    with open(ctx_path) as f:
        ctx = json.load(f)
    shapes = []
    for name in os.listdir(folder):
        if m := SHAPE_FILE.match(name):
            shapes.append((int(m.group(1)), int(m.group(2)), os.path.join(folder, name)))
    shapes.sort(key=lambda s: (s[0] != 1, s[0] * s[1], s[0]))
    if not shapes:
        raise SystemExit(f"bench_numpy.py: no x-<rows>x<cols>.npy in {folder}")
    return ctx, shapes


def run(args) -> int:
    tmp = None
    folder = args.inputs
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="smb-inputs-")
        folder = tmp.name
        cmd = [args.bench, f"--smb_write_inputs={folder}", f"--smb_shapes={args.shapes}",
               f"--smb_input={args.input}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"bench_numpy.py: {' '.join(cmd)} failed (exit {r.returncode}): "
                             f"{r.stderr.strip()[-500:]}")
    try:
        ctx, shapes = load_inputs(folder)
        ctx = dict(ctx)
        ctx.update({
            "date": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            "executable": os.path.abspath(__file__), "num_cpus": os.cpu_count(),
            "library_build_type": "release", "python_version": platform.python_version(),
            "python_executable": sys.executable, "numpy_version": np.__version__,
            "scipy_version": scipy.__version__,
            "numpy_cpu_baseline": " ".join(np.core._multiarray_umath.__cpu_baseline__),
            "numpy_cpu_dispatch": " ".join(
                k for k, on in np.core._multiarray_umath.__cpu_features__.items()
                if on and k in np.core._multiarray_umath.__cpu_dispatch__),
            "threads": "1",
            "timing": "1 thread (NumPy's ufuncs do not thread): items/s from the process CPU time "
                      "as Google Benchmark's default; real_time and cpu_time both recorded",
            "numpy_peers": "the seeds' NumPy code as written there (guide: softmax, "
                           "softmax_stable, softmax_batch; W&B: softmax) and scipy.special "
                           "softmax / log_softmax; 1-D functions looped over the rows",
            "generator": "scripts/bench_numpy.py",
        })
        benchmarks = []
        family = 0
        for rows, cols, path in shapes:
            X = np.load(path)
            for impl in IMPLS:
                name = f"{impl}/{rows}/{cols}"
                if not re.search(args.filter, name):
                    continue
                f = IMPLS[impl][1]
                with np.errstate(all="ignore"):
                    f(X)  # warm-up (and page faults of the first result)
                    reps = []
                    for rep in range(args.repetitions):
                        iters, real, cpu = time_once(f, X, args.min_time)
                        reps.append(entry(name, family, rows, cols, rep, args.repetitions,
                                          iters, real, cpu))
                if args.repetitions > 1:
                    benchmarks += ([] if args.aggregates_only else reps) + aggregates(reps)
                else:
                    benchmarks += reps
                r0 = reps[len(reps) // 2]
                print(f"{name:<40} {r0['cpu_time']:>12.4g} {r0['time_unit']}  "
                      f"{r0['items_per_second'] / 1e9:.4g} G elem/s", file=sys.stderr)
                family += 1
        doc = {"context": ctx, "benchmarks": benchmarks}
        text = json.dumps(doc, indent=2) + "\n"
        if args.out:
            d = os.path.dirname(os.path.abspath(args.out))
            os.makedirs(d, exist_ok=True)
            fd, t = tempfile.mkstemp(dir=d, prefix=".bench-numpy-", suffix=".json.tmp")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.chmod(t, 0o644)
            os.replace(t, args.out)
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--inputs", help="folder written by softmax_bench --smb_write_inputs")
    src.add_argument("--bench", help="softmax_bench binary: writes the inputs itself")
    src.add_argument("--serve", action="store_true", help="accuracy driver mode (see below)")
    ap.add_argument("--shapes", choices=("headline", "all"), default="headline",
                    help="with --bench: the shapes (default headline)")
    ap.add_argument("--input", default="normal_1", help="with --bench: --smb_input (default normal_1)")
    ap.add_argument("--filter", default=".",
                    help="regex searched in the names <impl>/<rows>/<cols>, as --benchmark_filter "
                         "(default: all)")
    ap.add_argument("--min-time", type=float, default=0.1,
                    help="seconds per repetition, as --benchmark_min_time (default 0.1)")
    ap.add_argument("--repetitions", type=int, default=1, help="repetitions (default 1)")
    ap.add_argument("--aggregates-only", action="store_true",
                    help="with --repetitions > 1, only the aggregates (as "
                         "--benchmark_report_aggregates_only)")
    ap.add_argument("--out", help="JSON file (default stdout)")
    args = ap.parse_args()
    if args.serve:
        return serve()
    if args.inputs is None and args.bench is None:
        ap.error("give --inputs DIR or --bench BINARY (or --serve)")
    if args.repetitions < 1 or args.min_time <= 0:
        ap.error("--repetitions must be >= 1 and --min-time > 0")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
