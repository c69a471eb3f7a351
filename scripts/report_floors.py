#!/usr/bin/env python3
"""The "Distance to the floor" section of REPORT.md: per shape and thread count, how far our
fastest and our accurate tier are from what this machine can do at best, and whether each speed
goal lies above that floor (it cannot be met with today's exp kernel) or below it (the gap is
ours). From one bench JSON only: memcpy and the floors `floor:exp`, `floor:exp_write`
(bench/floors.hpp) beside our variants, oneDNN and PyTorch of the same run. make_report.py calls
section(); run alone, it prints the section for a results folder. Standard library only.

The floor of a shape is the slowest of the floor entries timed on it (memcpy: 1 read + 1 write;
floor:exp: read and exp, no write; floor:exp_write: read, exp, write): no softmax that evaluates
the fast tier's exp once per element, reads the input and writes the output can be faster than
any of them. Goals (ratios of one run; issues 12 and 14): ≥ 3× oneDNN and ≥ 3× PyTorch (≥ 2× at
more than one thread) on shapes below 16M elements, ≥ 0.85× memcpy at 1×16M on one thread. A goal
is *above the floor* when the rate it asks for exceeds the floor's.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

TITLE = "Distance to the floor"
FLOORS = ("floor:exp", "floor:exp_write")
NOT_MEASURED = "not measured in this run"
# The shapes the goals are stated on (softmax_bench's headline set): first in the table, and named
# "not measured in this run" when the run did not time them. Other shapes of the run follow.
HEADLINE = tuple(C.Shape(r, c) for r, c in ((1, 64), (1, 4096), (1, 65536), (1, 1 << 24), (4096, 128), (32, 32000)))
DRAM_ELEMS = 1 << 24  # from here the memcpy goal applies instead of the ratios to the peers
MEMCPY_GOAL = 0.85


def anchor() -> str:
    """The GitHub-style anchor of the section's heading."""
    return "#" + re.sub(r"[^a-z0-9 -]", "", TITLE.lower()).replace(" ", "-")


def parse(name: str):
    """'floor:exp/1/4096' -> ('floor:exp', Shape(1, 4096, 1)); threaded names end in
    '/<threads>/real_time'. None for any other name."""
    parts = name.split("/")
    if parts[0] not in FLOORS:
        return None
    if any(not p.isdigit() and p != "real_time" and ":" not in p for p in parts[1:]):
        return None
    nums = [int(p) for p in parts[1:] if p.isdigit()]
    if len(nums) not in (2, 3):
        return None
    return parts[0], C.Shape(nums[0], nums[1], nums[2] if len(nums) == 3 else 1)


def load(path: Path) -> dict:
    """(floor, shape) -> C.Result (the median over repetitions when there are any)."""
    return C.load_merged(path, parse, lambda key: (key[0], "softmax", key[1]))


def best_peer(run: C.BenchRun, base: str, shape: C.Shape) -> C.Result | None:
    """The peer at its faster capability in this run: base or base.<capability> (pytorch.avx512)."""
    cands = [r for r in run.results if r.ok and r.output == "softmax" and r.shape == shape
             and (r.impl == base or r.impl.startswith(base + "."))]
    return max(cands, key=lambda r: r.items_per_second, default=None)


def goals(shape: C.Shape) -> list[tuple[str, str, float]]:
    """(column, what the goal is relative to, factor) of the goals that apply to shape."""
    if shape.rows * shape.cols >= DRAM_ELEMS:
        return [("memcpy", "memcpy", MEMCPY_GOAL)] if shape.threads == 1 else []
    return [("onednn", "onednn", 3.0), ("pytorch", "pytorch", 3.0 if shape.threads == 1 else 2.0)]


GOAL_COLUMNS = (("onednn", "≥ 3× oneDNN"), ("pytorch", "≥ 3× PyTorch (2 threads: ≥ 2×)"),
                ("memcpy", f"≥ {MEMCPY_GOAL:g}× memcpy (1×16M)"))


def rate(r: C.Result | None) -> float | None:
    return r.gelems if r is not None and r.ok else None


def cell(r: C.Result | None, name: bool = False) -> str:
    if r is None:
        return NOT_MEASURED
    if not r.ok:
        return f"not timed ({C.one_line(r.error or 'no rate')[:60]})"
    return (f"`{r.impl}` " if name else "") + f"{r.gelems:.3g}"


def verdict(goal_rate: float | None, floor: float | None, fastest: float | None) -> str:
    """Above the floor: the goal asks for more than the floor's rate; below: reachable."""
    if goal_rate is None or floor is None:
        return NOT_MEASURED
    if goal_rate > floor:
        return f"**above the floor** (needs {goal_rate / floor:.2f}× it): not reachable with today's exp"
    below = f"below the floor ({goal_rate / floor:.2f} of it)"
    if fastest is None:
        return f"{below}: reachable"
    if fastest >= goal_rate:
        return f"{below}: met (fastest at {fastest / goal_rate:.3g}× the goal)"
    return f"{below}: reachable, the gap is ours (fastest at {fastest / goal_rate:.3g} of the goal)"


