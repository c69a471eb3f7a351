#!/usr/bin/env python3
"""Minimax coefficients for the exp kernels of variants/simd/exp.hpp.

    scripts/pyrun.sh scripts/exp_minimax.py [--weight rel|ulp] [--float-degrees 3,5,6] [--double-degree N] [--verbose]

(scripts/pyrun.sh picks a Python that has numpy, the one dependency, or says what to install.)

exp(r) on the reduced interval r in [-ln2/2, ln2/2] is approximated by

    p(r) = 1 + c1 r + c2 r^2 + ... + cd r^d          (p(0) = 1 exactly)

minimising the maximum RELATIVE error e(r) = p(r)/exp(r) - 1.  With p(0) = 1 fixed, e is
linear in (c1..cd):  e(r) = sum_k c_k r^k e^-r - (1 - e^-r),  and e(0) = 0 for every choice,
so this is a weighted minimax problem for q(r) = (p(r) - 1)/r approximating (e^r - 1)/r with
the weight |r| e^-r (so e(r) changes sign at 0 where the alternation of the weighted error
sign(r) e(r) does not).  It is solved by the Remez exchange algorithm (multi-point exchange on a
dense grid, extrema refined by local zooming), in numpy long double (x86 80-bit, 64-bit
significand), with the variable scaled to [-1, 1] for conditioning.

Float kernels (degree 3, 5 and 6; degree 3 is the bf16-output kernel, ExpPoly<3>): rounding to float: c1 and c2 are searched over +-3 ulps, the
higher coefficients are rounded one at a time, lowest first, re-fitting the still-free ones
after each rounding (discrete minimax by Lawson's algorithm: the higher coefficients absorb the
rounding of the lower ones), then a +-1 ulp coordinate search on the exact error.
Printed: the minimax error with exact coefficients and the error with the float coefficients
(approximation error only: the float evaluation adds rounding, measured by tests/test_exp.cpp).

Double kernel: the same fit, coefficients rounded to double, error checked in long double and
re-checked at the extrema with Python's decimal module (60 significant digits).

--weight ulp minimises instead the error in units of the last place of the final float result
(relative error times the result's significand, 2p for p < 1, p for p >= 1): an option for
experiments; the kernels use the default (relative error).
"""
import argparse
import decimal
from decimal import Decimal
from fractions import Fraction

import numpy as np

LD = np.longdouble
decimal.getcontext().prec = 60
D_LN2 = Decimal(2).ln()
D_LOG2E = 1 / D_LN2
HALF_LN2 = D_LN2 / 2


# ---- exact rounding helpers ------------------------------------------------------------------
def round_f32(x):
    """x (Decimal, Fraction or float) rounded to the nearest float32 (ties to even), exactly."""
    fx = Fraction(x) if not isinstance(x, Fraction) else x
    f = np.float32(float(fx))  # double rounding possible: fix it below by exact comparison
    best = None
    for c in (np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))):
        d = abs(Fraction(float(c)) - fx)
        if best is None or d < best[0] or (d == best[0] and (int(c.view(np.uint32)) & 1) == 0):
            best = (d, c)
    return best[1]


def round_f64(x):
    return float(Fraction(x) if not isinstance(x, Fraction) else x)  # Fraction -> float is exact-rounded


def round_bits(x, bits):
    """x rounded to `bits` significant bits (as a Fraction)."""
    fx = Fraction(x)
    e = 0
    a = abs(fx)
    while a >= 1:
        a /= 2
        e += 1
    while a < Fraction(1, 2):
        a *= 2
        e -= 1
    scale = Fraction(2) ** (bits - e)
    return Fraction(round(fx * scale)) / scale


def hex_f64(v):
    s = float(v).hex()  # e.g. 0x1.62e4300000000p-1
    mant, exp = s.split("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return mant + "p" + exp


def hex_f32(v):
    """A C++ float literal: the hex form of hex_f64 with the f suffix."""
    return hex_f64(v) + "f"


# ---- linear algebra in long double -----------------------------------------------------------
def solve_ld(A, b):
    A = A.astype(LD).copy()
    b = b.astype(LD).copy()
    n = len(b)
    for i in range(n):
        p = i + int(np.argmax(np.abs(A[i:, i])))
        if p != i:
            A[[i, p]] = A[[p, i]]
            b[[i, p]] = b[[p, i]]
        for j in range(i + 1, n):
            f = A[j, i] / A[i, i]
            A[j, i:] -= f * A[i, i:]
            b[j] -= f * b[i]
    x = np.zeros(n, dtype=LD)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - np.dot(A[i, i + 1:], x[i + 1:])) / A[i, i]
    return x


