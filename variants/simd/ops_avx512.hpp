// Ops for AVX-512 F/DQ/BW/VL (16 float lanes, FMA, masks, vscalefps): see ops.hpp.
//
// All-lanes masks: the zero-masked intrinsics are used with a constant all-ones mask because
// GCC 12's unmasked ones expand to _mm512_undefined_*(), which trips -Wmaybe-uninitialized once
// inlined (GCC bug 105593); with the constant mask the same unmasked instruction is emitted.
#pragma once

namespace smb::simd {

// What this target has (usable in every unit, also where its registers do not exist).
template <>
struct Traits<xsimd::avx512bw>
    : TraitsOf</*Fma=*/true, /*Scalef=*/true, /*FloatFloat=*/true, /*RatioFF=*/true> {};

// avx512bf16: AVX-512 F/DQ/BW/VL plus the BF16 extension (vcvtneps2bf16), the list's ISA of that
// name. Its own xsimd architecture (AVX-512 registers and kernels, by derivation), so its
// instantiations never collide with avx512's; Ops<avx512bf16> is Ops<avx512bw>'s forms plus the
// native float -> bf16 store.
struct avx512bf16 : xsimd::avx512bw {
    static constexpr char const* name() noexcept { return "avx512bf16"; }
};
template <>
struct Traits<avx512bf16> : Traits<xsimd::avx512bw> {};

}  // namespace smb::simd

#if XSIMD_WITH_AVX512BW
namespace xsimd::types {
template <class T>
struct get_bool_simd_register<T, smb::simd::avx512bf16> {
    using type = simd_avx512_bool_register<T>;
};
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(smb::simd::avx512bf16, avx512bw);
}  // namespace xsimd::types
#endif

// Only where this target's registers exist (xsimd defines its batch types per compiler flags):
// units compiled with AVX-512 F/DQ/BW/VL flags.
#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && defined(__AVX512VL__)

#include <immintrin.h>

#include <cstddef>
#include <limits>

namespace smb::simd {

template <>
struct Ops<xsimd::avx512bw> : OpsGeneric<xsimd::avx512bw>, Traits<xsimd::avx512bw> {
    static constexpr unsigned short kAll16 = 0xFFFF;
    static constexpr unsigned char kAll8 = 0xFF;

    // Not xsimd::fma: xsimd 8.1 has no AVX-512 specialisation and falls back to `x * y + z`,
    // which is fused only when the optimiser contracts it (a Debug build lost ~2e-5 relative
    // accuracy in the Cody-Waite reductions that way).
    static SMB_INLINE B fmadd(B x, B y, B z) { return _mm512_fmadd_ps(x, y, z); }
    static SMB_INLINE D fmadd(D x, D y, D z) { return _mm512_fmadd_pd(x, y, z); }

    // VMAXPS/VMINPS return the second operand when either is NaN: x second keeps a NaN x.
    static SMB_INLINE B max_keep_nan(B lo, B x) { return _mm512_maskz_max_ps(kAll16, lo, x); }
    static SMB_INLINE B min_keep_nan(B hi, B x) { return _mm512_maskz_min_ps(kAll16, hi, x); }
    static SMB_INLINE D max_keep_nan(D lo, D x) { return _mm512_maskz_max_pd(kAll8, lo, x); }

