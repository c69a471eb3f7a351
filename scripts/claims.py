#!/usr/bin/env python3
"""Claims from the softmax literature, and the rules that re-test each one on the raw results of
one machine (results/<machine-id>/). scripts/make_report.py renders them; run this file on a
results folder to print the verdicts:

    scripts/claims.py --results results/<machine-id> [--bench FILE]

Each claim names its source (authors, year, venue, where in it), states the claim in one line,
says which measurement tests it (benchmark entries or accuracy cells: shape, ISA, threads),
quotes the number the source reports, and has a verdict rule with its margin stated. A rule
gives one of HOLDS, PARTLY, DOES_NOT_HOLD, or NOT_MEASURED when its inputs were not run: never a
guess. Ratios are taken within one benchmark file (every claim is a ratio from one run).

Inputs read: the bench JSON (newest bench-*.json or --bench), claims-*.json (the extra
benchmark entries `scripts/reproduce.sh --quick` runs for the claims), accuracy.csv,
accuracy.json (its "seeds" list) and peer-accuracy.csv when present. Standard library only.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

HOLDS, PARTLY, DOES_NOT_HOLD, NOT_MEASURED = ("holds", "holds partly", "does not hold here",
                                              "not measured in this run")
NOISE = 0.03  # a throughput gain at or below +3 % is within run-to-run noise on a shared machine
OUT_OF_CACHE = C.Shape(1, 16777216, 1)  # 64 MiB in + 64 MiB out: past any last-level cache here
IN_CACHE = C.Shape(1, 4096, 1)          # 16 KiB in + 16 KiB out: in L1/L2


# ---- inputs ---------------------------------------------------------------------------------

@dataclass
class Inputs:
    """What the rules read: benchmark runs (the main one first), accuracy rows, the seeds list
    of accuracy.json, the peers' accuracy rows; None / [] for what was not run."""
    runs: list = field(default_factory=list)          # list[C.BenchRun]
    accuracy: list | None = None                      # accuracy.csv rows (C.load_accuracy)
    seeds: list | None = None                         # accuracy.json "seeds"
    peer_accuracy: list | None = None                 # peer-accuracy.csv rows
    dispatch_isa: str = ""


def claims_bench_files(folder: Path) -> list[Path]:
    """claims-*.json: the extra benchmark entries for the claims (newest first)."""
    return sorted(folder.glob("claims-*.json"), reverse=True)


def _read_peer_accuracy(folder: Path) -> list | None:
    path = folder / "peer-accuracy.csv"
    if not path.is_file():
        return None
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise C.InputError(f"cannot read {path}: {e}") from e
    for r in rows:
        r["max_ulp"] = C.to_float(r.get("max_ulp"))
        r["status"] = str(r.get("status", "")).strip()
    return rows


def load_inputs(folder: Path, main: C.BenchRun | None) -> Inputs:
    runs = [main] if main is not None else []
    runs += [C.load_bench(p, folder) for p in claims_bench_files(folder)]
    meta = C.load_json_optional(folder / "accuracy.json") or {}
    seeds = meta.get("seeds") if isinstance(meta.get("seeds"), list) else None
    dispatch = str((main.context if main else {}).get("dispatch_isa", "")
                   or (meta.get("meta") or {}).get("dispatch_isa", ""))
    return Inputs(runs, C.load_accuracy(folder), seeds, _read_peer_accuracy(folder), dispatch)


# ---- outcome --------------------------------------------------------------------------------

@dataclass
class Outcome:
    verdict: str
    ours: str
    files: list = field(default_factory=list)  # names of the raw files the numbers came from
    note: str = ""  # said with the verdict (what the verdict does not cover)


def not_measured(missing: str) -> Outcome:
    """NOT_MEASURED; ours says which input this run lacks."""
    return Outcome(NOT_MEASURED, f"— (this run has no {missing})")


def combine(verdicts: list[str]) -> str:
    """Several parts: HOLDS when every measured part holds, DOES_NOT_HOLD when none holds even
    partly, else PARTLY; NOT_MEASURED when no part was measured."""
    got = [v for v in verdicts if v != NOT_MEASURED]
    if not got:
        return NOT_MEASURED
    if all(v == HOLDS for v in got):
        return HOLDS
    if all(v == DOES_NOT_HOLD for v in got):
        return DOES_NOT_HOLD
    return PARTLY


