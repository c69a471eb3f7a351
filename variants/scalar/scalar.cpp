// Scalar variants: one plain loop per algorithm, the readable statement of each algorithm.
// All but `naive` keep their internals in double (exp, sums, the final division), so each is
// within about 0.5 ULP of the correctly rounded result except where the algorithm's own form
// loses accuracy (documented per variant in variants/list.inc). `naive` is float on purpose.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "detail/special.hpp"
#include "kernels.hpp"
#include "layout.hpp"
#include "softmaxbench/bf16.hpp"

namespace smb::kernels::scalar {
// The scalar form of each algorithm (the list's `scalar::<algorithm>`), internal to this unit:
// the registry reaches them through the rows defined at the end from the list.
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct MaxScan {
    float m = -kInf;
    std::size_t k = 0;  // index of the first maximum
    bool nan = false;
};

MaxScan scan_max(const float* x, std::size_t n) {
    MaxScan s;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isnan(v)) s.nan = true;
        else if (v > s.m) { s.m = v; s.k = i; }
    }
    return s;
}

// Sum of exp(x_j - m) over every j except k (the first maximum, whose term is exactly 1).
// Keeping that 1 out lets log1p keep full relative accuracy when one logit dominates
// (Blanchard, Higham & Higham 2021).
double sum_rest(const float* x, std::size_t n, float m, std::size_t k) {
    double rest = 0;
    for (std::size_t j = 0; j < n; ++j)
        if (j != k) rest += std::exp(double(x[j]) - double(m));
    return rest;
}

// log_softmax in the Blanchard-Higham-Higham form: y = (x - m) - log1p(rest).
void write_log(const float* x, float* y, std::size_t n, float m, double rest) {
    const double l = std::log1p(rest);
    for (std::size_t j = 0; j < n; ++j) y[j] = float((double(x[j]) - double(m)) - l);
}

// The start the three-pass forms share (max_shifted, recompute): the max, the special rows and the
// whole log_softmax output. Returns true when the row is written; false leaves the softmax pass
// to the caller, with the max in MX.
bool three_pass_head(const float* x, float* y, std::size_t n, RowParams p, MaxScan& mx) {
    mx = scan_max(x, n);
    if (detail::special_by_max(x, y, n, mx.m, mx.nan, p)) return true;
    if (p.output != Output::log_softmax) return false;
    write_log(x, y, n, mx.m, sum_rest(x, n, mx.m, mx.k));
    return true;
}


// exp(x)/sum exp(x) with no shift: the float exp overflows once a logit passes ~88.7 and
// underflows once every logit is below ~-103.9. Kept to show why the shift exists. The sum is
// kept in double (like NumPy's pairwise sum, its error does not grow with n), so overflow is
// the only thing that goes wrong.
void naive(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) s += double(std::exp(x[j]));
    if (!(s > 0 && s < double(kInf)) && detail::special_by_scan(x, y, n, p)) return;
    if (p.output == Output::softmax) {
        const float fs = float(s);  // inf when the float exps overflowed: inf/inf = NaN
        for (std::size_t j = 0; j < n; ++j) y[j] = std::exp(x[j]) / fs;
    } else {
        const float l = float(std::log(s));
        for (std::size_t j = 0; j < n; ++j) y[j] = x[j] - l;
    }
}

// Three passes: max; exp, store, sum; scale. The stored exp is rounded to float, so the
// result carries that rounding as well as the final one.
void max_shifted(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    MaxScan mx;
    if (three_pass_head(x, y, n, p, mx)) return;
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double e = std::exp(double(x[j]) - double(mx.m));
        y[j] = float(e);
        s += e;
    }
    for (std::size_t j = 0; j < n; ++j) y[j] = float(double(y[j]) / s);
}

// Milakov & Gimelshein: one pass keeps the running max m and the normaliser d relative to it,
// rescaling d when the max moves; a second pass writes. d is kept without the max's own 1
// (as `rest`), so log_softmax can use log1p.
void online(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    float m = -kInf;
    double rest = 0;
    bool nan = false;
    for (std::size_t j = 0; j < n; ++j) {
        const float v = x[j];
        if (std::isnan(v)) { nan = true; continue; }
        if (v == -kInf) continue;  // contributes exp(-inf) = 0; also avoids -inf - -inf
        if (v > m) {
            rest = m == -kInf ? 0.0 : (rest + 1.0) * std::exp(double(m) - double(v));
            m = v;
        } else if (v == m) {
            rest += 1.0;
        } else {
            rest += std::exp(double(v) - double(m));
        }
    }
    if (detail::special_by_max(x, y, n, m, nan, p)) return;
    if (p.output == Output::log_softmax) {
        write_log(x, y, n, m, rest);
        return;
    }
    const double d = 1.0 + rest;
    for (std::size_t j = 0; j < n; ++j) y[j] = float(std::exp(double(x[j]) - double(m)) / d);
}

