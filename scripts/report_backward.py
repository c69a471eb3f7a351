#!/usr/bin/env python3
"""The backward's section of REPORT.md (softmax and log_softmax gradients, the explicit Jacobian),
from the raw files only: the bench JSON's `<impl>:<op>/<rows>/<cols>[/<threads>]` entries
(bench/bench_backward.cpp), accuracy-backward.csv (`softmaxbench accuracy`) and
peer-accuracy-backward.csv (bench/peer_accuracy: the peers scored alike). make_report.py
calls section(); run alone, it prints the section for a results folder. Standard library only.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

OPS = ("softmax_backward", "log_softmax_backward")
PEERS = ("onednn", "pytorch")


def parse(name: str):
    """'backward.avx512:softmax_backward/4096/128' -> ('backward.avx512', 'softmax_backward',
    Shape(4096, 128, 1)); threaded names end in '/<threads>/real_time'. None otherwise."""
    parts = name.split("/")
    impl, _, op = parts[0].partition(":")
    if op not in OPS:
        return None
    nums = [int(p) for p in parts[1:] if p.isdigit()]
    if len(nums) not in (2, 3) or any(not p.isdigit() and p != "real_time" and ":" not in p for p in parts[1:]):
        return None
    return impl, op, C.Shape(nums[0], nums[1], nums[2] if len(nums) == 3 else 1)


def load(path: Path) -> dict:
    """(impl, op, shape) -> C.Result (the median over repetitions when there are any)."""
    return C.load_merged(path, parse)  # the one merge rule of the forward report


def bound_ks(path: Path) -> dict:
    """(impl, op, shape) -> the counter bound_k: the k row 0 of the entry meets (its check)."""
    out = {}
    for row in json.loads(path.read_text()).get("benchmarks", []):
        key = parse(str(row.get("run_name") or row.get("name", "")))
        k = row.get("bound_k")
        if key is not None and isinstance(k, (int, float)) and key not in out:
            out[key] = float(k)
    return out


def k_rows(results: dict, ks: dict) -> list[list]:
    """Row 0's k per op and shape (1 thread): ours fast and accurate, oneDNN, PyTorch."""
    rows = []
    for op in OPS:
        for s in sorted({s for (impl, o, s) in results if o == op and s.threads == 1 and impl == "onednn"}):
            def k_of(r):
                return f"{ks[(r.impl, op, s)]:.3g}" if r is not None and (r.impl, op, s) in ks else "—"
            rows.append([f"`{op}`", f"{s.rows}x{s.cols}", k_of(ours(results, op, s, False)),
                         k_of(ours(results, op, s, True)), *[k_of(peer(results, p, op, s)) for p in PEERS]])
    return rows


def gps(r) -> str:
    return f"{r.gelems:.3g}" if r is not None and r.ok else "—"


def ratio(a, b) -> str:
    return f"{a.gelems / b.gelems:.2f}×" if a is not None and b is not None and a.ok and b.ok else "—"


def ours(results: dict, op: str, shape, accurate: bool):
    """Our fastest backward variant of the tier on (op, shape)."""
    best = None
    for (impl, o, s), r in results.items():
        if o != op or s != shape or not r.ok or not impl.startswith("backward."):
            continue
        if impl.endswith(".accurate") != accurate:
            continue
        if best is None or r.gelems > best.gelems:
            best = r
    return best


def peer(results: dict, name: str, op: str, shape):
    """The peer's entry (pytorch also as pytorch.<capability>): the faster when both ran."""
    best = None
    for (impl, o, s), r in results.items():
        if o == op and s == shape and r.ok and (impl == name or impl.startswith(name + ".")):
            if best is None or r.gelems > best.gelems:
                best = r
    return best


def throughput_rows(results: dict) -> list[list]:
    shapes = sorted({s for (impl, o, s) in results if impl in ("onednn", "memcpy") or impl.startswith("pytorch")})
    rows = []
    for op in OPS:
        for s in shapes:
            fast, acc = ours(results, op, s, False), ours(results, op, s, True)
            peers = [peer(results, p, op, s) for p in PEERS]
            mem = results.get(("memcpy", op, s))
            if fast is None and acc is None and all(p is None for p in peers):
                continue
            ok_peers = [p for p in peers if p is not None and p.ok]
            best_peer = max(ok_peers, key=lambda r: r.gelems) if ok_peers else None
            rows.append([f"`{op}`", f"{s.rows}x{s.cols}", s.threads,
                         f"`{fast.impl}` {gps(fast)}" if fast else "—",
                         f"`{acc.impl}` {gps(acc)}" if acc else "—",
                         *[gps(p) for p in peers], gps(mem), ratio(fast, best_peer),
                         f"{fast.gelems / mem.gelems:.2f}" if fast and mem and fast.ok and mem.ok else "—"])
    return rows


