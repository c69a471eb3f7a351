// guarded: no max pass, the shift by a power of two, range-checked (SIMD row form and split forms).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "simd/passes.hpp"
#include "simd/max_shifted.hpp"
#include "simd/two_pass.hpp"
#include "simd/short_row.hpp"

namespace smb::simd {

// Guarded: no max pass. Every term is exp(x - q ln2) = p * 2^(n - q) with the integral
// q = floor(a log2e), a = x[0] (rows past kGuardProbe elements: the max of the first ones): the
// shift goes into the exponent (ExpShiftPow2), so no x - m is rounded and no TwoSum is needed,
// and a's own term is >= 1, so the sum is >= 1. The sum pass checks
// that every x <= (q + kGuardSpan) ln2 (each term < 2^(kGuardSpan + 1), the sum of up to 2^26
// of them < 2^123, its reciprocal a normal float). A row that leaves the window is redone with
// q from the row max (then a's term may be tiny, but the max's is >= 1): it costs the
// chunks scanned so far, a max pass over the rest, and the guarded passes again. Rows holding
// NaN or +inf (the check or the sum shows them), all -inf rows, logits past ~1280 and
// log_softmax take max_shifted, so results and special values are exactly max_shifted's there.
//   y apart from x: exp, store, sum; scale (like max_shifted, without its max pass and TwoSum);
//   in place: sum; then exp again and scale on the way out (the stores would destroy the x a
//     fallback needs). Both forms give e * float(1/s) with the same e: bit-identical.
// Storing wins at every length on the development machine (AVX-512, one thread, G elem/s,
// store / recompute: 2.8 / 2.2 at 64K, 3.6 / 2.6 at 1M, 2.3 / 2.2 at 16M): the second exp
// costs more than the extra pass over y, even out of cache.
inline constexpr int kGuardSpan = 96;
using layout::kGuardProbe;  // layout.hpp, with kGuardChunk
// Split rows (threads > rows): the max-first store form below this many elements, the one-pass
// form from it: 2^23 floats = 32 MiB, the L3 of the development machine. Measured there at 2
// threads, medians of 5, two alternating runs each (noisy): 1x4M max-first 0.71 / 1.06 ms,
// one-pass 1.04 / 1.17 ms; 1x16M max-first 7.47 / 9.51 ms, one-pass 7.49 / 5.98 ms.
inline constexpr std::size_t kGuardSplitOnePassFrom = std::size_t(1) << 23;
inline constexpr std::size_t kGuardMaxN = std::size_t(1) << 26;

struct GuardWindow {
    float q = 0, xhi = 0;
    bool ok = false;
};
inline GuardWindow guard_window(float x0, std::size_t n) {
    GuardWindow w;
    if (!(std::fabs(x0) <= (kExpShiftMaxQ - 2 * kGuardSpan) * 0.69f) || n > kGuardMaxN) return w;
    constexpr double kLog2eD = 1.4426950408889634074, kLn2D = 0.69314718055994530942;
    w.q = float(std::floor(double(x0) * kLog2eD));
    // A float below (q + span) ln2 (the 0.01 ln2 margin exceeds float's rounding there, ~1e-4):
    // any x <= xhi has round(x log2e) - q <= span + 1.
    w.xhi = float((double(w.q) + kGuardSpan - 0.01) * kLn2D);
    w.ok = true;
    return w;
}

// Sum of exp(x - q ln2) (and, with Store, the terms in y). inside: every x <= w.xhi (the sum
// is then valid unless it is NaN: a NaN or +inf entry). Otherwise the pass stops at the end of
// the first 1024-element chunk whose running max passed xhi: the check costs one compare per
// chunk, and a row far outside the window wastes at most a chunk past the offending entry.
// (The sum passes of max_shifted, naive and this one each keep their own copy of the
// 4-vector / vector / masked-tail loop: one shared loop taking the term as a lambda measured
// 20-45% slower on rows of 64-4096 at -O3 with GCC 12, e.g. guarded 1x64 62 vs 46 ns.)
// seen_max: the max of x[0, scanned) when outside (NaN entries may be dropped from it).
struct GuardPass {
    std::size_t scanned = 0;
    bool inside = false;
    float seen_max = -std::numeric_limits<float>::infinity();
    double sum = 0;
};
// x: float logits, or bf16 bits (guarded_bf16.hpp), read through passes.hpp's load.
template <class Arch, class Cfg, bool Store, class Tx>
GuardPass guarded_sum(const Tx* x, float* y, std::size_t n, const GuardWindow& w) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t kChunkBlocks = layout::kGuardChunk / (4 * W);
    const ExpShiftOf<Arch, Cfg> ex(w.q);
    GuardSum<Arch, Cfg> acc;
    const B ninf(-std::numeric_limits<float>::infinity()), xhi(w.xhi);
    B mx0 = ninf, mx1 = ninf;
    auto term = [&](B v, std::size_t at) SMB_LAMBDA_INLINE {  // y is not touched without Store (it may be null)
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
    acc.fold();  // ChunkSum: the groups since its last fold (DoubleSum: nothing)
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

// y = exp(x - q ln2) / s, recomputed on the way out (guarded in place, its split rows, and its
// bf16 rows past their scratch): x float or bf16, y float or bf16 (passes.hpp's load / store).
// Outputs of layout::kStreamFromBytes and more, or of a call whose whole output is past the
// caches (past_caches), apart from x, are written with non-temporal stores (map_row_stream): the
// same bits, without reading y's lines first.
template <class Arch, class Cfg, class Tx, class Ty>
void guarded_write(const Tx* x, Ty* y, std::size_t n, float q, double s, bool past_caches) {
    using B = fbatch<Arch>;
    const ExpShiftOf<Arch, Cfg> ex(q);
    const B inv(float(1.0 / s));
    map_row_stream<Arch>(x, y, n, [&](B v) SMB_LAMBDA_INLINE { return ex(v) * inv; }, past_caches);
}

// The guarded sum pass with its anchor and its retry. The anchor: x[0] for short rows (no max
// pass at all); past kGuardProbe elements the max of the first kGuardProbe, a far better guess
// of the row max for its cost (N(0, 20^2) logits at 1x16M: anchored on x[0], rows failed late
// and guarded ran at 0.72x max_shifted). Outside the anchor's window (or with the anchor
// unusable) the pass is redone with q from the row max, with which every x is inside; the rest
// of the row's max costs one read of what was not scanned. On return, inside with a non-NaN
// sum: sum = sum of exp(x - w.q ln2); otherwise the row holds NaN or +inf, is all -inf, or has
// logits past ~1280, and the caller falls back (x is intact: stores go to y only).
template <class Arch, class Cfg, bool Store, class Tx>
GuardPass guarded_anchored(const Tx* x, float* y, std::size_t n, GuardWindow& w) {
    w = guard_window(n > kGuardProbe ? row_max<Arch>(x, kGuardProbe) : to_float(x[0]), n);
    GuardPass g = w.ok ? guarded_sum<Arch, Cfg, Store>(x, y, n, w) : GuardPass{};
    if (!g.inside) {
        const float m = g.scanned < n ? std::max(g.seen_max, row_max<Arch>(x + g.scanned, n - g.scanned)) : g.seen_max;
        w = guard_window(m, n);
        if (w.ok) g = guarded_sum<Arch, Cfg, Store>(x, y, n, w);
    }
    return g;
}

// A short row (n <= kShortRowMax) in registers (short_row.hpp), anchored on x[0] as the passes
// are for rows that short: the passes' bits. false, with nothing written: the row is longer,
// leaves the window, or holds NaN or +inf; the caller takes its passes. Every guarded row form
// (float, bf16 -> float32, bf16 -> bf16) enters through here.
template <class Arch, class Cfg, class Tx, class Ty>
SMB_INLINE bool guarded_short(const Tx* x, Ty* y, std::size_t n) {
    if (n > kShortRowMax<Arch>) return false;
    const GuardWindow w = guard_window(to_float(x[0]), n);
    return w.ok && GuardedShort<Arch, Cfg, Tx, Ty>::run(x, y, n, w.q, w.xhi);
}

template <class Arch, class Cfg>
void guarded(const float* x, float* y, std::size_t n, RowParams p) {
    static_assert(!Cfg::accurate, "guarded: fast tier only (see variants/list.inc)");
    if (n <= 1) return n ? detail::single(x, y, p) : void();
    if (p.output == Output::log_softmax) return max_shifted<Arch, Cfg>(x, y, n, p);
    if (guarded_short<Arch, Cfg>(x, y, n)) return;  // in registers, the same bits; else the passes
    const bool store = y + n <= x || x + n <= y;  // in place: recompute (x must survive a retry)
    GuardWindow w;
    const GuardPass g = store ? guarded_anchored<Arch, Cfg, true>(x, y, n, w) : guarded_anchored<Arch, Cfg, false>(x, y, n, w);
    // NaN or +inf in the row, all -inf, or logits past ~1280: max_shifted's special-value
    // policy and TwoSum path.
    if (!g.inside || g.sum != g.sum) return max_shifted<Arch, Cfg>(x, y, n, p);
    if (store) scale_in_place<Arch>(y, n, float(1.0 / g.sum));
    else guarded_write<Arch, Cfg>(x, y, n, w.q, g.sum, p.output_past_caches);
}

// The bf16 row functions (guarded_bf16.hpp), for guarded_rows on bf16 logits.
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, float* y, std::size_t n, RowParams p);
template <class Arch, class Cfg>
void guarded(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p);

// The rows form (detail/split.hpp, RowsForm): softmax rows of 2 to kShortRowMax elements in
// groups of kRowGroup (short_row.hpp, GuardedShortRows: the rows' chains overlap); a group with a
// row outside its window or a NaN sum, the rows left over, longer rows and log_softmax: the row
// function, row by row. Every row gets the row function's bits (tests/test_short_rows.cpp).
// x, y: float or bf16 bits, as the row functions (guarded_bf16.hpp for bf16 logits).
template <class Arch, class Cfg, class Tx, class Ty>
void guarded_rows(const Tx* x, std::size_t ldx, Ty* y, std::size_t ldy, std::size_t rows, std::size_t n, RowParams p) {
    constexpr std::size_t G = kRowGroup;
    std::size_t r = 0;
    if (p.output == Output::softmax && n >= 2 && n <= kShortRowMax<Arch>) {
        for (; r + G <= rows; r += G) {
            GuardQs<G> q, xhi;
            bool ok = true;
            for (std::size_t k = 0; k < G; ++k) {
                const GuardWindow w = guard_window(to_float(x[(r + k) * ldx]), n);
                ok = ok && w.ok;
                q[k] = w.q;
                xhi[k] = w.xhi;
            }
            if (ok && GuardedShortRows<Arch, Cfg, Tx, Ty, G>::run(x + r * ldx, ldx, y + r * ldy, ldy, n, q, xhi)) continue;
            for (std::size_t k = 0; k < G; ++k) guarded<Arch, Cfg>(x + (r + k) * ldx, y + (r + k) * ldy, n, p);
        }
    }
    for (; r < rows; ++r) guarded<Arch, Cfg>(x + r * ldx, y + r * ldy, n, p);
}
template <class Arch, class Cfg, class Tx, class Ty>
inline constexpr RowsForm guarded_rows_form{&guarded_rows<Arch, Cfg, Tx, Ty>};

// Split rows, one-pass form (RowSplit::Base::pow2, as two_pass): each slice gives (q, S) with
// its sum of exp(x) = S 2^q; a slice the window cannot take (NaN, +inf, all -inf, logits past
// ~1280) gives two_pass's (N, S) pair instead, which means the same. Then every slice writes
// exp(x - N ln2) / S from the merged (N, S): 2 reads + 1 write, each pass split. log_softmax
// splits as max_shifted (RowSplit::log_split).
template <class Arch, class Cfg>
void guarded_split_reduce(const float* x, std::size_t n, RowParams p, SplitState* out) {
    GuardWindow w;
    const GuardPass g = n ? guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w) : GuardPass{};
    if (n && g.inside && g.sum == g.sum) {
        out->m = w.q;
        out->d = g.sum;
        out->c = 0;
        out->nan = false;
        return;
    }
    two_pass_reduce<Arch, Cfg>(x, n, p, out);
}

