#!/usr/bin/env python3
"""Writes REPORT.md for one or more results/<machine-id> folders, from the raw files only:
the newest bench-*.json (or --bench), accuracy.csv / accuracy.json / accuracy-special.csv,
tuning.json, variants.json and reproduce.json when present, and links to the figures of
scripts/plot_*.py that exist. Every number in the report is read from those files.

With one --results folder the report goes to DIR/REPORT.md; with several, one report (default:
the first folder's REPORT.md) has a section per machine and a cross-machine table. Missing
optional inputs (accuracy, special values, tuning, threaded runs) make their section say
"not run". The file is written atomically. Standard library only.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
import claims as CL  # noqa: E402
import report_backward as RB  # noqa: E402
import report_cross_entropy as RCE  # noqa: E402
import report_bf16 as RBF  # noqa: E402
import report_floors as RF  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACC = math.nan  # the accurate tier's bound: the runs' registry's, set by main()
MAX_LISTED = 20  # failing accuracy cases listed individually


# ---- loading ----------------------------------------------------------------------------------

@dataclass
class Machine:
    folder: Path
    run: C.BenchRun
    accuracy: list | None
    accuracy_meta: dict
    special: list | None
    tuning: dict | None
    record: dict | None  # reproduce.json

    @property
    def id(self) -> str:
        return C.machine_id(self.folder)


def target_isa(m: Machine) -> str | None:
    """The ISA an emulated target's run was capped at (scripts/bench.sh --target-isa: the bench
    context's target_isa), None for a native run."""
    isa = str(m.run.context.get("target_isa", "native"))
    return None if isa in ("", "native") else isa


def target_label(m: Machine) -> str:
    """"emulated <isa> target on <machine id>" for a capped run, else the machine id."""
    isa = target_isa(m)
    return m.id if isa is None else f"emulated {isa} target on {m.id.removesuffix('-emulated-' + isa)}"


def load_machine(folder: Path, bench: Path | None) -> Machine:
    C.results_dir(folder)
    run = C.load_bench(C.choose_bench(folder, bench), folder)
    return Machine(folder, run, C.load_accuracy(folder), C.load_accuracy_meta(folder),
                   C.load_special(folder), C.load_tuning(folder), C.load_reproduce_record(folder))


# ---- markdown helpers -------------------------------------------------------------------------

def cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(map(cell, header)) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return out + [""]


def code(s: str) -> str:
    return f"`{s}`"


def gps(r: C.Result | None) -> str:
    """G elem/s of a result, or why there is none."""
    if r is None:
        return "not run"
    if not r.ok:
        return "not timed¹"
    return f"{r.gelems:.3g}"


def times(a: C.Result | None, b: C.Result | None) -> str:
    if a is None or b is None or not a.ok or not b.ok:
        return "—"
    return f"{a.items_per_second / b.items_per_second:.2f}×"


def threads_of(shape: C.Shape) -> str:
    return str(shape.threads)


def not_run(what: str) -> list[str]:
    return [f"Not run: {what}", ""]


class Doc:
    """Markdown lines with headings relative to a base level."""

    def __init__(self, base: int):
        self.base = base
        self.lines: list[str] = []

    def h(self, level: int, text: str) -> None:
        self.lines += ["#" * (self.base + level) + " " + text, ""]

    def add(self, lines: list[str] | str) -> None:
        self.lines += [lines] if isinstance(lines, str) else lines


def rel(path: Path, report: Path) -> str:
    return os.path.relpath(path.resolve(), report.parent.resolve())


def figure(path: Path, report: Path, alt: str) -> list[str]:
    if not path.is_file():
        return [f"*(figure {path.name} not generated; run scripts/plot_*.py or "
                f"scripts/reproduce.sh)*", ""]
    return [f"![{alt}]({rel(path, report)})", ""]


# ---- metadata ---------------------------------------------------------------------------------

def raw_files_rows(m: Machine) -> list[list]:
    ctx = m.run.context
    rows = [[code(m.run.path.name), ctx.get("date", "?"), m.run.commit,
             f"{bench_mode(m.run)}; {m.run.statistic}"]]
    if m.accuracy is not None:
        meta = m.accuracy_meta
        rows.append([code("accuracy.csv"), meta.get("date", "?"), meta.get("git_commit", "?"),
                     f"softmaxbench accuracy --{meta.get('mode', '?')}"])
    if m.special is not None:
        rows.append([code("accuracy-special.csv"), m.accuracy_meta.get("date", "?"),
                     m.accuracy_meta.get("git_commit", "?"), "softmaxbench accuracy"])
    if m.tuning is not None:
        rows.append([code("tuning.json"), m.tuning.get("date", "?"),
                     m.tuning.get("git_commit", "?"), "softmaxbench tune"])
    if m.record is not None:
        rows.append([code("reproduce.json"), m.record.get("started", "?"),
                     m.record.get("git_commit", "?"),
                     f"scripts/reproduce.sh --{m.record.get('mode', '?')} (steps and exit codes)"])
    return rows


def metadata(doc: Doc, m: Machine) -> None:
    ctx = m.run.context
    xnn = ctx.get("xnnpack", "?")
    note = str(ctx.get("xnnpack_note", ""))
    if "package version:" in note:
        xnn += f" (distribution package {note.split('package version:')[1].strip()})"
    llc = C.to_float(ctx.get("llc_bytes"))
    rows = [
        ["Machine id", m.id],
        *([["Target", f"**{target_label(m)}**: "
            + str(ctx.get("target_isa_run") or ctx.get("target_isa_env", "?"))]] if target_isa(m) else []),
        ["CPU model", ctx.get("cpu_model", "?")],
        ["CPU vendor", ctx.get("cpu_vendor", "?")],
        ["ISA flags", ctx.get("isa_flags", "?")],
        ["Dispatch ISA", ctx.get("dispatch_isa", "?")],
        ["Logical CPUs", ctx.get("num_cpus", "?")],
        ["Last-level cache", f"{llc / 2**20:g} MiB" if llc else "?"],
        ["Compiler and flags", f"{ctx.get('compiler', '?')}, {code(ctx.get('cxx_flags', '?'))}"],
        ["Build type", ctx.get("build_type", "?")],
        ["Git commit", code(m.run.commit)],
        ["softmaxbench", ctx.get("softmaxbench_version", "?")],
        ["xsimd", ctx.get("xsimd_version", "?")],
        ["MPFR (reference)", ctx.get("mpfr_version", "?")],
        ["oneDNN", ctx.get("onednn_version", "?")],
        ["XNNPACK", xnn],
        ["Benchmark thread counts", ctx.get("threads", "?")],
        ["Load average at the start (1, 5, 15 min)", load_text(ctx)],
    ]
    doc.add(table(["", ""], rows))
    doc.add("Raw files (dates as recorded in each file):")
    doc.add("")
    files = raw_files_rows(m)
    doc.add(table(["File", "Date", "Git commit", "Written by"], files))
    commits = {r[2] for r in files}
    if len(commits) > 1:
        doc.add(["**Note:** the raw files come from different commits: "
                 + ", ".join(sorted(map(str, commits))) + ".", ""])
    if m.run.commit.endswith("-dirty"):
        doc.add(["**Note:** the benchmark binary was built from a working tree with uncommitted "
                 "changes (`-dirty`); the commit alone does not reproduce it exactly.", ""])


