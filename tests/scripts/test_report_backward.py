#!/usr/bin/env python3
"""scripts/report_backward.py's accuracy table on synthetic CSVs: our variants from
accuracy-backward.csv, then the peers from peer-accuracy-backward.csv (bench/peer_accuracy) in
the same table: per (peer, op) the worst k over every case and where, the worst ULP where well
conditioned, library errors counted; the notes when either file is missing. Standard library only:

    python3 tests/scripts/test_report_backward.py     (ctest: test_report_backward)
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import report_backward as RB  # noqa: E402

OURS = ("variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,max_ulp_conditioned,conditioned,"
        "special_mismatches,status\n"
        "backward.avx512,avx512,fast,softmax_backward,normal_1,normal,17,6.1,0.5,3,0.9,17,0,pass\n"
        "backward.avx512,avx512,fast,softmax_backward,normal_20,huge,1000,6.1,2.5,9,1.5,990,0,pass\n")
PEERS = ("variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,max_ulp_conditioned,conditioned,"
         "special_mismatches,status,note\n"
         "onednn,,peer,softmax_backward,normal_1,normal,17,,1.25,3,2,17,0,scored,\n"
         "onednn,,peer,softmax_backward,normal_20,onehot,1000,,54.2,7,9.5,980,0,scored,\n"
         "onednn,,peer,log_softmax_backward,normal_20,onehot,65537,,4.91e+06,382,1.07e+07,886,0,scored,\n"
         "pytorch.avx512,avx512,peer,softmax_backward,ties,constant,65537,,115,0,3,65537,0,scored,\n"
         "pytorch.avx512,avx512,peer,softmax_backward,normal_1,huge,17,,,,,,,error,\"out of memory\"\n")


class ReportBackwardAccuracy(unittest.TestCase):
    def render(self, ours=None, peers=None):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            if ours is not None:
                (folder / "accuracy-backward.csv").write_text(ours)
            if peers is not None:
                (folder / "peer-accuracy-backward.csv").write_text(peers)
            return "\n".join(RB.section_lines(folder, None, folder / "REPORT.md"))

    def test_peers_beside_ours(self):
        text = self.render(OURS, PEERS)
        self.assertIn("| `backward.avx512` | `softmax_backward` | fast | 2.5 | 6.1 | normal_20, dy huge, n=1000 |", text)
        self.assertIn("| `onednn` | `softmax_backward` | peer | 54.2 | none | normal_20, dy onehot, n=1000 | 9.5 | 2 | 0 |",
                      text)
        self.assertIn("| `onednn` | `log_softmax_backward` | peer | 4.91e+06 | none | normal_20, dy onehot, n=65537 | "
                      "1.07e+07 | 1 | 0 |", text)
        self.assertIn("| `pytorch.avx512` | `softmax_backward` | peer | 115 | none | ties, dy constant, n=65537 | 3 | 2 | "
                      "1 errors |", text)
        self.assertIn("`peer-accuracy-backward.csv`: 5 cases, 1 library errors", text)
        # One table: the peers' rows follow ours under the same header.
        lines = text.splitlines()
        ours_at = next(i for i, l in enumerate(lines) if l.startswith("| `backward.avx512`"))
        peer_at = next(i for i, l in enumerate(lines) if l.startswith("| `onednn`"))
        self.assertTrue(ours_at < peer_at and all(lines[i].startswith("|") for i in range(ours_at, peer_at)))

    def test_missing_files(self):
        text = self.render(OURS, None)
        self.assertIn("Peers not scored: no peer-accuracy-backward.csv", text)
        text = self.render(None, PEERS)
        self.assertIn("Accuracy not run: no accuracy-backward.csv", text)
        self.assertIn("| `onednn` | `softmax_backward` | peer | 54.2 |", text)


def bench_row(name, ips):
    return {"name": name, "run_name": name, "run_type": "iteration", "items_per_second": ips,
            "real_time": 1.0, "time_unit": "ms"}


class ReportBackwardThreadScaling(unittest.TestCase):
    """The split rows' 2T / 1T: shapes with fewer rows than threads (1x16M at 2 threads), each
    implementation against itself at 1 thread; row-parallel shapes (4096x128 at 2) are not in it."""

    def render(self, rows):
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            bench = folder / "bench-20000101-000000.json"
            bench.write_text(json.dumps({"benchmarks": rows}))
            return "\n".join(RB.section_lines(folder, bench, folder / "REPORT.md"))

    def test_two_threads_over_one(self):
        rows = []
        for impl, one, two in (("backward.avx512", 10e9, 18e9), ("backward.avx512.accurate", 5e9, 9.5e9),
                               ("onednn", 2e9, 2e9), ("pytorch", 1e9, 1.5e9), ("memcpy", 8e9, 12e9)):
            rows.append(bench_row(f"{impl}:softmax_backward/1/16777216", one))
            rows.append(bench_row(f"{impl}:softmax_backward/1/16777216/2/real_time", two))
            rows.append(bench_row(f"{impl}:log_softmax_backward/1/16777216", one))  # no 2T: no row
        rows.append(bench_row("backward.avx512:softmax_backward/4096/128", 20e9))
        rows.append(bench_row("backward.avx512:softmax_backward/4096/128/2/real_time", 30e9))
        rows.append(bench_row("onednn:softmax_backward/4096/128/2/real_time", 3e9))
        text = self.render(rows)
        self.assertIn("The split rows' thread scaling", text)
        self.assertIn("| `softmax_backward` | 1x16777216 | 2 ÷ 1 | `backward.avx512` 10 → 18 | 1.80× | 1.90× | "
                      "1.00× | 1.50× | 1.50× |", text)
        scaling = [l for l in text.splitlines() if "÷ 1 |" in l]
        self.assertEqual(len(scaling), 1, scaling)  # not 4096x128 (row-parallel), not log (no 2T)
        self.assertNotIn("never one row", text)

    def test_no_split_rows_no_table(self):
        text = self.render([bench_row("backward.avx512:softmax_backward/4096/128", 20e9),
                            bench_row("backward.avx512:softmax_backward/4096/128/2/real_time", 30e9),
                            bench_row("onednn:softmax_backward/4096/128", 3e9)])
        self.assertNotIn("thread scaling", text)
        self.assertIn("| `softmax_backward` | 4096x128 | 1 | `backward.avx512` 20 |", text)


class ReproduceRunsThePeerOps(unittest.TestCase):
    def test_peer_step_scores_every_op(self):
        # reproduce.sh's peer step writes peer-accuracy-{backward,cross_entropy,bf16}.csv beside
        # peer-accuracy.csv: peer_accuracy with every op (no --ops filter), at the sweep's mode.
        text = (Path(__file__).resolve().parents[2] / "scripts" / "reproduce.sh").read_text()
        calls = [l for l in text.splitlines() if l.startswith("build/release/bench/peer_accuracy")]
        self.assertEqual(calls, ['build/release/bench/peer_accuracy "--$mode" --out "$out/peer-accuracy.csv"'])
        for name in ("peer-accuracy-backward.csv", "peer-accuracy-cross_entropy.csv", "peer-accuracy-bf16.csv"):
            self.assertIn(name, text)


if __name__ == "__main__":
    unittest.main()
