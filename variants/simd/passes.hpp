// The passes and writers every SIMD algorithm is built from, written once, generic over the
// xsimd architecture; they call the ops layer (ops.hpp) for anything architecture-specific.
// The algorithms themselves are one header each (naive.hpp, max_shifted.hpp, online.hpp,
// log_sum_exp.hpp, two_pass.hpp, guarded.hpp), instantiated only in the per-ISA translation
// units (isa_sse2.cpp, isa_avx2.cpp, isa_avx512.cpp), each compiled with that ISA's flags. ODR:
// everything here is a template on Arch, so no copy compiled for one ISA can be linked into
// another.
//
// Shape of every kernel (n floats, W lanes):
//   * hot loops use 4 independent accumulators and no horizontal reduction;
//   * sums are blocked: each group of 4 exps is summed in float (two roundings) and folded into
//     double lanes (the accurate tier widens every exp), so the error does not grow with n;
//   * tails use masked or buffered partial loads/stores: nothing outside [x, x+n) is read and
//     nothing outside [y, y+n) is written;
//   * special values per softmax.hpp: a NaN dropped by max resurfaces in the sum (exp of NaN is
//     NaN), +inf and all -inf rows are caught from the max (detail/special.hpp).
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "detail/special.hpp"
#include "detail/split.hpp"
#include "layout.hpp"
#include "simd/exp.hpp"
#include "softmaxbench/bf16.hpp"

