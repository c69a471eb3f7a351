#!/usr/bin/env python3
"""Accuracy plots from accuracy.csv (`softmaxbench accuracy`):

  accuracy-heatmap-softmax.png, accuracy-heatmap-log_softmax.png
      max ULP error per variant x input distribution at the largest size n run for that
      distribution; log colour scale, every cell annotated; inf/NaN cells black, out-of-domain
      cells hatched grey, cells above the documented bound (status fail) framed in red.
  accuracy-cdf.png
      the distribution (empirical CDF) of the max ULP error over every (distribution, n) case,
      for the fast and accurate tiers of the dispatch ISA (accuracy.json meta, else the widest
      ISA in the file), softmax and log_softmax side by side.

Writes into --out (default: the --results folder) and prints each path.
Run through scripts/pyrun.sh (needs matplotlib and numpy).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

OUTPUTS = ("softmax", "log_softmax")
CDF_FLOOR = 0.01  # max ULP 0 (exact) is drawn here on the log axis


def ordered(values) -> list:
    """Distinct values in first-seen order."""
    return list(dict.fromkeys(values))


def largest_n_cells(rows: list[dict], output: str) -> dict[tuple, dict]:
    """(variant, distribution) -> the row with the largest n for that pair."""
    cells: dict[tuple, dict] = {}
    for r in rows:
        if r["output"] != output:
            continue
        key = (r["variant"], r["distribution"])
        if key not in cells or r["n"] > cells[key]["n"]:
            cells[key] = r
    return cells


def cell_text(r: dict) -> tuple[str, str]:
    """(text, kind) with kind one of value, zero, inf, unbounded, domain, missing. Variants
    without a documented ULP bound are not colour-mapped (their errors would swamp the scale)."""
    if r["status"] == "out_of_domain":
        return "out of\ndomain", "domain"
    v = r["max_ulp"]
    if v is None:
        return "—", "missing"
    if math.isnan(v) or math.isinf(v):
        return ("NaN" if math.isnan(v) else "inf"), "inf"
    if r["bound"] is not None and math.isinf(r["bound"]):
        return C.fmt_num(v, 2), "unbounded"
    return (C.fmt_num(v, 2), "zero" if v == 0 else "value")


def bound_text(bound: float | None) -> str:
    if bound is None:
        return "bound ?"
    return "no bound" if math.isinf(bound) else f"≤{C.fmt_num(bound)}"


FACE = {"inf": "black", "domain": "0.85", "unbounded": "0.93"}  # cells not colour-mapped
LEGEND = ("Row label: variant (documented bound). Black: inf/NaN error; hatched grey: input "
          "outside the variant's domain;\nlight grey: no documented ULP bound (value shown, not "
          "colour-mapped); red frame: above the documented bound (status fail).\n(peer): another "
          "library or the seeds' NumPy code (peer-accuracy.csv), scored on the same scale, no bound.")


def colour_norm(cells: dict):
    from matplotlib import colors
    mapped = [c["max_ulp"] for c in cells.values() if cell_text(c)[1] == "value"]
    lo, hi = (min(mapped), max(mapped)) if mapped else (0.1, 1.0)
    return colors.LogNorm(vmin=min(lo, 0.1), vmax=max(hi, 1.0))


def draw_cell(ax, i: int, j: int, r: dict, norm) -> float:
    """Draws the text, background and frame of cell (i, j); returns the colour-mapped value
    (NaN when the cell is not colour-mapped)."""
    from matplotlib import patches
    text, kind = cell_text(r)
    value = max(r["max_ulp"], norm.vmin) if kind in ("value", "zero") else math.nan
    if kind in FACE:
        ax.add_patch(patches.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=FACE[kind], lw=0,
                                       edgecolor="0.6", zorder=2,
                                       hatch="///" if kind == "domain" else None))
    light = kind == "inf" or (not math.isnan(value) and norm(value) < 0.6)
    ax.text(j, i, text, ha="center", va="center", zorder=3, fontsize=6 if kind == "domain" else 7,
            color="white" if light else "black")
    if r["status"] == "fail":
        ax.add_patch(patches.Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False,
                                       edgecolor="red", lw=2, zorder=4))
    return value


def label_rows(ax, rows: list[dict], variants: list[str], output: str) -> None:
    """Variant names with their bound, and a white rule between ISA groups."""
    bound_of = {r["variant"]: r["bound"] for r in rows if r["output"] == output}
    peer = {r["variant"] for r in rows if r.get("tier") == "peer"}  # peer-accuracy.csv rows
    ax.set_yticks(range(len(variants)),
                  [f"{v}  ({'peer' if v in peer else bound_text(bound_of.get(v))})" for v in variants],
                  fontsize=7)
    isa_of = {r["variant"]: r["isa"] for r in rows}
    for i in range(1, len(variants)):
        if isa_of[variants[i]] != isa_of[variants[i - 1]]:
            ax.axhline(i - 0.5, color="white", lw=3, zorder=5)


def heatmap(plt, rows: list[dict], output: str, title: str):
    import numpy as np
    cells = largest_n_cells(rows, output)
    if not cells:
        return None
    variants = ordered(r["variant"] for r in rows if r["output"] == output)
    dists = ordered(r["distribution"] for r in rows if r["output"] == output)
    norm = colour_norm(cells)
    fig, ax = plt.subplots(figsize=(max(1.05 * len(dists) + 4.2, 9.5),
                                    0.34 * len(variants) + 2.4))
    grid = np.full((len(variants), len(dists)), np.nan)
    for (v, d), r in cells.items():
        i, j = variants.index(v), dists.index(d)
        grid[i, j] = draw_cell(ax, i, j, r, norm)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("white")
    im = ax.imshow(grid, cmap=cmap, norm=norm, aspect="auto")
    label_rows(ax, rows, variants, output)
    ax.set_xticks(range(len(dists)), dists, rotation=30, ha="right")
    ax.grid(False)
    ax.set_xlabel("input distribution (cell: max ULP error at the largest n run)\n\n" + LEGEND,
                  fontsize=8)
    bar = fig.colorbar(im, ax=ax, label="max ULP error (log scale)", fraction=0.04, pad=0.02)
    C.plain_log_ticks(bar.ax.yaxis)
    ax.set_title(title)
    return fig


def cdf_isa(rows: list[dict], meta: dict) -> str:
    isas = ordered(r["isa"] for r in rows)
    want = str(meta.get("dispatch_isa", ""))
    if want in isas:
        return want
    return isas[-1]  # the CSV follows registry order, whose last ISA is the widest


def case_errors(rows: list[dict], variant: str, output: str) -> tuple[list[float], float | None]:
    """The in-domain max ULP errors of a variant's cases, and its documented bound."""
    mine = [r for r in rows if r["variant"] == variant and r["output"] == output]
    vals = [r["max_ulp"] for r in mine
            if r["status"] != "out_of_domain" and r["max_ulp"] is not None]
    return vals, (mine[0]["bound"] if mine else None)


