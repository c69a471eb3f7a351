#!/usr/bin/env python3
"""The backward's figure: left, softmax_backward throughput per shape and thread count (ours fast
and accurate, oneDNN, PyTorch, memcpy at the op's 12 bytes per element), G elem/s on a log axis;
right, time per row of the explicit Jacobian (built and multiplied by dy) against ours, by n.
From the bench JSON's `<impl>:<op>/...` entries (bench/bench_backward.cpp).

Writes <out>/<bench-stem>-backward.png and prints the path.
Run through scripts/pyrun.sh (needs matplotlib and numpy).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
import report_backward as RB  # noqa: E402

SERIES = (("ours (fast)", "tab:blue"), ("ours (accurate)", "tab:green"), ("oneDNN", "tab:orange"),
          ("PyTorch", "tab:red"), ("memcpy (12 B/elem)", "tab:gray"))


def main() -> None:
    args = C.arg_parser(__doc__.split("\n\n")[0]).parse_args()
    bench = C.choose_bench(args.results, args.bench)
    results = RB.load(bench)
    if not results:
        raise C.InputError(f"{bench} has no backward entries (<impl>:softmax_backward/...)")
    plt = C.pyplot()
    op = "softmax_backward"
    shapes = sorted({s for (impl, o, s) in results if o == op and (impl == "onednn" or impl == "memcpy")})
    fig, (ax, axj) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [3, 1.2]})
    width = 0.8 / len(SERIES)
    for k, (name, colour) in enumerate(SERIES):
        xs, ys = [], []
        for i, s in enumerate(shapes):
            r = (RB.ours(results, op, s, False) if k == 0 else RB.ours(results, op, s, True) if k == 1
                 else RB.peer(results, "onednn", op, s) if k == 2 else RB.peer(results, "pytorch", op, s) if k == 3
                 else results.get(("memcpy", op, s)))
            if r is not None and r.ok:
                xs.append(i + (k - (len(SERIES) - 1) / 2) * width)
                ys.append(r.gelems)
        ax.bar(xs, ys, width * 0.95, color=colour, label=name)
    ax.set_xticks(range(len(shapes)), [s.short for s in shapes], rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("G elem/s")
    ax.set_title(f"softmax backward, {bench.name}")
    ax.legend(loc="upper right")

    ns, mine, jac = [], [], []
    for (impl, o, s), r in sorted(results.items(), key=lambda kv: kv[0][2]):
        if impl == "jacobian" and r.ok:
            ours = RB.ours(results, o, s, False)
            if ours is not None and ours.ok:
                ns.append(s.cols)
                mine.append(s.cols / ours.items_per_second * 1e6)
                jac.append(s.cols / r.items_per_second * 1e6)
    if ns:
        axj.plot(ns, jac, "o-", color="tab:purple", label="explicit J, then J·dy")
        axj.plot(ns, mine, "s-", color="tab:blue", label="ours (fast)")
        axj.set_xscale("log", base=2)
        axj.set_yscale("log")
        axj.set_xlabel("n (one row)")
        axj.set_ylabel("µs per row")
        axj.set_title("the guide's Jacobian vs the backward")
        axj.legend(loc="upper left")
    else:
        axj.set_axis_off()
    fig.tight_layout()
    C.save_figure(fig, C.out_dir(args) / f"{bench.stem}-backward.png")


if __name__ == "__main__":
    C.run_main(main)