namespace smb::simd {

// ---- kernel configuration: the list entry's exp kernel and tier ----------------------------------
// Cfg<E, T> (variants/list.inc): the float pipeline with our degree-5 or degree-6 exp of the
// TwoSum-compensated x - m (poly5, poly6), or xsimd's exp of the plain x - m (xsimd); the
// accurate tier (poly6_f64): every term of the sum an exp in double (exp_term_f64), summed in
// double; every output computed in double or float-float (< ~2^-26 relative) and rounded once.
// poly3 (fast tier, guarded's bf16 rows only: ExpShiftPow2<3>, guarded_bf16.hpp) has no exp_neg;
// the passes here never see it (its rows' fallbacks take poly5). poly3s: poly3 with the power of
// two applied by vscalefps (ExpShiftPow2's Scalef form: the same bits; AVX-512 ISAs only).
template <ExpKernel E, Tier T>
struct Cfg {
    static_assert(E == ExpKernel::poly5 || E == ExpKernel::poly6 || E == ExpKernel::xsimd ||
                      ((E == ExpKernel::poly3 || E == ExpKernel::poly3s) && T == Tier::fast) ||
                      (E == ExpKernel::poly6_f64 && T == Tier::accurate),
                  "SIMD exp kernels: poly5, poly6, xsimd; poly3, poly3s (fast, bf16 guarded); poly6_f64 for the accurate tier");
    static constexpr ExpKernel exp = E;
    static constexpr int degree = E == ExpKernel::poly6 || E == ExpKernel::poly6_f64 ? 6
                                  : E == ExpKernel::poly3 || E == ExpKernel::poly3s  ? 3
                                                                                     : 5;  // unused for xsimd
    static constexpr bool accurate = T == Tier::accurate;
    static constexpr bool scalef = E == ExpKernel::poly3s;  // ExpShiftPow2's reconstruction
};

// The guarded kernels' exp(x - q ln2) under a configuration (exp.hpp).
template <class Arch, class Cfg>
using ExpShiftOf = ExpShiftPow2<Cfg::degree, Arch, Cfg::scalef>;

// ---- thin names for the ops the passes use most (ops.hpp) ---------------------------------------
template <class Arch>
SMB_INLINE fbatch<Arch> load_partial(const float* p, std::size_t k, float fill) {
    return Ops<Arch>::load_partial(p, k, fill);
}
template <class Arch>
SMB_INLINE void store_partial(float* p, fbatch<Arch> v, std::size_t k) {
    Ops<Arch>::store_partial(p, v, k);
}
// Element access by dtype: float rows as they are; bf16 rows (raw bits, the bf16 dtypes) converted
// in registers by the ops (Ops::load_bf16 / store_bf16, ops_generic.hpp), never through a float
// copy of the row. The passes below take `const Tx* x` and `Ty* y` and read and write only
// through these.
// One element as float: itself, or the bf16 bits widened (exact).
SMB_INLINE float to_float(float v) { return v; }
SMB_INLINE float to_float(std::uint16_t v) { return bf16_to_float(v); }
template <class Arch>
SMB_INLINE fbatch<Arch> load(const float* p) {
    return fbatch<Arch>::load_unaligned(p);
}
template <class Arch>
SMB_INLINE fbatch<Arch> load(const std::uint16_t* p) {
    return Ops<Arch>::load_bf16(p);
}
template <class Arch>
SMB_INLINE fbatch<Arch> load_partial(const std::uint16_t* p, std::size_t k, float fill) {
    return Ops<Arch>::load_bf16_partial(p, k, fill);
}
template <class Arch>
SMB_INLINE void store(float* p, fbatch<Arch> v) {
    v.store_unaligned(p);
}
template <class Arch>
SMB_INLINE void store(std::uint16_t* p, fbatch<Arch> v) {
    Ops<Arch>::store_bf16(p, v);
}
template <class Arch>
SMB_INLINE void store_partial(std::uint16_t* p, fbatch<Arch> v, std::size_t k) {
    Ops<Arch>::store_bf16_partial(p, v, k);
}
// Two batches to p (lo's lanes first): one conversion where the ops pair bf16 roundings.
template <class Arch, class Ty>
SMB_INLINE void store2(Ty* p, fbatch<Arch> lo, fbatch<Arch> hi) {
    if constexpr (std::is_same_v<Ty, std::uint16_t> && requires { Ops<Arch>::store2_bf16(p, lo, hi); })
        Ops<Arch>::store2_bf16(p, lo, hi);
    else {
        store<Arch>(p, lo);
        store<Arch>(p + fbatch<Arch>::size, hi);
    }
}
// Non-temporal stores (ops.hpp): one batch to p, aligned to the batch's bytes; the plain store
// where the target has none. stream_fence after the last one.
template <class Arch, class Ty>
SMB_INLINE void stream(Ty* p, fbatch<Arch> v) {
    if constexpr (std::is_same_v<Ty, float> && requires { Ops<Arch>::stream(p, v); }) Ops<Arch>::stream(p, v);
    else if constexpr (std::is_same_v<Ty, std::uint16_t> && requires { Ops<Arch>::stream_bf16(p, v); })
        Ops<Arch>::stream_bf16(p, v);
    else store<Arch>(p, v);
}
// Two batches, streamed (lo's lanes first): p aligned to both batches' bytes.
template <class Arch, class Ty>
SMB_INLINE void stream2(Ty* p, fbatch<Arch> lo, fbatch<Arch> hi) {
    if constexpr (std::is_same_v<Ty, std::uint16_t> && requires { Ops<Arch>::stream2_bf16(p, lo, hi); })
        Ops<Arch>::stream2_bf16(p, lo, hi);
    else {
        stream<Arch>(p, lo);
        stream<Arch>(p + fbatch<Arch>::size, hi);
    }
}
template <class Arch>
SMB_INLINE void stream_fence() {
    if constexpr (requires { Ops<Arch>::stream_fence(); }) Ops<Arch>::stream_fence();
}
template <class Arch>
double hsum_double(fbatch<Arch> v) {
    return Ops<Arch>::hsum_double(v);
}
// Horizontal max without NaN bookkeeping: callers detect NaN separately (online's merge checks
// its lanes for NaN before taking the max).
template <class Arch>
SMB_INLINE float hmax(fbatch<Arch> v) {
    return Ops<Arch>::hmax(v);
}
// Float <-> double for the accurate tier: one float batch is two double batches.
template <class Arch>
SMB_INLINE void widen(fbatch<Arch> v, dbatch<Arch>& lo, dbatch<Arch>& hi) {
    Ops<Arch>::widen(v, lo, hi);
}
template <class Arch>
SMB_INLINE fbatch<Arch> narrow(dbatch<Arch> lo, dbatch<Arch> hi) {
    return Ops<Arch>::narrow(lo, hi);
}

// t = a - b rounded, with err the exact rounding error (Knuth's TwoSum: a - b == t + err).
// When t is infinite (a = -inf: a -inf entry or a tail lane) err is NaN: exp_neg zeroes such
// lanes whatever err holds; other users take two_diff_guarded.
template <class Arch>
SMB_INLINE void two_diff(fbatch<Arch> a, fbatch<Arch> b, fbatch<Arch>& t, fbatch<Arch>& err) {
    t = a - b;
    const fbatch<Arch> bb = a - t;  // the part of b that made it into t
    const fbatch<Arch> ab = t + bb; // the part of a
    err = (a - ab) - (b - bb);
}
// The same with err = 0 where t is infinite, so (t - l) + err stays -inf.
template <class Arch>
SMB_INLINE void two_diff_guarded(fbatch<Arch> a, fbatch<Arch> b, fbatch<Arch>& t, fbatch<Arch>& err) {
    using B = fbatch<Arch>;
    two_diff<Arch>(a, b, t, err);
    err = xsimd::select(xsimd::abs(t) <= B(std::numeric_limits<float>::max()), err, B(0.0f));
}


// Double-lane accumulator. add4 takes a group of 4 float vectors: the fast tier sums them in
// float as a tree (two roundings) and folds the group into double; the accurate tier widens
// each one. Either way no float partial grows with n.
template <class Arch, bool Accurate>
struct DoubleSum {
    dbatch<Arch> lo = dbatch<Arch>(0.0), hi = dbatch<Arch>(0.0);
    SMB_INLINE void add(fbatch<Arch> e) {
        dbatch<Arch> l, h;
        widen<Arch>(e, l, h);
        lo += l;
        hi += h;
    }
    SMB_INLINE void add4(fbatch<Arch> e0, fbatch<Arch> e1, fbatch<Arch> e2, fbatch<Arch> e3) {
        if constexpr (Accurate) {
            add(e0);
            add(e1);
            add(e2);
            add(e3);
        } else {
            add((e0 + e1) + (e2 + e3));
        }
    }
    SMB_INLINE void fold() {}  // ChunkSum's: nothing held in float here
    double total() const { return Ops<Arch>::hadd(lo + hi); }
};

// The degree-3 rows' sum (guarded's poly3 and poly3s: guarded_sum and the short rows): each group
// of 4 as two pairs, (e0 + e1) and (e2 + e3), added into two float accumulators, folded into
// double (f0 + f1) every kFoldGroups groups and by the caller's fold() after its last group;
// single vectors and the tail go to double directly. A term passes through at most 17 float
// roundings on every ISA (its pair, 15 additions into an accumulator over 16 groups, f0 + f1)
// against DoubleSum's 2, and the widening (two slots per vector on the Xeon) runs once per 16
// groups instead of once per group. The exp's own error there is ~1.7e3 times u, so the extra
// roundings move the bound by a few float ULP (guarded_bf16.hpp).
template <class Arch>
struct ChunkSum {
    static constexpr unsigned kFoldGroups = 16;
    DoubleSum<Arch, false> acc;
    fbatch<Arch> f0 = fbatch<Arch>(0.0f), f1 = fbatch<Arch>(0.0f);
    unsigned groups = 0;
    SMB_INLINE void add(fbatch<Arch> e) { acc.add(e); }
    SMB_INLINE void add4(fbatch<Arch> e0, fbatch<Arch> e1, fbatch<Arch> e2, fbatch<Arch> e3) {
        f0 = f0 + (e0 + e1);
        f1 = f1 + (e2 + e3);
        if (++groups == kFoldGroups) fold();
    }
    // After the last group (a fold with nothing held adds +0: the same bits).
    SMB_INLINE void fold() {
        acc.add(f0 + f1);
        f0 = f1 = fbatch<Arch>(0.0f);
        groups = 0;
    }
    double total() const { return acc.total(); }
};
// guarded's sum accumulator under a configuration.
template <class Arch, class Cfg>
using GuardSum = std::conditional_t<Cfg::degree == 3, ChunkSum<Arch>, DoubleSum<Arch, Cfg::accurate>>;

// exp(x - m) for x <= m under the configuration: our exp of the TwoSum-compensated x - m, or
// xsimd's exp of the plain x - m.
template <class Arch, class Cfg>
SMB_INLINE fbatch<Arch> exp_shifted(fbatch<Arch> x, fbatch<Arch> m) {
    if constexpr (Cfg::exp == ExpKernel::xsimd) {
        return exp_xsimd<Arch>(x - m);
    } else {
        fbatch<Arch> t, e;
        two_diff<Arch>(x, m, t, e);
        return exp_neg<Cfg::degree, Arch>(t, e);
    }
}

// The accurate tier's terms exp(x - m), in double: x - m is exact there, and the double exp
// (exp_f64_lut on AVX-512, exp_neg_f64 elsewhere) errs by <= 1e-11 relative. Float terms are
// not enough for a 1 ULP output: each is rounded to float (up to 2^-24 relative), equal entries
// round the same way, and the normaliser inherits the error whole (a row [0, v, ..., v] came
// out 1.5 ULP off; tests/test_accurate_sum.cpp). -inf gives 0 (exp_f64_lut: < 1e-260, far below
// the normaliser's last bit: the sum holds the max's 1); NaN gives NaN.
template <class Arch>
SMB_INLINE dbatch<Arch> exp_term_f64(dbatch<Arch> t) {
    if constexpr (Ops<Arch>::kFloatFloat) return exp_f64_lut<Arch>(t);
    else return exp_neg_f64<Arch>(t);
}

// ---- pass: row max ------------------------------------------------------------------------------
// NaN entries may be dropped: a NaN the max drops resurfaces in the sum (exp of NaN), and an
// all -inf max makes special_by_max scan the row, so no NaN bookkeeping is needed here.
template <class Arch, class Tx>
float row_max(const Tx* x, std::size_t n) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B ninf(-std::numeric_limits<float>::infinity());
    B m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        m0 = xsimd::max(m0, load<Arch>(x + i));
        m1 = xsimd::max(m1, load<Arch>(x + i + W));
        m2 = xsimd::max(m2, load<Arch>(x + i + 2 * W));
        m3 = xsimd::max(m3, load<Arch>(x + i + 3 * W));
    }
    for (; i + W <= n; i += W) m0 = xsimd::max(m0, load<Arch>(x + i));
    if (i < n) m1 = xsimd::max(m1, load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity()));
    return hmax<Arch>(xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3)));
}

