#!/usr/bin/env python3
"""scripts/report_cross_entropy.py on synthetic inputs: the bench JSON's cross-entropy entries
(median aggregates win over iteration rows, errors and softmax entries are ignored, the fastest
of each form over the ISAs is taken, ratios to PyTorch), the accuracy CSV's worst cases, and the
messages when either is missing. Standard library only:

    python3 tests/scripts/test_report_cross_entropy.py     (ctest: test_report_cross_entropy)
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import _common as C  # noqa: E402
import make_report as MR  # noqa: E402
import report_cross_entropy as RCE  # noqa: E402


def bench_row(name, ips, run_type="iteration", aggregate=None, error=False):
    r = {"name": name, "run_name": name, "run_type": run_type, "items_per_second": ips,
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


class ReportCrossEntropy(unittest.TestCase):
    def render(self, rows, csv_text=None, peer_text=None):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            bench = folder / "bench-t.json"
            bench.write_text(json.dumps({"benchmarks": rows}))
            if csv_text is not None:
                (folder / "accuracy-cross_entropy.csv").write_text(csv_text)
            if peer_text is not None:
                (folder / "peer-accuracy-cross_entropy.csv").write_text(peer_text)
            doc = MR.Doc(base=1)
            RCE.section(doc, Machine(folder, bench), folder / "REPORT.md", table=MR.table, code=MR.code,
                        figure=MR.figure, not_run=MR.not_run)
            return "\n".join(doc.lines)

    def test_throughput_table(self):
        rows = [
            bench_row("ce_fused.avx2.poly6:cross_entropy/32/32000", 1.0e9),
            bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000", 9.0e9),  # iteration row...
            bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000_median", 2.0e9, "aggregate", "median"),
            bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000_mean", 7.0e9, "aggregate", "mean"),
            bench_row("ce_fused.avx512.accurate:cross_entropy/32/32000", 1.5e9),
            bench_row("ce_log_softmax.avx512:cross_entropy/32/32000", 1.2e9, error=True),
            bench_row("pytorch_autograd:cross_entropy/32/32000", 0.2e9),
            bench_row("pytorch_aten:cross_entropy/32/32000", 0.5e9),
            bench_row("memcpy:cross_entropy/32/32000", 4.0e9),
            bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000/2/real_time", 3.0e9),
            bench_row("online.avx512/32/32000", 5.0e9),
        ]
        # The median aggregate (2.0) replaces its iteration row (9.0); the mean is ignored.
        rows[1]["run_name"] = rows[2]["run_name"] = rows[3]["run_name"] = \
            "ce_fused.avx512.poly6:cross_entropy/32/32000"
        text = self.render(rows)
        self.assertIn("| 32x32000 | 1 | 2 | 1.5 | — | — | 0.2 | 0.5 | 4 | 10.00× | 4.00× |", text)
        self.assertIn("| 32x32000 | 2 | 3 | — |", text)
        self.assertNotIn("online", text)
        self.assertIn("no accuracy-cross_entropy.csv", text)

    def test_split_rows_two_threads_over_one(self):
        rows = []
        for impl, one, two in (("ce_fused.avx512.poly6", 4e9, 7e9), ("ce_fused.avx512.accurate", 2e9, 3.9e9),
                               ("pytorch_autograd", 0.02e9, 0.03e9), ("pytorch_aten", 0.1e9, 0.15e9),
                               ("memcpy", 5e9, 8e9)):
            rows.append(bench_row(f"{impl}:cross_entropy/1/16777216", one))
            rows.append(bench_row(f"{impl}:cross_entropy/1/16777216/2/real_time", two))
        rows.append(bench_row("ce_log_softmax.avx512:cross_entropy/1/16777216", 1e9))  # 1T only
        rows.append(bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000", 3e9))
        rows.append(bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000/2/real_time", 5e9))
        text = self.render(rows)
        self.assertIn("The split rows' thread scaling", text)
        self.assertIn("| 1x16777216 | 2 ÷ 1 | `ce_fused.avx512.poly6` 4 → 7 | 1.75× | 1.95× | 1.50× | 1.50× | 1.60× |",
                      text)
        scaling = [l for l in text.splitlines() if "÷ 1 |" in l]
        self.assertEqual(len(scaling), 1, scaling)  # 32x32000 at 2 threads is row-parallel: not in it
        # The 2-thread 1x16M row is in the throughput table too (ce_log_softmax not timed there).
        self.assertIn("| 16777216 | 2 | 7 | 3.9 | — | — | 0.03 | 0.15 | 8 | 233.33× | 46.67× |".replace(
            "| 16777216", "| 1x16777216"), text)

    def test_no_entries_and_accuracy(self):
        csv_text = ("variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,"
                    "grad_ratio,grad_k,status,detail\n"
                    "ce_fused.scalar.accurate,ce_fused,scalar,accurate,normal_1,7,argmax,0,0.3,0.51,0.5,1,pass,\n"
                    "ce_fused.scalar.accurate,ce_fused,scalar,accurate,dominant_target,7,argmax,0,0.45,0.51,0.9,1,pass,\n"
                    "ce_softmax_log.scalar,ce_softmax_log,scalar,fast,dominant_target,7,argmax,0,1.6e+07,,0.1,6,"
                    "pass,\n")
        text = self.render([bench_row("online.avx512/1/64", 1e9)], csv_text)
        self.assertIn("no `<impl>:cross_entropy` entries", text)
        self.assertIn("| `ce_fused.scalar.accurate` | 0.45 | 0.51 | 0.45 | 0.9 | 1 | 2 | 0 |", text)
        self.assertIn("| `ce_softmax_log.scalar` | 1.6e+07 | none | 1.6e+07 | 0.1 | 6 | 1 | 0 |", text)

    def test_peers_beside_ours(self):
        header = ("variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,"
                  "grad_ratio,grad_k,status,detail\n")
        ours = header + "ce_fused.scalar.accurate,ce_fused,scalar,accurate,dominant_target,7,argmax,0,0.45,0.51,0.9,1,pass,\n"
        lib = "pytorch 1.13.0 (package 1.13.1+dfsg-4)"
        peers = header + (
            f"pytorch_autograd,{lib},avx2,peer,normal_1,1000,argmax,0,0.2752,,15.1,1,scored,\"grad[0] ... > 5e-11\"\n"
            f"pytorch_autograd,{lib},avx2,peer,normal_1,1000,other,0.1,0.6623,,9.5,1,scored,\n"
            f"pytorch_autograd,{lib},avx2,peer,dominant_target,1000,argmax,0,8.521e+06,,1.076,1,scored,\n"
            f"pytorch_autograd.avx512,{lib},avx512,peer,dominant_target,17,argmax,0,8.59e+06,,0.756,1,scored,\n"
            f"pytorch_autograd.avx512,{lib},avx512,peer,normal_1,17,argmax,0,,,,1,error,\"oops\"\n")
        text = self.render([bench_row("online.avx512/1/64", 1e9)], ours, peers)
        self.assertIn("the peers from `peer-accuracy-cross_entropy.csv`", text)
        lines = text.splitlines()
        at = {l.split(" |")[0]: i for i, l in enumerate(lines) if l.startswith("| `")}
        self.assertIn("| `pytorch_autograd` (peer) | 8.52e+06 | none | 8.52e+06 | 15.1 | 1 | 3 | 0 |", lines)
        self.assertIn("| `pytorch_autograd.avx512` (peer) | 8.59e+06 | none | 8.59e+06 | 0.756 | 1 | 2 | 1 |", lines)
        # One table: ours first, the peers below it.
        self.assertLess(at["| `ce_fused.scalar.accurate`"], at["| `pytorch_autograd` (peer)"])
        # The peers alone (no accuracy-cross_entropy.csv) still show, and say ours is missing.
        text = self.render([bench_row("online.avx512/1/64", 1e9)], None, peers)
        self.assertIn("No accuracy-cross_entropy.csv", text)
        self.assertIn("| `pytorch_autograd` (peer) | 8.52e+06 |", text)
        text = self.render([bench_row("online.avx512/1/64", 1e9)], ours)
        self.assertIn("Peers not scored: no peer-accuracy-cross_entropy.csv", text)

    def test_bf16(self):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            bench = folder / "bench-t.json"
            # A --smb_dtype=all run: the f32 table must not take the bf16 entries.
            bench.write_text(json.dumps({"benchmarks": [
                bench_row("ce_fused.avx512.poly6:cross_entropy/32/32000", 1.0e9),
                bench_row("ce_fused.avx512.poly6.bf16:cross_entropy/32/32000", 8.0e9),
                bench_row("pytorch_autograd:cross_entropy/32/32000", 0.5e9),
                bench_row("pytorch_autograd.bf16:cross_entropy/32/32000", 0.1e9)]}))
            (folder / "bf16-20260101-000000.json").write_text(json.dumps({"benchmarks": [
                bench_row("ce_fused.avx512.poly6.bf16:cross_entropy/8/128256", 2.0e9),
                bench_row("ce_fused.avx512bf16.poly6.bf16:cross_entropy/8/128256", 2.4e9),
                bench_row("ce_fused.avx512.accurate.bf16:cross_entropy/8/128256", 1.0e9),
                bench_row("ce_fused.avx512.poly6.bf16_f32:cross_entropy/8/128256", 1.5e9),
                bench_row("pytorch_autograd.bf16:cross_entropy/8/128256", 0.3e9),
                bench_row("pytorch_aten.bf16:cross_entropy/8/128256", 0.6e9),
                bench_row("memcpy.bf16:cross_entropy/8/128256", 6.0e9)]}))
            (folder / "accuracy-cross_entropy.csv").write_text(
                "variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,grad_ratio,"
                "grad_k,status,detail,dtype,grad_bf16_ulp,grad_bf16_correct\n"
                "ce_fused.avx2.accurate.bf16,ce_fused,avx2,accurate,normal_1,7,argmax,0,0.3,0.51,0.5,1,pass,,bf16,0.49,7/7\n"
                "ce_fused.avx2.accurate.bf16,ce_fused,avx2,accurate,normal_1,9,other,0,0.3,0.51,0.5,1,pass,,bf16,0.5,8/9\n"
                "ce_fused.avx2.poly6.bf16_f32,ce_fused,avx2,fast,normal_1,7,argmax,0,0.3,4,0.5,10,pass,,bf16_f32,,\n")
            doc = MR.Doc(base=1)
            RCE.section(doc, Machine(folder, bench), folder / "REPORT.md", table=MR.table, code=MR.code,
                        figure=MR.figure, not_run=MR.not_run)
            text = "\n".join(doc.lines)
        self.assertIn("| 32x32000 | 1 | 1 | — | — | — | 0.5 | — | — | 2.00× | — |", text)
        self.assertIn("| 8x128256 | 1 | 2.4 | 1 | 1.5 | 0.3 | 0.6 | 6 | 8.00× | 4.00× |", text)
        self.assertIn("| `ce_fused.avx2.accurate.bf16` | 0.5 | 93.7500 % of 16 |", text)
        bf16_table = text.split("The bf16 gradients")[1].split("From `accuracy")[0]
        self.assertNotIn("bf16_f32", bf16_table)  # float32 gradients: in the main table only

    def test_softmax_report_ignores_other_ops(self):
        self.assertIsNone(C.parse_name("ce_fused.avx512.poly6:cross_entropy/32/32000"))
        self.assertEqual(C.parse_name("online.avx2:log/1/4096")[1], "log_softmax")


if __name__ == "__main__":
    unittest.main()
