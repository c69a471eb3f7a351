# gdb script for bench/uarch/call_cost.cpp (usage there): single-steps call_batch() and
# call_row() and prints the instructions each executed, in total and per function. A
# measurement tool, not part of the build or the tests.
import collections

import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set suppress-cli-notifications on")  # no frame line per step (gdb 12+)


def count(fn):
    # From fn's first instruction to its return (the stack pointer above its entry value).
    gdb.execute("break *" + fn, to_string=True)
    gdb.execute("run" if not gdb.selected_inferior().pid else "continue", to_string=True)
    sp0 = int(gdb.parse_and_eval("(unsigned long)$sp"))
    n = 0
    per = collections.Counter()
    while int(gdb.parse_and_eval("(unsigned long)$sp")) <= sp0:
        frame = gdb.selected_frame()
        per[(frame.name() or hex(frame.pc()))[:100]] += 1
        gdb.execute("stepi", to_string=True)
        n += 1
    print("%s: %d instructions" % (fn, n))
    for name, c in per.most_common(8):
        print("  %6d  %s" % (c, name))


count("call_batch")
count("call_row")
gdb.execute("kill")