def gain_verdict(gain: float, target: float) -> str:
    """A speedup claim: HOLDS at >= half the source's gain, PARTLY above the noise margin,
    DOES_NOT_HOLD at or below it. The gain is compared at 0.01 % resolution (1.15 / 1.0 - 1 is
    0.1499... in binary)."""
    gain = round(gain, 4)
    if gain >= target / 2:
        return HOLDS
    return PARTLY if gain > NOISE else DOES_NOT_HOLD


def pair(inp: Inputs, a: str, b: str, shape: C.Shape, output: str = "softmax"):
    """(ratio a/b - 1, file name) from the first run that timed both a and b on shape; None when
    no run did."""
    for run in inp.runs:
        ra, rb = run.find(a, output, shape), run.find(b, output, shape)
        if ra is not None and rb is not None and ra.ok and rb.ok:
            return ra.items_per_second / rb.items_per_second - 1, run.path.name
    return None


def pct(x: float) -> str:
    return f"{100 * x:+.0f} %"


# ---- claim 1: two-pass vs three-pass, out of cache ------------------------------------------

PAPER_TWO_PASS = {"avx512": 0.28, "avx2": 0.18}
# The paper's two three-pass algorithms: reload (store the exps, then scale them) and recompute
# (exp again in the output pass).
THREE_PASS = (("reload", "max_shifted"), ("recompute", "recompute"))


def eval_two_pass(inp: Inputs) -> Outcome:
    """Per ISA, two_pass against each three-pass form timed in one file; the verdict from the
    gain over the faster of them (the harder comparison), each gain reported."""
    parts, texts, files, missing = [], [], [], []
    for isa, target in PAPER_TWO_PASS.items():
        gains, absent = [], []
        for form, algorithm in THREE_PASS:
            got = pair(inp, f"two_pass.{isa}", f"{algorithm}.{isa}", OUT_OF_CACHE)
            if got is None:
                absent.append(f"{form} ({algorithm}.{isa})")
                continue
            gains.append((form, algorithm, got[0]))
            files.append(got[1])
        if gains:
            missing += absent  # an ISA with no pair at all says so in `ours`
        else:
            parts.append(NOT_MEASURED)
            texts.append(f"{isa}: not measured in this run")
            continue
        v = gain_verdict(min(g for _, _, g in gains), target)
        parts.append(v)
        texts.append(f"{isa}: " + ", ".join(f"vs {form} ({algorithm}) {pct(g)}"
                                            for form, algorithm, g in gains) + f" ({v})")
    verdict = combine(parts)
    ours = "two_pass ÷ three-pass − 1 at 1x16M, 1 thread: " + "; ".join(texts) + "."
    note = ("three-pass forms not timed in this run: " + ", ".join(missing)) if missing else ""
    return Outcome(verdict, ours, sorted(set(files)), note)


# ---- claim 2: online normaliser vs safe softmax ---------------------------------------------

PAPER_ONLINE = 0.30


def best_isa_pair(inp: Inputs, a: str, b: str, shape: C.Shape) -> tuple[str, tuple] | None:
    """The widest ISA (dispatch ISA first) at which a.<isa> and b.<isa> were timed on shape."""
    names = [r.impl for run in inp.runs for r in run.results]
    order = C.isa_preference(inp.dispatch_isa, [run.registry for run in inp.runs], names)
    for isa in order:
        got = pair(inp, f"{a}.{isa}", f"{b}.{isa}", shape)
        if got is not None:
            return isa, got
    return None


def eval_online(inp: Inputs) -> Outcome:
    out = best_isa_pair(inp, "online", "max_shifted", OUT_OF_CACHE)
    if out is None:
        return not_measured("online and max_shifted of one ISA timed at 1x16M, 1 thread")
    isa, (gain, name) = out
    files = [name]
    text = f"online.{isa} ÷ max_shifted.{isa} − 1: out of cache (1x16M) {pct(gain)}"
    got_in = pair(inp, f"online.{isa}", f"max_shifted.{isa}", IN_CACHE)
    if got_in is not None:
        text += f"; in cache (1x4096) {pct(got_in[0])}"
        files.append(got_in[1])
    else:
        text += "; in cache (1x4096): not measured in this run"
    return Outcome(gain_verdict(gain, PAPER_ONLINE), text + ", 1 thread.", sorted(set(files)))


# ---- claim 3: Blanchard, Higham & Higham ----------------------------------------------------

SIMILAR = 2.0    # "similar accuracy": the shifted form's worst ULP within 2x of the unshifted one's
LOSS = 1.5       # "can lose accuracy": exp(x - lse) worst ULP >= 1.5x the divided form's somewhere
LOSS_PART = 1.1  # between 1.1x and 1.5x: partly