def load_text(ctx: dict) -> str:
    load = ctx.get("load_avg")
    if not isinstance(load, list) or not load:
        return "not recorded"
    text = ", ".join(f"{x:.2f}" for x in load if isinstance(x, (int, float)))
    cpus = ctx.get("num_cpus")
    if isinstance(cpus, int) and isinstance(load[0], (int, float)) and load[0] >= cpus / 2:
        text += f" (busy: at least half of the {cpus} CPUs were in use when the run started)"
    return text


def bench_mode(run: C.BenchRun) -> str:
    """quick / full as scripts/bench.sh runs them, else the flags."""
    shapes, isa = run.context.get("smb_shapes"), run.context.get("smb_filter_isa")
    if (shapes, isa) == ("headline", "best"):
        return "bench --quick"
    if (shapes, isa) == ("all", "all"):
        return "bench --full"
    return f"custom (--smb_shapes={shapes} --smb_filter_isa={isa})"


# ---- throughput -------------------------------------------------------------------------------

def skipped_lines(run: C.BenchRun, output: str) -> list[str]:
    """'¹ Not timed:' lines: impl -> reason -> shapes."""
    groups: dict[tuple, list[str]] = {}
    for r in run.results:
        if r.error is not None and r.output == output:
            name = r.impl + (":log" if output == "log_softmax" and not r.peer else "")
            groups.setdefault((name, r.error), []).append(r.shape.label)
    if not groups:
        return []
    out = ["¹ Not timed (the benchmark skipped them, with this reason):", ""]
    for (name, reason), shapes in sorted(groups.items()):
        out.append(f"- {code(name)} on {', '.join(shapes)}: {reason}")
    return out + [""]


def throughput_header(output: str) -> list[str]:
    """The header of the throughput table (the columns of throughput_rows)."""
    peers = [C.PEER_LABEL[p] for p in C.RIVALS[output]]
    return (["Shape", "Threads", "Fastest", "G elem/s", f"Accurate (≤{ACC:g} ULP)", "G elem/s"]
            + peers + ["memcpy"] + [f"Fastest ÷ {p}" for p in peers] + ["Fastest ÷ memcpy"])


def throughput_rows(run: C.BenchRun, output: str) -> list[list]:
    rivals = C.RIVALS[output]
    rows = []
    for shape in run.shapes(output):
        best, acc = run.fastest(output, shape), run.fastest(output, shape, ACC)
        peers = [run.find(p, output, shape) for p in rivals]
        memcpy = run.find("memcpy", "softmax", shape)
        row = [f"{shape.rows}x{shape.cols}", threads_of(shape),
               code(best.impl) if best else "—", gps(best) if best else "—",
               code(acc.impl) if acc else "—", gps(acc) if acc else "—"]
        row += [gps(p) for p in peers] + [gps(memcpy)]
        row += [times(best, p) for p in peers]
        frac = times(best, memcpy)
        row.append(frac.rstrip("×") if frac != "—" else frac)
        rows.append(row)
    return rows


def spread_lines(run: C.BenchRun) -> list[str]:
    """The coefficient of variation over the repetitions (median and largest), when recorded."""
    cvs = sorted((r.cv, r.impl + (":log" if r.output == "log_softmax" and not r.peer else ""),
                  r.shape.label) for r in run.results if r.ok and r.cv is not None)
    if not cvs:
        return []
    worst = cvs[-1]
    return [f"Spread over the repetitions (coefficient of variation of `items_per_second`): "
            f"median {100 * cvs[len(cvs) // 2][0]:.1f}%, largest {100 * worst[0]:.1f}% "
            f"({code(worst[1])} on {worst[2]}).", ""]


def disturbed_lines(rows: list[list]) -> list[str]:
    """A warning for shapes where a softmax beat memcpy moving the same bytes."""
    odd = [f"{r[0]} ({r[1]} thread{'s' if r[1] != '1' else ''})" for r in rows
           if r[-1] != "—" and float(r[-1]) > 1]
    if not odd:
        return []
    return [f"**Check:** on {', '.join(odd)} our fastest softmax beat memcpy of the same bytes "
            f"(÷ memcpy > 1), which a softmax cannot do on a quiet machine: that run was "
            f"probably disturbed (another process, frequency changes). Re-run before citing it.",
            ""]


