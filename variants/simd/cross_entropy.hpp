// Cross-entropy with logits, one row (SIMD): the fused form and the two unfused baselines.
//
//   loss = sum_j q_j (lse(x) - x_j),  q = (1 - eps) onehot(t) + eps / n
//        = (1 - eps) (lse - x_t) + (eps / n) (n log S + sum_j (m - x_j)),  S = sum_j exp(x_j - m)
//   grad = (softmax(x) - q) * scale
//
// Every term of the loss is >= 0, so no step cancels except lse - x_t itself, which is taken
// apart: lse - x_t = (m - x_t) + log S when t is not an argmax (then the loss is >= log 2), and
// log1p(rest) with rest = sum_{j != t} exp(x_j - x_t) when it is (then the target's gradient
// p_t - 1 is -rest / (1 + rest)). rest is summed with the target left out (the reduction reads
// the target as -inf), never as S - 1.
//
// ce_fused: one online (max, sum) pass (rows up to kMaxFirstCols: a max pass, then the sum),
// then one pass that writes the gradient; the loss comes from the reduction (with eps > 0 the
// write pass also sums m - x_j). Fast tier: float exps (degree 6, TwoSum-compensated x - m)
// added in pairs in float, then in double; accurate tier: exps and sums in double.
// ce_log_softmax: log_softmax into the gradient's buffer (our max_shifted), gather, NLL, then
// exp(logp) - onehot in place: what PyTorch does. ce_softmax_log: softmax, then log, NLL, then
// softmax - onehot: what the NumPy guide's code does. Bounds: variants/list.inc.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "simd/max_shifted.hpp"
#include "simd/online.hpp"
#include "softmaxbench/bf16.hpp"
#include "detail/split.hpp"
#include "simd/passes.hpp"

namespace smb::simd {

namespace ce_detail {

constexpr float kInfF = std::numeric_limits<float>::infinity();

// max m over a slice (-inf when empty or all -inf) and d = sum exp(x_j - m) in double.
struct Reduced {
    float m = -kInfF;
    double d = 0;
    bool nan = false;
};

// One online pass: per lane the running max M and the double sum relative to it; when a block
// of 4 vectors raises a lane's max, that lane's sum is rescaled by exp(M_old - M_new) in double
// (no float error, however often the max moves; online's rescale_factor, +0 below e^-700: the
// sum holds the max's term 1, so a smaller factor changes no bit). DoubleExp: each exp(x - M) in double
// (exp_neg_f64, rel. err. 1.6e-14); else our degree-6 float exp of the compensated x - M,
// two of them added in float (one rounding), then widened to double (no longer float sums).
// skip: an index whose entry counts as -inf (the target), or n for none. The one vector that
// holds it is patched through memory once, so the row is still read in one pass.
// KnownMax: m is the row max, from a max pass before (short rows: the lanes never rescale and
// need no merge; the row is read three times, from L1).
template <class Arch, bool DoubleExp, bool KnownMax = false, class Tx>
Reduced reduce(const Tx* x, std::size_t n, std::size_t skip, float known_max = 0.0f) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t V = 4;
    const B low(std::numeric_limits<float>::lowest()), ninf(-kInfF);
    B M = KnownMax ? B(known_max) : ninf;
    D lo(0.0), hi(0.0);
    auto block = [&](const B* v, std::size_t cnt) {
        B bm = v[0];
        for (std::size_t j = 1; j < cnt; ++j) bm = xsimd::max(bm, v[j]);
        const B mn = KnownMax ? M : xsimd::max(M, bm);
        if (!KnownMax && xsimd::any(mn > M)) {
            D olo, ohi, nlo, nhi;
            widen<Arch>(xsimd::max(M, low), olo, ohi);
            widen<Arch>(xsimd::max(mn, low), nlo, nhi);
            // rescale_factor (online.hpp): +0 below e^-700, so the first rescale from the
            // -FLT_MAX start takes no underflow (a microcode assist on Intel cores).
            lo = xsimd::select(nlo > olo, lo * rescale_factor<Arch>(olo - nlo), lo);
            hi = xsimd::select(nhi > ohi, hi * rescale_factor<Arch>(ohi - nhi), hi);
            M = mn;
        }
        const B ms = xsimd::max(mn, low);
        if constexpr (DoubleExp) {
            D mlo, mhi;
            widen<Arch>(ms, mlo, mhi);
            for (std::size_t j = 0; j < cnt; ++j) {
                D a, b;
                widen<Arch>(v[j], a, b);
                lo += exp_neg_f64<Arch>(a - mlo);
                hi += exp_neg_f64<Arch>(b - mhi);
            }
        } else {
            // Pairs summed in float (one rounding, <= 2^-24 relative), then widened.
            using C = Cfg<ExpKernel::poly6, Tier::fast>;
            std::size_t j = 0;
            for (; j + 2 <= cnt; j += 2) {
                D a, b;
                widen<Arch>(exp_shifted<Arch, C>(v[j], ms) + exp_shifted<Arch, C>(v[j + 1], ms), a, b);
                lo += a;
                hi += b;
            }
            if (j < cnt) {
                D a, b;
                widen<Arch>(exp_shifted<Arch, C>(v[j], ms), a, b);
                lo += a;
                hi += b;
            }
        }
    };
    auto patch = [&](B b, std::size_t i) {
        if (skip < i || skip >= i + W) return b;
        alignas(64) float buf[W];
        b.store_aligned(buf);
        buf[skip - i] = -kInfF;
        return B::load_aligned(buf);
    };
    B v[V];
    std::size_t i = 0, cnt = 0;
    const std::size_t skip_block = skip / W * W;  // the vector holding skip (if skip < n)
    for (; i + W <= n; i += W) {
        v[cnt++] = i == skip_block ? patch(load<Arch>(x + i), i) : load<Arch>(x + i);
        if (cnt == V) {
            block(v, V);
            cnt = 0;
        }
    }
    if (i < n) v[cnt++] = patch(load_partial<Arch>(x + i, n - i, -kInfF), i);
    if (cnt) block(v, cnt);

