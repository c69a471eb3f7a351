// The exp kernels of variants/simd/exp.hpp, on one ISA per run (or every ISA this CPU has):
//   * exhaustive: every float t in [-103.98, 0] (about 1.1e9 values) through the entry points
//     the softmax kernels call: exp_neg<5>(t, c) and exp_neg<6>(t, c) (the poly5 and
//     poly6 exp kernels pass TwoSum's error of x - m as c; the reduction adds c, so it rounds
//     twice and differs from exp_neg(t)) with c = 0, c = +ulp(t)/2 and c = -ulp(t)/2, and
//     xsimd's exp(t) (the xsimd exp kernel), against exp(t + c) in double (t + c is exact in double). Normal results
//     (exact >= 2^-126): max ULP, the unit from the binade of the exact value (exact_binade);
//     the documented constants must hold and be tight (within 0.1 ULP of the measurement).
//     Subnormal band (exact < 2^-126): each kernel's policy, asserted (exp.hpp's header and
//     exp_xsimd's comment): gradual within the documented error (AVX-512), flushed (SSE2,
//     AVX2), xsimd gradual within 0.92 units of 2^-149 from t = -87.6831207 and +0 below;
//   * exp_neg(t, c) for other c (TwoSum of random x - m), on a sample, against exp of the
//     exact x - m;
//   * special inputs; exp_split over a range with large |x|; ldexp_nonpos; exp_neg_f64;
//     ExpShiftPow2 (the guarded kernels' exp); exp_f64_lut (AVX-512 only).
// The kernels are templates instantiated per ISA in test_exp_isa_{sse2,avx2,avx512}.cpp, each
// compiled with that ISA's flags only; this unit is compiled for the baseline.
//
// Environment (this file has its own main):
//   SMB_EXP_ISA=sse2|avx2|avx512  test that ISA only. ctest runs one entry per ISA
//       (test_exp_sse2, test_exp_avx2, test_exp_avx512); when the CPU lacks the ISA, or
//       SOFTMAXBENCH_FORCE_ISA caps dispatch below it, the run prints why and exits 77, which
//       ctest reports as "Skipped" (SKIP_RETURN_CODE): the ISAs not tested are listed, never
//       silently passed. Unset: every ISA available here (the others are named on stdout).
//       `SOFTMAXBENCH_FORCE_ISA=avx2 ctest -R test_exp` shows what an AVX2-only machine runs.
//   SMB_EXP_STRIDE=N  the exhaustive sweep takes every N-th float only (N >= 1, default 1), for
//       builds that cannot afford 1.1e9 evaluations per kernel (sanitizers, Debug: the ctest
//       entries of a non-optimised build set N = 4099). With N > 1 the bounds are still
//       asserted on the sample, but not their tightness (a sample need not reach the maximum).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <mpfr.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "simd/exp.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::exp_test {
void eval_exp_sse2(int kernel, const float* t, const float* c, float* out, std::size_t n);
void eval_exp_avx2(int kernel, const float* t, const float* c, float* out, std::size_t n);
void eval_exp_avx512(int kernel, const float* t, const float* c, float* out, std::size_t n);
void eval_split_sse2(int degree, const float* x, float* p, float* n, std::size_t count);
void eval_split_avx2(int degree, const float* x, float* p, float* n, std::size_t count);
void eval_split_avx512(int degree, const float* x, float* p, float* n, std::size_t count);
void eval_ldexp_sse2(const float* p, const float* n, float* out, std::size_t count);
void eval_ldexp_avx2(const float* p, const float* n, float* out, std::size_t count);
void eval_ldexp_avx512(const float* p, const float* n, float* out, std::size_t count);
void eval_shift_sse2(int degree, float q, const float* x, float* out, std::size_t n);
void eval_shift_avx2(int degree, float q, const float* x, float* out, std::size_t n);
void eval_shift_avx512(int degree, float q, const float* x, float* out, std::size_t n);
bool eval_shift_scalef_sse2(int degree, float q, const float* x, float* out, std::size_t n);
bool eval_shift_scalef_avx2(int degree, float q, const float* x, float* out, std::size_t n);
bool eval_shift_scalef_avx512(int degree, float q, const float* x, float* out, std::size_t n);
bool eval_exp_f64_lut_avx512(const double* t, double* out, std::size_t n);
bool shift_deg3_one_fma_sse2();
bool shift_deg3_one_fma_avx2();
bool shift_deg3_one_fma_avx512();
bool eval_ratio_ff_sse2(double k, const float* t, const float* e, float* out, std::size_t n);
bool eval_ratio_ff_avx2(double k, const float* t, const float* e, float* out, std::size_t n);
bool eval_ratio_ff_avx512(double k, const float* t, const float* e, float* out, std::size_t n);
void eval_exp_f64_sse2(const double* t, double* out, std::size_t n);
void eval_exp_f64_avx2(const double* t, double* out, std::size_t n);
void eval_exp_f64_avx512(const double* t, double* out, std::size_t n);
void eval_rescale_sse2(const double* t, double* out, std::size_t n);
void eval_rescale_avx2(const double* t, double* out, std::size_t n);
void eval_rescale_avx512(const double* t, double* out, std::size_t n);
bool ce_reduce_underflows_sse2(const float* x, std::size_t n, bool double_exp, double* sum);
bool ce_reduce_underflows_avx2(const float* x, std::size_t n, bool double_exp, double* sum);
bool ce_reduce_underflows_avx512(const float* x, std::size_t n, bool double_exp, double* sum);
}  // namespace smb::exp_test

using namespace smb;
using namespace smb::exp_test;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Kernel numbers understood by eval_exp_*.
enum Kernel : int { kDeg5 = 0, kDeg6 = 1, kXsimd = 2, kDeg5C = 3, kDeg6C = 4 };
const char* const kKernelName[] = {"exp_neg<5>", "exp_neg<6>", "xsimd::exp"};

struct IsaFns {
    Isa isa;
    const char* name;
    void (*exp)(int, const float*, const float*, float*, std::size_t);
    void (*split)(int, const float*, float*, float*, std::size_t);
    void (*ldexp)(const float*, const float*, float*, std::size_t);
    void (*exp_f64)(const double*, double*, std::size_t);
    void (*shift)(int, float, const float*, float*, std::size_t);
    bool (*shift_scalef)(int, float, const float*, float*, std::size_t);  // false: no vscalefps
    bool scalef;                 // AVX-512: gradual subnormals; others flush (exp_neg)
    double max_ulp[3];           // documented, per kernel (deg5, deg6, xsimd)
    double max_sub[2];           // documented subnormal error (units of 2^-149), gradual only
    float split_exact_below;     // |x| bound of exp_split's full accuracy
};

const IsaFns kIsas[] = {
    {Isa::sse2, "sse2", eval_exp_sse2, eval_split_sse2, eval_ldexp_sse2, eval_exp_f64_sse2, eval_shift_sse2, eval_shift_scalef_sse2, false,
     {simd::kExpNegDeg5MaxUlpSse2, simd::kExpNegDeg6MaxUlpSse2, simd::kExpXsimdMaxUlpSse2}, {0, 0}, 32768.0f},
    {Isa::avx2, "avx2", eval_exp_avx2, eval_split_avx2, eval_ldexp_avx2, eval_exp_f64_avx2, eval_shift_avx2, eval_shift_scalef_avx2, false,
     {simd::kExpNegDeg5MaxUlpAvx2, simd::kExpNegDeg6MaxUlpAvx2, simd::kExpXsimdMaxUlpAvx2}, {0, 0}, 32768.0f},
    {Isa::avx512, "avx512", eval_exp_avx512, eval_split_avx512, eval_ldexp_avx512, eval_exp_f64_avx512, eval_shift_avx512, eval_shift_scalef_avx512, true,
     {simd::kExpNegDeg5MaxUlpAvx512, simd::kExpNegDeg6MaxUlpAvx512, simd::kExpXsimdMaxUlpAvx512},
     {simd::kExpNegDeg5MaxSubnormalErrAvx512, simd::kExpNegDeg6MaxSubnormalErrAvx512}, 32768.0f},
};

