// Ops for SSE2 (4 float lanes, no FMA): see ops.hpp.
#pragma once

namespace smb::simd {

// What this target has (usable in every unit, also where its registers do not exist).
template <>
struct Traits<xsimd::sse2>
    : TraitsOf</*Fma=*/false, /*Scalef=*/false, /*FloatFloat=*/false, /*RatioFF=*/false> {};

}  // namespace smb::simd

// Only where this target's registers exist (xsimd defines its batch types per compiler flags):
// units compiled with SSE2 flags.
#if defined(__SSE2__)

#include <immintrin.h>

namespace smb::simd {

template <>
struct Ops<xsimd::sse2> : OpsGeneric<xsimd::sse2>, Traits<xsimd::sse2> {

    // x86 MAXPS/MINPS return the second operand when either is NaN: x second keeps a NaN x.
    static SMB_INLINE B max_keep_nan(B lo, B x) { return _mm_max_ps(lo, x); }
    static SMB_INLINE B min_keep_nan(B hi, B x) { return _mm_min_ps(hi, x); }
    static SMB_INLINE D max_keep_nan(D lo, D x) { return _mm_max_pd(lo, x); }

    static SMB_INLINE void widen(B v, D& lo, D& hi) {
        const __m128 r = v;
        lo = _mm_cvtps_pd(r);
        hi = _mm_cvtps_pd(_mm_movehl_ps(r, r));
    }
    static SMB_INLINE B narrow(D lo, D hi) { return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)); }

    // x - n ln2 in double, rounded to float: without FMA, n*ln2_hi is exact in float only for
    // |n| <= 4096, so exp_split reduces in double, where the error is ~2^-53 |x|.
    static SMB_INLINE B reduce_ln2_f64(B x, B n) {
        const __m128 xs = x, ns = n;
        const __m128d ln2 = _mm_set1_pd(0.69314718055994530942);
        const __m128d lo = _mm_sub_pd(_mm_cvtps_pd(xs), _mm_mul_pd(_mm_cvtps_pd(ns), ln2));
        const __m128d hi = _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(xs, xs)),
                                      _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(ns, ns)), ln2));
        return B(_mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)));
    }
};

}  // namespace smb::simd

#endif
