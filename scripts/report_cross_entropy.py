#!/usr/bin/env python3
"""Cross-entropy with logits in the report: throughput of the fused and unfused forms against
PyTorch (autograd and the ATen op sequence) and memcpy, from the bench JSON's
<impl>:cross_entropy and <impl>:cross_entropy_loss entries, and accuracy from
accuracy-cross_entropy.csv (`softmaxbench accuracy`) with PyTorch's beside it from
peer-accuracy-cross_entropy.csv (bench/peer_accuracy); bf16 logits (issue 15) from the newest
bf16-*.json (`softmax_bench --smb_dtype=bf16`) and the CSV's bf16 rows (dtype column).
make_report.py calls section(); run as a
script it draws the figure: fused against unfused against the peers, G elem/s per shape and
thread count, <bench-stem>-cross_entropy.png in the results folder (prints its path).
Run through scripts/pyrun.sh (the figure needs matplotlib).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

NAME = re.compile(r"^([^/:]+):(cross_entropy|cross_entropy_loss)/(\d+)/(\d+)(?:/(\d+))?(?:/real_time)?$")
OPS = ("cross_entropy", "cross_entropy_loss")
PEERS = ("pytorch_autograd", "pytorch_aten")
# Columns: (label, predicate on the implementation name); ours: the fastest of each kind. The
# f32 table's kinds never take a bf16 entry (a --smb_dtype=all run has both).
KINDS = (("ce_fused fast", lambda i: i.startswith("ce_fused.") and not i.endswith(".accurate") and ".bf16" not in i),
         ("ce_fused accurate", lambda i: i.startswith("ce_fused.") and i.endswith(".accurate")),
         ("ce_log_softmax", lambda i: i.startswith("ce_log_softmax.")),
         ("ce_softmax_log", lambda i: i.startswith("ce_softmax_log.")),
         ("pytorch_autograd", lambda i: i.split(".")[0] == "pytorch_autograd" and ".bf16" not in i),
         ("pytorch_aten", lambda i: i.split(".")[0] == "pytorch_aten" and ".bf16" not in i),
         ("memcpy", lambda i: i == "memcpy"))
# The bf16 table (logits in bf16): ours by gradient dtype and tier, PyTorch on bf16 tensors.
BF16_KINDS = (("fused fast, bf16 grad", lambda i: i.startswith("ce_fused.") and i.endswith(".bf16") and ".accurate." not in i),
              ("fused accurate, bf16 grad", lambda i: i.startswith("ce_fused.") and i.endswith(".accurate.bf16")),
              ("fused fast, f32 grad", lambda i: i.startswith("ce_fused.") and i.endswith(".bf16_f32") and ".accurate." not in i),
              ("pytorch_autograd.bf16", lambda i: i.startswith("pytorch_autograd.bf16")),
              ("pytorch_aten.bf16", lambda i: i.startswith("pytorch_aten.bf16")),
              ("memcpy.bf16", lambda i: i == "memcpy.bf16"))
BF16_RUN = re.compile(r"^bf16-(\d{8}-\d{6})\.json$")


def newest_bf16(folder: Path) -> Path | None:
    runs = sorted(p for p in folder.iterdir() if BF16_RUN.match(p.name)) if folder.is_dir() else []
    return runs[-1] if runs else None


def load(path: Path) -> dict:
    """(op, rows, cols, threads) -> {impl: items/s (median aggregate, else the iteration)}."""
    doc = json.loads(path.read_text())
    out: dict = {}
    best_kind: dict = {}
    for row in doc.get("benchmarks", []):
        if not isinstance(row, dict) or row.get("error_occurred"):
            continue
        m = NAME.match(str(row.get("run_name") or row.get("name", "")))
        if not m:
            continue
        kind = row.get("run_type", "iteration")
        if kind == "aggregate" and row.get("aggregate_name") != "median":
            continue
        ips = row.get("items_per_second")
        if not isinstance(ips, (int, float)):
            continue
        key = (m.group(2), int(m.group(3)), int(m.group(4)), int(m.group(5) or 1))
        impl = m.group(1)
        rank = 1 if kind == "aggregate" else 0  # a median wins over an iteration row
        if best_kind.get((key, impl), -1) <= rank:
            best_kind[(key, impl)] = rank
            out.setdefault(key, {})[impl] = float(ips)
    return out


def fastest(entries: dict, pred) -> tuple[str, float] | None:
    got = [(v, k) for k, v in entries.items() if pred(k)]
    return (max(got)[1], max(got)[0]) if got else None


def g(x: float | None) -> str:
    return "—" if x is None else f"{x / 1e9:.3g}"


def ratio(a, b) -> str:
    return "—" if a is None or b is None else f"{a[1] / b[1]:.2f}×"


# The 2T ÷ 1T table's columns (KINDS labels; the unfused baselines are not timed split).
SCALING_KINDS = ("ce_fused fast", "ce_fused accurate", "pytorch_autograd", "pytorch_aten", "memcpy")


def scaling_rows(data: dict) -> list[list]:
    """2T ÷ 1T of cross_entropy on the split rows: each shape timed at more threads than it has
    rows and at 1 thread; per kind the fastest implementation at the higher count against the
    same implementation at 1 thread."""
    rows = []
    for k in sorted((k for k in data if k[0] == "cross_entropy" and k[1] < k[3]), key=lambda k: (k[1] * k[2], k[3])):
        one = data.get((k[0], k[1], k[2], 1), {})
        cells = []
        for label, pred in KINDS:
            if label not in SCALING_KINDS:
                continue
            best = fastest(data[k], pred)
            cells.append((best, one.get(best[0]) if best else None))
        fused, fused1 = cells[0]
        if not one:
            continue
        rows.append([f"{k[1]}x{k[2]}", f"{k[3]} ÷ 1",
                     f"`{fused[0]}` {g(fused1)} → {g(fused[1])}" if fused else "—"]
                    + [f"{b[1] / b1:.2f}×" if b and b1 else "—" for b, b1 in cells])
    return rows


def accuracy_rows(folder: Path, name: str = "accuracy-cross_entropy.csv") -> list[dict] | None:
    p = folder / name
    if not p.is_file():
        return None
    with p.open(newline="") as f:
        return list(csv.DictReader(f))


def worst_per_variant(rows: list[dict]) -> dict:
    """variant -> its worst loss ULP (all rows and the dominant-target ones), worst gradient
    ratio, bound, k, cases and failures (ours: status fail; a peer: status error)."""
    per: dict = {}
    for r in rows:
        v = per.setdefault(r["variant"], {"loss": 0.0, "dom": 0.0, "grad": 0.0, "bound": r["max_ulp"],
                                          "k": r["grad_k"], "n": 0, "fail": 0, "peer": r["tier"] == "peer"})
        lu, gr = C.to_float(r["loss_ulp"]), C.to_float(r["grad_ratio"])
        if lu is not None and not math.isnan(lu):
            v["loss"] = max(v["loss"], lu)
            if r["distribution"] == "dominant_target":
                v["dom"] = max(v["dom"], lu)
        if gr is not None and not math.isnan(gr):
            v["grad"] = max(v["grad"], gr)
        v["n"] += 1
        v["fail"] += r["status"] not in ("pass", "scored")
    return per


def section(doc, m, report: Path, table, code, figure, not_run) -> None:
    run = m.run
    data = load(run.path)
    if not data:
        doc.add(not_run(f"no `<impl>:cross_entropy` entries in {code(run.path.name)} (softmax_bench "
                        "registers them unless --smb_shapes lists custom shapes)."))
    else:
        doc.add([f"From {code(run.path.name)}: G elem/s (rows × classes per second; 1 thread: CPU "
                 "time, more: wall clock), the fastest of each of our forms over the ISAs timed, "
                 "PyTorch's `cross_entropy` + `backward()` through autograd and the ATen ops without "
                 "autograd, and memcpy (the gradient's traffic floor). oneDNN and XNNPACK have no "
                 "cross-entropy operator. Ratios: fused fast ÷ the PyTorch column.", ""])
        for op in OPS:
            keys = sorted((k for k in data if k[0] == op), key=lambda k: (k[1] * k[2], k[1], k[3]))
            if not keys:
                continue
            doc.add([f"{op} ({'loss + gradient' if op == 'cross_entropy' else 'loss only'}, mean):", ""])
            rows = []
            for k in keys:
                e = data[k]
                cells = [fastest(e, pred) for _, pred in KINDS]
                fused = cells[0]
                rows.append([f"{k[1]}x{k[2]}", k[3]] + [g(c[1] if c else None) for c in cells]
                            + [ratio(fused, cells[4]), ratio(fused, cells[5])])
            doc.add(table(["Shape", "Threads"] + [n for n, _ in KINDS]
                          + ["fused ÷ autograd", "fused ÷ ATen"], rows))
        sc = scaling_rows(data)
        if sc:
            doc.add(["The split rows' thread scaling (cross_entropy): G elem/s at more threads ÷ at 1 "
                     "thread, where a shape has fewer rows than threads (the fused form cuts the row "
                     "across them; the peers do what they do), each implementation against itself "
                     "(1 thread: CPU time; more: wall clock):", ""])
            doc.add(table(["Shape", "Threads", "fused fast, G elem/s 1T → nT"]
                          + [n for n, _ in KINDS if n in SCALING_KINDS], sc))
        png = m.folder / f"{run.path.stem}-cross_entropy.png"
        doc.add(figure(png, report, "cross-entropy: fused against unfused against PyTorch"))
    bf16_section(doc, m, table, code, not_run)
    rows = accuracy_rows(m.folder)
    peer_rows = accuracy_rows(m.folder, "peer-accuracy-cross_entropy.csv")
    if rows is None and peer_rows is None:
        doc.add(not_run("no accuracy-cross_entropy.csv (written by `softmaxbench accuracy`)."))
        return
    per = worst_per_variant(rows or [])
    peers = worst_per_variant(peer_rows or [])
    text = []
    if rows is None:
        text.append("No accuracy-cross_entropy.csv (written by `softmaxbench accuracy`): the peers only. ")
    else:
        text.append(f"From {code('accuracy-cross_entropy.csv')}: per variant, the worst loss error (ULP) "
                    "over every distribution, size, target and smoothing, its documented bound (none: "
                    "unbounded), the worst on the dominant-target rows (p_t = 1 − 2^-40, where a float "
                    "pipeline's loss is 0), and the worst gradient error as a fraction of its bound "
                    "(variants/list.inc; ≤ 1 is within). ")
    if peer_rows is not None:
        text.append(f"Below ours, the peers from {code('peer-accuracy-cross_entropy.csv')} "
                    "(`bench/peer_accuracy`): PyTorch's `cross_entropy` + `backward()` on the same rows, "
                    "scored by the same code, with no loss bound (a peer documents none) and the "
                    "gradient against the fused form's bound at k = 1, so its ratio is the k PyTorch "
                    "needs; failed counts library errors.")
    else:
        text.append("*(Peers not scored: no peer-accuracy-cross_entropy.csv; `bench/peer_accuracy` writes it.)*")
    doc.add(["".join(text), ""])
    doc.add(table(["Variant", "loss worst ULP", "bound", "dominant-target worst ULP",
                   "gradient worst ÷ bound", "k", "cases", "failed"],
                  [[code(n) + (" (peer)" if v["peer"] else ""), f"{v['loss']:.3g}", v["bound"] or "none",
                    f"{v['dom']:.3g}", f"{v['grad']:.3g}", v["k"], v["n"], v["fail"]]
                   for n, v in list(per.items()) + list(peers.items())]))


def bf16_section(doc, m, table, code, not_run) -> None:
    """bf16 logits: throughput from the newest bf16-*.json, the bf16 gradient's accuracy from the
    CSV's bf16 rows."""
    path = newest_bf16(m.folder)
    data = load(path) if path else {}
    keys = sorted((k for k in data if k[0] == "cross_entropy" and any(".bf16" in i for i in data[k])),
                  key=lambda k: (k[1] * k[2], k[1], k[3]))
    if not keys:
        doc.add(not_run("no bf16 `<impl>:cross_entropy` entries (a bf16-*.json from `softmax_bench "
                        "--smb_dtype=bf16`)."))
    else:
        doc.add([f"bf16 logits, from {code(path.name)}: G elem/s (loss + gradient, mean) of the fused "
                 "form with a bf16 or float32 gradient, PyTorch on bf16 tensors (autograd and the ATen "
                 "ops; bf16 loss and gradient) and memcpy.bf16. Ratio: fused fast (bf16 gradient) ÷ the "
                 "PyTorch column.", ""])
        rows = []
        for k in keys:
            cells = [fastest(data[k], pred) for _, pred in BF16_KINDS]
            rows.append([f"{k[1]}x{k[2]}", k[3]] + [g(c[1] if c else None) for c in cells]
                        + [ratio(cells[0], cells[3]), ratio(cells[0], cells[4])])
        doc.add(table(["Shape", "Threads"] + [n for n, _ in BF16_KINDS] + ["fused ÷ autograd", "fused ÷ ATen"], rows))
    acc = [r for r in (accuracy_rows(m.folder) or []) if r.get("dtype") == "bf16"]
    if acc:
        per: dict = {}
        for r in acc:
            v = per.setdefault(r["variant"], {"ulp": 0.0, "ok": 0, "n": 0})
            u = C.to_float(r.get("grad_bf16_ulp"))
            if u is not None and not math.isnan(u):
                v["ulp"] = max(v["ulp"], u)
            ok, _, n = (r.get("grad_bf16_correct") or "0/0").partition("/")
            v["ok"] += int(ok or 0)
            v["n"] += int(n or 0)
        doc.add([f"The bf16 gradients (from {code('accuracy-cross_entropy.csv')}, rows rounded to bf16): "
                 "the worst error in bf16 ULP of the exact value (normal band) and the share equal to the "
                 "exact value rounded to bf16.", ""])
        doc.add(table(["Variant", "gradient worst bf16 ULP", "correctly rounded"],
                      [[code(n), f"{v['ulp']:.3g}", f"{100 * v['ok'] / v['n']:.4f} % of {v['n']}" if v["n"] else "—"]
                       for n, v in per.items()]))


def plot(folder: Path, bench: Path | None) -> Path | None:
    run_path = C.choose_bench(folder, bench)
    data = load(run_path)
    keys = sorted((k for k in data if k[0] == "cross_entropy"), key=lambda k: (k[1] * k[2], k[1], k[3]))
    if not keys:  # e.g. a run on custom shapes: nothing to draw, not an error
        print(f"{run_path}: no <impl>:cross_entropy entries, no cross-entropy figure")
        return None
    series = []
    for label, pred in KINDS:
        found = [fastest(data[k], pred) for k in keys]
        series.append((label, [f[1] / 1e9 if f else 0.0 for f in found]))
    return C.grouped_bar_figure(folder / f"{run_path.stem}-cross_entropy.png", [f"{k[1]}x{k[2]}\n{k[3]}t" for k in keys],
                                series, f"cross_entropy (loss + gradient, mean): {C.machine_id(folder)}", 1.6)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, type=Path, help="a results/<machine-id> folder")
    p.add_argument("--bench", type=Path, help="its bench JSON (default: the newest bench-*.json)")
    args = p.parse_args()
    plot(args.results, args.bench)


if __name__ == "__main__":
    C.run_main(main)