    static SMB_INLINE B pow2_from_biased(B v) {
        return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll16, _mm512_castps_si512(v), 23));
    }
    using OpsGeneric::pow2_from_biased;  // double

    static SMB_INLINE B load_partial(const float* p, std::size_t k, float fill) {
        const __mmask16 m = __mmask16((1u << k) - 1u);
        return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), m, p);
    }
    static SMB_INLINE void store_partial(float* p, B v, std::size_t k) {
        _mm512_mask_storeu_ps(p, __mmask16((1u << k) - 1u), v);
    }
    // bf16 (ops_generic.hpp): 16 halfwords placed in the high halves of the lanes, the low halves
    // zeroed, by one vpermw (a 256-bit load, then halfword j to position 2j + 1 under a zeroing
    // mask) instead of vpmovzxwd and a shift: one vector instruction fewer per load, the same bits
    // (the tail: zero-extended and shifted up, masked); the rounded bits (integer round to nearest
    // even) narrowed by vpmovdw.
    static SMB_INLINE B load_bf16(const std::uint16_t* p) {
        // lane i: halfword 2i + 1 (the high half) takes source halfword i, halfword 2i is zeroed
        const __m512i idx = _mm512_setr_epi32(0 << 16, 1 << 16, 2 << 16, 3 << 16, 4 << 16, 5 << 16, 6 << 16,
                                              7 << 16, 8 << 16, 9 << 16, 10 << 16, 11 << 16, 12 << 16,
                                              13 << 16, 14 << 16, 15 << 16);
        const __m512i w = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return _mm512_castsi512_ps(_mm512_maskz_permutexvar_epi16(__mmask32(0xAAAAAAAAu), idx, w));
    }
    static SMB_INLINE B load_bf16_partial(const std::uint16_t* p, std::size_t k, float fill) {
        const __mmask16 m = __mmask16((1u << k) - 1u);
        const __m512i w = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
        return _mm512_mask_blend_ps(m, _mm512_set1_ps(fill), _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll16, w, 16)));
    }
    static SMB_INLINE __m512i float_to_bf16_bits(B v) {
        const __m512i u = _mm512_castps_si512(v);
        const __m512i lsb = _mm512_maskz_and_epi32(kAll16, _mm512_maskz_srli_epi32(kAll16, u, 16), _mm512_set1_epi32(1));
        const __m512i rne = _mm512_maskz_srli_epi32(
            kAll16, _mm512_maskz_add_epi32(kAll16, _mm512_maskz_add_epi32(kAll16, u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
        const __m512i quiet = _mm512_maskz_or_epi32(kAll16, _mm512_maskz_srli_epi32(kAll16, u, 16), _mm512_set1_epi32(0x40));
        return _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), rne, quiet);
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(float_to_bf16_bits(v)));
    }
    static SMB_INLINE void store_bf16_partial(std::uint16_t* p, B v, std::size_t k) {
        _mm256_mask_storeu_epi16(p, __mmask16((1u << k) - 1u), _mm512_cvtepi32_epi16(float_to_bf16_bits(v)));
    }
    // Non-temporal stores (ops.hpp): p aligned to 64 (float) or 32 (bf16) bytes.
    static SMB_INLINE void stream(float* p, B v) { _mm512_stream_ps(p, v); }
    static SMB_INLINE void stream_bf16(std::uint16_t* p, B v) {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(float_to_bf16_bits(v)));
    }
    static SMB_INLINE void stream_fence() { _mm_sfence(); }

    static SMB_INLINE float hmax(B v) { return _mm512_reduce_max_ps(v); }
    static SMB_INLINE double hadd(D v) { return _mm512_reduce_add_pd(v); }

    static SMB_INLINE void widen(B v, D& lo, D& hi) {
        const __m512 r = v;
        lo = _mm512_cvtps_pd(_mm512_castps512_ps256(r));
        hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r), 1)));
    }
    static SMB_INLINE B narrow(D lo, D hi) {
        return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    }

    // p * 2^n, one rounding (into the subnormal range too); n may be -inf (result 0) or NaN.
    static SMB_INLINE B scalef(B p, B n) { return _mm512_maskz_scalef_ps(kAll16, p, n); }
    static SMB_INLINE D scalef(D p, D n) { return _mm512_maskz_scalef_pd(kAll8, p, n); }
    // scalef(p, n) where t >= lo or t is NaN (NLT_UQ), +0 where t < lo: one compare, no clamp.
    static SMB_INLINE B scalef_unless_below(B p, B n, B t, float lo) {
        const __mmask16 keep = _mm512_cmp_ps_mask(t, B(lo), _CMP_NLT_UQ);
        return _mm512_maskz_scalef_ps(keep, p, n);
    }

    // y = float(f(double(x))) eight lanes at a time, loading and storing 256-bit halves (no
    // extract/insert), two halves per step for two independent chains; masked tail (lanes past
    // n read as -inf).
    template <class F>
    static SMB_FLATTEN void write_f64_halves(const float* x, float* y, std::size_t n, F f) {
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            const __m512d a = f(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)));
            const __m512d b = f(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8)));
            _mm256_storeu_ps(y + i, _mm512_cvtpd_ps(a));
            _mm256_storeu_ps(y + i + 8, _mm512_cvtpd_ps(b));
        }
        for (; i < n; i += 8) {
            const __mmask8 k = n - i >= 8 ? __mmask8(0xFF) : __mmask8((1u << (n - i)) - 1u);
            const __m256 v = _mm256_mask_loadu_ps(_mm256_set1_ps(-std::numeric_limits<float>::infinity()), k, x + i);
            _mm256_mask_storeu_ps(y + i, k, _mm512_cvtpd_ps(f(_mm512_cvtps_pd(v))));
        }
    }

    // The accurate tier's softmax output k exp(x - m) in float-float, per 16 lanes, given the
    // TwoSum parts t + e = x - m (k = 1/d in double, fixed per row):
    //   N = round(16 t log2e), j = N mod 16, s = floor(N / 16);
    //   r = t - N ln2/16 (Cody-Waite, exact) and rl = e - N ln2lo/16, |r| <= ln2/32;
    //   q = exp(r) - 1 by its degree-4 Taylor polynomial (truncation r^5/120 < 2^-34), then
    //   q' = q + rl (1 + q) for exp(r + rl) - 1;
    //   TH_j + TL_j = k 2^(j/16) (a double split into two floats, per row: 32 values);
    //   y = scalef(TH_j + (TH_j q' + TL_j), s): one rounding of a value within 2^-27.5 relative
    //   of the exact one (q' is small, so its float errors are scaled by |q'| <= 0.023: q's last
    //   FMA and q + rl(1 + q) 2^-30 each, the FMA TH q' + TL 2^-29, TL q' left out 2^-29.5), so
    //   <= 0.5 + 2^-27.5 * 2^24 = 0.59 ULP (kRatioFFMaxUlpAvx512; tests/test_exp.cpp measures
    //   0.545) in the normal band; below it scalef rounds again (< 1 unit of 2^-149 in all).
    // 16 lanes in float instead of two 8-lane double exps: ~13 FMA-pipe slots per 16 outputs
    // against ~30 cycles measured for the double form on Zen 4.
    // x = -inf (and tail lanes): t is clamped to -110 (exp < 2^-158: +0) and TwoSum's NaN error
    // to a tiny positive number, so the lane is +0. Never called on special rows (NaN, +inf).
    struct RatioFF {
        __m512 TH, TL;
        explicit RatioFF(double k) {
            alignas(64) static constexpr double kPow2j16[16] = {
                0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
                0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
                0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
                0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
            };  // 2^(j/16) rounded to double (Python's float.hex)
            const __m512d kd = _mm512_set1_pd(k);
            const __m512d t0 = _mm512_mul_pd(_mm512_load_pd(kPow2j16), kd), t1 = _mm512_mul_pd(_mm512_load_pd(kPow2j16 + 8), kd);
            const __m256 h0 = _mm512_cvtpd_ps(t0), h1 = _mm512_cvtpd_ps(t1);
            const __m256 l0 = _mm512_cvtpd_ps(_mm512_sub_pd(t0, _mm512_cvtps_pd(h0)));
            const __m256 l1 = _mm512_cvtpd_ps(_mm512_sub_pd(t1, _mm512_cvtps_pd(h1)));
            TH = _mm512_insertf32x8(_mm512_castps256_ps512(h0), h1, 1);
            TL = _mm512_insertf32x8(_mm512_castps256_ps512(l0), l1, 1);
        }
        SMB_INLINE B operator()(B t, B e) const {
            const B lo_t(-110.0f), tiny(0x1p-17f), ntiny(-0x1p-17f);
            const B c16(16.0f * kLog2e), magic(kMagic), hi16(kLn2HiFma * 0.0625f), lo16(kLn2LoFma * 0.0625f);
            t = max_keep_nan(lo_t, t);
            e = _mm512_maskz_max_ps(kAll16, _mm512_maskz_min_ps(kAll16, e, tiny), ntiny);  // NaN -> tiny
            const B vv = fmadd(t, c16, magic);
            const B nf = vv - magic;
            const B r = fmadd(nf, -hi16, t);
            const B rl = fmadd(nf, -lo16, e);
            const B r2 = _mm512_maskz_mul_ps(kAll16, r, r);
            const B a = fmadd(r, B(1.0f / 6), B(0.5f));
            const B q = fmadd(r2, fmadd(r2, B(1.0f / 24), a), r);
            const B qq = q + fmadd(rl, q, rl);
            const __m512i idx = _mm512_castps_si512(vv);
            const B th = _mm512_maskz_permutexvar_ps(kAll16, idx, TH);
            const B tl = _mm512_maskz_permutexvar_ps(kAll16, idx, TL);
            const B yy = th + fmadd(th, qq, tl);
            return B(_mm512_maskz_scalef_ps(kAll16, yy, _mm512_maskz_mul_ps(kAll16, nf, B(0.0625f))));
        }
    };

    // exp(t) in double for the accurate tier's sums and lse-form output pass: t in [-inf, ~700]
    // or NaN. A NaN t comes from a float NaN (x - m of a NaN entry the max dropped): its payload
    // sits in the top 23 mantissa bits, so the integer exponent increment computed below from
    // v's bits is 0 and the NaN y stays NaN (the sums rely on it: tests/test_special.cpp). Table-driven: N = round(8 t log2e), j = N mod 8
    // picked from one register of 2^(j/8) by vpermpd, r = t - N ln2/8 (|r| <= ln2/16, one fma:
    // N*fl(ln2/8) errs by < 2^-46 for |N| <= 8*870), exp(r) - 1 by its degree-5 Taylor
    // polynomial (truncation r^6/720 < 2^-36.6), and 2^(N >> 3) added to the exponent field
    // with integer instructions (t is clamped to >= -600 first, so the result stays a normal
    // double; its float rounding is +0 there anyway).
    // Relative error <= kExpF64LutMaxRelErr (tests/test_exp.cpp): ample for a result rounded
    // once to float (2^-24). 7.6 FMA-pipe slots per 8 lanes against ~15 for exp_neg_f64: the
    // degree-9 polynomial and vscalefpd (two slots on Zen 4) are gone.
    static SMB_INLINE D exp_f64_lut(D t) {
        // 2^(j/8), j = 0 .. 7, rounded to double (printed by Python's float.hex).
        alignas(64) static constexpr double kPow2j8[8] = {
            0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0,
            0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0,
        };
        constexpr double k8Log2e = 8 * kLog2eF64, kLn2Over8 = 0x1.62e42fefa39efp-4;
        t = max_keep_nan(D(-600.0), t);
        const D v = fmadd(t, D(k8Log2e), D(kMagicF64));  // low bits: N + 2^51
        const D nf = v - D(kMagicF64);
        const D r = fmadd(nf, D(-kLn2Over8), t);
        // exp(r) - 1 = r + r^2 ((1/2 + r/6) + r^2 (1/24 + r/120)): Estrin, depth 3 against
        // Horner's 5 (the loop is latency-bound, not only FMA-bound, on Zen 4).
        const D r2 = _mm512_maskz_mul_pd(kAll8, r, r);
        const D a = fmadd(r, D(1.0 / 6), D(0.5));
        const D b = fmadd(r, D(1.0 / 120), D(1.0 / 24));
        const D q = fmadd(r2, fmadd(r2, b, a), r);
        const __m512i vi = _mm512_castpd_si512(v);
        const __m512d l = _mm512_maskz_permutexvar_pd(kAll8, vi, _mm512_load_pd(kPow2j8));  // 2^(j/8)
        const D y = fmadd(D(l), q, D(l));
        const __m512i nn = _mm512_maskz_sub_epi64(kAll8, vi, _mm512_castpd_si512(_mm512_set1_pd(kMagicF64)));
        const __m512i e = _mm512_maskz_slli_epi64(kAll8, _mm512_maskz_srai_epi64(kAll8, nn, 3), 52);
        return _mm512_castsi512_pd(_mm512_maskz_add_epi64(kAll8, _mm512_castpd_si512(y), e));
    }
};

}  // namespace smb::simd

