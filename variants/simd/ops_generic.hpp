// Portable forms of the ops (see ops.hpp): through xsimd, or through an aligned buffer for the
// partial loads/stores and horizontal reductions. Each target's Ops<Arch> derives from
// OpsGeneric<Arch> and overrides what it has a better instruction for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace smb::simd {

template <class Arch>
struct OpsGeneric {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    static constexpr std::size_t W = B::size;

    // x * y + z: xsimd's fma (fused on FMA targets; the rounded x * y + z elsewhere).
    static SMB_INLINE B fmadd(B x, B y, B z) { return xsimd::fma(x, y, z); }
    static SMB_INLINE D fmadd(D x, D y, D z) { return xsimd::fma(x, y, z); }

    // max(lo, x) / min(hi, x) returning x when x is NaN.
    static SMB_INLINE B max_keep_nan(B lo, B x) { return xsimd::select(x < lo, lo, x); }
    static SMB_INLINE B min_keep_nan(B hi, B x) { return xsimd::select(x > hi, hi, x); }
    static SMB_INLINE D max_keep_nan(D lo, D x) { return xsimd::select(x < lo, lo, x); }

    // 2^n for an integral n in the normal range given v = n + kMagicBiased (float: [-126, 127];
    // double: v = n + kMagicBiasedF64), by shifting v's low bits into the exponent field.
    static SMB_INLINE B pow2_from_biased(B v) {
        using I = xsimd::batch<std::int32_t, Arch>;
        return xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(v) << 23);
    }
    static SMB_INLINE D pow2_from_biased(D v) {
        using I = xsimd::batch<std::int64_t, Arch>;
        return xsimd::bitwise_cast<D>(xsimd::bitwise_cast<I>(v) << 52);
    }

    // The first k < W lanes of p; the other lanes hold `fill`. Nothing past p + k is read.
    static SMB_INLINE B load_partial(const float* p, std::size_t k, float fill) {
        alignas(64) float buf[W];
        for (std::size_t i = 0; i < W; ++i) buf[i] = i < k ? p[i] : fill;
        return B::load_aligned(buf);
    }
    // Stores the first k < W lanes of v to p; nothing past p + k is written.
    static SMB_INLINE void store_partial(float* p, B v, std::size_t k) {
        alignas(64) float buf[W];
        v.store_aligned(buf);
        for (std::size_t i = 0; i < k; ++i) p[i] = buf[i];
    }

    // Sum of the lanes in double, in lane order.
    static SMB_INLINE double hsum_double(B v) {
        alignas(64) float buf[W];
        v.store_aligned(buf);
        double s = 0;
        for (std::size_t i = 0; i < W; ++i) s += double(buf[i]);
        return s;
    }
    // Horizontal max without NaN bookkeeping (callers detect NaN separately).
    static SMB_INLINE float hmax(B v) {
        alignas(64) float buf[W];
        v.store_aligned(buf);
        float m = buf[0];
        for (std::size_t i = 1; i < W; ++i) m = buf[i] > m ? buf[i] : m;
        return m;
    }
    // ---- bf16 (the bf16 dtypes): W bf16 values (raw bits) <-> one float batch, in registers ----
    // load_bf16: exact (bits << 16). store_bf16: round to nearest even on the bit pattern
    // (float_to_bf16 in softmaxbench/bf16.hpp is the scalar statement; NaN stays NaN, quiet):
    // the result is the low 16 bits of each 32-bit lane of float_to_bf16_bits.
    // The _partial forms touch the first k < W elements only (others read as `fill`).
    static SMB_INLINE B bf16_bits_to_float(xsimd::batch<std::int32_t, Arch> w) {
        return xsimd::bitwise_cast<B>(w << 16);
    }
    static SMB_INLINE xsimd::batch<std::int32_t, Arch> float_to_bf16_bits(B v) {
        using U = xsimd::batch<std::int32_t, Arch>;
        const U u = xsimd::bitwise_cast<U>(v);
        const U rne = (u + U(0x7FFFu) + ((u >> 16) & U(1u))) >> 16;
        const U quiet = (u >> 16) | U(0x0040u);
        return xsimd::select(xsimd::bool_cast(v != v), quiet, rne);
    }
    // y moved one float ULP toward the side s (+1: the exact value lies above y, -1: below, 0:
    // y is exact) when y's last bit is 0: round to odd, from a round-to-nearest y and the side.
    // Then rounding to bf16 (16 bits fewer) is a correct single rounding. y zero or not finite:
    // unchanged.
    static SMB_INLINE B round_to_odd(B y, B s) {
        using I = xsimd::batch<std::int32_t, Arch>;
        const I bits = xsimd::bitwise_cast<I>(y);
        const auto move = xsimd::bool_cast((s * y > B(0.0f)) | (s * y < B(0.0f))) & ((bits & I(1)) == I(0)) &
                          xsimd::bool_cast(xsimd::abs(y) < B(std::numeric_limits<float>::infinity()));
        const I step = xsimd::select(xsimd::bool_cast(s * y > B(0.0f)), I(1), I(-1));  // away from / toward 0
        return xsimd::bitwise_cast<B>(xsimd::select(move, bits + step, bits));
    }
    static SMB_INLINE B load_bf16(const std::uint16_t* p) {
        alignas(64) std::int32_t buf[W];
        for (std::size_t i = 0; i < W; ++i) buf[i] = p[i];
        return bf16_bits_to_float(xsimd::batch<std::int32_t, Arch>::load_aligned(buf));
    }
    static SMB_INLINE B load_bf16_partial(const std::uint16_t* p, std::size_t k, float fill) {
        alignas(64) float buf[W];
        for (std::size_t i = 0; i < W; ++i) buf[i] = fill;
        alignas(64) std::int32_t bits[W];
        xsimd::bitwise_cast<xsimd::batch<std::int32_t, Arch>>(B::load_aligned(buf)).store_aligned(bits);
        for (std::size_t i = 0; i < k; ++i) bits[i] = std::int32_t(std::uint32_t(p[i]) << 16);
        return xsimd::bitwise_cast<B>(xsimd::batch<std::int32_t, Arch>::load_aligned(bits));
    }
    static SMB_INLINE void store_bf16(std::uint16_t* p, B v) {
        alignas(64) std::int32_t buf[W];
        float_to_bf16_bits(v).store_aligned(buf);
        for (std::size_t i = 0; i < W; ++i) p[i] = std::uint16_t(buf[i]);
    }
    static SMB_INLINE void store_bf16_partial(std::uint16_t* p, B v, std::size_t k) {
        alignas(64) std::int32_t buf[W];
        float_to_bf16_bits(v).store_aligned(buf);
        for (std::size_t i = 0; i < k; ++i) p[i] = std::uint16_t(buf[i]);
    }

    // Sum of the double lanes, in lane order.
    static SMB_INLINE double hadd(D v) {
        constexpr std::size_t WD = D::size;
        alignas(64) double buf[WD];
        v.store_aligned(buf);
        double s = 0;
        for (std::size_t i = 0; i < WD; ++i) s += buf[i];
        return s;
    }
};

}  // namespace smb::simd