static_assert(simd::kExpNegMaxUlp<5, xsimd::fma3<xsimd::avx2>> == simd::kExpNegDeg5MaxUlpAvx2);
static_assert(simd::kExpNegMaxUlp<6, xsimd::avx512bw> == simd::kExpNegDeg6MaxUlpAvx512);
static_assert(simd::kExpXsimdMaxUlp<xsimd::sse2> == simd::kExpXsimdMaxUlpSse2);

// The ISAs this run tests (set by main from SMB_EXP_ISA), and the sweep's stride.
std::vector<const IsaFns*> g_isas;
std::uint32_t g_stride = 1;

const std::vector<const IsaFns*>& available_isas() { return g_isas; }

std::uint32_t bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float from_bits(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// floor(log2 exp(u)) = floor(u / ln 2), the binade of the exact exp(u), for a finite u given
// exactly (a float t, t + c, or x - m, in double or long double). Not from a rounded exp(u):
// exp(u) for u just below k ln2 can round up to 2^k (every u in (-2^-54, 0) gives 1.0 in
// double, binade 0 instead of -1). u * log2e decides it unless it lies within 2^-40 (relative)
// of a non-zero integer; there MPFR evaluates exp(u) at 256 bits and reads its exponent
// (exp(u) = 2^k only for u = k = 0).
template <class T>
int exp_binade(T u) {
    const T v = u * T(1.44269504088896340735992468100189214L);
    const T k = std::nearbyint(v);
    if (k != 0 && std::fabs(v - k) <= T(0x1p-40) * std::fabs(v)) {
        mpfr_t e;
        mpfr_init2(e, 256);
        if constexpr (sizeof(T) == sizeof(double)) mpfr_set_d(e, double(u), MPFR_RNDN);
        else mpfr_set_ld(e, (long double)u, MPFR_RNDN);
        mpfr_exp(e, e, MPFR_RNDN);
        const int b = int(mpfr_get_exp(e)) - 1;
        mpfr_clear(e);
        mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
        return b;
    }
    return int(std::floor(v));
}

// 2^(23 - max(b, -126)): the reciprocal of the ULP of a float in binade b (2^149 in the
// subnormal band).
double inv_ulp_of_binade(int b) { return std::ldexp(1.0, 23 - std::max(b, -126)); }

// ULP error of y against exp(u), r = exp(u) in long double (the binade from u, not from r).
template <class T>
double ulp_err_exp(float y, long double r, T u) {
    return double(std::fabs((long double)y - r) * (long double)inv_ulp_of_binade(exp_binade(u)));
}

// c = +-ulp(t)/2 (sign +1 or -1) for a float t, 0 for sign 0 or when ulp(t)/2 is below the
// smallest subnormal (|t| < 2^-125: not a float). ulp(t) is the spacing of t's binade.
float half_ulp(float t, int sign) {
    if (sign == 0) return 0.0f;
    const int e = int((bits(t) >> 23) & 0xff);  // biased exponent; 0 for zero and subnormals
    if (e < 2) return 0.0f;
    return std::ldexp(float(sign), e - 127 - 24);
}

struct Acc {
    double max_normal = 0;   // max ULP, exact >= 2^-126
    float worst_t = 0;
    double max_sub = 0;      // max error in units of 2^-149 over exact < 2^-126 with y != 0
    float worst_sub_t = 0;
    std::uint64_t flushed = 0;       // exact in [2^-150, 2^-126) with y == 0
    std::uint64_t bad = 0;           // NaN, negative or infinite outputs
    std::uint64_t count = 0;         // inputs swept
    float highest_flushed_t = -kInf;  // the largest t among the flushed
    float lowest_kept_t = kInf;       // the smallest t with exact < 2^-126 and y != 0
    void merge(const Acc& o) {
        if (o.max_normal > max_normal) max_normal = o.max_normal, worst_t = o.worst_t;
        if (o.max_sub > max_sub) max_sub = o.max_sub, worst_sub_t = o.worst_sub_t;
        flushed += o.flushed;
        bad += o.bad;
        count += o.count;
        highest_flushed_t = std::max(highest_flushed_t, o.highest_flushed_t);
        lowest_kept_t = std::min(lowest_kept_t, o.lowest_kept_t);
    }
};

// t is decreasing along the chunk (increasing bit patterns of negative floats), and so is
// t + c: results whose exact value is >= 2^-126 are a prefix [0, nn), which takes the
// branch-free path. b: the exact binades.
void accumulate(Acc& a, const float* t, const double* r, const double* s, const int* b, const float* y,
                std::size_t n, std::size_t nn) {
    double m = 0;
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < nn; ++i) {
        const double e = std::fabs(double(y[i]) - r[i]) * s[i];
        m = e > m ? e : m;
        bad += !(y[i] >= 0.0f && y[i] < kInf);
    }
    a.bad += bad;
    a.count += n;
    if (m > a.max_normal) {
        for (std::size_t i = 0; i < nn; ++i)
            if (std::fabs(double(y[i]) - r[i]) * s[i] == m) {
                a.max_normal = m, a.worst_t = t[i];
                break;
            }
    }
    for (std::size_t i = nn; i < n; ++i) {
        const float yi = y[i];
        if (!(yi >= 0.0f) || yi == kInf) {
            ++a.bad;
            continue;
        }
        const bool rounds_up = b[i] >= -150;  // exact >= 2^-150 (never equal): not a +0
        if (yi == 0.0f && rounds_up) {
            ++a.flushed;
            a.highest_flushed_t = std::max(a.highest_flushed_t, t[i]);
            continue;
        }
        if (yi != 0.0f) a.lowest_kept_t = std::min(a.lowest_kept_t, t[i]);
        if (yi != 0.0f || rounds_up) {
            const double e = std::fabs(double(yi) - r[i]) * s[i];
            if (e > a.max_sub) a.max_sub = e, a.worst_sub_t = t[i];
        }
    }
}

// The sweeps: the entry points the softmax kernels call, and with which corrections.
struct Sweep {
    const char* name;
    int kernel;    // for eval_exp_*
    int c_sign;    // c = c_sign * ulp(t) / 2
    int constant;  // index into IsaFns::max_ulp (and max_sub)
};
constexpr Sweep kSweeps[] = {
    {"exp_neg<5>(t, 0)", kDeg5C, 0, 0},        {"exp_neg<5>(t, +ulp/2)", kDeg5C, 1, 0},
    {"exp_neg<5>(t, -ulp/2)", kDeg5C, -1, 0},  {"exp_neg<6>(t, 0)", kDeg6C, 0, 1},
    {"exp_neg<6>(t, +ulp/2)", kDeg6C, 1, 1},   {"exp_neg<6>(t, -ulp/2)", kDeg6C, -1, 1},
    {"xsimd::exp(t)", kXsimd, 0, 2},
};
constexpr std::size_t kNumSweeps = sizeof kSweeps / sizeof kSweeps[0];

