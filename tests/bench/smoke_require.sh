#!/usr/bin/env bash
# smoke.sh --require-peers must fail when a peer was not built. Runs smoke.sh against a wrapper
# of the real benchmark binary that makes its JSON look like a build without oneDNN (context
# onednn_version "not built", the onednn entries skipped with "not found at build time"):
# without --require-peers that passes (an optional peer may skip), with it, it must fail.
# usage: tests/bench/smoke_require.sh BINARY SCRATCH_DIR     (ctest: bench_smoke_require_peers)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "BINARY SCRATCH_DIR" "$@"
bin="$1"
scratch="$2"
py="${PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$scratch"
mkdir -p "$scratch"
wrapper="$scratch/no-onednn-bench"
cat >"$wrapper" <<WRAP
#!/usr/bin/env bash
# The real binary, then its --benchmark_out JSON rewritten as if oneDNN had not been built.
"$bin" "\$@" || exit \$?
for a in "\$@"; do
  case "\$a" in --benchmark_out=*) out="\${a#--benchmark_out=}" ;; esac
done
[[ -n "\${out:-}" ]] || exit 0
exec "$py" - "\$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["context"]["onednn_version"] = "not built"
for b in doc.get("benchmarks", []):
    if b["name"].startswith("onednn"):
        b.update(error_occurred=True, error_message="oneDNN not found at build time")
json.dump(doc, open(sys.argv[1], "w"))
PY
WRAP
chmod +x "$wrapper"
fails=0
if bash "$here/smoke.sh" "$wrapper" "$scratch/optional" >"$scratch/optional.log" 2>&1; then
  echo "ok   peers optional: a build without oneDNN passes the smoke test"
else
  echo "FAIL peers optional: a build without oneDNN fails the smoke test:"; cat "$scratch/optional.log"; fails=1
fi
if bash "$here/smoke.sh" "$wrapper" "$scratch/required" --require-peers >"$scratch/required.log" 2>&1; then
  echo "FAIL --require-peers: a build without oneDNN passes the smoke test:"; cat "$scratch/required.log"; fails=1
elif grep -q "^FAIL onednn peer was built" "$scratch/required.log"; then
  echo "ok   --require-peers: a build without oneDNN fails, naming the peer"
else
  echo "FAIL --require-peers: failed, but not on the missing peer:"; cat "$scratch/required.log"; fails=1
fi
exit $fails