def cdf_panel(ax, rows: list[dict], variants: list[str], output: str) -> None:
    """ECDF per variant. The x range covers the variants with a documented bound; errors of
    unbounded variants beyond it are cut off at the right edge and their maximum is named."""
    import numpy as np
    series = {v: case_errors(rows, v, output) for v in variants}
    bounded = [x for vals, b in series.values() if b is not None and math.isfinite(b)
               for x in vals if math.isfinite(x)]
    x_max = max(bounded + [1.0]) * 2.5
    for v, (vals, bound) in series.items():
        if not vals:
            continue
        finite = sorted(max(x, CDF_FLOOR) for x in vals if math.isfinite(x))
        frac = np.arange(1, len(finite) + 1) / len(vals)
        notes = [bound_text(bound)]
        if len(finite) < len(vals):
            notes.append(f"{len(vals) - len(finite)} inf/NaN")
        if finite and finite[-1] > x_max:
            notes.append(f"max {C.fmt_num(finite[-1])}, off scale")
        algo, _, suffix = C.parse_variant(v)
        ax.step(finite + [x_max * 10], list(frac) + [frac[-1] if len(frac) else 0],
                where="post", color=C.algorithm_colour(algo), ls=C.suffix_linestyle(suffix),
                lw=1.6, label=f"{v} ({'; '.join(notes)})")
    ax.set_xlim(CDF_FLOOR / 1.5, x_max)
    C.log_axis(ax, "x")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"max ULP error of a case (log scale; exact drawn at {CDF_FLOOR:g})")
    ax.set_ylabel("fraction of cases ≤ x")
    ax.set_title(output, loc="left", fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)


def cdf_figure(plt, rows: list[dict], meta: dict, title: str):
    isa = cdf_isa(rows, meta)
    variants = ordered(r["variant"] for r in rows
                       if r["isa"] == isa and r["tier"] in ("fast", "accurate"))
    if not variants:  # e.g. only scalar variants run: show whatever there is
        variants = ordered(r["variant"] for r in rows if r["isa"] == isa)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2))
    for ax, output in zip(axes, OUTPUTS):
        cdf_panel(ax, rows, variants, output)
    n_cases = len({(r["distribution"], r["n"]) for r in rows})
    fig.suptitle(f"{title}\nCDF of the max ULP error over all sizes and distributions "
                 f"({n_cases} cases per variant), {isa} fast and accurate tiers")
    fig.tight_layout()
    return fig


def main() -> None:
    args = C.arg_parser(__doc__.split("\n\n")[0], bench=False).parse_args()
    folder = C.results_dir(args.results)
    rows = C.load_accuracy(folder)
    if rows is None:
        raise C.InputError(f"no accuracy.csv in {folder} (run: softmaxbench accuracy --quick "
                           f"--out {folder}/accuracy.csv)")
    meta = C.load_accuracy_meta(folder)
    plt = C.pyplot()
    out = C.out_dir(args)
    tail = (f"{C.title_tail(folder, str(meta.get('git_commit', 'commit unknown')))} · "
            f"{meta.get('cpu_model', '')} · accuracy --{meta.get('mode', '?')}")
    # The peers (bench/peer_accuracy), when scored, as rows below ours on the same colour scale.
    peers = C.load_peer_accuracy(folder) or []
    for output in OUTPUTS:
        fig = heatmap(plt, rows + peers, output, f"{output}: max ULP error per variant and distribution"
                                         f"\n{tail}")
        if fig is not None:
            C.save_figure(fig, out / f"accuracy-heatmap-{output}.png")
            plt.close(fig)
    fig = cdf_figure(plt, rows, meta, tail)
    C.save_figure(fig, out / "accuracy-cdf.png")
    plt.close(fig)


if __name__ == "__main__":
    C.run_main(main)
