# Shared by the shell tests: `source` it, then call harness_args "USAGE" "$@".
# Counters and the check verbs; harness_finish prints "N passed, M failed" (the line ctest
# output is read for) and exits non-zero on any failure. The softmaxbench helpers (run_cmd,
# expect_error) use the test's BIN (the binary) and WORK (its scratch directory).
passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1${2:+ -- $2}"; failed=$((failed + 1)); }
notice() { echo "SKIP: $1"; }
# check DESC CONDITION [DETAIL]: passes when `eval CONDITION` succeeds, else fails with DETAIL.
check() { if eval "$2"; then pass "$1"; else fail "$1" "${3:-}"; fi; }

# harness_args USAGE ARG1 ARG2: exactly two arguments, else the usage line and exit 2.
harness_args() {
    local usage=$1
    shift
    if [[ $# -ne 2 ]]; then
        echo "usage: $0 $usage" >&2
        exit 2
    fi
}

# cli_setup SUBDIR ARG1 ARG2: the start of every softmaxbench CLI test. Takes the two arguments
# (<path-to-softmaxbench> <scratch-dir>, else the usage line and exit 2) as BIN and WORK, requires
# BIN to be an executable, clears SOFTMAXBENCH_FORCE_ISA, sets LC_ALL=C and makes WORK afresh with
# WORK/SUBDIR in it (SUBDIR "" for WORK alone).
cli_setup() {
    local sub=$1
    shift
    harness_args "<path-to-softmaxbench> <scratch-dir>" "$@"
    BIN=$1
    WORK=$2
    require_exec "$BIN"
    unset SOFTMAXBENCH_FORCE_ISA
    export LC_ALL=C
    rm -rf -- "$WORK"
    mkdir -p -- "$WORK${sub:+/$sub}"
}

harness_finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

# require_exec FILE [HINT]: exit 2 with "error: 'FILE' is not an executable" unless it is one.
require_exec() {
    if [[ ! -x $1 ]]; then
        echo "error: '$1' is not an executable${2:+ ($2)}" >&2
        exit 2
    fi
}

# find_python [MODULE]: prints the path of the first of $PYTHON, python3 (from PATH) and
# /usr/bin/python3 that exists and, with MODULE, can import it (the order the project's scripts
# use); prints nothing and returns 1 when none does.
find_python() {
    local p
    for p in ${PYTHON:+"$PYTHON"} python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && { [[ -z ${1:-} ]] || "$p" -c "import $1" >/dev/null 2>&1; }; then
            command -v "$p"
            return 0
        fi
    done
    return 1
}

# run_cmd ARGS...: runs $BIN, setting RC, OUT (stdout) and ERR (stderr; both also kept in
# $WORK/stdout and $WORK/stderr).
run_cmd() {
    "$BIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    RC=$?
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

# expect_error DESC RC PATTERN ARGS...: `$BIN ARGS...` must exit with RC, print nothing on
# stdout, exactly one stderr line starting with "softmaxbench: error: " and containing PATTERN,
# and leave its output directory empty (no output, no temporary). "@OUT@" in ARGS is replaced by
# a fresh OUTPUT path in an empty directory ($WORK/err<N>/out.npy); "@DIR@" by that directory.
case_no=0
expect_error() {
    local desc=$1 want_rc=$2 pattern=$3
    shift 3
    case_no=$((case_no + 1))
    local dir=$WORK/err$case_no
    mkdir -p -- "$dir"
    local args=() a
    for a in "$@"; do
        a=${a//@OUT@/$dir/out.npy}
        args+=("${a//@DIR@/$dir}")
    done
    run_cmd "${args[@]}"
    local lines
    lines=$(wc -l <"$WORK/stderr")
    local left
    left=$(ls -A -- "$dir")
    if [[ $RC -ne $want_rc ]]; then
        fail "$desc" "exit status $RC, expected $want_rc (stderr: $ERR)"
    elif [[ $lines -ne 1 ]]; then
        fail "$desc" "stderr has $lines lines, expected 1: $ERR"
    elif [[ $ERR != "softmaxbench: error: "* ]]; then
        fail "$desc" "stderr does not start with 'softmaxbench: error: ': $ERR"
    elif [[ $ERR != *"$pattern"* ]]; then
        fail "$desc" "stderr lacks '$pattern': $ERR"
    elif [[ -n $OUT ]]; then
        fail "$desc" "unexpected stdout: $OUT"
    elif [[ -n $left ]]; then
        fail "$desc" "files left in the output directory: $left"
    else
        pass "$desc [exit $RC: ${ERR#softmaxbench: error: }]"
    fi
}