// xsimd's subnormal band (exp.hpp, exp_xsimd's comment): gradual, within 0.92 units of 2^-149
// (measured 0.914 on SSE2, 0.891 on AVX2 and AVX-512), for t >= -87.6831207f (exact >= 2^-126.5),
// +0 below that.
constexpr float kXsimdGradualFrom = -87.6831207f;
constexpr double kXsimdMaxSubnormalErr = 0.92;

}  // namespace

TEST_CASE("exp kernels: exhaustive over every float t in [-103.98, 0], c in {0, +-ulp(t)/2}", "[exp][exhaustive]") {
    const auto& isas = available_isas();
    REQUIRE(!isas.empty());
    const std::uint32_t b0 = bits(-0.0f), b1 = bits(-103.98f);
    const std::uint64_t span = std::uint64_t(b1 - b0) + 1;
    const std::uint64_t total = (span + g_stride - 1) / g_stride;  // inputs swept
    constexpr std::size_t kChunk = 1 << 16;
    const long nchunks = long((total + kChunk - 1) / kChunk);
    const std::size_t ni = isas.size();
    std::vector<Acc> acc(ni * kNumSweeps);
    const auto t0 = std::chrono::steady_clock::now();

#pragma omp parallel
    {
        std::vector<float> t(kChunk), c(kChunk), y(kChunk);
        std::vector<double> r(kChunk), s(kChunk);
        std::vector<int> b(kChunk);
        std::vector<Acc> local(ni * kNumSweeps);
#pragma omp for schedule(dynamic, 8)
        for (long ci = 0; ci < nchunks; ++ci) {
            const std::uint64_t first = std::uint64_t(ci) * kChunk;
            const std::size_t n = std::size_t(std::min<std::uint64_t>(kChunk, total - first));
            for (std::size_t i = 0; i < n; ++i) t[i] = from_bits(std::uint32_t(b0 + (first + i) * g_stride));
            for (int c_sign : {0, 1, -1}) {
                std::size_t nn = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    c[i] = half_ulp(t[i], c_sign);
                    const double u = double(t[i]) + double(c[i]);  // exact: 25 significant bits
                    r[i] = std::exp(u);
                    b[i] = exp_binade(u);
                    s[i] = inv_ulp_of_binade(b[i]);
                    nn += b[i] >= -126;
                }
                for (std::size_t k = 0; k < ni; ++k)
                    for (std::size_t w = 0; w < kNumSweeps; ++w) {
                        if (kSweeps[w].c_sign != c_sign) continue;
                        isas[k]->exp(kSweeps[w].kernel, t.data(), c.data(), y.data(), n);
                        accumulate(local[k * kNumSweeps + w], t.data(), r.data(), s.data(), b.data(), y.data(), n,
                                   nn);
                    }
            }
        }
#pragma omp critical(smb_exp_merge)
        for (std::size_t i = 0; i < local.size(); ++i) acc[i].merge(local[i]);
        mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("exp exhaustive: %llu inputs in [-103.98, 0] (stride %u), %d threads, %.1f s\n",
                (unsigned long long)total, g_stride, omp_get_max_threads(), secs);
    std::printf("  %-7s %-22s %10s %14s %14s %14s %11s %14s %14s\n", "isa", "kernel", "max ULP", "at t",
                "subnormal err", "at t", "flushed", "last flushed t", "first kept t");
    for (std::size_t k = 0; k < ni; ++k)
        for (std::size_t w = 0; w < kNumSweeps; ++w) {
            const Acc& a = acc[k * kNumSweeps + w];
            std::printf("  %-7s %-22s %10.4f %14.9g %14.4f %14.9g %11llu %14.9g %14.9g\n", isas[k]->name,
                        kSweeps[w].name, a.max_normal, double(a.worst_t), a.max_sub, double(a.worst_sub_t),
                        (unsigned long long)a.flushed, double(a.highest_flushed_t), double(a.lowest_kept_t));
        }

    const bool exhaustive = g_stride == 1;
    for (std::size_t k = 0; k < ni; ++k) {
        const IsaFns& f = *isas[k];
        // The documented constant of each kernel is the max over its sweeps, and must be tight.
        double kernel_max[3] = {0, 0, 0}, kernel_max_sub[3] = {0, 0, 0};
        for (std::size_t w = 0; w < kNumSweeps; ++w) {
            const Sweep& sw = kSweeps[w];
            const Acc& a = acc[k * kNumSweeps + w];
            kernel_max[sw.constant] = std::max(kernel_max[sw.constant], a.max_normal);
            kernel_max_sub[sw.constant] = std::max(kernel_max_sub[sw.constant], a.max_sub);
            INFO(f.name << " " << sw.name << ": measured " << a.max_normal << " ULP at t = " << a.worst_t
                        << ", documented " << f.max_ulp[sw.constant] << "; subnormal band: max error "
                        << a.max_sub << " at t = " << a.worst_sub_t << ", " << a.flushed
                        << " flushed, the last at t = " << a.highest_flushed_t
                        << ", the first non-zero at t = " << a.lowest_kept_t);
            CHECK(a.count == total);
            CHECK(a.bad == 0);
            CHECK(a.max_normal <= f.max_ulp[sw.constant]);
            if (sw.kernel == kXsimd) {
                // gradual from kXsimdGradualFrom, +0 below
                CHECK(a.max_sub <= kXsimdMaxSubnormalErr);
                CHECK(a.highest_flushed_t < kXsimdGradualFrom);
                if (exhaustive) {
                    CHECK(a.lowest_kept_t == kXsimdGradualFrom);
                    CHECK(kXsimdMaxSubnormalErr <= a.max_sub + 0.1);
                } else {
                    CHECK(a.lowest_kept_t >= kXsimdGradualFrom);
                }
            } else if (f.scalef) {
                // gradual: no result flushed, each within the documented error
                CHECK(a.flushed == 0);
                CHECK(a.max_sub <= f.max_sub[sw.constant]);
            } else {
                // flush: every result whose exact value is below 2^-126 is exactly +0
                CHECK(a.max_sub == 0);
                CHECK(a.lowest_kept_t == kInf);
            }
        }
        if (!exhaustive) continue;
        for (int kern = 0; kern < 3; ++kern) {
            INFO(f.name << " " << kKernelName[kern] << ": max over its sweeps " << kernel_max[kern]
                        << " ULP, documented " << f.max_ulp[kern]);
            CHECK(f.max_ulp[kern] <= kernel_max[kern] + 0.1);  // the constant is tight
            if (f.scalef && kern != kXsimd) {
                INFO("subnormal: max over its sweeps " << kernel_max_sub[kern] << ", documented " << f.max_sub[kern]);
                CHECK(f.max_sub[kern] <= kernel_max_sub[kern] + 0.1);
            }
        }
    }
}

