// Vectorised exp kernels for the softmax variants, generic over the xsimd architecture.
//
// ODR: every function here is a template on Arch (so the copy instantiated in the AVX-512 unit
// is a different function from the SSE2 one) and calls only xsimd operations, intrinsics and
// other Arch templates; the only non-template entities are constexpr scalars.
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

// Vector helpers must inline into the kernels' loops: a call passes each batch through memory.
#ifndef SMB_INLINE
#define SMB_INLINE inline __attribute__((always_inline))
#endif

#include <immintrin.h>
#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace smb::simd {

template <class Arch>
using fbatch = xsimd::batch<float, Arch>;
template <class Arch>
using dbatch = xsimd::batch<double, Arch>;

// ---- coefficients ------------------------------------------------------------------------------
// Printed by scripts/pyrun.sh scripts/exp_minimax.py (Remez exchange for the relative error of
// p(r) = 1 + c1 r + ... + cd r^d against exp(r) on [-ln2/2, ln2/2], p(0) = 1 fixed; float
// coefficients chosen by a search around the rounded minimax solution), copied verbatim.
//   degree 5: max relative error 9.1477e-08 (2^-23.38) exact coefficients,
//             9.1710e-08 (2^-23.38) float coefficients (<= 1.289 ulp of the result before
//             the rounding errors of the evaluation)
//   degree 6: 1.9745e-09 (2^-28.92) exact, 3.1371e-09 (2^-28.25) float (0.042 ulp)
//   double, degree 9: 1.5114e-14 (2^-45.91) exact, 1.5132e-14 (2^-45.91) double coefficients
//             (re-checked with Python's decimal module at 60 digits; degree 8 would give ~2^-40)
template <int Degree>
struct ExpPoly;
template <>
struct ExpPoly<5> {
    static constexpr float c[5] = {
        0x1.fffff6p-1f,  // 0.999999702
        0x1.fffdc6p-2f,  // 0.499991506
        0x1.555a7ap-3f,  // 0.166676477
        0x1.573a2p-5f,   // 0.0418978333
        0x1.0fa334p-7f,  // 0.008289719
    };
};
template <>
struct ExpPoly<6> {
    static constexpr float c[6] = {
        0x1p+0f,         // 1
        0x1.fffffcp-2f,  // 0.49999994
        0x1.555494p-3f,  // 0.166665226
        0x1.5558bep-5f,  // 0.0416682921
        0x1.123856p-7f,  // 0.00836853217
        0x1.6a3d0ep-10f, // 0.0013818302
    };
};
struct ExpPolyF64 {
    static constexpr double c[9] = {
        0x1.ffffffffffcf2p-1,   // 0.99999999999991318
        0x1.ffffffffeedbep-2,   // 0.49999999999610256
        0x1.55555555b443cp-3,   // 0.16666666667745911
        0x1.555555811dc6p-5,    // 0.041666666985229694
        0x1.1111105e12108p-7,   // 0.0083333330077413198
        0x1.6c1636c48f156p-10,  // 0.001388880818139778
        0x1.a01bcbb120925p-13,  // 0.00019841603128518365
        0x1.a173621190cadp-16,  // 2.4882001588244388e-05
        0x1.70c982723810bp-19,  // 2.7476783596021036e-06
    };
};

// Reduction constants (also printed by the script).
inline constexpr float kLog2e = 0x1.715476p+0f;
// With a fused multiply-add, t - n*ln2_hi is computed from the exact product, and the exact
// difference (a multiple of 2^-24 below 0.5 in magnitude for |n| < 2^22) is representable: the
// full 24-bit float(ln2) can be used.
inline constexpr float kLn2HiFma = 0x1.62e43p-1f;
inline constexpr float kLn2LoFma = -0x1.05c61p-29f;
// Without FMA (SSE2) n*ln2_hi must be exact in float: 12 significant bits, so for |n| <= 4096
// (|t| <= 2839) the product is exact and t - n*ln2_hi is exact by Sterbenz's lemma.
inline constexpr float kLn2HiNoFma = 0x1.62ep-1f;
inline constexpr float kLn2LoNoFma = 0x1.0bfbe8p-15f;
inline constexpr float kMagic = 0x1.8p23f;            // 1.5 * 2^23: v - kMagic = round(v)
inline constexpr float kMagicBiased = 0x1.8000fep23f;  // 1.5 * 2^23 + 127: low bits of v = n + 127
// The smallest float t whose exact exp(t) is >= 2^-126 (ln 2^-126 = -87.336544750553...).
inline constexpr float kExpFlushBelow = -0x1.5d589ep+6f;  // -87.3365402
// The float just below it, and the smallest float c with kExpFlushBelowNext + c >= ln 2^-126
// (ln 2^-126 - kExpFlushBelowNext = 3.1010093910e-06): exp_neg(t, c) must not flush that lane
// (TwoSum rounds x - m there when its error c is up to ulp(t)/2 = 2^-18).
inline constexpr float kExpFlushBelowNext = -0x1.5d58ap+6f;  // -87.3365479
inline constexpr float kExpFlushMinCorr = 0x1.a035ep-19f;    // 3.1010095e-06
// Below this t (exp(t) < 2^-150) a correctly rounded exp is +0.
inline constexpr float kExpZeroBelow = -0x1.9fe36ap+6f;  // -103.972084