def scaling_rows(results: dict) -> list[list]:
    """2T ÷ 1T on the split rows: each (op, shape) timed at more threads than it has rows (one
    row the batch call cuts across the threads, e.g. 1x16M at 2) and at 1 thread. Ours: the
    fastest variant of each tier at the higher count, against the same variant at 1 thread; the
    peers and memcpy alike."""
    rows = []
    split = sorted({(o, s) for (impl, o, s) in results if s.threads > 1 and s.rows < s.threads},
                   key=lambda k: (OPS.index(k[0]), k[1]))
    for op, s in split:
        one = C.Shape(s.rows, s.cols, 1)

        def pair(r):
            r1 = results.get((r.impl, op, one)) if r is not None else None
            return r1, r

        def speedup(r1, r2) -> str:
            return f"{r2.gelems / r1.gelems:.2f}×" if r1 is not None and r2 is not None and r1.ok and r2.ok else "—"

        fast1, fast2 = pair(ours(results, op, s, False))
        acc1, acc2 = pair(ours(results, op, s, True))
        if fast1 is None and acc1 is None:
            continue
        cells = [speedup(*pair(peer(results, p, op, s))) for p in PEERS]
        mem2 = results.get(("memcpy", op, s))
        rows.append([f"`{op}`", f"{s.rows}x{s.cols}", f"{s.threads} ÷ 1",
                     f"`{fast2.impl}` {gps(fast1)} → {gps(fast2)}" if fast2 is not None else "—",
                     speedup(fast1, fast2), speedup(acc1, acc2), *cells, speedup(*pair(mem2))])
    return rows


def jacobian_rows(results: dict) -> list[list]:
    rows = []
    for (impl, op, s), r in sorted(results.items(), key=lambda kv: kv[0][2]):
        if impl != "jacobian" or not r.ok or not r.real_time_s:
            continue
        mine = ours(results, op, s, False)
        t_mine = mine.shape.cols / mine.items_per_second if mine is not None and mine.ok else None
        t_jac = s.cols / r.items_per_second
        rows.append([s.cols, f"`{mine.impl}`" if mine else "—",
                     f"{t_mine * 1e6:.3g} µs" if t_mine else "—", f"{t_jac * 1e3:.3g} ms",
                     f"{t_jac / t_mine:,.0f}×" if t_mine else "—"])
    return rows


def accuracy_rows(path: Path) -> tuple[list[list], int, int]:
    worst: dict[tuple, dict] = {}
    cases = failed = 0
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            cases += 1
            failed += row["status"] != "pass"
            key = (row["variant"], row["op"])
            w = worst.setdefault(key, {"k": 0.0, "where": "", "bound": row["bound_k"], "ulp": 0.0,
                                       "tier": row["tier"], "cases": 0, "failed": 0})
            w["cases"] += 1
            w["failed"] += row["status"] != "pass"
            k = float(row["k"])
            if k > w["k"]:
                w["k"], w["where"] = k, f"{row['distribution']}, dy {row['dy']}, n={row['n']}"
            w["ulp"] = max(w["ulp"], float(row["max_ulp_conditioned"]))
    rows = [[f"`{v}`", f"`{op}`", w["tier"], f"{w['k']:.3g}", w["bound"], w["where"] or "—",
             f"{w['ulp']:.3g}" if w["tier"] == "accurate" else "(no ULP contract)", w["cases"], w["failed"]]
            for (v, op), w in worst.items()]
    return rows, cases, failed


def peer_rows(path: Path) -> tuple[list[list], int, int]:
    """peer-accuracy-backward.csv (bench/peer_accuracy): per (peer, op) the worst k over every
    distribution, size and kind of dy, where, the worst ULP where well conditioned."""
    worst: dict[tuple, dict] = {}
    cases = errors = 0
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            cases += 1
            key = (row["variant"], row["op"])
            w = worst.setdefault(key, {"k": 0.0, "where": "", "ulp": 0.0, "cases": 0, "errors": 0})
            w["cases"] += 1
            if row["status"] != "scored":
                w["errors"] += 1
                errors += 1
                continue
            k = C.to_float(row["k"])
            k = float("inf") if k is None or k != k else k
            if k > w["k"] or not w["where"]:
                w["k"], w["where"] = k, f"{row['distribution']}, dy {row['dy']}, n={row['n']}"
            u = C.to_float(row["max_ulp_conditioned"])
            w["ulp"] = max(w["ulp"], float("inf") if u is None or u != u else u)
    rows = [[f"`{v}`", f"`{op}`", "peer", f"{w['k']:.3g}", "none", w["where"] or "—", f"{w['ulp']:.3g}",
             w["cases"], f"{w['errors']} errors" if w["errors"] else 0] for (v, op), w in worst.items()]
    return rows, cases, errors


def table(header: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows] + [""])