// Max-first form (rows that fit the caches): the merged row max m, then each slice stores and
// sums exp(x - q ln2) with q = floor(m log2e) (every x is inside the window), then scales.
// Logits past ~1280: max_shifted's slice sum at m instead (every slice decides alike, as they
// share m); the write (scale_in_place by 1 / the summed d) serves both.
template <class Arch, class Cfg>
void guarded_split_reduce_at(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out) {
    const GuardWindow w = guard_window(m, n);
    if (!w.ok) return split_reduce_at<Arch, Cfg, false>(x, y, n, p, m, out);
    const GuardPass g = guarded_sum<Arch, Cfg, true>(x, y, n, w);
    // As the row form: a pass that left the window has no sum (it stopped early with 0), so the
    // slice is max_shifted's. With m the merged max, only a NaN the max dropped leaves it, and
    // max_shifted's sum shows that NaN (exp of NaN), which the merge turns into an all-NaN row.
    if (!g.inside) return split_reduce_at<Arch, Cfg, false>(x, y, n, p, m, out);
    out->m = m;
    out->d = g.sum;
    out->c = 0;
    out->nan = !(g.sum == g.sum);  // a NaN the max dropped
}

// The fast form while the merged exponent is in ExpShiftPow2's range and S >= 1 (the slice of
// the largest q was a guarded one, whose anchor's term is >= 1: every output is then at most
// its term, as the flush below 2^-126 needs); two_pass's writer otherwise.
template <class Arch, class Cfg>
void guarded_split_write(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::softmax && std::fabs(t.m) <= kExpShiftMaxQ - 2 * kGuardSpan && t.d >= 1.0)
        guarded_write<Arch, Cfg>(x, y, n, t.m, t.d, p.output_past_caches);
    else
        two_pass_write<Arch, Cfg>(x, y, n, p, t);
}

// Split forms: max-first with stores while a row fits the caches, one-pass (2 reads + 1 write)
// from kGuardSplitOnePassFrom elements (measurements at its definition); log_softmax splits as
// max_shifted (whose log_softmax guarded's is).
template <class Arch, class Cfg>
inline constexpr RowSplit guarded_one_pass_split{RowSplit::Base::pow2, &guarded_split_reduce<Arch, Cfg>, nullptr, nullptr,
                                                 &guarded_split_write<Arch, Cfg>, &max_shifted_split<Arch, Cfg>};
template <class Arch, class Cfg>
inline constexpr RowSplit guarded_split{RowSplit::Base::exp, nullptr, &split_slice_max<Arch>,
                                        &guarded_split_reduce_at<Arch, Cfg>, &split_write_max_first<Arch, Cfg, false>,
                                        &max_shifted_split<Arch, Cfg>, &guarded_one_pass_split<Arch, Cfg>,
                                        kGuardSplitOnePassFrom};

}  // namespace smb::simd
