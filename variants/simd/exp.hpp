// Vectorised exp kernels for the softmax variants, generic over the xsimd architecture.
//
// ODR: every function here is a template on Arch (so the copy instantiated in the AVX-512 unit
// is a different function from the SSE2 one) and calls only xsimd operations, the ops layer
// (Ops<Arch>, ops.hpp: every intrinsic and per-target choice) and other Arch templates; the
// constants are in exp_constants.hpp.
//
// Method (float kernels; the double kernel is the same in double):
//   n = round(t * log2e)                  by the magic-number trick: v = t*log2e + 1.5*2^23
//                                         rounds to an integer in the low significand bits
//   r = (t - n*ln2_hi) - n*ln2_lo + c     Cody-Waite: t - n*ln2_hi is exact (see kLn2Hi*), so r
//                                         carries one rounding; c, the caller's correction
//                                         (|c| <= ulp(t)), is added to the small term first
//   p = 1 + r*(c1 + r*(c2 + ...))         minimax for the relative error on [-ln2/2, ln2/2] with
//                                         p(0) = 1 exactly (so exp(0) == 1.0f bit-exact)
//   exp(t + c) = p * 2^n                  AVX-512: vscalefps (one rounding, also into the
//                                         subnormal range); elsewhere: 2^n built in the exponent
//                                         field (from the same magic-number sum) and multiplied
//
// Subnormal policy (results whose exact value is below FLT_MIN = 2^-126):
//   AVX-512 (scalef): gradual. p * 2^n is rounded once, so a subnormal result is p's error
//     plus at most half a unit of 2^-149; results below 2^-150 round to +0 as they should
//     (t < -103.972084 -> 0; inputs are clamped to -120 first so -inf gives +0 as well).
//   SSE2 / AVX2 (exponent bits): flush. Every t < kExpFlushBelow = -87.3365402f, i.e. exactly
//     the inputs whose exact exp is below 2^-126, returns +0; every t >= kExpFlushBelow is
//     computed normally (n >= -126, so 2^n is a normal float) and gives a result
//     >= 2^-126 * (1 - 2^-23): at most one ulp below FLT_MIN, never a deeper subnormal.
//     exp_neg(t, c) decides on t + c: the one float t = kExpFlushBelowNext (the float below
//     kExpFlushBelow) with c >= kExpFlushMinCorr has exp(t + c) >= 2^-126 and is computed
//     (n = -126, p >= 1: a normal result); with smaller c, and for every lower t, it is +0.
//
// Special values: t = -inf -> +0, t NaN -> NaN (the clamps keep NaN: MAXPS returns its second
// operand when either is NaN, so max(lo, t) is written with t second), t = -0 or +0 -> 1.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <utility>

#include "simd/ops.hpp"  // Ops<Arch>: every architecture-specific instruction; constants

