#!/usr/bin/env python3
"""Thread scaling: for every shape run with several thread counts, the speedup over one thread
(wall-clock throughput, real_time, for every thread count) of our fastest variant at the
largest thread count, oneDNN and XNNPACK, with the ideal linear speedup. One panel per shape.

Writes <out>/<bench-stem>-scaling.png and prints the path. When no shape was run with more
than one thread count it writes nothing, says so, and exits 0 (the report then says "not run").
Run through scripts/pyrun.sh (needs matplotlib and numpy).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def scaled_shapes(run: C.BenchRun) -> dict[tuple, list[int]]:
    """(rows, cols) -> sorted thread counts (1 first), for softmax shapes timed with 1 and more
    threads (BenchRun.scaled_shapes)."""
    counts: dict[tuple, list[int]] = {}
    for s in run.scaled_shapes("softmax"):
        counts.setdefault((s.rows, s.cols), [1]).append(s.threads)
    return counts


def curve(run: C.BenchRun, impl: str, rows: int, cols: int, threads: list[int]):
    """(thread counts, speedups vs 1 thread, G elem/s at each) from real_time, or None."""
    xs, ys, gs = [], [], []
    for t in threads:
        shape = C.Shape(rows, cols, t)
        speedup = run.thread_speedup(impl, "softmax", shape)
        if speedup is not None:
            xs.append(t)
            ys.append(speedup)
            gs.append(run.find(impl, "softmax", shape).real_gelems)
    return (xs, ys, gs) if xs else None


def ours_at_max(run: C.BenchRun, rows: int, cols: int, threads: list[int]) -> str | None:
    best = run.fastest("softmax", C.Shape(rows, cols, threads[-1]))
    return best.impl if best else None


def draw_panel(ax, run: C.BenchRun, rows: int, cols: int, threads: list[int]) -> None:
    ours = ours_at_max(run, rows, cols, threads)
    lines = []
    if ours:
        lines.append((ours, dict(color="tab:blue", marker="o", lw=2, label=f"ours: {ours}")))
    for peer in C.RIVALS["softmax"]:
        style = C.peer_style(peer)
        lines.append((peer, dict(color=style["color"], ls=style["ls"], marker=style["marker"],
                                 lw=1.8, label=style["label"])))
    missing = []
    for impl, style in lines:
        got = curve(run, impl, rows, cols, threads)
        if not got or len(got[0]) < 2:
            missing.append(C.PEER_LABEL.get(impl, impl))
            continue
        xs, ys, gs = got
        rates = ", ".join(f"{t}t {g:.2f}" for t, g in zip(xs, gs))
        style["label"] += f"\n  G elem/s: {rates}"
        ax.plot(xs, ys, **style)
    if missing:
        ax.text(0.98, 0.02, f"not timed at all thread counts: {', '.join(missing)}",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.4")
    ax.plot(threads, threads, color="0.6", ls=":", lw=1.2, label="ideal (linear)")
    ax.set_xticks(threads)
    ax.set_xlabel("threads")
    ax.set_ylabel("speedup vs 1 thread (wall clock)")
    ax.set_title(f"{rows}x{C.fmt_size(cols)}", loc="left", fontweight="bold")
    ax.legend(loc="upper left", fontsize=7)


def main() -> None:
    args = C.arg_parser(__doc__.split("\n\n")[0]).parse_args()
    run = C.bench_from_args(args)
    shapes = scaled_shapes(run)
    if not shapes:
        print(f"plot_scaling.py: no shape in {run.path.name} was run with more than one thread "
              f"count; no figure written")
        return
    plt = C.pyplot()
    ncols = min(3, len(shapes))
    nrows = math.ceil(len(shapes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.2 * nrows), squeeze=False)
    for ax, ((rows, cols), threads) in zip(axes.flat, shapes.items()):
        draw_panel(ax, run, rows, cols, threads)
    for ax in list(axes.flat)[len(shapes):]:
        ax.set_visible(False)
    fig.suptitle(f"softmax thread scaling — {C.title_tail(args.results, run.commit)}\n"
                 f"{run.context.get('cpu_model', '?')} · {run.path.name} · {run.statistic}")
    fig.tight_layout()
    C.save_figure(fig, C.out_dir(args) / f"{run.path.stem}-scaling.png")
    plt.close(fig)


if __name__ == "__main__":
    C.run_main(main)