def worst_by_dist(rows: list, variant: str, output: str = "softmax",
                  cells: set | None = None) -> dict:
    """distribution -> worst in-domain max ULP of variant (over n; only the (distribution, n)
    cells given, when given)."""
    out: dict = {}
    for r in rows:
        if (r["variant"] != variant or r["output"] != output or r["status"] == "out_of_domain"
                or r["max_ulp"] is None):
            continue
        if cells is not None and (r["distribution"], r["n"]) not in cells:
            continue
        out[r["distribution"]] = max(out.get(r["distribution"], 0.0), r["max_ulp"])
    return out


def in_domain_cells(rows: list, variant: str, output: str = "softmax") -> set:
    return {(r["distribution"], r["n"]) for r in rows if r["variant"] == variant
            and r["output"] == output and r["status"] != "out_of_domain"}


# Blanchard, Higham & Higham's forward error bounds for softmax (IMA J. Numer. Anal. 41(4), 2021),
# first order, normwise: ||g^ - g||_inf / ||g||_inf, with u the unit roundoff of the working
# precision (float: 2^-24), in their model where every operation (exp included) errs by at
# most u and the sum is recursive:
#   Theorem 3.3, eq. (3.6), the unshifted exp(x)/sum exp(x):          (n + 3) u
#   Theorem 4.3, eq. (4.11), the shifted exp(x - m) / sum exp(x - m):  (n + 2 + 2 (x_max - x_min)) u
# (printed pp. 2319 and 2321-2324; read from a public transcription of the two theorems, not
# from the PDF itself). The sweep's normwise_inf column is the measured left side, its x_range
# column x_max - x_min. Not evaluated: their log-sum-exp bounds (the sweep scores softmax and
# log_softmax, not log-sum-exp itself) and the division-free form's (Theorem 3.4; its text was
# not available to us).
U_FP32 = 2.0 ** -24
BHH_BOUNDS = {  # algorithm -> (where in the paper, the formula as text, the bound of (n, x_range))
    "max_shifted": ("Thm 4.3 (4.11)", "(n + 2 + 2(x_max − x_min))u",
                    lambda n, xr: (n + 2 + 2 * xr) * U_FP32),
    "recompute": ("Thm 4.3 (4.11)", "(n + 2 + 2(x_max − x_min))u",
                  lambda n, xr: (n + 2 + 2 * xr) * U_FP32),
    "naive": ("Thm 3.3 (3.6)", "(n + 3)u", lambda n, xr: (n + 3) * U_FP32),
}


def bhh_cells(rows: list, variant: str) -> list:
    """[(measured / bound, distribution, n)] over the variant's in-domain softmax cells of n >= 2
    (the theorems' rows; one logit is exact) that carry normwise_inf and x_range (accuracy.csv
    from before those columns: none)."""
    bound = BHH_BOUNDS[variant.split(".")[0]][2]
    out = []
    for r in rows:
        if r["variant"] != variant or r["output"] != "softmax" or r["status"] == "out_of_domain":
            continue
        err, xr = C.to_float(r.get("normwise_inf")), C.to_float(r.get("x_range"))
        if err is None or xr is None or r["n"] < 2:
            continue
        ratio = math.inf if math.isnan(err) else err / bound(r["n"], xr)
        out.append((ratio, r["distribution"], r["n"]))
    return out


def eval_bhh_bounds(rows: list, isa: str) -> tuple[str, str]:
    """(verdict, text): every evaluated cell inside its bound (measured / bound <= 1) holds,
    some partly, none does not hold; not measured without the columns."""
    parts, inside, total = [], 0, 0
    for alg in BHH_BOUNDS:
        cells = bhh_cells(rows, f"{alg}.{isa}")
        if not cells:
            continue
        where, formula, _ = BHH_BOUNDS[alg]
        inside += sum(c[0] <= 1 for c in cells)
        total += len(cells)
        top = max(cells)
        text = (f"{alg}.{isa} against {where} {formula}: worst {C.fmt_num(top[0])} "
                f"({top[1]}, n = {top[2]}), {sum(c[0] <= 1 for c in cells)} of {len(cells)} "
                f"cells inside")
        if alg == "max_shifted":
            per: dict = {}
            for ratio, d, n in cells:
                per[d] = max(per.get(d, (0.0, 0)), (ratio, n))
            text += " (worst per distribution: " + ", ".join(
                f"{d} {C.fmt_num(v[0])}" for d, v in sorted(per.items())) + ")"
        parts.append(text)
    if not total:
        return NOT_MEASURED, ("BHH bounds: not measured in this run (accuracy.csv has no "
                              "normwise_inf and x_range columns)")
    verdict = HOLDS if inside == total else PARTLY if inside else DOES_NOT_HOLD
    return verdict, ("BHH bounds, u = 2^-24, ‖ĝ − g‖∞/‖g‖∞ ÷ bound: " + "; ".join(parts)
                     + f" ({verdict})")