TEST_CASE("exp_neg: special inputs", "[exp]") {
    const float flush = simd::kExpFlushBelow;
    const float below_flush = std::nextafter(flush, -kInf);
    const std::vector<float> t = {-kInf, kNaN, -0.0f, 0.0f, -103.98f, -87.4f, -1e-45f, flush, below_flush,
                                  -103.972084f, -1e-30f};
    std::vector<float> c(t.size(), 0.0f), y(t.size());
    for (const IsaFns* f : available_isas())
        for (int kern : {kDeg5, kDeg6, kXsimd, kDeg5C, kDeg6C}) {
            f->exp(kern, t.data(), c.data(), y.data(), t.size());
            INFO(f->name << " kernel " << kern);
            CHECK(y[0] == 0.0f);
            CHECK(!std::signbit(y[0]));
            CHECK(std::isnan(y[1]));
            CHECK(y[2] == 1.0f);
            CHECK(y[3] == 1.0f);
            CHECK(y[4] == 0.0f);
            CHECK(y[6] == 1.0f);
            CHECK(y[10] == 1.0f);
            if (kern == kXsimd) continue;
            if (f->scalef) {
                CHECK(std::fabs(double(y[5]) - std::exp(double(-87.4f))) <= 0x1p-149);  // gradual
                CHECK(y[8] > 0.0f);
                CHECK(std::fabs(double(y[9]) - std::exp(double(-103.972084f))) <= 0x1p-149);
            } else {
                CHECK(y[5] == 0.0f);
                CHECK(y[8] == 0.0f);   // the first input below the flush threshold
                CHECK(y[9] == 0.0f);
            }
            CHECK(y[7] >= 0x1p-126f * (1.0f - 0x1p-23f));  // the threshold itself is not flushed
        }
}

TEST_CASE("exp_neg(t, c): the flush threshold decides on t + c", "[exp]") {
    // t = the float just below kExpFlushBelow, c = TwoSum's error of x - m (up to ulp(t)/2 =
    // 2^-18): exp(t + c) >= 2^-126 once c >= kExpFlushMinCorr, a normal result that a flush
    // on t alone returned as +0 (2^23 ULP): softmax [56, -0x1.f5627cp+4] through the SSE2 and
    // AVX2 fast tiers gave 0 for an exact 1.1754952e-38 >= FLT_MIN.
    const float t1 = simd::kExpFlushBelowNext, kc = simd::kExpFlushMinCorr;
    REQUIRE(t1 == std::nextafter(simd::kExpFlushBelow, -kInf));
    const long double ln2 = 0.693147180559945309417232121458176568L;
    REQUIRE((long double)t1 + (long double)kc >= -126 * ln2);
    REQUIRE((long double)t1 + (long double)std::nextafter(kc, 0.0f) < -126 * ln2);
    const std::vector<float> t = {t1, t1, t1, t1, t1, simd::kExpFlushBelow};
    const std::vector<float> c = {kc, 0x1p-18f, std::nextafter(kc, 0.0f), 0.0f, -0x1p-18f, -0x1p-18f};
    const std::vector<bool> normal = {true, true, false, false, false, true};  // exact >= 2^-126
    std::vector<float> y(t.size());
    for (const IsaFns* f : available_isas())
        for (int kern : {kDeg5C, kDeg6C}) {
            f->exp(kern, t.data(), c.data(), y.data(), t.size());
            for (std::size_t i = 0; i < t.size(); ++i) {
                const long double u = (long double)t[i] + (long double)c[i];
                INFO(f->name << " kernel " << kern << ": t = " << t[i] << ", c = " << c[i] << ": y = " << y[i]);
                if (normal[i]) {
                    CHECK(y[i] >= 0x1p-126f * (1.0f - 0x1p-23f));
                    CHECK(ulp_err_exp(y[i], std::exp(u), u) <= f->max_ulp[kern == kDeg5C ? 0 : 1]);
                } else if (f->scalef) {
                    CHECK(std::fabs((long double)y[i] - std::exp(u)) <= 1.5L * 0x1p-149L);  // gradual
                } else {
                    CHECK(y[i] == 0.0f);  // flush: exact below 2^-126
                }
            }
        }
}

TEST_CASE("exp_neg: t = -inf gives 0 whatever the correction (TwoSum gives NaN there)", "[exp]") {
    // The softmax kernels pass TwoSum's error of x - m unguarded: for x = -inf it is NaN, and
    // exp must still be exactly +0. Very negative t (the magic-number rounding no longer holds)
    // must be 0 too; NaN t must still give NaN.
    const std::vector<float> t = {-kInf, -kInf, -1e30f, -3e6f, -200.0f, kNaN};
    const std::vector<float> c = {kNaN, 0.0f, 0.0f, 0.0f, kNaN, 0.0f};
    std::vector<float> y(t.size());
    for (const IsaFns* f : available_isas())
        for (int kern : {kDeg5C, kDeg6C}) {
            f->exp(kern, t.data(), c.data(), y.data(), t.size());
            INFO(f->name << " kernel " << kern);
            for (std::size_t i = 0; i + 1 < t.size(); ++i) {
                CHECK(y[i] == 0.0f);
                CHECK(!std::signbit(y[i]));
            }
            CHECK(std::isnan(y.back()));
        }
}

TEST_CASE("exp_neg(t, c): TwoSum correction of t = x - m", "[exp]") {
    // x <= m, t = fl(x - m), c = the exact rounding error of that subtraction; the kernel must
    // give exp(x - m) (exact difference, long double) within the same bound as exp_neg(t).
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<float> um(-100.0f, 100.0f);
    std::uniform_real_distribution<double> ulog(-26.0, std::log(103.9));
    constexpr std::size_t kN = 1 << 21;
    std::vector<float> t(kN), c(kN), y(kN), y0(kN);
    std::vector<long double> u(kN);
    for (std::size_t i = 0; i < kN; ++i) {
        const float m = um(rng);
        const float x = float(double(m) - std::exp(ulog(rng)));
        const float s = x - m;  // TwoSum(x, -m)
        const float bb = s - x;
        t[i] = s;
        c[i] = (x - (s - bb)) + (-m - bb);
        u[i] = (long double)x - (long double)m;
        if (t[i] > 0.0f) t[i] = 0.0f, c[i] = 0.0f, u[i] = 0;  // cannot happen for x <= m
    }
    for (const IsaFns* f : available_isas())
        for (int deg : {5, 6}) {
            const int kc = deg == 5 ? kDeg5C : kDeg6C, k0 = deg == 5 ? kDeg5 : kDeg6;
            f->exp(kc, t.data(), c.data(), y.data(), kN);
            f->exp(k0, t.data(), nullptr, y0.data(), kN);
            const double bound = f->max_ulp[deg == 5 ? 0 : 1];
            double worst = 0, worst0 = 0;
            std::size_t over0 = 0;
            for (std::size_t i = 0; i < kN; ++i) {
                if (exp_binade(u[i]) < -126) continue;
                const long double r = std::exp(u[i]);
                const double e = ulp_err_exp(y[i], r, u[i]), e0 = ulp_err_exp(y0[i], r, u[i]);
                if (e > worst) worst = e;
                if (e0 > worst0) worst0 = e0;
                if (e0 > bound) ++over0;
            }
            std::printf("exp_neg<%d>(t, c) %-6s: max ULP vs exp(x - m) %.4f with c, %.4f without c (%zu of %zu over %.3f)\n",
                        deg, f->name, worst, worst0, over0, kN, bound);
            INFO(f->name << " degree " << deg);
            CHECK(worst <= bound);
            CHECK(over0 > 0);  // the sample does exercise the correction
        }
}

