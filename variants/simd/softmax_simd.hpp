// Softmax kernels written once, generic over the xsimd architecture. Instantiated only in the
// per-ISA translation units (isa_sse2.cpp, isa_avx2.cpp, isa_avx512.cpp), each compiled with
// that ISA's flags. ODR: everything here is a template on Arch (or lives in an anonymous
// namespace of the including unit), so no copy compiled for one ISA can be linked into another.
//
// Shape of every kernel (n floats, W lanes):
//   * hot loops use 4 independent accumulators and no horizontal reduction;
//   * sums are blocked: each group of 4 exps is summed in float (two roundings) and folded into
//     double lanes (the accurate tier widens every exp), so the error does not grow with n;
//   * tails use masked or buffered partial loads/stores: nothing outside [x, x+n) is read and
//     nothing outside [y, y+n) is written;
//   * special values per softmax.hpp: a NaN dropped by max resurfaces in the sum (exp of NaN is
//     NaN), +inf and all -inf rows are caught from the max (detail/special.hpp).
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "detail/special.hpp"
#include "layout.hpp"
#include "simd/exp.hpp"

namespace smb::simd {

// ---- kernel configuration -------------------------------------------------------------------
enum class ExpImpl { poly5, poly6, xsimd };

template <ExpImpl E, bool Compensated>
struct Fast {  // float pipeline
    static constexpr ExpImpl exp = E;
    static constexpr int degree = E == ExpImpl::poly6 ? 6 : 5;  // of our exp (unused for xsimd)
    static constexpr bool compensated = Compensated;  // TwoSum error of x - m folded into exp
    static constexpr bool accurate = false;
};
struct Accurate {  // float sums of compensated exp in double; output computed in double
    static constexpr ExpImpl exp = ExpImpl::poly6;
    static constexpr int degree = 6;
    static constexpr bool compensated = true;
    static constexpr bool accurate = true;
};

// ---- partial loads and stores -----------------------------------------------------------------
template <class Arch>
SMB_INLINE fbatch<Arch> load_partial(const float* p, std::size_t k, float fill) {
    constexpr std::size_t W = fbatch<Arch>::size;
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        const __mmask16 m = __mmask16((1u << k) - 1u);
        return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), m, p);
    } else {
        alignas(64) float buf[W];
        for (std::size_t i = 0; i < W; ++i) buf[i] = i < k ? p[i] : fill;
        return fbatch<Arch>::load_aligned(buf);
    }
}

template <class Arch>
SMB_INLINE void store_partial(float* p, fbatch<Arch> v, std::size_t k) {
    constexpr std::size_t W = fbatch<Arch>::size;
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        _mm512_mask_storeu_ps(p, __mmask16((1u << k) - 1u), v);
    } else {
        alignas(64) float buf[W];
        v.store_aligned(buf);
        for (std::size_t i = 0; i < k; ++i) p[i] = buf[i];
    }
}

// ---- small helpers ----------------------------------------------------------------------------
template <class Arch>
double hsum_double(fbatch<Arch> v) {
    constexpr std::size_t W = fbatch<Arch>::size;
    alignas(64) float buf[W];
    v.store_aligned(buf);
    double s = 0;
    for (std::size_t i = 0; i < W; ++i) s += double(buf[i]);
    return s;
}

// Horizontal max without NaN bookkeeping: callers detect NaN separately (online's merge checks
// its lanes for NaN before taking the max).
template <class Arch>
SMB_INLINE float hmax(fbatch<Arch> v) {
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        return _mm512_reduce_max_ps(v);
    } else {
        constexpr std::size_t W = fbatch<Arch>::size;
        alignas(64) float buf[W];
        v.store_aligned(buf);
        float m = buf[0];
        for (std::size_t i = 1; i < W; ++i) m = buf[i] > m ? buf[i] : m;
        return m;
    }
}

// t = a - b rounded, with err the exact rounding error (Knuth's TwoSum: a - b == t + err).
// When t is infinite (a = -inf: a -inf entry or a tail lane) err is NaN: exp_neg zeroes such
// lanes whatever err holds; other users take two_diff_guarded.
template <class Arch>
SMB_INLINE void two_diff(fbatch<Arch> a, fbatch<Arch> b, fbatch<Arch>& t, fbatch<Arch>& err) {
    t = a - b;
    const fbatch<Arch> bb = a - t;  // the part of b that made it into t
    const fbatch<Arch> ab = t + bb; // the part of a
    err = (a - ab) - (b - bb);
}
// The same with err = 0 where t is infinite, so (t - l) + err stays -inf.
template <class Arch>
SMB_INLINE void two_diff_guarded(fbatch<Arch> a, fbatch<Arch> b, fbatch<Arch>& t, fbatch<Arch>& err) {
    using B = fbatch<Arch>;
    two_diff<Arch>(a, b, t, err);
    err = xsimd::select(xsimd::abs(t) <= B(std::numeric_limits<float>::max()), err, B(0.0f));
}

// Float <-> double for the accurate tier: one float batch is two double batches.
template <class Arch>
SMB_INLINE void widen(fbatch<Arch> v, dbatch<Arch>& lo, dbatch<Arch>& hi) {
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        const __m512 r = v;
        lo = _mm512_cvtps_pd(_mm512_castps512_ps256(r));
        hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r), 1)));
    } else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
        const __m256 r = v;
        lo = _mm256_cvtps_pd(_mm256_castps256_ps128(r));
        hi = _mm256_cvtps_pd(_mm256_extractf128_ps(r, 1));
    } else {
        const __m128 r = v;
        lo = _mm_cvtps_pd(r);
        hi = _mm_cvtps_pd(_mm_movehl_ps(r, r));
    }
}

template <class Arch>
SMB_INLINE fbatch<Arch> narrow(dbatch<Arch> lo, dbatch<Arch> hi) {
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    } else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
        return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
    } else {
        return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    }
}

// Double-lane accumulator. add4 takes a group of 4 float vectors: the fast tier sums them in
// float as a tree (two roundings) and folds the group into double; the accurate tier widens
// each one. Either way no float partial grows with n.
template <class Arch, bool Accurate>
struct DAcc {
    dbatch<Arch> lo = dbatch<Arch>(0.0), hi = dbatch<Arch>(0.0);
    SMB_INLINE void add(fbatch<Arch> e) {
        dbatch<Arch> l, h;
        widen<Arch>(e, l, h);
        lo += l;
        hi += h;
    }
    SMB_INLINE void add4(fbatch<Arch> e0, fbatch<Arch> e1, fbatch<Arch> e2, fbatch<Arch> e3) {
        if constexpr (Accurate) {
            add(e0);
            add(e1);
            add(e2);
            add(e3);
        } else {
            add((e0 + e1) + (e2 + e3));
        }
    }
    double total() const {
        if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
            return _mm512_reduce_add_pd(lo + hi);
        } else {
            constexpr std::size_t WD = dbatch<Arch>::size;
            alignas(64) double buf[WD];
            (lo + hi).store_aligned(buf);
            double s = 0;
            for (std::size_t i = 0; i < WD; ++i) s += buf[i];
            return s;
        }
    }
};

