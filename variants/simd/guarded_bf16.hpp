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


// bf16 -> float32: the store form (y never overlaps x: the batch call refuses it).
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, float* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, Cfg>(x, y, n, p);
    GuardWindow w;
    const GuardPass g = guarded_anchored<Arch, Cfg, true>(x, y, n, w);
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
        const GuardPass g = guarded_anchored<Arch, Cfg, true>(x, e, n, w);
        if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
        const B inv(float(1.0 / g.sum));
        map_row<Arch>(static_cast<const float*>(e), y, n, [&](B v) SMB_LAMBDA_INLINE { return v * inv; });
        return;
    }
    const GuardPass g = guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w);
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
    const ExpShiftPow2<Cfg::degree, Arch> ex(w.q);
    const B inv(float(1.0 / g.sum));
    map_row<Arch>(x, y, n, [&](B v) SMB_LAMBDA_INLINE { return ex(v) * inv; });
}

}  // namespace smb::simd
