// Portable forms of the ops (see ops.hpp): through xsimd, or through an aligned buffer for the
// partial loads/stores and horizontal reductions. Each target's Ops<Arch> derives from
// OpsGeneric<Arch> and overrides what it has a better instruction for.
#pragma once

#include <cstddef>
#include <cstdint>

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
