"""Shared by the shell tests whose checks are Python (tests/bench/*.sh run a Python body): the
check verb and the closing line, as tests/lib/harness.sh gives the bash tests. The script puts
this folder on PYTHONPATH (`PYTHONPATH=<tests/lib> exec "$py" - ...`), then
`from harness import check, finish`. finish() prints "N passed, M failed" (the line ctest
output is read for) and exits non-zero on any failure."""
import sys

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