// exp(x - m) for x <= m under the configuration (compensated or not, which exp).
template <class Arch, class Cfg>
SMB_INLINE fbatch<Arch> exp_shifted(fbatch<Arch> x, fbatch<Arch> m) {
    if constexpr (Cfg::exp == ExpImpl::xsimd) {
        return exp_xsimd<Arch>(x - m);
    } else {
        if constexpr (Cfg::compensated) {
            fbatch<Arch> t, e;
            two_diff<Arch>(x, m, t, e);
            return exp_neg<Cfg::degree, Arch>(t, e);
        } else {
            return exp_neg<Cfg::degree, Arch>(x - m, fbatch<Arch>(0.0f));
        }
    }
}

// ---- pass: row max ------------------------------------------------------------------------------
// NaN entries may be dropped: a NaN the max drops resurfaces in the sum (exp of NaN), and an
// all -inf max makes special_by_max scan the row, so no NaN bookkeeping is needed here.
template <class Arch>
float row_max(const float* x, std::size_t n) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B ninf(-std::numeric_limits<float>::infinity());
    B m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        m0 = xsimd::max(m0, B::load_unaligned(x + i));
        m1 = xsimd::max(m1, B::load_unaligned(x + i + W));
        m2 = xsimd::max(m2, B::load_unaligned(x + i + 2 * W));
        m3 = xsimd::max(m3, B::load_unaligned(x + i + 3 * W));
    }
    for (; i + W <= n; i += W) m0 = xsimd::max(m0, B::load_unaligned(x + i));
    if (i < n) m1 = xsimd::max(m1, load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity()));
    return hmax<Arch>(xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3)));
}

// ---- pass: sum of exp(x - m), optionally storing the exps, optionally without the max's 1s ----
// With Rest: returns sum over x != m of exp(x - m) plus (count(x == m) - 1): the normaliser
// minus the 1 of one maximum, so log1p of it keeps full accuracy when one logit dominates.
struct SumParts {
    double total = 0;  // Rest: without the entries equal to m
    double count = 0;  // Rest: how many entries equal m
};

template <class Arch, class Cfg, bool Store, bool Rest>
SumParts sum_exp_parts(const float* x, float* y, std::size_t n, float mf) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B m(mf), zero(0.0f), one(1.0f);
    DAcc<Arch, Cfg::accurate> acc;
    // Rest: entries equal to m, per lane in float (exact below 2^24), folded into the double
    // count every kFold groups of 4 vectors (at most 4 kFold + 4 per lane in between): exact
    // for any n.
    constexpr std::size_t kFold = std::size_t(1) << 21;
    B cnt = zero;
    double count = 0;
    std::size_t groups = 0;
    // One term: exp, optional store, and (Rest) the max's entries moved from the sum to cnt.
    auto term = [&](B v, float* out, std::size_t k) {
        B e = exp_shifted<Arch, Cfg>(v, m);
        if constexpr (Store) {
            if (k == W) e.store_unaligned(out);
            else store_partial<Arch>(out, e, k);
        }
        if constexpr (Rest) {
            const auto eq = v == m;
            e = xsimd::select(eq, zero, e);
            cnt += xsimd::select(eq, one, zero);
        }
        return e;
    };
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B e0 = term(B::load_unaligned(x + i), y + i, W);
        const B e1 = term(B::load_unaligned(x + i + W), y + i + W, W);
        const B e2 = term(B::load_unaligned(x + i + 2 * W), y + i + 2 * W, W);
        const B e3 = term(B::load_unaligned(x + i + 3 * W), y + i + 3 * W, W);
        acc.add4(e0, e1, e2, e3);
        if constexpr (Rest) {
            if (++groups == kFold) {
                count += hsum_double<Arch>(cnt);
                cnt = zero;
                groups = 0;
            }
        }
    }
    for (; i + W <= n; i += W) acc.add(term(B::load_unaligned(x + i), y + i, W));
    if (i < n) acc.add(term(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity()), y + i, n - i));
    return {acc.total(), Rest ? count + hsum_double<Arch>(cnt) : 0.0};
}

template <class Arch, class Cfg, bool Store, bool Rest>
double sum_exp(const float* x, float* y, std::size_t n, float mf) {
    const SumParts s = sum_exp_parts<Arch, Cfg, Store, Rest>(x, y, n, mf);
    return Rest ? s.total + (s.count - 1.0) : s.total;
}

// ---- pass: y *= scale (in place over the stored exps) ------------------------------------------
template <class Arch>
void scale_in_place(float* y, std::size_t n, float s) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B f(s);
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        (B::load_unaligned(y + i) * f).store_unaligned(y + i);
        (B::load_unaligned(y + i + W) * f).store_unaligned(y + i + W);
        (B::load_unaligned(y + i + 2 * W) * f).store_unaligned(y + i + 2 * W);
        (B::load_unaligned(y + i + 3 * W) * f).store_unaligned(y + i + 3 * W);
    }
    for (; i + W <= n; i += W) (B::load_unaligned(y + i) * f).store_unaligned(y + i);
    if (i < n) store_partial<Arch>(y + i, load_partial<Arch>(y + i, n - i, 0.0f) * f, n - i);
}

// ---- pass: write outputs from (m, normaliser) ----------------------------------------------------
// Generic element-wise writer: y[i] = f(x[i]) for a functor on batches.
template <class Arch, class F>
void map_row(const float* x, float* y, std::size_t n, F f) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B a0 = f(B::load_unaligned(x + i)), a1 = f(B::load_unaligned(x + i + W));
        const B a2 = f(B::load_unaligned(x + i + 2 * W)), a3 = f(B::load_unaligned(x + i + 3 * W));
        a0.store_unaligned(y + i);
        a1.store_unaligned(y + i + W);
        a2.store_unaligned(y + i + 2 * W);
        a3.store_unaligned(y + i + 3 * W);
    }
    for (; i + W <= n; i += W) f(B::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) store_partial<Arch>(y + i, f(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity())), n - i);
}