TEST_CASE("exp_split: p * 2^n over a wide range", "[exp]") {
    std::mt19937_64 rng(777);
    std::vector<float> x;
    std::uniform_real_distribution<float> u100(-100.0f, 100.0f);
    std::uniform_real_distribution<double> ulog(std::log(1e-30), std::log(1e30));
    for (int i = 0; i < (1 << 20); ++i) x.push_back(u100(rng));
    for (int i = 0; i < (1 << 20); ++i) x.push_back(float((i & 1 ? 1.0 : -1.0) * std::exp(ulog(rng))));
    for (float v : {0.0f, -0.0f, 1e30f, -1e30f, 1e20f, -1e20f, 3e7f, -3e7f, 1.4e6f, -1.4e6f, 32768.0f, -32768.0f, 2839.0f, -2839.0f,
                    88.7f, -103.98f, 1e-45f, -1e-45f})
        x.push_back(v);
    const std::size_t n = x.size();
    std::vector<float> p(n), e(n);
    const long double ln2 = 0.693147180559945309417232121458176568L;
    for (const IsaFns* f : available_isas())
        for (int deg : {5, 6}) {
            f->split(deg, x.data(), p.data(), e.data(), n);
            const double bound = f->max_ulp[deg == 5 ? 0 : 1] * 0x1p-23;
            double worst = 0, pmin = 10, pmax = 0, pmin_all = 10, pmax_all = 0;
            float worst_x = 0;
            std::size_t nonint = 0, nonfinite = 0, out_of_range = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!std::isfinite(p[i]) || !std::isfinite(e[i])) {
                    ++nonfinite;
                    continue;
                }
                if (e[i] != std::nearbyint(e[i])) ++nonint;
                pmin_all = std::min(pmin_all, double(p[i]));
                pmax_all = std::max(pmax_all, double(p[i]));
                if (std::fabs(x[i]) > f->split_exact_below) continue;
                pmin = std::min(pmin, double(p[i]));
                pmax = std::max(pmax, double(p[i]));
                const double slack = 0x1p-23 * std::fabs(double(x[i]));  // documented
                if (p[i] < 0.70710678 * (1 - slack) - 3e-7 || p[i] > 1.41421357 * (1 + slack) + 3e-7) ++out_of_range;
                // |p 2^n / exp(x) - 1| from the logarithms (long double: n*ln2 good to ~1e-13)
                const long double d = std::log((long double)p[i]) + (long double)e[i] * ln2 - (long double)x[i];
                const double rel = double(std::fabs(std::expm1(d)));
                if (rel > worst) worst = rel, worst_x = x[i];
            }
            std::printf("exp_split<%d> %-6s: |x| <= %g: max rel err %.3e (%.3f x 2^-23) at x = %g, p in [%.9f, %.9f]; "
                        "all finite x: p in [%.6f, %.6f]\n",
                        deg, f->name, double(f->split_exact_below), worst, worst * 0x1p23, double(worst_x), pmin,
                        pmax, pmin_all, pmax_all);
            INFO(f->name << " degree " << deg);
            CHECK(nonfinite == 0);
            CHECK(nonint == 0);
            CHECK(worst <= bound);
            CHECK(out_of_range == 0);
            CHECK(pmin_all >= 0.6065);
            CHECK(pmax_all <= 1.6488);
            // special values
            const float sx[] = {-kInf, kInf, kNaN};
            float sp[3], sn[3];
            f->split(deg, sx, sp, sn, 3);
            CHECK(sn[0] == -kInf);
            CHECK(sp[0] >= 0.6065f);
            CHECK(sp[0] <= 1.6488f);
            CHECK(sn[1] == kInf);
            CHECK(std::isnan(sp[1]));
            CHECK(std::isnan(sp[2]));
            CHECK(std::isnan(sn[2]));
        }
}

TEST_CASE("ldexp_nonpos", "[exp]") {
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<float> up(0.25f, 4.0f);
    std::uniform_real_distribution<double> ulogp(std::log(0x1p-40), std::log(0x1p100));
    std::uniform_int_distribution<int> un(-300, 0);
    std::vector<float> p, n;
    for (int i = 0; i < (1 << 20); ++i) {
        p.push_back(i % 4 == 3 ? float(std::exp(ulogp(rng))) : up(rng));
        n.push_back(float(i % 8 == 7 ? un(rng) / 8 : un(rng)));
    }
    const float lowest = std::numeric_limits<float>::lowest();
    for (float v : {0.0f, -0.0f, -126.0f, -127.0f, -149.0f, -150.0f, -151.0f, -250.0f, -251.0f, -1e30f, lowest,
                    -kInf}) {
        p.push_back(1.0f);
        n.push_back(v);
        p.push_back(1.9999999f);
        n.push_back(v);
        p.push_back(0.75f);
        n.push_back(v);
    }
    const std::size_t cnt = p.size();
    std::vector<float> y(cnt);
    for (const IsaFns* f : available_isas()) {
        f->ldexp(p.data(), n.data(), y.data(), cnt);
        std::size_t wrong = 0, off_small = 0;
        for (std::size_t i = 0; i < cnt; ++i) {
            const float ref = n[i] < -1000.0f ? 0.0f : float(std::ldexp(double(p[i]), int(n[i])));
            if (bits(y[i]) == bits(ref)) continue;
            if (p[i] < 0.25f && std::fabs(double(y[i]) - double(ref)) <= 0x1p-149) {
                ++off_small;  // documented: double rounding possible for |p| < 2^-2
                continue;
            }
            if (wrong++ < 5) UNSCOPED_INFO(f->name << ": p=" << p[i] << " n=" << n[i] << " got " << y[i] << " want " << ref);
        }
        std::printf("ldexp_nonpos %-6s: %zu cases, %zu not bit-exact (all |p| < 1/4, within 2^-149)\n", f->name,
                    cnt, off_small);
        INFO(f->name);
        CHECK(wrong == 0);
        const float sp[] = {kNaN, 1.0f};
        const float sn[] = {-3.0f, -kInf};
        float sy[2];
        f->ldexp(sp, sn, sy, 2);
        CHECK(std::isnan(sy[0]));
        CHECK(sy[1] == 0.0f);
    }
}

TEST_CASE("exp_neg_f64: dense sample against expl", "[exp]") {
    std::vector<double> t;
    std::mt19937_64 rng(4242);
    std::uniform_real_distribution<double> u(-745.0, 0.0);
    std::uniform_real_distribution<double> ulog(std::log(1e-300), std::log(745.0));
    for (int i = 0; i < (1 << 21); ++i) t.push_back(u(rng));
    for (int i = 0; i < (1 << 19); ++i) t.push_back(-std::exp(ulog(rng)));
    for (int i = 0; i <= 4096; ++i) t.push_back(-745.0 * i / 4096.0);  // includes the n*ln2 ends
    const std::size_t n = t.size();
    std::vector<double> y(n);
    double overall = 0;
    for (const IsaFns* f : available_isas()) {
        f->exp_f64(t.data(), y.data(), n);
        double worst = 0, worst_t = 0;
        std::size_t bad_low = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const long double r = std::exp((long double)t[i]);
            if (t[i] >= simd::kExpFlushBelowF64) {
                const double rel = double(std::fabs(((long double)y[i] - r) / r));
                if (!(rel <= worst)) worst = rel, worst_t = t[i];
            } else if (!(y[i] >= 0.0 && y[i] <= 0x1p-1022)) {
                ++bad_low;
            }
        }
        overall = std::max(overall, worst);
        std::printf("exp_neg_f64 %-6s: max rel err %.4e (2^%.2f) at t = %.17g over %zu inputs\n", f->name, worst,
                    std::log2(worst), worst_t, n);
        INFO(f->name << ": measured " << worst << " at t = " << worst_t);
        CHECK(worst <= simd::kExpNegF64MaxRelErr);
        CHECK(bad_low == 0);
        const double sx[] = {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                             0.0, -0.0, -1e-300};
        double sy[5];
        f->exp_f64(sx, sy, 5);
        CHECK(sy[0] == 0.0);
        CHECK(!std::signbit(sy[0]));
        CHECK(std::isnan(sy[1]));
        CHECK(sy[2] == 1.0);
        CHECK(sy[3] == 1.0);
        CHECK(sy[4] == 1.0);
    }
    CHECK(simd::kExpNegF64MaxRelErr <= 0x1p-40);
    CHECK(simd::kExpNegF64MaxRelErr <= overall * 1.25);  // the constant is tight
}

