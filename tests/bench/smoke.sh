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

exec "$py" - "$bin" "$scratch" "$require" <<'PYEOF'
import json, os, subprocess, sys

binary, scratch = sys.argv[1], sys.argv[2]
require_peers = sys.argv[3] == "--require-peers"
out = os.path.join(scratch, "smoke.json")
if os.path.exists(out):
    os.remove(out)
passed = failed = 0

def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))

def finish():
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)

OURS = ["max_shifted.scalar"]
PEERS = ["onednn", "xnnpack", "memcpy"]
shape = "1/256"
cmd = [binary,
       "--benchmark_filter=^(max_shifted\\.scalar|onednn|xnnpack|memcpy)/1/256$",
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
        "xnnpack", "threads", "bytes_per_element_convention", "hostname"]
missing = [k for k in keys if not str(ctx.get(k, "")).strip()]
check(not missing, f"context has all {len(keys)} keys", f"missing or empty: {missing}")

built = {
    "onednn": ctx.get("onednn_version", "not built") != "not built",
    "xnnpack": ctx.get("xnnpack") == "built",
    "memcpy": True,
}
by_name = {b["name"]: b for b in doc.get("benchmarks", [])}
if require_peers:
    for impl in ("onednn", "xnnpack"):
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

if built["onednn"]:
    label = by_name.get(f"onednn/{shape}", {}).get("label", "")
    check(label != "" and ";" in label, "onednn label records its implementation", label)

# The custom flags: the headline list and a bad value.
ls = subprocess.run([binary, "--benchmark_list_tests=true", "--smb_shapes=headline"],
                    capture_output=True, text=True)
names = ls.stdout.split()
check(ls.returncode == 0 and "memcpy/1/16777216" in names and "memcpy/1/256" not in names
      and "onednn_log/1/64" in names, "--smb_shapes=headline lists the headline shapes only")
bad = subprocess.run([binary, "--smb_shapes=bogus", "--benchmark_list_tests=true"],
                     capture_output=True, text=True)
check(bad.returncode == 2, "--smb_shapes=bogus is rejected (exit 2)", f"exit {bad.returncode}")

finish()
PYEOF
