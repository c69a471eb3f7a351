#!/usr/bin/env python3
"""bf16 logits in the report: throughput of our bf16 variants (the fastest of each dtype: bf16 ->
bf16 and bf16 -> float32), oneDNN bf16, PyTorch bf16 and memcpy.bf16 per shape and thread count,
from the newest bf16-*.json of the results folder (`softmax_bench --smb_dtype=bf16`, written by
scripts/reproduce.sh); the ratios issue 15's goals name; and the accuracy of every bf16 variant
from accuracy-bf16.csv (`softmaxbench accuracy`), with oneDNN's and PyTorch's beside it from
peer-accuracy-bf16.csv (bench/peer_accuracy). make_report.py calls section(); run as a
script it draws the figure: G elem/s per shape and thread count, <bf16-stem>.png in the results
folder (prints its path). Run through scripts/pyrun.sh (the figure needs matplotlib).
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

# <impl>/<rows>/<cols> (1 thread) or <impl>/<rows>/<cols>/<threads>/real_time (bench/bf16_bench.cpp).
NAME = re.compile(r"^([^/]+)/(\d+)/(\d+)(?:/(\d+))?(?:/real_time)?$")
BF16_RUN = re.compile(r"^bf16-(\d{8}-\d{6})\.json$")
# Not ours: the peers' name prefixes (ours_f32: our f32 variants, auto included; the bf16 run times
# them at 1x16M, the main bench file everywhere).
PEER_PREFIXES = ("onednn", "xnnpack", "pytorch", "memcpy", "numpy", "scipy")
LARGE = (1, 16777216)  # the DRAM-sized goal shape
IN_CACHE = (1, 4096)   # 8 KiB of bf16 in: the in-cache goal shape (as claims.py's)
IN_CACHE_LONG = (1, 65536)  # 128 KiB in, 128 KiB out: still in L2
# Columns: (label, predicate on a softmax entry's implementation name).
KINDS = (("ours bf16→bf16", lambda i: not i.split(".")[0] in PEER_PREFIXES and i.endswith(".bf16")),
         ("ours bf16→f32", lambda i: not i.split(".")[0] in PEER_PREFIXES and i.endswith(".bf16_f32")),
         ("oneDNN bf16", lambda i: i == "onednn.bf16"),
         ("PyTorch bf16", lambda i: i.split(".")[0] == "pytorch" and i.endswith(".bf16")),
         ("memcpy.bf16", lambda i: i == "memcpy.bf16"))


def newest_bf16(folder: Path) -> Path | None:
    runs = sorted(p for p in folder.iterdir() if BF16_RUN.match(p.name))
    return runs[-1] if runs else None


def load(path: Path, want=lambda impl: True) -> dict:
    """(rows, cols, threads) -> {impl: items/s (median aggregate, else the iteration)}, softmax
    entries only (no ':' output suffix, no onednn_log)."""
    doc = json.loads(path.read_text())
    out: dict = {}
    rank_of: dict = {}
    for row in doc.get("benchmarks", []):
        if not isinstance(row, dict) or row.get("error_occurred"):
            continue
        m = NAME.match(str(row.get("run_name") or row.get("name", "")))
        if not m or ":" in m.group(1) or m.group(1).startswith("onednn_log") or not want(m.group(1)):
            continue
        kind = row.get("run_type", "iteration")
        if kind == "aggregate" and row.get("aggregate_name") != "median":
            continue
        ips = row.get("items_per_second")
        if not isinstance(ips, (int, float)):
            continue
        key = (int(m.group(2)), int(m.group(3)), int(m.group(4) or 1))
        rank = 1 if kind == "aggregate" else 0  # a median wins over an iteration row
        if rank_of.get((key, m.group(1)), -1) <= rank:
            rank_of[(key, m.group(1))] = rank
            out.setdefault(key, {})[m.group(1)] = float(ips)
    return out


def ours_f32(impl: str) -> bool:
    """Our f32 softmax variants (auto included), not the unsafe naive: not a peer (numpy_guide and
    the like by prefix), no bf16 dtype."""
    return not impl.startswith(PEER_PREFIXES) and ".bf16" not in impl and not impl.startswith("naive.")


def fastest(entries: dict, pred) -> tuple[str, float] | None:
    got = [(v, k) for k, v in entries.items() if pred(k)]
    return (max(got)[1], max(got)[0]) if got else None


def g(x: float | None) -> str:
    return "—" if x is None else f"{x / 1e9:.3g}"


def ratio(a, b) -> float | None:
    return None if a is None or b is None or b[1] <= 0 else a[1] / b[1]


def fmt_ratio(r: float | None, goal: float | None = None) -> str:
    if r is None:
        return "not measured in this run"
    s = f"{r:.2f}×"
    return s if goal is None else f"{s} (goal ≥ {goal}×: {'met' if r >= goal else 'not met'})"


def accuracy_rows(folder: Path, name: str = "accuracy-bf16.csv") -> list[dict] | None:
    p = folder / name
    if not p.is_file():
        return None
    with p.open(newline="") as f:
        return list(csv.DictReader(f))


def section(doc, m, report: Path, table, code, figure, not_run) -> None:
    doc.h(1, "bf16 logits")
    run = newest_bf16(m.folder)
    data = load(run) if run else {}
    if not data:
        doc.add(not_run("no bf16-*.json with bf16 entries in this folder (scripts/reproduce.sh runs "
                        "`softmax_bench --smb_dtype=bf16` after the main benchmark)."))
    else:
        doc.add([f"From {code(run.name)}: G elem/s (rows × columns per second; 1 thread: CPU time, "
                 "more: wall clock) of softmax on bf16 logits, the fastest of our variants of each "
                 "dtype over the ISAs timed (bf16→bf16: `.bf16`, bf16→float32: `.bf16_f32`), "
                 "oneDNN and PyTorch on bf16 in and out, and memcpy.bf16 (2 bytes read + 2 written "
                 "per element: the traffic floor of bf16→bf16).", ""])
        keys = sorted(data, key=lambda k: (k[0] * k[1], k[0], k[2]))
        rows = []
        for k in keys:
            cells = [fastest(data[k], pred) for _, pred in KINDS]
            rows.append([f"{k[0]}x{k[1]}", k[2]] + [g(c[1] if c else None) for c in cells]
                        + [code(cells[0][0]) if cells[0] else "—",
                           fmt_ratio(ratio(cells[0], cells[2])), fmt_ratio(ratio(cells[0], cells[3]))])
        doc.add(table(["Shape", "Threads"] + [n for n, _ in KINDS]
                      + ["fastest bf16→bf16", "÷ oneDNN bf16", "÷ PyTorch bf16"], rows))
        # Our f32 rate: from the bf16 run itself (softmax_bench --smb_dtype=bf16 times our f32
        # variants at 1x16M beside the bf16 ones), else from the main bench file (an older bf16 run).
        f32_here = load(run, ours_f32)
        f32_main = load(m.run.path, ours_f32)
        for threads in sorted({k[2] for k in data if k[:2] == LARGE} | {1}):
            big = data.get(LARGE + (threads,), {})
            ours_big = fastest(big, KINDS[0][1])
            ours32 = fastest(f32_here.get(LARGE + (threads,), {}), lambda i: True)
            if ours32 is not None:
                where = f"in the same run, {code(run.name)}"
            else:
                ours32 = fastest(f32_main.get(LARGE + (threads,), {}), lambda i: True)
                where = (f"in {code(m.run.path.name)}: two runs on this machine, not one, so the ratio "
                         "carries both runs' noise")
            lines = [f"Issue 15's goals, {threads} thread{'s' if threads > 1 else ''}, bf16→bf16 (the fastest of ours):", "",
                     f"- 1×16M ÷ our own f32 rate ({code(ours32[0]) if ours32 else 'none'} {where}): "
                     + fmt_ratio(ratio(ours_big, ours32), 1.7),
                     "- 1×16M ÷ oneDNN bf16: " + fmt_ratio(ratio(ours_big, fastest(big, KINDS[2][1])), 3)]
            # In cache: the rows whose bf16 input and output fit in L2 on every target CPU.
            for shape in (IN_CACHE, IN_CACHE_LONG) if threads == 1 else ():
                small = data.get(shape + (threads,), {})
                if not small and shape != IN_CACHE:
                    continue
                ours_small = fastest(small, KINDS[0][1])
                where = f"in cache (1×{shape[1]})"
                lines += [f"- {where} ÷ oneDNN bf16: " + fmt_ratio(ratio(ours_small, fastest(small, KINDS[2][1])), 2.5),
                          f"- {where} ÷ PyTorch bf16: " + fmt_ratio(ratio(ours_small, fastest(small, KINDS[3][1])), 3)]
            doc.add(lines + [""])
        doc.add(figure(m.folder / f"{run.stem}.png", report, "bf16: ours against oneDNN, PyTorch and memcpy"))
    rows = accuracy_rows(m.folder)
    peer_rows = accuracy_rows(m.folder, "peer-accuracy-bf16.csv")
    if rows is None and peer_rows is None:
        doc.add(not_run("accuracy of the bf16 variants not measured in this run (no accuracy-bf16.csv; "
                        "`softmaxbench accuracy` writes it)."))
        return
    per = worst_per_variant(rows or [])
    peers = worst_per_variant(peer_rows or [])
    text = []
    if rows is None:
        text.append("Accuracy of the bf16 variants not measured in this run (no accuracy-bf16.csv); the peers only. ")
    else:
        text.append(f"From {code('accuracy-bf16.csv')}: every bf16 variant on every distribution and size "
                    "(up to 65537) of the sweep, on the rows rounded to bf16, against MPFR: `.bf16` in bf16 "
                    "ULP of the exact result rounded to bf16 (0.5 is correctly rounded, < 1 faithful), "
                    "`.bf16_f32` in float ULP; the worst per output against its documented bound "
                    "(variants/list.inc), and the share of normal-band outputs equal to the correctly "
                    "rounded value (the accurate tier's goal: ≥ 99.99 % for bf16→bf16). ")
    if peer_rows is not None:
        text.append(f"Below ours, the peers from {code('peer-accuracy-bf16.csv')} (`bench/peer_accuracy`): "
                    "oneDNN and PyTorch (each ATen capability) on bf16 in and out, the same rows, scored "
                    "by the same code in bf16 ULP; no bound (a peer documents none); failed counts "
                    "library errors.")
    else:
        text.append("*(Peers not scored: no peer-accuracy-bf16.csv; `bench/peer_accuracy` writes it.)*")
    doc.add(["".join(text), ""])

    def w(v, op):
        if op not in v["worst"]:
            return "—"
        return f"{v['worst'][op]:.4g} ({'no bound' if not v['bound'][op] else '≤ ' + v['bound'][op]})"
    doc.add(table(["Variant", "unit", "softmax worst (bound)", "log_softmax worst (bound)",
                   "correctly rounded", "cases", "failed", "out of domain"],
                  [[code(n) + (" (peer)" if v["peer"] else ""), v["unit"].replace("_", " "), w(v, "softmax"),
                    w(v, "log_softmax"), f"{100 * v['cr'] / v['band']:.4f} %" if v["band"] else "—", v["n"],
                    v["fail"], v["ood"]]
                   for n, v in list(per.items()) + list(peers.items())]))


def worst_per_variant(rows: list[dict]) -> dict:
    """variant -> worst ULP and bound per output, correctly rounded outputs of the band, cases,
    failures (ours: status fail; a peer: status error) and out-of-domain cases."""
    per: dict = {}
    for r in rows:
        v = per.setdefault(r["variant"], {"dtype": r["dtype"], "unit": r["unit"], "worst": {}, "bound": {},
                                          "band": 0, "cr": 0, "n": 0, "fail": 0, "ood": 0,
                                          "peer": r["tier"] == "peer"})
        v["n"] += 1
        if r["status"] == "out_of_domain":
            v["ood"] += 1
            continue
        v["fail"] += r["status"] not in ("pass", "scored")
        if r["status"] == "error":
            continue
        u = C.to_float(r["max_ulp"])
        op = r["op"]
        v["worst"][op] = max(v["worst"].get(op, 0.0), math.inf if u is None or math.isnan(u) else u)
        v["bound"][op] = r["bound"]
        v["band"] += int(r["band"])
        v["cr"] += int(r["correctly_rounded"])
    return per


def plot(folder: Path, run: Path | None) -> Path | None:
    run = run or newest_bf16(folder)
    if run is None:
        print(f"{folder}: no bf16-*.json, no bf16 figure")
        return None
    data = load(run)
    keys = sorted(data, key=lambda k: (k[0] * k[1], k[0], k[2]))
    if not keys:
        print(f"{run}: no bf16 softmax entries, no bf16 figure")
        return None
    series = []
    for label, pred in KINDS:
        found = [fastest(data[k], pred) for k in keys]
        series.append((label, [f[1] / 1e9 if f else 0.0 for f in found]))
    return C.grouped_bar_figure(folder / f"{run.stem}.png", [f"{k[0]}x{k[1]}\n{k[2]}t" for k in keys], series,
                                f"softmax on bf16 logits: {C.machine_id(folder)}", 1.4, tick_fontsize=8)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, type=Path, help="a results/<machine-id> folder")
    p.add_argument("--bf16", type=Path, help="its bf16 bench JSON (default: the newest bf16-*.json)")
    args = p.parse_args()
    plot(args.results, args.bf16)


if __name__ == "__main__":
    C.run_main(main)
