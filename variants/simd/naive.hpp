// naive: exp(x) / sum exp(x) with no shift (SIMD form; no split form: threads take whole rows).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/passes.hpp"

namespace smb::simd {

// exp(x) / sum exp(x), float, no shift: overflows above ~88.7 on purpose.
template <class Arch, class Cfg>
void naive(const float* x, float* y, std::size_t n, RowParams p) {
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    // exp(x) = exp(x - 0) through the shifted kernel is wrong for x > 0, so use xsimd's exp,
    // which covers the whole range and overflows like expf.
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    DoubleSum<Arch, false> acc;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W)
        acc.add4(exp_xsimd<Arch>(B::load_unaligned(x + i)), exp_xsimd<Arch>(B::load_unaligned(x + i + W)),
                 exp_xsimd<Arch>(B::load_unaligned(x + i + 2 * W)), exp_xsimd<Arch>(B::load_unaligned(x + i + 3 * W)));
    for (; i + W <= n; i += W) acc.add(exp_xsimd<Arch>(B::load_unaligned(x + i)));
    if (i < n) acc.add(exp_xsimd<Arch>(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity())));
    const float s = float(acc.total());
    if (!(s > 0 && s < std::numeric_limits<float>::infinity()) && detail::special_by_scan(x, y, n, p)) return;
    if (p.output == Output::softmax) {
        const B inv = B(1.0f / s);
        map_row<Arch>(x, y, n, [&](B v) { return exp_xsimd<Arch>(v) * inv; });
    } else {
        const B l = B(std::log(s));
        map_row<Arch>(x, y, n, [&](B v) { return v - l; });
    }
}


}  // namespace smb::simd
