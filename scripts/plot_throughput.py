#!/usr/bin/env python3
"""Softmax throughput (G elements/s) vs row length on the single-row shapes, one figure per
thread count: every variant and peer as a line; our variants coloured by algorithm (marker =
ISA, line style = kernel suffix), oneDNN and XNNPACK in black/grey, memcpy as a wide grey band
(the bandwidth reference). --best-only keeps the fastest variant per algorithm (highest
geometric mean over the row lengths) and the peers.

Writes <out>/<bench-stem>-throughput[-best]-<T>t.png and prints each path; a thread count run
on only one row length gets no figure (a note says so).
Run through scripts/pyrun.sh (needs matplotlib and numpy).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

MAX_FOOTNOTES = 6


def series_for(run: C.BenchRun, threads: int) -> dict[str, list[C.Result]]:
    """impl -> its timed single-row softmax results at this thread count, by row length."""
    out: dict[str, list[C.Result]] = {}
    for r in run.results:
        if r.ok and r.output == "softmax" and r.shape.rows == 1 and r.shape.threads == threads:
            out.setdefault(r.impl, []).append(r)
    return {k: sorted(v, key=lambda r: r.shape.cols) for k, v in out.items()}


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def best_per_algorithm(series: dict[str, list[C.Result]]) -> set[str]:
    best: dict[str, tuple] = {}
    for impl, pts in series.items():
        if C.is_peer(impl):
            continue
        algo = C.parse_variant(impl)[0]
        key = (len(pts), geomean([p.gelems for p in pts]), impl)
        if algo not in best or key > best[algo]:
            best[algo] = key
    return {k[2] for k in best.values()}


def plot_order(run: C.BenchRun, impl: str) -> tuple:
    """Peers last; ours by algorithm and ISA in registry order."""
    if C.is_peer(impl):
        return (1, impl)
    algo, isa, suffix = C.parse_variant(impl)
    return (0, run.rank("algorithm", algo), algo, run.rank("isa", isa), suffix)


def line_style(run: C.BenchRun, impl: str) -> dict:
    if C.is_peer(impl):
        return C.peer_style(impl)
    algo, isa, suffix = C.parse_variant(impl)
    bound = run.bound(impl)
    notes = [f"≤{C.fmt_num(bound)} ulp"] if math.isfinite(bound) else []
    notes += ["unsafe"] if run.unsafe(impl) else []
    label = f"{impl} ({', '.join(notes)})" if notes else impl
    return dict(color=C.algorithm_colour(algo), marker=C.isa_marker(run.registry, isa), ms=4.5, lw=1.4,
                ls=C.suffix_linestyle(suffix), label=label, zorder=2)


def footnotes(run: C.BenchRun, threads: int) -> list[str]:
    """'impl at shapes: reason' for single-row softmax runs that were not timed."""
    by_impl: dict[tuple, list[str]] = {}
    for r in run.results:
        if (r.error is not None and r.output == "softmax" and r.shape.rows == 1
                and r.shape.threads == threads):
            reason = r.error.split(" [")[0]  # drop the bracketed bound description
            reason = reason if len(reason) <= 100 else reason[:97] + "..."
            by_impl.setdefault((r.impl, reason), []).append(C.fmt_size(r.shape.cols))
    lines = [f"{impl} at {', '.join(cols)}: {reason}" for (impl, reason), cols in
             sorted(by_impl.items())]
    if len(lines) > MAX_FOOTNOTES:
        lines = lines[:MAX_FOOTNOTES] + [f"... and {len(lines) - MAX_FOOTNOTES} more"]
    return lines


def draw(plt, run: C.BenchRun, folder: Path, threads: int, best_only: bool):
    series = series_for(run, threads)
    if best_only:
        keep = best_per_algorithm(series)
        series = {k: v for k, v in series.items() if C.is_peer(k) or k in keep}
    fig, ax = plt.subplots(figsize=(10, 5.6))
    for impl in sorted(series, key=lambda i: plot_order(run, i)):
        pts = series[impl]
        ax.plot([p.shape.cols for p in pts], [p.gelems for p in pts], **line_style(run, impl))
    cols = sorted({p.shape.cols for pts in series.values() for p in pts})
    ax.set_xscale("log", base=2)
    C.log_axis(ax)
    ax.set_xticks(cols, [C.fmt_size(c) for c in cols])
    ax.minorticks_off()
    ax.set_xlabel("row length (elements, one row)")
    ax.set_ylabel("throughput (G elements/s, log scale)")
    ax.grid(True, which="both", alpha=0.3)
    what = "fastest variant per algorithm" if best_only else "all variants"
    thr = "1 thread" if threads == 1 else f"{threads} threads"
    ax.set_title(f"softmax throughput vs row length, {thr}, {what}\n"
                 f"{C.title_tail(folder, run.commit)} · {run.context.get('cpu_model', '?')} · "
                 f"dispatch {run.context.get('dispatch_isa', '?')} · {run.path.name}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 if len(series) <= 22 else 2,
              title="implementation", frameon=False)
    notes = footnotes(run, threads)
    if notes:
        fig.text(0.01, -0.01, "Not timed: " + "\n".join(notes), ha="left", va="top",
                 fontsize=7, color="0.3")
    return fig


def main() -> None:
    p = C.arg_parser(__doc__.split("\n\n")[0])
    p.add_argument("--best-only", action="store_true",
                   help="only the fastest variant per algorithm, plus the peers")
    args = p.parse_args()
    run = C.bench_from_args(args)
    lengths: dict[int, set] = {}  # thread count -> row lengths of timed single-row runs
    for r in run.results:
        if r.ok and r.output == "softmax" and r.shape.rows == 1:
            lengths.setdefault(r.shape.threads, set()).add(r.shape.cols)
    if not lengths:
        raise C.InputError(f"{run.path} has no timed single-row softmax results")
    plt = C.pyplot()
    out = C.out_dir(args)
    for t in sorted(lengths):
        if len(lengths[t]) < 2:
            print(f"plot_throughput.py: {t} thread(s): only one row length "
                  f"({C.fmt_size(min(lengths[t]))}) was run; no line to draw, no figure")
            continue
        fig = draw(plt, run, args.results, t, args.best_only)
        name = f"{run.path.stem}-throughput{'-best' if args.best_only else ''}-{t}t.png"
        C.save_figure(fig, out / name)
        plt.close(fig)


if __name__ == "__main__":
    C.run_main(main)