# ---- the problem ------------------------------------------------------------------------------
A_LO = -LD(HALF_LN2)
A_HI = LD(HALF_LN2)
S = A_HI  # variable scaling: r = S u, u in [-1, 1]


def weight(r, kind):
    r = np.asarray(r, dtype=LD)
    if kind == "rel":
        return np.ones_like(r)
    # significand of the float result p * 2^n: 2p for p < 1 (r < 0), p for p >= 1
    return np.where(r < 0, 2 * np.exp(r), np.exp(r))


def rel_error(coeffs, r):
    """e(r) = p(r) e^-r - 1 with p = 1 + sum c_k r^k, coefficients given as exact longdoubles."""
    r = np.asarray(r, dtype=LD)
    q = np.zeros_like(r)
    for c in reversed(coeffs):
        q = q * r + LD(c)
    # p e^-r - 1 = e^-r (1 + r q) - 1 = r q e^-r - (1 - e^-r); expm1 keeps it accurate near 0
    return r * q * np.exp(-r) + np.expm1(-r)


def refine_extrema(fun, xs, lo, hi, width):
    """Zoom on each local extremum of |fun| near xs."""
    out = []
    for x in xs:
        a, b = max(lo, x - width), min(hi, x + width)
        for _ in range(6):
            g = np.linspace(a, b, 201, dtype=LD)
            g = g[g != 0]
            v = np.abs(fun(g))
            k = int(np.argmax(v))
            xk = g[k]
            w = (b - a) / 40
            a, b = max(lo, xk - w), min(hi, xk + w)
        out.append(xk)
    return np.array(out, dtype=LD)


def dense_grid(n=40000):
    g = np.linspace(A_LO, A_HI, n + 1, dtype=LD)
    return g[g != 0]


def alternating_extrema(grid, v):
    """(x, v) at the largest |v| of each run of one sign of v = fun(grid)."""
    sgn = np.sign(v)
    runs = []
    start = 0
    for i in range(1, len(grid) + 1):
        if i == len(grid) or sgn[i] != sgn[start]:
            seg = slice(start, i)
            k = start + int(np.argmax(np.abs(v[seg])))
            if sgn[start] != 0:
                runs.append((grid[k], v[k]))
            start = i
    return runs


def remez(kind, degree, fixed, iters=60, verbose=False):
    """Best c_{len(fixed)+1..degree} with c_1..c_len(fixed) fixed (exact values in `fixed`)."""
    free = list(range(len(fixed) + 1, degree + 1))
    m = len(free)
    # initial reference: m+1 Chebyshev-like points, none at 0
    ref = np.array([np.cos(np.pi * (m - i + 0.5) / (m + 1)) for i in range(m + 1)], dtype=LD) * S
    ref = np.sort(ref)
    width = (A_HI - A_LO) / 40000 * 3
    coeffs = None
    last = None
    grid = dense_grid()
    for _ in range(iters):
        w = weight(ref, kind)
        # unknowns: gamma_k = c_k S^k (scaled), then h
        A = np.zeros((m + 1, m + 1), dtype=LD)
        b = np.zeros(m + 1, dtype=LD)
        u = ref / S
        ex = np.exp(-ref)
        base = np.expm1(-ref)  # part of e(r) independent of the free coefficients: -(1 - e^-r)
        for j, c in enumerate(fixed, start=1):
            base = base + LD(c) * ref ** j * ex
        for col, k in enumerate(free):
            A[:, col] = w * u ** k * ex
        # alternation of sign(r) e(r) = |r| e^-r (q(r) - g(r)): the Haar system is q's monomials,
        # the weight |r| e^-r is >= 0; e itself keeps its sign across the forced zero at r = 0
        # (with c_1..c_L fixed, the free part is r^(L+1) e^-r (...): the factor is sign(r)^(L+1))
        A[:, m] = -((-1.0) ** np.arange(m + 1)) * np.sign(ref) ** (len(fixed) + 1)
        b[:] = -w * base
        sol = solve_ld(A, b)
        gam, h = sol[:m], sol[m]
        coeffs = list(fixed) + [gam[i] / S ** free[i] for i in range(m)]

        def fun(r, coeffs=coeffs):
            return np.sign(r) ** (len(fixed) + 1) * weight(r, kind) * rel_error(coeffs, r)

        on_grid = fun(grid)
        runs = alternating_extrema(grid, on_grid)
        xs = refine_extrema(fun, [x for x, _ in runs], A_LO, A_HI, width)
        vals = fun(xs)
        pts = list(zip(xs, vals))
        while len(pts) > m + 1:
            if abs(pts[0][1]) < abs(pts[-1][1]):
                pts.pop(0)
            else:
                pts.pop()
        emax = max(abs(v) for _, v in pts)
        gmax = np.max(np.abs(on_grid))
        emax = max(emax, gmax)
        emin = min(abs(v) for _, v in pts)
        if verbose:
            print("   it: |h|=%.6e max=%.6e min=%.6e" % (abs(h), emax, emin))
        if len(pts) == m + 1:
            ref = np.array([x for x, _ in pts], dtype=LD)
        if emin > 0 and (emax - emin) / emax < 1e-9:
            break
        if last is not None and abs(last - emax) <= 1e-13 * emax and (emax - emin) / emax < 1e-6:
            break
        last = emax
    return coeffs