// ---- pass: sum of exp(x - m), optionally storing the exps, optionally without the max's 1s ----
// With Rest: returns sum over x != m of exp(x - m) plus (count(x == m) - 1): the normaliser
// minus the 1 of one maximum, so log1p of it keeps full accuracy when one logit dominates.
struct SumParts {
    double total = 0;  // Rest: without the entries equal to m
    double count = 0;  // Rest: how many entries equal m
};

// The accurate tier: every term in double (exp_term_f64), four double accumulators.
template <class Arch, bool Rest, class Tx>
SMB_FLATTEN SumParts sum_exp_parts_f64(const Tx* x, std::size_t n, float mf) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    constexpr std::size_t W = B::size;
    const D m = D(double(mf)), zero(0.0), one(1.0);
    D s[4] = {zero, zero, zero, zero}, c[2] = {zero, zero};
    auto half = [&](D t, int k) SMB_LAMBDA_INLINE {
        t = t - m;  // exact
        D e = exp_term_f64<Arch>(t);
        if constexpr (Rest) {
            const auto eq = t == zero;  // x == m
            e = xsimd::select(eq, zero, e);
            c[k & 1] += xsimd::select(eq, one, zero);
        }
        s[k] += e;
    };
    auto vec = [&](B v, int k) SMB_LAMBDA_INLINE {
        D lo, hi;
        widen<Arch>(v, lo, hi);
        half(lo, k);
        half(hi, k + 1);
    };
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        vec(load<Arch>(x + i), 0);
        vec(load<Arch>(x + i + W), 2);
    }
    if (i + W <= n) {
        vec(load<Arch>(x + i), 0);
        i += W;
    }
    if (i < n) vec(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity()), 2);
    return {Ops<Arch>::hadd((s[0] + s[1]) + (s[2] + s[3])), Rest ? Ops<Arch>::hadd(c[0] + c[1]) : 0.0};
}