inline constexpr double kLog2eF64 = 0x1.71547652b82fep+0;
inline constexpr double kLn2HiF64 = 0x1.62e42ffp-1;  // 32 bits: n*hi exact for |n| < 2^21
inline constexpr double kLn2LoF64 = -0x1.718432a1b0e26p-35;
inline constexpr double kMagicF64 = 0x1.8p52;
inline constexpr double kMagicBiasedF64 = 0x1.8p52 + 1023.0;
// The smallest double t whose exact exp(t) is >= 2^-1022.
inline constexpr double kExpFlushBelowF64 = -0x1.6232bdd7abcd2p+9;  // -708.39641853226408
inline constexpr double kExpNegClampF64 = -1100.0;

// ---- measured accuracy (tests/test_exp.cpp; every float t in [-103.98, 0]) -------------------
// ULP error of exp_neg(t, c), the entry point the softmax kernels call, for c = 0 and
// c = +-ulp(t)/2 (max over the three), vs the double-precision exp of t + c, for exact results
// >= 2^-126: |y - r| / 2^(floor(log2 exp(t + c)) - 23) (xsimd: exp(t), c = 0). c makes the
// reduction round twice: with c = +-ulp/2 the maxima are ~0.01 ULP above exp_neg(t)'s (AVX2:
// 1.975 -> 1.987, degree 6 0.891 -> 0.909). The kernels differ between ISAs only through FMA
// (SSE2 evaluates a*b + c with two roundings); AVX2 and AVX-512 agree in the normal range.
inline constexpr double kExpNegDeg5MaxUlpSse2 = 2.28;
inline constexpr double kExpNegDeg5MaxUlpAvx2 = 1.99;
inline constexpr double kExpNegDeg5MaxUlpAvx512 = 1.99;
inline constexpr double kExpNegDeg6MaxUlpSse2 = 1.19;
inline constexpr double kExpNegDeg6MaxUlpAvx2 = 0.91;
inline constexpr double kExpNegDeg6MaxUlpAvx512 = 0.91;
inline constexpr double kExpXsimdMaxUlpSse2 = 1.51;
inline constexpr double kExpXsimdMaxUlpAvx2 = 1.53;
inline constexpr double kExpXsimdMaxUlpAvx512 = 1.53;
// Subnormal results (exact value below 2^-126), error in units of 2^-149. AVX-512 only (the
// bit-arithmetic kernels flush those to +0, see above).
inline constexpr double kExpNegDeg5MaxSubnormalErrAvx512 = 1.42;
inline constexpr double kExpNegDeg6MaxSubnormalErrAvx512 = 0.86;
// exp_neg_f64: relative error for t in [-708.39, 0] (results >= 2^-1022), vs long double expl.
inline constexpr double kExpNegF64MaxRelErr = 1.6e-14;

namespace exp_detail {
template <class Arch>
inline constexpr bool kAvx512 = std::is_base_of_v<xsimd::avx512f, Arch>;
template <class Arch>
inline constexpr bool kAvx2Fma = std::is_base_of_v<xsimd::fma3<xsimd::avx2>, Arch>;
}  // namespace exp_detail

