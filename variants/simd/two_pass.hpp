// two_pass: Dukhan & Ablavatski's two passes with an extended exponent (SIMD row form and split form).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/max_shifted.hpp"  // the fallback of rows past its exponent range
#include "simd/passes.hpp"

namespace smb::simd {

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
    DoubleSum<Arch, false> ss;
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


// Split form (one pass, base 2): each slice's (N, S), merged; each slice writes.
template <class Arch, class Cfg>
inline constexpr RowSplit two_pass_split{RowSplit::Base::pow2, &two_pass_reduce<Arch, Cfg>, nullptr, nullptr,
                                         &two_pass_write<Arch, Cfg>};

}  // namespace smb::simd
