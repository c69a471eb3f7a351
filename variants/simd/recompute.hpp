// recompute: the three-pass softmax that recomputes its exps instead of storing them (SIMD row
// form and split form).
#pragma once

#include <cstddef>

#include "simd/passes.hpp"

namespace smb::simd {

// Three passes, Dukhan & Ablavatski's "recompute" form of the three-pass algorithm (theirs:
// "reload" is max_shifted): max; sum of exp(x - m) without storing; exp(x - m) again, times
// 1/s. Per element 3 reads of x and 1 write of y (max_shifted: 2 reads of x, a write, a read
// and a write of y): one memory stream fewer, for a second exp. The exps of both passes
// are the same function of the same (x, m), so the fast tier's output is max_shifted's bit for
// bit (tests/test_variants.cpp checks it).
template <class Arch, class Cfg>
void recompute(const float* x, float* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    float m;
    if (three_pass_head<Arch, Cfg>(x, y, n, p, m)) return;
    const double s = sum_exp<Arch, Cfg, false, false>(x, y, n, m);
    if (s != s) return detail::fill_nan(y, n);
    write_ratio<Arch, Cfg>(x, y, n, m, s);
}

// Split form (max-first, detail/split.hpp): the slices' max; each slice's sum at the merged
// max, nothing stored (log_softmax: without the max's 1s, for log1p); each slice writes
// exp(x - m) / s (or (x - m) - log1p(rest)).
template <class Arch, class Cfg>
void recompute_reduce_at(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out) {
    const SumParts s = p.output == Output::log_softmax ? sum_exp_parts<Arch, Cfg, false, true>(x, y, n, m)
                                                       : sum_exp_parts<Arch, Cfg, false, false>(x, y, n, m);
    out->m = m;
    out->d = s.total;
    out->c = s.count;
    out->nan = s.total != s.total;
}

template <class Arch, class Cfg>
void recompute_write(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, t.m, t.d + (t.c - 1.0));
    else write_ratio<Arch, Cfg>(x, y, n, t.m, t.d);
}

template <class Arch, class Cfg>
inline constexpr RowSplit recompute_split{RowSplit::Base::exp, nullptr, &split_slice_max<Arch>,
                                          &recompute_reduce_at<Arch, Cfg>, &recompute_write<Arch, Cfg>};

}  // namespace smb::simd
