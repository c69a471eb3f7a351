// log_sum_exp: softmax as exp(x - lse) (SIMD row form and split form).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/passes.hpp"

namespace smb::simd {

// softmax as exp(x - lse): pass 1 max, pass 2 sum (without the max's 1), pass 3 exp(x - m - l).
template <class Arch, class Cfg, class Tx, class Ty>
void log_sum_exp(const Tx* x, Ty* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    const float m = row_max<Arch>(x, n);
    if (detail::special_by_max(x, y, n, m, false, p)) return;
    const double rest = sum_exp<Arch, Cfg, false, true>(x, y, n, m);
    if (rest != rest) return detail::fill_nan(y, n);
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, m, rest);
    else write_lse<Arch, Cfg>(x, y, n, m, std::log1p(rest));
}


// Split form (max-first): the slices' max; each slice's sum of the rest at the merged max; each
// slice writes exp(x - m - log1p(rest)).
template <class Arch, class Cfg>
inline constexpr RowSplit log_sum_exp_split{RowSplit::Base::exp, nullptr, &split_slice_max<Arch>,
                                            &split_reduce_at<Arch, Cfg, true>, &split_write_max_first<Arch, Cfg, true>};

}  // namespace smb::simd