    Reduced r;
    r.nan = xsimd::any(M != M) || xsimd::any(lo != lo) || xsimd::any(hi != hi);
    if (r.nan) return r;
    if constexpr (KnownMax) {
        r.m = known_max;
        if (r.m == -kInfF) return r;
        r.d = Ops<Arch>::hadd(lo + hi);
        r.nan = r.d != r.d;
        return r;
    }
    r.m = hmax<Arch>(M);
    if (r.m == -kInfF) return r;
    // Lanes at the row max keep their sum; the others are scaled by exp(M_lane - m).
    D mlo, mhi;
    widen<Arch>(xsimd::max(M, low), mlo, mhi);
    const D md = D(double(r.m));
    lo *= rescale_factor<Arch>(mlo - md);  // a lane that saw no entry: -FLT_MAX - m, +0
    hi *= rescale_factor<Arch>(mhi - md);
    r.d = Ops<Arch>::hadd(lo + hi);
    r.nan = r.d != r.d;
    return r;
}

// Rows up to this length take a max pass first (a few hundred bytes to 16 KiB: re-reading
// from L1 costs less than the online pass's rescaling and lane merge); longer rows are read
// once by the online pass. Either way the result is (the max over j != t or the row max, the
// sum without the target) and every later step is the same.
constexpr std::size_t kMaxFirstCols = 4096;

// What the write pass and the loss need from the reduction and the target.
struct RowStats {
    float m;        // the row max
    double s;       // sum_j exp(x_j - m) (>= 1)
    double log_s;   // log S, as log1p(rest) when t is an argmax
    double p_t_m1;  // p_t - 1, as -rest / S when t is an argmax
    bool nan;       // NaN, +inf or every entry -inf: NaN loss and gradient
};

inline RowStats stats(const Reduced& r, float xt) {
    RowStats st{};
    if (r.nan || xt != xt || xt == kInfF || r.m == kInfF || (xt == -kInfF && r.m == -kInfF)) {
        st.nan = true;
        return st;
    }
    if (!(xt < r.m)) {  // t is an argmax: S = 1 + rest exactly, rest without the target's 1
        const double rest = r.m == -kInfF ? 0.0 : r.d * std::exp(double(r.m) - double(xt));
        st.m = xt;
        st.s = 1.0 + rest;
        st.log_s = std::log1p(rest);
        st.p_t_m1 = -rest / st.s;
    } else {  // then the loss is >= log 2: log S in double is far within a float ULP
        st.m = r.m;
        const double et = std::exp(double(xt) - double(r.m));
        st.s = r.d + et;
        st.log_s = std::log(st.s);
        st.p_t_m1 = et / st.s - 1.0;
    }
    return st;
}

// The loss from the stats; gap = sum_j (m - x_j) (only read when eps > 0).
inline double loss(const RowStats& st, float xt, std::size_t n, double eps, double gap) {
    const double lt = (double(st.m) - double(xt)) + st.log_s;  // lse - x_t, both terms >= 0
    double l = eps == 1.0 ? 0.0 : (1.0 - eps) * lt;
    if (eps > 0) l += eps * (st.log_s + gap / double(n));
    return l;
}

// The target's gradient: (p_t - q_t) * scale, q_t = 1 - eps + eps / n (rounded by the caller).
inline double grad_target(const RowStats& st, std::size_t n, double eps, double scale) {
    return (st.p_t_m1 + eps * (1.0 - 1.0 / double(n))) * scale;
}

// sum_j (m - x_j) in double: every term exact and >= 0.
template <class Arch, class Tx>
double sum_gap(const Tx* x, std::size_t n, float mf) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B m(mf);
    D lo(0.0), hi(0.0);
    std::size_t i = 0;
    for (; i < n; i += W) {
        const B v = i + W <= n ? load<Arch>(x + i) : load_partial<Arch>(x + i, n - i, mf);
        D a, b, ma, mb;
        widen<Arch>(m, ma, mb);
        widen<Arch>(v, a, b);
        lo += ma - a;
        hi += mb - b;
    }
    return Ops<Arch>::hadd(lo + hi);
}

