// guarded on bf16 logits (the list's guarded rows of dtypes bf16 and bf16_f32): guarded.hpp's
// algorithm with the logits read as bf16 bits (Ops::load_bf16, exact) in every pass, no float
// copy of the row. The window, the anchor, the retry and the fallback are guarded.hpp's:
//   bf16 -> float32: exp, store (float, into y), sum; scale in place: guarded's store form,
//     2 reads of 2 bytes + 2 writes and 1 read of 4 bytes per element.
//   bf16 -> bf16: the output has no room for float exps. Rows of up to kBf16ScratchMax elements
//     store them in a per-thread float scratch that stays in L2 (never a copy of the row: the
//     terms, written by the sum pass and read once by the write pass; DRAM traffic is the bf16
//     row read once and written once), so the write pass is a multiply and a rounding instead
//     of a second exp. Longer rows store nothing and the write pass computes the same exp
//     again (2 reads + 1 write of 2 bytes per element). Either way
//     y = RNE_bf16(e * float(1/s)) with the same term e as the sum's: the same bits.
// NaN, +inf, all -inf rows, logits past ~1280 and log_softmax: max_shifted on the bf16 row (its
// special values and bounds), as in guarded.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "simd/guarded.hpp"
#include "softmaxbench/bf16.hpp"
#include "simd/max_shifted.hpp"
#include "simd/passes.hpp"

namespace smb::detail {
// A per-thread float buffer of at least n elements, 64-byte aligned, reused by later calls on the
// same thread (src/core/batch_bf16.cpp); nullptr when it cannot be allocated.
float* bf16_scratch(std::size_t n) noexcept;
}  // namespace smb::detail

namespace smb::simd {

// bf16 -> bf16 rows up to this length keep their exps in the scratch (256 KiB: the L2 of the
// development machines, 1 MiB on Zen 4, 2 MiB on the Xeon; longer rows recompute). Measured on
// the Xeon, 1 thread (busy machine, CPU time, medians of 5), guarded.avx512bf16.bf16 at 1x4096:
// 1.64 us with the exp computed twice, 0.97 us with the scratch (two runs minutes apart);
// README's bf16 section.
inline constexpr std::size_t kBf16ScratchMax = std::size_t(1) << 16;

// guarded_sum (guarded.hpp) on bf16 logits; Store writes the float terms to y (bf16 -> float32).
template <class Arch, class Cfg, bool Store>
GuardPass guarded_sum_bf16(const std::uint16_t* x, float* y, std::size_t n, const GuardWindow& w) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t kChunkBlocks = layout::kGuardChunk / (4 * W);
    const ExpShiftPow2<Cfg::degree, Arch> ex(w.q);
    DoubleSum<Arch, Cfg::accurate> acc;
    const B ninf(-std::numeric_limits<float>::infinity()), xhi(w.xhi);
    B mx0 = ninf, mx1 = ninf;
    auto term = [&](B v, std::size_t at) SMB_LAMBDA_INLINE {  // y is not touched without Store
        const B e = ex(v);
        if constexpr (Store) e.store_unaligned(y + at);
        return e;
    };
    auto outside = [&] { return !xsimd::all(xsimd::max(mx0, mx1) <= xhi); };
    std::size_t i = 0, blocks = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B v0 = load<Arch>(x + i), v1 = load<Arch>(x + i + W);
        const B v2 = load<Arch>(x + i + 2 * W), v3 = load<Arch>(x + i + 3 * W);
        mx0 = xsimd::max(mx0, xsimd::max(v0, v1));
        mx1 = xsimd::max(mx1, xsimd::max(v2, v3));
        acc.add4(term(v0, i), term(v1, i + W), term(v2, i + 2 * W), term(v3, i + 3 * W));
        if (++blocks == kChunkBlocks) {
            blocks = 0;
            if (outside()) return {i + 4 * W, false, hmax<Arch>(xsimd::max(mx0, mx1)), 0.0};
        }
    }
    for (; i + W <= n; i += W) {
        const B v = load<Arch>(x + i);
        mx0 = xsimd::max(mx0, v);
        acc.add(term(v, i));
    }
    if (i < n) {
        const B v = load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity());
        mx1 = xsimd::max(mx1, v);
        B e = ex(v);
        if constexpr (Store) store_partial<Arch>(y + i, e, n - i);
        acc.add(e);
    }
    const bool in = !outside();
    return {n, in, in ? -std::numeric_limits<float>::infinity() : hmax<Arch>(xsimd::max(mx0, mx1)), acc.total()};
}

// guarded_anchored (guarded.hpp) on bf16 logits: anchor x[0] or the max of the first
// kGuardProbe, one retry with q from the row max.
template <class Arch, class Cfg, bool Store>
GuardPass guarded_anchored_bf16(const std::uint16_t* x, float* y, std::size_t n, GuardWindow& w) {
    w = guard_window(n > kGuardProbe ? row_max<Arch>(x, kGuardProbe) : bf16_to_float(x[0]), n);
    GuardPass g = w.ok ? guarded_sum_bf16<Arch, Cfg, Store>(x, y, n, w) : GuardPass{};
    if (!g.inside) {
        const float m = g.scanned < n ? std::max(g.seen_max, row_max<Arch>(x + g.scanned, n - g.scanned)) : g.seen_max;
        w = guard_window(m, n);
        if (w.ok) g = guarded_sum_bf16<Arch, Cfg, Store>(x, y, n, w);
    }
    return g;
}

// bf16 -> float32: the store form (y never overlaps x: the batch call refuses it).
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, float* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, Cfg>(x, y, n, p);
    GuardWindow w;
    const GuardPass g = guarded_anchored_bf16<Arch, Cfg, true>(x, y, n, w);
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
    scale_in_place<Arch>(y, n, float(1.0 / g.sum));
}

// bf16 -> bf16: exp, store (scratch), sum; scale and round once to bf16; past kBf16ScratchMax
// sum without storing, then exp again, scale and round (in place too).
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, Cfg>(x, y, n, p);
    using B = fbatch<Arch>;
    GuardWindow w;
    if (float* e = n <= kBf16ScratchMax ? detail::bf16_scratch(n) : nullptr) {  // x stays intact for a fallback
        const GuardPass g = guarded_anchored_bf16<Arch, Cfg, true>(x, e, n, w);
        if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
        const B inv(float(1.0 / g.sum));
        map_row<Arch>(static_cast<const float*>(e), y, n, [&](B v) SMB_LAMBDA_INLINE { return v * inv; });
        return;
    }
    const GuardPass g = guarded_anchored_bf16<Arch, Cfg, false>(x, nullptr, n, w);
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
    const ExpShiftPow2<Cfg::degree, Arch> ex(w.q);
    const B inv(float(1.0 / g.sum));
    map_row<Arch>(x, y, n, [&](B v) SMB_LAMBDA_INLINE { return ex(v) * inv; });
}

}  // namespace smb::simd