def max_error(coeffs, kind="rel", n=200000):
    def fun(r):
        return weight(r, kind) * rel_error(coeffs, r)

    g = dense_grid(n)
    v = np.abs(fun(g))
    # refine around the largest local maxima of the grid
    loc = np.nonzero((v[1:-1] >= v[:-2]) & (v[1:-1] >= v[2:]))[0] + 1
    loc = np.concatenate([loc, [0, len(g) - 1]])
    loc = loc[np.argsort(v[loc])[-16:]]
    xs = refine_extrema(fun, list(g[loc]), A_LO, A_HI, (A_HI - A_LO) / n * 3)
    return max(np.max(v), np.max(np.abs(fun(xs)))), xs


def lawson(kind, degree, fixed, n=3000, iters=400):
    """Discrete minimax fit (Lawson's iteratively reweighted least squares, float64) of the free
    coefficients c_{L+1..d} given the fixed c_1..c_L: robust where the exchange algorithm is not
    (the fixed low-order terms leave a zero at r = 0 of odd order that the free terms cannot move)."""
    u = np.cos(np.pi * (np.arange(n) + 0.5) / n)[::-1]
    r = u * float(S)
    w = weight(r, kind).astype(np.float64)
    ex = np.exp(-r)
    base = np.expm1(-r)
    for j, c in enumerate(fixed, start=1):
        base = base + float(c) * r ** j * ex
    free = list(range(len(fixed) + 1, degree + 1))
    Phi = np.stack([w * u ** k * ex for k in free], axis=1)
    b = -w * base
    wt = np.full(n, 1.0 / n)
    for _ in range(iters):
        sw = np.sqrt(wt)
        g, *_ = np.linalg.lstsq(Phi * sw[:, None], b * sw, rcond=None)
        res = np.abs(Phi @ g - b)
        wt = wt * res
        wt /= wt.sum()
    return list(fixed) + [LD(g[i]) / S ** free[i] for i in range(len(free))]


def step_f32(c, k):
    """The float k steps (ulps) away from float c."""
    c = np.float32(c)
    for _ in range(abs(k)):
        c = np.nextafter(c, np.float32(np.inf if k > 0 else -np.inf))
    return c


