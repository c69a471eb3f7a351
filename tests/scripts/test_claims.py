#!/usr/bin/env python3
"""The verdict rules of scripts/claims.py on synthetic inputs: each claim's holds / holds partly /
does not hold / not measured, at and around the margins the rules state. (The report section on
a real run is checked by test_report.sh.) Standard library only:

    python3 tests/scripts/test_claims.py            (ctest: test_claims)
"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import _common as C  # noqa: E402
import claims as CL  # noqa: E402

BIG, SMALL = CL.OUT_OF_CACHE, CL.IN_CACHE


def run(name: str, results: dict, dispatch: str = "avx512") -> C.BenchRun:
    """A bench run: {(impl, shape): G elem/s, or None for a benchmark skipped with an error}."""
    rs = [C.Result(impl, "softmax", shape, error="skipped") if g is None
          else C.Result(impl, "softmax", shape, g * 1e9, 1.0)
          for (impl, shape), g in results.items()]
    return C.BenchRun(Path(name), {"dispatch_isa": dispatch}, rs, "single")


def acc(variant: str, dist: str, n: int, ulp: float, status: str = "pass",
        output: str = "softmax", bound: float = 6.0) -> dict:
    return {"variant": variant, "output": output, "distribution": dist, "n": n,
            "max_ulp": ulp, "status": status, "bound": bound}


class TwoPass(unittest.TestCase):
    def outcome(self, *runs):
        return CL.eval_two_pass(CL.Inputs(list(runs), dispatch_isa="avx512"))

    def test_holds_both_isas(self):
        o = self.outcome(run("bench-a.json", {("two_pass.avx512", BIG): 2.0, ("max_shifted.avx512", BIG): 1.6,
                                              ("recompute.avx512", BIG): 1.5}),
                         run("claims-a.json", {("two_pass.avx2", BIG): 1.1, ("max_shifted.avx2", BIG): 1.0,
                                               ("recompute.avx2", BIG): 0.9}))
        self.assertEqual(o.verdict, CL.HOLDS)  # +25 % >= 14 %, +10 % >= 9 %
        self.assertEqual(o.files, ["bench-a.json", "claims-a.json"])
        self.assertIn("avx512: vs reload (max_shifted) +25 %, vs recompute (recompute) +33 % (holds)", o.ours)
        self.assertIn("avx2: vs reload (max_shifted) +10 %, vs recompute (recompute) +22 % (holds)", o.ours)
        self.assertEqual(o.note, "")

    def test_verdict_from_the_faster_three_pass_form(self):
        # +25 % over reload, but recompute is faster: +11 % over it is only partly half of 28 %
        o = self.outcome(run("b.json", {("two_pass.avx512", BIG): 2.0, ("max_shifted.avx512", BIG): 1.6,
                                        ("recompute.avx512", BIG): 1.8}))
        self.assertEqual(o.verdict, CL.PARTLY)
        self.assertIn("vs recompute (recompute) +11 % (holds partly)", o.ours)
        self.assertIn("avx2: not measured in this run", o.ours)

    def test_recompute_not_timed_is_named(self):
        # results from before the recompute variant: the verdict rests on reload alone, and says so
        o = self.outcome(run("b.json", {("two_pass.avx512", BIG): 2.0, ("max_shifted.avx512", BIG): 1.6}))
        self.assertEqual(o.verdict, CL.HOLDS)
        self.assertEqual(o.note, "three-pass forms not timed in this run: recompute (recompute.avx512)")

    def test_partly_and_does_not_hold(self):
        # avx512 +10 %: above the 3 % noise margin, below half of 28 %; avx2 -7 % (the Zen 5)
        o = self.outcome(run("b.json", {("two_pass.avx512", BIG): 1.1, ("max_shifted.avx512", BIG): 1.0,
                                        ("two_pass.avx2", BIG): 1.05, ("max_shifted.avx2", BIG): 1.12}))
        self.assertEqual(o.verdict, CL.PARTLY)
        self.assertIn("avx512: vs reload (max_shifted) +10 % (holds partly)", o.ours)
        self.assertIn("avx2: vs reload (max_shifted) -6 % (does not hold here)", o.ours)

    def test_does_not_hold(self):
        o = self.outcome(run("b.json", {("two_pass.avx512", BIG): 1.03, ("max_shifted.avx512", BIG): 1.0,
                                        ("two_pass.avx2", BIG): 0.9, ("max_shifted.avx2", BIG): 1.0}))
        self.assertEqual(o.verdict, CL.DOES_NOT_HOLD)  # +3 % is within the noise margin

    def test_one_isa_missing_is_named(self):
        o = self.outcome(run("b.json", {("two_pass.avx2", BIG): 1.2, ("max_shifted.avx2", BIG): 1.0,
                                        ("two_pass.avx512", BIG): None, ("max_shifted.avx512", BIG): 2.0}))
        self.assertEqual(o.verdict, CL.HOLDS)
        self.assertIn("avx512: not measured in this run", o.ours)

    def test_not_measured(self):
        # only in-cache shapes, and a pair split over two files (no ratio across runs)
        o = self.outcome(run("a.json", {("two_pass.avx512", SMALL): 2.0, ("max_shifted.avx512", SMALL): 1.0,
                                        ("two_pass.avx2", BIG): 2.0}),
                         run("b.json", {("max_shifted.avx2", BIG): 1.0}))
        self.assertEqual(o.verdict, CL.NOT_MEASURED)
        self.assertEqual(o.files, [])


class Online(unittest.TestCase):
    def outcome(self, results, dispatch="avx512"):
        return CL.eval_online(CL.Inputs([run("bench-x.json", results, dispatch)], dispatch_isa=dispatch))

    def test_rules(self):
        for gain, verdict in ((1.15, CL.HOLDS), (1.10, CL.PARTLY), (1.02, CL.DOES_NOT_HOLD),
                              (0.8, CL.DOES_NOT_HOLD)):
            o = self.outcome({("online.avx512", BIG): gain, ("max_shifted.avx512", BIG): 1.0,
                              ("online.avx512", SMALL): 0.8, ("max_shifted.avx512", SMALL): 1.0})
            self.assertEqual(o.verdict, verdict, gain)
            self.assertIn("in cache (1x4096) -20 %", o.ours)

    def test_dispatch_isa_first_then_widest(self):
        o = self.outcome({("online.avx2", BIG): 1.2, ("max_shifted.avx2", BIG): 1.0,
                          ("online.sse2", BIG): 1.0, ("max_shifted.sse2", BIG): 1.0}, dispatch="avx2")
        self.assertEqual(o.verdict, CL.HOLDS)
        self.assertIn("online.avx2", o.ours)
        self.assertIn("in cache (1x4096): not measured in this run", o.ours)

    def test_not_measured(self):
        o = self.outcome({("online.avx512", SMALL): 1.0, ("max_shifted.avx512", SMALL): 1.0})
        self.assertEqual(o.verdict, CL.NOT_MEASURED)


class Higham(unittest.TestCase):
    def rows(self, naive, shifted, lse):
        """Two distributions; naive out of domain on the second."""
        out = []
        for d, (a, b, c) in zip(("normal_1", "offset_1e4"), zip(naive, shifted, lse)):
            out += [acc("naive.avx2", d, 64, a, "pass" if d == "normal_1" else "out_of_domain"),
                    acc("max_shifted.avx2", d, 64, b), acc("log_sum_exp.avx2", d, 64, c)]
        return out

    def outcome(self, rows):
        return CL.eval_higham(CL.Inputs(accuracy=rows, dispatch_isa="avx512"))

    def test_holds(self):
        o = self.outcome(self.rows((2, 1e9), (3, 3), (3, 5)))  # 5/3 >= 1.5 on offset_1e4
        self.assertEqual(o.verdict, CL.HOLDS)
        self.assertIn("avx2", o.ours)  # no avx512 triple: the widest with all three
        self.assertIn("up to 1.67× (on offset_1e4", o.ours)

    def test_partly(self):
        self.assertEqual(self.outcome(self.rows((2, 1e9), (3, 3), (3, 3.6))).verdict, CL.PARTLY)  # 1.2x
        self.assertEqual(self.outcome(self.rows((1, 1e9), (3, 3), (6, 3))).verdict, CL.PARTLY)  # 3 > 2 x 1

    def test_does_not_hold(self):
        o = self.outcome(self.rows((1, 1e9), (3, 3), (3, 2)))  # shifted 3x worse, lse never worse
        self.assertEqual(o.verdict, CL.DOES_NOT_HOLD)
        self.assertIn("exp(x − lse) on offset_1e4", o.ours)

    def test_not_measured(self):
        self.assertEqual(CL.eval_higham(CL.Inputs(accuracy=None)).verdict, CL.NOT_MEASURED)
        rows = [r for r in self.rows((2, 1), (3, 3), (3, 5)) if not r["variant"].startswith("log_sum")]
        self.assertEqual(self.outcome(rows).verdict, CL.NOT_MEASURED)


class HighamBounds(unittest.TestCase):
    """Part (c): the measured normwise error against Blanchard, Higham & Higham's bounds,
    Theorem 4.3 (n + 2 + 2(x_max - x_min))u for the shifted forms, Theorem 3.3 (n + 3)u for
    the unshifted one, u = 2^-24."""
    U = 2.0 ** -24

    def rows(self, shifted_err, naive_err, recompute=True, with_columns=True):
        """avx2 rows at n = 64 (x_range 10: shifted bound 86u, unshifted 67u) and n = 1 (no
        bound: one logit), on normal_1; naive out of domain on offset_1e4."""
        out = []
        for d, n, xr in (("normal_1", 64, 10.0), ("normal_1", 1, 0.0), ("offset_1e4", 64, 10.0)):
            cells = [("naive.avx2", naive_err), ("max_shifted.avx2", shifted_err),
                     ("log_sum_exp.avx2", shifted_err)]
            if recompute:
                cells.append(("recompute.avx2", shifted_err))
            for v, err in cells:
                # max ULP: exp(x - lse) 2x exp(x - m)/sum, so parts (a) and (b) hold
                r = acc(v, d, n, 2.0 if v.startswith("log_sum_exp") else 1.0,
                        "out_of_domain" if v.startswith("naive") and d == "offset_1e4" else "pass")
                if with_columns:
                    r["normwise_inf"], r["x_range"] = str(err if n > 1 else 5.0), str(xr)
                out.append(r)
        return out

    def outcome(self, rows):
        return CL.eval_higham(CL.Inputs(accuracy=rows, dispatch_isa="avx2"))

    def test_inside(self):
        o = self.outcome(self.rows(43 * self.U, 33.5 * self.U))  # half of 86u and of 67u
        self.assertIn("max_shifted.avx2 against Thm 4.3 (4.11) (n + 2 + 2(x_max − x_min))u: worst 0.5 "
                      "(offset_1e4, n = 64), 2 of 2 cells inside (worst per distribution: normal_1 0.5, "
                      "offset_1e4 0.5)", o.ours)
        self.assertIn("recompute.avx2 against Thm 4.3 (4.11)", o.ours)
        # naive: only its in-domain cell; n = 1 is no cell of either theorem
        self.assertIn("naive.avx2 against Thm 3.3 (3.6) (n + 3)u: worst 0.5 (normal_1, n = 64), 1 of 1 "
                      "cells inside (holds)", o.ours)
        self.assertEqual(o.verdict, CL.HOLDS)  # (a) 1 <= 2 x 1, (b) 2x >= 1.5x, (c) all inside
        self.assertIn("Thm 3.4", o.note)

    def test_outside_somewhere_is_partly(self):
        o = self.outcome(self.rows(87 * self.U, 33.5 * self.U))  # 87u > 86u
        self.assertIn("0 of 2 cells inside", o.ours)
        self.assertIn("1 of 1 cells inside (holds partly)", o.ours)
        self.assertEqual(o.verdict, CL.PARTLY)
        o = self.outcome(self.rows(87 * self.U, 68 * self.U))
        self.assertIn("1 cells inside (does not hold here)", o.ours)
        self.assertEqual(o.verdict, CL.PARTLY)  # (a) and (b) hold
        o = self.outcome(self.rows(float("nan"), 1 * self.U))  # a NaN output: infinitely outside
        self.assertIn("worst inf", o.ours)

    def test_without_the_columns(self):
        o = self.outcome(self.rows(1e-9, 1e-9, with_columns=False))
        self.assertIn("BHH bounds: not measured in this run (accuracy.csv has no normwise_inf and "
                      "x_range columns)", o.ours)
        o = self.outcome(self.rows(43 * self.U, 33.5 * self.U, recompute=False))
        self.assertNotIn("recompute", o.ours)


class Seeds(unittest.TestCase):
    def seeds(self, naive_finite=False, shifted_ulp=1.0, identical=(True, True)):
        out = [{"variant": "naive.avx2", "case": "overflow_1000", "finite": naive_finite, "max_ulp": None},
               {"variant": "naive.avx2", "case": "shift_exact", "finite": True, "bit_identical": False, "max_ulp": 3}]
        for v, same in zip(("max_shifted.avx2", "max_shifted.scalar"), identical):
            out += [{"variant": v, "case": "overflow_1000", "finite": True, "max_ulp": shifted_ulp},
                    {"variant": v, "case": "shift_exact", "finite": True, "bit_identical": same,
                     "max_ulp": 0 if same else 2},
                    {"variant": v, "case": "shift_inexact", "finite": True, "bit_identical": False, "max_ulp": 8}]
        return out

    def outcome(self, seeds):
        bounds = [acc("max_shifted.avx2", "normal_1", 3, 1.0, bound=6.0),
                  acc("max_shifted.scalar", "normal_1", 3, 0.3, bound=1.5)]
        return CL.eval_seeds(CL.Inputs(accuracy=bounds, seeds=seeds))

    def test_holds(self):
        o = self.outcome(self.seeds())
        self.assertEqual(o.verdict, CL.HOLDS)
        self.assertIn("1 of 1 naive variants non-finite", o.ours)
        self.assertIn("2 of 2 max_shifted variants bit-identical", o.ours)
        self.assertIn("up to 8 ULP apart", o.ours)

    def test_partly(self):
        self.assertEqual(self.outcome(self.seeds(identical=(True, False))).verdict, CL.PARTLY)
        # above max_shifted.scalar's documented 1.5 ULP on [1000, 1001, 1002]
        self.assertEqual(self.outcome(self.seeds(shifted_ulp=2.0)).verdict, CL.PARTLY)

    def test_does_not_hold(self):
        o = self.outcome(self.seeds(naive_finite=True, identical=(False, False)))
        self.assertEqual(o.verdict, CL.DOES_NOT_HOLD)

    def test_not_measured(self):
        self.assertEqual(self.outcome(None).verdict, CL.NOT_MEASURED)
        self.assertEqual(self.outcome([s for s in self.seeds() if s["variant"].startswith("naive")]).verdict,
                         CL.NOT_MEASURED)


class PyTorchLog(unittest.TestCase):
    def outcome(self, ulps, dist="dominant", output="log_softmax", variant="pytorch.avx512",
                status="scored"):
        rows = [{"variant": variant, "output": output, "distribution": dist, "n": n, "max_ulp": u,
                 "status": status} for n, u in zip((3, 1000), ulps)]
        return CL.eval_pytorch_log(CL.Inputs(peer_accuracy=rows))

    def test_rules(self):
        self.assertEqual(self.outcome((0.5, 8.0)).verdict, CL.HOLDS)
        self.assertEqual(self.outcome((0.5, 9.0)).verdict, CL.PARTLY)
        self.assertEqual(self.outcome((0.5, float("inf"))).verdict, CL.DOES_NOT_HOLD)
        self.assertEqual(self.outcome((0.5, None)).verdict, CL.DOES_NOT_HOLD)  # NaN in the CSV

    def test_not_measured(self):
        self.assertEqual(CL.eval_pytorch_log(CL.Inputs()).verdict, CL.NOT_MEASURED)
        self.assertEqual(self.outcome((1, 1), dist="normal_1").verdict, CL.NOT_MEASURED)
        self.assertEqual(self.outcome((1, 1), output="softmax").verdict, CL.NOT_MEASURED)
        self.assertEqual(self.outcome((1, 1), variant="pytorch_api").verdict, CL.NOT_MEASURED)
        # a peer call that failed (status error) measured nothing
        self.assertEqual(self.outcome((None, None), status="error").verdict, CL.NOT_MEASURED)


class Table(unittest.TestCase):
    def test_every_claim_has_its_fields_and_nothing_measured_says_so(self):
        ids = [c.id for c in CL.CLAIMS]
        self.assertEqual(ids, ["1", "2", "3", "4", "5"])
        for c, out in CL.evaluate(CL.Inputs()):
            for f in ("source", "ref", "statement", "measurement", "paper", "rule"):
                self.assertTrue(getattr(c, f).strip(), (c.id, f))
            self.assertEqual(out.verdict, CL.NOT_MEASURED, c.id)
            self.assertEqual(out.files, [], c.id)


if __name__ == "__main__":
    unittest.main(verbosity=1)
