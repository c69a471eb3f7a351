#!/usr/bin/env bash
# Checks that the README's two commands work on a fresh Debian 12 machine. See --help.
# Not part of CI: it downloads a Debian root and every package the project needs.
set -uo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/check-fresh-machine.sh [--root DIR] [--keep] [--sources FILE]
                                      [--purge-fallback] [-h|--help]

Proves that the README's two commands work on a bare Debian 12 (bookworm) machine:
  1. bootstrap   a minimal Debian 12 root (mmdebstrap --variant=minbase, else debootstrap
                 --variant=minbase), from the apt sources this machine is configured with
                 (--sources; default /etc/apt/sources.list.d/debian.sources, else
                 http://deb.debian.org/debian). None of the project's packages are in it.
  2. clone       a clean `git clone` of this checkout's current commit (HEAD) into
                 <root>/root/softmaxbench (uncommitted changes are NOT included; a warning says so)
  3. test.sh     chroot: scripts/test.sh        (installs the packages, builds, runs every test)
  4. reproduce   chroot: scripts/reproduce.sh   (its default quick mode; writes results/ of the
                 clone inside the root, never of this checkout)
Each step is timed; its full output goes to <root>.logs/<step>.log (the last lines are shown on
failure). The last lines printed are a summary: each step's time and status, then PASS or FAIL.
Exit status 0 on PASS, 1 on FAIL, 2 on a usage error or when it cannot run at all.

Needs root (mmdebstrap/debootstrap and chroot), network access to the Debian mirror, ~3 GB of
disk and, on 2 cores, about 30-60 minutes. Inside the root it mounts only proc, sysfs, devpts
and a tmpfs on /dev/shm (no bind mounts of host directories); they are unmounted on exit,
Ctrl-C or SIGTERM.

  --root DIR        where to build the root (default: a new directory under ${TMPDIR:-/tmp});
                    must not exist yet or be empty. Logs go to DIR.logs/.
  --keep            keep the root afterwards (default: delete it after unmounting; logs are kept)
  --sources FILE    apt sources for the root (deb822 .sources or one-line .list format)
  --purge-fallback  when chroot is impossible here (no root, no mmdebstrap/debootstrap, or chroot
                    refused), run the next-best proof ON THIS MACHINE instead: purge every package
                    scripts/install-deps.sh lists and what was auto-installed with them
                    (apt-get purge + autoremove --purge), then run the two commands from a clean
                    clone in a temporary directory. Destructive for this machine: never the
                    default; without it the script only says that chroot is impossible and exits 2.
  -h, --help        this text
USAGE
}

root_dir=""
keep=0
sources=""
purge_fallback=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) [[ $# -ge 2 ]] || { echo "check-fresh-machine: --root needs a directory" >&2; exit 2; }
            root_dir="$2"; shift ;;
    --keep) keep=1 ;;
    --sources) [[ $# -ge 2 && -f "$2" ]] || { echo "check-fresh-machine: --sources needs an existing file" >&2; exit 2; }
               sources="$2"; shift ;;
    --purge-fallback) purge_fallback=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check-fresh-machine: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="$(git -C "$repo" rev-parse HEAD)" || { echo "check-fresh-machine: $repo is not a git checkout" >&2; exit 2; }
if [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]]; then
  echo "check-fresh-machine: warning: uncommitted changes in $repo are not tested (only commit ${commit:0:12})"
fi
if [[ -z "$sources" && -f /etc/apt/sources.list.d/debian.sources ]]; then
  sources=/etc/apt/sources.list.d/debian.sources
fi

# ---- steps, timing, summary ----------------------------------------------------------------
names=(); secs=(); stats=()
failed=0
child=""   # the running step's process (group leader), for the signal trap
log_dir=""
SECONDS=0

fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# step NAME CMD...: runs CMD with output to $log_dir/NAME.log, records time and status.
step() {
  local name="$1"; shift
  local log="$log_dir/$name.log" t0=$SECONDS rc
  printf '==> %-12s started %s (elapsed %s), log: %s\n' "$name" "$(date -u +%H:%M:%SZ)" "$(fmt $SECONDS)" "$log"
  # In the background, in its own process group, so that an INT/TERM trap runs at once (bash
  # runs traps only after a foreground command ends) and can stop the whole step.
  set -m
  "$@" >"$log" 2>&1 &
  child=$!
  set +m
  wait "$child"
  rc=$?
  child=""
  names+=("$name"); secs+=($((SECONDS - t0)))
  if [[ $rc -eq 0 ]]; then
    stats+=("ok"); printf '    %-12s ok in %s\n' "$name" "$(fmt $((SECONDS - t0)))"
  else
    stats+=("FAILED (exit $rc)"); failed=1
    printf '    %-12s FAILED (exit %d) in %s; last lines of %s:\n' "$name" "$rc" "$(fmt $((SECONDS - t0)))" "$log"
    tail -n 25 "$log" | sed 's/^/    | /'
  fi
  return $rc
}

summary() {
  echo
  echo "check-fresh-machine: commit ${commit:0:12}, mode: $1"
  local i
  for i in "${!names[@]}"; do
    printf '  %-12s %8s  %s\n' "${names[$i]}" "$(fmt "${secs[$i]}")" "${stats[$i]}"
  done
  printf '  %-12s %8s\n' "total" "$(fmt $SECONDS)"
  if [[ $failed -eq 0 && ${#names[@]} -gt 0 ]]; then
    echo "check-fresh-machine: PASS (logs: $log_dir)"
  else
    echo "check-fresh-machine: FAIL (logs: $log_dir)"
  fi
}

# ---- can we build a root and chroot into it? ------------------------------------------------
why_not=""
bootstrap_tool=""
if [[ "$(id -u)" -ne 0 ]]; then
  why_not="not running as root (mmdebstrap/debootstrap and chroot need root)"
elif command -v mmdebstrap >/dev/null 2>&1; then
  bootstrap_tool=mmdebstrap
elif command -v debootstrap >/dev/null 2>&1; then
  bootstrap_tool=debootstrap
else
  why_not="neither mmdebstrap nor debootstrap is installed"
fi
if [[ -z "$why_not" ]] && ! chroot / /bin/true 2>/dev/null; then
  why_not="chroot is refused in this sandbox (chroot / /bin/true failed)"
fi

# ---- fallback: purge the packages on this machine, then the two commands from a clean clone ---
if [[ -n "$why_not" ]]; then
  echo "check-fresh-machine: cannot build and chroot into a Debian root here: $why_not."
  if [[ $purge_fallback -eq 0 ]]; then
    echo "check-fresh-machine: the next-best proof purges every package scripts/install-deps.sh"
    echo "  lists (and what was auto-installed with them) from THIS machine, then runs the two"
    echo "  commands from a clean clone. Re-run with --purge-fallback to do that."
    exit 2
  fi
  [[ "$(id -u)" -eq 0 ]] || { echo "check-fresh-machine: --purge-fallback needs root too" >&2; exit 2; }
  log_dir="$(mktemp -d "${TMPDIR:-/tmp}/smb-fresh-purge.XXXXXX")"
  clone="$log_dir/softmaxbench"
  mapfile -t pkgs < <(bash "$repo/scripts/install-deps.sh" --list)
  # git and ca-certificates stay: the clone below needs git, and test.sh reinstalls the rest.
  purge=()
  for p in "${pkgs[@]}"; do
    [[ "$p" == git || "$p" == ca-certificates ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && purge+=("$p")
  done
  step purge env DEBIAN_FRONTEND=noninteractive apt-get purge -y "${purge[@]}" &&
    step autoremove env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y
  step clone git clone --quiet --no-local "$repo" "$clone" &&
    git -C "$clone" checkout --quiet --detach "$commit" &&
    step test.sh bash -c "cd '$clone' && scripts/test.sh" &&
    step reproduce bash -c "cd '$clone' && scripts/reproduce.sh"
  summary "purge fallback (no chroot: $why_not)"
  exit $failed
fi

# ---- the root --------------------------------------------------------------------------------
if [[ -z "$root_dir" ]]; then
  root_dir="$(mktemp -d "${TMPDIR:-/tmp}/smb-fresh-root.XXXXXX")"
else
  if [[ -e "$root_dir" && -n "$(ls -A "$root_dir" 2>/dev/null)" ]]; then
    echo "check-fresh-machine: --root $root_dir exists and is not empty" >&2
    exit 2
  fi
  mkdir -p "$root_dir"
  root_dir="$(cd "$root_dir" && pwd)"
fi
log_dir="$root_dir.logs"
mkdir -p "$log_dir"

mounted=()   # mount points inside the root, in mount order
mount_in_root() {   # mount_in_root TYPE SOURCE TARGET [OPTIONS]
  local target="$root_dir/$3"
  mkdir -p "$target"
  mount -t "$1" ${4:+-o "$4"} "$2" "$target" && mounted+=("$target")
}
cleanup() {
  local i ok=1
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || ok=0
  done
  mounted=()
  # Delete the root only when nothing is mounted below it any more.
  if [[ $keep -eq 0 && -d "$root_dir" ]]; then
    if [[ $ok -eq 1 ]] && ! grep -q " ${root_dir}/" /proc/self/mounts; then
      rm -rf --one-file-system "$root_dir"
    else
      echo "check-fresh-machine: something is still mounted under $root_dir; not deleting it" >&2
    fi
  fi
}
trap cleanup EXIT
trap 'echo "check-fresh-machine: interrupted; stopping the running step" >&2
      [[ -n "$child" ]] && { kill -TERM -- "-$child" 2>/dev/null; wait "$child" 2>/dev/null; }
      exit 130' INT TERM

echo "check-fresh-machine: root $root_dir (tool: $bootstrap_tool, sources: ${sources:-http://deb.debian.org/debian}), commit ${commit:0:12}"

if [[ $bootstrap_tool == mmdebstrap ]]; then
  step bootstrap mmdebstrap --variant=minbase --mode=root bookworm "$root_dir" \
    "${sources:-http://deb.debian.org/debian}"
else
  mirror="http://deb.debian.org/debian"
  if [[ -n "$sources" ]]; then
    m="$(grep -m1 -E '^(URIs:|deb )' "$sources" | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}')"
    [[ -n "$m" ]] && mirror="$m"
  fi
  step bootstrap debootstrap --variant=minbase bookworm "$root_dir" "$mirror" &&
    { [[ -z "$sources" ]] || case "$sources" in
        *.sources) cp "$sources" "$root_dir/etc/apt/sources.list.d/" && : >"$root_dir/etc/apt/sources.list" ;;
        *) cp "$sources" "$root_dir/etc/apt/sources.list" ;;
      esac; }
fi
if [[ $failed -eq 0 ]]; then
  cp /etc/resolv.conf "$root_dir/etc/resolv.conf" 2>/dev/null || true
  mount_in_root proc proc proc &&
    mount_in_root sysfs sysfs sys ro &&
    mount_in_root devpts devpts dev/pts newinstance,ptmxmode=0666 &&
    mount_in_root tmpfs tmpfs dev/shm mode=1777 ||
    { echo "check-fresh-machine: mounting proc/sys/devpts/shm in the root failed"; failed=1; }
fi

in_root() {   # a login-like clean environment inside the root
  chroot "$root_dir" /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
if [[ $failed -eq 0 ]]; then
  # The root has no git yet (that is install-deps.sh's job): clone from outside, into the root.
  step clone bash -c "git clone --quiet --no-local '$repo' '$root_dir/root/softmaxbench' &&
                      git -C '$root_dir/root/softmaxbench' checkout --quiet --detach '$commit' &&
                      git -C '$root_dir/root/softmaxbench' log -1 --oneline" &&
    step test.sh in_root bash -c 'cd /root/softmaxbench && scripts/test.sh' &&
    step reproduce in_root bash -c 'cd /root/softmaxbench && scripts/reproduce.sh'
  if [[ -f "$root_dir/root/softmaxbench/results" || -d "$root_dir/root/softmaxbench/results" ]]; then
    report="$(ls -t "$root_dir"/root/softmaxbench/results/*/REPORT.md 2>/dev/null | head -n 1)"
    [[ -n "$report" ]] && cp "$report" "$log_dir/REPORT.md" && echo "    report copied to $log_dir/REPORT.md"
  fi
fi
summary "chroot into a fresh Debian 12 root ($bootstrap_tool)"
exit $failed