// AVX-512: y = float(f(double(x))) eight lanes at a time, loading and storing 256-bit halves
// (no extract/insert), two halves per step for two independent chains; masked tail.
template <class F>
void write_f64_halves(const float* x, float* y, std::size_t n, F f) {
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

// The accurate tier's softmax output k exp(x - m) in float-float, AVX-512 (k = 1/d in double).
//   t + e = x - m exactly (TwoSum); N = round(16 t log2e), j = N mod 16, s = floor(N / 16);
//   r = t - N ln2/16 (Cody-Waite, exact) and rl = e - N ln2lo/16, |r| <= ln2/32;
//   q = exp(r) - 1 by its degree-4 Taylor polynomial (truncation r^5/120 < 2^-34), then
//   q' = q + rl (1 + q) for exp(r + rl) - 1;
//   TH_j + TL_j = k 2^(j/16) (a double split into two floats, per row: 32 values);
//   y = scalef(TH_j + (TH_j q' + TL_j), s): one rounding of a value within ~2^-27 relative of
//   the exact one (q' is small, so its float errors are scaled by |q'| <= 0.023), so <= ~0.55
//   ULP in the normal band; below it scalef rounds again (< 1 unit of 2^-149 in all).
// 16 lanes in float instead of two 8-lane double exps: ~13 FMA-pipe slots per 16 outputs
// against ~30 cycles measured for the double form on Zen 4.
// x = -inf (and tail lanes): t is clamped to -110 (exp < 2^-158: +0) and TwoSum's NaN error
// to a tiny positive number, so the lane is +0. Never called on special rows (NaN, +inf).
template <class A>
void write_ratio_ff_avx512(const float* x, float* y, std::size_t n, float mf, double k) {
    static_assert(std::is_same_v<A, xsimd::avx512bw>, "write_ratio_ff_avx512: AVX-512 only");
    alignas(64) static constexpr double kPow2j16[16] = {
        0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
        0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
        0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
        0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
    };  // 2^(j/16) rounded to double (Python's float.hex)
    using B = fbatch<A>;
    using exp_detail::kAll16;
    const __m512d kd = _mm512_set1_pd(k);
    const __m512d t0 = _mm512_mul_pd(_mm512_load_pd(kPow2j16), kd), t1 = _mm512_mul_pd(_mm512_load_pd(kPow2j16 + 8), kd);
    const __m256 h0 = _mm512_cvtpd_ps(t0), h1 = _mm512_cvtpd_ps(t1);
    const __m256 l0 = _mm512_cvtpd_ps(_mm512_sub_pd(t0, _mm512_cvtps_pd(h0)));
    const __m256 l1 = _mm512_cvtpd_ps(_mm512_sub_pd(t1, _mm512_cvtps_pd(h1)));
    const __m512 TH = _mm512_insertf32x8(_mm512_castps256_ps512(h0), h1, 1);
    const __m512 TL = _mm512_insertf32x8(_mm512_castps256_ps512(l0), l1, 1);
    const B m(mf), lo_t(-110.0f), tiny(0x1p-17f), ntiny(-0x1p-17f);
    const B c16(16.0f * kLog2e), magic(kMagic), hi16(kLn2HiFma * 0.0625f), lo16(kLn2LoFma * 0.0625f);
    auto f = [&](B v) {
        B t, e;
        two_diff<A>(v, m, t, e);
        t = exp_detail::max_keep_nan<A>(lo_t, t);
        e = _mm512_maskz_max_ps(kAll16, _mm512_maskz_min_ps(kAll16, e, tiny), ntiny);  // NaN -> tiny
        const B vv = fmadd<A>(t, c16, magic);
        const B nf = vv - magic;
        const B r = fmadd<A>(nf, -hi16, t);
        const B rl = fmadd<A>(nf, -lo16, e);
        const B r2 = _mm512_maskz_mul_ps(kAll16, r, r);
        const B a = fmadd<A>(r, B(1.0f / 6), B(0.5f));
        const B q = fmadd<A>(r2, fmadd<A>(r2, B(1.0f / 24), a), r);
        const B qq = q + fmadd<A>(rl, q, rl);
        const __m512i idx = _mm512_castps_si512(vv);
        const B th = _mm512_maskz_permutexvar_ps(kAll16, idx, TH);
        const B tl = _mm512_maskz_permutexvar_ps(kAll16, idx, TL);
        const B yy = th + fmadd<A>(th, qq, tl);
        return B(_mm512_maskz_scalef_ps(kAll16, yy, _mm512_maskz_mul_ps(kAll16, nf, B(0.0625f))));
    };
    map_row<A>(x, y, n, f);
}

// The accurate tier's output, rounded once from double. x - m is exact in double.
//   softmax, ratio form:  exp(x - m) * inv      (inv = 1/d)
//   softmax, lse form:    exp((x - m) - l)      (l = log d)
//   log_softmax:          (x - m) - l
enum class AccurateForm { ratio, lse, log };

template <class Arch>
void write_accurate(const float* x, float* y, std::size_t n, float mf, double k, AccurateForm form) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    const D m = D(double(mf)), kd = D(k);
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        if (form != AccurateForm::log) {
            // ratio: float-float (above); lse: exp((x - m) - l) in double, x - m exact there.
            if (form == AccurateForm::ratio) return write_ratio_ff_avx512<Arch>(x, y, n, mf, k);
            write_f64_halves(x, y, n, [&](D t) { return exp_f64_lut<Arch>((t - m) - kd); });
            return;
        }
    }
    auto f = [&](D t) {
        t = t - m;
        switch (form) {
            case AccurateForm::ratio: return exp_neg_f64<Arch>(t) * kd;
            case AccurateForm::lse: return exp_neg_f64<Arch>(t - kd);
            case AccurateForm::log: break;
        }
        return t - kd;
    };
    map_row<Arch>(x, y, n, [&](B v) {
        D lo, hi;
        widen<Arch>(v, lo, hi);
        return narrow<Arch>(f(lo), f(hi));
    });
}

// Float log_softmax output: (x - m) - l, with the rounding error of x - m added back.
template <class Arch>
void write_log_float(const float* x, float* y, std::size_t n, float mf, float l) {
    using B = fbatch<Arch>;
    const B m(mf), lb(l);
    map_row<Arch>(x, y, n, [&](B v) {
        B t, e;
        two_diff_guarded<Arch>(v, m, t, e);
        return (t - lb) + e;
    });
}