namespace {

// The shifts q the ExpShiftPow2 tests use: 0, small, and far past float's exponent range.
constexpr float kWindowShifts[] = {0.0f, -3.0f, 5.0f, 100.0f, -1000.0f, 1800.0f};

// n floats drawn uniformly from the guarded window [(q - 150) ln2, (q + 96) ln2], with the
// window's edges at [0] and [1] and q ln2 at [2], through f.shift(degree, q); -inf and NaN at [3]
// and [4] are checked here (+0 and NaN) and then replaced by a copy of [0] in x and y, so every
// element of the returned pair is a finite input and its output.
std::pair<std::vector<float>, std::vector<float>> shift_window_sample(const IsaFns& f, int degree, float q,
                                                                      std::size_t n, std::mt19937& rng) {
    constexpr long double kLn2L = 0.693147180559945309417232121458176568L;
    const float lo = float((q - 150) * kLn2L), hi = float((q + 96) * kLn2L);
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> x(n);
    for (float& v : x) v = u(rng);
    x[0] = lo;
    x[1] = hi;
    x[2] = float(q * kLn2L);
    x[3] = -kInf;
    x[4] = kNaN;
    std::vector<float> y(n);
    f.shift(degree, q, x.data(), y.data(), n);
    CHECK(y[3] == 0.0f);
    CHECK(!std::signbit(y[3]));
    CHECK(std::isnan(y[4]));
    x[3] = x[4] = x[0];
    y[3] = y[4] = y[0];
    return {std::move(x), std::move(y)};
}

}  // namespace

TEST_CASE("ExpShiftPow2: exp(x - q ln2) for the guarded kernels, several q", "[exp]") {
    // Dense random sample over the whole window [(q - 150) ln2, (q + 96) ln2] plus the edges,
    // against exp of the exact x - q ln2 (long double). Normal results: exp_neg<5>'s documented
    // bound; below 2^-126: exactly +0 or within 1.5 units of 2^-149 (flush policy; the kept
    // lanes there are p * 2^-126 with p < 1, p's error as in kExpNegDeg5MaxSubnormalErrAvx512).
    constexpr long double kLn2L = 0.693147180559945309417232121458176568L;
    std::mt19937 rng(5);
    for (const IsaFns* f : available_isas())
        for (float q : kWindowShifts) {
            INFO(f->name << " q=" << q);
            const auto [x, y] = shift_window_sample(*f, 5, q, std::size_t(1) << 20, rng);
            double worst = 0, worst_sub = 0;
            for (std::size_t i = 0; i < x.size(); ++i) {
                const long double d = (long double)x[i] - (long double)q * kLn2L;
                const double r = double(std::exp(d));
                if (exp_binade(d) >= -126) {
                    worst = std::max(worst, ulp_err_exp(y[i], std::exp(d), d));
                } else if (y[i] != 0.0f) {
                    worst_sub = std::max(worst_sub, std::fabs(double(y[i]) - r) / 0x1p-149);
                }
            }
            CHECK(worst <= f->max_ulp[0]);
            CHECK(worst_sub <= 1.5);
        }
}

TEST_CASE("ExpShiftPow2<3> (poly3): relative error over the guarded window, every float of [32, 64) and [-64, -32), several q", "[exp]") {
    // poly3 is the bf16 rows' exp (guarded.<isa>.poly3.bf16): its bound, kExpShiftDeg3MaxRelErr,
    // is a relative error (the bf16 bound in guarded_bf16.hpp is derived from it). Every float x
    // of [32, 64) and [-64, -32) with q = 0 (n = round(x log2e) over 46..92 and -92..-46, the
    // reduced argument r = x - n ln2 over all of [-ln2/2, ln2/2] in steps of 2^-18 or finer: the
    // polynomial's error curve, whose extrema are flat, is sampled finely enough to reach its
    // max), then a random sample of the whole window [(q - 150) ln2, (q + 96) ln2] for several q
    // (the reduction of large |x|). Against exp of the exact x - q l (long double), l = ln2, or
    // float(ln2) where the ISA reduces with one FMA (its term is exp(x - q hi): exp.hpp,
    // kExpShiftDeg3OneFmaReduce). Normal results: relative error <= the constant, which must be
    // tight (within 1 %) on the full sweep; below 2^-126: +0, or within the same relative error
    // plus half a unit of 2^-149.
    const double bound = simd::kExpShiftDeg3MaxRelErr;
    for (const IsaFns* f : available_isas()) {
        INFO(f->name);
        const bool one_fma = f->isa == Isa::sse2 ? shift_deg3_one_fma_sse2()
                             : f->isa == Isa::avx2 ? shift_deg3_one_fma_avx2()
                                                   : shift_deg3_one_fma_avx512();
        const long double kLn2L = one_fma ? (long double)simd::kLn2HiFma : 0.693147180559945309417232121458176568L;
        double worst = 0;
        std::size_t subnormal_bad = 0;
        auto check = [&](float q, const std::vector<float>& x, const std::vector<float>& y) {
            double w = 0;
            std::size_t bad = 0;
#pragma omp parallel for reduction(max : w) reduction(+ : bad)
            for (std::size_t i = 0; i < x.size(); ++i) {
                const long double d = (long double)x[i] - (long double)q * kLn2L;
                const long double r = std::exp(d);
                if (exp_binade(d) >= -126) {
                    w = std::max(w, double(std::fabs((long double)y[i] / r - 1)));
                } else if (y[i] != 0.0f) {
                    bad += std::fabs((long double)y[i] - r) > (long double)bound * r + 0x1p-150L;
                }
            }
            worst = std::max(worst, w);
            subnormal_bad += bad;
        };
        for (std::uint32_t b0 : {bits(32.0f), bits(-32.0f)}) {
            std::vector<float> x;
            x.reserve((std::size_t(1) << 23) / g_stride + 1);
            for (std::uint32_t k = 0; k < (1u << 23); k += g_stride) x.push_back(from_bits(b0 + k));
            std::vector<float> y(x.size());
            f->shift(3, 0.0f, x.data(), y.data(), x.size());
            check(0.0f, x, y);
        }
        const double swept = worst;
        std::mt19937 rng(11);
        for (float q : kWindowShifts) {
            INFO("q=" << q);
            const auto [x, y] = shift_window_sample(*f, 3, q, std::size_t(1) << 16, rng);
            check(q, x, y);
        }
        std::printf("ExpShiftPow2<3> on %s: max relative error %.6e (2^%.3f), swept %.6e; documented %.6e\n", f->name,
                    worst, std::log2(worst), swept, bound);
        CHECK(worst <= bound);
        CHECK(subnormal_bad == 0);
        if (g_stride == 1) CHECK(swept >= 0.99 * bound);  // tight
        // And far below poly5's: the degree-3 kernel is only for bf16 outputs.
        CHECK(bound > 1e3 * 0x1p-24);
    }
    // What the one-FMA reduction leaves out, as the bound derivations (guarded_bf16.hpp) use it.
    CHECK(std::fabs(0.693147180559945309417232121458176568L - (long double)simd::kLn2HiFma) <= simd::kLn2HiFmaErr);
    CHECK(std::fabs(0.693147180559945309417232121458176568L - (long double)simd::kLn2HiFma) >= 0.99 * simd::kLn2HiFmaErr);
}

