#!/usr/bin/env bash
# Smoke test of the benchmark binary: one small shape, tiny min time, then checks on the JSON.
# usage: tests/bench/smoke.sh BINARY SCRATCH_DIR [--require-peers]     (ctest: bench_smoke)
# --require-peers (passed by CMake when SMB_REQUIRE_PEERS is ON, as in the `test` preset): a
# peer that was not built is a failure, not a skip.
# Needs Python 3 with the standard library only ($PYTHON, else /usr/bin/python3).
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 || ( $# -eq 3 && "$3" != "--require-peers" ) ]]; then
  echo "usage: $0 BINARY SCRATCH_DIR [--require-peers]" >&2
  exit 2
fi
bin="$1"
scratch="$2"
require="${3:-}"
mkdir -p "$scratch"
py="${PYTHON:-/usr/bin/python3}"
lib="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)"

PYTHONPATH="$lib${PYTHONPATH:+:$PYTHONPATH}" exec "$py" - "$bin" "$scratch" "$require" <<'PYEOF'
import json, os, subprocess, sys

binary, scratch = sys.argv[1], sys.argv[2]
require_peers = sys.argv[3] == "--require-peers"
out = os.path.join(scratch, "smoke.json")
if os.path.exists(out):
    os.remove(out)
from harness import check, finish  # tests/lib/harness.py

OURS = ["max_shifted.scalar"]
PEERS = ["onednn", "xnnpack", "memcpy", "pytorch", "pytorch_api"]
shape = "1/256"
cmd = [binary,
       "--benchmark_filter=^(max_shifted\\.scalar|onednn|xnnpack|memcpy|pytorch|pytorch_api)/1/256$",
       "--benchmark_min_time=0.01",
       f"--benchmark_out={out}", "--benchmark_out_format=json"]
run = subprocess.run(cmd, capture_output=True, text=True)
check(run.returncode == 0, "binary exits 0", run.stderr[-2000:])
try:
    with open(out) as f:
        doc = json.load(f)
    check(True, "JSON output parses")
except Exception as e:  # noqa: BLE001
    check(False, "JSON output parses", str(e))
    finish()

ctx = doc.get("context", {})
keys = ["cpu_model", "cpu_vendor", "isa_flags", "dispatch_isa", "compiler", "cxx_flags",
        "build_type", "git_commit", "softmaxbench_version", "xsimd_version", "onednn_version",
        "xnnpack", "threads", "bytes_per_element_convention", "hostname", "pytorch_version",
        "pytorch_cpu_capability", "aten_cpu_capability_env", "peers"]
missing = [k for k in keys if not str(ctx.get(k, "")).strip()]
check(not missing, f"context has all {len(keys)} keys", f"missing or empty: {missing}")

built = {
    "onednn": ctx.get("onednn_version", "not built") != "not built",
    "xnnpack": ctx.get("xnnpack") == "built",
    "memcpy": True,
    "pytorch": ctx.get("pytorch_version", "not built") != "not built",
}
built["pytorch_api"] = built["pytorch"]
by_name = {b["name"]: b for b in doc.get("benchmarks", [])}
if require_peers:
    for impl in ("onednn", "xnnpack", "pytorch"):
        check(built[impl], f"{impl} peer was built (required: SMB_REQUIRE_PEERS=ON)",
              "not built; install it (scripts/install-deps.sh) and reconfigure")

for impl in OURS:
    name = f"{impl}/{shape}"
    b = by_name.get(name)
    if b is None:
        check(False, f"{name} ran", "not in the JSON")
        continue
    check(not b.get("error_occurred", False), f"{name} reported no error",
          b.get("error_message", ""))
    check(b.get("items_per_second", 0) > 0, f"{name} items_per_second > 0")
    ips, bps = b.get("items_per_second", 0), b.get("bytes_per_second", 0)
    check(ips > 0 and abs(bps / ips - 8) < 1e-6, f"{name} bytes_per_second = 8 x items_per_second")

for impl in PEERS:
    name = f"{impl}/{shape}"
    b = by_name.get(name)
    if b is None:
        check(False, f"{name} ran", "not in the JSON")
        continue
    if built[impl]:
        check(not b.get("error_occurred", False), f"{name} (built) reported no error",
              b.get("error_message", ""))
        check(b.get("items_per_second", 0) > 0, f"{name} (built) items_per_second > 0")
    else:
        msg = b.get("error_message", "")
        check(b.get("error_occurred", False) and "not found at build time" in msg,
              f"{name} (not built) skips with the reason", msg)

for impl in ["max_shifted.scalar"] + PEERS:
    b = by_name.get(f"{impl}/{shape}", {})
    check("minor_faults_per_iter" in b, f"{impl}/{shape} has the minor_faults_per_iter counter")

if built["pytorch"]:
    cap = ctx.get("pytorch_cpu_capability", "")
    check(cap in ("default", "avx2", "avx512"), "context records ATen's CPU capability", cap)
    label = by_name.get(f"pytorch/{shape}", {}).get("label", "")
    check(f"ATen CPU capability {cap}" in label, "pytorch label records the capability", label)

if built["onednn"]:
    label = by_name.get(f"onednn/{shape}", {}).get("label", "")
    check(label != "" and ";" in label, "onednn label records its implementation", label)

# The custom flags: the headline list and a bad value.
ls = subprocess.run([binary, "--benchmark_list_tests=true", "--smb_shapes=headline"],
                    capture_output=True, text=True)
names = ls.stdout.split()
check(ls.returncode == 0 and "memcpy/1/16777216" in names and "memcpy/1/256" not in names
      and "onednn_log/1/64" in names, "--smb_shapes=headline lists the headline shapes only")
# PyTorch is registered always (skipping when not built): softmax, log_softmax, the public API.
want = ["pytorch/1/64", "pytorch:log/1/64", "pytorch_api/1/64", "pytorch_api:log/1/64",
        "pytorch/1/16777216/2/real_time"]
check(all(w in names for w in want), "--benchmark_list_tests lists the pytorch entries",
      str([w for w in want if w not in names]))
# ATEN_CPU_CAPABILITY is read once per process: a forced capability renames the pytorch entries
# (pytorch.<capability>), so two runs merge into one JSON without clashing names.
if built["pytorch"]:
    env = dict(os.environ, ATEN_CPU_CAPABILITY="avx2")
    ls2 = subprocess.run([binary, "--benchmark_list_tests=true", "--smb_shapes=headline",
                          "--benchmark_filter=^pytorch"], capture_output=True, text=True, env=env)
    names2 = ls2.stdout.split()
    check(ls2.returncode == 0 and "pytorch.avx2/1/64" in names2 and "pytorch.avx2:log/1/64" in names2
          and "pytorch_api.avx2/1/64" in names2 and "pytorch/1/64" not in names2,
          "ATEN_CPU_CAPABILITY=avx2 names the entries pytorch.avx2", " ".join(names2[:6]))
# The floors (bench/floors.hpp): measurement tools registered beside memcpy, on exactly memcpy's
# shapes and thread counts in every shape set; timed and checked like any entry; a failed check
# or an input outside the exp kernel's range skips with the reason.
FLOORS = ("floor:exp", "floor:exp_write")
def shapes_of(impl, listing):
    return sorted(n.split("/", 1)[1] for n in listing if n.split("/", 1)[0] == impl)
lt = subprocess.run([binary, "--benchmark_list_tests=true"], capture_output=True, text=True)
for shapes_flag, listed in (("headline", names), ("all (the default)", lt.stdout.split())):
    mem = shapes_of("memcpy", listed)
    for impl in FLOORS:
        check(lt.returncode == 0 and mem and shapes_of(impl, listed) == mem,
              f"--smb_shapes={shapes_flag}: {impl} on memcpy's shapes and thread counts",
              f"{impl}: {shapes_of(impl, listed)[:4]} vs memcpy: {mem[:4]}")
fout = os.path.join(scratch, "floors.json")
frun = subprocess.run([binary, "--benchmark_filter=^floor:exp(_write)?/(1/256|4096/128/2/real_time|1/262144/2/real_time)$",
                       "--benchmark_min_time=0.01", f"--benchmark_out={fout}", "--benchmark_out_format=json"],
                      capture_output=True, text=True)
check(frun.returncode == 0, "the floors' run exits 0", frun.stderr[-2000:])
with open(fout) as f:
    fdoc = json.load(f)
fby = {b["name"]: b for b in fdoc.get("benchmarks", [])}
for impl in FLOORS:
    for tail in ("1/256", "4096/128/2/real_time", "1/262144/2/real_time"):
        name = f"{impl}/{tail}"
        b = fby.get(name)
        if b is None:
            check(False, f"{name} ran", "not in the JSON")
            continue
        check(not b.get("error_occurred", False), f"{name} passed its check and was timed",
              b.get("error_message", ""))
        ips, bps = b.get("items_per_second", 0), b.get("bytes_per_second", 0)
        check(ips > 0 and abs(bps / ips - 8) < 1e-6, f"{name} items/s > 0, bytes/s = 8 x items/s")
        err = b.get("check_error")
        check(isinstance(err, (int, float)) and 0 <= err <= 1e-6,
              f"{name} check_error within 1e-6 (sum or outputs against a double reference)", str(err))
        check("minor_faults_per_iter" in b, f"{name} has the minor_faults_per_iter counter")
        check(b.get("label", "").startswith("floor, a measurement (not a softmax)"),
              f"{name} label says what it is", b.get("label", ""))
# logits near 1e4 are outside the exp kernel's window: the floor says so instead of timing.
off = subprocess.run([binary, "--benchmark_filter=^floor:exp/1/256$", "--benchmark_min_time=0.01",
                      "--smb_input=offset_1e4", "--benchmark_format=json"], capture_output=True, text=True)
try:
    ob = json.loads(off.stdout)["benchmarks"][0]
except (ValueError, KeyError, IndexError):
    ob = {}
check(ob.get("error_occurred") and "outside the exp kernel's window" in ob.get("error_message", ""),
      "floor:exp on offset_1e4 logits skips with the reason", str(ob.get("error_message", off.stderr[-300:])))

bad = subprocess.run([binary, "--smb_shapes=bogus", "--benchmark_list_tests=true"],
                     capture_output=True, text=True)
check(bad.returncode == 2, "--smb_shapes=bogus is rejected (exit 2)", f"exit {bad.returncode}")

finish()
PYEOF