// ---- output writers shared by the one-thread paths and the split-row paths -----------------------
// softmax = exp(x - m) / d
template <class Arch, class Cfg>
void write_ratio(const float* x, float* y, std::size_t n, float m, double d) {
    if constexpr (Cfg::accurate) {
        write_accurate<Arch>(x, y, n, m, 1.0 / d, AccurateForm::ratio);
    } else {
        using B = fbatch<Arch>;
        const B mb = B(m), inv = B(float(1.0 / d));
        map_row<Arch>(x, y, n, [&](B v) { return exp_shifted<Arch, Cfg>(v, mb) * inv; });
    }
}

// softmax = exp((x - m) - l), l = log d: (x - m) exact via TwoSum, l's own error kept.
template <class Arch, class Cfg>
void write_lse(const float* x, float* y, std::size_t n, float m, double l) {
    if constexpr (Cfg::accurate) {
        write_accurate<Arch>(x, y, n, m, l, AccurateForm::lse);
    } else {
        using B = fbatch<Arch>;
        const B mb = B(m), lb = B(float(l)), llo = B(float(l - double(float(l))));
        map_row<Arch>(x, y, n, [&](B v) {
            B t, e;
            two_diff_guarded<Arch>(v, mb, t, e);
            B u, e2;
            two_diff_guarded<Arch>(t, lb, u, e2);
            if constexpr (Cfg::exp == ExpImpl::xsimd) return exp_xsimd<Arch>(u);
            else return exp_neg<Cfg::degree, Arch>(u, (e + e2) - llo);
        });
    }
}

// log_softmax = (x - m) - log1p(rest), rest = the normaliser minus the max's own 1.
template <class Arch, class Cfg>
void write_log(const float* x, float* y, std::size_t n, float m, double rest) {
    if constexpr (Cfg::accurate) write_accurate<Arch>(x, y, n, m, std::log1p(rest), AccurateForm::log);
    else write_log_float<Arch>(x, y, n, m, float(std::log1p(rest)));
}

// =================================================================================================
// The algorithms. Each: row function (x, y, n, RowParams), x == y allowed.
// =================================================================================================

// exp(x) / sum exp(x), float, no shift: overflows above ~88.7 on purpose.
template <class Arch, class Cfg>
void naive(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    // exp(x) = exp(x - 0) through the shifted kernel is wrong for x > 0, so use xsimd's exp,
    // which covers the whole range and overflows like expf.
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    DAcc<Arch, false> acc;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W)
        acc.add4(exp_xsimd<Arch>(B::load_unaligned(x + i)), exp_xsimd<Arch>(B::load_unaligned(x + i + W)),
                 exp_xsimd<Arch>(B::load_unaligned(x + i + 2 * W)), exp_xsimd<Arch>(B::load_unaligned(x + i + 3 * W)));
    for (; i + W <= n; i += W) acc.add(exp_xsimd<Arch>(B::load_unaligned(x + i)));
    if (i < n) acc.add(exp_xsimd<Arch>(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity())));
    const float s = float(acc.total());
    if (!(s > 0 && s < std::numeric_limits<float>::infinity()) && detail::special_by_scan(x, y, n, p)) return;
    if (p.output == Output::softmax) {
        const B inv = B(1.0f / s);
        map_row<Arch>(x, y, n, [&](B v) { return exp_xsimd<Arch>(v) * inv; });
    } else {
        const B l = B(std::log(s));
        map_row<Arch>(x, y, n, [&](B v) { return v - l; });
    }
}

// Three passes: max; exp, store, sum; scale in cache. Accurate tier: max; sum; write from double.
template <class Arch, class Cfg>
void max_shifted(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    const float m = row_max<Arch>(x, n);
    if (detail::special_by_max(x, y, n, m, false, p)) return;
    if (p.output == Output::log_softmax) {
        const double rest = sum_exp<Arch, Cfg, false, true>(x, y, n, m);
        if (rest != rest) return detail::fill_nan(y, n);
        return write_log<Arch, Cfg>(x, y, n, m, rest);
    }
    if constexpr (Cfg::accurate) {
        const double s = sum_exp<Arch, Cfg, false, false>(x, y, n, m);
        if (s != s) return detail::fill_nan(y, n);
        write_ratio<Arch, Cfg>(x, y, n, m, s);
    } else {
        const double s = sum_exp<Arch, Cfg, true, false>(x, y, n, m);
        if (s != s) return detail::fill_nan(y, n);
        scale_in_place<Arch>(y, n, float(1.0 / s));
    }
}

// Guarded: no max pass. Every term is exp(x - q ln2) = p * 2^(n - q) with the integral
// q = floor(a log2e), a = x[0] (rows past kGuardProbe elements: the max of the first ones): the
// shift goes into the exponent (ExpShiftPow2), so no x - m is rounded and no TwoSum is needed,
// and a's own term is >= 1, so the sum is >= 1. The sum pass checks
// that every x <= (q + kGuardSpan) ln2 (each term < 2^(kGuardSpan + 1), the sum of up to 2^26
// of them < 2^123, its reciprocal a normal float). A row that leaves the window is redone with
// q from the row max (then a's term may be tiny, but the max's is >= 1): it costs the
// chunks scanned so far, a max pass over the rest, and the guarded passes again. Rows holding
// NaN or +inf (the check or the sum shows them), all -inf rows, logits past ~1280 and
// log_softmax take max_shifted, so results and special values are exactly max_shifted's there.
//   y apart from x: exp, store, sum; scale (like max_shifted, without its max pass and TwoSum);
//   in place: sum; then exp again and scale on the way out (the stores would destroy the x a
//     fallback needs). Both forms give e * float(1/s) with the same e: bit-identical.
// Storing wins at every length on the development machine (AVX-512, one thread, G elem/s,
// store / recompute: 2.8 / 2.2 at 64K, 3.6 / 2.6 at 1M, 2.3 / 2.2 at 16M): the second exp
// costs more than the extra pass over y, even out of cache.
inline constexpr int kGuardSpan = 96;
using layout::kGuardProbe;  // layout.hpp, with kGuardChunk
// Split rows (threads > rows): the max-first store form below this many elements, the one-pass
// form from it: 2^23 floats = 32 MiB, the L3 of the development machine. Measured there at 2
// threads, medians of 5, two alternating runs each (noisy): 1x4M max-first 0.71 / 1.06 ms,
// one-pass 1.04 / 1.17 ms; 1x16M max-first 7.47 / 9.51 ms, one-pass 7.49 / 5.98 ms.
inline constexpr std::size_t kGuardSplitOnePassFrom = std::size_t(1) << 23;
inline constexpr std::size_t kGuardMaxN = std::size_t(1) << 26;

