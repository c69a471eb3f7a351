#!/usr/bin/env python3
"""scripts/report_floors.py (the report's "Distance to the floor") on a synthetic bench JSON: the
floor is the slowest of memcpy, floor:exp and floor:exp_write; ours ÷ the floor; each goal (3×
oneDNN, 3× PyTorch at its faster capability or 2× at 2 threads, 0.85× memcpy at 1×16M) above or
below the floor, met or not; "not measured in this run" for what the run lacks; the section and
the README's link through make_report.py. Standard library only:

    python3 tests/scripts/test_report_floors.py     (ctest: test_report_floors)
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import _common as C  # noqa: E402
import make_report as MR  # noqa: E402
import report_floors as RF  # noqa: E402

REGISTRY = [
    {"name": "guarded.avx512", "aliases": [], "isa": "avx512", "tier": "fast", "max_ulp": 6, "max_ulp_log": 3,
     "accurate_max_ulp": 1},
    {"name": "max_shifted.avx512.accurate", "aliases": [], "isa": "avx512", "tier": "accurate", "max_ulp": 1,
     "max_ulp_log": 1, "accurate_max_ulp": 1},
]

# (name, G elem/s, error): threaded names end in /<threads>/real_time.
RUNS = [
    # 1x4096, 1 thread: floor = floor:exp 6.0. oneDNN 1.5 -> goal 4.5 (0.75 of the floor), met by
    # guarded 4.5; PyTorch's faster capability 1.8 -> goal 5.4 (0.90), guarded at 0.833 of it.
    ("memcpy/1/4096", 50.0, None), ("floor:exp/1/4096", 6.0, None), ("floor:exp_write/1/4096", 7.0, None),
    ("guarded.avx512/1/4096", 4.5, None), ("max_shifted.avx512.accurate/1/4096", 1.5, None),
    ("onednn/1/4096", 1.5, None), ("pytorch/1/4096", 1.0, None), ("pytorch.avx512/1/4096", 1.8, None),
    # 4096x128, 2 threads: floor = floor:exp_write 3.0. oneDNN 1.2 -> 3.6: above (1.20x); PyTorch
    # 1.0 at 2 threads -> 2x = 2.0 (0.67 of the floor), met by guarded 2.7 (1.35x).
    ("memcpy/4096/128/2/real_time", 10.0, None), ("floor:exp/4096/128/2/real_time", 4.0, None),
    ("floor:exp_write/4096/128/2/real_time", 3.0, None), ("guarded.avx512/4096/128/2/real_time", 2.7, None),
    ("onednn/4096/128/2/real_time", 1.2, None), ("pytorch/4096/128/2/real_time", 1.0, None),
    # 1x16M, 1 thread: floor = floor:exp_write 1.6; 0.85 x memcpy 2.0 = 1.7: above (1.06x).
    ("memcpy/1/16777216", 2.0, None), ("floor:exp/1/16777216", 1.9, None),
    ("floor:exp_write/1/16777216", 1.6, None), ("guarded.avx512/1/16777216", 1.2, None),
    ("onednn/1/16777216", 0.5, None),
    # 1x64: floor:exp skipped, oneDNN and PyTorch not in the run.
    ("memcpy/1/64", 16.0, None), ("floor:exp/1/64", None, "floor:exp: check failed: max rel err 0.0001 > 1e-06"),
    ("floor:exp_write/1/64", 4.0, None), ("guarded.avx512/1/64", 2.0, None),
]


def bench_json(runs, variants=REGISTRY) -> str:
    rows = []
    for name, gps, err in runs:
        threads = int(name.split("/")[3]) if name.endswith("/real_time") else 1
        parts = name.split("/")
        elems = int(parts[1]) * int(parts[2])
        row = {"name": name, "run_name": name, "run_type": "iteration", "iterations": 10, "threads": 1,
               "time_unit": "ns", "label": ""}
        if err is not None:
            row.update(error_occurred=True, error_message=err)
        else:
            row.update(items_per_second=gps * 1e9, real_time=elems / gps,
                       cpu_time=elems / gps)
        rows.append(row)
    return json.dumps({"context": {"variants": json.dumps(variants), "git_commit": "abc"}, "benchmarks": rows})


class Floors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = Path(self.tmp.name) / "machine"
        self.folder.mkdir()

    def tearDown(self):
        self.tmp.cleanup()

    def lines(self, runs):
        (self.folder / "bench-20260101-000000.json").write_text(bench_json(runs))
        run = C.load_bench(self.folder / "bench-20260101-000000.json", self.folder)
        return RF.section_lines(run, 1.0, MR.table)

    def row(self, lines, shape, threads):
        found = [l for l in lines if l.startswith(f"| {shape} | {threads} |")]
        self.assertEqual(len(found), 1, f"one row for {shape} at {threads} threads: {found}")
        return [c.strip() for c in found[0].strip("|").split(" | ")]

    def test_fractions_and_verdicts(self):
        lines = self.lines(RUNS)
        r = self.row(lines, "1x4096", 1)
        self.assertEqual(r[2:7], ["50", "6", "7", "3.23", "6"])  # memcpy, exp, exp_write, both in turn, floor
        self.assertEqual(r[7:11], ["`guarded.avx512` 4.5", "`max_shifted.avx512.accurate` 1.5", "1.5",
                                   "`pytorch.avx512` 1.8"])
        self.assertEqual(r[11:13], ["0.75", "0.25"])
        self.assertEqual(r[13], "below the floor (0.75 of it): met (fastest at 1× the goal)")
        self.assertEqual(r[14], "below the floor (0.90 of it): reachable, the gap is ours (fastest at 0.833 of the goal)")
        self.assertEqual(r[15], "—")

        r = self.row(lines, "4096x128", 2)
        self.assertEqual(r[6], "3")
        self.assertEqual(r[11], "0.90")
        self.assertEqual(r[13], "**above the floor** (needs 1.20× it): not reachable with today's exp")
        self.assertEqual(r[14], "below the floor (0.67 of it): met (fastest at 1.35× the goal)")
        self.assertEqual(r[8], "not measured in this run")  # no accurate variant on that shape

        r = self.row(lines, "1x16777216", 1)
        self.assertEqual(r[6], "1.6")
        self.assertEqual(r[11], "0.75")
        self.assertEqual(r[13:15], ["—", "—"])
        self.assertEqual(r[15], "**above the floor** (needs 1.06× it): not reachable with today's exp")

        r = self.row(lines, "1x64", 1)
        self.assertTrue(r[3].startswith("not timed (floor:exp: check failed"), r[3])
        self.assertEqual(r[6], "4")  # the floors that ran: memcpy 16, floor:exp_write 4
        self.assertEqual(r[5], "not measured in this run")
        self.assertEqual(r[11], "0.50")
        self.assertEqual(r[13:15], ["not measured in this run"] * 2)  # no oneDNN, no PyTorch

        # Headline rows first in the headline order; the missing headline shapes are named.
        shapes = [l.split(" | ")[0][2:] for l in lines if l.startswith("| 1x") or l.startswith("| 4096x")]
        self.assertEqual(shapes, ["1x64", "1x4096", "1x16777216", "4096x128"])
        self.assertIn("Headline shapes not measured in this run (no memcpy or floor entry): 1x65536, 32x32000.", lines)
        self.assertFalse(any("have no `floor:exp`" in l for l in lines))

    def test_no_floor_entries(self):
        lines = self.lines([r for r in RUNS if not r[0].startswith("floor:")])
        self.assertTrue(any(l.startswith("*Floors not measured in this run:") for l in lines))
        r = self.row(lines, "1x4096", 1)
        self.assertEqual(r[3:6], ["not measured in this run"] * 3)
        self.assertEqual(r[6], "50")  # memcpy alone

    def test_nothing_to_compare(self):
        lines = self.lines([r for r in RUNS if r[0].startswith("guarded")])
        self.assertTrue(any(l.startswith("*No memcpy or floor entry in") for l in lines))
        self.assertFalse(any(l.startswith("| Shape |") for l in lines))  # no empty table
        self.assertIn("Headline shapes not measured in this run (no memcpy or floor entry): 1x64, 1x4096, "
                      "1x65536, 1x16777216, 4096x128, 32x32000.", lines)

    def test_make_report_section_and_readme_link(self):
        (self.folder / "bench-20260101-000000.json").write_text(bench_json(RUNS))
        m = MR.load_machine(self.folder, None)
        MR.ACC = 1.0
        doc = MR.Doc(base=1)
        MR.machine_sections(doc, m, self.folder / "REPORT.md")
        text = "\n".join(doc.lines)
        self.assertIn("## Distance to the floor\n", text)
        self.assertIn("| 1x4096 | 1 | 50 | 6 | 7 |", text)
        readme = Path(self.tmp.name) / "README.md"
        block = "\n".join(MR.readme_block(m, readme))
        self.assertIn("[Distance to the floor](machine/REPORT.md#distance-to-the-floor)", block)


if __name__ == "__main__":
    unittest.main()