TEST_CASE("ExpShiftPow2's Scalef form (poly3s) gives the multiply form's bits (AVX-512)", "[exp]") {
    // The list's poly3s rows claim poly3's bounds because their exp is the same function: the
    // same n, r and p, the power of two applied by vscalefps instead of clamps, a shift and a
    // multiply. Checked bit for bit, degrees 3 and 5, every q of kWindowShifts, on a strided
    // sweep of every float up to (q + 127) ln2 (both signs, normal and subnormal, the flush
    // boundary near (q - 126.5) ln2 densely), -inf and NaN. A Scalef form that kept a lane the
    // clamp flushes (n - q = -127), dropped a NaN, or scaled by 2^(n - q + 1) fails. +inf is
    // outside the domain (the callers' window check sends it to max_shifted first): there the
    // multiply form gives NaN and the Scalef form +inf (vscalefps(NaN, +inf) = +inf on the Xeon
    // of the session notes); both must at least not be finite.
    constexpr long double kLn2L = 0.693147180559945309417232121458176568L;
    bool ran = false;
    for (const IsaFns* f : available_isas()) {
        INFO(f->name);
        for (int degree : {3, 5}) {
            for (float q : kWindowShifts) {
                INFO("degree " << degree << ", q=" << q);
                const float top = float((q + 127) * kLn2L), edge = float((q - 126.5L) * kLn2L);
                std::vector<float> x = {-kInf, kNaN, kNaN, -kNaN, top};
                for (std::uint32_t b = 0; b < 0x7F800000u; b += 4099u * g_stride) {
                    const float v = from_bits(b);  // +0 among them
                    if (v <= top) x.push_back(v);
                    if (-v <= top) x.push_back(-v);
                }
                float v = edge;  // 2^16 floats on each side of the flush boundary
                for (int k = 0; k < (1 << 16); ++k) v = std::nextafter(v, -kInf);
                for (int k = 0; k < (1 << 17); ++k, v = std::nextafter(v, kInf)) x.push_back(v);
                std::vector<float> a(x.size()), b(x.size());
                if (!f->shift_scalef(degree, q, x.data(), b.data(), x.size())) continue;
                f->shift(degree, q, x.data(), a.data(), x.size());
                ran = true;
                std::size_t differ = 0, first = x.size();
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const bool same = bits(a[i]) == bits(b[i]) || (std::isnan(a[i]) && std::isnan(b[i]));
                    if (!same && differ++ == 0) first = i;
                }
                INFO("first difference at x = " << (first < x.size() ? x[first] : 0.0f) << ": "
                                                 << (first < x.size() ? a[first] : 0.0f) << " vs "
                                                 << (first < x.size() ? b[first] : 0.0f));
                CHECK(differ == 0);
                CHECK(b[0] == 0.0f);
                CHECK(!std::signbit(b[0]));
                CHECK(std::isnan(b[2]));
                const float inf = kInf;
                float ya = 0, yb = 0;
                f->shift(degree, q, &inf, &ya, 1);
                f->shift_scalef(degree, q, &inf, &yb, 1);
                CHECK(!std::isfinite(ya));
                CHECK(!std::isfinite(yb));
            }
        }
    }
    if (!ran) SUCCEED("no ISA with vscalefps in this run (the avx512 run covers it)");
}

TEST_CASE("exp_f64_lut: exp(t) in double, dense sample against expl (AVX-512)", "[exp]") {
    // An AVX-512 kernel: tested by the avx512 run (test_exp_avx512), which ctest reports as
    // skipped where the CPU lacks AVX-512.
    if (std::none_of(available_isas().begin(), available_isas().end(),
                     [](const IsaFns* f) { return f->isa == Isa::avx512; })) {
        SUCCEED("AVX-512 not under test in this run");
        return;
    }
    std::mt19937 rng(6);
    std::uniform_real_distribution<double> u(-110.0, 1.0);
    std::vector<double> t(1 << 22);
    for (double& v : t) v = u(rng);
    for (int i = 0; i < 4096; ++i) t[std::size_t(i)] = -1e-3 * i;  // near 0: r and q small
    t[4096] = -std::numeric_limits<double>::infinity();
    t[4097] = -700.0;
    t[4098] = 0.0;
    std::vector<double> y(t.size());
    REQUIRE(eval_exp_f64_lut_avx512(t.data(), y.data(), t.size()));
    CHECK(float(y[4096]) == 0.0f);  // -inf: clamped to -600, a float +0
    CHECK(y[4097] >= 0.0);
    CHECK(y[4097] < 1e-250);
    CHECK(y[4098] == 1.0);
    double worst = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i >= 4096 && i <= 4098) continue;
        const long double r = std::exp((long double)t[i]);
        worst = std::max(worst, double(std::fabs(((long double)y[i] - r) / r)));
    }
    std::printf("exp_f64_lut: max rel err %.3e (2^%.2f)\n", worst, std::log2(worst));
    CHECK(worst <= simd::kExpF64LutMaxRelErr);
}

TEST_CASE("RatioFF: k exp(t + e) in float-float, every 127th float t in [-103.98, 0], TwoSum-sized e, several k", "[exp]") {
    // The accurate tier's softmax output (ops_avx2.hpp, ops_avx512.hpp): the error analyses at
    // the definitions give kRatioFFMaxUlp* in the normal band; subnormal outputs are rounded
    // twice at most (< 1 unit of 2^-149, the gradual policy). Reference: k expl(t + e).
    for (const IsaFns* f : available_isas()) {
        bool (*eval)(double, const float*, const float*, float*, std::size_t) =
            f->isa == Isa::sse2 ? eval_ratio_ff_sse2 : f->isa == Isa::avx2 ? eval_ratio_ff_avx2 : eval_ratio_ff_avx512;
        const double bound = f->isa == Isa::avx512 ? simd::kRatioFFMaxUlpAvx512 : simd::kRatioFFMaxUlpAvx2;
        std::vector<float> t, e;
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-0.5f, 0.5f);
        const std::uint32_t lo_bits = 0x80000000u, hi_bits = 0xC2CFF1B5u;  // -0.0 .. -103.98
        for (std::uint32_t b = lo_bits; b <= hi_bits; b += 127) {
            float v;
            std::memcpy(&v, &b, sizeof v);
            t.push_back(v);
            // |e| <= ulp(t)/2 as TwoSum leaves it, here anywhere in that interval
            const float ulp = std::nextafter(std::fabs(v), kInf) - std::fabs(v);
            e.push_back(v == 0.0f ? 0.0f : u(rng) * ulp);
        }
        std::vector<float> y(t.size());
        if (!eval(1.0, t.data(), e.data(), y.data(), t.size())) {
            SUCCEED(std::string(f->name) + ": no RatioFF");
            continue;
        }
        for (const double k : {1.0, 1.0 / 3.0, 0.7071067811865476, 1.0 / 4097.0, 0x1.3p-20}) {
            REQUIRE(eval(k, t.data(), e.data(), y.data(), t.size()));
            double worst = 0, worst_sub = 0;
            std::size_t at = 0;
            for (std::size_t i = 0; i < t.size(); ++i) {
                const long double r = (long double)k * std::exp((long double)t[i] + (long double)e[i]);
                const long double err = std::fabs((long double)y[i] - r);
                if (r < 0x1p-126L) {
                    worst_sub = std::max(worst_sub, double(err / 0x1p-149L));
                } else {
                    const double ulp = std::ldexp(1.0, std::ilogb(double(r)) - 23);
                    const double ue = double(err / ulp);
                    if (ue > worst) worst = ue, at = i;
                }
            }
            std::printf("RatioFF %s k=%.6g: max %.4f ULP, subnormal %.3f units of 2^-149\n", f->name, k, worst, worst_sub);
            INFO(f->name << " k=" << k << ": max " << worst << " ULP at t=" << t[at] << " e=" << e[at]
                         << ", subnormal " << worst_sub << " units of 2^-149");
            CHECK(worst <= bound);
            CHECK(worst_sub <= 1.0);
        }
        const float ninf[2] = {-kInf, -kInf}, nan_e[2] = {kNaN, 0.0f};
        float y2[2];
        REQUIRE(eval(0.5, ninf, nan_e, y2, 2));
        CHECK(y2[0] == 0.0f);  // -inf with TwoSum's NaN error: +0
        CHECK(y2[1] == 0.0f);
    }
}

