// Ops for AVX2 with FMA (8 float lanes): see ops.hpp.
#pragma once

namespace smb::simd {

// What this target has (usable in every unit, also where its registers do not exist).
template <>
struct Traits<xsimd::fma3<xsimd::avx2>>
    : TraitsOf</*Fma=*/true, /*Scalef=*/false, /*FloatFloat=*/false, /*RatioFF=*/true> {};

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

    // The accurate tier's softmax output k exp(x - m) in float-float, per 8 lanes, given the
    // TwoSum parts t + e = x - m (t <= 0, |e| <= ulp(t)/2; k = 1/d in double, fixed per row).
    // The AVX-512 form (ops_avx512.hpp) with an 8-entry table (one vpermps) and no vscalefps:
    //   N = round(8 t log2e) (magic-number trick), j = N mod 8, s = floor(N / 8);
    //   r = t - N ln2hi/8, exact: the FMA forms t - N ln2hi/8 exactly, a multiple of 2^-28 (t's
    //     ulp once |t| >= ln2/16, i.e. N != 0; for N = 0, r = t) below 2^-4 in magnitude, so
    //     24 bits hold it; |r| <= ln2/16 (1 + 2^-13) < 0.0434;
    //   rl = e - N ln2lo/8 (one rounding, |rl| < 2^-17, its error < 2^-41);
    //   q = exp(r) - 1 by the degree-4 Taylor polynomial r + r^2 (1/2 + r/6 + r^2/24):
    //     truncation <= r^5/120 < 2^-29.6, |q| < 0.0444;
    //   q' = q + rl (1 + q) = exp(r + rl) - 1 up to rl^2/2 < 2^-35;
    //   TH_j + TL_j = k 2^(j/8) (a double, split into two floats, per row: 16 values; their sum
    //     is k 2^(j/8) to 2^-48 relative);
    //   yy = TH_j + fma(TH_j, q', TL_j), rounded once; y = yy 2^s.
    // Error of yy before its rounding, relative to the exact k 2^(j/8) exp(r + rl) >= 0.957 TH_j
    // (|q| < 2^-4.49 so every rounding of a q-sized value is at most 2^-29 TH_j):
    //   q: its last FMA 2^-29, the inner terms (r^2, 1/2 + r/6 + r^2/24 to 2^-23 relative,
    //     scaled by r^2 < 2^-9) < 2^-31.5, truncation 2^-29.6; q + rl (1 + q): 2^-29 and 2^-41;
    //   fma(TH_j, q', TL_j): 2^-28 (half an ulp of a value < 2^-4.49 TH_j);
    //   TL_j q' left out: |TL_j| <= 2^-24 TH_j, so < 2^-28.5 TH_j; the table 2^-48;
    //   in all < 1.10e-8 TH_j <= 1.15e-8 (2^-26.4) of the exact value. The final rounding adds
    //   half an ulp and the error above at most 2^-26.4 * 2^24 ulp = 0.19: <= 0.69 ULP in the
    //   normal band, whatever k (the normaliser's own error, ~1e-11, adds nothing visible).
    // Scaling by 2^s (s in [-159, 0]) without vscalefps: y = (yy 2^a) 2^b with a = floor(s/2),
    // b = s - a, both in [-80, 0] (normal powers of two from exponent bits). yy >= 0.957 k and
    // k >= 1/n, so yy 2^a >= 2^-81/n is a normal float (exact) for any row below 2^45 entries;
    // then yy 2^a 2^b is exact when normal and rounded once into the subnormal band (< 1 unit
    // of 2^-149 with yy's own rounding: the gradual policy).
    // x = -inf (and tail lanes): t is clamped to -110 (exp < 2^-158: y = +0) and TwoSum's NaN
    // error to a tiny number, so the lane is +0. Never called on special rows (NaN, +inf).
    // Per 8 outputs: 6 (TwoSum, at the caller) + 3 clamps + 18 arithmetic + 2 vpermps + 6
    // integer ops, against two 4-lane degree-9 double exps (~40 instructions) before.
    struct RatioFF {
        __m256 TH, TL;
        explicit RatioFF(double k) {
            alignas(32) static constexpr double kPow2j8[8] = {
                0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0,
                0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0,
            };  // 2^(j/8) rounded to double (Python's float.hex)
            const __m256d kd = _mm256_set1_pd(k);
            const __m256d t0 = _mm256_mul_pd(_mm256_load_pd(kPow2j8), kd), t1 = _mm256_mul_pd(_mm256_load_pd(kPow2j8 + 4), kd);
            const __m128 h0 = _mm256_cvtpd_ps(t0), h1 = _mm256_cvtpd_ps(t1);
            const __m128 l0 = _mm256_cvtpd_ps(_mm256_sub_pd(t0, _mm256_cvtps_pd(h0)));
            const __m128 l1 = _mm256_cvtpd_ps(_mm256_sub_pd(t1, _mm256_cvtps_pd(h1)));
            TH = _mm256_set_m128(h1, h0);
            TL = _mm256_set_m128(l1, l0);
        }
        SMB_INLINE B operator()(B t, B e) const {
            const B c8(8.0f * kLog2e), magic(kMagic), hi8(kLn2HiFma * 0.125f), lo8(kLn2LoFma * 0.125f);
            t = _mm256_max_ps(B(-110.0f), t);                                       // NaN t kept
            e = _mm256_max_ps(_mm256_min_ps(e, B(0x1p-17f)), B(-0x1p-17f));          // NaN e -> 2^-17
            const B vv = fmadd(t, c8, magic);
            const B nf = vv - magic;
            const B r = fmadd(nf, -hi8, t);
            const B rl = fmadd(nf, -lo8, e);
            const B r2 = r * r;
            const B a = fmadd(r, B(1.0f / 6), B(0.5f));
            const B q = fmadd(r2, fmadd(r2, B(1.0f / 24), a), r);
            const B qq = q + fmadd(rl, q, rl);
            const __m256i vi = _mm256_castps_si256(vv);  // low bits: kMagic's (0 mod 8) + N
            const B th = _mm256_permutevar8x32_ps(TH, vi);
            const B tl = _mm256_permutevar8x32_ps(TL, vi);
            const B yy = th + fmadd(th, qq, tl);
            // u = s + 254: (kMagic's bits >> 3) = 0x09680000 exactly; a + 127 = u >> 1,
            // b + 127 = u - (a + 127); both in [47, 127].
            const __m256i u = _mm256_add_epi32(_mm256_srai_epi32(vi, 3), _mm256_set1_epi32(254 - 0x09680000));
            const __m256i ea = _mm256_srli_epi32(u, 1), eb = _mm256_sub_epi32(u, ea);
            return (yy * B(_mm256_castsi256_ps(_mm256_slli_epi32(ea, 23)))) * B(_mm256_castsi256_ps(_mm256_slli_epi32(eb, 23)));
        }
    };

    // bf16 (ops_generic.hpp): 8 halfwords zero-extended and shifted up; the rounded bits
    // (integer round to nearest even) packed back from their sign-extended halves.
    static SMB_INLINE B load_bf16(const std::uint16_t* p) {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
    }
    static SMB_INLINE __m128i bf16_packed(B v) {
        const __m256i r = _mm256_srai_epi32(_mm256_slli_epi32(float_to_bf16_bits(v), 16), 16);
        return _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), bf16_packed(v));
    }
    // Non-temporal stores (ops.hpp): p aligned to 32 (float) or 16 (bf16) bytes.
    static SMB_INLINE void stream(float* p, B v) { _mm256_stream_ps(p, v); }
    static SMB_INLINE void stream_bf16(std::uint16_t* p, B v) {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), bf16_packed(v));
    }
    static SMB_INLINE void stream_fence() { _mm_sfence(); }
};

}  // namespace smb::simd

#endif