// The write pass: grad_j = (exp(x_j - m) / S - eps / n) * scale for every j (the target fixed
// up after), returning sum_j (m - x_j) when Smooth. Reads each x_j before writing grad_j, so
// grad may be x. Fast: float (degree-6 exp, one product by 1/S, one subtraction, one product);
// accurate: in double, rounded once. Logits (Tx) and gradient (Tg) are float or bf16 bits,
// converted in registers (passes.hpp: load, store). A bf16 gradient of the accurate tier is
// rounded once from double: the float result rounded to odd with the double's side first
// (Ops::round_to_odd, as the forward's bf16 log_softmax), so the bf16 rounding is the correct
// rounding of the double value, not a double rounding.
template <class Arch, bool Accurate, bool Smooth, class Tx, class Tg>
double write_grad(const Tx* x, Tg* g, std::size_t n, float mf, double s, double qoff, double scale) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B mb(mf), invf = B(float(1.0 / s)), qf = B(float(qoff)), sf = B(float(scale));
    const D md = D(double(mf)), invd = D(1.0 / s), qd = D(qoff), sd = D(scale);
    D glo(0.0), ghi(0.0);
    auto one = [&](B v) {
        D a, b;
        if constexpr (Smooth || Accurate) widen<Arch>(v, a, b);
        if constexpr (Smooth) {
            glo += md - a;  // tail lanes hold m: they add 0
            ghi += md - b;
        }
        if constexpr (Accurate) {
            const D rlo = (exp_neg_f64<Arch>(a - md) * invd - qd) * sd, rhi = (exp_neg_f64<Arch>(b - md) * invd - qd) * sd;
            const B y32 = narrow<Arch>(rlo, rhi);
            if constexpr (std::is_same_v<Tg, float>) {
                return y32;
            } else {
                D ylo, yhi;
                widen<Arch>(y32, ylo, yhi);
                const D up(1.0), zero(0.0);
                const D slo = xsimd::select(rlo > ylo, up, xsimd::select(rlo < ylo, -up, zero));
                const D shi = xsimd::select(rhi > yhi, up, xsimd::select(rhi < yhi, -up, zero));
                return Ops<Arch>::round_to_odd(y32, narrow<Arch>(slo, shi));
            }
        } else {
            return (exp_shifted<Arch, Cfg<ExpKernel::poly6, Tier::fast>>(v, mb) * invf - qf) * sf;
        }
    };
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const B r0 = one(load<Arch>(x + i)), r1 = one(load<Arch>(x + i + W));
        store<Arch>(g + i, r0);
        store<Arch>(g + i + W, r1);
    }
    for (; i + W <= n; i += W) store<Arch>(g + i, one(load<Arch>(x + i)));
    if (i < n) store_partial<Arch>(g + i, one(load_partial<Arch>(x + i, n - i, mf)), n - i);
    return Smooth ? Ops<Arch>::hadd(glo + ghi) : 0.0;
}