def eval_higham(inp: Inputs) -> Outcome:
    rows = inp.accuracy
    if rows is None:
        return not_measured("accuracy.csv")
    names = {r["variant"] for r in rows}
    order = C.isa_preference(inp.dispatch_isa, [run.registry for run in inp.runs],
                             [r["variant"] for r in rows])
    isa = next((i for i in order if {f"naive.{i}", f"max_shifted.{i}", f"log_sum_exp.{i}"} <= names),
               None)
    if isa is None:
        return not_measured("naive, max_shifted and log_sum_exp of one ISA in accuracy.csv")
    naive, shifted, lse = f"naive.{isa}", f"max_shifted.{isa}", f"log_sum_exp.{isa}"
    # (a) shifted vs unshifted, on the cells where the unshifted form is in its domain
    cells = in_domain_cells(rows, naive)
    w_naive = worst_by_dist(rows, naive, cells=cells)
    w_shift_a = worst_by_dist(rows, shifted, cells=cells)
    if not w_naive or not w_shift_a:
        return not_measured(f"in-domain softmax cell of {naive} in accuracy.csv")
    a, b = max(w_shift_a.values()), max(w_naive.values())
    part_a = HOLDS if a <= SIMILAR * max(b, 0.5) else DOES_NOT_HOLD
    # (b) division-free exp(x - lse) vs exp(x - m) / sum, per distribution
    w_shift, w_lse = worst_by_dist(rows, shifted), worst_by_dist(rows, lse)
    dists = [d for d in w_shift if d in w_lse]
    ratio = {d: w_lse[d] / max(w_shift[d], 1e-300) for d in dists}
    top = max(ratio.values()) if ratio else 0.0
    part_b = HOLDS if top >= LOSS else PARTLY if top > LOSS_PART else DOES_NOT_HOLD
    better_div = sorted(d for d in dists if w_shift[d] < w_lse[d])
    better_free = sorted(d for d in dists if w_lse[d] < w_shift[d])
    worst_d = max(ratio, key=ratio.get) if ratio else "—"
    part_c, bounds = eval_bhh_bounds(rows, isa)
    ours = (f"{isa}, softmax, worst max ULP: shifted {a:.3g} vs unshifted {b:.3g} on the "
            f"unshifted form's in-domain cells ({part_a}); exp(x − lse) ÷ exp(x − m)/Σ up to "
            f"{top:.2f}× (on {worst_d}; {part_b}). exp(x − m)/Σ more accurate on "
            f"{', '.join(better_div) or 'none'}; exp(x − lse) on {', '.join(better_free) or 'none'}. "
            f"{bounds}.")
    note = ("their bounds model every operation, exp included, within u and a recursive sum; "
            "our fast exp errs by up to about 2 ULP and our sums are blocked in double, so (c) "
            "compares our errors with their formulas, not their proofs. Not evaluated: their "
            "log-sum-exp bounds (before Thm 3.2; the shifted form's (4.8)): the sweep scores "
            "softmax and log_softmax, not log-sum-exp; the division-free bound (Thm 3.4): its "
            "text was not available to us")
    return Outcome(combine([part_a, part_b, part_c]), ours, ["accuracy.csv"], note)


# ---- claim 4: the seed articles -------------------------------------------------------------

