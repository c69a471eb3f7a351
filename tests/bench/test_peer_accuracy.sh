#!/usr/bin/env bash
# peer_accuracy on a tiny sweep: every built peer (and the NumPy/SciPy ones when a Python has
# numpy and scipy) scored in ULP on every distribution x size x output asked for, the second
# PyTorch capability appended, and the special-value table.
# usage: tests/bench/test_peer_accuracy.sh PEER_ACCURACY_BINARY SCRATCH_DIR   (ctest: peer_accuracy)
# Needs Python 3 with the standard library only to read the CSVs ($PYTHON, else /usr/bin/python3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "PEER_ACCURACY_BINARY SCRATCH_DIR" "$@"
bin="$1"
work="$2"
rm -rf -- "$work"
mkdir -p -- "$work"
py="${PYTHON:-/usr/bin/python3}"
command -v "$py" >/dev/null 2>&1 || py=python3
lib="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)"

PYTHONPATH="$lib${PYTHONPATH:+:$PYTHONPATH}" exec "$py" - "$bin" "$work" <<'PYEOF'
import csv, math, os, subprocess, sys

binary, work = sys.argv[1:3]
from harness import check, finish  # tests/lib/harness.py

out = os.path.join(work, "peer.csv")
sizes, dists = [1, 17, 1000], ["normal_1", "offset_1e4", "normal_20"]
r = subprocess.run([binary, "--sizes", ",".join(map(str, sizes)), "--distributions", ",".join(dists),
                    "--out", out, "--threads", "2"], capture_output=True, text=True)
check(r.returncode == 0, "peer_accuracy exits 0", r.stderr[-1500:] + r.stdout[-500:])
check(os.path.exists(out) and os.path.exists(os.path.join(work, "peer-special.csv")),
      "writes FILE and <stem>-special.csv")
skipped = r.stdout
built = {p: f"skipped {p}: not built" not in skipped for p in ("onednn", "xnnpack", "pytorch")}
python = "NumPy/SciPy peers" not in skipped
print(f"     built: {built}, NumPy/SciPy: {python}")

header = ("variant,isa,tier,exp_kernel,output,distribution,n,bound,max_ulp,mean_ulp,p999_ulp,"
          "frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,sum_error,higham_normwise,"
          "worst_index,worst_x,worst_y,worst_exact,status,note")
with open(out) as f:
    first = f.readline().strip()
check(first == header, "header: accuracy.csv's columns + note", first)
rows = list(csv.DictReader(open(out)))
by = {}
for row in rows:
    key = (row["variant"], row["output"], row["distribution"], int(row["n"]))
    check(key not in by, f"one row per case {key}")
    by[key] = row

expect = []  # (label, output)
if built["onednn"]:
    expect += [("onednn", "softmax"), ("onednn", "log_softmax")]
if built["xnnpack"]:
    expect += [("xnnpack", "softmax")]
if built["pytorch"]:
    for lab in ("pytorch", "pytorch.avx512"):
        expect += [(lab, "softmax"), (lab, "log_softmax")]
if python:
    expect += [(p, "softmax") for p in ("numpy_guide", "numpy_guide_stable", "numpy_guide_batch",
                                        "numpy_wandb", "scipy")] + [("scipy", "log_softmax")]
check(len(expect) > 0, "at least one peer is built")
missing = [(l, o, d, n) for l, o in expect for d in dists for n in sizes if (l, o, d, n) not in by]
check(not missing, f"every (peer, output, distribution, size): {len(expect) * len(dists) * len(sizes)} rows",
      str(missing[:5]))
check(len(rows) == len(expect) * len(dists) * len(sizes), "no other rows", f"{len(rows)} rows")
check(not any(l == "xnnpack" and o == "log_softmax" for l, o, *_ in by), "xnnpack has no log_softmax rows")
check(all(row["tier"] == "peer" and row["bound"] == "" for row in rows), "tier peer, no documented bound")

# Scores are real: N(0,1), n = 1000 is an ordinary row every peer gets within a few hundred ULP.
for lab, o in expect:
    row = by.get((lab, o, "normal_1", 1000))
    if row is None:
        continue
    u = float(row["max_ulp"])
    check(row["status"] == "scored" and 0 < u < 1000 and int(row["normal_count"]) == 1000,
          f"{lab} {o} normal_1 n=1000: scored, 0 < max_ulp < 1000 over 1000 normal outputs",
          f"{row['status']} {u} {row['normal_count']}")
if built["pytorch"]:
    check(by[("pytorch", "softmax", "normal_1", 17)]["isa"] in ("avx2", "default")
          and by[("pytorch.avx512", "softmax", "normal_1", 17)]["isa"] == "avx512",
          "pytorch rows carry the capability: default run and ATEN_CPU_CAPABILITY=avx512 run")
if python:
    # The guide's basic softmax does not shift: exp(1e4) overflows, inf/inf = NaN.
    row = by[("numpy_guide", "softmax", "offset_1e4", 1000)]
    check(row["status"] == "out_of_domain" and math.isinf(float(row["max_ulp"])),
          "numpy_guide on offset_1e4: out of domain, NaN outputs (inf ULP)", str(row)[:200])
    row = by[("numpy_guide_stable", "softmax", "offset_1e4", 1000)]
    check(row["status"] == "scored" and float(row["max_ulp"]) < 1000,
          "numpy_guide_stable on offset_1e4: finite error", row["max_ulp"])

special = list(csv.DictReader(open(os.path.join(work, "peer-special.csv"))))
cases = {"nan_anywhere", "pinf_anywhere", "neg_inf_entries", "all_neg_inf", "empty_row", "single_entry"}
for lab, o in expect:
    got = {s["case"] for s in special if s["variant"] == lab and s["output"] == o}
    check(got == cases, f"special table of {lab} {o} has the 6 cases", str(got))
sp = {(s["variant"], s["case"], s["output"]): s for s in special}
if built["pytorch"]:
    s = sp[("pytorch", "all_neg_inf", "softmax")]
    check(s["result"] == "all NaN" and s["matches_policy"] == "yes", "PyTorch: all -inf gives NaN", str(s))
    s = sp[("pytorch", "neg_inf_entries", "log_softmax")]
    check(s["matches_policy"] == "yes", "PyTorch log_softmax: -inf at -inf entries", str(s))
if python:
    s = sp[("numpy_guide_stable", "empty_row", "softmax")]
    check(s["result"].startswith("error: ValueError") and s["matches_policy"] == "no",
          "NumPy guide's stable softmax on an empty row: np.max raises", str(s))

# --no-python, a bad distribution.
out2 = os.path.join(work, "nopy.csv")
r = subprocess.run([binary, "--sizes", "5", "--distributions", "uniform", "--no-python",
                    "--no-second-capability", "--out", out2], capture_output=True, text=True)
labels = {row["variant"] for row in csv.DictReader(open(out2))} if r.returncode == 0 else set()
check(r.returncode == 0 and not any(l.startswith(("numpy", "scipy", "pytorch.")) for l in labels),
      "--no-python --no-second-capability: C++ peers at their default capability only", str(labels))
r = subprocess.run([binary, "--distributions", "bogus", "--out", out2], capture_output=True, text=True)
check(r.returncode == 2 and "unknown distribution" in r.stderr, "unknown distribution: exit 2", r.stderr)
finish()
PYEOF