// The same constants selected by kernel and arch (for fma3<avx2> / avx512bw / sse2 builds).
template <int Degree, class Arch>
inline constexpr double kExpNegMaxUlp =
    exp_detail::kAvx512<Arch>   ? (Degree == 5 ? kExpNegDeg5MaxUlpAvx512 : kExpNegDeg6MaxUlpAvx512)
    : exp_detail::kAvx2Fma<Arch> ? (Degree == 5 ? kExpNegDeg5MaxUlpAvx2 : kExpNegDeg6MaxUlpAvx2)
                                 : (Degree == 5 ? kExpNegDeg5MaxUlpSse2 : kExpNegDeg6MaxUlpSse2);
template <class Arch>
inline constexpr double kExpXsimdMaxUlp = exp_detail::kAvx512<Arch>    ? kExpXsimdMaxUlpAvx512
                                          : exp_detail::kAvx2Fma<Arch> ? kExpXsimdMaxUlpAvx2
                                                                       : kExpXsimdMaxUlpSse2;

namespace exp_detail {

template <class Arch>
inline constexpr bool kAvx = std::is_base_of_v<xsimd::avx, Arch>;
template <class Arch>
inline constexpr bool kSse2 = std::is_base_of_v<xsimd::sse2, Arch>;
template <class Arch>
inline constexpr bool kFma = kAvx512<Arch> || std::is_base_of_v<xsimd::fma3<xsimd::avx2>, Arch> ||
                             std::is_base_of_v<xsimd::fma3<xsimd::avx>, Arch> ||
                             std::is_base_of_v<xsimd::fma3<xsimd::sse4_2>, Arch>;

}  // namespace exp_detail

// x * y + z, fused wherever the ISA has FMA. Not xsimd::fma: xsimd 8.1 has no AVX-512
// specialisation and falls back to `x * y + z`, which is fused only when the optimiser
// contracts it (so a Debug build computed the Cody-Waite reductions with a rounded product and
// lost ~2e-5 relative accuracy). On SSE2 (no FMA) it is the rounded x * y + z, which the
// SSE2 reduction constants allow for.
template <class Arch, class T>
SMB_INLINE xsimd::batch<T, Arch> fmadd(xsimd::batch<T, Arch> x, xsimd::batch<T, Arch> y, xsimd::batch<T, Arch> z) {
    if constexpr (exp_detail::kAvx512<Arch> && std::is_same_v<T, float>) return _mm512_fmadd_ps(x, y, z);
    else if constexpr (exp_detail::kAvx512<Arch> && std::is_same_v<T, double>) return _mm512_fmadd_pd(x, y, z);
    else return xsimd::fma(x, y, z);
}

namespace exp_detail {

// All-lanes masks: the zero-masked AVX-512 intrinsics are used with them because GCC 12's
// unmasked ones expand to _mm512_undefined_*(), which trips -Wmaybe-uninitialized once inlined
// (GCC bug 105593); with a constant all-ones mask the same unmasked instruction is emitted.
inline constexpr unsigned short kAll16 = 0xFFFF;
inline constexpr unsigned char kAll8 = 0xFF;

// max(lo, x) that returns x when x is NaN (x86 MAXPS/MINPS return the second operand when
// either operand is NaN; xsimd::max's operand order is an implementation detail, so the
// intrinsic is spelled out).
template <class Arch>
SMB_INLINE fbatch<Arch> max_keep_nan(fbatch<Arch> lo, fbatch<Arch> x) {
    if constexpr (kAvx512<Arch>) return _mm512_maskz_max_ps(kAll16, lo, x);
    else if constexpr (kAvx<Arch>) return _mm256_max_ps(lo, x);
    else if constexpr (kSse2<Arch>) return _mm_max_ps(lo, x);
    else return xsimd::select(x < lo, lo, x);
}
template <class Arch>
SMB_INLINE fbatch<Arch> min_keep_nan(fbatch<Arch> hi, fbatch<Arch> x) {
    if constexpr (kAvx512<Arch>) return _mm512_maskz_min_ps(kAll16, hi, x);
    else if constexpr (kAvx<Arch>) return _mm256_min_ps(hi, x);
    else if constexpr (kSse2<Arch>) return _mm_min_ps(hi, x);
    else return xsimd::select(x > hi, hi, x);
}
template <class Arch>
SMB_INLINE dbatch<Arch> max_keep_nan(dbatch<Arch> lo, dbatch<Arch> x) {
    if constexpr (kAvx512<Arch>) return _mm512_maskz_max_pd(kAll8, lo, x);
    else if constexpr (kAvx<Arch>) return _mm256_max_pd(lo, x);
    else if constexpr (kSse2<Arch>) return _mm_max_pd(lo, x);
    else return xsimd::select(x < lo, lo, x);
}

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

// 2^n for an integral float n in [-126, 127] given v = n + kMagicBiased (exact).
template <class Arch>
SMB_INLINE fbatch<Arch> pow2_from_biased(fbatch<Arch> v) {
    if constexpr (kAvx512<Arch>) {
        return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll16, _mm512_castps_si512(v), 23));
    } else {
        using I = xsimd::batch<std::int32_t, Arch>;
        return xsimd::bitwise_cast<fbatch<Arch>>(xsimd::bitwise_cast<I>(v) << 23);
    }
}
template <class Arch>
SMB_INLINE dbatch<Arch> pow2_from_biased(dbatch<Arch> v) {
    using I = xsimd::batch<std::int64_t, Arch>;
    return xsimd::bitwise_cast<dbatch<Arch>>(xsimd::bitwise_cast<I>(v) << 52);
}

