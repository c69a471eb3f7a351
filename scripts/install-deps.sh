#!/usr/bin/env bash
# Installs the Debian 12 packages softmaxbench needs, only those missing. Idempotent.
# Runs apt-get as root, or through sudo; when neither is possible it prints the exact command
# and exits non-zero.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config git
  libxsimd-dev libbenchmark-dev catch2 libmpfr-dev libgmp-dev libcli11-dev
  libdnnl-dev libxnnpack-dev libpthreadpool-dev libtorch-dev
  python3-matplotlib python3-numpy python3-scipy
)

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