// softmax as exp(x - lse), lse = m + log1p(rest): the normalisation moves into the exponent.
void log_sum_exp(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    const MaxScan mx = scan_max(x, n);
    if (detail::special_by_max(x, y, n, mx.m, mx.nan, p)) return;
    const double rest = sum_rest(x, n, mx.m, mx.k);
    if (p.output == Output::log_softmax) {
        write_log(x, y, n, mx.m, rest);
        return;
    }
    const double l = std::log1p(rest);
    for (std::size_t j = 0; j < n; ++j) y[j] = float(std::exp((double(x[j]) - double(mx.m)) - l));
}

// exp(x) = p * 2^e with p in [sqrt(1/2), sqrt(2)] and e an integer-valued double.
struct Split {
    double p, e;
};
Split split_exp(float x) {
    constexpr double kLog2e = 1.4426950408889634074;
    constexpr double kLn2 = 0.69314718055994530942;
    const double e = std::nearbyint(double(x) * kLog2e);
    return {std::exp(double(x) - e * kLn2), e};
}
// 2^d for d <= 0, without overflowing the int that ldexp takes.
double pow2_nonpos(double d) { return d < -2000 ? 0.0 : std::ldexp(1.0, int(d)); }

// Dukhan & Ablavatski: no max pass. Pass 1 accumulates exp(x) as an extended-exponent pair
// (S, N) meaning S * 2^N, so nothing overflows; pass 2 writes p * 2^(e - N) / S.
// Reduction x - e*ln2 in double: accurate for |x| up to ~1e6; a row with a finite logit whose
// exponent e passes layout::kTwoPassMaxExp (|x| >~ 9.1e4, the SIMD forms' limit) is
// online's (one rounding from double, as this form: its 0.51 ULP), as guarded falls back to
// max_shifted: there e*ln2 loses x's bits, and x log2e may even overflow.
void two_pass(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    double S = 0, N = -std::numeric_limits<double>::infinity();
    bool special = false;
    for (std::size_t j = 0; j < n; ++j) {
        const float v = x[j];
        if (std::isnan(v) || v == kInf) { special = true; break; }
        if (v == -kInf) continue;
        const Split t = split_exp(v);
        if (!(std::fabs(t.e) <= double(layout::kTwoPassMaxExp))) return online(x, y, n, p);
        if (t.e > N) {
            S = S * pow2_nonpos(N - t.e) + t.p;
            N = t.e;
        } else {
            S += t.p * pow2_nonpos(t.e - N);
        }
    }
    if ((special || S == 0) && detail::special_by_scan(x, y, n, p)) return;
    if (p.output == Output::log_softmax) {
        constexpr double kLn2 = 0.69314718055994530942;
        const double l = std::log(S) + N * kLn2;
        for (std::size_t j = 0; j < n; ++j) y[j] = float(double(x[j]) - l);
        return;
    }
    for (std::size_t j = 0; j < n; ++j) {
        if (x[j] == -kInf) { y[j] = 0; continue; }
        const Split t = split_exp(x[j]);
        y[j] = float(t.p * pow2_nonpos(t.e - N) / S);
    }
}

// Guarded: no max pass when the row allows. The shift is q ln2 with q = floor(x[0] log2e), an
// integer, so x[0]'s term is >= 1 and the sum >= 1; the row must have every x <= (q + 96) ln2
// (the SIMD kernels' window, where float terms cannot overflow). Otherwise q comes from the row
// max (the SIMD kernels find that out mid-pass); NaN, +inf, all -inf and logits past 1280 are
// max_shifted's. Internals in double, like the other scalar variants; terms stored as float.
void guarded(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted(x, y, n, p);
    constexpr double kLog2e = 1.4426950408889634074, kLn2 = 0.69314718055994530942;
    auto q_of = [](float v) { return std::floor(double(v) * kLog2e); };
    auto inside = [&](double q) {
        for (std::size_t j = 0; j < n; ++j)
            if (!(double(x[j]) <= (q + 96) * kLn2)) return false;  // also NaN
        return true;
    };
    double q = q_of(x[0]);
    if (!(std::fabs(x[0]) <= 1280.0f) || !inside(q)) {
        const MaxScan mx = scan_max(x, n);
        if (mx.nan || !(std::fabs(mx.m) <= 1280.0f)) return max_shifted(x, y, n, p);
        q = q_of(mx.m);
    }
    const bool apart = y + n <= x || x + n <= y;
    const double shift = q * kLn2;
    auto term = [&](float v) { return std::exp(double(v) - shift); };
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double e = term(x[j]);
        if (apart) y[j] = float(e);
        s += e;
    }
    // In place: the same float terms recomputed, so both forms agree bit for bit.
    for (std::size_t j = 0; j < n; ++j) y[j] = float(double(apart ? y[j] : float(term(x[j]))) / s);
}

// Three passes, Dukhan & Ablavatski's "recompute" form: max; sum of exp(x - m) (double), nothing
// stored; exp(x - m) again in double, divided by the sum and rounded once. Unlike max_shifted
// no float exp is stored, so the only float rounding is the output's.
void recompute(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    MaxScan mx;
    if (three_pass_head(x, y, n, p, mx)) return;
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) s += std::exp(double(x[j]) - double(mx.m));
    for (std::size_t j = 0; j < n; ++j) y[j] = float(std::exp(double(x[j]) - double(mx.m)) / s);
}