// r = t - n*ln2 (+ c), one rounding (see the header comment).
template <class Arch, bool HasC>
SMB_INLINE fbatch<Arch> reduce(fbatch<Arch> t, fbatch<Arch> n, fbatch<Arch> c) {
    using B = fbatch<Arch>;
    constexpr float hi = kFma<Arch> ? kLn2HiFma : kLn2HiNoFma;
    constexpr float lo = kFma<Arch> ? kLn2LoFma : kLn2LoNoFma;
    // fma(n, -hi, t) rather than fnma(n, hi, t): xsimd 8.1's AVX-512 fnma negates n first
    const B rh = fmadd<Arch>(n, B(-hi), t);
    if constexpr (HasC) return rh + fmadd<Arch>(n, B(-lo), c);
    else return fmadd<Arch>(n, B(-lo), rh);
}

template <int Degree, class Arch, bool HasC>
SMB_INLINE fbatch<Arch> exp_neg_impl(fbatch<Arch> t, fbatch<Arch> c) {
    static_assert(Degree == 5 || Degree == 6, "exp_neg: degree 5 or 6");
    using B = fbatch<Arch>;
    if constexpr (kAvx512<Arch>) {
        // One compare instead of a clamp: lanes with t < kExpZeroBelow (whose exact exp rounds
        // to 0), -inf among them, are zeroed by the scalef mask whatever n, p or c hold there
        // (c is NaN when t = -inf came from TwoSum). NLT_UQ keeps NaN lanes: NaN propagates.
        const __mmask16 keep = _mm512_cmp_ps_mask(t, B(kExpZeroBelow), _CMP_NLT_UQ);
        const B n = fmadd<Arch>(t, B(kLog2e), B(kMagic)) - B(kMagic);
        const B p = poly<Degree, Arch>(reduce<Arch, HasC>(t, n, c));
        return _mm512_maskz_scalef_ps(keep, p, n);
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
inline constexpr float kExpShiftMaxQ = 2048.0f;
template <int Degree, class Arch>
struct ExpShiftPow2 {
    using B = fbatch<Arch>;
    B c_n, lo;
    explicit ExpShiftPow2(float q) : c_n(kMagicBiased - q), lo((q - 130.0f) * 0.693147182f) {}
    SMB_INLINE B operator()(B x) const {
        using namespace exp_detail;
        const B xc = max_keep_nan<Arch>(lo, x);
        const B v = fmadd<Arch>(xc, B(kLog2e), c_n);  // low bits: n - q + 127
        const B n = v - c_n;
        const B p = poly<Degree, Arch>(reduce<Arch, false>(xc, n, B(0.0f)));
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
    if constexpr (kFma<Arch>) {
        r = reduce<Arch, false>(x, nc, B(0.0f));
    } else {
        // Without FMA, n*ln2_hi is exact only for |n| <= 4096 (|x| <= 2839): reduce in double
        // instead, where x - n*ln2 errs by ~2^-53 |x|, so logits near 1e4 keep full accuracy.
        const __m128 xs = x, ns = nc;
        const __m128d ln2 = _mm_set1_pd(0.69314718055994530942);
        const __m128d lo = _mm_sub_pd(_mm_cvtps_pd(xs), _mm_mul_pd(_mm_cvtps_pd(ns), ln2));
        const __m128d hi = _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(xs, xs)),
                                      _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(ns, ns)), ln2));
        r = B(_mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)));
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
    if constexpr (kAvx512<Arch>) {
        return _mm512_maskz_scalef_ps(kAll16, p, n);
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
    if constexpr (kAvx512<Arch>) {
        t = max_keep_nan<Arch>(D(kExpNegClampF64), t);
        const D n = fmadd<Arch>(t, D(kLog2eF64), D(kMagicF64)) - D(kMagicF64);
        return _mm512_maskz_scalef_pd(kAll8, reduce_poly(t, n), n);
    } else {
        const D v = fmadd<Arch>(t, D(kLog2eF64), D(kMagicBiasedF64));
        const D n = v - D(kMagicBiasedF64);
        const D y = reduce_poly(t, n) * pow2_from_biased<Arch>(v);
        return xsimd::select(t < D(kExpFlushBelowF64), D(0.0), y);
    }
}

