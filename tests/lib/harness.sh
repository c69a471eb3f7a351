# Shared by the shell tests: `source` it, then call harness_args "USAGE" "$@".
# Counters and the check verbs; harness_finish prints "N passed, M failed" (the line ctest
# output is read for) and exits non-zero on any failure.
passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1${2:+ -- $2}"; failed=$((failed + 1)); }
notice() { echo "SKIP: $1"; }

# harness_args USAGE ARG1 ARG2: exactly two arguments, else the usage line and exit 2.
harness_args() {
    local usage=$1
    shift
    if [[ $# -ne 2 ]]; then
        echo "usage: $0 $usage" >&2
        exit 2
    fi
}

harness_finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
