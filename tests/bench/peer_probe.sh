#!/usr/bin/env bash
# An optional peer whose CMake config fails must not stop the configure (one clear message,
# the benchmark still builds without it); with SMB_REQUIRE_PEERS=ON it is a configure error.
# The failing config is a stand-in for Debian's dnnl-config.cmake without OpenCL: it asks for
# a package that does not exist, REQUIRED.
# usage: tests/bench/peer_probe.sh SOURCE_DIR SCRATCH_DIR     (ctest: bench_peer_probe)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_args "SOURCE_DIR SCRATCH_DIR" "$@"
src="$1"
scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch/fake-dnnl"
cat >"$scratch/fake-dnnl/dnnl-config.cmake" <<'CFG'
find_package(SmbNoSuchDependencyOfDnnl REQUIRED)
CFG
fails=0
configure() {  # configure BUILD_DIR REQUIRE(ON|OFF): only what the peer probe needs
  cmake -S "$src" -B "$1" -DSMB_BUILD_TESTS=OFF -DSMB_BUILD_CLI=OFF -DSMB_BUILD_BENCH=ON \
        -Ddnnl_DIR="$scratch/fake-dnnl" -DSMB_REQUIRE_PEERS="$2" >"$1.log" 2>&1
}

configure "$scratch/optional" OFF
rc=$?
n=$(grep -c "Optional peer skipped.*oneDNN" "$scratch/optional.log")
if [[ $rc -eq 0 && $n -eq 1 ]] && grep -q "SmbNoSuchDependencyOfDnnl" "$scratch/optional.log"; then
  echo "ok   failing oneDNN config, peers optional: configure succeeds, one message with the reason"
else
  echo "FAIL failing oneDNN config, peers optional: exit $rc, $n skip message(s); log:"
  cat "$scratch/optional.log"
  fails=1
fi

configure "$scratch/required" ON
rc=$?
if [[ $rc -ne 0 ]] && grep -q "Peer required (SMB_REQUIRE_PEERS=ON) but missing: oneDNN" "$scratch/required.log"; then
  echo "ok   failing oneDNN config, SMB_REQUIRE_PEERS=ON: configure fails and says why"
else
  echo "FAIL failing oneDNN config, SMB_REQUIRE_PEERS=ON: exit $rc; log:"
  cat "$scratch/required.log"
  fails=1
fi
exit $fails