template <class Arch, class Cfg, bool Store, bool Rest, class Tx, class Ty>
SumParts sum_exp_parts(const Tx* x, Ty* y, std::size_t n, float mf) {
    if constexpr (Cfg::accurate) {
        static_assert(!Store, "the accurate tier stores no exps (its output pass computes them)");
        return sum_exp_parts_f64<Arch, Rest>(x, n, mf);
    }
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B m(mf), zero(0.0f), one(1.0f);
    DoubleSum<Arch, Cfg::accurate> acc;
    // Rest: entries equal to m, per lane in float (exact below 2^24), folded into the double
    // count every kFold groups of 4 vectors (at most 4 kFold + 4 per lane in between): exact
    // for any n.
    constexpr std::size_t kFold = std::size_t(1) << 21;
    B cnt = zero;
    double count = 0;
    std::size_t groups = 0;
    // One term: exp, optional store, and (Rest) the max's entries moved from the sum to cnt.
    auto term = [&](B v, Ty* out, std::size_t k) {
        B e = exp_shifted<Arch, Cfg>(v, m);
        if constexpr (Store) {
            if (k == W) store<Arch>(out, e);
            else store_partial<Arch>(out, e, k);
        }
        if constexpr (Rest) {
            const auto eq = v == m;
            e = xsimd::select(eq, zero, e);
            cnt += xsimd::select(eq, one, zero);
        }
        return e;
    };
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B e0 = term(load<Arch>(x + i), y + i, W);
        const B e1 = term(load<Arch>(x + i + W), y + i + W, W);
        const B e2 = term(load<Arch>(x + i + 2 * W), y + i + 2 * W, W);
        const B e3 = term(load<Arch>(x + i + 3 * W), y + i + 3 * W, W);
        acc.add4(e0, e1, e2, e3);
        if constexpr (Rest) {
            if (++groups == kFold) {
                count += hsum_double<Arch>(cnt);
                cnt = zero;
                groups = 0;
            }
        }
    }
    for (; i + W <= n; i += W) acc.add(term(load<Arch>(x + i), y + i, W));
    if (i < n) acc.add(term(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity()), y + i, n - i));
    return {acc.total(), Rest ? count + hsum_double<Arch>(cnt) : 0.0};
}