def throughput(doc: Doc, m: Machine, report: Path) -> None:
    run = m.run
    doc.add([f"From {code(run.path.name)} — **one run**; each number is the "
             f"{run.statistic}. G elem/s = 10⁹ elements per second (Google Benchmark's "
             f"`items_per_second`); one-thread runs are timed by the CPU time of the calling "
             f"thread, threaded runs by the wall clock. *Fastest* is our fastest variant on the "
             f"shape, leaving out the unsafe tier (`naive`, no max shift) and the `auto` "
             f"dispatchers (compared under Tuning); *accurate* is our fastest such variant with "
             f"a documented max error ≤ {ACC:g} ULP. Ratios > 1: ours is faster. "
             f"*÷ memcpy* is the fraction of the memcpy bandwidth reference (same bytes moved).",
             ""])
    doc.add(spread_lines(run))
    for output in ("softmax", "log_softmax"):
        if not run.shapes(output):
            continue
        doc.h(2, output)
        rows = throughput_rows(run, output)
        doc.add(table(throughput_header(output), rows))
        if any(r[4] == "—" for r in rows):
            doc.add([f"— under Accurate: no variant documented within {ACC:g} ULP was timed "
                     f"on that shape in this run.", ""])
        doc.add(disturbed_lines(rows))
        doc.add(skipped_lines(run, output))
    stem = run.path.stem
    singles = [s for s in run.shapes() if s.rows == 1]
    for t in sorted({s.threads for s in singles}):
        if sum(s.threads == t for s in singles) < 2:
            continue  # one row length: no line to draw (plot_throughput.py skips it too)
        best = m.folder / f"{stem}-throughput-best-{t}t.png"
        threads = f"{t} thread{'s' if t > 1 else ''}"
        doc.add(figure(best, report, f"throughput vs row length, {threads}"))
        full = m.folder / f"{stem}-throughput-{t}t.png"
        if full.is_file():
            doc.add([f"All variants: [{full.name}]({rel(full, report)})", ""])


def speedup(doc: Doc, m: Machine, report: Path) -> None:
    run = m.run
    rows = []
    for shape in run.shapes("softmax"):
        best, acc = run.fastest("softmax", shape), run.fastest("softmax", shape, ACC)
        peers = [run.find(p, "softmax", shape) for p in C.RIVALS["softmax"]]
        rows.append([f"{shape.rows}x{shape.cols}", threads_of(shape)]
                    + [times(best, p) for p in peers] + [times(acc, p) for p in peers])
    peers = [C.PEER_LABEL[p] for p in C.RIVALS["softmax"]]
    doc.add(["softmax, our throughput ÷ the peer's on the same shape in the same run "
             "(— : one side not timed).", ""])
    doc.add(table(["Shape", "Threads"] + [f"Fastest ÷ {p}" for p in peers]
                  + [f"Accurate ÷ {p}" for p in peers], rows))
    doc.add(figure(m.folder / f"{run.path.stem}-speedup.png", report, "speedup over the peers"))


def scaling(doc: Doc, m: Machine, report: Path) -> None:
    run = m.run
    multi = run.scaled_shapes("softmax")
    if not multi:
        doc.add(not_run("no shape in this run was timed with both 1 and more threads "
                        f"(thread counts registered: {run.context.get('threads', '?')})."))
        return
    rows = []
    for s in multi:
        best = run.fastest("softmax", s)
        speedups = [run.thread_speedup(best.impl, "softmax", s) if best else None]
        speedups += [run.thread_speedup(p, "softmax", s) for p in C.RIVALS["softmax"]]
        rows.append([f"{s.rows}x{s.cols}", s.threads, code(best.impl) if best else "—"]
                    + [f"{x:.2f}×" if x is not None else "—" for x in speedups])
    peers = [C.PEER_LABEL[p] for p in C.RIVALS["softmax"]]
    doc.add(["Speedup over one thread of the same implementation, wall-clock throughput "
             "(`real_time`) on both sides; *ours* is our fastest variant at that thread count.",
             ""])
    doc.add(table(["Shape", "Threads", "Ours", "Ours speedup"] + [f"{p} speedup" for p in peers],
                  rows))
    doc.add(figure(m.folder / f"{run.path.stem}-scaling.png", report, "thread scaling"))


def input_files(folder: Path) -> list[Path]:
    """input-*.json: benchmark runs on another input distribution (softmax_bench --smb_input)."""
    return sorted(folder.glob("input-*.json"))


def input_rows(run: C.BenchRun) -> list[list]:
    """Per 1-thread shape: each of our timed softmax variants' G elem/s, and guarded's ratio to
    max_shifted of the same ISA (the variant whose speed does not depend on the input)."""
    rows = []
    for s in run.shapes():
        ours = sorted((r for r in run.ours("softmax", s)), key=lambda r: r.impl)
        for r in ours:
            if not r.impl.startswith("guarded."):
                continue
            base = run.find("max_shifted." + r.impl.split(".", 1)[1], "softmax", s)
            rows.append([s.label, code(r.impl), gps(r), gps(base), times(r, base)])
    return rows


def input_sensitivity(doc: Doc, m: Machine, report: Path) -> None:
    files = input_files(m.folder)
    if not files:
        doc.add(not_run("no input-*.json in this folder (scripts/bench.sh --out "
                        "results/<machine-id>/input-<dist>-<date>.json -- --smb_input=<dist>)."))
        return
    for f in files:
        run = C.load_bench(f, m.folder)
        dist = run.context.get("input_distribution", "?")
        doc.add([f"From [{f.name}]({rel(f, report)}) (commit {code(run.commit)}, {run.statistic}), "
                 f"input {code(str(dist))}: {run.context.get('input', '')}. `guarded` skips the max "
                 f"pass only while a row stays within ~66 of its anchor (the first logit; past "
                 f"1024 logits, the max of the first 1024); elsewhere it redoes the row shifted "
                 f"by its max. `max_shifted` costs the same on any input.", ""])
        rows = input_rows(run)
        doc.add(table(["Shape", "guarded", "G elem/s", "max_shifted G elem/s", "guarded ÷ max_shifted"],
                      rows) if rows else not_run("no guarded variant in that run."))


# ---- accuracy ---------------------------------------------------------------------------------

def worst(rows: list[dict]) -> dict | None:
    live = [r for r in rows if r["status"] != "out_of_domain" and r["max_ulp"] is not None]
    return max(live, key=lambda r: C.ulp_sort_key(r["max_ulp"]), default=None)


def ulp_text(r: dict | None) -> str:
    return "—" if r is None else C.fmt_num(r["max_ulp"])


def bound_text(rows: list[dict]) -> str:
    b = next((r["bound"] for r in rows if r["bound"] is not None), None)
    return "—" if b is None else ("none" if math.isinf(b) else C.fmt_num(b))


def accuracy_status(m: Machine) -> list[str]:
    steps = (m.record or {}).get("steps", [])
    acc = next((s for s in steps if s.get("name") == "accuracy"), None)
    if acc is None or acc.get("exit") in (0, None):
        return []
    return [f"**The accuracy run exited with status {acc.get('exit')}** "
            f"({acc.get('note', 'some case failed')}); the pipeline continued.", ""]