def section_lines(folder: Path, bench: Path | None, report: Path) -> list[str]:
    out: list[str] = []
    results = load(bench) if bench is not None and bench.is_file() else {}
    if not results:
        out += ["*Not run: the bench file has no backward entries (`<impl>:softmax_backward/...`; "
                "bench/bench_backward.cpp).*", ""]
    else:
        out += ["The gradients of softmax (`dx = y ⊙ (dy − ⟨dy, y⟩)`) and log_softmax (`dx = dy − "
                "exp(y) Σ dy`), G elem/s (10⁹ elements per second), from the bench file's "
                "`<impl>:<op>/<rows>/<cols>[/<threads>]` entries. Ours: the fastest backward "
                "variant timed of each tier; oneDNN `softmax_v2_backward`; PyTorch ATen "
                "`_softmax_backward_data` / `_log_softmax_backward_data` (the faster capability when "
                "both ran); memcpy of the same 12 bytes per element (two reads, one write). "
                "Ratio: ours (fast) ÷ the faster of oneDNN and PyTorch. Our backward splits rows "
                "among threads, and with fewer rows than threads cuts one long row (≥ 32768 "
                "elements) across them.", ""]
        out += table(["Op", "Shape", "Threads", "Ours (fast)", "Ours (accurate)", "oneDNN", "PyTorch",
                      "memcpy", "Ours ÷ best peer", "Ours ÷ memcpy"], throughput_rows(results))
        sc = scaling_rows(results)
        if sc:
            out += ["The split rows' thread scaling: G elem/s at more threads ÷ at 1 thread, where "
                    "a shape has fewer rows than threads (the batch call cuts the row across them), "
                    "each implementation against itself (1 thread: CPU time; more: wall clock):", ""]
            out += table(["Op", "Shape", "Threads", "Ours (fast), G elem/s 1T → nT", "Ours (fast)",
                          "Ours (accurate)", "oneDNN", "PyTorch", "memcpy"], sc)
        kr = k_rows(results, bound_ks(bench))
        if kr:
            out += ["The peers scored like ours, on the benchmark's row 0 (counter `bound_k`: the "
                    "smallest k with `|dx − exact| ≤ k·u·σ + η`, exact from a compensated double "
                    "evaluation; our fast tier is documented within 6.1 (softmax) and 10 "
                    "(log_softmax), the accurate one within 1.04):", ""]
            out += table(["Op", "Shape", "Ours (fast)", "Ours (accurate)", "oneDNN", "PyTorch"], kr)
        jac = jacobian_rows(results)
        if jac:
            out += ["The NumPy guide's explicit Jacobian (`J = diag(y) − y yᵀ`, built and multiplied "
                    "by dy: O(n²)) against the backward (O(n)), one row, one thread, time per row:", ""]
            out += table(["n", "Ours", "Ours, time", "Jacobian, time", "Jacobian ÷ ours"], jac)
        fig = folder / f"{bench.stem}-backward.png"
        if fig.is_file():
            import os
            out += [f"![backward throughput]({os.path.relpath(fig.resolve(), report.parent.resolve())})", ""]
        else:
            out += ["*(figure not generated; run scripts/plot_backward.py)*", ""]
    acc = folder / "accuracy-backward.csv"
    peers = folder / "peer-accuracy-backward.csv"
    prows, pcases, perrors = peer_rows(peers) if peers.is_file() else ([], 0, 0)
    if acc.is_file():
        rows, cases, failed = accuracy_rows(acc)
        out += [f"Accuracy (`{acc.name}`: {cases} cases, {failed} failed): the smallest k with "
                "`|dx − exact| ≤ k·u·σ + η` over every distribution, size and kind of dy, against "
                "the documented k (README, *Backward*); the accurate tier's ULP error where the "
                "cancellation is mild.", ""]
        if prows:
            out += [f"The peers below ours (tier `peer`, `{peers.name}`: {pcases} cases, {perrors} library "
                    "errors; `bench/peer_accuracy`): oneDNN `softmax_v2_backward` and PyTorch "
                    "`_softmax_backward_data` / `_log_softmax_backward_data` on the same rows and dy, "
                    "scored by the same code: the k each needs (a peer documents none), and its ULP "
                    "error where the cancellation is mild.", ""]
        out += table(["Variant", "Op", "Tier", "Worst k", "Bound k", "Where", "ULP (well conditioned)",
                      "Cases", "Failed"], rows + prows)
    else:
        out += ["*Accuracy not run: no accuracy-backward.csv (`softmaxbench accuracy` writes it).*", ""]
        if prows:
            out += [f"The peers (`{peers.name}`: {pcases} cases, {perrors} library errors): the k each "
                    "needs over every distribution, size and kind of dy.", ""]
            out += table(["Variant", "Op", "Tier", "Worst k", "Bound k", "Where", "ULP (well conditioned)",
                          "Cases", "Failed"], prows)
    if not peers.is_file():
        out += ["*Peers not scored: no peer-accuracy-backward.csv (`bench/peer_accuracy` writes it).*", ""]
    return out


def section(doc, m, report: Path) -> None:
    """The hook make_report.py calls: doc is its Doc, m its Machine."""
    doc.add(section_lines(m.folder, m.run.path, report))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, type=Path, help="a results/<machine-id> folder")
    p.add_argument("--bench", type=Path, help="the bench JSON (default: the folder's newest bench-*.json)")
    args = p.parse_args()
    bench = C.choose_bench(args.results, args.bench)
    print("\n".join(section_lines(args.results, bench, args.results / "REPORT.md")))


if __name__ == "__main__":
    C.run_main(main)
