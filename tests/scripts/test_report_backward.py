#!/usr/bin/env python3
"""scripts/report_backward.py's accuracy table on synthetic CSVs: our variants from
accuracy-backward.csv, then the peers from peer-accuracy-backward.csv (bench/peer_accuracy) in
the same table: per (peer, op) the worst k over every case and where, the worst ULP where well
conditioned, library errors counted; the notes when either file is missing. Standard library only:

    python3 tests/scripts/test_report_backward.py     (ctest: test_report_backward)
"""
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