def frac(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b is not None else NOT_MEASURED


def shapes(run: C.BenchRun, floors: dict) -> list[C.Shape]:
    """The shapes this run timed memcpy or a floor on: the headline ones first, in HEADLINE's order,
    each with its thread counts, then the rest by size."""
    timed = {s for (_, s) in floors} | {r.shape for r in run.results if r.impl == "memcpy" and r.output == "softmax"}
    order = {(h.rows, h.cols): i for i, h in enumerate(HEADLINE)}
    return sorted(timed, key=lambda s: (order.get((s.rows, s.cols), len(order)), s.rows * s.cols, s.rows, s.threads))


def missing_headline(run: C.BenchRun, floors: dict) -> list[C.Shape]:
    timed = {(s.rows, s.cols) for s in shapes(run, floors)}
    return [h for h in HEADLINE if (h.rows, h.cols) not in timed]


def rows(run: C.BenchRun, floors: dict, acc: float) -> list[list]:
    out = []
    for s in shapes(run, floors):
        mem = run.find("memcpy", "softmax", s)
        fl = [floors.get((f, s)) for f in FLOORS]
        floor_rates = [x for x in (rate(mem), *map(rate, fl)) if x is not None]
        floor = min(floor_rates) if floor_rates else None
        both = [rate(f) for f in fl]
        two_pass = 1 / (1 / both[0] + 1 / both[1]) if None not in both else None
        fast, accurate = run.fastest("softmax", s), run.fastest("softmax", s, acc)
        onednn, torch = run.find("onednn", "softmax", s), best_peer(run, "pytorch", s)
        base = {"onednn": rate(onednn), "pytorch": rate(torch), "memcpy": rate(mem)}
        applies = {col: (ref, k) for col, ref, k in goals(s)}
        goal_cells = []
        for col, _ in GOAL_COLUMNS:
            if col not in applies:
                goal_cells.append("—")
                continue
            ref, k = applies[col]
            goal_cells.append(verdict(k * base[ref] if base[ref] is not None else None, floor, rate(fast)))
        out.append([f"{s.rows}x{s.cols}", s.threads, cell(mem), *map(cell, fl),
                    f"{two_pass:.3g}" if two_pass is not None else NOT_MEASURED,
                    f"{floor:.3g}" if floor is not None else NOT_MEASURED,
                    cell(fast, True), cell(accurate, True), cell(onednn),
                    cell(torch, True) if torch is not None else NOT_MEASURED,
                    frac(rate(fast), floor), frac(rate(accurate), floor), *goal_cells])
    return out


def header(acc: float) -> list[str]:
    return (["Shape", "Threads", "memcpy", "floor:exp", "floor:exp_write", "exp then exp_write",
             "Floor (slowest)", "Fastest", f"Accurate (≤{acc:g} ULP)", "oneDNN", "PyTorch",
             "Fastest ÷ floor", "Accurate ÷ floor"] + [name for _, name in GOAL_COLUMNS])


def section_lines(run: C.BenchRun, acc: float, table) -> list[str]:
    floors = load(run.path)
    out = []
    if not floors:
        out += [f"*Floors {NOT_MEASURED}: {run.path.name} has no `floor:exp` / `floor:exp_write` entries "
                "(bench/floors.hpp; a softmax_bench older than them, or a filtered run): the floor below is memcpy's "
                "alone.*", ""]
    out += [f"From {run.path.name}, G elem/s (1 thread: CPU time; more: wall clock). What this machine "
            "can do at best, per shape: *memcpy* moves the bytes (1 read + 1 write); `floor:exp` reads "
            "the input and evaluates the fast tier's exp (guarded's kernel, at the dispatch ISA) of "
            "`x − c`, summed, with no max pass and no write: the least work any exp-based softmax does "
            "per element; `floor:exp_write` reads, exps and writes (guarded's output pass alone). "
            "*Floor* is the slowest of the three, a rate no such softmax can pass; *exp then exp_write* "
            "is the two timed back to back (a sum pass and an output pass: the 2-read, 1-write form's "
            "floor), shown, not used. Ours over the floor: 1 is the most today's exp allows. A goal "
            "**above the floor** asks for a rate no softmax with today's exp reaches (it needs a "
            "cheaper exp, or a write the floor does not pay); one below it is reachable, and the gap "
            "between our fastest and the goal is ours (passes, reductions, per-row costs). Goals: "
            f"≥ 3× oneDNN and ≥ 3× PyTorch (its faster ATen capability; ≥ 2× at 2 threads) below 16M "
            f"elements, ≥ {MEMCPY_GOAL:g}× memcpy at 1×16M on one thread; — where a goal does not apply.",
            ""]
    body = rows(run, floors, acc)
    if body:
        out += table(header(acc), body)
    else:
        out += [f"*No memcpy or floor entry in {run.path.name}: no shape to compare.*", ""]
    missing = missing_headline(run, floors)
    if missing:
        out += [f"Headline shapes {NOT_MEASURED} (no memcpy or floor entry): "
                + ", ".join(f"{s.rows}x{s.cols}" for s in missing) + ".", ""]
    return out


def section(doc, m, report: Path, table, acc: float) -> None:
    """The hook make_report.py calls: doc its Doc, m its Machine, table its table renderer, acc the
    accurate tier's bound."""
    doc.add(section_lines(m.run, acc, table))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, type=Path, help="a results/<machine-id> folder")
    p.add_argument("--bench", type=Path, help="the bench JSON (default: the folder's newest bench-*.json)")
    args = p.parse_args()
    import make_report as MR  # its table renderer (make_report imports this module at its top)
    run = C.load_bench(C.choose_bench(args.results, args.bench), args.results)
    print("\n".join(section_lines(run, run.accurate_max_ulp(), MR.table)))


if __name__ == "__main__":
    C.run_main(main)