struct GuardWindow {
    float q = 0, xhi = 0;
    bool ok = false;
};
inline GuardWindow guard_window(float x0, std::size_t n) {
    GuardWindow w;
    if (!(std::fabs(x0) <= (kExpShiftMaxQ - 2 * kGuardSpan) * 0.69f) || n > kGuardMaxN) return w;
    constexpr double kLog2eD = 1.4426950408889634074, kLn2D = 0.69314718055994530942;
    w.q = float(std::floor(double(x0) * kLog2eD));
    // A float below (q + span) ln2 (the 0.01 ln2 margin exceeds float's rounding there, ~1e-4):
    // any x <= xhi has round(x log2e) - q <= span + 1.
    w.xhi = float((double(w.q) + kGuardSpan - 0.01) * kLn2D);
    w.ok = true;
    return w;
}

// Sum of exp(x - q ln2) (and, with Store, the terms in y). inside: every x <= w.xhi (the sum
// is then valid unless it is NaN: a NaN or +inf entry). Otherwise the pass stops at the end of
// the first 1024-element chunk whose running max passed xhi: the check costs one compare per
// chunk, and a row far outside the window wastes at most a chunk past the offending entry.
// (The sum passes of max_shifted, naive and this one each keep their own copy of the
// 4-vector / vector / masked-tail loop: one shared loop taking the term as a lambda measured
// 20-45% slower on rows of 64-4096 at -O3 with GCC 12, e.g. guarded 1x64 62 vs 46 ns.)
// seen_max: the max of x[0, scanned) when outside (NaN entries may be dropped from it).
struct GuardPass {
    std::size_t scanned = 0;
    bool inside = false;
    float seen_max = -std::numeric_limits<float>::infinity();
    double sum = 0;
};
template <class Arch, class Cfg, bool Store>
GuardPass guarded_sum(const float* x, float* y, std::size_t n, const GuardWindow& w) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t kChunkBlocks = layout::kGuardChunk / (4 * W);
    const ExpShiftPow2<Cfg::degree, Arch> ex(w.q);
    DAcc<Arch, Cfg::accurate> acc;
    const B ninf(-std::numeric_limits<float>::infinity()), xhi(w.xhi);
    B mx0 = ninf, mx1 = ninf;
    auto term = [&](B v, std::size_t at) {  // y is not touched without Store (it may be null)
        const B e = ex(v);
        if constexpr (Store) e.store_unaligned(y + at);
        return e;
    };
    auto outside = [&] { return !xsimd::all(xsimd::max(mx0, mx1) <= xhi); };
    std::size_t i = 0, blocks = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B v0 = B::load_unaligned(x + i), v1 = B::load_unaligned(x + i + W);
        const B v2 = B::load_unaligned(x + i + 2 * W), v3 = B::load_unaligned(x + i + 3 * W);
        mx0 = xsimd::max(mx0, xsimd::max(v0, v1));
        mx1 = xsimd::max(mx1, xsimd::max(v2, v3));
        acc.add4(term(v0, i), term(v1, i + W), term(v2, i + 2 * W), term(v3, i + 3 * W));
        if (++blocks == kChunkBlocks) {
            blocks = 0;
            if (outside()) return {i + 4 * W, false, hmax<Arch>(xsimd::max(mx0, mx1)), 0.0};
        }
    }
    for (; i + W <= n; i += W) {
        const B v = B::load_unaligned(x + i);
        mx0 = xsimd::max(mx0, v);
        acc.add(term(v, i));
    }
    if (i < n) {
        const B v = load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity());
        mx1 = xsimd::max(mx1, v);
        B e = ex(v);
        if constexpr (Store) store_partial<Arch>(y + i, e, n - i);
        acc.add(e);
    }
    const bool in = !outside();
    return {n, in, in ? -std::numeric_limits<float>::infinity() : hmax<Arch>(xsimd::max(mx0, mx1)), acc.total()};
}

// y = exp(x - q ln2) / s, recomputed on the way out (guarded in place, and its split rows).
template <class Arch, class Cfg>
void guarded_write(const float* x, float* y, std::size_t n, float q, double s) {
    using B = fbatch<Arch>;
    const ExpShiftPow2<Cfg::degree, Arch> ex(q);
    const B inv(float(1.0 / s));
    map_row<Arch>(x, y, n, [&](B v) { return ex(v) * inv; });
}

// The guarded sum pass with its anchor and its retry. The anchor: x[0] for short rows (no max
// pass at all); past kGuardProbe elements the max of the first kGuardProbe, a far better guess
// of the row max for its cost (N(0, 20^2) logits at 1x16M: anchored on x[0], rows failed late
// and guarded ran at 0.72x max_shifted). Outside the anchor's window (or with the anchor
// unusable) the pass is redone with q from the row max, with which every x is inside; the rest
// of the row's max costs one read of what was not scanned. On return, inside with a non-NaN
// sum: sum = sum of exp(x - w.q ln2); otherwise the row holds NaN or +inf, is all -inf, or has
// logits past ~1280, and the caller falls back (x is intact: stores go to y only).
template <class Arch, class Cfg, bool Store>
GuardPass guarded_anchored(const float* x, float* y, std::size_t n, GuardWindow& w) {
    w = guard_window(n > kGuardProbe ? row_max<Arch>(x, kGuardProbe) : x[0], n);
    GuardPass g = w.ok ? guarded_sum<Arch, Cfg, Store>(x, y, n, w) : GuardPass{};
    if (!g.inside) {
        const float m = g.scanned < n ? std::max(g.seen_max, row_max<Arch>(x + g.scanned, n - g.scanned)) : g.seen_max;
        w = guard_window(m, n);
        if (w.ok) g = guarded_sum<Arch, Cfg, Store>(x, y, n, w);
    }
    return g;
}

template <class Arch, class Cfg>
void guarded(const float* x, float* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, Cfg>(x, y, n, p);
    const bool store = y + n <= x || x + n <= y;  // in place: recompute (x must survive a retry)
    GuardWindow w;
    const GuardPass g = store ? guarded_anchored<Arch, Cfg, true>(x, y, n, w) : guarded_anchored<Arch, Cfg, false>(x, y, n, w);
    // NaN or +inf in the row, all -inf, or logits past ~1280: max_shifted's special-value
    // policy and TwoSum path.
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
    if (store) scale_in_place<Arch>(y, n, float(1.0 / g.sum));
    else guarded_write<Arch, Cfg>(x, y, n, w.q, g.sum);
}

