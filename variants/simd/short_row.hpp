// Short rows held in registers: the row forms' path for rows of at most kShortVectors vectors
// (256 floats on AVX-512, 128 on AVX2, 64 on SSE2). Not an algorithm of its own: guarded (float
// and bf16 rows) and max_shifted (float rows) take it before their passes, with the same arithmetic in the same
// order, so the outputs are bit-identical to the passes' and the bounds are the algorithm's
// (variants/list.inc). What it saves on a short row is the passes' plumbing: every element is
// loaded once, the max (max_shifted) or the window check (guarded), the exps, the sum and the
// scaling run on registers, and y is written once, with no loop counters, no second and third
// pass over memory and no partial loads or stores but the row's last vector.
//
// The row length picks one instantiation per (full vectors F, partial tail T): each is
// straight-line code whose sums follow the passes' order exactly (groups of 4 vectors summed
// in float as a tree and folded into double lanes, or for guarded's degree-3 rows added as pairs
// into two float accumulators folded once; then the single vectors, then the tail; DoubleSum and
// ChunkSum in passes.hpp), which is what keeps the bits.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "detail/special.hpp"
#include "simd/passes.hpp"

namespace smb::simd {

// Sanitizer builds keep the path for rows of up to 4 vectors: ASan + UBSan instrument every
// one of the 2 * kShortVectors straight-line instantiations per algorithm, tier and ISA, and at
// 16 vectors GCC 12's assembler needed ~19 GB for one ISA unit (the CI's asan stage was killed
// out of memory). The arithmetic is the same at any length, so the tests still cover it.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::size_t kShortVectors = 4;
#else
inline constexpr std::size_t kShortVectors = 16;
#endif
template <class Arch>
inline constexpr std::size_t kShortRowMax = kShortVectors * fbatch<Arch>::size;

namespace short_detail {

// The row's F full vectors and, with T, its tail (lanes past n filled with -inf).
template <class Arch, std::size_t F, bool T>
struct Regs {
    using B = fbatch<Arch>;
    static constexpr std::size_t W = B::size, N = F + T;
    B v[N];
    // Tx: float, or bf16 bits (std::uint16_t) widened in registers: passes.hpp's load by dtype.
    template <class Tx>
    SMB_INLINE void load(const Tx* x, std::size_t n) {
#pragma GCC unroll 16
        for (std::size_t j = 0; j < F; ++j) v[j] = simd::load<Arch>(x + j * W);
        if constexpr (T) v[F] = load_partial<Arch>(x + F * W, n - F * W, -std::numeric_limits<float>::infinity());
    }
    // Lane-wise max of the vectors, as a tree (NaN may be dropped, as in row_max).
    SMB_INLINE B vmax() const { return tree_max<0, N>(); }
    template <std::size_t I, std::size_t K>
    SMB_INLINE B tree_max() const {
        if constexpr (K == 1) return v[I];
        else return xsimd::max(tree_max<I, K / 2>(), tree_max<I + K / 2, K - K / 2>());
    }
};

// The sum of the terms e[0..F+T) in the passes' order (guarded_sum, sum_exp_parts), with their
// accumulator (DoubleSum, or guarded's GuardSum: a short row's at most 4 groups stay below
// ChunkSum's automatic fold, so its one fold is the passes' fold after their last group).
template <class Arch, std::size_t F, bool T, class Acc = DoubleSum<Arch, false>>
SMB_INLINE double sum_like_passes(const fbatch<Arch>* e) {
    static_assert(F / 4 < ChunkSum<Arch>::kFoldGroups, "a short row's groups fold once, at the end");
    Acc acc;
#pragma GCC unroll 16
    for (std::size_t j = 0; j + 4 <= F; j += 4) acc.add4(e[j], e[j + 1], e[j + 2], e[j + 3]);
    acc.fold();
#pragma GCC unroll 16
    for (std::size_t j = F / 4 * 4; j < F; ++j) acc.add(e[j]);
    if constexpr (T) acc.add(e[F]);
    return acc.total();
}

// y = e * s for the F full vectors and the tail; Ty: float, or bf16 bits (each product rounded
// to bf16 once, as the passes' stores do: passes.hpp's store by dtype).
template <class Arch, std::size_t F, bool T, class Ty>
SMB_INLINE void store_scaled(Ty* y, std::size_t n, const fbatch<Arch>* e, fbatch<Arch> s) {
    constexpr std::size_t W = fbatch<Arch>::size;
#pragma GCC unroll 16
    for (std::size_t j = 0; j + 2 <= F; j += 2) store2<Arch>(y + j * W, e[j] * s, e[j + 1] * s);
    if constexpr (F % 2 != 0) store<Arch>(y + (F - 1) * W, e[F - 1] * s);
    if constexpr (T) store_partial<Arch>(y + F * W, e[F] * s, n - F * W);
}

// A table of instantiations indexed by 2 F + T - 1, for n in [1, kShortRowMax].
template <template <std::size_t, bool> class K, std::size_t... I>
constexpr auto table(std::index_sequence<I...>) {
    return std::array{&K<(I + 1) / 2, (I + 1) % 2 != 0>::run...};
}
template <class Arch>
SMB_INLINE std::size_t index(std::size_t n) {
    constexpr std::size_t W = fbatch<Arch>::size;
    return 2 * (n / W) + (n % W != 0) - 1;
}

}  // namespace short_detail

// guarded's sum pass and scaling for G short rows of one length at once (guarded.hpp): per row,
// exp(x - q ln2) from the row's window, the window check, the sum and the scaling by
// float(1 / s), as guarded_sum + scale_in_place (or guarded_write in place: the same e times the
// same float), so the passes' bits. Row k is x + k ldx -> y + k ldy, its window (guard_window of
// its x[0]) q[k], xhi[k]. Returns false, with nothing written, when a row leaves its window or a
// sum is NaN: the caller takes the row functions' passes (which retry or fall back to
// max_shifted). All rows are read before any is written: x may equal y (in place, equal strides).
// Tx, Ty: the element types in and out, float or bf16 bits (guarded_bf16.hpp's rows: the same
// e times the same float(1/s), rounded to bf16 once as the scratch form's write pass does, or
// stored as float as the bf16_f32 store form's scaling does).
// G = 1 is the row form (GuardedShort); G = kRowGroup the batch call's rows form (guarded.hpp,
// guarded_rows): one short row alone waits on its own chain (exp, sum, 1 / s, scale), where the
// G rows' independent chains overlap in one straight-line body. Measured on the Xeon (bf16 ->
// bf16, poly3, AVX-512, one thread, G elem/s, rows one by one / groups of 2 / 4 / 8): n = 32
// 1.78 / 1.91 / 2.34 / 2.39, 64 2.79 / 3.08 / 3.42 / 3.35, 128 3.34 / 3.95 / 4.09 / 4.00, 256
// 4.22 / 4.19 / 4.77 / 4.62.
inline constexpr std::size_t kRowGroup = 4;
// The rows' windows as two arrays (std::array<float, 1> travels in a register as a float does, so
// the row form's call is unchanged).
template <std::size_t G>
using GuardQs = std::array<float, G>;
template <class Arch, class Cfg, class Tx, class Ty, std::size_t G>
struct GuardedShortRows {
    template <std::size_t F, bool T>
    struct K {
        static bool run(const Tx* x, std::size_t ldx, Ty* y, std::size_t ldy, std::size_t n, GuardQs<G> q, GuardQs<G> xhi) {
            using B = fbatch<Arch>;
            constexpr std::size_t N = F + T;
            B e[G][N];
            bool inside = true;
#pragma GCC unroll 4
            for (std::size_t k = 0; k < G; ++k) {
                short_detail::Regs<Arch, F, T> r;
                r.load(x + k * ldx, n);
                inside = inside && xsimd::all(r.vmax() <= B(xhi[k]));
                const ExpShiftOf<Arch, Cfg> ex(q[k]);
#pragma GCC unroll 16
                for (std::size_t j = 0; j < N; ++j) e[k][j] = ex(r.v[j]);
            }
            double s[G];
#pragma GCC unroll 4
            for (std::size_t k = 0; k < G; ++k) {
                s[k] = short_detail::sum_like_passes<Arch, F, T, GuardSum<Arch, Cfg>>(e[k]);
                inside = inside && s[k] == s[k];
            }
            if (!inside) return false;
#pragma GCC unroll 4
            for (std::size_t k = 0; k < G; ++k) short_detail::store_scaled<Arch, F, T>(y + k * ldy, n, e[k], B(float(1.0 / s[k])));
            return true;
        }
    };
    static constexpr auto kTable =
        short_detail::table<K>(std::make_index_sequence<2 * kShortVectors>{});
    static SMB_INLINE bool run(const Tx* x, std::size_t ldx, Ty* y, std::size_t ldy, std::size_t n, GuardQs<G> q,
                               GuardQs<G> xhi) {
        return kTable[short_detail::index<Arch>(n)](x, ldx, y, ldy, n, q, xhi);
    }
};
template <class Arch, class Cfg, class Tx = float, class Ty = float>
struct GuardedShort {
    static SMB_INLINE bool run(const Tx* x, Ty* y, std::size_t n, float q, float xhi) {
        return GuardedShortRows<Arch, Cfg, Tx, Ty, 1>::run(x, 0, y, 0, n, {q}, {xhi});
    }
};

// max_shifted's fast tier for a short float row, softmax: the max, the special rows
// (special_by_max), exp of the TwoSum-compensated x - m, the sum and the scaling by
// float(1 / s), as three_pass_head + sum_exp (storing) + scale_in_place. Writes the row.
template <class Arch, class Cfg>
struct MaxShiftedShort {
    template <std::size_t F, bool T>
    struct K {
        static void run(const float* x, float* y, std::size_t n, RowParams p) {
            using B = fbatch<Arch>;
            constexpr std::size_t N = F + T;
            short_detail::Regs<Arch, F, T> r;
            r.load(x, n);
            const float m = hmax<Arch>(r.vmax());
            // special_by_max writes the row iff m is NaN or infinite; ordinary rows skip the call.
            if (!(std::fabs(m) <= std::numeric_limits<float>::max()) && detail::special_by_max(x, y, n, m, false, p)) return;
            const B mb(m);
            B e[N];
#pragma GCC unroll 16
            for (std::size_t j = 0; j < N; ++j) e[j] = exp_shifted<Arch, Cfg>(r.v[j], mb);
            const double s = short_detail::sum_like_passes<Arch, F, T>(e);
            if (s != s) return detail::fill_nan(y, n);
            short_detail::store_scaled<Arch, F, T>(y, n, e, B(float(1.0 / s)));
        }
    };
    static constexpr auto kTable =
        short_detail::table<K>(std::make_index_sequence<2 * kShortVectors>{});
    static SMB_INLINE void run(const float* x, float* y, std::size_t n, RowParams p) {
        kTable[short_detail::index<Arch>(n)](x, y, n, p);
    }
};

// max_shifted's accurate tier for a short float row, softmax: the max, the special rows, the
// sum of exp(x - m) in double (sum_exp_parts_f64's terms and accumulators, in its order) and
// each output k exp(x - m), k = 1 / s, rounded once (write_accurate's ratio form: float-float
// where the ops have it, else double), as three_pass_head + sum_exp + write_ratio. Writes the row.
template <class Arch, class Cfg>
struct MaxShiftedAccurateShort {
    template <std::size_t F, bool T>
    struct K {
        static void run(const float* x, float* y, std::size_t n, RowParams p) {
            using B = fbatch<Arch>;
            using D = dbatch<Arch>;
            constexpr std::size_t W = B::size;
            short_detail::Regs<Arch, F, T> r;
            r.load(x, n);
            const float m = hmax<Arch>(r.vmax());
            if (!(std::fabs(m) <= std::numeric_limits<float>::max()) && detail::special_by_max(x, y, n, m, false, p)) return;
            // sum_exp_parts_f64<Arch, false>: vectors in pairs into s[0..1] and s[2..3], a last
            // full vector into s[0..1], the tail into s[2..3].
            const D md = D(double(m));
            D s[4] = {D(0.0), D(0.0), D(0.0), D(0.0)};
            auto vec = [&](B v, int k) SMB_LAMBDA_INLINE {
                D lo, hi;
                widen<Arch>(v, lo, hi);
                s[k] += exp_term_f64<Arch>(lo - md);
                s[k + 1] += exp_term_f64<Arch>(hi - md);
            };
#pragma GCC unroll 16
            for (std::size_t j = 0; j + 2 <= F; j += 2) {
                vec(r.v[j], 0);
                vec(r.v[j + 1], 2);
            }
            if constexpr (F % 2 != 0) vec(r.v[F - 1], 0);
            if constexpr (T) vec(r.v[F], 2);
            const double sum = Ops<Arch>::hadd((s[0] + s[1]) + (s[2] + s[3]));
            if (sum != sum) return detail::fill_nan(y, n);
            const double k = 1.0 / sum;
            // write_accurate, AccurateForm::ratio, on the registers.
            auto write = [&](auto out) SMB_LAMBDA_INLINE {
                if constexpr (F > 0)
#pragma GCC unroll 16
                    for (std::size_t j = 0; j < F; ++j) out(r.v[j]).store_unaligned(y + j * W);
                if constexpr (T) store_partial<Arch>(y + F * W, out(r.v[F]), n - F * W);
            };
            if constexpr (Ops<Arch>::kRatioFF) {
                const typename Ops<Arch>::RatioFF ff(k);
                const B mb(m);
                write([&](B v) SMB_LAMBDA_INLINE {
                    B t, e;
                    two_diff<Arch>(v, mb, t, e);
                    return ff(t, e);
                });
            } else {
                const D kd(k);
                write([&](B v) SMB_LAMBDA_INLINE {
                    D lo, hi;
                    widen<Arch>(v, lo, hi);
                    return narrow<Arch>(exp_neg_f64<Arch>(lo - md) * kd, exp_neg_f64<Arch>(hi - md) * kd);
                });
            }
        }
    };
    static constexpr auto kTable =
        short_detail::table<K>(std::make_index_sequence<2 * kShortVectors>{});
    static SMB_INLINE void run(const float* x, float* y, std::size_t n, RowParams p) {
        kTable[short_detail::index<Arch>(n)](x, y, n, p);
    }
};

}  // namespace smb::simd
