#!/usr/bin/env python3
"""Two builds of softmax_bench side by side in one run: is any variant slower in the new one?

usage: scripts/bench_ab.py --old BIN --new BIN --new-cli CLI --out FILE [--rounds N]
                           [--repetitions N] [--min-time S] [-- extra softmax_bench args]

Runs the two binaries alternately (old, new, new, old, old, new, ... so that a slow drift of the
machine falls on both), each process with --benchmark_repetitions=R, on the headline shapes and
this CPU's best ISA (--smb_shapes=headline --smb_filter_isa=best), our variants only (the peers
are the same library in both builds). Names are matched through the new build's variant list
(`softmaxbench list --json`: each variant's name and its aliases, the old names), so a renamed
variant is compared with its old self.

For every entry it reports the median items_per_second of each build over all its repetitions
in the run, the ratio new/old, and each build's spread ((max - min) / median of its samples).
An entry is "slower beyond the spread" when new/old < 1 - max(spread_old, spread_new): the
difference is larger than either build's own run-to-run variation in this run.

Writes one JSON file (both builds' raw Google Benchmark JSON per round, their contexts, and the
summary) atomically, and prints the summary table. Exit status 0 whatever the verdicts (it
measures; it does not judge), 2 on bad arguments, 1 when a benchmark process fails.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_bench(binary, args, reps, min_time, extra):
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        cmd = [binary, "--smb_shapes=headline", "--smb_filter_isa=best",
               f"--benchmark_repetitions={reps}", f"--benchmark_min_time={min_time}",
               "--benchmark_report_aggregates_only=false",
               "--benchmark_filter=-^(onednn|xnnpack|memcpy|pytorch|numpy|scipy)",
               f"--benchmark_out={path}", "--benchmark_out_format=json"] + args + extra
        print("bench_ab: " + " ".join(cmd), file=sys.stderr, flush=True)
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
        if rc != 0:
            sys.exit(f"bench_ab: {binary} exited {rc}")
        with open(path) as f:
            text = f.read()
        if not text.strip():  # Google Benchmark exits 0 when the filter matches nothing
            sys.exit(f"bench_ab: {binary} ran no benchmark (does the --benchmark_filter match its names?)")
        return json.loads(text)
    finally:
        os.unlink(path)


def alias_map(cli):
    """old or new name -> the new build's name, from `CLI list --json`."""
    out = subprocess.run([cli, "list", "--json"], check=True, capture_output=True, text=True).stdout
    m = {}
    for v in json.loads(out):
        m[v["name"]] = v["name"]
        for a in v.get("aliases", []):
            m[a] = v["name"]
    return m


def canon(name, amap):
    """'impl/rows/cols[/threads]' -> the same with impl mapped to the new build's name."""
    impl, _, rest = name.partition("/")
    base, colon, op = impl.partition(":")
    return amap.get(base, base) + colon + op + "/" + rest


def samples(doc, amap, ours):
    out = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        name = canon(b.get("run_name", b["name"]), amap)
        if name.partition("/")[0].partition(":")[0] not in ours:
            continue
        out.setdefault(name, []).append(b["items_per_second"])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--old", required=True, help="the old softmax_bench binary")
    p.add_argument("--new", required=True, help="the new softmax_bench binary")
    p.add_argument("--new-cli", required=True, help="the new build's softmaxbench CLI (for aliases)")
    p.add_argument("--out", required=True, help="the JSON file to write")
    p.add_argument("--rounds", type=int, default=2, help="processes per build (default 2)")
    p.add_argument("--repetitions", type=int, default=3, help="repetitions per process (default 3)")
    p.add_argument("--min-time", type=float, default=0.2, help="--benchmark_min_time (default 0.2)")
    p.add_argument("extra", nargs="*", help="extra softmax_bench arguments (after --)")
    a = p.parse_args()
    for f in (a.old, a.new, a.new_cli):
        if not (os.path.isfile(f) and os.access(f, os.X_OK)):
            p.error(f"not an executable file: {f}")
    if a.rounds < 1 or a.repetitions < 1 or a.min_time <= 0:
        p.error("--rounds and --repetitions take a positive whole number, --min-time a positive time")

    amap = alias_map(a.new_cli)
    ours = set(amap.values())
    runs = {"old": [], "new": []}
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    order = []
    for r in range(a.rounds):
        order += ["old", "new"] if r % 2 == 0 else ["new", "old"]
    for which in order:
        runs[which].append(run_bench(a.old if which == "old" else a.new, [], a.repetitions,
                                     a.min_time, a.extra))

    pooled = {"old": {}, "new": {}}
    for which in runs:
        for doc in runs[which]:
            for name, xs in samples(doc, amap, ours).items():
                pooled[which].setdefault(name, []).extend(xs)

    def spread(xs):
        med = statistics.median(xs)
        return (max(xs) - min(xs)) / med if med > 0 else float("inf")

    summary = []
    for name in sorted(set(pooled["old"]) & set(pooled["new"])):
        o, n = pooled["old"][name], pooled["new"][name]
        mo, mn = statistics.median(o), statistics.median(n)
        so, sn = spread(o), spread(n)
        ratio = mn / mo if mo > 0 else float("nan")
        summary.append({"name": name, "old_median": mo, "new_median": mn, "ratio": ratio,
                        "old_spread": so, "new_spread": sn, "samples": [len(o), len(n)],
                        "slower_beyond_spread": ratio < 1 - max(so, sn)})
    only = {w: sorted(set(pooled[w]) - set(pooled["new" if w == "old" else "old"])) for w in pooled}

    doc = {"tool": "scripts/bench_ab.py", "started": started, "order": order,
           "rounds": a.rounds, "repetitions": a.repetitions, "min_time": a.min_time,
           "extra_args": a.extra,
           "old": {"binary": a.old, "context": runs["old"][0]["context"], "runs": runs["old"]},
           "new": {"binary": a.new, "context": runs["new"][0]["context"], "runs": runs["new"]},
           "summary": summary, "only_in": only}
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".bench-ab-", suffix=".json.tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, a.out)

    print(f"old: {runs['old'][0]['context'].get('git_commit', '?')}   "
          f"new: {runs['new'][0]['context'].get('git_commit', '?')}   "
          f"{a.rounds} processes x {a.repetitions} repetitions each, alternated")
    print(f"{'entry':44s} {'old G/s':>8s} {'new G/s':>8s} {'new/old':>8s} {'spread':>13s}  verdict")
    for s in summary:
        print(f"{s['name']:44s} {s['old_median'] / 1e9:8.3f} {s['new_median'] / 1e9:8.3f} "
              f"{s['ratio']:8.3f} {s['old_spread']:6.1%}/{s['new_spread']:5.1%}  "
              f"{'SLOWER beyond the spread' if s['slower_beyond_spread'] else 'ok'}")
    for w, names in only.items():
        if names:
            print(f"only in {w}: {', '.join(names)}")
    slower = [s["name"] for s in summary if s["slower_beyond_spread"]]
    print(f"{len(summary)} entries compared; slower beyond the spread: {len(slower)}"
          + (f" ({', '.join(slower)})" if slower else ""))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
