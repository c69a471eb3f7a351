# Sourced by scripts/bench.sh and scripts/reproduce.sh: --target-isa's one check and one table of
# caps, so both scripts cap every implementation the same way.
#
# apply_target_isa PROG TARGET CLI
#   Checks TARGET (avx2 or sse2, validated by the caller) with the library's own test (CPUID and
#   the OS's saved state) through the softmaxbench CLI; on a CPU that lacks it, prints one line
#   "PROG: --target-isa TARGET: <why>" on stderr and returns 1. Sets `best` (the CPU's best ISA).
#   When TARGET is that best ISA, it is a native run: prints so and sets `target` empty.
#   Otherwise exports the caps: SOFTMAXBENCH_FORCE_ISA (ours), ONEDNN_MAX_CPU_ISA (oneDNN 2.x has
#   nothing below SSE41) and ATEN_CPU_CAPABILITY (PyTorch), and unsets DNNL_MAX_CPU_ISA.
apply_target_isa() {
  local prog=$1 want=$2 cli=$3 why
  if ! why="$(SOFTMAXBENCH_FORCE_ISA="$want" "$cli" list 2>&1 >/dev/null)"; then
    echo "$prog: --target-isa $want: ${why#softmaxbench: error: }" >&2
    return 1
  fi
  best="$(SOFTMAXBENCH_FORCE_ISA= "$cli" info --json | sed -n 's/.*"best": "\([a-z0-9]*\)".*/\1/p')"
  if [[ $best == "$want" ]]; then
    echo "$prog: --target-isa $want is this CPU's best ISA: a native run"
    target=""
    return 0
  fi
  case "$want" in
    avx2) export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 ;;
    sse2) export ONEDNN_MAX_CPU_ISA=SSE41 ATEN_CPU_CAPABILITY=default ;;
  esac
  export SOFTMAXBENCH_FORCE_ISA="$want"
  unset DNNL_MAX_CPU_ISA
}