def float_coeffs(kind, degree, K=3, verbose=False):
    """Float coefficients: c1 and c2 searched over +-K ulps around their refitted values, the
    higher ones rounded one at a time with a Lawson refit of the rest after each rounding;
    then a +-1 ulp coordinate search on the exact (refined) error."""
    exact = remez(kind, degree, [], verbose=verbose)

    def err(cs, n=20000):
        return max_error([LD(float(c)) for c in cs], kind, n=n)[0]

    def complete(prefix):
        cs = list(prefix)
        while len(cs) < degree:
            fit = lawson(kind, degree, [LD(float(c)) for c in cs])
            cs.append(round_f32(Fraction(float(fit[len(cs)]))))
        return cs

    best, cur = None, None
    c1_0 = round_f32(Fraction(float(exact[0])))
    for a in range(-K, K + 1):
        c1 = step_f32(c1_0, a)
        fit = lawson(kind, degree, [LD(float(c1))])
        c2_0 = round_f32(Fraction(float(fit[1])))
        for b in range(-K, K + 1):
            cs = complete([c1, step_f32(c2_0, b)])
            e = err(cs, n=4000)
            if best is None or e < best:
                best, cur = e, cs
    best = err(cur)
    improved = True
    while improved:  # +-1 ulp coordinate search on the rounded coefficients
        improved = False
        for i in range(degree):
            for direction in (-1, 1):
                trial = list(cur)
                trial[i] = step_f32(cur[i], direction)
                e = err(trial)
                if e < best * (1 - 1e-9):
                    best, cur, improved = e, trial, True
    best = max_error([LD(float(c)) for c in cur], kind)[0]
    return exact, cur, best