// softmax as exp(x - lse): pass 1 max, pass 2 sum (without the max's 1), pass 3 exp(x - m - l).
template <class Arch, class Cfg>
void log_sum_exp(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    const float m = row_max<Arch>(x, n);
    if (detail::special_by_max(x, y, n, m, false, p)) return;
    const double rest = sum_exp<Arch, Cfg, false, true>(x, y, n, m);
    if (rest != rest) return detail::fill_nan(y, n);
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, m, rest);
    else write_lse<Arch, Cfg>(x, y, n, m, std::log1p(rest));
}

// Milakov & Gimelshein online normaliser, block-wise. Per lane: the running max M and the sum
// DD (double) relative to it. Per block of 4 vectors the lane-wise block max comes first; only
// if some lane's max moved is DD rescaled (by exp(M_old - M_new) in double, so rescaling adds
// no float error however often the max moves). With Rest (log_softmax) DD excludes the
// entries equal to the lane max and C counts them, so log1p keeps full accuracy.
template <class Arch, class Cfg, bool Rest>
void online_reduce(const float* x, std::size_t n, SplitState& out) {
    bool nan = false;
    using B = fbatch<Arch>;
    using D2 = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t V = layout::kGroupVectors;  // vectors per block (2 blocks per step)
    const float lowest = std::numeric_limits<float>::lowest();
    const B zero(0.0f), one(1.0f), low(lowest), ninf(-std::numeric_limits<float>::infinity());
    // M holds the true lane max (-inf until a finite entry arrives); differences use
    // max(M, lowest) so that (-inf) - M = -inf and M - M = 0: never NaN.
    // C (Rest): how many entries equal M, per lane in double (a float count stops at 2^24);
    // each block's count (<= 4 per lane, exact in float) is widened and added.
    struct Lane {
        B M;
        D2 Clo = D2(0.0), Chi = D2(0.0);
        DAcc<Arch, Cfg::accurate> dd;
    };
    Lane L[2];  // two independent lane states to overlap the blocks' dependency chains
    for (auto& l : L) l.M = ninf;
    auto block = [&](Lane& l, const B* v, std::size_t cnt) {
        B bm = v[0];
        for (std::size_t j = 1; j < cnt; ++j) bm = xsimd::max(bm, v[j]);
        const B mn = xsimd::max(l.M, bm);
        if (xsimd::any(mn > l.M)) {  // rare after the first blocks
            D2 olo, ohi, nlo, nhi;
            widen<Arch>(xsimd::max(l.M, low), olo, ohi);
            widen<Arch>(xsimd::max(mn, low), nlo, nhi);
            const D2 flo = exp_neg_f64<Arch>(olo - nlo), fhi = exp_neg_f64<Arch>(ohi - nhi);
            const auto mvlo = nlo > olo, mvhi = nhi > ohi;
            if constexpr (Rest) {
                // The old max's entries become ordinary terms; the count restarts wherever the
                // max rose (mn > M, also from -inf to lowest: the lanes' unclamped values).
                D2 rolo, rohi, rnlo, rnhi;
                widen<Arch>(l.M, rolo, rohi);
                widen<Arch>(mn, rnlo, rnhi);
                l.dd.lo = xsimd::select(mvlo, (l.dd.lo + l.Clo) * flo, l.dd.lo);
                l.dd.hi = xsimd::select(mvhi, (l.dd.hi + l.Chi) * fhi, l.dd.hi);
                l.Clo = xsimd::select(rnlo > rolo, D2(0.0), l.Clo);
                l.Chi = xsimd::select(rnhi > rohi, D2(0.0), l.Chi);
            } else {
                l.dd.lo = xsimd::select(mvlo, l.dd.lo * flo, l.dd.lo);
                l.dd.hi = xsimd::select(mvhi, l.dd.hi * fhi, l.dd.hi);
            }
            l.M = mn;
        }
        const B ms = xsimd::max(mn, low);
        B e[V];
        B bc = zero;  // Rest: this block's entries equal to mn
        for (std::size_t j = 0; j < cnt; ++j) {
            e[j] = exp_shifted<Arch, Cfg>(v[j], ms);
            if constexpr (Rest) {
                const auto eq = v[j] == mn;
                e[j] = xsimd::select(eq, zero, e[j]);
                bc += xsimd::select(eq, one, zero);
            }
        }
        if constexpr (Rest) {
            D2 blo, bhi;
            widen<Arch>(bc, blo, bhi);
            l.Clo += blo;
            l.Chi += bhi;
        }
        if (cnt == V) l.dd.add4(e[0], e[1], e[2], e[3]);
        else
            for (std::size_t j = 0; j < cnt; ++j) l.dd.add(e[j]);
    };
    std::size_t i = 0;
    B v[V];
    for (; i + 2 * V * W <= n; i += 2 * V * W) {
        for (std::size_t j = 0; j < V; ++j) v[j] = B::load_unaligned(x + i + j * W);
        block(L[0], v, V);
        for (std::size_t j = 0; j < V; ++j) v[j] = B::load_unaligned(x + i + (V + j) * W);
        block(L[1], v, V);
    }
    std::size_t cnt = 0;
    for (; i + W <= n; i += W) {
        v[cnt++] = B::load_unaligned(x + i);
        if (cnt == V) {
            block(L[0], v, V);
            cnt = 0;
        }
    }
    if (i < n) v[cnt++] = load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity());
    if (cnt) block(L[1], v, cnt);

    // Merge the two lane states, then the lanes, with vector exps: scalar exp per lane would
    // cost more than a whole short row. Lanes that saw no finite entry hold M = -inf, DD = 0.
    const bool any_nan = xsimd::any(L[0].M != L[0].M) || xsimd::any(L[1].M != L[1].M) ||
                         xsimd::any(L[0].dd.lo != L[0].dd.lo) || xsimd::any(L[0].dd.hi != L[0].dd.hi) ||
                         xsimd::any(L[1].dd.lo != L[1].dd.lo) || xsimd::any(L[1].dd.hi != L[1].dd.hi);
    if (any_nan) nan = true;
    const B mlane = xsimd::max(L[0].M, L[1].M);
    const float m = nan ? std::numeric_limits<float>::quiet_NaN() : hmax<Arch>(mlane);
    double d = 0, c = 0;
    if (!nan && m != -std::numeric_limits<float>::infinity()) {
        // Each lane state k contributes (DD_k + [M_k < m] C_k) * exp(M_k - m), and C_k where M_k == m.
        const D2 md = D2(double(m));
        for (int k = 0; k < 2; ++k) {
            D2 mlo, mhi, rlo, rhi;
            widen<Arch>(xsimd::max(L[k].M, low), mlo, mhi);
            // A lane that saw no finite entry (M = -inf) counted its -inf entries as ties with
            // its -inf max: it contributes nothing (its clamped max would equal a row max of
            // -FLT_MAX and make those entries ties of the row's max).
            widen<Arch>(L[k].M, rlo, rhi);
            const D2 ninf_d(-std::numeric_limits<double>::infinity());
            const D2 clo = xsimd::select(rlo == ninf_d, D2(0.0), L[k].Clo);
            const D2 chi = xsimd::select(rhi == ninf_d, D2(0.0), L[k].Chi);
            const auto top_lo = mlo == md, top_hi = mhi == md;
            const D2 flo = exp_neg_f64<Arch>(mlo - md), fhi = exp_neg_f64<Arch>(mhi - md);
            D2 dlo = L[k].dd.lo, dhi = L[k].dd.hi;
            if constexpr (Rest) {
                dlo = xsimd::select(top_lo, dlo, (dlo + clo) * flo);
                dhi = xsimd::select(top_hi, dhi, (dhi + chi) * fhi);
                DAcc<Arch, true> cs;
                cs.lo = xsimd::select(top_lo, clo, D2(0.0));
                cs.hi = xsimd::select(top_hi, chi, D2(0.0));
                c += cs.total();
            } else {
                dlo = xsimd::select(top_lo, dlo, dlo * flo);
                dhi = xsimd::select(top_hi, dhi, dhi * fhi);
            }
            DAcc<Arch, true> ds;
            ds.lo = dlo;
            ds.hi = dhi;
            d += ds.total();
        }
    }
    out.m = m;
    out.d = d;  // Rest: without the entries equal to m, which c counts
    out.c = Rest ? c : 0.0;
    out.nan = nan;
}

