// Ops for AVX2 with FMA (8 float lanes): see ops.hpp.
#pragma once

namespace smb::simd {

// What this target has (usable in every unit, also where its registers do not exist).
template <>
struct Traits<xsimd::fma3<xsimd::avx2>> {
    static constexpr bool kFma = true;         // fused multiply-add
    static constexpr bool kScalef = false;      // vscalefps: p * 2^n rounded once, gradual underflow
    static constexpr bool kFloatFloat = false;  // the accurate tier's float-float output ops
};

}  // namespace smb::simd

// Only where this target's registers exist (xsimd defines its batch types per compiler flags):
// units compiled with AVX2 and FMA flags.
#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

namespace smb::simd {

template <>
struct Ops<xsimd::fma3<xsimd::avx2>> : OpsGeneric<xsimd::fma3<xsimd::avx2>>, Traits<xsimd::fma3<xsimd::avx2>> {

    // x86 VMAXPS/VMINPS return the second operand when either is NaN: x second keeps a NaN x.
    static SMB_INLINE B max_keep_nan(B lo, B x) { return _mm256_max_ps(lo, x); }
    static SMB_INLINE B min_keep_nan(B hi, B x) { return _mm256_min_ps(hi, x); }
    static SMB_INLINE D max_keep_nan(D lo, D x) { return _mm256_max_pd(lo, x); }

    static SMB_INLINE void widen(B v, D& lo, D& hi) {
        const __m256 r = v;
        lo = _mm256_cvtps_pd(_mm256_castps256_ps128(r));
        hi = _mm256_cvtps_pd(_mm256_extractf128_ps(r, 1));
    }
    static SMB_INLINE B narrow(D lo, D hi) { return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)); }

    // bf16 (ops_generic.hpp): 8 halfwords zero-extended and shifted up; the rounded bits
    // (integer round to nearest even) packed back from their sign-extended halves.
    static SMB_INLINE B load_bf16(const std::uint16_t* p) {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        const __m256i r = _mm256_srai_epi32(_mm256_slli_epi32(float_to_bf16_bits(v), 16), 16);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                         _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
    }
};

}  // namespace smb::simd

#endif