inline void fill_nan_maybe(float* g, std::size_t n) {
    if (g) detail::fill_nan(g, n);
}
inline void fill_nan_maybe(std::uint16_t* g, std::size_t n) {
    if (g)
        for (std::size_t j = 0; j < n; ++j) g[j] = 0x7FC0;  // bf16 quiet NaN
}

// One logit as float (bf16 widens exactly) and one gradient value rounded once from double.
inline float logit(float v) { return v; }
inline float logit(std::uint16_t v) { return bf16_to_float(v); }
inline void put(float& g, double v) { g = float(v); }
inline void put(std::uint16_t& g, double v) { g = double_to_bf16(v); }

// Scratch for the unfused baselines when no gradient buffer is given (loss only).
inline float* scratch(std::size_t n) {
    thread_local std::vector<float> buf;
    if (buf.size() < n) buf.resize(n);
    return buf.data();
}

// The unfused baselines' gradient pass: g_j = (e(y_j) - eps / n) * scale, in place, where e is
// exp (y = log_softmax) or the identity (y = softmax); then the target's -(1 - eps) * scale.
template <class Arch, bool Exp>
void unfused_grad(float* g, std::size_t n, std::size_t t, double eps, double scale) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B qf = B(float(eps / double(n))), sf = B(float(scale));
    auto one = [&](B y) {
        if constexpr (Exp) y = exp_neg<5, Arch>(y);
        return (y - qf) * sf;
    };
    std::size_t i = 0;
    for (; i + W <= n; i += W) one(B::load_unaligned(g + i)).store_unaligned(g + i);
    if (i < n) store_partial<Arch>(g + i, one(load_partial<Arch>(g + i, n - i, 0.0f)), n - i);
    g[t] -= float((1.0 - eps) * scale);
}

// -sum_j q_j f(y_j), f = identity (y = log_softmax) or log (y = softmax), in double.
template <bool Log>
double unfused_loss(const float* y, std::size_t n, std::size_t t, double eps) {
    auto f = [](float v) { return Log ? std::log(double(v)) : double(v); };
    double l = eps == 1.0 ? 0.0 : -(1.0 - eps) * f(y[t]);
    if (eps > 0) {
        double s = 0;
        for (std::size_t j = 0; j < n; ++j) s += f(y[j]);
        l -= eps / double(n) * s;
    }
    return l;
}

}  // namespace ce_detail