template <class Arch, class Cfg>
void online_reduce_for(const float* x, std::size_t n, RowParams p, SplitState* out) {
    if (p.output == Output::log_softmax) online_reduce<Arch, Cfg, true>(x, n, *out);
    else online_reduce<Arch, Cfg, false>(x, n, *out);
}

template <class Arch, class Cfg>
void online(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    SplitState st;
    online_reduce_for<Arch, Cfg>(x, n, p, &st);
    if (detail::special_by_max(x, y, n, st.m, st.nan, p)) return;
    if (st.d != st.d) return detail::fill_nan(y, n);
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, st.m, st.d + (st.c - 1.0));
    else write_ratio<Arch, Cfg>(x, y, n, st.m, st.d);
}

// Split-row writers for the max-based algorithms: the merged (m, d, c) of all slices.
template <class Arch, class Cfg, bool Lse>
void split_write_exp(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, t.m, t.d + (t.c - 1.0));
    else if constexpr (Lse) write_lse<Arch, Cfg>(x, y, n, t.m, std::log(t.d + t.c));
    else write_ratio<Arch, Cfg>(x, y, n, t.m, t.d + t.c);
}

// Max-first split (max_shifted, log_sum_exp): the slices' max, then each slice's sum at the
// merged max (max_shifted's fast tier also stores its exps), then the write.
template <class Arch>
float split_slice_max(const float* x, std::size_t n, bool*) {
    return row_max<Arch>(x, n);  // NaN: see row_max (the merged sum shows it)
}

template <class Arch, class Cfg, bool Lse>
void split_reduce_at(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out) {
    SumParts s;
    if (Lse || p.output == Output::log_softmax) s = sum_exp_parts<Arch, Cfg, false, true>(x, y, n, m);
    else if constexpr (Cfg::accurate) s = sum_exp_parts<Arch, Cfg, false, false>(x, y, n, m);
    else s = sum_exp_parts<Arch, Cfg, true, false>(x, y, n, m);
    out->m = m;
    out->d = s.total;
    out->c = s.count;
    out->nan = s.total != s.total;
}

template <class Arch, class Cfg, bool Lse>
void split_write_max_first(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, t.m, t.d + (t.c - 1.0));
    else if constexpr (Lse) write_lse<Arch, Cfg>(x, y, n, t.m, std::log1p(t.d + (t.c - 1.0)));
    else if constexpr (Cfg::accurate) write_ratio<Arch, Cfg>(x, y, n, t.m, t.d);
    else scale_in_place<Arch>(y, n, float(1.0 / t.d));  // y holds this slice's exps
}

