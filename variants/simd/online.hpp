// online: Milakov & Gimelshein's online normaliser (SIMD row form and split form).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/passes.hpp"

namespace smb::simd {

// Milakov & Gimelshein online normaliser, block-wise. Per lane: the running max M and the sum
// DD (double) relative to it. Per block of 4 vectors the lane-wise block max comes first; only
// if some lane's max moved is DD rescaled (by exp(M_old - M_new) in double, so rescaling adds
// no float error however often the max moves). With Rest (log_softmax) DD excludes the
// entries equal to the lane max and C counts them, so log1p keeps full accuracy.
// exp(d), d <= 0, as a rescaling factor in double: +0 below -700 (NaN kept). The lanes' maxima
// start at -inf, clamped to -FLT_MAX, so the first rescale of every lane and the merge of a lane
// state that saw no entry (a short row fills one of the two) ask for exp(-3.4e38): exp_neg_f64
// underflows there, and an Intel core takes a microcode assist for the underflow and for each
// product with the result (perf: ~90 % of online.avx512 at 1x64, ~340 ns a row instead of ~30).
// A factor below e^-700 scales a sum of at most 2^26 terms, each <= 1, to below 1e-296, which no
// float output can see (every normaliser holds the row max's term, 1, or is rounded to float),
// so the outputs keep their bits.
template <class Arch>
SMB_INLINE dbatch<Arch> rescale_factor(dbatch<Arch> d) {
    using D = dbatch<Arch>;
    const D lim(-700.0);
    return xsimd::select(d < lim, D(0.0), exp_neg_f64<Arch>(exp_detail::max_keep_nan<Arch>(lim, d)));
}

template <class Arch, class Cfg, bool Rest, class Tx>
void online_reduce(const Tx* x, std::size_t n, SplitState& out) {
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
        DoubleSum<Arch, Cfg::accurate> dd;
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
            const D2 flo = rescale_factor<Arch>(olo - nlo), fhi = rescale_factor<Arch>(ohi - nhi);
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
        if constexpr (Cfg::accurate) {
            // Every term in double (exp_term_f64, passes.hpp): float terms rounded the same way
            // would carry their rounding into DD whole. Rest: entries equal to mn count, not sum.
            D2 mlo, mhi;
            widen<Arch>(ms, mlo, mhi);
            B bc = zero;
            for (std::size_t j = 0; j < cnt; ++j) {
                B vj = v[j];
                if constexpr (Rest) {
                    const auto eq = vj == mn;
                    vj = xsimd::select(eq, ninf, vj);
                    bc += xsimd::select(eq, one, zero);
                }
                D2 lo, hi;
                widen<Arch>(vj, lo, hi);
                l.dd.lo += exp_term_f64<Arch>(lo - mlo);
                l.dd.hi += exp_term_f64<Arch>(hi - mhi);
            }
            if constexpr (Rest) {
                D2 blo, bhi;
                widen<Arch>(bc, blo, bhi);
                l.Clo += blo;
                l.Chi += bhi;
            }
            return;
        }
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
        for (std::size_t j = 0; j < V; ++j) v[j] = load<Arch>(x + i + j * W);
        block(L[0], v, V);
        for (std::size_t j = 0; j < V; ++j) v[j] = load<Arch>(x + i + (V + j) * W);
        block(L[1], v, V);
    }
    std::size_t cnt = 0;
    for (; i + W <= n; i += W) {
        v[cnt++] = load<Arch>(x + i);
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
            const D2 flo = rescale_factor<Arch>(mlo - md), fhi = rescale_factor<Arch>(mhi - md);
            D2 dlo = L[k].dd.lo, dhi = L[k].dd.hi;
            if constexpr (Rest) {
                dlo = xsimd::select(top_lo, dlo, (dlo + clo) * flo);
                dhi = xsimd::select(top_hi, dhi, (dhi + chi) * fhi);
                DoubleSum<Arch, true> cs;
                cs.lo = xsimd::select(top_lo, clo, D2(0.0));
                cs.hi = xsimd::select(top_hi, chi, D2(0.0));
                c += cs.total();
            } else {
                dlo = xsimd::select(top_lo, dlo, dlo * flo);
                dhi = xsimd::select(top_hi, dhi, dhi * fhi);
            }
            DoubleSum<Arch, true> ds;
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

template <class Arch, class Cfg, class Tx = float>
void online_reduce_for(const Tx* x, std::size_t n, RowParams p, SplitState* out) {
    if (p.output == Output::log_softmax) online_reduce<Arch, Cfg, true>(x, n, *out);
    else online_reduce<Arch, Cfg, false>(x, n, *out);
}

template <class Arch, class Cfg, class Tx, class Ty>
void online(const Tx* x, Ty* y, std::size_t n, RowParams p) {
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


// Split form (one pass): each slice's (m, d, c), merged; each slice writes.
template <class Arch, class Cfg>
inline constexpr RowSplit online_split{RowSplit::Base::exp, &online_reduce_for<Arch, Cfg>, nullptr, nullptr,
                                       &split_write_exp<Arch, Cfg, false>};

}  // namespace smb::simd
