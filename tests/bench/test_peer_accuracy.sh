#!/usr/bin/env bash
# peer_accuracy on a tiny sweep: every built peer (and the NumPy/SciPy ones when a Python has
# numpy and scipy) scored in ULP on every distribution x size x output asked for, the second
# PyTorch capability appended, and the special-value table; then the backward, cross-entropy and
# bf16 peers' files (every row there and well formed, real scores), the progress lines and --ops.
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
r_all = r
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

# The backward, cross-entropy and bf16 ops: <stem>-backward.csv, -cross_entropy.csv, -bf16.csv in our
# accuracy CSVs' columns, one row per (peer, op, case), every field well formed, real scores.
def read(name, header):
    path = os.path.join(work, name)
    check(os.path.exists(path), f"writes {name}")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        first = f.readline().strip()
    check(first == header, f"{name}: header", first)
    return list(csv.DictReader(open(path)))

def num(s):
    try:
        return float(s)
    except ValueError:
        return None

labels = [l for l in ("onednn", "pytorch", "pytorch.avx512")
          if built["onednn" if l == "onednn" else "pytorch"]]
kinds = ["normal", "positive", "onehot", "constant", "huge"]
bw = read("peer-backward.csv", "variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,"
          "max_ulp_conditioned,conditioned,special_mismatches,status,note")
keys = {}
for row in bw:
    key = (row["variant"], row["op"], row["distribution"], row["dy"], int(row["n"]))
    check(key not in keys, f"backward: one row per case {key}")
    keys[key] = row
want = [(l, op, d, k, n) for l in labels for op in ("softmax_backward", "log_softmax_backward")
        for d in dists for k in kinds for n in sizes]
check(not [k for k in want if k not in keys] and len(bw) == len(want),
      f"backward: every (peer, op, distribution, dy, size) and no other rows: {len(want)} rows",
      f"{len(bw)} rows, missing {[k for k in want if k not in keys][:3]}")
bad = [r for r in bw if not (r["tier"] == "peer" and r["bound_k"] == "" and r["status"] == "scored"
                             and num(r["k"]) is not None and num(r["k"]) >= 0
                             and 0 <= int(r["worst_index"]) < max(1, int(r["n"]))
                             and 0 <= int(r["conditioned"]) <= int(r["n"]) and r["special_mismatches"] == "0")]
check(not bad, "backward: tier peer, no bound, scored, k >= 0, indices and counts in range", str(bad[:2]))
for l in labels:
    for op in ("softmax_backward", "log_softmax_backward"):
        k = num(keys.get((l, op, "normal_1", "normal", 1000), {}).get("k", ""))
        check(k is not None and 0 < k < 100, f"backward {l} {op} normal_1 n=1000: 0 < k < 100 (a real score)", str(k))
if built["pytorch"]:
    check(keys[("pytorch.avx512", "softmax_backward", "normal_1", "normal", 17)]["isa"] == "avx512",
          "backward: the second capability's rows carry isa avx512")

ce_labels = ["pytorch_autograd", "pytorch_autograd.avx512"] if built["pytorch"] else []
ce = read("peer-cross_entropy.csv", "variant,algorithm,isa,tier,distribution,n,target,label_smoothing,"
          "loss_ulp,max_ulp,grad_ratio,grad_k,status,detail")
keys = {}
for row in ce:
    key = (row["variant"], row["distribution"], int(row["n"]), row["target"], row["label_smoothing"])
    check(key not in keys, f"cross_entropy: one row per case {key}")
    keys[key] = row
want = [(l, d, n, t, e) for l in ce_labels for d in dists for n in sizes
        for t, e in (("argmax", "0"), ("other", "0"), ("other", "0.1"))]
want += [(l, "dominant_target", n, "argmax", "0") for l in ce_labels for n in sizes]
check(not [k for k in want if k not in keys] and len(ce) == len(want),
      f"cross_entropy: every case (3 targets per row, the dominant-target rows), no others: {len(want)} rows",
      f"{len(ce)} rows, missing {[k for k in want if k not in keys][:3]}")
bad = [r for r in ce if not (r["tier"] == "peer" and r["max_ulp"] == "" and r["grad_k"] == "1"
                             and r["status"] == "scored" and num(r["loss_ulp"]) is not None
                             and num(r["grad_ratio"]) is not None and num(r["grad_ratio"]) >= 0)]
