// backward: the vector-Jacobian products of softmax and log_softmax (op backward; SIMD row form).
//   softmax      (p.output == softmax):      s = <dy, y>,   dx = y * (dy - s)
//   log_softmax  (p.output == log_softmax):  S = sum dy,    dx = dy - exp(y) * S
// Two passes: a reduction over (y, dy), then a write pass reading y and dy again (2 + 2 reads,
// 1 write per element). dx may be dy or y (in place): the write pass reads both at an index
// before it writes dx there.
//   fast tier: the products y*dy (softmax) or dy (log_softmax) in float, each group of 4 vectors
//     summed in float (two roundings) and folded into double lanes (DoubleSum, as the forward
//     sums); the write pass in float, with our degree-5 exp of y for log_softmax.
//   accurate tier: y and dy widened to double, products exact there, sums in double; the write
//     pass in double (exp_neg_f64 for log_softmax), every output rounded once to float.
// The bounds, derived from these error terms, are next to the rows in variants/list.inc.
// Special values: no special-casing; the formula is evaluated in IEEE arithmetic (a NaN in dy,
// or in y for softmax, makes the sum NaN and so every output; see README "Backward").
#pragma once

#include <cstddef>
#include <limits>

#include "simd/passes.hpp"

namespace smb::simd {

namespace backward_detail {

// sum_j y_j * dy_j (Dot) or sum_j dy_j (!Dot), in double.
template <class Arch, class Cfg, bool Dot>
double reduce(const float* y, const float* dy, std::size_t n) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    if constexpr (Cfg::accurate) {
        // Two double accumulators per half; products of floats are exact in double.
        D a0(0.0), a1(0.0), a2(0.0), a3(0.0);
        auto add = [&](B yv, B dv, D& lo_acc, D& hi_acc) {
            D dl, dh;
            widen<Arch>(dv, dl, dh);
            if constexpr (Dot) {
                D yl, yh;
                widen<Arch>(yv, yl, yh);
                lo_acc = Ops<Arch>::fmadd(yl, dl, lo_acc);
                hi_acc = Ops<Arch>::fmadd(yh, dh, hi_acc);
            } else {
                lo_acc += dl;
                hi_acc += dh;
            }
        };
        std::size_t i = 0;
        for (; i + 2 * W <= n; i += 2 * W) {
            add(Dot ? B::load_unaligned(y + i) : B(0.0f), B::load_unaligned(dy + i), a0, a1);
            add(Dot ? B::load_unaligned(y + i + W) : B(0.0f), B::load_unaligned(dy + i + W), a2, a3);
        }
        for (; i + W <= n; i += W) add(Dot ? B::load_unaligned(y + i) : B(0.0f), B::load_unaligned(dy + i), a0, a1);
        if (i < n)
            add(Dot ? load_partial<Arch>(y + i, n - i, 0.0f) : B(0.0f), load_partial<Arch>(dy + i, n - i, 0.0f), a2, a3);
        return Ops<Arch>::hadd((a0 + a1) + (a2 + a3));
    } else {
        auto term = [&](std::size_t i) {
            if constexpr (Dot) return B::load_unaligned(y + i) * B::load_unaligned(dy + i);
            else return B::load_unaligned(dy + i);
        };
        DoubleSum<Arch, false> acc;
        std::size_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W) acc.add4(term(i), term(i + W), term(i + 2 * W), term(i + 3 * W));
        for (; i + W <= n; i += W) acc.add(term(i));
        if (i < n) {
            const B d = load_partial<Arch>(dy + i, n - i, 0.0f);
            if constexpr (Dot) acc.add(load_partial<Arch>(y + i, n - i, 0.0f) * d);
            else acc.add(d);
        }
        return acc.total();
    }
}

// dx[i] = f(y[i], dy[i]) for a functor on float batches; tails masked (lanes past n read 0).
template <class Arch, class F>
SMB_INLINE void map2(const float* y, const float* dy, float* dx, std::size_t n, F f) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const B a0 = f(B::load_unaligned(y + i), B::load_unaligned(dy + i));
        const B a1 = f(B::load_unaligned(y + i + W), B::load_unaligned(dy + i + W));
        a0.store_unaligned(dx + i);
        a1.store_unaligned(dx + i + W);
    }
    for (; i + W <= n; i += W) f(B::load_unaligned(y + i), B::load_unaligned(dy + i)).store_unaligned(dx + i);
    if (i < n)
        store_partial<Arch>(dx + i, f(load_partial<Arch>(y + i, n - i, 0.0f), load_partial<Arch>(dy + i, n - i, 0.0f)),
                            n - i);
}

}  // namespace backward_detail

// The two passes apart (detail/split.hpp, BackwardSplit: a row cut across threads sums its
// slices' reductions in slice order, then each slice writes with the row's sum).
template <class Arch, class Cfg>
double backward_reduce(const float* y, const float* dy, std::size_t n, RowParams p) {
    if (n == 0) return 0.0;
    return p.output == Output::softmax ? backward_detail::reduce<Arch, Cfg, true>(y, dy, n)
                                       : backward_detail::reduce<Arch, Cfg, false>(y, dy, n);
}

template <class Arch, class Cfg>
void backward_write(const float* y, const float* dy, float* dx, std::size_t n, RowParams p, double sum) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    using backward_detail::map2;
    if (n == 0) return;
    if (p.output == Output::softmax) {
        const double s = sum;
        if constexpr (Cfg::accurate) {
            const D sd(s);
            map2<Arch>(y, dy, dx, n, [&](B yv, B dv) {
                D yl, yh, dl, dh;
                widen<Arch>(yv, yl, yh);
                widen<Arch>(dv, dl, dh);
                return narrow<Arch>(yl * (dl - sd), yh * (dh - sd));
            });
        } else {
            const B sf = B(float(s));
            map2<Arch>(y, dy, dx, n, [&](B yv, B dv) { return yv * (dv - sf); });
        }
    } else {
        const double S = sum;
        if constexpr (Cfg::accurate) {
            const D nS(-S);
            map2<Arch>(y, dy, dx, n, [&](B yv, B dv) {
                D yl, yh, dl, dh;
                widen<Arch>(yv, yl, yh);
                widen<Arch>(dv, dl, dh);
                return narrow<Arch>(Ops<Arch>::fmadd(exp_neg_f64<Arch>(yl), nS, dl),
                                    Ops<Arch>::fmadd(exp_neg_f64<Arch>(yh), nS, dh));
            });
        } else {
            const B nS(-float(S));
            map2<Arch>(y, dy, dx, n, [&](B yv, B dv) { return Ops<Arch>::fmadd(exp_neg<Cfg::degree, Arch>(yv), nS, dv); });
        }
    }
}

template <class Arch, class Cfg>
void backward(const float* y, const float* dy, float* dx, std::size_t n, RowParams p) {
    backward_write<Arch, Cfg>(y, dy, dx, n, p, backward_reduce<Arch, Cfg>(y, dy, n, p));
}

}  // namespace smb::simd