// exp(t) in double for the accurate tier's lse-form output pass, AVX-512 only (SSE2/AVX2 use
// exp_neg_f64): t in [-inf, ~700], never NaN (callers write special rows before). Table-driven:
// N = round(8 t log2e), j = N mod 8 picked from one register of 2^(j/8) by vpermpd,
// r = t - N ln2/8 (|r| <= ln2/16, one fma: N*fl(ln2/8) errs by < 2^-46 for |N| <= 8*870),
// exp(r) - 1 by its degree-5 Taylor polynomial (truncation r^6/720 < 2^-36.6), and 2^(N >> 3)
// added to the exponent field with integer instructions (t is clamped to >= -600 first, so the
// result stays a normal double; its float rounding is +0 there anyway).
// Relative error <= kExpF64LutMaxRelErr (tests/test_exp.cpp): ample for a result rounded once
// to float (2^-24). 7.6 FMA-pipe slots per 8 lanes against ~15 for exp_neg_f64: the
// degree-9 polynomial and vscalefpd (two slots on Zen 4) are gone.
inline constexpr double kExpF64LutMaxRelErr = 1.0e-11;  // measured 9.53e-12, the truncation
template <class Arch>
SMB_INLINE dbatch<Arch> exp_f64_lut(dbatch<Arch> t) {
    static_assert(exp_detail::kAvx512<Arch>, "exp_f64_lut: AVX-512 only");
    using D = dbatch<Arch>;
    using namespace exp_detail;
    // 2^(j/8), j = 0 .. 7, rounded to double (printed by Python's float.hex).
    alignas(64) static constexpr double kPow2j8[8] = {
        0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0,
        0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0,
    };
    constexpr double k8Log2e = 8 * kLog2eF64, kLn2Over8 = 0x1.62e42fefa39efp-4;
    t = max_keep_nan<Arch>(D(-600.0), t);
    const D v = fmadd<Arch>(t, D(k8Log2e), D(kMagicF64));  // low bits: N + 2^51
    const D nf = v - D(kMagicF64);
    const D r = fmadd<Arch>(nf, D(-kLn2Over8), t);
    // exp(r) - 1 = r + r^2 ((1/2 + r/6) + r^2 (1/24 + r/120)): Estrin, depth 3 against
    // Horner's 5 (the loop is latency-bound, not only FMA-bound, on Zen 4).
    const D r2 = _mm512_maskz_mul_pd(kAll8, r, r);
    const D a = fmadd<Arch>(r, D(1.0 / 6), D(0.5));
    const D b = fmadd<Arch>(r, D(1.0 / 120), D(1.0 / 24));
    const D q = fmadd<Arch>(r2, fmadd<Arch>(r2, b, a), r);
    const __m512i vi = _mm512_castpd_si512(v);
    const __m512d l = _mm512_maskz_permutexvar_pd(kAll8, vi, _mm512_load_pd(kPow2j8));  // 2^(j/8)
    const D y = fmadd<Arch>(D(l), q, D(l));
    const __m512i nn = _mm512_maskz_sub_epi64(kAll8, vi, _mm512_castpd_si512(_mm512_set1_pd(kMagicF64)));
    const __m512i e = _mm512_maskz_slli_epi64(kAll8, _mm512_maskz_srai_epi64(kAll8, nn, 3), 52);
    return _mm512_castsi512_pd(_mm512_maskz_add_epi64(kAll8, _mm512_castpd_si512(y), e));
}

}  // namespace smb::simd
