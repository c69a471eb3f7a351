// Constants of the exp kernels (variants/simd/exp.hpp): polynomial coefficients, reduction
// constants and the measured accuracy of each kernel. Plain scalars, no architecture: the ops
// headers (ops_*.hpp) and the kernels both read them.
#pragma once

#include <cstddef>

namespace smb::simd {

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
//   degree 3 (poly3, the bf16-output kernel: ExpShiftPow2<3>, variants/simd/guarded_bf16.hpp):
//             1.0129e-04 (2^-13.27) exact and float coefficients (1344 ulp of a float result:
//             0.0052 ulp of a bf16 one; its bound in kExpShiftDeg3MaxRelErr below)
template <int Degree>
struct ExpPoly;
template <>
struct ExpPoly<3> {
    static constexpr float c[3] = {
        0x1.000cd6p+0f,  // 1.00019586
        0x1.021d6p-1f,   // 0.504130363
        0x1.5249acp-3f,  // 0.16517958
    };
};
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
// |ln2 - kLn2HiFma| (1.9046e-9): what degree 3's one-FMA reduction leaves out (exp.hpp,
// kExpShiftDeg3OneFmaReduce).
inline constexpr double kLn2HiFmaErr = 1.91e-9;
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
// ExpShiftPow2<3> (poly3): relative error for normal results over the guarded window, every ISA
// (tests/test_exp.cpp: every float of [32, 64) and [-64, -32), and a sample for several q).
// Measured 1.01575e-4 on AVX2 and AVX-512 against exp(x - q float(ln2)) (the polynomial's
// 1.0129e-4, the evaluation's roundings and up to |n - q| 1.9e-9 from the one-FMA reduction,
// exp.hpp; 1.01353e-4 with the two-step reduction before), 1.01503e-4 on SSE2 against
// exp(x - q ln2) (its rounded products; at q = 1800, where r carries the 12-bit ln2_hi
// reduction's rounding).
inline constexpr double kExpShiftDeg3MaxRelErr = 1.02e-4;
// exp_neg_f64: relative error for t in [-708.39, 0] (results >= 2^-1022), vs long double expl.
inline constexpr double kExpNegF64MaxRelErr = 1.6e-14;

// exp_f64_lut (ops_avx512.hpp): relative error bound, measured 9.53e-12 (the truncation).
inline constexpr double kExpF64LutMaxRelErr = 1.0e-11;

// RatioFF (the accurate tier's float-float softmax output k exp(t + e), ops_avx2.hpp and
// ops_avx512.hpp): ULP bound in the normal band from the error analyses at the definitions
// (half an ulp for the one rounding plus 2^24 times the relative error before it: AVX-512
// 2^-27.5, AVX2 2^-26.4); the subnormal band within 1 unit of 2^-149. tests/test_exp.cpp
// sweeps t and e against expl for several k.
inline constexpr double kRatioFFMaxUlpAvx512 = 0.59;
inline constexpr double kRatioFFMaxUlpAvx2 = 0.69;

}  // namespace smb::simd