def accuracy_variant_rows(rows: list[dict]) -> list[list]:
    out = []
    for v in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == v]
        row = [code(v), mine[0]["tier"]]
        for output in ("softmax", "log_softmax"):
            sel = [r for r in mine if r["output"] == output]
            row += [ulp_text(worst(sel)), bound_text(sel)] if sel else ["not run", "—"]
        statuses = [r["status"] for r in mine]
        row += [statuses.count("pass"), statuses.count("fail"), statuses.count("out_of_domain")]
        out.append(row)
    return out


def failures(rows: list[dict]) -> list[str]:
    bad = [r for r in rows if r["status"] == "fail"]
    if not bad:
        return ["No case exceeded its documented bound.", ""]
    out = [f"Cases above the documented bound ({len(bad)}):", ""]
    out += table(["Variant", "Output", "Distribution", "n", "Max ULP", "Bound"],
                 [[code(r["variant"]), r["output"], r["distribution"], r["n"],
                   C.fmt_num(r["max_ulp"]), C.fmt_num(r["bound"])] for r in bad[:MAX_LISTED]])
    if len(bad) > MAX_LISTED:
        out += [f"... and {len(bad) - MAX_LISTED} more in accuracy.csv.", ""]
    return out


def accurate_tier_rows(rows: list[dict]) -> list[list]:
    """Worst case per distribution over the accurate tier's cases that have a ULP bound."""
    acc = [r for r in rows if r["tier"] == "accurate" and r["bound"] is not None
           and math.isfinite(r["bound"])]
    out = []
    for d in dict.fromkeys(r["distribution"] for r in acc):
        row = [d]
        for output in ("softmax", "log_softmax"):
            w = worst([r for r in acc if r["distribution"] == d and r["output"] == output])
            row.append("—" if w is None else
                       f"{C.fmt_num(w['max_ulp'])} (bound {bound_text([w])}; "
                       f"{code(w['variant'])}, n={w['n']})")
        out.append(row)
    return out


def accuracy(doc: Doc, m: Machine, report: Path) -> None:
    rows = m.accuracy
    if rows is None:
        doc.add(not_run("no accuracy.csv (run `softmaxbench accuracy --quick --out "
                        f"{shown(m.folder)}/accuracy.csv`)."))
        return
    meta = m.accuracy_meta
    doc.add(accuracy_status(m))
    doc.add([f"From {code('accuracy.csv')} (`softmaxbench accuracy --{meta.get('mode', '?')}`, "
             f"{meta.get('date', 'date not recorded')}): the max ULP error against the MPFR "
             f"reference over every distribution and size run, per variant and output, next to "
             f"the documented bound (none: no ULP bound). Counts are cases (variant, output, "
             f"distribution, n).", ""])
    doc.add(table(["Variant", "Tier", "softmax worst", "bound", "log_softmax worst", "bound",
                   "pass", "fail", "out of domain"], accuracy_variant_rows(rows)))
    doc.add(failures(rows))
    tier_rows = accurate_tier_rows(rows)
    doc.h(2, "Accurate tier, worst case per distribution")
    doc.add(["Variants of the registry's accurate tier, over every size; outputs without a "
             "documented ULP bound (e.g. two_pass log_softmax) are left out.", ""])
    doc.add(table(["Distribution", "softmax max ULP (variant, n)",
                   "log_softmax max ULP (variant, n)"], tier_rows)
            if tier_rows else not_run("no variant of the accurate tier in accuracy.csv."))
    for name, alt in (("accuracy-heatmap-softmax.png", "softmax max ULP heatmap"),
                      ("accuracy-heatmap-log_softmax.png", "log_softmax max ULP heatmap"),
                      ("accuracy-cdf.png", "CDF of the max ULP error")):
        doc.add(figure(m.folder / name, report, alt))


def ulp_cell(r: C.Result | None, name: bool = False) -> str:
    if r is None or not r.ok or r.max_ulp is None:
        return "—"
    v = "inf" if math.isinf(r.max_ulp) else f"{r.max_ulp:.3g}"
    return f"{v} ({code(r.impl)})" if name else v


def peer_accuracy_rows(run: C.BenchRun, output: str) -> list[list]:
    rows = []
    for s in run.shapes(output):
        if s.threads != 1:
            continue
        fast, acc = run.fastest(output, s), run.fastest(output, s, ACC)
        peers = [run.find(p, output, s) for p in C.RIVALS[output]]
        if all(r is None or r.max_ulp is None for r in [fast, acc] + peers):
            continue
        rows.append([s.label, ulp_cell(fast, True), ulp_cell(acc, True)] + [ulp_cell(p) for p in peers])
    return rows


def peer_accuracy(doc: Doc, m: Machine) -> None:
    run = m.run
    doc.h(2, "Ours and the peers on the benchmark input")
    doc.add([f"From {code(run.path.name)}: the max ULP error over the normal band of row 0 of "
             f"each benchmark's input (counter `max_ulp`), against the MPFR reference up to 65536 "
             f"columns and a double-precision reference above; one row, one input distribution "
             f"({code(str(run.context.get('input_distribution', 'normal_1')))}), so a sample, not a "
             f"bound. *Fastest* and *accurate* are the variants of the throughput table.", ""])
    for output in ("softmax", "log_softmax"):
        rows = peer_accuracy_rows(run, output)
        peers = [C.PEER_LABEL[p] for p in C.RIVALS[output]]
        doc.add([f"{output}:", ""])
        doc.add(table(["Shape", "Fastest", f"Accurate (≤{ACC:g} ULP)"] + peers, rows)
                if rows else not_run("no max_ulp counters in this run (older softmax_bench)."))


