#!/usr/bin/env python3
"""scripts/report_bf16.py on synthetic inputs: the newest bf16-*.json of the folder (median
aggregates win over iteration rows, errors and log_softmax entries are ignored, the fastest of
our variants per dtype is taken), the goal ratios (1x16M against our own f32 rate from the main
bench file, and against oneDNN bf16; 1x4096 against oneDNN and PyTorch bf16), the accuracy table
from accuracy-bf16.csv, the messages when either is missing, and make_report's hook. Standard
library only:

    python3 tests/scripts/test_report_bf16.py     (ctest: test_report_bf16)
"""
import inspect
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import _common as C  # noqa: E402
import make_report as MR  # noqa: E402
import report_bf16 as RBF  # noqa: E402


def bench_row(name, ips, run_type="iteration", aggregate=None, error=False, run_name=None):
    r = {"name": name, "run_name": run_name or name, "run_type": run_type, "items_per_second": ips,
         "real_time": 1.0, "time_unit": "ns"}
    if aggregate:
        r["aggregate_name"] = aggregate
    if error:
        r["error_occurred"] = True
        r["error_message"] = "skipped"
    return r


class Machine:
    def __init__(self, folder, bench):
        self.folder = folder
        self.run = C.BenchRun(bench, {}, [], "single")


ACC_HEADER = ("variant,isa,tier,dtype,op,distribution,n,unit,bound,max_ulp,band,correctly_rounded,"
              "frac_correctly_rounded,status,detail\n")


