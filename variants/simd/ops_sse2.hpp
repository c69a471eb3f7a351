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

    // bf16 (ops_generic.hpp): 4 halfwords interleaved under zeros; the rounded bits (integer
    // round to nearest even) packed back with a signed pack of their sign-extended halves.
    static SMB_INLINE B load_bf16(const std::uint16_t* p) {
        return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    }
    static SMB_INLINE __m128i bf16_packed(B v) {
        const __m128i r = float_to_bf16_bits(v);
        return _mm_packs_epi32(_mm_srai_epi32(_mm_slli_epi32(r, 16), 16), _mm_setzero_si128());
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p), bf16_packed(v));
    }
    // Non-temporal stores (ops.hpp): p aligned to 16 (float) or 8 (bf16) bytes.
    static SMB_INLINE void stream(float* p, B v) { _mm_stream_ps(p, v); }
    static SMB_INLINE void stream_bf16(std::uint16_t* p, B v) {
        _mm_stream_si64(reinterpret_cast<long long*>(p), _mm_cvtsi128_si64(bf16_packed(v)));
    }
    static SMB_INLINE void stream_fence() { _mm_sfence(); }

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