def special(doc: Doc, m: Machine) -> None:
    rows = m.special
    if rows is None:
        doc.add(not_run("no accuracy-special.csv (written by `softmaxbench accuracy`)."))
        return
    out = []
    for v in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == v]
        bad = [r for r in mine if not C.truthy(r["pass"])]
        cases = dict.fromkeys(r["case"] for r in bad)
        where = ", ".join(f"{c} ({sum(r['case'] == c for r in bad)} of "
                          f"{sum(r['case'] == c for r in mine)})" for c in cases) or "—"
        out.append([code(v), len(mine) - len(bad), len(bad), where])
    doc.add(["The special-value policy (NaN, ±inf, all -inf rows, empty and single-entry rows, "
             "in place) checked case by case, for both outputs and both masked_safe settings; "
             "details in accuracy-special.csv.", ""])
    doc.add(table(["Variant", "pass", "fail", "failing cases (failed of run)"], out))


def auto_rows(run: C.BenchRun) -> list[list]:
    """Per softmax shape: the auto dispatchers against our fastest (accurate) variant."""
    rows = []
    for shape in run.shapes("softmax"):
        auto, auto_acc = (run.find(v, "softmax", shape) for v in ("auto", "auto.accurate"))
        if auto is None and auto_acc is None:
            continue
        best, acc = run.fastest("softmax", shape), run.fastest("softmax", shape, ACC)
        rows.append([f"{shape.rows}x{shape.cols}", shape.threads, gps(auto), times(auto, best),
                     gps(auto_acc), times(auto_acc, acc)])
    return rows


def auto_section(doc: Doc, m: Machine) -> None:
    rows = auto_rows(m.run)
    if not rows:
        return
    doc.add([f"The `auto` dispatchers in {code(m.run.path.name)} (the tuning table they read "
             f"is the one installed when the benchmark ran, which need not be this "
             f"tuning.json): their throughput and the ratio to our fastest variant, and to our "
             f"fastest ≤ {ACC:g} ULP variant, on the same shape (1.00× = as fast).", ""])
    doc.add(table(["Shape", "Threads", "auto G elem/s", "auto ÷ fastest",
                   "auto.accurate G elem/s", "auto.accurate ÷ accurate"], rows))


def row_lengths(e: dict) -> str:
    lo, hi = e.get("cols_min"), e.get("cols_max")
    if not isinstance(lo, int) or not isinstance(hi, int):
        return f"{lo}–{hi}"
    return f"{lo}–{hi}" if hi < 2**40 else f"≥ {lo}"  # the last class is open-ended


def tuning(doc: Doc, m: Machine) -> None:
    t = m.tuning
    if t is None:
        doc.add(not_run("no tuning.json (run `softmaxbench tune --out "
                        f"{shown(m.folder)}/tuning.json`)."))
    else:
        rows = []
        for e in t["entries"]:
            ips = C.to_float(e.get("items_per_second"))
            rows.append([row_lengths(e), e.get("threads", "?"), e.get("tier", "?"),
                         code(e.get("variant", "?")), f"{ips / 1e9:.3g}" if ips else "—",
                         C.fmt_num(C.to_float(e.get("max_ulp")))])
        doc.add([f"From {code('tuning.json')} ({t.get('date', 'date not recorded')}, commit "
                 f"{code(t.get('git_commit', '?'))}): the winner per row-length class, thread "
                 f"count and tier (*accurate*: documented max ULP ≤ {ACC:g}), as the `auto` "
                 f"variants use it. Classes missing here were not measured (tune budget).", ""])
        doc.add(table(["Row length", "Threads", "Tier", "Variant", "G elem/s",
                       "Max ULP (documented)"], rows))
    auto_section(doc, m)


# ---- claims from the literature ---------------------------------------------------------------

CLAIMS_TITLE = "Claims from the literature, measured on this machine"


def claims_anchor() -> str:
    """The GitHub-style anchor of the claims heading."""
    return "#" + re.sub(r"[^a-z0-9 -]", "", CLAIMS_TITLE.lower()).replace(" ", "-")


def claims_rows(m: Machine) -> list[list]:
    inputs = CL.load_inputs(m.folder, m.run)
    rows = []
    for claim, out in CL.evaluate(inputs):
        verdict = f"**{out.verdict}**" + (f"; {out.note}" if out.note else "")
        files = ", ".join(code(f) for f in out.files) if out.files else "—"
        rows.append([claim.id, claim.source, claim.paper, out.ours, verdict, files])
    return rows


def claims_section(doc: Doc, m: Machine) -> None:
    doc.add(["Each claim re-tested on this machine's raw files by the rule stated below the "
             "table (scripts/claims.py); a claim whose inputs were not run says *not measured "
             "in this run*. Throughput ratios are taken within one benchmark file; `claims-*.json` "
             "holds the extra entries `scripts/reproduce.sh --quick` runs for them. Sources: "
             "README, *References*.", ""])
    doc.add(table(["Claim", "Source", "The source's number", "Ours", "Verdict", "From"],
                  claims_rows(m)))
    for c in CL.CLAIMS:
        doc.add(f"- Claim {c.id}: {c.statement} *Measured by* {c.measurement}. *Rule:* {c.rule}.")
    doc.add("")


# ---- reproduce and cite ----------------------------------------------------------------------

def reproduce_mode(m: Machine) -> str | None:
    for mode in ((m.record or {}).get("mode"), m.accuracy_meta.get("mode")):
        if mode in ("quick", "full"):
            return mode
    b = bench_mode(m.run)
    return b.split("--")[1] if b.startswith("bench --") else None


def repetitions_flag(m: Machine) -> str:
    reps = (m.record or {}).get("repetitions")
    return f" --repetitions {reps}" if isinstance(reps, int) and reps > 0 else ""


def reproduce(doc: Doc, m: Machine) -> None:
    commit = m.run.commit
    mode = reproduce_mode(m)
    clean = commit.removesuffix("-dirty")
    doc.add(["```sh",
             "# in a clone of the softmaxbench repository",
             f"git checkout {clean}",
             f"scripts/reproduce.sh --{mode or 'quick'}" + repetitions_flag(m)
             + (f" --target-isa {target_isa(m)}" if target_isa(m) else ""),
             "```", ""])
    notes = [f"Commit {code(commit)}; the run's mode: "
             + (f"`--{mode}`." if mode else f"none of quick/full ({bench_mode(m.run)}); "
                                           "the closest is shown.")]
    if commit.endswith("-dirty"):
        notes.append("The build had uncommitted changes, so checking out the commit gives a "
                     "close but not identical build.")
    notes.append(f"The results land in `results/<machine-id>/` (here `{m.id}`); "
                 "numbers from another machine, or another run on this one, will differ.")
    doc.add([" ".join(notes), ""])


