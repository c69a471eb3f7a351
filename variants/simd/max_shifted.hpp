// max_shifted: the textbook three-pass softmax (SIMD row form and split form).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "simd/passes.hpp"
#include "simd/short_row.hpp"

namespace smb::simd {

// Three passes: max; exp, store, sum; scale in cache. Accurate tier: max; sum; write from double.
// bf16 rows (Tx = std::uint16_t, the bf16 dtypes) read x through the ops' conversions. A bf16
// output has no room for float exps, so it sums without storing and writes exp(x - m) / s (as
// the accurate tier does): each output rounded to bf16 once.
template <class Arch, class Cfg, class Tx, class Ty>
void max_shifted(const Tx* x, Ty* y, std::size_t n, RowParams p) {
    if (n == 0) return;
    if constexpr (std::is_same_v<Tx, float> && std::is_same_v<Ty, float>) {
        // A short float row in registers, the same bits (short_row.hpp).
        if (n <= kShortRowMax<Arch> && p.output == Output::softmax) {
            if constexpr (Cfg::accurate) return MaxShiftedAccurateShort<Arch, Cfg>::run(x, y, n, p);
            else return MaxShiftedShort<Arch, Cfg>::run(x, y, n, p);
        }
    }
    float m;
    if (three_pass_head<Arch, Cfg>(x, y, n, p, m)) return;
    if constexpr (Cfg::accurate || !std::is_same_v<Ty, float>) {
        const double s = sum_exp<Arch, Cfg, false, false>(x, y, n, m);
        if (s != s) return detail::fill_nan(y, n);
        write_ratio<Arch, Cfg>(x, y, n, m, s);
    } else {
        const double s = sum_exp<Arch, Cfg, true, false>(x, y, n, m);
        if (s != s) return detail::fill_nan(y, n);
        scale_in_place<Arch>(y, n, float(1.0 / s));
    }
}


// Split form (max-first, detail/split.hpp): the slices' max; each slice's exp, store and sum at
// the merged max (the accurate tier only sums); each slice scales (or writes from double).
template <class Arch, class Cfg>
inline constexpr RowSplit max_shifted_split{RowSplit::Base::exp, nullptr, &split_slice_max<Arch>,
                                            &split_reduce_at<Arch, Cfg, false>, &split_write_max_first<Arch, Cfg, false>};

}  // namespace smb::simd