// Tx: float or bf16 logits; Tg: float or bf16 gradient (the list's dtypes f32, bf16_f32, bf16).
template <class Arch, class Cfg, class Tx, class Tg>
double ce_fused(const Tx* x, std::size_t t, Tg* grad, std::size_t n, const CrossEntropyRowParams& p) {
    using namespace ce_detail;
    constexpr bool acc = Cfg::accurate;
    const float xt = logit(x[t]);
    const RowStats st = stats(n <= kMaxFirstCols ? reduce<Arch, acc, true>(x, n, t, row_max<Arch>(x, n))
                                                  : reduce<Arch, acc>(x, n, t),
                              xt);
    if (st.nan) {
        fill_nan_maybe(grad, n);
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double eps = p.label_smoothing, scale = p.grad_scale;
    double gap = 0;
    if (grad) {
        const double qoff = eps / double(n);
        gap = eps > 0 ? write_grad<Arch, acc, true>(x, grad, n, st.m, st.s, qoff, scale)
                      : write_grad<Arch, acc, false>(x, grad, n, st.m, st.s, qoff, scale);
        put(grad[t], grad_target(st, n, eps, scale));
    } else if (eps > 0) {
        gap = sum_gap<Arch>(x, n, st.m);
    }
    return loss(st, xt, n, eps, gap);
}

// The fused form's passes apart, for a row cut across threads (detail/split.hpp,
// CrossEntropySplit); the row function above is the same steps on one slice.
template <class Arch, class Cfg, class Tx, class Tg>
struct CeFusedSplit {
    static CeSliceState reduce(const void* xv, std::size_t n, std::size_t skip) {
        const ce_detail::Reduced r = ce_detail::reduce<Arch, Cfg::accurate>(static_cast<const Tx*>(xv), n, skip);
        return {r.m, r.d, r.nan};
    }
    static CeRowState stats(const CeSliceState* parts, int count, const void* xv, std::size_t t) {
        ce_detail::Reduced r;  // the online merge: the sums rescaled to the largest max, in double
        for (int k = 0; k < count; ++k) r.nan = r.nan || parts[k].nan || parts[k].d != parts[k].d;
        if (!r.nan) {
            for (int k = 0; k < count; ++k) r.m = std::max(r.m, parts[k].m);
            if (r.m != -ce_detail::kInfF)
                for (int k = 0; k < count; ++k)
                    if (parts[k].m != -ce_detail::kInfF) r.d += parts[k].d * std::exp(double(parts[k].m) - double(r.m));
        }
        const float xt = ce_detail::logit(static_cast<const Tx*>(xv)[t]);
        const ce_detail::RowStats st = ce_detail::stats(r, xt);
        return {st.m, xt, st.s, st.log_s, st.p_t_m1, st.nan};
    }
    static double write(const void* xv, void* gv, std::size_t n, const CeRowState& st, std::size_t row_n,
                        const CrossEntropyRowParams& p) {
        const Tx* x = static_cast<const Tx*>(xv);
        Tg* g = static_cast<Tg*>(gv);
        if (st.nan) {
            ce_detail::fill_nan_maybe(g, n);
            return 0.0;
        }
        const double eps = p.label_smoothing, qoff = eps / double(row_n);
        return eps > 0 ? ce_detail::write_grad<Arch, Cfg::accurate, true>(x, g, n, st.m, st.s, qoff, p.grad_scale)
                       : ce_detail::write_grad<Arch, Cfg::accurate, false>(x, g, n, st.m, st.s, qoff, p.grad_scale);
    }
    static double gap(const void* xv, std::size_t n, float m) {
        return ce_detail::sum_gap<Arch>(static_cast<const Tx*>(xv), n, m);
    }
    static double finish(const CeRowState& st, std::size_t t, void* gv, std::size_t n, double gap,
                         const CrossEntropyRowParams& p) {
        if (st.nan) return std::numeric_limits<double>::quiet_NaN();
        const ce_detail::RowStats rs{st.m, st.s, st.log_s, st.p_t_m1, st.nan};
        if (gv) ce_detail::put(static_cast<Tg*>(gv)[t], ce_detail::grad_target(rs, n, p.label_smoothing, p.grad_scale));
        return ce_detail::loss(rs, st.xt, n, p.label_smoothing, gap);
    }
    static constexpr CrossEntropySplit value{&reduce, &stats, &write, &gap, &finish};
};
// The split of an algorithm of op cross_entropy: the fused form's; none for the unfused ones.
template <Algorithm A, class Arch, class Cfg, class Tx, class Tg>
constexpr const CrossEntropySplit* ce_split() {
    if constexpr (A == Algorithm::ce_fused) return &CeFusedSplit<Arch, Cfg, Tx, Tg>::value;
    else return nullptr;
}

// Both unfused forms: max_shifted's OUT (log_softmax or softmax) into the gradient's buffer, the
// loss from it, then the gradient in place.
template <class Arch, class Cfg, Output Out>
double ce_unfused(const float* x, std::size_t t, float* grad, std::size_t n, const CrossEntropyRowParams& p) {
    using namespace ce_detail;
    constexpr bool kLog = Out == Output::log_softmax;
    float* y = grad ? grad : scratch(n);
    max_shifted<Arch, Cfg>(x, y, n, RowParams{Out});
    const double l = unfused_loss<!kLog>(y, n, t, p.label_smoothing);
    if (grad) unfused_grad<Arch, kLog>(grad, n, t, p.label_smoothing, p.grad_scale);
    return l;
}

template <class Arch, class Cfg>
double ce_log_softmax(const float* x, std::size_t t, float* grad, std::size_t n, const CrossEntropyRowParams& p) {
    return ce_unfused<Arch, Cfg, Output::log_softmax>(x, t, grad, n, p);
}

template <class Arch, class Cfg>
double ce_softmax_log(const float* x, std::size_t t, float* grad, std::size_t n, const CrossEntropyRowParams& p) {
    return ce_unfused<Arch, Cfg, Output::softmax>(x, t, grad, n, p);
}

}  // namespace smb::simd