def read_citation() -> dict:
    """title, version, url, date-released and author names from CITATION.cff (top-level
    scalar keys and the authors list; no YAML library needed)."""
    path = ROOT / "CITATION.cff"
    info: dict = {"authors": []}
    if not path.is_file():
        return info
    in_authors = False
    for line in path.read_text().splitlines():
        top = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
        if top:
            key, value = top.group(1), top.group(2).strip().strip('"\'')
            in_authors = key == "authors"
            if value and key in ("title", "version", "url", "repository-code", "date-released"):
                info[key] = value
            continue
        item = re.match(r"^\s*-?\s*(name|family-names|given-names):\s*(.*)$", line)
        if in_authors and item:
            info["authors"].append((item.group(1), item.group(2).strip().strip('"\'')))
    return info


def bibtex_authors(parts: list[tuple[str, str]]) -> str:
    names, given = [], None
    for kind, value in parts:
        if kind == "name":
            names.append("{" + value + "}")  # an entity: keep it as one name
        elif kind == "given-names":
            given = value
        else:
            names.append(f"{value}, {given}" if given else value)
            given = None
    return " and ".join(names) or "{softmaxbench developers}"


def cite(doc: Doc, m: Machine) -> None:
    info = read_citation()
    date = str(m.run.context.get("date", ""))[:10] or "unknown"
    commit = m.run.commit
    key = "softmaxbench-" + re.sub(r"[^0-9a-z]", "", commit.removesuffix("-dirty"))[:12]
    fields = [
        ("title", "{" + info.get("title", "softmaxbench") + "}"),
        ("author", "{" + bibtex_authors(info["authors"]) + "}"),
        ("year", "{" + (date[:4] if date != "unknown" else "") + "}"),
        ("version", "{" + info.get("version", "") + "}"),
        ("note", "{Software, git commit " + commit + "; data measured " + date + " on "
         + str(m.run.context.get("cpu_model", "?")) + " (machine id " + m.id + ")}"),
    ]
    url = info.get("url") or info.get("repository-code")
    if url:
        fields.append(("url", "{" + url + "}"))
    body = ",\n".join(f"  {k:<7} = {v}" for k, v in fields if v != "{}")
    doc.add(["If you cite these numbers, cite the software with the commit and the date of the "
             "data (from CITATION.cff and the raw files):", "",
             "```bibtex", f"@misc{{{key},", body, "}", "```", ""])


# ---- assembly ---------------------------------------------------------------------------------

# ---- PyTorch and the seeds' NumPy code (issue 12) ------------------------------------------------

NUMPY_GUIDE = "numpy_guide"  # the guide's basic softmax: what the README's ratio is measured from


def best_of(run: C.BenchRun, base: str, output: str, shape: C.Shape) -> C.Result | None:
    """A peer at its faster capability: base, or base.<capability> (pytorch.avx512)."""
    cands = [r for r in run.results if r.ok and r.output == output and r.shape == shape
             and (r.impl == base or r.impl.startswith(base + "."))]
    return max(cands, key=lambda r: r.items_per_second, default=None)


def ratio(a: C.Result | None, b: C.Result | None) -> float | None:
    if a is None or b is None or not a.ok or not b.ok:
        return None
    return a.items_per_second / b.items_per_second


def ratio_summary(values: list[float]) -> str:
    """'3.1× (2.0-4.4×, geometric mean over 5 shapes)' or '—'."""
    if not values:
        return "—"
    g = math.exp(sum(math.log(v) for v in values) / len(values))
    if len(values) == 1:
        return f"{g:.2f}×"
    return f"{g:.2f}× ({min(values):.2f}-{max(values):.2f}×, geometric mean over {len(values)} shapes)"


def pytorch_numpy_rows(run: C.BenchRun, output: str) -> list[list]:
    rows = []
    for shape in run.shapes(output):
        best, acc = run.fastest(output, shape), run.fastest(output, shape, ACC)
        pt, api = best_of(run, "pytorch", output, shape), best_of(run, "pytorch_api", output, shape)
        guide = run.find(NUMPY_GUIDE, output, shape) if output == "softmax" else None
        sp = run.find("scipy", output, shape)
        if pt is None and api is None and guide is None and sp is None:
            continue
        rows.append([f"{shape.rows}x{shape.cols}", threads_of(shape), code(best.impl) if best else "—",
                     gps(best) if best else "—", f"{gps(pt)} ({code(pt.impl)})" if pt else "—",
                     gps(api) if api else "—", gps(guide) if guide else "—", gps(sp) if sp else "—",
                     times(best, pt), times(acc, pt), times(best, guide), times(best, sp)])
    return rows


def peer_sentences(run: C.BenchRun) -> list[str]:
    """The ratios users quote: ours over the guide's NumPy and over PyTorch (1 thread)."""
    guide, torch, torch_acc = [], [], []
    for shape in run.shapes("softmax"):
        if shape.threads != 1:
            continue
        best, acc = run.fastest("softmax", shape), run.fastest("softmax", shape, ACC)
        pt = best_of(run, "pytorch", "softmax", shape)
        for out, v in ((guide, ratio(best, run.find(NUMPY_GUIDE, "softmax", shape))),
                       (torch, ratio(best, pt)), (torch_acc, ratio(acc, pt))):
            if v is not None:
                out.append(v)
    lines = []
    if guide:
        lines.append(f"From the guide's NumPy to our fastest: {ratio_summary(guide)}, softmax, 1 thread.")
    if torch:
        lines.append(f"Our fastest ÷ PyTorch (its better ATen capability): {ratio_summary(torch)}; our "
                     f"accurate tier (≤{ACC:g} ULP) ÷ PyTorch: {ratio_summary(torch_acc)}; softmax, 1 thread.")
    return [" ".join(lines), ""] if lines else []


