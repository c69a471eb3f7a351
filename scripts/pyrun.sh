#!/usr/bin/env bash
# Runs a Python script with an interpreter that has numpy and matplotlib:
#   scripts/pyrun.sh SCRIPT.py [ARGS...]
# Tries $PYTHON when it is set (and then only it: an explicit choice is not second-guessed),
# else `python3` from PATH, then /usr/bin/python3. When none can import both, prints what to
# install and exits 1.
set -euo pipefail

install_hint="sudo apt-get install python3-matplotlib python3-numpy"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
  [[ $# -ge 1 ]] && exit 0 || exit 2
fi

works() {
  command -v "$1" >/dev/null 2>&1 && "$1" -c 'import numpy, matplotlib' >/dev/null 2>&1
}

if [[ -n "${PYTHON:-}" ]]; then
  candidates=("$PYTHON")
else
  candidates=(python3 /usr/bin/python3)
fi
for py in "${candidates[@]}"; do
  if works "$py"; then
    exec "$py" "$@"
  fi
done

if [[ -n "${PYTHON:-}" ]]; then
  echo "pyrun.sh: PYTHON=$PYTHON is not a Python that can import numpy and matplotlib." >&2
  echo "pyrun.sh: install them: $install_hint   (or unset PYTHON to use the system python3)" >&2
else
  echo "pyrun.sh: no Python with numpy and matplotlib (tried: ${candidates[*]})." >&2
  echo "pyrun.sh: install them: $install_hint" >&2
fi
exit 1