check(not bad, "cross_entropy: tier peer, no loss bound, grad_k 1, scored, numbers", str(bad[:2]))
for l in ce_labels:
    r = keys[(l, "normal_1", 1000, "argmax", "0")]
    check(0 <= num(r["loss_ulp"]) < 10 and 0 < num(r["grad_ratio"]) < 1000,
          f"cross_entropy {l} normal_1 n=1000: loss within 10 ULP, a finite gradient k", str(r)[:300])
    for n in (17, 1000):
        r = keys[(l, "dominant_target", n, "argmax", "0")]
        check(num(r["loss_ulp"]) > 1e6, f"cross_entropy {l} dominant target n={n}: PyTorch's loss is 0 "
              "(millions of ULP off p_t = 1 - 2^-40)", r["loss_ulp"])

b_labels = [l for l in ("onednn.bf16", "pytorch.bf16", "pytorch.avx512.bf16")
            if built["onednn" if l.startswith("onednn") else "pytorch"]]
b16 = read("peer-bf16.csv", "variant,isa,tier,dtype,op,distribution,n,unit,bound,max_ulp,band,"
           "correctly_rounded,frac_correctly_rounded,status,detail")
keys = {}
for row in b16:
    key = (row["variant"], row["op"], row["distribution"], int(row["n"]))
    check(key not in keys, f"bf16: one row per case {key}")
    keys[key] = row
want = [(l, o, d, n) for l in b_labels for o in ("softmax", "log_softmax") for d in dists for n in sizes]
check(not [k for k in want if k not in keys] and len(b16) == len(want),
      f"bf16: every (peer, output, distribution, size), no others: {len(want)} rows",
      f"{len(b16)} rows, missing {[k for k in want if k not in keys][:3]}")
bad = [r for r in b16 if not (r["tier"] == "peer" and r["dtype"] == "bf16" and r["unit"] == "bf16_ulp"
                              and r["bound"] == "" and r["status"] == "scored" and num(r["max_ulp"]) is not None
                              and 0 <= int(r["correctly_rounded"]) <= int(r["band"]) <= int(r["n"]))]
check(not bad, "bf16: tier peer, dtype bf16, bf16 ULP, no bound, scored, counts in range", str(bad[:2]))
for l in b_labels:
    r = keys[(l, "softmax", "normal_1", 1000)]
    check(0 < num(r["max_ulp"]) < 1000 and int(r["band"]) == 1000 and 0 < num(r["frac_correctly_rounded"]) <= 1,
          f"bf16 {l} softmax normal_1 n=1000: scored in bf16 ULP over 1000 outputs", str(r)[:300])
if built["pytorch"]:
    r = keys[("pytorch.bf16", "softmax", "normal_1", 1000)]
    check(num(r["max_ulp"]) <= 1, "PyTorch bf16 softmax on N(0,1): faithful (converts once from f32)", r["max_ulp"])

# One progress line per peer and op on stderr.
for l in labels:
    for op in ("softmax_backward", "log_softmax_backward"):
        check(f"peer_accuracy: backward {l} {op}: " in r_all.stderr, f"progress line: backward {l} {op}")
for l in ce_labels:
    check(f"peer_accuracy: cross_entropy {l}: " in r_all.stderr, f"progress line: cross_entropy {l}")
for l in b_labels:
    check(f"peer_accuracy: bf16 {l} softmax: " in r_all.stderr, f"progress line: bf16 {l} softmax")

# --ops: only the ops asked for; an unknown op is a usage error.
out3 = os.path.join(work, "ops.csv")
r = subprocess.run([binary, "--sizes", "5", "--distributions", "uniform", "--ops", "backward", "--no-second-capability",
                    "--out", out3], capture_output=True, text=True)
check(r.returncode == 0 and os.path.exists(os.path.join(work, "ops-backward.csv"))
      and not any(os.path.exists(os.path.join(work, f)) for f in ("ops.csv", "ops-bf16.csv", "ops-cross_entropy.csv")),
      "--ops backward writes <stem>-backward.csv only", r.stderr[-500:])
r = subprocess.run([binary, "--ops", "bogus", "--out", out3], capture_output=True, text=True)
check(r.returncode == 2 and "unknown op" in r.stderr, "unknown op: exit 2", r.stderr)

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