def eval_seeds(inp: Inputs) -> Outcome:
    seeds = inp.seeds
    if not seeds:
        return not_measured("seeds list in accuracy.json (written by softmaxbench accuracy "
                            "since the claims section)")
    by = {(s.get("variant"), s.get("case")): s for s in seeds}
    variants = sorted({v for v, _ in by})
    naive = [v for v in variants if v.startswith("naive.")]
    shifted = [v for v in variants if v.startswith("max_shifted.")]
    if not naive or not shifted:
        return not_measured("naive and max_shifted variants in accuracy.json's seeds list")
    overflow = [v for v in naive if not by.get((v, "overflow_1000"), {}).get("finite", True)]
    bounds = {r["variant"]: r["bound"] for r in (inp.accuracy or [])
              if r["output"] == "softmax" and r["bound"] is not None}
    fine = []
    for v in shifted:
        s = by.get((v, "overflow_1000"), {})
        ulp = s.get("max_ulp")
        if s.get("finite") and ulp is not None and ulp <= bounds.get(v, math.inf):
            fine.append(v)
    part_a = HOLDS if len(overflow) == len(naive) and len(fine) == len(shifted) else DOES_NOT_HOLD
    exact = [v for v in shifted if by.get((v, "shift_exact"), {}).get("bit_identical")]
    part_b = (HOLDS if len(exact) == len(shifted) else PARTLY if exact else DOES_NOT_HOLD)
    also = sorted(v for v in variants if v not in shifted
                  and by.get((v, "shift_exact"), {}).get("bit_identical"))
    inexact = [s.get("max_ulp") for (v, c), s in by.items() if c == "shift_inexact"
               and v in shifted and s.get("max_ulp") is not None]
    ours = (f"[1000, 1001, 1002]: {len(overflow)} of {len(naive)} naive variants non-finite, "
            f"{len(fine)} of {len(shifted)} max_shifted variants finite and within their bound. "
            f"x + 64 (exact): {len(exact)} of {len(shifted)} max_shifted variants bit-identical"
            + (f" (also bit-identical: {', '.join(also)})" if also else "")
            + (f"; x + 0.1 (rounded): up to {max(inexact):.3g} ULP apart" if inexact else "")
            + ".")
    return Outcome(combine([part_a, part_b]), ours, ["accuracy.json"])


# ---- claim 5: PyTorch's log_softmax ---------------------------------------------------------

PYTORCH_MAX_ULP = 8.0


def eval_pytorch_log(inp: Inputs) -> Outcome:
    rows = [r for r in (inp.peer_accuracy or [])
            if str(r.get("variant", "")).split(".")[0] == "pytorch"
            and r.get("output") == "log_softmax" and r.get("distribution") == "dominant"
            and r.get("status") not in ("out_of_domain", "error")]  # error: the call failed
    if not rows:
        return not_measured("pytorch log_softmax rows on the dominant distribution in "
                            "peer-accuracy.csv")
    vals = [r["max_ulp"] for r in rows]
    worst = math.inf if any(v is None or math.isnan(v) for v in vals) else max(vals)
    verdict = (HOLDS if worst <= PYTORCH_MAX_ULP else PARTLY if math.isfinite(worst)
               else DOES_NOT_HOLD)
    labels = sorted({str(r["variant"]) for r in rows})
    return Outcome(verdict, f"{', '.join(labels)} log_softmax on dominant, every n: worst "
                            f"{C.fmt_num(worst)} ULP.", ["peer-accuracy.csv"])


# ---- the table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    id: str
    source: str        # authors, year, venue / arXiv id, where in it
    ref: str           # the README's reference key
    statement: str
    measurement: str   # which entries / cells, shape, ISA, threads
    paper: str         # the number the source reports
    rule: str          # the verdict rule, margins stated
    evaluate: Callable[[Inputs], Outcome]


