#!/usr/bin/env bash
# Installs the Debian 12 packages softmaxbench needs, only those missing. Idempotent.
# Everything configure, build, the tests, .ci/run (sanitizers, the libFuzzer stage) and
# scripts/reproduce.sh use on a bare Debian 12 (checked by scripts/check-fresh-machine.sh).
# Runs apt-get as root, or through sudo; when neither is possible it prints the exact command
# and exits non-zero. `--list` prints the package list and exits.
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ make pkg-config git ca-certificates
  libxsimd-dev libbenchmark-dev catch2 libmpfr-dev libgmp-dev libcli11-dev
  # peers: oneDNN (Debian's dnnl CMake config requires OpenCL), XNNPACK
  libdnnl-dev ocl-icd-opencl-dev libxnnpack-dev libpthreadpool-dev
  # peer: PyTorch (libtorch, C++; about 200 dependent packages)
  libtorch-dev
  # tests, plots and the report (/usr/bin/python3 with numpy and matplotlib)
  python3 python3-numpy python3-matplotlib
  # the NumPy/SciPy peers (scripts/bench_numpy.py)
  python3-scipy
  # .ci/run: ASan/UBSan runtimes for g++ come with it; the fuzz stage needs clang + libFuzzer
  clang libclang-rt-14-dev
)

if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "install-deps: need root to install them; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