template <class Arch, class Cfg, bool Store, bool Rest, class Tx, class Ty>
double sum_exp(const Tx* x, Ty* y, std::size_t n, float mf) {
    const SumParts s = sum_exp_parts<Arch, Cfg, Store, Rest>(x, y, n, mf);
    return Rest ? s.total + (s.count - 1.0) : s.total;
}

// ---- pass: y *= scale (in place over the stored exps) ------------------------------------------
template <class Arch>
void scale_in_place(float* y, std::size_t n, float s) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    const B f(s);
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        (B::load_unaligned(y + i) * f).store_unaligned(y + i);
        (B::load_unaligned(y + i + W) * f).store_unaligned(y + i + W);
        (B::load_unaligned(y + i + 2 * W) * f).store_unaligned(y + i + 2 * W);
        (B::load_unaligned(y + i + 3 * W) * f).store_unaligned(y + i + 3 * W);
    }
    for (; i + W <= n; i += W) (B::load_unaligned(y + i) * f).store_unaligned(y + i);
    if (i < n) store_partial<Arch>(y + i, load_partial<Arch>(y + i, n - i, 0.0f) * f, n - i);
}

// ---- pass: write outputs from (m, normaliser) ----------------------------------------------------
// Generic element-wise writer: y[i] = f(x[i]) for a functor on batches. Stream: the groups of 4
// vectors go out with non-temporal stores (y + the group's first element aligned to 64 bytes:
// map_row_stream below), the rest plainly.
template <class Arch, bool Stream = false, class Tx, class Ty, class F>
SMB_FLATTEN void map_row(const Tx* x, Ty* y, std::size_t n, F f) {
    using B = fbatch<Arch>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        const B a0 = f(load<Arch>(x + i)), a1 = f(load<Arch>(x + i + W));
        const B a2 = f(load<Arch>(x + i + 2 * W)), a3 = f(load<Arch>(x + i + 3 * W));
        if constexpr (Stream) {
            stream2<Arch>(y + i, a0, a1);
            stream2<Arch>(y + i + 2 * W, a2, a3);
        } else {
            store2<Arch>(y + i, a0, a1);
            store2<Arch>(y + i + 2 * W, a2, a3);
        }
    }
    for (; i + W <= n; i += W) store<Arch>(y + i, f(load<Arch>(x + i)));
    if (i < n) store_partial<Arch>(y + i, f(load_partial<Arch>(x + i, n - i, -std::numeric_limits<float>::infinity())), n - i);
}