#endif

// avx512bf16's store: vcvtneps2bf16 rounds to nearest even, keeps NaN (quiet) and, unlike the
// integer form, treats a subnormal float as 0 (DAZ; Intel SDM, VCVTNEPS2BF16): its rows flush.
#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512BF16__)

namespace smb::simd {

// Every primitive is Ops<avx512bw>'s, forwarded through the shared register types (__m512,
// __m512d), except the bf16 stores.
template <>
struct Ops<avx512bf16> : OpsGeneric<avx512bf16>, Traits<avx512bf16> {
    using A = Ops<xsimd::avx512bw>;
    static SMB_INLINE A::B a(B v) { return A::B(__m512(v)); }
    static SMB_INLINE A::D a(D v) { return A::D(__m512d(v)); }

    static SMB_INLINE B fmadd(B x, B y, B z) { return __m512(A::fmadd(a(x), a(y), a(z))); }
    static SMB_INLINE D fmadd(D x, D y, D z) { return __m512d(A::fmadd(a(x), a(y), a(z))); }
    static SMB_INLINE B max_keep_nan(B lo, B x) { return __m512(A::max_keep_nan(a(lo), a(x))); }
    static SMB_INLINE B min_keep_nan(B hi, B x) { return __m512(A::min_keep_nan(a(hi), a(x))); }
    static SMB_INLINE D max_keep_nan(D lo, D x) { return __m512d(A::max_keep_nan(a(lo), a(x))); }
    static SMB_INLINE B pow2_from_biased(B v) { return __m512(A::pow2_from_biased(a(v))); }
    static SMB_INLINE D pow2_from_biased(D v) { return __m512d(A::pow2_from_biased(a(v))); }
    static SMB_INLINE B load_partial(const float* p, std::size_t k, float fill) { return __m512(A::load_partial(p, k, fill)); }
    static SMB_INLINE void store_partial(float* p, B v, std::size_t k) { A::store_partial(p, a(v), k); }
    static SMB_INLINE float hmax(B v) { return A::hmax(a(v)); }
    static SMB_INLINE double hadd(D v) { return A::hadd(a(v)); }
    static SMB_INLINE void widen(B v, D& lo, D& hi) {
        A::D l, h;
        A::widen(a(v), l, h);
        lo = __m512d(l);
        hi = __m512d(h);
    }
    static SMB_INLINE B narrow(D lo, D hi) { return __m512(A::narrow(a(lo), a(hi))); }
    static SMB_INLINE B scalef(B p, B n) { return __m512(A::scalef(a(p), a(n))); }
    static SMB_INLINE D scalef(D p, D n) { return __m512d(A::scalef(a(p), a(n))); }
    static SMB_INLINE B scalef_unless_below(B p, B n, B t, float lo) {
        return __m512(A::scalef_unless_below(a(p), a(n), a(t), lo));
    }
    static SMB_INLINE D exp_f64_lut(D t) { return __m512d(A::exp_f64_lut(a(t))); }
    struct RatioFF {
        A::RatioFF r;
        explicit RatioFF(double k) : r(k) {}
        SMB_INLINE B operator()(B t, B e) const { return __m512(r(a(t), a(e))); }
    };
    static SMB_INLINE B load_bf16(const std::uint16_t* p) { return __m512(A::load_bf16(p)); }
    static SMB_INLINE B load_bf16_partial(const std::uint16_t* p, std::size_t k, float fill) {
        return __m512(A::load_bf16_partial(p, k, fill));
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), (__m256i)_mm512_cvtneps_pbh(v));
    }
    static SMB_INLINE void store_bf16_partial(std::uint16_t* p, B v, std::size_t k) {
        _mm256_mask_storeu_epi16(p, __mmask16((1u << k) - 1u), (__m256i)_mm512_cvtneps_pbh(v));
    }
    // Two batches at once (ops.hpp): one vcvtne2ps2bf16 instead of two vcvtneps2bf16, the same
    // rounding (the lanes of lo first).
    static SMB_INLINE void store2_bf16(std::uint16_t* p, B lo, B hi) {
        _mm512_storeu_si512(p, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    static SMB_INLINE void stream(float* p, B v) { A::stream(p, a(v)); }
    static SMB_INLINE void stream_bf16(std::uint16_t* p, B v) {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), (__m256i)_mm512_cvtneps_pbh(v));
    }
    static SMB_INLINE void stream2_bf16(std::uint16_t* p, B lo, B hi) {  // p aligned to 64 bytes
        _mm512_stream_si512(reinterpret_cast<__m512i*>(p), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    static SMB_INLINE void stream_fence() { _mm_sfence(); }
};

}  // namespace smb::simd

#endif