// The backward (op backward) in double: softmax dx = y (dy - <dy, y>), log_softmax
// dx = dy - exp(y) sum dy; products of floats are exact in double, each output rounded once.
// In place (dx == dy or dx == y) works: the second loop reads index i before writing it.
// Split into its two passes for a row cut across threads (detail/split.hpp, BackwardSplit): the
// sum over a slice, and the write of a slice given the whole row's sum.
double backward_reduce(const float* y, const float* dy, std::size_t n, RowParams p) {
    double s = 0;
    if (p.output == Output::softmax)
        for (std::size_t j = 0; j < n; ++j) s += double(y[j]) * double(dy[j]);
    else
        for (std::size_t j = 0; j < n; ++j) s += double(dy[j]);
    return s;
}
void backward_write(const float* y, const float* dy, float* dx, std::size_t n, RowParams p, double s) {
    if (p.output == Output::softmax)
        for (std::size_t i = 0; i < n; ++i) dx[i] = float(double(y[i]) * (double(dy[i]) - s));
    else
        for (std::size_t i = 0; i < n; ++i) dx[i] = float(double(dy[i]) - std::exp(double(y[i])) * s);
}
void backward(const float* y, const float* dy, float* dx, std::size_t n, RowParams p) {
    backward_write(y, dy, dx, n, p, backward_reduce(y, dy, n, p));
}
#include "scalar/cross_entropy.inc"
// The bf16 dtypes' scalar rows, the reference form: the row widened to float32 (exact), the f32
// scalar form, its outputs rounded to bf16 (softmaxbench/bf16.hpp) or kept as float32.
// (The SIMD kernels convert in registers instead; this copy is for the reference only.)
// log_softmax to bf16: the float result y32 is rounded to odd first, with the side of the exact
// (x - m) - l found by comparing d = (x - m) - y32 (exact in double) with l, so that the bf16
// rounding is not a double rounding (see write_accurate in variants/simd/passes.hpp: on bf16
// logits x - m often sits on a bf16 midpoint).
void on_dtype(RowFn f, const float* x, float* y, std::size_t n, RowParams p) { f(x, y, n, p); }
template <class Ty>
void on_dtype(RowFn f, const std::uint16_t* x, Ty* y, std::size_t n, RowParams p) {
    std::vector<float> xf(n), yf(n);
    for (std::size_t i = 0; i < n; ++i) xf[i] = bf16_to_float(x[i]);
    f(xf.data(), yf.data(), n, p);
    if constexpr (std::is_same_v<Ty, float>) {
        for (std::size_t i = 0; i < n; ++i) y[i] = yf[i];
    } else {
        const MaxScan s = scan_max(xf.data(), n);
        const bool sticky = p.output == Output::log_softmax && n > 0 && std::isfinite(s.m) && !s.nan;
        const double l = sticky ? std::log1p(sum_rest(xf.data(), n, s.m, s.k)) : 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            float v = yf[i];
            const std::uint32_t b = std::bit_cast<std::uint32_t>(v);
            if (sticky && std::isfinite(v) && v != 0 && (b & 1u) == 0) {
                const double d = (double(xf[i]) - double(s.m)) - double(v);
                if (d != l) v = std::bit_cast<float>((d > l) == (v > 0) ? b + 1 : b - 1);
            }
            y[i] = float_to_bf16(v);
        }
    }
}

}  // namespace

}  // namespace smb::kernels::scalar

// The list's scalar entries: each row is its algorithm's scalar form (on its dtype).
#define SMB_THIS_ISA_scalar SMB_PROBE
#define SMB_VARIANT(alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary) \
    SMB_WHEN(SMB_IS_THIS_ISA(isa))(namespace smb::kernels::isa {                  \
        SMB_CAT(SMB_DECLARE_ROW_, dtype)(SMB_KERNEL_FN(alg, exp, tier, dtype)) { on_dtype(&alg, x, y, n, p); } \
    })
#define SMB_OP_VARIANT(op, alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary) \
    SMB_WHEN(SMB_IS_THIS_ISA(isa))(namespace smb::kernels::isa {                            \
        SMB_DECLARE_OP(op, dtype, SMB_KERNEL_FN(alg, exp, tier, dtype)) {                   \
            return alg SMB_CAT(SMB_ARGS_, op);                                              \
        }                                                                                   \
        SMB_OP_SPLIT_DEF_##op(SMB_KERNEL_FN(alg, exp, tier, dtype), &alg##_reduce, &alg##_write) \
        SMB_CE_SPLIT_##op(alg, exp, tier, dtype, SMB_KERNEL_FN(alg, exp, tier, dtype))            \
    })
#define SMB_CE_SPLIT_cross_entropy(alg, exp, tier, dtype, fn) SMB_CE_SPLIT_DEF(fn, nullptr)  // no scalar split
#include "list.inc"
#undef SMB_VARIANT
#undef SMB_OP_VARIANT
