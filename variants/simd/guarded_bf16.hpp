// guarded on bf16 logits (the list's guarded rows of dtypes bf16 and bf16_f32): guarded.hpp's
// algorithm with the logits read as bf16 bits (Ops::load_bf16, exact) in every pass, no float
// copy of the row. The window, the anchor, the retry and the fallback are guarded.hpp's:
//   bf16 -> float32: exp, store (float, into y), sum; scale in place: guarded's store form,
//     2 reads of 2 bytes + 2 writes and 1 read of 4 bytes per element.
//   bf16 -> bf16: the output has no room for float exps. Rows of up to kBf16ScratchMax elements
//     store them in a per-thread float scratch that stays in L2 (layout.hpp: 2^18 elements; never
//     a copy of the row: the terms, written by the sum pass and read once by the write pass;
//     DRAM traffic is the bf16 row read once and written once), so the write pass is a multiply
//     and a rounding instead of a second exp (streamed when the batch call's whole output is past
//     the caches: RowParams::output_past_caches, layout::kStreamCallFromBytes). Longer rows
//     store nothing and the write pass computes the same exp again (2 reads + 1 write of 2 bytes
//     per element; from layout::kStreamFromBytes of output, or past the caches as above, the
//     write is streamed, passes.hpp's map_row_stream). Either way
//     y = RNE_bf16(e * float(1/s)) with the same term e as the sum's: the same bits.
//     What bounds the recompute form (bench/uarch/bf16_passes.cpp: each pass alone, poly3 and
//     poly3s, best of 9 alternated runs, Zen 4, 1 thread, f63ea9f): at 1x16M the sum pass ran at
//     7.3-7.7 G elem/s, as fast as in L3 at 1x1048576 (7.5-7.8): its exps bind it, not the
//     read; the write pass at 6.4-6.7, as fast as memcpy of the row in the same runs (5.8-6.6):
//     memory binds it; the row at 3.4-3.5, the two passes' times added.
// NaN, +inf, all -inf rows, logits past ~1280 and log_softmax: max_shifted on the bf16 row (its
// special values and bounds), as in guarded.hpp.
//
// poly3 (guarded.<isa>.poly3.bf16): the same passes with ExpShiftPow2<3>, the degree-3 exp (two
// FMAs fewer per exp, three with FMA's one-step reduction, in both passes of the recompute form;
// that reduction against the two-step one, Zen 4, 1 thread, alternated softmax_bench runs,
// medians of 3 to 5, poly3 and poly3s: 1.11-1.20x at 1x1048576, 1.02-1.08x at 1x65536,
// 0.88-1.23x at 1x16M, where the write pass is bound by memory). A bf16 output has 8
// significant bits, so an exp good to ~2^-13 costs a few hundredths of a bf16 ULP. Bound:
//   term: e_i = exp(x_i - q l) (1 + d_i), |d_i| <= D = kExpShiftDeg3MaxRelErr = 1.02e-4
//     (exp_constants.hpp: the minimax error 1.0129e-4 of ExpPoly<3> on [-ln2/2, ln2/2] plus the
//     reduction and the float evaluation, measured by tests/test_exp.cpp over the guarded window)
//     for terms >= 2^-126; smaller terms flush (as poly5's), changing the sum (>= 1) by at most
//     n 2^-126 and giving only outputs below 2^-126. l = ln2 on SSE2; l = hi = float(ln2) on the
//     FMA ISAs (one-FMA reduction, exp.hpp: kExpShiftDeg3OneFmaReduce), and since
//     exp(x - q hi) = exp(x - q ln2) exp(q (ln2 - hi)), a factor common to the row's terms, the
//     exact softmax r is the same with either l: S and r below are taken with the ISA's l.
//     Split rows (Bf16RowSplit) merge slices of anchors q_k into Q: a slice's terms, scaled by
//     2^(q_k - Q), are exp(x - Q hi) exp((Q - q_k)(hi - ln2)) (1 + d_i): an extra relative error
//     <= (Q - q_k) kLn2HiFmaErr on the sum, <= 223 * 1.91e-9 = 4.3e-7 for every slice whose
//     terms reach 2^-126 2^Q (Q - q_k <= 97 + 126); the slices below add < n 2^-126 to S.
//   sum: positive terms, added in float by passes.hpp's ChunkSum (pairs into two float
//     accumulators, folded into double every 16 groups of 4 vectors: at most 17 roundings on any
//     term, every ISA; poly5's DoubleSum has 2): s = S (1 + sigma),
//     |sigma| <= D + 17u + n 2^-53 (u = 2^-24; S the exact sum of exp(x - q ln2); products of
//     the small terms are below 2^-36 and go into the slack below).
//   output: y32 = fl(e_i fl(1/s)) (two roundings): y32 / r = (1 + d_i)(1 + u)^2 / (1 + sigma), so
//     |y32 / r - 1| <= rho = (2D + 19u + n 2^-53) / (1 - D - 17u) <= 2.0517e-4 for n <= 2^26
//     (kGuardMaxN); in float ULP of r (ulp_f32(r) > 2^-24 r): e = rho 2^24 <= 3443; split rows,
//     sigma 4.3e-7 larger: rho <= 2.0559e-4, e <= 3450; the list documents 3450.
//   bf16: y = RNE_bf16(y32), within 0.5 + e 2^-16 bf16 ULP of r by the argument in list.inc:
//     0.5 + 3450 / 65536 = 0.55264 bf16 ULP (faithful; the accuracy sweep's measured worst is in
//     results/). bf16_f32 would be ~3450 float ULP: no row, that output wants float accuracy.
//   The chunked sum, against DoubleSum's per-group widening (Xeon, 1 thread, poly3 rows, medians
//   of 3, three alternated runs): 1.06-1.09x at 1x4096, 1x65536 and 1x262144, 1.04x at 1x16M,
//   0.99-1.05x on the batch shapes; the bound moved from 3440 to 3450 float ULP.
//   Speed (Xeon, 1 thread, CPU-time medians of 5, two runs on a busy machine), against the
//   poly5 row: 1.07-1.10x at 1x4096 and 1x65536; 0.99-1.04x at 1x16M (noise: there the exp's
//   FMAs are not what bounds the recompute form).
//   log_softmax, the fallbacks (NaN, +inf, all -inf, logits past ~1280) and n = 1: max_shifted /
//   single with poly5 (Guarded16Fallback), so their bounds are poly5's (log 0.5 + 3 2^-16).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "detail/split.hpp"
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