TEST_CASE("online's rescaling factor: exp(d) while e^d is normal, +0 below -700, never subnormal", "[exp]") {
    // The lanes' maxima start at -inf (clamped to -FLT_MAX): online asks for exp(-3.4e38) at
    // every first rescale and every merge of an empty lane state. A subnormal or underflowing
    // factor costs an Intel core a microcode assist per result and per product (issue 14: online
    // ran 1x64 at ~340 ns); the factor must be +0 there, and exp_neg_f64's value elsewhere.
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    std::vector<double> t = {0.0, -1e-300, -0.5, -1.0, -87.3, -690.0, -700.0, std::nextafter(-700.0, -inf),
                             -708.0, -708.4, -709.0, -744.0, -745.2, -800.0, -1100.0, -1e6, -3.4028234663852886e38,
                             -std::numeric_limits<double>::max(), -inf, nan};
    for (double d = -650.0; d >= -1200.0; d -= 0.37) t.push_back(d);
    void (*const fns[])(const double*, double*, std::size_t) = {eval_rescale_sse2, eval_rescale_avx2, eval_rescale_avx512};
    std::size_t checked = 0;
    for (const IsaFns* f : g_isas) {
        INFO(f->name);
        std::vector<double> y(t.size()), e(t.size());
        fns[f - kIsas](t.data(), y.data(), t.size());
        f->exp_f64(t.data(), e.data(), t.size());
        for (std::size_t i = 0; i < t.size(); ++i) {
            INFO("d = " << t[i] << " -> " << y[i]);
            CHECK(std::fpclassify(y[i]) != FP_SUBNORMAL);
            if (std::isnan(t[i])) CHECK(std::isnan(y[i]));
            else if (t[i] < -700.0) CHECK(y[i] == 0.0);
            else CHECK(y[i] == e[i]);  // exp_neg_f64's value, a normal double
            ++checked;
        }
    }
    CHECK(checked > 0);
}

TEST_CASE("ce_fused's online pass: no underflow from the running max's first rescale or the lane merge", "[exp]") {
    // Its lanes' maxima start at -inf (clamped to -FLT_MAX) like online's, so the first rescale
    // of every lane asked for exp(-3.4e38): an underflow, and on an Intel core a microcode assist
    // per result and per product with it. The factor is online's rescale_factor (+0 below -700):
    // on rows whose terms exp(x - m) are all normal, the pass raises no underflow at all, and
    // its sum keeps its value (the golden and cross-entropy tests keep the bits).
    bool (*const red[])(const float*, std::size_t, bool, double*) = {ce_reduce_underflows_sse2, ce_reduce_underflows_avx2,
                                                                     ce_reduce_underflows_avx512};
    std::size_t checked = 0;
    for (const IsaFns* f : g_isas) {
        INFO(f->name);
        for (std::size_t n : {64u, 256u, 4096u, 32000u}) {
            // Moderate logits, max rising along the row (so lanes rescale after their first block).
            std::vector<float> x(n);
            for (std::size_t i = 0; i < n; ++i) x[i] = float(std::sin(0.37 * double(i))) + 2.0f * float(i) / float(n);
            double want = 0.0;
            const float m = *std::max_element(x.begin(), x.end());
            for (float v : x) want += std::exp(double(v) - double(m));
            for (bool dexp : {false, true}) {
                INFO("n = " << n << (dexp ? ", double exp" : ", float exp"));
                double sum = 0.0;
                CHECK_FALSE(red[f - kIsas](x.data(), n, dexp, &sum));
                CHECK(std::abs(sum - want) <= 1e-6 * want);
                ++checked;
            }
        }
    }
    CHECK(checked > 0);
}

// SMB_EXP_ISA / SMB_EXP_STRIDE (see the top), then Catch2.
int main(int argc, char** argv) {
    try {
        const char* only = std::getenv("SMB_EXP_ISA");
        std::string not_tested;
        for (const IsaFns& f : kIsas) {
            if (only && *only && std::string(only) != f.name) continue;
            if (isa_available(f.isa)) {
                g_isas.push_back(&f);
            } else {
                const bool forced = std::getenv("SOFTMAXBENCH_FORCE_ISA") && best_isa_of_cpu() >= f.isa;
                not_tested += std::string(not_tested.empty() ? "" : "; ") + f.name +
                              (forced ? " (SOFTMAXBENCH_FORCE_ISA caps dispatch at " : " (this CPU/OS supports up to ") +
                              std::string(to_string(dispatch_isa())) + ")";
            }
        }
        if (only && *only && g_isas.empty() && not_tested.empty()) {
            std::fprintf(stderr, "test_exp: SMB_EXP_ISA='%s' is not one of sse2, avx2, avx512\n", only);
            return 2;
        }
        if (!not_tested.empty()) std::printf("test_exp: NOT TESTED here: %s\n", not_tested.c_str());
        if (g_isas.empty()) {
            std::printf("test_exp: SKIPPED (exit 77): no ISA to test\n");
            return 77;
        }
        if (const char* st = std::getenv("SMB_EXP_STRIDE"); st && *st) {
            char* end = nullptr;
            const unsigned long v = std::strtoul(st, &end, 10);
            if (*end != '\0' || v < 1 || v > (1ul << 30)) {
                std::fprintf(stderr, "test_exp: SMB_EXP_STRIDE='%s' is not an integer in [1, 2^30]\n", st);
                return 2;
            }
            g_stride = std::uint32_t(v);
            if (g_stride > 1)
                std::printf("test_exp: SMB_EXP_STRIDE=%u: the exhaustive sweep takes every %u-th float (a sample; "
                            "bounds asserted, tightness not)\n", g_stride, g_stride);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "test_exp: %s\n", e.what());
        return 2;
    }
    return Catch::Session().run(argc, argv);
}