// map_row for outputs that may be past the caches: the same y, written with non-temporal stores
// when it does not overlap x and either this call's output (one row, or one slice of a split row)
// holds at least layout::kStreamFromBytes or the caller's whole output is past the caches
// (past_caches: RowParams::output_past_caches, layout::kStreamCallFromBytes). A write pass that
// recomputes its terms from x then costs the x read and the y write, not also the read of y's
// lines for ownership. (In place the lines were just read: streaming them out measured 0.5-0.8x,
// as did streaming the f32 store form's in-place scale of its stored exps; simd/guarded.hpp. So
// the bf16 batch call sets past_caches only for calls not in place; guarded's bf16 scratch form,
// whose x here is the scratch, relies on that.) The elements up to y's first 64-byte boundary are
// written plainly, then map_row streams its groups of 4 vectors and writes the rest plainly.
template <class Arch, class Tx, class Ty, class F>
SMB_FLATTEN void map_row_stream(const Tx* x, Ty* y, std::size_t n, F f, bool past_caches) {
    const auto addr = reinterpret_cast<std::uintptr_t>(y);
    const auto xa = reinterpret_cast<std::uintptr_t>(x);
    const std::size_t head = (64 - addr % 64) % 64 / sizeof(Ty);
    const bool apart = addr >= xa + n * sizeof(Tx) || xa >= addr + n * sizeof(Ty);
    const bool large = past_caches || n * sizeof(Ty) >= layout::kStreamFromBytes;
    if (!large || !apart || addr % sizeof(Ty) || head >= n) return map_row<Arch>(x, y, n, f);
    map_row<Arch>(x, y, head, f);
    map_row<Arch, true>(x + head, y + head, n - head, f);
    stream_fence<Arch>();
}

// The accurate tier's output, rounded once from double. x - m is exact in double.
//   softmax, ratio form:  exp(x - m) * inv      (inv = 1/d)
//   softmax, lse form:    exp((x - m) - l)      (l = log d)
//   log_softmax:          (x - m) - l
enum class AccurateForm { ratio, lse, log };