class ReportBf16(unittest.TestCase):
    def render(self, bf16_runs, main_rows, csv_text=None, peer_text=None):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            bench = folder / "bench-20260101-000000.json"
            bench.write_text(json.dumps({"benchmarks": main_rows}))
            for name, rows in bf16_runs.items():
                (folder / name).write_text(json.dumps({"benchmarks": rows}))
            if csv_text is not None:
                (folder / "accuracy-bf16.csv").write_text(csv_text)
            if peer_text is not None:
                (folder / "peer-accuracy-bf16.csv").write_text(peer_text)
            doc = MR.Doc(base=1)
            RBF.section(doc, Machine(folder, bench), folder / "REPORT.md", table=MR.table, code=MR.code,
                        figure=MR.figure, not_run=MR.not_run)
            return "\n".join(doc.lines)

    def test_throughput_and_goals(self):
        big, small = "1/16777216", "1/4096"
        rows = [
            bench_row(f"online.avx2.bf16/{big}", 1.0e9),
            bench_row(f"online.avx512.bf16/{big}_median", 3.4e9, "aggregate", "median",
                      run_name=f"online.avx512.bf16/{big}"),
            bench_row(f"online.avx512.bf16/{big}_mean", 9.9e9, "aggregate", "mean",
                      run_name=f"online.avx512.bf16/{big}"),
            bench_row(f"online.avx512.bf16/{big}", 8.8e9),  # an iteration row: the median wins
            bench_row(f"online.avx512.bf16_f32/{big}", 2.0e9),
            bench_row(f"online.avx512.bf16:log/{big}", 50e9),  # log_softmax: not in the table
            bench_row(f"onednn.bf16/{big}", 1.0e9),
            bench_row(f"onednn_log.bf16/{big}", 60e9),
            bench_row(f"pytorch.bf16/{big}", 0.5e9, error=True),
            bench_row(f"memcpy.bf16/{big}", 4.0e9),
            bench_row(f"online.avx512.bf16/{big}/2/real_time", 5.0e9),
            bench_row(f"online.avx512.bf16/{small}", 6.0e9),
            bench_row(f"onednn.bf16/{small}", 2.0e9),
            bench_row(f"pytorch.bf16/{small}", 1.5e9),
            bench_row("online.avx512.bf16/1/65536", 4.0e9),
            bench_row("onednn.bf16/1/65536", 2.0e9),
            bench_row(f"onednn.bf16/{big}/2/real_time", 2.0e9),
        ]
        old = [bench_row(f"online.avx512.bf16/{small}", 99e9)]  # an older run: not read
        main = [bench_row(f"online.avx512/{big}", 2.0e9), bench_row(f"max_shifted.avx512/{big}", 1.0e9),
                bench_row(f"onednn/{big}", 9.0e9), bench_row(f"online.avx512:log/{big}", 9.0e9)]
        text = self.render({"bf16-20260101-000000.json": old, "bf16-20260102-000000.json": rows}, main)
        self.assertIn("From `bf16-20260102-000000.json`", text)
        self.assertIn("| 1x4096 | 1 | 6 | — | 2 | 1.5 | — | `online.avx512.bf16` | 3.00× | 4.00× |", text)
        self.assertIn("| 1x16777216 | 1 | 3.4 | 2 | 1 | — | 4 | `online.avx512.bf16` | 3.40× | "
                      "not measured in this run |", text)
        self.assertIn("| 1x16777216 | 2 | 5 | — |", text)
        self.assertIn("1×16M ÷ our own f32 rate (`online.avx512` in `bench-20260101-000000.json`: two runs on this machine", text)
        self.assertIn("own f32 rate", text)
        self.assertIn("1.70× (goal ≥ 1.7×: met)", text)
        self.assertIn("- 1×16M ÷ oneDNN bf16: 3.40× (goal ≥ 3×: met)", text)
        self.assertIn("- in cache (1×4096) ÷ oneDNN bf16: 3.00× (goal ≥ 2.5×: met)", text)
        self.assertIn("- in cache (1×4096) ÷ PyTorch bf16: 4.00× (goal ≥ 3×: met)", text)
        self.assertIn("- in cache (1×65536) ÷ oneDNN bf16: 2.00× (goal ≥ 2.5×: not met)", text)
        self.assertIn("- in cache (1×65536) ÷ PyTorch bf16: not measured in this run", text)
        # The 2-thread goals: against oneDNN at 2 threads; no f32 2-thread rate in the main file.
        two = text[text.index("Issue 15's goals, 2 threads"):]
        self.assertIn("- 1×16M ÷ oneDNN bf16: 2.50× (goal ≥ 3×: not met)", two)
        self.assertIn("two runs on this machine, not one, so the ratio carries both runs' noise): not measured in this run", two)
        self.assertNotIn("in cache", two.split("\n\n")[1])
        self.assertIn("bf16-20260102-000000.png", text)
        self.assertIn("accuracy of the bf16 variants not measured in this run", text)

    def test_f32_rate_from_the_same_run(self):
        big = "1/16777216"
        rows = [bench_row(f"guarded.avx512bf16.bf16/{big}", 6.0e9),
                bench_row(f"guarded.avx512.bf16/{big}/2/real_time", 9.0e9),
                bench_row(f"online.avx512/{big}", 2.0e9),  # f32 in the bf16 run: the goal's rate
                bench_row(f"auto/{big}", 3.0e9),
                bench_row(f"naive.avx512/{big}", 8.0e9),  # unsafe: not the goal's rate
                bench_row(f"numpy_guide/{big}", 9.0e9),  # a peer (bench.sh merges NumPy's entries)
                bench_row(f"online.avx512:log/{big}", 99e9)]  # log_softmax: not a softmax rate
        main = [bench_row(f"online.avx512/{big}", 1.0e9),
                bench_row(f"guarded.avx512/{big}/2/real_time", 4.0e9)]
        text = self.render({"bf16-20260102-000000.json": rows}, main)
        self.assertIn("1×16M ÷ our own f32 rate (`auto` in the same run, `bf16-20260102-000000.json`): "
                      "2.00× (goal ≥ 1.7×: met)", text)
        # No 2-thread f32 entry in the bf16 run: the main file's, with the two-run caveat.
        two = text[text.index("Issue 15's goals, 2 threads"):]
        self.assertIn("1×16M ÷ our own f32 rate (`guarded.avx512` in `bench-20260101-000000.json`: two runs "
                      "on this machine, not one, so the ratio carries both runs' noise): 2.25× (goal ≥ 1.7×: met)", two)
        # The f32 entries are not a bf16 column of the table.
        self.assertIn("| 1x16777216 | 1 | 6 | — | — | — | — | `guarded.avx512bf16.bf16` |", text)

    def test_no_run_and_accuracy(self):
        csv_text = ACC_HEADER + (
            "online.avx512.bf16,avx512,fast,bf16,softmax,normal_1,7,bf16_ulp,0.500092,0.5,7,6,0.857,pass,\n"
            "online.avx512.bf16,avx512,fast,bf16,log_softmax,normal_1,7,bf16_ulp,0.500046,0.25,7,7,1,pass,\n"
            "online.avx512.bf16,avx512,fast,bf16,softmax,ties,7,bf16_ulp,0.500092,0.75,6,0,0,fail,over\n"
            "online.avx512.bf16_f32,avx512,fast,bf16_f32,softmax,normal_1,7,f32_ulp,2,1.5,7,3,0.4,pass,\n"
            "naive.avx512.bf16,avx512,unsafe,bf16,softmax,offset_1e4,7,bf16_ulp,0.5,nan,0,0,nan,"
            "out_of_domain,\n")
        text = self.render({}, [bench_row("online.avx512/1/64", 1e9)], csv_text)
        self.assertIn("Not run: no bf16-*.json", text)
        self.assertIn("| `online.avx512.bf16` | bf16 ulp | 0.75 (≤ 0.500092) | 0.25 (≤ 0.500046) | "
                      "65.0000 % | 3 | 1 | 0 |", text)
        self.assertIn("| `online.avx512.bf16_f32` | f32 ulp | 1.5 (≤ 2) | — | 42.8571 % | 1 | 0 | 0 |", text)
        self.assertIn("| `naive.avx512.bf16` | bf16 ulp | — | — | — | 1 | 0 | 1 |", text)

    def test_peers_beside_ours(self):
        ours = ACC_HEADER + "online.avx512.bf16,avx512,fast,bf16,softmax,normal_1,7,bf16_ulp,0.500092,0.5,7,6,0.857,pass,\n"
        peers = ACC_HEADER + (
            "onednn.bf16,,peer,bf16,softmax,normal_1,1000,bf16_ulp,,1.3033,1000,758,0.758,scored,\n"
            "onednn.bf16,,peer,bf16,softmax,normal_20,1000,bf16_ulp,,178.5,886,654,0.738,scored,\n"
            "onednn.bf16,,peer,bf16,log_softmax,normal_1,1,bf16_ulp,,0,0,0,nan,scored,\"want the exact special value at 0\"\n"
            "pytorch.avx512.bf16,avx512,peer,bf16,softmax,normal_1,1000,bf16_ulp,,0.499674,1000,1000,1,scored,\n"
            "pytorch.avx512.bf16,avx512,peer,bf16,log_softmax,normal_1,1000,bf16_ulp,,,,,,error,oops\n")
        text = self.render({}, [bench_row("online.avx512/1/64", 1e9)], ours, peers)
        self.assertIn("the peers from `peer-accuracy-bf16.csv`", text)
        lines = text.splitlines()
        self.assertIn("| `onednn.bf16` (peer) | bf16 ulp | 178.5 (no bound) | 0 (no bound) | 74.8674 % | 3 | 0 | 0 |", lines)
        self.assertIn("| `pytorch.avx512.bf16` (peer) | bf16 ulp | 0.4997 (no bound) | — | 100.0000 % | 2 | 1 | 0 |", lines)
        ours_at = next(i for i, l in enumerate(lines) if l.startswith("| `online.avx512.bf16` |"))
        peer_at = next(i for i, l in enumerate(lines) if l.startswith("| `onednn.bf16` (peer)"))
        self.assertTrue(ours_at < peer_at and all(lines[i].startswith("|") for i in range(ours_at, peer_at)))
        text = self.render({}, [bench_row("online.avx512/1/64", 1e9)], None, peers)
        self.assertIn("not measured in this run (no accuracy-bf16.csv); the peers only", text)
        self.assertIn("| `onednn.bf16` (peer) |", text)
        text = self.render({}, [bench_row("online.avx512/1/64", 1e9)], ours)
        self.assertIn("Peers not scored: no peer-accuracy-bf16.csv", text)

    def test_make_report_calls_the_section(self):
        self.assertIn("RBF.section(", inspect.getsource(MR.machine_sections))

    def test_reproduce_runs_the_bf16_bench_and_plot(self):
        text = (Path(__file__).resolve().parents[2] / "scripts" / "reproduce.sh").read_text()
        self.assertIn('bf16_file="$out/bf16-$(date -u +%Y%m%d-%H%M%S).json"', text)
        self.assertIn("bf16_extra=(-- --smb_dtype=bf16)", text)
        self.assertIn('--no-build --out "$bf16_file" "${bf16_extra[@]}"', text)
        self.assertIn('scripts/report_bf16.py --results "$out" --bf16 "$bf16_file"', text)


if __name__ == "__main__":
    unittest.main()