namespace smb::simd {

// The same constants selected by kernel and target (scalef: AVX-512; FMA without scalef: AVX2;
// neither: SSE2).
template <int Degree, class Arch>
inline constexpr double kExpNegMaxUlp =
    Traits<Arch>::kScalef ? (Degree == 5 ? kExpNegDeg5MaxUlpAvx512 : kExpNegDeg6MaxUlpAvx512)
    : Traits<Arch>::kFma  ? (Degree == 5 ? kExpNegDeg5MaxUlpAvx2 : kExpNegDeg6MaxUlpAvx2)
                       : (Degree == 5 ? kExpNegDeg5MaxUlpSse2 : kExpNegDeg6MaxUlpSse2);
template <class Arch>
inline constexpr double kExpXsimdMaxUlp = Traits<Arch>::kScalef ? kExpXsimdMaxUlpAvx512
                                          : Traits<Arch>::kFma  ? kExpXsimdMaxUlpAvx2
                                                             : kExpXsimdMaxUlpSse2;

// x * y + z, fused wherever the ISA has FMA (Ops<Arch>::fmadd; on SSE2 the rounded x * y + z,
// which the SSE2 reduction constants allow for).
template <class Arch, class T>
SMB_INLINE xsimd::batch<T, Arch> fmadd(xsimd::batch<T, Arch> x, xsimd::batch<T, Arch> y, xsimd::batch<T, Arch> z) {
    return Ops<Arch>::fmadd(x, y, z);
}

namespace exp_detail {

// max(lo, x) / min(hi, x) that return x when x is NaN (Ops<Arch>; x86 MAXPS returns its second
// operand when either is NaN, and xsimd::max's operand order is an implementation detail).
template <class Arch>
SMB_INLINE fbatch<Arch> max_keep_nan(fbatch<Arch> lo, fbatch<Arch> x) { return Ops<Arch>::max_keep_nan(lo, x); }
template <class Arch>
SMB_INLINE fbatch<Arch> min_keep_nan(fbatch<Arch> hi, fbatch<Arch> x) { return Ops<Arch>::min_keep_nan(hi, x); }
template <class Arch>
SMB_INLINE dbatch<Arch> max_keep_nan(dbatch<Arch> lo, dbatch<Arch> x) { return Ops<Arch>::max_keep_nan(lo, x); }

// 1 + r*(c[0] + r*(c[1] + ... + r*c[D-1])) by Horner with fused multiply-adds.
template <class Arch, class T, std::size_t D, std::size_t... I>
SMB_INLINE xsimd::batch<T, Arch> horner_one(xsimd::batch<T, Arch> r, const T (&c)[D], std::index_sequence<I...>) {
    using B = xsimd::batch<T, Arch>;
    B q(c[D - 1]);
    ((q = fmadd<Arch>(q, r, B(c[D - 2 - I]))), ...);
    return fmadd<Arch>(q, r, B(T(1)));
}
template <int Degree, class Arch>
SMB_INLINE fbatch<Arch> poly(fbatch<Arch> r) {
    return horner_one(r, ExpPoly<Degree>::c, std::make_index_sequence<Degree - 1>{});
}

// 2^n for an integral n given v = n + kMagicBiased (exact): Ops<Arch>::pow2_from_biased.
template <class Arch>
SMB_INLINE fbatch<Arch> pow2_from_biased(fbatch<Arch> v) { return Ops<Arch>::pow2_from_biased(v); }
template <class Arch>
SMB_INLINE dbatch<Arch> pow2_from_biased(dbatch<Arch> v) { return Ops<Arch>::pow2_from_biased(v); }

// r = t - n*ln2 (+ c), one rounding (see the header comment).
template <class Arch, bool HasC>
SMB_INLINE fbatch<Arch> reduce(fbatch<Arch> t, fbatch<Arch> n, fbatch<Arch> c) {
    using B = fbatch<Arch>;
    constexpr float hi = Ops<Arch>::kFma ? kLn2HiFma : kLn2HiNoFma;
    constexpr float lo = Ops<Arch>::kFma ? kLn2LoFma : kLn2LoNoFma;
    // fma(n, -hi, t) rather than fnma(n, hi, t): xsimd 8.1's AVX-512 fnma negates n first
    const B rh = fmadd<Arch>(n, B(-hi), t);
    if constexpr (HasC) return rh + fmadd<Arch>(n, B(-lo), c);
    else return fmadd<Arch>(n, B(-lo), rh);
}

template <int Degree, class Arch, bool HasC>
SMB_INLINE fbatch<Arch> exp_neg_impl(fbatch<Arch> t, fbatch<Arch> c) {
    static_assert(Degree == 5 || Degree == 6, "exp_neg: degree 5 or 6");
    using B = fbatch<Arch>;
    if constexpr (Ops<Arch>::kScalef) {
        // One compare instead of a clamp: lanes with t < kExpZeroBelow (whose exact exp rounds
        // to 0), -inf among them, are zeroed by the scalef mask whatever n, p or c hold there
        // (c is NaN when t = -inf came from TwoSum). NaN lanes are kept: NaN propagates.
        const B n = fmadd<Arch>(t, B(kLog2e), B(kMagic)) - B(kMagic);
        const B p = poly<Degree, Arch>(reduce<Arch, HasC>(t, n, c));
        return Ops<Arch>::scalef_unless_below(p, n, t, kExpZeroBelow);
    } else {
        // No clamp: lanes with t < kExpFlushBelow (including -inf, whatever c is there, and
        // anything whose v or 2^n is garbage) are zeroed at the end; NaN fails that compare
        // and stays NaN (p is NaN, and NaN * anything is NaN).
        const B v = fmadd<Arch>(t, B(kLog2e), B(kMagicBiased));
        const B n = v - B(kMagicBiased);
        const B p = poly<Degree, Arch>(reduce<Arch, HasC>(t, n, c));
        const B y = p * pow2_from_biased<Arch>(v);
        auto zero = t < B(kExpFlushBelow);
        // exp(t + c) >= 2^-126 although t < kExpFlushBelow: t is the float just below and
        // c >= kExpFlushMinCorr. Not flushed: n = -126 there and p >= 1, a normal result.
        if constexpr (HasC) zero = zero & ~((t == B(kExpFlushBelowNext)) & (c >= B(kExpFlushMinCorr)));
        return xsimd::select(zero, B(0.0f), y);
    }
}

}  // namespace exp_detail

// exp(t + c) for t <= 0 (or NaN); c a tiny correction (|c| <= ulp(t)), zero when there is none.
// Degree 5 or 6. Accuracy: kExpNegDeg{5,6}MaxUlp{Sse2,Avx2,Avx512}; subnormals: see the top.
template <int Degree, class Arch>
SMB_INLINE fbatch<Arch> exp_neg(fbatch<Arch> t, fbatch<Arch> c) {
    return exp_detail::exp_neg_impl<Degree, Arch, true>(t, c);
}
// exp(t) for t <= 0: the same without the correction (one addition fewer). Not the same results
// as exp_neg(t, 0): there the small Cody-Waite term is added to c first and the sum to
// t - n*ln2_hi (two roundings), here it is fused in one. The softmax kernels call exp_neg(t, c);
// tests/test_exp.cpp sweeps that one exhaustively.
template <int Degree, class Arch>
SMB_INLINE fbatch<Arch> exp_neg(fbatch<Arch> t) {
    return exp_detail::exp_neg_impl<Degree, Arch, false>(t, fbatch<Arch>(0.0f));
}

// exp(x - q ln2) for an integral float q with |q| <= kExpShiftMaxQ, for x up to
// (q + 127) ln2 (the caller bounds x: the `guarded` kernels check it and fall back): the shift
// goes into the exponent, so x itself is reduced (exactly, as in exp_neg: x - n*ln2_hi with
// |n| <= 4096 for the guarded window) and no x - m is rounded. The result is p * 2^(n - q),
// with exp_neg's accuracy (kExpNegDeg*MaxUlp; tests/test_exp.cpp checks it for several q).
// Every ISA builds 2^(n - q) in the exponent field and multiplies: on Zen 4 a 512-bit vscalefps
// takes two FMA-pipe slots and a compare into a mask one, against one for the multiply, and
// the clamps below run on the add pipes (bench/uarch/pipes.c; the FMA pipes bound this
// kernel). Small results flush: n - q is clamped to >= -127, whose 2^-127
// encodes as +0, so exactly the lanes with n - q <= -127 (results below 2^-126 * sqrt(2)) are
// +0 and every other lane is p * 2^(n - q) rounded once (gradual for n - q = -126). Callers keep
// their outputs at or below the term (q = floor(x0 log2e) makes the sum >= 1), so only outputs
// below 2^-126 are flushed. x is first clamped to >= (q - 130) ln2, so -inf gives +0; NaN -> NaN.
// Degree 3 (poly3, the bf16-output rows only): the same reconstruction with ExpPoly<3>, two FMAs
// fewer per element, and on the FMA ISAs the reduction in one FMA (kExpShiftDeg3OneFmaReduce
// below: the term is then exp(x - q float(ln2))); relative error <= kExpShiftDeg3MaxRelErr
// (~2^-13.3, the polynomial's: the reduction and evaluation add ~2^-22) for normal results, the
// same flush below. tests/test_exp.cpp sweeps it.
// Scalef (AVX-512 only; the list's poly3s rows): the same n, r and p, with no clamp of x and
// none of v; 2^(n - q) applied by vscalefps, zero-masked where n - q < -126 (-inf and every x
// the clamp would have sent to +0) and kept where it is NaN (NaN x: NaN). The lanes kept are
// p * 2^(n - q) rounded once, as the multiply rounds it: the same bits as the form above for
// every x up to (q + 127) ln2, -inf and NaN (tests/test_exp.cpp compares the two). x = +inf,
// outside that domain, gives +inf here (vscalefps(NaN, +inf) = +inf on the Xeon) and NaN
// there; every caller's window check (x <= (q + kGuardSpan) ln2) sends such rows to
// max_shifted before a term of them is used.
// 10 vector instructions instead of 11 (two clamps, a shift and a multiply become a subtraction,
// a compare and the scalef). Which is faster is the machine's: where every 512-bit instruction
// takes one of two ports (the Intel Xeon of the session notes, bench/uarch/pipes.c: scalef,
// compare, max, shift and multiply one slot each) the scalef form saves a slot in 11; on Zen 4
// (pipes.c's header) the clamps and the shift ride free beside the FMAs while scalef takes two
// FMA slots and the compare one, so there it costs 2 FMA slots more. Both stay in the list.
inline constexpr float kExpShiftMaxQ = 2048.0f;
// Degree 3 on FMA ISAs reduces with one FMA: r = x - n hi with hi = kLn2HiFma = float(ln2), exact
// (exp_constants.hpp: the difference is representable), without the n lo correction. The term
// p(r) 2^(n - q) then approximates exp(x - n hi) 2^(n - q) = exp(x - q hi) exp((n - q) delta),
// delta = ln2 - hi (|delta| < 1.91e-9, kLn2HiFmaErr): it is exp(x - q hi), not exp(x - q ln2),
// up to |n - q| |delta| <= 127 * 1.91e-9 = 2.4e-7 relative over the window (n - q in [-127, 97]
// for the terms that are not flushed), which kExpShiftDeg3MaxRelErr covers (tests/test_exp.cpp
// measures it against exp(x - q hi)). For a softmax, exp(x - q hi) = exp(x - q ln2) exp(q delta):
// a factor common to every term of a row, which cancels in y = e / s (guarded_bf16.hpp's bound;
// its split rows merge slices of different q, which adds |q_k - Q| |delta| to the sum's error
// there). Measured against the two-FMA reduction, degree 3, Zen 4, one thread (stand-alone
// AVX-512 loops over bf16 rows of 65536 and 262144 in L2, best of 9): the sum pass 1.11x, the
// write pass 1.08x: the FMA pipes bound both (an exp is 8-9 of their slots per vector).
// SSE2 has no FMA: n hi must be exact there (12-bit hi), so it keeps the two steps.
template <class Arch>
inline constexpr bool kExpShiftDeg3OneFmaReduce = Ops<Arch>::kFma;
template <int Degree, class Arch, bool Scalef = false>
struct ExpShiftPow2 {
    static_assert(Degree == 3 || Degree == 5 || Degree == 6, "ExpShiftPow2: degree 3, 5 or 6");
    static_assert(!Scalef || Ops<Arch>::kScalef, "ExpShiftPow2: the Scalef form needs vscalefps (AVX-512)");
    using B = fbatch<Arch>;
    B c_n, lo;
    explicit ExpShiftPow2(float q) : c_n(kMagicBiased - q), lo((q - 130.0f) * 0.693147182f) {}
    // Degree 3 with FMA: r = x - n hi, one FMA, exact (hi = kLn2HiFma = float(ln2)); the term is
    // then exp(x - q hi) (see kExpShiftDeg3OneFmaReduce). Otherwise the two-step reduction.
    static SMB_INLINE B reduce_shift(B x, B n) {
        using namespace exp_detail;
        if constexpr (kExpShiftDeg3OneFmaReduce<Arch> && Degree == 3) return fmadd<Arch>(n, B(-kLn2HiFma), x);
        else return reduce<Arch, false>(x, n, B(0.0f));
    }
    SMB_INLINE B operator()(B x) const {
        using namespace exp_detail;
        if constexpr (Scalef) {
            const B v = fmadd<Arch>(x, B(kLog2e), c_n);
            const B n = v - c_n;
            const B nq = v - B(kMagicBiased);  // n - q, exactly
            const B p = poly<Degree, Arch>(reduce_shift(x, n));
            return Ops<Arch>::scalef_unless_below(p, nq, nq, -126.0f);
        }
        const B xc = max_keep_nan<Arch>(lo, x);
        const B v = fmadd<Arch>(xc, B(kLog2e), c_n);  // low bits: n - q + 127
        const B n = v - c_n;
        const B p = poly<Degree, Arch>(reduce_shift(xc, n));
        // n - q >= -127 (2^-127 encodes as +0); a NaN lane keeps NaN through p.
        const B vc = max_keep_nan<Arch>(B(kMagicBiased - 127.0f), v);
        return p * pow2_from_biased<Arch>(vc);
    }
};

// exp(x) ~= p * 2^n for any float x, without overflow: n = round(x*log2e) (always an integral
// float, possibly huge), p = poly(x - n*ln2).
//   |x| <= 32768 (FMA ISAs; SSE2 reduces in double, |x| up to ~1e6): p * 2^n has
//     exp_neg's relative accuracy (tests/test_exp.cpp checks |p 2^n / exp(x) - 1| <=
//     kExpNegDeg*MaxUlp * 2^-23). n is the rounding of x*float(log2e) (on SSE2 of the rounded
//     product), so r may leave [-ln2/2, ln2/2] by ~1.4e-8 |x|: p is in
//     [sqrt(1/2) (1 - d), sqrt(2) (1 + d)] with d = 2^-23 |x| (plus p's own rounding), and past
//     these bounds the polynomial is used outside its interval (degree 5 at |x| = 1.3e6:
//     2.8 x 2^-23 relative error).
//   any finite x (up to 2^100): r is clamped to [-0.5, 0.5], so p stays in
//     [p(-0.5), p(0.5)] ~ [0.6065, 1.6487] and n stays finite and integral: no overflow, but
//     p * 2^n loses relative accuracy as |x| grows (the reduction is inexact past 2^21 ln2).
//   x = -inf: n = -inf and p = p(-0.5) ~ 0.6065 (finite), so p * 2^(n - m) = 0 for finite m.
//   x = +inf: n = +inf, p = NaN.   x NaN: n NaN, p NaN.
template <int Degree, class Arch>
SMB_INLINE void exp_split(fbatch<Arch> x, fbatch<Arch>& p, fbatch<Arch>& n) {
    static_assert(Degree == 5 || Degree == 6, "exp_split: degree 5 or 6");
    using B = fbatch<Arch>;
    using namespace exp_detail;
    // The magic number takes x's sign: t*log2e + 1.5*2^23 has integer resolution only while
    // t*log2e >= -2^22, t*log2e - 1.5*2^23 only while t*log2e <= 2^22; with the sign of x, v is
    // an integer for every x (|v| >= 2^23), and so is n.
    const B magic = xsimd::bitwise_or(B(kMagic), xsimd::bitwise_and(x, B(-0.0f)));
    n = fmadd<Arch>(x, B(kLog2e), magic) - magic;
    // -inf -> -2^100 so that x - n*ln2 is -inf rather than inf - inf (then clamped to -0.5);
    // NaN stays NaN through both clamps.
    const B nc = max_keep_nan<Arch>(B(-0x1p100f), n);
    B r;
    if constexpr (Ops<Arch>::kFma) {
        r = reduce<Arch, false>(x, nc, B(0.0f));
    } else {
        // Without FMA, n*ln2_hi is exact only for |n| <= 4096 (|x| <= 2839): reduce in double
        // instead, where x - n*ln2 errs by ~2^-53 |x|, so logits near 1e4 keep full accuracy.
        r = Ops<Arch>::reduce_ln2_f64(x, nc);
    }
    r = min_keep_nan<Arch>(B(0.5f), max_keep_nan<Arch>(B(-0.5f), r));
    p = poly<Degree, Arch>(r);
}

// p * 2^n for an integral float n <= 0 (n may be below -150 or -inf: the result is then 0).
// AVX-512: vscalefps, one rounding. Elsewhere: n is clamped to >= -250 and applied as
// 2^a * 2^b, a = max(n, -124), b = n - a in [-126, 0]: p * 2^a is exact for |p| in
// [2^-2, 2^127), so the result is rounded once (gradual underflow, correctly rounded
// subnormals) for every such p; smaller |p| with n < -124 may be rounded twice (1 unit of
// 2^-149 instead of 1/2). n NaN gives NaN on AVX-512 and 0 (NaN if p is NaN) elsewhere.
template <class Arch>
SMB_INLINE fbatch<Arch> ldexp_nonpos(fbatch<Arch> p, fbatch<Arch> n) {
    using B = fbatch<Arch>;
    using namespace exp_detail;
    if constexpr (Ops<Arch>::kScalef) {
        return Ops<Arch>::scalef(p, n);
    } else {
        const B nc = xsimd::max(n, B(-250.0f));
        const B a = xsimd::max(nc, B(-124.0f));
        const B b = nc - a;
        return (p * pow2_from_biased<Arch>(a + B(kMagicBiased))) * pow2_from_biased<Arch>(b + B(kMagicBiased));
    }
}

// xsimd's own exp (xsimd 8.1, generic implementation: Cody-Waite + degree-5 polynomial +
// ldexp by exponent bits, the same on every ISA), as a comparison point. Checked by
// tests/test_exp.cpp: -inf -> +0, NaN -> NaN, 0 -> 1; max ULP kExpXsimdMaxUlp*. Subnormals:
// gradual (max error 0.92 units of 2^-149) for results whose exact value is >= 2^-126.5
// (t >= -87.6831207f), +0 below that (n <= -127 in its ldexp): neither pure policy, so a
// variant using it should be documented as "flush".
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics (the
// _mm512_undefined_* operand, GCC bug 105593) when xsimd's exp is inlined here; the pragma at
// the inlining site silences that (it cannot be avoided from outside xsimd).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <class Arch>
SMB_INLINE fbatch<Arch> exp_xsimd(fbatch<Arch> t) {
    return xsimd::exp(t);
}
#pragma GCC diagnostic pop

// Double-precision exp for t in [-745, 0] (or -inf / NaN): relative error <= kExpNegF64MaxRelErr
// for results >= 2^-1022 (t >= -708.39). Degree-9 minimax, p(0) = 1. Below 2^-1022: AVX-512
// (vscalefpd) gradual; elsewhere flushed to +0 (t < kExpFlushBelowF64). -inf -> 0, NaN -> NaN.
template <class Arch>
SMB_INLINE dbatch<Arch> exp_neg_f64(dbatch<Arch> t) {
    using D = dbatch<Arch>;
    using namespace exp_detail;
    auto reduce_poly = [](D tt, D n) {
        // n*hi is exact without FMA (32-bit hi, |n| < 2^11) and tt - n*hi is exact (Sterbenz).
        const D r = fmadd<Arch>(n, D(-kLn2LoF64), fmadd<Arch>(n, D(-kLn2HiF64), tt));
        return horner_one(r, ExpPolyF64::c, std::make_index_sequence<8>{});
    };
    if constexpr (Ops<Arch>::kScalef) {
        t = max_keep_nan<Arch>(D(kExpNegClampF64), t);
        const D n = fmadd<Arch>(t, D(kLog2eF64), D(kMagicF64)) - D(kMagicF64);
        return Ops<Arch>::scalef(reduce_poly(t, n), n);
    } else {
        const D v = fmadd<Arch>(t, D(kLog2eF64), D(kMagicBiasedF64));
        const D n = v - D(kMagicBiasedF64);
        const D y = reduce_poly(t, n) * pow2_from_biased<Arch>(v);
        return xsimd::select(t < D(kExpFlushBelowF64), D(0.0), y);
    }
}

// exp(t) in double for the accurate tier's lse-form output pass, on targets with
// Ops<Arch>::kFloatFloat (AVX-512; SSE2/AVX2 use exp_neg_f64): Ops<Arch>::exp_f64_lut, whose
// method and bound (kExpF64LutMaxRelErr) are at its definition in ops_avx512.hpp.
template <class Arch>
SMB_INLINE dbatch<Arch> exp_f64_lut(dbatch<Arch> t) {
    static_assert(Ops<Arch>::kFloatFloat, "exp_f64_lut: targets with Ops<Arch>::kFloatFloat only");
    return Ops<Arch>::exp_f64_lut(t);
}

}  // namespace smb::simd