using layout::kBf16ScratchMax;  // layout.hpp (measurements there)


// The Cfg of the max_shifted fallbacks: poly3 has no exp_neg (and the float bounds of
// max_shifted's TwoSum form are poly5's), so poly3 rows fall back with poly5.
template <class C>
using Guarded16Fallback = std::conditional_t<C::degree == 3, Cfg<ExpKernel::poly5, Tier::fast>, C>;

// bf16 -> float32: the store form (y never overlaps x: the batch call refuses it).
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, float* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    using F = Guarded16Fallback<Cfg>;
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, F>(x, y, n, p);
    if (guarded_short<Arch, Cfg>(x, y, n)) return;  // in registers, the store form's bits; else the passes
    GuardWindow w;
    const GuardPass g = guarded_anchored<Arch, Cfg, true>(x, y, n, w);
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, F>(x, y, n, p);
    scale_in_place<Arch>(y, n, float(1.0 / g.sum));
}

// bf16 -> bf16: exp, store (scratch), sum; scale and round once to bf16; past kBf16ScratchMax
// sum without storing, then exp again, scale and round (in place too).
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    static_assert(Cfg::degree != 3 || ChunkSum<Arch>::kFoldGroups + 1 <= 17,
                  "the degree-3 bound (3450 float ULP, list.inc) counts at most 17 roundings per term");
    using F = Guarded16Fallback<Cfg>;
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, F>(x, y, n, p);
    if (guarded_short<Arch, Cfg>(x, y, n)) return;  // in registers, the scratch form's bits; else the passes
    using B = fbatch<Arch>;
    GuardWindow w;
    if (float* e = n <= kBf16ScratchMax ? detail::bf16_scratch(n) : nullptr) {  // x stays intact for a fallback
        const GuardPass g = guarded_anchored<Arch, Cfg, true>(x, e, n, w);
        if (!g.inside || g.sum != g.sum) return max_shifted<Arch, F>(x, y, n, p);
        const B inv(float(1.0 / g.sum));
        // Streamed with output_past_caches, which the batch call sets only for calls not in place.
        map_row_stream<Arch>(static_cast<const float*>(e), y, n, [&](B v) SMB_LAMBDA_INLINE { return v * inv; },
                             p.output_past_caches);
        return;
    }
    const GuardPass g = guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w);
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, F>(x, y, n, p);
    guarded_write<Arch, Cfg>(x, y, n, w.q, g.sum, p.output_past_caches);
}

// Split rows (the bf16 batch call, fewer rows than threads; detail/split.hpp, Bf16RowSplit):
// guarded's one-pass split form (guarded.hpp, guarded_one_pass_split) on bf16 logits. Each slice
// gives (q, S), the sum of its exp(x - q ln2) = S, from its own anchor and window; the batch call
// merges them (S = sum S_k 2^(q_k - Q) in double, Q the largest q_k) and every slice writes
// exp(x - Q ln2) / S rounded to the output: 2 reads of 2 bytes and 1 write per element, each pass
// cut across the threads (DRAM-sized bf16 rows: the traffic is the row read twice, written once).
// The terms are ExpShiftPow2's p 2^(n - q): the same p for any q, so the written terms are the
// summed ones times 2^(q_k - Q), exactly, down to the flush below 2^-126 (outputs that small
// flush, as the row's); the sum adds count roundings of 2^-53 in the merge. So the row's bounds
// hold (its recompute form is this with one slice). A slice the window cannot take (NaN, +inf,
// no finite entry, logits past ~1280) reports nan, and the whole row goes to the row function
// (one thread): its fallbacks, its special values. The merged S >= 1 (the anchor of the slice of
// the largest q has a term >= 1); the batch call checks it anyway.
template <class Arch, class Cfg>
void guarded_split_reduce_bf16(const std::uint16_t* x, std::size_t n, RowParams, SplitState* out) {
    GuardWindow w;
    const GuardPass g = guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w);
    *out = SplitState{};
    out->nan = !(g.inside && g.sum == g.sum);
    if (!out->nan) {
        out->m = w.q;
        out->d = g.sum;
    }
}
template <class Arch, class Cfg, class Ty>
void guarded_split_write_bf16(const std::uint16_t* x, Ty* y, std::size_t n, RowParams p, const SplitState& t) {
    guarded_write<Arch, Cfg>(x, y, n, t.m, t.d, p.output_past_caches);
}
// The list's split for both bf16 dtypes (isa_body.inc: <algorithm>_split_bf16).
template <class Arch, class Cfg>
inline constexpr Bf16RowSplit guarded_split_bf16{&guarded_split_reduce_bf16<Arch, Cfg>,
                                                 &guarded_split_write_bf16<Arch, Cfg, std::uint16_t>,
                                                 &guarded_split_write_bf16<Arch, Cfg, float>};

}  // namespace smb::simd