// Dukhan & Ablavatski two-pass: exp(x) = p * 2^k accumulated per lane as (S, N) meaning
// S * 2^N, with no max pass; pass 2 writes p * 2^(k - N) / S. 2 reads + 1 write per element.
// Pass 1: out = (N, S) with sum exp(x) = S * 2^N over the slice; nan when it holds NaN or +inf.
// exp_split's reduction x - k ln2 is exact only while |k| < 2^22 (the magic-number rounding);
// a row whose largest exponent N lies past layout::kTwoPassMaxExp either way (a finite logit
// beyond ~9.1e4 in magnitude at the top of the row: e.g. [3e38, 0], where x log2e even
// overflows) is not this form's: the row takes max_shifted (as guarded does), which accepts
// every finite row (the split form: src/core/batch.cpp). Entries far below the row's top are
// fine: their terms are 0.
inline bool two_pass_usable(const SplitState& t) {
    return !t.nan && t.d > 0 && std::fabs(t.m) <= layout::kTwoPassMaxExp;
}
template <class Arch, class Cfg>
void two_pass_reduce(const float* x, std::size_t n, RowParams, SplitState* out) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr int deg = Cfg::degree;
    // Per lane: N, the largest exponent so far, and SS (double) = sum of p * 2^(k - N).
    // Per group of 4 vectors the group's max exponent comes first; SS is rescaled by the exact
    // power of two 2^(N_old - N_new) only when some lane's N moved; the group's terms are
    // summed in float (exact scalings, two roundings) and folded into SS.
    const float lowest = std::numeric_limits<float>::lowest();
    using D2 = dbatch<Arch>;
    B N(lowest);
    DAcc<Arch, false> ss;
    bool special = false;
    auto group = [&](const B* v, std::size_t cnt) {
        B pm[4], e[4];
        B gm = N;
        for (std::size_t j = 0; j < cnt; ++j) {
            exp_split<deg, Arch>(v[j], pm[j], e[j]);
            gm = xsimd::max(gm, e[j]);
        }
        if (xsimd::any(gm > N)) {
            D2 flo, fhi;
            widen<Arch>(ldexp_nonpos<Arch>(B(1.0f), N - gm), flo, fhi);  // exact powers of two
            ss.lo = ss.lo * flo;
            ss.hi = ss.hi * fhi;
            N = gm;
        }
        for (std::size_t j = 0; j < cnt; ++j) pm[j] = ldexp_nonpos<Arch>(pm[j], e[j] - N);
        if (cnt == 4) ss.add4(pm[0], pm[1], pm[2], pm[3]);
        else
            for (std::size_t j = 0; j < cnt; ++j) ss.add(pm[j]);
    };
    B vb[4];
    std::size_t i = 0, cnt = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        for (std::size_t j = 0; j < 4; ++j) vb[j] = B::load_unaligned(x + i + j * W);
        group(vb, 4);
    }
    for (; i + W <= n; i += W) vb[cnt++] = B::load_unaligned(x + i);
    if (i < n) vb[cnt++] = load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity());
    if (cnt) group(vb, cnt);

    constexpr std::size_t WD = D2::size;
    alignas(64) float nn[W];
    alignas(64) double sv[W];
    N.store_aligned(nn);
    ss.lo.store_aligned(sv);
    ss.hi.store_aligned(sv + WD);
    double big = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < W; ++j) {
        if (sv[j] != sv[j] || nn[j] != nn[j] || nn[j] == std::numeric_limits<float>::infinity()) special = true;
        else if (sv[j] > 0 && nn[j] > big) big = nn[j];
    }
    double sum = 0;
    if (!special)
        for (std::size_t j = 0; j < W; ++j)
            if (sv[j] > 0) sum += std::ldexp(sv[j], int(std::max(double(nn[j]) - big, -2000.0)));
    out->m = sum > 0 ? float(big) : -std::numeric_limits<float>::infinity();
    out->d = sum;
    out->c = 0;
    out->nan = special;
}

// Pass 2 from the merged (N, S): y = p * 2^(k - N) / S, or x - (log S + N ln2).
template <class Arch, class Cfg>
void two_pass_write(const float* x, float* y, std::size_t n, RowParams p, const SplitState& total) {
    using B = fbatch<Arch>;
    constexpr int deg = Cfg::degree;
    const double sum = total.d, big = double(total.m);
    if (p.output == Output::log_softmax) {
        const double l = std::log(sum) + big * 0.69314718055994530942;
        const B lb = B(float(l)), llo = B(float(l - double(float(l))));
        map_row<Arch>(x, y, n, [&](B v) {
            B t, e;
            two_diff_guarded<Arch>(v, lb, t, e);
            return t + (e - llo);
        });
        return;
    }
    // Normaliser folded into the exponent: y = (p / S') * 2^(k - N') with S' in [1, 2).
    const int sexp = std::ilogb(sum);
    const B inv = B(float(std::ldexp(1.0, sexp) / sum));
    const B nb = B(float(big + double(sexp)));
    map_row<Arch>(x, y, n, [&](B v) {
        B pm, e;
        exp_split<deg, Arch>(v, pm, e);
        return ldexp_nonpos<Arch>(pm * inv, e - nb);
    });
}

template <class Arch, class Cfg>
void two_pass(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    SplitState st;
    two_pass_reduce<Arch, Cfg>(x, n, p, &st);
    if (two_pass_usable(st)) return two_pass_write<Arch, Cfg>(x, y, n, p, st);
    if (detail::special_by_scan(x, y, n, p)) return;
    max_shifted<Arch, Cfg>(x, y, n, p);  // a finite row past kTwoPassMaxExp
}

// Split rows, one-pass form (RowSplit::Base::pow2, as two_pass): each slice gives (q, S) with
// its sum of exp(x) = S 2^q; a slice the window cannot take (NaN, +inf, all -inf, logits past
// ~1280) gives two_pass's (N, S) pair instead, which means the same. Then every slice writes
// exp(x - N ln2) / S from the merged (N, S): 2 reads + 1 write, each pass split. log_softmax
// splits as max_shifted (RowSplit::log_split).
template <class Arch, class Cfg>
void guarded_split_reduce(const float* x, std::size_t n, RowParams p, SplitState* out) {
    GuardWindow w;
    const GuardPass g = n ? guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w) : GuardPass{};
    if (n && g.inside && g.sum == g.sum) {
        out->m = w.q;
        out->d = g.sum;
        out->c = 0;
        out->nan = false;
        return;
    }
    two_pass_reduce<Arch, Cfg>(x, n, p, out);
}

// Max-first form (rows that fit the caches): the merged row max m, then each slice stores and
// sums exp(x - q ln2) with q = floor(m log2e) (every x is inside the window), then scales.
// Logits past ~1280: max_shifted's slice sum at m instead (every slice decides alike, as they
// share m); the write (scale_in_place by 1 / the summed d) serves both.
template <class Arch, class Cfg>
void guarded_split_reduce_at(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out) {
    const GuardWindow w = guard_window(m, n);
    if (!w.ok) return split_reduce_at<Arch, Cfg, false>(x, y, n, p, m, out);
    const GuardPass g = guarded_sum<Arch, Cfg, true>(x, y, n, w);
    // As the row form: a pass that left the window has no sum (it stopped early with 0), so the
    // slice is max_shifted's. With m the merged max, only a NaN the max dropped leaves it, and
    // max_shifted's sum shows that NaN (exp of NaN), which the merge turns into an all-NaN row.
    if (!g.inside) return split_reduce_at<Arch, Cfg, false>(x, y, n, p, m, out);
    out->m = m;
    out->d = g.sum;
    out->c = 0;
    out->nan = !(g.sum == g.sum);  // a NaN the max dropped
}

// The fast form while the merged exponent is in ExpShiftPow2's range and S >= 1 (the slice of
// the largest q was a guarded one, whose anchor's term is >= 1: every output is then at most
// its term, as the flush below 2^-126 needs); two_pass's writer otherwise.
template <class Arch, class Cfg>
void guarded_split_write(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::softmax && std::fabs(t.m) <= kExpShiftMaxQ - 2 * kGuardSpan && t.d >= 1.0)
        guarded_write<Arch, Cfg>(x, y, n, t.m, t.d);
    else
        two_pass_write<Arch, Cfg>(x, y, n, p, t);
}

}  // namespace smb::simd