def decimal_rel_error(coeffs, r):
    """Relative error of p(r) = 1 + sum c_k r^k against exp(r), in decimal arithmetic."""
    rd = Decimal(float(r)) if not isinstance(r, Decimal) else r
    p = Decimal(0)
    for c in reversed(coeffs):
        p = p * rd + Decimal(float(c))
    p = p * rd + 1
    return p / rd.exp() - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weight", choices=["rel", "ulp"], default="rel")
    ap.add_argument("--double-degree", type=int, default=0,
                    help="degree of the double kernel (default: smallest with error <= 2^-44)")
    ap.add_argument("--float-degrees", default="3,5,6",
                    help="comma-separated degrees of the float kernels (default 3,5,6: poly3, the bf16-output "
                         "kernel, and poly5 / poly6)")
    ap.add_argument("--verbose", action="store_true",
                    help="print each Remez iteration's levelled error |h| and max/min extremum")
    args = ap.parse_args()
    kind = args.weight

    print("exp_minimax.py: p(r) = 1 + c1 r + ... + cd r^d ~ exp(r) on [-ln2/2, ln2/2], p(0) = 1;")
    print("minimising the max %s error; numpy %s long double (64-bit significand)."
          % ("relative" if kind == "rel" else "ULP-weighted relative", np.__version__))
    print()

    # ---- reduction constants ----
    hi_f = round_f32(D_LN2)
    lo_f = round_f32(Fraction(D_LN2) - Fraction(float(hi_f)))
    hi12 = round_bits(D_LN2, 12)
    lo12 = round_f32(Fraction(D_LN2) - hi12)
    hi_d = round_bits(D_LN2, 32)
    lo_d = round_f64(Fraction(D_LN2) - hi_d)
    print("Reduction constants (Cody-Waite, r = (t - n*hi) - n*lo):")
    print("  float log2e          %-18s  %.9g" % (hex_f32(round_f32(D_LOG2E)), float(round_f32(D_LOG2E))))
    print("  float ln2_hi (FMA)   %-18s  %.9g   (24 bits: n*hi exact inside the fma)" % (hex_f32(hi_f), float(hi_f)))
    print("  float ln2_lo (FMA)   %-18s  %.9g   residual %.2e" % (hex_f32(lo_f), float(lo_f),
          float(Fraction(D_LN2) - Fraction(float(hi_f)) - Fraction(float(lo_f)))))
    print("  float ln2_hi (SSE2)  %-18s  %.9g   (12 bits: n*hi exact for |n| <= 4096 without fma)"
          % (hex_f32(np.float32(float(hi12))), float(hi12)))
    print("  float ln2_lo (SSE2)  %-18s  %.9g   residual %.2e" % (hex_f32(lo12), float(lo12),
          float(Fraction(D_LN2) - hi12 - Fraction(float(lo12)))))
    print("  double log2e         %-24s  %.17g" % (hex_f64(round_f64(Fraction(D_LOG2E))), round_f64(Fraction(D_LOG2E))))
    print("  double ln2_hi        %-24s  %.17g   (32 bits: n*hi exact for |n| < 2^21)" % (hex_f64(float(hi_d)), float(hi_d)))
    print("  double ln2_lo        %-24s  %.17g   residual %.2e" % (hex_f64(lo_d), lo_d,
          float(Fraction(D_LN2) - hi_d - Fraction(lo_d))))
    # thresholds
    ln_min = Decimal(-126) * D_LN2
    t_flush = round_f32(ln_min)
    if Fraction(float(t_flush)) < Fraction(ln_min):
        t_flush = np.nextafter(t_flush, np.float32(0))
    ln_zero = Decimal(-150) * D_LN2
    t_zero = round_f32(ln_zero)
    if Fraction(float(t_zero)) > Fraction(ln_zero):
        t_zero = np.nextafter(t_zero, np.float32(-np.inf))
    ln_dmin = Decimal(-1022) * D_LN2
    t_dflush = round_f64(Fraction(ln_dmin))
    if Fraction(t_dflush) < Fraction(ln_dmin):
        t_dflush = float(np.nextafter(t_dflush, 0.0))
    print("  float: smallest t with exp(t) >= 2^-126:  %s  %.9g   (ln 2^-126 = %.12f)"
          % (hex_f32(t_flush), float(t_flush), float(ln_min)))
    print("  float: largest t with exp(t) < 2^-150 (rounds to 0):  %s  %.9g" % (hex_f32(t_zero), float(t_zero)))
    print("  double: smallest t with exp(t) >= 2^-1022:  %s  %.17g" % (hex_f64(t_dflush), t_dflush))
    print()

    # ---- float kernels ----
    for degree in [int(d) for d in args.float_degrees.split(",") if d]:
        exact, cur, best = float_coeffs(kind, degree, verbose=args.verbose)
        e_exact, _ = max_error(exact, kind)
        print("Float kernel, degree %d:" % degree)
        print("  max %s error, exact coefficients: %.4e (2^%.2f)" % (kind, float(e_exact), np.log2(float(e_exact))))
        print("  max %s error, float coefficients: %.4e (2^%.2f)" % (kind, float(best), np.log2(float(best))))
        if kind == "rel":
            ew, _ = max_error([LD(float(c)) for c in cur], "ulp")
            print("  = at most %.3f ulp of the float result before any rounding (rel. error x significand x 2^23)"
                  % (float(ew) * 2 ** 23))
        print("  coefficients c1..c%d:" % degree)
        for k, c in enumerate(cur, start=1):
            print("    c%d = %-16s  // %.9g" % (k, hex_f32(c), float(c)))
        print()

    # ---- double kernel ----
    degrees = [args.double_degree] if args.double_degree else list(range(7, 13))
    tried = []
    for degree in degrees:
        exact = remez("rel", degree, [], verbose=args.verbose)
        rounded = [LD(round_f64(Fraction(float(c)) + Fraction(float(c - LD(float(c)))))) for c in exact]
        e_exact, _ = max_error(exact)
        e_round, xs = max_error(rounded)
        tried.append((degree, float(e_round)))
        if args.double_degree or float(e_round) <= 2.0 ** -44:
            break
    print("Double kernel (target: relative error <= 2^-40 after evaluation; fit <= 2^-44):")
    for d_, e_ in tried:
        print("  degree %d: max relative error %.4e (2^%.2f)" % (d_, e_, np.log2(e_)))
    print("Double kernel, degree %d:" % degree)
    print("  max relative error, exact (long double) coefficients: %.4e (2^%.2f)"
          % (float(e_exact), np.log2(float(e_exact))))
    print("  max relative error, double coefficients:              %.4e (2^%.2f)"
          % (float(e_round), np.log2(float(e_round))))
    # decimal re-check at the extrema of the long double error curve
    g = dense_grid(2000)
    pts = list(xs) + list(g[:: 10]) + [A_LO, A_HI]
    emax_dec = max(abs(decimal_rel_error([float(c) for c in rounded], Decimal(float(x)))) for x in pts)
    print("  re-checked with Python decimal (%d digits) at %d points incl. the extrema: max %.4e (2^%.2f)"
          % (decimal.getcontext().prec, len(pts), float(emax_dec), np.log2(float(emax_dec))))
    print("  (long double evaluation of the error is good to ~1e-19 absolute, i.e. ~%.0e of the error itself)"
          % (1e-19 / float(e_round)))
    print("  coefficients c1..c%d:" % degree)
    for k, c in enumerate(rounded, start=1):
        print("    c%d = %-24s  // %.17g" % (k, hex_f64(float(c)), float(c)))


if __name__ == "__main__":
    main()