// Always inlined, as it was before the layout split it out: each caller passes a constant form,
// and the per-element branch on it folds away (out of line it cost 5-7 % at 1x4096 and 1x65536).
template <class Arch, class Tx, class Ty>
SMB_INLINE void write_accurate(const Tx* x, Ty* y, std::size_t n, float mf, double k, AccurateForm form) {
    using B = fbatch<Arch>;
    using D = dbatch<Arch>;
    const D m = D(double(mf)), kd = D(k);
    if constexpr (Ops<Arch>::kRatioFF) {
        // ratio: float-float (Ops::RatioFF, its error bound at its definition).
        if (form == AccurateForm::ratio) {
            const typename Ops<Arch>::RatioFF ff(k);
            const B mb(mf);
            map_row<Arch>(x, y, n, [&](B v) {
                B t, e;
                two_diff<Arch>(v, mb, t, e);
                return ff(t, e);
            });
            return;
        }
    }
    if constexpr (Ops<Arch>::kFloatFloat) {
        // lse: exp((x - m) - l) in double, x - m exact.
        if constexpr (std::is_same_v<Tx, float> && std::is_same_v<Ty, float>) {  // bf16: below
            if (form == AccurateForm::lse) {
                Ops<Arch>::write_f64_halves(x, y, n, [&](D t) { return exp_f64_lut<Arch>((t - m) - kd); });
                return;
            }
        }
    }
    if constexpr (!std::is_same_v<Ty, float>) {
        if (form == AccurateForm::log) {
            // bf16 log_softmax, rounded as if once: (x - m) - l rounded to float and then to bf16
            // is a double rounding, and on bf16 logits x - m often sits exactly on a bf16
            // midpoint while l is below half a float ULP of it (one dominant logit): RNE then
            // picks the even side for a value that lies below the midpoint (measured: 0.19 % of
            // the outputs). So the float result y32 is rounded to odd first (Ops::round_to_odd)
            // with the side of the exact value: a = x - m is exact in double, d = a - y32 is
            // exact (Sterbenz), and the exact a - l lies above y32 iff d > l, a comparison. An
            // odd float is never a bf16 midpoint, so the last rounding is the correct one.
            map_row<Arch>(x, y, n, [&](B v) {
                D lo, hi;
                widen<Arch>(v, lo, hi);
                lo = lo - m;
                hi = hi - m;
                const B y32 = narrow<Arch>(lo - kd, hi - kd);
                D ylo, yhi;
                widen<Arch>(y32, ylo, yhi);
                const D dlo = lo - ylo, dhi = hi - yhi, one(1.0), zero(0.0);
                const D slo = xsimd::select(dlo > kd, one, xsimd::select(dlo < kd, -one, zero));
                const D shi = xsimd::select(dhi > kd, one, xsimd::select(dhi < kd, -one, zero));
                return Ops<Arch>::round_to_odd(y32, narrow<Arch>(slo, shi));
            });
            return;
        }
    }
    auto f = [&](D t) {
        t = t - m;
        switch (form) {
            case AccurateForm::ratio: return exp_neg_f64<Arch>(t) * kd;
            case AccurateForm::lse: return exp_neg_f64<Arch>(t - kd);
            case AccurateForm::log: break;
        }
        return t - kd;
    };
    map_row<Arch>(x, y, n, [&](B v) {
        D lo, hi;
        widen<Arch>(v, lo, hi);
        return narrow<Arch>(f(lo), f(hi));
    });
}

// Float log_softmax output: (x - m) - l, with the rounding error of x - m added back.
template <class Arch, class Tx, class Ty>
void write_log_float(const Tx* x, Ty* y, std::size_t n, float mf, float l) {
    using B = fbatch<Arch>;
    const B m(mf), lb(l);
    map_row<Arch>(x, y, n, [&](B v) {
        B t, e;
        two_diff_guarded<Arch>(v, m, t, e);
        return (t - lb) + e;
    });
}

// ---- output writers shared by the one-thread paths and the split-row paths -----------------------
// softmax = exp(x - m) / d
template <class Arch, class Cfg, class Tx, class Ty>
void write_ratio(const Tx* x, Ty* y, std::size_t n, float m, double d) {
    if constexpr (Cfg::accurate) {
        write_accurate<Arch>(x, y, n, m, 1.0 / d, AccurateForm::ratio);
    } else {
        using B = fbatch<Arch>;
        const B mb = B(m), inv = B(float(1.0 / d));
        map_row<Arch>(x, y, n, [&](B v) { return exp_shifted<Arch, Cfg>(v, mb) * inv; });
    }
}

