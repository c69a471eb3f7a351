#!/usr/bin/env python3
"""Speedup of our fastest softmax variant, and of our fastest accurate-tier variant (documented
max ULP <= 1), over oneDNN and over XNNPACK on every shape of the run (single rows, batches,
every thread count): one bar chart per peer, log ratio axis, a line at 1.0, each bar labelled
with the ratio and the variant. The unsafe tier (naive) is never counted as our fastest.

Writes <out>/<bench-stem>-speedup.png and prints the path.
Run through scripts/pyrun.sh (needs matplotlib and numpy).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def kinds(run: C.BenchRun) -> tuple:
    """(legend name, max documented ULP or None, colour, hatch) of each bar; the accurate
    tier's bound is the run's registry's."""
    acc = run.accurate_max_ulp()
    return (("fastest", None, "tab:blue", ""),
            (f"fastest accurate (≤{acc:g} ulp)", acc, "tab:green", "//"))


HEIGHT = 0.38


def ratio(run: C.BenchRun, shape: C.Shape, peer: str, max_ulp: float | None):
    """(ratio, variant) of ours over the peer on shape, or None when either was not timed."""
    ours = run.fastest("softmax", shape, max_ulp)
    theirs = run.find(peer, "softmax", shape)
    if ours is None or theirs is None or not theirs.ok:
        return None
    return ours.items_per_second / theirs.items_per_second, ours.impl


def peer_missing_reason(run: C.BenchRun, peer: str) -> str | None:
    """Why the peer has no timed result at all (e.g. not built), or None if it has some."""
    rows = [r for r in run.results if r.impl == peer]
    if any(r.ok for r in rows):
        return None
    return rows[0].error if rows else "not in this run"


def not_timed_note(run: C.BenchRun, shape: C.Shape, peer: str) -> str:
    theirs = run.find(peer, "softmax", shape)
    if theirs is None:
        return f"{C.PEER_LABEL[peer]} not run on this shape"
    if theirs.error is not None:
        return f"{C.PEER_LABEL[peer]} not timed ({theirs.error.split(':')[0]})"
    return "no variant of ours in this tier timed"


def draw_bar(ax, y: float, value: float, variant: str, colour: str, hatch: str, name: str):
    """A horizontal bar from 1.0 to value (log axis); its label starts right of both."""
    left, right = sorted((1.0, value))
    ax.barh(y, right - left, HEIGHT * 0.95, left=left, color=colour, hatch=hatch,
            edgecolor="white", label=name)
    ax.text(right * 1.05, y, f"{value:.2f}×  {variant}", ha="left", va="center", fontsize=7)


def set_limits(ax, values: list[float]) -> None:
    """Log x limits with room right of the bars for their labels (about 45% of the width)."""
    lo, hi = min(values + [1.0]) / 1.3, max(values + [1.0]) * 1.05
    span = math.log10(hi / lo)
    ax.set_xlim(lo, hi * 10 ** (span * 0.45 / 0.55 + 0.35))


def draw_panel(ax, run: C.BenchRun, shapes: list[C.Shape], peer: str) -> None:
    label = C.PEER_LABEL[peer]
    reason = peer_missing_reason(run, peer)
    ax.set_title(f"vs {label}", loc="left", fontweight="bold")
    if reason is not None:
        ax.text(0.5, 0.5, f"{label} not timed:\n{reason}", ha="center", va="center",
                transform=ax.transAxes, color="0.3", wrap=True)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    values = []
    for i, shape in enumerate(shapes):
        got = [ratio(run, shape, peer, kind[1]) for kind in kinds(run)]
        if not any(got):
            ax.text(1.05, i, not_timed_note(run, shape, peer), ha="left", va="center",
                    fontsize=7, color="0.4")
        for k, (name, _, colour, hatch) in enumerate(kinds(run)):
            y = i + (k - 0.5) * HEIGHT
            if got[k] is not None:
                values.append(got[k][0])
                draw_bar(ax, y, *got[k], colour, hatch, name)
            elif any(got):
                ax.text(1.05, y, f"no {name.removeprefix('fastest ')} variant timed",
                        ha="left", va="center", fontsize=7, color="0.4")
    ax.axvline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    set_limits(ax, values)
    C.log_axis(ax, "x")  # after the limits: the tick density depends on them
    ax.set_xlabel(f"our throughput ÷ {label}'s (log scale; > 1: ours faster)")
    ax.set_yticks(range(len(shapes)), [s.short for s in shapes])
    ax.set_ylim(len(shapes) - 0.5, -0.5)
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")


def main() -> None:
    args = C.arg_parser(__doc__.split("\n\n")[0]).parse_args()
    run = C.bench_from_args(args)
    shapes = [s for s in run.shapes("softmax") if run.fastest("softmax", s) is not None]
    if not shapes:
        raise C.InputError(f"{run.path} has no timed softmax results of our variants")
    plt = C.pyplot()
    peers = [p for p in C.RIVALS["softmax"]]
    fig, axes = plt.subplots(1, len(peers), figsize=(13, 2.2 + 0.55 * len(shapes)),
                             squeeze=False)
    for ax, peer in zip(axes[0], peers):
        draw_panel(ax, run, shapes, peer)
    axes[0, 0].set_ylabel("shape (rows x row length)")
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=colour, hatch=hatch, edgecolor="white", label=name)
               for name, _, colour, hatch in kinds(run)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles),
               bbox_to_anchor=(0.5, -0.02), frameon=False, fontsize=8)
    fig.suptitle(f"softmax speedup over the peers, per shape — "
                 f"{C.title_tail(args.results, run.commit)}"
                 f"\n{run.context.get('cpu_model', '?')} · dispatch "
                 f"{run.context.get('dispatch_isa', '?')} · {run.path.name} · {run.statistic}")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = C.out_dir(args) / f"{run.path.stem}-speedup.png"
    C.save_figure(fig, path)
    plt.close(fig)


if __name__ == "__main__":
    C.run_main(main)