def peer_sweep_rows(peers: list[dict]) -> list[list]:
    """Per peer and output: worst and median max ULP over the sweep's scored cases."""
    rows = []
    for (v, o) in dict.fromkeys((r["variant"], r["output"]) for r in peers):
        mine = [r for r in peers if r["variant"] == v and r["output"] == o]
        scored = [r for r in mine if r["status"] == "scored" and r["max_ulp"] is not None]
        if not scored:
            continue
        w = max(scored, key=lambda r: r["max_ulp"])
        med = sorted(r["max_ulp"] for r in scored)[len(scored) // 2]
        rows.append([code(v), o, C.fmt_num(w["max_ulp"]), f"{w['distribution']} n={w['n']}",
                     C.fmt_num(med), len(scored), len(mine) - len(scored),
                     str(mine[0].get("exp_kernel", "")).split(" via ")[0]])
    return rows


def accurate_worst(ours: list[dict] | None, output: str) -> float | None:
    if not ours:
        return None
    vals = [r["max_ulp"] for r in ours if r["output"] == output and r["bound"] is not None
            and r["bound"] <= ACC and r["status"] != "out_of_domain" and r["max_ulp"] is not None]
    return max(vals) if vals else None


def pytorch_numpy(doc: Doc, m: Machine) -> None:
    run = m.run
    doc.add(peer_sentences(run))
    for output in ("softmax", "log_softmax"):
        rows = pytorch_numpy_rows(run, output)
        if not rows:
            continue
        doc.add([f"{output}, from {code(run.path.name)} (PyTorch at the faster of its ATen "
                 f"capabilities in this run; torch::softmax = the public API, allocating; "
                 f"NumPy = the guide's basic softmax, looped over rows):", ""])
        doc.add(table(["Shape", "Threads", "Fastest", "G elem/s", "PyTorch", "torch::softmax",
                       "NumPy (guide)", "SciPy", "Fastest ÷ PyTorch", "Accurate ÷ PyTorch",
                       "Fastest ÷ NumPy", "Fastest ÷ SciPy"], rows))
    if not any(pytorch_numpy_rows(run, o) for o in ("softmax", "log_softmax")):
        doc.add(not_run("no pytorch, numpy or scipy entries in this run."))
    peers = C.load_peer_accuracy(m.folder)
    if not peers:
        doc.add(not_run("no peer-accuracy.csv (bench/peer_accuracy)."))
        return
    rows = peer_sweep_rows(peers)
    doc.add([f"Every peer scored like our variants (`peer-accuracy.csv`, bench/peer_accuracy): max "
             f"ULP error over the normal band, every distribution and size of the sweep; "
             f"out-of-domain cases (no max shift, |x| > 80) not in the worst. Our accurate tier's "
             f"worst over its sweep: softmax {C.fmt_num(accurate_worst(m.accuracy, 'softmax'))}, "
             f"log_softmax {C.fmt_num(accurate_worst(m.accuracy, 'log_softmax'))} ULP.", ""])
    doc.add(table(["Peer", "Output", "Worst max ULP", "Where", "Median max ULP", "Cases scored",
                   "Out of domain", "Library"], rows))
    special = C.load_peer_special(m.folder) or []
    cases = list(dict.fromkeys(r["case"] for r in special))
    srows = []
    for (v, o) in dict.fromkeys((r["variant"], r["output"]) for r in special):
        got = {r["case"]: r for r in special if r["variant"] == v and r["output"] == o}
        srows.append([code(v), o] + [(got[c]["result"] + ("" if got[c]["matches_policy"] == "yes" else " ✗"))
                                     if c in got else "—" for c in cases])
    if srows:
        doc.add(["What each peer returns for special values (`peer-accuracy-special.csv`; ✗: not "
                 "the project's policy, see the README):", ""])
        doc.add(table(["Peer", "Output"] + cases, srows))


def machine_sections(doc: Doc, m: Machine, report: Path) -> None:
    doc.h(1, "Machine and build")
    metadata(doc, m)
    doc.h(1, "Throughput")
    throughput(doc, m, report)
    doc.h(1, "Speedup over oneDNN and XNNPACK")
    speedup(doc, m, report)
    doc.h(1, "PyTorch, NumPy and SciPy")
    pytorch_numpy(doc, m)
    doc.h(1, RF.TITLE)
    RF.section(doc, m, report, table=table, acc=ACC)  # scripts/report_floors.py
    doc.h(1, "Thread scaling")
    scaling(doc, m, report)
    doc.h(1, "Input sensitivity")
    input_sensitivity(doc, m, report)
    doc.h(1, "Accuracy")
    accuracy(doc, m, report)
    peer_accuracy(doc, m)
    doc.h(1, "Special values")
    special(doc, m)
    doc.h(1, "Backward: softmax and log_softmax gradients")
    RB.section(doc, m, report)  # scripts/report_backward.py
    doc.h(1, "Cross-entropy with logits")
    RCE.section(doc, m, report, table=table, code=code, figure=figure, not_run=not_run)
    RBF.section(doc, m, report, table=table, code=code, figure=figure, not_run=not_run)  # report_bf16.py
    doc.h(1, "Tuning winners")
    tuning(doc, m)
    doc.h(1, CLAIMS_TITLE)
    claims_section(doc, m)
    doc.h(1, "How to reproduce")
    reproduce(doc, m)
    doc.h(1, "How to cite")
    cite(doc, m)


def cross_machine(doc: Doc, machines: list[Machine]) -> None:
    doc.h(1, "Cross-machine: fastest variant per CPU and shape")
    doc.add(["softmax; each cell is that machine's fastest variant (unsafe tier excluded) and "
             "its G elem/s, from the bench file named in the machine's section.", ""])
    shapes = sorted({s for m in machines for s in m.run.shapes("softmax")})
    header = ["Shape", "Threads"] + [f"{m.run.context.get('cpu_model', '?')} ({m.id})"
                                     for m in machines]
    rows = []
    for s in shapes:
        row = [f"{s.rows}x{s.cols}", s.threads]
        for m in machines:
            best = m.run.fastest("softmax", s)
            row.append(f"{code(best.impl)} {best.gelems:.3g}" if best else "not run")
        rows.append(row)
    doc.add(table(header, rows))


def shown(folder: Path) -> str:
    """The folder relative to the repository when inside it, else as an absolute path."""
    full = folder.resolve()
    return str(full.relative_to(ROOT)) if full.is_relative_to(ROOT) else str(full)


def render(machines: list[Machine], report: Path) -> str:
    several = len(machines) > 1
    doc = Doc(base=1)
    doc.add(f"# softmaxbench results: {', '.join(target_label(m) for m in machines)}")
    doc.add("")
    doc.add(["Generated by `scripts/make_report.py` from the raw files in "
             + ", ".join(code(shown(m.folder) + "/") for m in machines)
             + "; every number below is read from them. Regenerate with "
             "`scripts/pyrun.sh scripts/make_report.py "
             + " ".join(f"--results {shown(m.folder)}" for m in machines) + "`.", ""])
    if not several:
        machine_sections(doc, machines[0], report)
        return "\n".join(doc.lines).rstrip() + "\n"
    cross_machine(doc, machines)
    for m in machines:
        doc.h(1, f"Machine {target_label(m)}")
        sub = Doc(base=2)
        machine_sections(sub, m, report)
        doc.add(sub.lines)
    return "\n".join(doc.lines).rstrip() + "\n"


README_BEGIN, README_END = "<!-- results:begin -->", "<!-- results:end -->"


def readme_block(m: Machine, readme: Path) -> list[str]:
    """The README's results section: the softmax throughput table and one figure of a run."""
    run = m.run
    report = m.folder / "REPORT.md"
    doc = Doc(base=1)
    doc.h(2, f"Results on {target_label(m)}")
    doc.add([f"Generated by `scripts/make_report.py --readme` from {code(shown(run.path))} "
             f"(commit {code(run.commit)}, {run.statistic}); the full "
             f"report with accuracy, special values, thread scaling and tuning is "
             f"[{shown(report)}]({rel(report, readme)}). G elem/s = 10⁹ elements per second; "
             f"ratios > 1: ours is faster; fastest excludes the unsafe `naive` and the `auto` "
             f"dispatchers; accurate = documented within {ACC:g} ULP.", ""])
    doc.add(table(throughput_header("softmax"), throughput_rows(run, "softmax")))
    doc.add(peer_sentences(run))
    best = m.folder / f"{run.path.stem}-throughput-best-1t.png"
    if best.is_file():
        doc.add(figure(best, readme, "throughput vs row length, 1 thread"))
    for f in input_files(m.folder):
        doc.add([f"Input sensitivity of `guarded` (another input distribution, from "
                 f"[{f.name}]({rel(f, readme)})): see the report's *Input sensitivity* section.", ""])
    if RF.load(run.path):
        doc.add([f"How far each shape is from this machine's floor (memcpy, the exp pass alone), and "
                 f"which speed goals lie above it: [{RF.TITLE}]({rel(report, readme)}{RF.anchor()}).", ""])
    doc.add([f"Claims from the literature re-measured on this machine, with verdicts: "
             f"[{CLAIMS_TITLE}]({rel(report, readme)}{claims_anchor()}).", ""])
    for scaling in sorted(m.folder.glob("threads-*-scaling.png")):
        raw = scaling.with_name(scaling.name.removesuffix("-scaling.png") + ".json")
        doc.add([f"Thread scaling (1 and 2 threads, the six scaling shapes, from "
                 f"[{raw.name}]({rel(raw, readme)})): [{scaling.name}]({rel(scaling, readme)}).", ""])
    return doc.lines


def readme_block_span(lines: list[str], readme: Path) -> tuple[int, int]:
    """The line numbers (0-based) of the README's begin and end markers. Each must be a line of
    its own, exactly once, begin before end; a marker quoted inside other text does not count.
    Anything else is an InputError: the block is replaced, never appended."""
    where = {m: [i for i, line in enumerate(lines) if line.strip() == m]
             for m in (README_BEGIN, README_END)}
    for m, found in where.items():
        if len(found) != 1:
            at = f" (lines {', '.join(str(i + 1) for i in found)})" if found else ""
            raise C.InputError(f"{readme}: expected exactly one line {m}, found {len(found)}{at}; "
                               f"repair the README so that one {README_BEGIN} line and one "
                               f"{README_END} line enclose the results block")
    begin, end = where[README_BEGIN][0], where[README_END][0]
    if begin > end:
        raise C.InputError(f"{readme}: {README_END} (line {end + 1}) comes before "
                           f"{README_BEGIN} (line {begin + 1})")
    return begin, end


def updated_readme(readme: Path, block: list[str]) -> tuple[str, str]:
    """(the README's text, the text with the lines between the markers replaced by block; the
    marker lines stay as they are)."""
    try:
        text = readme.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise C.InputError(f"cannot read {readme}: {e}") from e
    lines = text.splitlines(keepends=True)
    begin, end = readme_block_span([line.rstrip("\r\n") for line in lines], readme)
    body = "\n".join(block).rstrip() + "\n"
    return text, "".join(lines[:begin + 1]) + body + "".join(lines[end:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, type=Path, action="append",
                   help="a results/<machine-id> folder; repeat for a cross-machine report")
    p.add_argument("--bench", type=Path, help="the bench JSON of the (single) folder "
                   "(default: its newest bench-*.json)")
    p.add_argument("--out", type=Path, help="the report file (default: FIRST_DIR/REPORT.md)")
    p.add_argument("--readme", type=Path, help="also rewrite the results section of this README "
                   "(the lines between its <!-- results:begin --> and <!-- results:end --> "
                   "lines, each present exactly once, on a line of its own) from the first "
                   "folder's run; a README without them, or with either twice, is an error")
    args = p.parse_args()
    if args.bench is not None and len(args.results) > 1:
        raise C.InputError("--bench applies to a single --results folder")
    machines = [load_machine(f, args.bench) for f in args.results]
    global ACC
    bounds = {m.run.accurate_max_ulp() for m in machines}
    if len(bounds) != 1:
        raise C.InputError(f"the runs' registries disagree on the accurate tier's bound: {sorted(bounds)}")
    ACC = bounds.pop()
    out = args.out or args.results[0] / "REPORT.md"
    # A malformed README fails before anything is written.
    readme = (updated_readme(args.readme, readme_block(machines[0], args.readme))
              if args.readme is not None else None)
    C.write_atomic(out, render(machines, out))
    print(out)
    if readme is not None:
        old, new = readme
        if new != old:  # unchanged: leave the file (and its time stamp) alone
            C.write_atomic(args.readme, new)
        print(args.readme)


if __name__ == "__main__":
    C.run_main(main)