// softmax = exp((x - m) - l), l = log d: (x - m) exact via TwoSum, l's own error kept.
template <class Arch, class Cfg, class Tx, class Ty>
void write_lse(const Tx* x, Ty* y, std::size_t n, float m, double l) {
    if constexpr (Cfg::accurate) {
        write_accurate<Arch>(x, y, n, m, l, AccurateForm::lse);
    } else {
        using B = fbatch<Arch>;
        const B mb = B(m), lb = B(float(l)), llo = B(float(l - double(float(l))));
        map_row<Arch>(x, y, n, [&](B v) {
            B t, e;
            two_diff_guarded<Arch>(v, mb, t, e);
            B u, e2;
            two_diff_guarded<Arch>(t, lb, u, e2);
            if constexpr (Cfg::exp == ExpKernel::xsimd) return exp_xsimd<Arch>(u);
            else return exp_neg<Cfg::degree, Arch>(u, (e + e2) - llo);
        });
    }
}

// log_softmax = (x - m) - log1p(rest), rest = the normaliser minus the max's own 1.
template <class Arch, class Cfg, class Tx, class Ty>
void write_log(const Tx* x, Ty* y, std::size_t n, float m, double rest) {
    if constexpr (Cfg::accurate) write_accurate<Arch>(x, y, n, m, std::log1p(rest), AccurateForm::log);
    else write_log_float<Arch>(x, y, n, m, float(std::log1p(rest)));
}

// The start the three-pass forms share (max_shifted, recompute): the row max M, the special rows
// (special_by_max) and the whole log_softmax output, (x - m) - log1p(rest) with rest summed
// without storing. Returns true when the row is written; false leaves the softmax pass to the
// caller. Always inlined, so each form compiles as if it were written out.
template <class Arch, class Cfg, class Tx, class Ty>
SMB_INLINE bool three_pass_head(const Tx* x, Ty* y, std::size_t n, RowParams p, float& m) {
    m = row_max<Arch>(x, n);
    if (detail::special_by_max(x, y, n, m, false, p)) return true;
    if (p.output != Output::log_softmax) return false;
    const double rest = sum_exp<Arch, Cfg, false, true>(x, y, n, m);
    if (rest != rest) detail::fill_nan(y, n);
    else write_log<Arch, Cfg>(x, y, n, m, rest);
    return true;
}


// Max-first split (max_shifted, log_sum_exp): the slices' max, then each slice's sum at the
// merged max (max_shifted's fast tier also stores its exps), then the write.
template <class Arch>
float split_slice_max(const float* x, std::size_t n) {
    return row_max<Arch>(x, n);  // NaN: see row_max (the merged sum shows it)
}

template <class Arch, class Cfg, bool Lse>
void split_reduce_at(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out) {
    SumParts s;
    if (Lse || p.output == Output::log_softmax) s = sum_exp_parts<Arch, Cfg, false, true>(x, y, n, m);
    else if constexpr (Cfg::accurate) s = sum_exp_parts<Arch, Cfg, false, false>(x, y, n, m);
    else s = sum_exp_parts<Arch, Cfg, true, false>(x, y, n, m);
    out->m = m;
    out->d = s.total;
    out->c = s.count;
    out->nan = s.total != s.total;
}

template <class Arch, class Cfg, bool Lse>
void split_write_max_first(const float* x, float* y, std::size_t n, RowParams p, const SplitState& t) {
    if (p.output == Output::log_softmax) write_log<Arch, Cfg>(x, y, n, t.m, t.d + (t.c - 1.0));
    else if constexpr (Lse) write_lse<Arch, Cfg>(x, y, n, t.m, std::log1p(t.d + (t.c - 1.0)));
    else if constexpr (Cfg::accurate) write_ratio<Arch, Cfg>(x, y, n, t.m, t.d);
    else scale_in_place<Arch>(y, n, float(1.0 / t.d));  // y holds this slice's exps
}


}  // namespace smb::simd