CLAIMS: tuple[Claim, ...] = (
    Claim("1", "Dukhan & Ablavatski, 2020, arXiv:2001.04438, abstract and §6",
          "dukhan2020",
          "Out of cache, two-pass softmax beats the three-pass algorithm, in both its reload "
          "and its recompute form (all passes memory-bound).",
          "bench: two_pass.<isa> ÷ max_shifted.<isa> (three-pass with reload: exps stored, then "
          "scaled) and ÷ recompute.<isa> (three-pass with recompute: exp again in the output "
          "pass), softmax, 1x16M, 1 thread, isa = avx512 and avx2, each pair from one file",
          "up to +28 % (AVX-512), +18 % (AVX2) on Skylake-X",
          f"per ISA, on the gain over the faster three-pass form timed: holds at ≥ half the "
          f"paper's gain (+14 %, +9 %); holds partly above +{100 * NOISE:.0f} % (noise margin); "
          f"does not hold at ≤ +{100 * NOISE:.0f} %; an ISA not run is not measured",
          eval_two_pass),
    Claim("2", "Milakov & Gimelshein, 2018, arXiv:1805.02867, abstract (GPU benchmarks)",
          "milakov2018",
          "The online normaliser saves one memory pass over safe softmax, so it is faster.",
          "bench: online.<isa> ÷ max_shifted.<isa>, softmax, 1x16M (out of cache; the verdict) "
          "and 1x4096 (in cache; reported), 1 thread, isa = the dispatch ISA (else the widest "
          "timed)",
          "up to 1.3× (+30 %) on GPU",
          f"out of cache: holds at ≥ +15 % (half the paper's gain); holds partly above "
          f"+{100 * NOISE:.0f} %; does not hold at ≤ +{100 * NOISE:.0f} %",
          eval_online),
    Claim("3", "Blanchard, Higham & Higham, 2021, IMA J. Numer. Anal. 41(4), "
               "doi:10.1093/imanum/draa038, abstract; Theorem 3.3 (3.6) and Theorem 4.3 (4.11)",
          "blanchard2021",
          "The shifted softmax is about as accurate as the unshifted one; the division-free "
          "form exp(x − lse) can lose accuracy; computed softmax errors obey their bounds "
          "(Theorems 3.3 and 4.3).",
          "accuracy.csv: naive.<isa>, max_shifted.<isa> (exp(x − m)/Σ), log_sum_exp.<isa> "
          "(exp(x − lse)), softmax, worst max ULP per distribution over every n; and the "
          "normwise error ‖ĝ − g‖∞/‖g‖∞ (normwise_inf) of naive, max_shifted and recompute "
          "against the bound of each (distribution, n) cell, from n and x_max − x_min "
          "(x_range); isa = the dispatch ISA (else the widest with all three)",
          "bounds to first order, u = unit roundoff: unshifted (n + 3)u (Thm 3.3), shifted "
          "(n + 2 + 2(x_max − x_min))u (Thm 4.3); conclusion: shifted ≈ unshifted, "
          "division-free can lose accuracy",
          f"(a) shifted's worst ≤ {SIMILAR:g}× unshifted's on the unshifted form's in-domain "
          f"cells; (b) exp(x − lse) ≥ {LOSS:g}× exp(x − m)/Σ on some distribution (partly: "
          f"> {LOSS_PART:g}×); (c) every evaluated cell's measured error ≤ its bound (partly: "
          f"some cells); holds when all hold, does not hold when none holds even partly",
          eval_higham),
    Claim("4", "Seed articles: 'Implementing Softmax From Scratch' (bitsofall.com guide), "
               "'Numerically Stable Softmax'; W&B report 'The Softmax Function', "
               "'Relative Difference Invariance of the Softmax'",
          "seeds",
          "Naive softmax of [1000, 1001, 1002] overflows, the max-shifted one does not; "
          "softmax(x + c) = softmax(x).",
          "accuracy.json seeds: every variant's softmax of [1000, 1001, 1002]; normal_5 logits "
          "on a 2^-10 grid, n = 1000, + 64 (exact) and + 0.1 (rounded)",
          "guide: inf / NaN naive, [0.090, 0.245, 0.665] shifted; W&B: the same "
          "probabilities after + 100",
          "(a) every naive variant non-finite and every max_shifted variant finite within its "
          "documented bound; (b) every max_shifted variant bit-identical for the exact c "
          "(partly: some); the rounded c is reported in ULP",
          eval_seeds),
    Claim("5", "PyTorch documentation, torch.nn.functional.log_softmax (description)", "pytorch",
          "log(softmax(x)) as two operations is numerically unstable; log_softmax's "
          "alternative formulation computes it correctly.",
          "peer-accuracy.csv: pytorch (every ATen capability) log_softmax, dominant "
          "distribution, every n",
          "no number (qualitative)",
          f"holds at ≤ {PYTORCH_MAX_ULP:g} ULP on every cell (log(softmax(x)) in float loses "
          f"all relative accuracy at the dominant logit, whose output is below 1 ULP of 1); "
          f"partly: finite but more; does not hold: inf or NaN",
          eval_pytorch_log),
)


def evaluate(inp: Inputs) -> list[tuple[Claim, Outcome]]:
    return [(c, c.evaluate(inp)) for c in CLAIMS]


def main() -> None:
    p = C.arg_parser(__doc__.split("\n\n")[0])
    args = p.parse_args()
    folder = C.results_dir(args.results)
    files = C.bench_files(folder)
    main_run = (C.load_bench(C.choose_bench(folder, args.bench), folder)
                if files or args.bench else None)
    for claim, out in evaluate(load_inputs(folder, main_run)):
        print(f"claim {claim.id}: {out.verdict} -- {out.ours}")


if __name__ == "__main__":
    C.run_main(main)
