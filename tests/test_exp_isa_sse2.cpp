// Per-ISA entry points of tests/test_exp.cpp: the exp kernels of variants/simd/exp.hpp
// instantiated for one xsimd architecture, behind plain functions. This file is the SSE2 unit
// (compiled with -msse2 only) and, through SMB_EXP_TEST_ARCH / SMB_EXP_TEST_ISA, the shared body
// of test_exp_isa_avx2.cpp and test_exp_isa_avx512.cpp, which define those and include it.
#ifndef SMB_EXP_TEST_ARCH
#define SMB_EXP_TEST_ARCH xsimd::sse2
#define SMB_EXP_TEST_ISA sse2
#endif

#include <cfenv>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "simd/exp.hpp"
#include "simd/cross_entropy.hpp"
#include "simd/online.hpp"

namespace smb::exp_test {
namespace {

using A = SMB_EXP_TEST_ARCH;
using B = simd::fbatch<A>;
using D = simd::dbatch<A>;
constexpr std::size_t W = B::size;
constexpr std::size_t WD = D::size;
static_assert(simd::kExpNegMaxUlp<5, A> > 0 && simd::kExpNegMaxUlp<6, A> > 0 && simd::kExpXsimdMaxUlp<A> > 0);

// Kernel numbers, as in test_exp.cpp: 0 exp_neg<5>(t), 1 exp_neg<6>(t), 2 exp_xsimd(t),
// 3 exp_neg<5>(t, c), 4 exp_neg<6>(t, c).
template <int K>
B eval_one(B t, B c) {
    if constexpr (K == 0) return simd::exp_neg<5, A>(t);
    else if constexpr (K == 1) return simd::exp_neg<6, A>(t);
    else if constexpr (K == 2) return simd::exp_xsimd<A>(t);
    else if constexpr (K == 3) return simd::exp_neg<5, A>(t, c);
    else return simd::exp_neg<6, A>(t, c);
}

template <int K>
void eval_exp_k(const float* t, const float* c, float* out, std::size_t n) {
    std::size_t i = 0;
    const B zero(0.0f);
    for (; i + W <= n; i += W)
        eval_one<K>(B::load_unaligned(t + i), c ? B::load_unaligned(c + i) : zero).store_unaligned(out + i);
    if (i < n) {
        alignas(64) float bt[W] = {}, bc[W] = {}, bo[W];
        std::memcpy(bt, t + i, (n - i) * sizeof(float));
        if (c) std::memcpy(bc, c + i, (n - i) * sizeof(float));
        eval_one<K>(B::load_aligned(bt), B::load_aligned(bc)).store_aligned(bo);
        std::memcpy(out + i, bo, (n - i) * sizeof(float));
    }
}

// Applies f to n lanes of the inputs (L at a time; f copies through padded buffers).
template <class T, std::size_t L, class F>
void for_lanes(std::size_t n, F f) {
    std::size_t i = 0;
    for (; i + L <= n; i += L) f(i, L);
    if (i < n) f(i, n - i);
}

}  // namespace

#define SMB_EXP_CAT2(a, b) a##b
#define SMB_EXP_CAT(a, b) SMB_EXP_CAT2(a, b)
#define SMB_EXP_FN(name) SMB_EXP_CAT(name, SMB_EXP_CAT(_, SMB_EXP_TEST_ISA))

void SMB_EXP_FN(eval_exp)(int kernel, const float* t, const float* c, float* out, std::size_t n) {
    switch (kernel) {
        case 0: return eval_exp_k<0>(t, c, out, n);
        case 1: return eval_exp_k<1>(t, c, out, n);
        case 2: return eval_exp_k<2>(t, c, out, n);
        case 3: return eval_exp_k<3>(t, c, out, n);
        default: return eval_exp_k<4>(t, c, out, n);
    }
}

void SMB_EXP_FN(eval_split)(int degree, const float* x, float* p, float* n, std::size_t count) {
    for_lanes<float, W>(count, [&](std::size_t i, std::size_t m) {
        alignas(64) float bx[W] = {}, bp[W], bn[W];
        std::memcpy(bx, x + i, m * sizeof(float));
        B pp, nn;
        if (degree == 5) simd::exp_split<5, A>(B::load_aligned(bx), pp, nn);
        else simd::exp_split<6, A>(B::load_aligned(bx), pp, nn);
        pp.store_aligned(bp);
        nn.store_aligned(bn);
        std::memcpy(p + i, bp, m * sizeof(float));
        std::memcpy(n + i, bn, m * sizeof(float));
    });
}

void SMB_EXP_FN(eval_ldexp)(const float* p, const float* n, float* out, std::size_t count) {
    for_lanes<float, W>(count, [&](std::size_t i, std::size_t m) {
        alignas(64) float bp[W] = {}, bn[W] = {}, bo[W];
        std::memcpy(bp, p + i, m * sizeof(float));
        std::memcpy(bn, n + i, m * sizeof(float));
        simd::ldexp_nonpos<A>(B::load_aligned(bp), B::load_aligned(bn)).store_aligned(bo);
        std::memcpy(out + i, bo, m * sizeof(float));
    });
}

namespace {
template <int Degree, bool Scalef = false>
void eval_shift_d(float q, const float* x, float* out, std::size_t count) {
    const simd::ExpShiftPow2<Degree, A, Scalef> ex(q);
    for_lanes<float, W>(count, [&](std::size_t i, std::size_t m) {
        alignas(64) float bx[W] = {}, bo[W];
        std::memcpy(bx, x + i, m * sizeof(float));
        ex(B::load_aligned(bx)).store_aligned(bo);
        std::memcpy(out + i, bo, m * sizeof(float));
    });
}
}  // namespace

// ExpShiftPow2<degree> (5: the guarded kernels' poly5; 3: poly3, guarded's bf16 rows).
void SMB_EXP_FN(eval_shift)(int degree, float q, const float* x, float* out, std::size_t count) {
    if (degree == 3) eval_shift_d<3>(q, x, out, count);
    else eval_shift_d<5>(q, x, out, count);
}
// Whether ExpShiftPow2<3> reduces with one FMA here (its term is then exp(x - q float(ln2))).
bool SMB_EXP_FN(shift_deg3_one_fma)() { return simd::kExpShiftDeg3OneFmaReduce<A>; }
// The same with ExpShiftPow2's Scalef form (poly3s); false (nothing written) without vscalefps.
bool SMB_EXP_FN(eval_shift_scalef)(int degree, float q, const float* x, float* out, std::size_t count) {
    if constexpr (simd::Ops<A>::kScalef) {
        if (degree == 3) eval_shift_d<3, true>(q, x, out, count);
        else eval_shift_d<5, true>(q, x, out, count);
        return true;
    } else {
        (void)degree, (void)q, (void)x, (void)out, (void)count;
        return false;
    }
}

// exp(t) by exp_f64_lut on AVX-512; false (nothing written) on the other ISAs.
namespace {
template <class Arch>
bool exp_f64_lut(const double* t, double* out, std::size_t n) {
    if constexpr (std::is_same_v<Arch, xsimd::avx512bw>) {
        for_lanes<double, WD>(n, [&](std::size_t i, std::size_t m) {
            alignas(64) double bt[WD] = {}, bo[WD];
            std::memcpy(bt, t + i, m * sizeof(double));
            simd::exp_f64_lut<Arch>(D::load_aligned(bt)).store_aligned(bo);
            std::memcpy(out + i, bo, m * sizeof(double));
        });
        return true;
    } else {
        (void)t, (void)out, (void)n;
        return false;
    }
}
}  // namespace
bool SMB_EXP_FN(eval_exp_f64_lut)(const double* t, double* out, std::size_t n) {
    return exp_f64_lut<A>(t, out, n);
}

// Ops<A>::RatioFF(k)(t, e) = k exp(t + e) in float-float (AVX2, AVX-512); false (nothing
// written) where the target has none.
namespace {
template <class Arch>
bool ratio_ff(double k, const float* t, const float* e, float* out, std::size_t n) {
    if constexpr (simd::Ops<Arch>::kRatioFF) {
        const typename simd::Ops<Arch>::RatioFF ff(k);
        for_lanes<float, W>(n, [&](std::size_t i, std::size_t m) {
            alignas(64) float bt[W] = {}, be[W] = {}, bo[W];
            std::memcpy(bt, t + i, m * sizeof(float));
            std::memcpy(be, e + i, m * sizeof(float));
            ff(B::load_aligned(bt), B::load_aligned(be)).store_aligned(bo);
            std::memcpy(out + i, bo, m * sizeof(float));
        });
        return true;
    } else {
        (void)k, (void)t, (void)e, (void)out, (void)n;
        return false;
    }
}
}  // namespace
bool SMB_EXP_FN(eval_ratio_ff)(double k, const float* t, const float* e, float* out, std::size_t n) {
    return ratio_ff<A>(k, t, e, out, n);
}

void SMB_EXP_FN(eval_exp_f64)(const double* t, double* out, std::size_t n) {
    for_lanes<double, WD>(n, [&](std::size_t i, std::size_t m) {
        alignas(64) double bt[WD] = {}, bo[WD];
        std::memcpy(bt, t + i, m * sizeof(double));
        simd::exp_neg_f64<A>(D::load_aligned(bt)).store_aligned(bo);
        std::memcpy(out + i, bo, m * sizeof(double));
    });
}

// online's rescaling factor (online.hpp, rescale_factor): exp(d) for d <= 0, +0 below -700.
void SMB_EXP_FN(eval_rescale)(const double* t, double* out, std::size_t n) {
    for_lanes<double, WD>(n, [&](std::size_t i, std::size_t m) {
        alignas(64) double bt[WD] = {}, bo[WD];
        std::memcpy(bt, t + i, m * sizeof(double));
        simd::rescale_factor<A>(D::load_aligned(bt)).store_aligned(bo);
        std::memcpy(out + i, bo, m * sizeof(double));
    });
}

// The fused cross-entropy's online (max, sum) pass (cross_entropy.hpp, ce_detail::reduce) on one
// row, no target skipped: whether it raised the floating-point underflow flag, and its sum.
bool SMB_EXP_FN(ce_reduce_underflows)(const float* x, std::size_t n, bool double_exp, double* sum) {
    std::feclearexcept(FE_ALL_EXCEPT);
    const simd::ce_detail::Reduced r =
        double_exp ? simd::ce_detail::reduce<A, true>(x, n, n) : simd::ce_detail::reduce<A, false>(x, n, n);
    const bool uf = std::fetestexcept(FE_UNDERFLOW) != 0;
    *sum = r.d;
    return uf;
}

}  // namespace smb::exp_test
