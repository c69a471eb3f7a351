// The batch call: rows x cols with strides, one thread or several (OpenMP).
//   * rows >= threads (or a variant that cannot split a row): contiguous blocks of rows per
//     thread (schedule(static)); each row is computed by the same code whatever the thread
//     count, so results are bit-identical for any number of threads.
//   * rows < threads and the row is long: the row is split (detail::split_of): every thread
//     reduces its slice to a partial state, the partials are merged, every thread writes its
//     slice. Results may differ from one thread in the last bits; tests hold them to the same
//     documented bound.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/special.hpp"
#include "detail/shape.hpp"
#include "detail/rows.hpp"
#include "detail/split.hpp"
#include "layout.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

namespace smb {
namespace {

// Thresholds and slices: layout.hpp (measurements there). The row-split thresholds come from the
// tuning file when it records this machine's (`softmaxbench tune`), else the built-in ones:
// tuning::min_split_cols() (layout::kMinSplitCols) and tuning::long_split_from(long_from).
using layout::kMinParallelElements;

// The error paths of validate(), out of line and cold: the strings they build would otherwise
// give the hot path a stack frame and unwinding set-up it never uses (issue 14's per-call cost).
[[noreturn, gnu::noinline, gnu::cold]] void fail_op(const Variant& v) {
    throw std::invalid_argument("variant '" + std::string(v.name) + "' computes " + std::string(to_string(v.op)) +
                                ", not softmax or log_softmax");
}
[[noreturn, gnu::noinline, gnu::cold]] void fail_dtype(const Variant& v) {
    throw std::invalid_argument("variant '" + std::string(v.name) + "' takes bf16 logits (the Bf16BatchArgs call)");
}
[[noreturn, gnu::noinline, gnu::cold]] void fail(const char* what) { throw std::invalid_argument(what); }
[[noreturn, gnu::noinline, gnu::cold]] void fail_stride(std::size_t ld, std::size_t cols) {
    throw std::invalid_argument("row stride (" + std::to_string(ld) + ") is smaller than cols (" + std::to_string(cols) +
                                ")");
}
[[noreturn, gnu::noinline, gnu::cold]] void fail_unavailable(const Variant& v) {
    throw std::runtime_error(unavailable_reason(v));
}

// The ISAs found available so far, one bit each. Availability is decided once per process (the
// CPU and SOFTMAXBENCH_FORCE_ISA, read at the first call: cpu.cpp), so a bit once set stays
// true; a bit not set yet asks available(), which also throws a bad SOFTMAXBENCH_FORCE_ISA.
std::atomic<unsigned> g_available_isas{0};

[[gnu::noinline]] bool available_first(const Variant& v) {
    if (!available(v)) return false;
    g_available_isas.fetch_or(1u << unsigned(v.isa), std::memory_order_relaxed);
    return true;
}

inline bool available_cached(const Variant& v) {
    return (g_available_isas.load(std::memory_order_relaxed) >> unsigned(v.isa)) & 1u || available_first(v);
}

inline void validate(const Variant& v, const BatchArgs& a, std::size_t ldx, std::size_t ldy) {
    if (v.op != Op::forward) fail_op(v);
    if (v.dtype != Dtype::f32) fail_dtype(v);
    if (a.threads < 1) fail("threads must be >= 1");
    if (a.rows == 0 || a.cols == 0) return;
    if (a.x == nullptr || a.y == nullptr) fail("null x or y with a non-empty shape");
    if (ldx < a.cols || ldy < a.cols) fail_stride(ldx < a.cols ? ldx : ldy, a.cols);
    const auto span = [&](std::size_t ld) {
        std::size_t n;
        if (!detail::span_elements<sizeof(float)>(a.rows, a.cols, ld, n)) fail("shape overflows size_t");
        return n;
    };
    const auto xb = reinterpret_cast<std::uintptr_t>(a.x);
    const auto yb = reinterpret_cast<std::uintptr_t>(a.y);
    const std::uintptr_t xe = xb + span(ldx) * sizeof(float);
    const std::uintptr_t ye = yb + span(ldy) * sizeof(float);
    const bool in_place = xb == yb && ldx == ldy;
    if (!in_place && xb < ye && yb < xe)
        fail("x and y overlap without being the same rows (in place needs x == y and equal strides)");
    if (!available_cached(v)) fail_unavailable(v);
}

// After the merge: writes the whole row when it is special; returns true then. Base 2 (two_pass
// and guarded's one-pass form): a merged state the base-2 writer cannot take (NaN, +inf, all
// -inf, or a finite row past layout::kTwoPassMaxExp) is either special or a
// finite row that the variant's row function, which accepts every finite row, writes alone.
bool special_row(const Variant& v, const RowSplit& sp, const float* x, float* y, std::size_t n, RowParams p,
                 const SplitState& t) {
    if (sp.base == RowSplit::Base::pow2) {
        if (!t.nan && t.d > 0 && std::fabs(t.m) <= layout::kTwoPassMaxExp) return false;
        if (!detail::special_by_scan(x, y, n, p)) v.row(x, y, n, p);
        return true;
    }
    if (detail::special_by_max(x, y, n, t.m, t.nan, p)) return true;
    return false;
}

std::pair<std::size_t, std::size_t> slice(std::size_t n, int parts, int k) { return layout::split_slice(n, parts, k); }

void split_rows(const Variant& v, const RowSplit* chosen, const BatchArgs& a, std::size_t ldx, std::size_t ldy,
                RowParams p, int threads) {
    if (p.output == Output::log_softmax && chosen->log_split) chosen = chosen->log_split;
    else if (chosen->long_split && a.cols >= tuning::long_split_from(chosen->long_from)) chosen = chosen->long_split;
    const RowSplit& sp = *chosen;
    const float ninf = -std::numeric_limits<float>::infinity();
    std::vector<SplitState> parts(static_cast<std::size_t>(threads));
    SplitState total;
    bool special = false;
#pragma omp parallel num_threads(threads)
    {
        const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
        const std::vector<SplitState>::const_iterator first = parts.begin(), last = parts.begin() + nt;
        for (std::size_t r = 0; r < a.rows; ++r) {
            const float* x = a.x + r * ldx;
            float* y = a.y + r * ldy;
            const auto [b, e] = slice(a.cols, nt, tid);
            SplitState& mine = parts[std::size_t(tid)];
            mine = SplitState{};
            mine.m = ninf;
            if (sp.slice_max) {
                // Max-first: the row max, then every slice's sum at that max.
                if (e > b) mine.m = sp.slice_max(x + b, e - b);
#pragma omp barrier
#pragma omp single
                {
                    total = SplitState{};
                    total.m = ninf;
                    for (auto it = first; it != last; ++it) {
                        total.nan = total.nan || it->nan;
                        if (it->m > total.m) total.m = it->m;
                    }
                    special = detail::special_by_max(x, y, a.cols, total.m, total.nan, p);
                }
                const float m = total.m;
                mine = SplitState{};
                mine.m = m;
                if (!special && e > b) sp.reduce_at(x + b, y + b, e - b, p, m, &mine);
#pragma omp barrier
#pragma omp single
                if (!special) {
                    for (auto it = first; it != last; ++it) {
                        total.d += it->d;
                        total.c += it->c;
                    }
                    if (std::isnan(total.d)) {  // a NaN the max dropped
                        detail::fill_nan(y, a.cols);
                        special = true;
                    }
                }
            } else {
                if (e > b) sp.reduce(x + b, e - b, p, &mine);
#pragma omp barrier
#pragma omp single
                {
                    total = detail::merge_split_states(parts.data(), nt, sp.base);
                    special = special_row(v, sp, x, y, a.cols, p, total);
                }
            }
            // Implicit barrier after each single: everyone sees total and special.
            if (!special && e > b) sp.write(x + b, y + b, e - b, p, total);
#pragma omp barrier
        }
    }
}

// Everything but one row on one thread: several rows, or a row long enough for threads
// (out of line, so that the one-row path below needs no stack frame of its own).
[[gnu::noinline]] void many_rows(const Variant& chosen, const Variant& v, const RowSplit* split, const BatchArgs& a,
                                 RowParams p) {
    const std::size_t ldx = a.ld_x ? a.ld_x : a.cols;
    const std::size_t ldy = a.ld_y ? a.ld_y : a.cols;
    const bool one_thread = a.threads == 1 || a.rows * a.cols < kMinParallelElements;
    // The split form only matters with threads (its lookup is part of auto's per-call cost).
    if (!one_thread && (split == nullptr || &v != &chosen)) split = detail::split_of(v);
    if (one_thread || (a.rows == 1 && (!split || a.cols < tuning::min_split_cols()))) {
        // No parallel region at all: even a disabled `omp parallel ... if(false)` costs a team
        // set-up (~0.3 us measured), more than a whole 64-element row.
        detail::run_rows(detail::rows_fn_of(v, a.x, a.y), v.row, a.x, ldx, a.y, ldy, a.rows, a.cols, p, 1);
        return;
    }
    if (detail::splits_rows(split != nullptr, a.rows, a.cols, a.threads, tuning::min_split_cols())) {
        split_rows(v, split, a, ldx, ldy, p, a.threads);
        return;
    }
    const int threads = int(std::min<std::size_t>(std::size_t(a.threads), a.rows));
    detail::run_rows(detail::rows_fn_of(v, a.x, a.y), v.row, a.x, ldx, a.y, ldy, a.rows, a.cols, p, threads);
}

// Runs the rows with v (chosen itself, or auto's pick for chosen). One row that no thread would
// share (what many_rows does with it too: one_thread there) is a tail call of the row function:
// no frame, no OpenMP, no split lookup.
inline void run(const Variant& chosen, const Variant& v, const RowSplit* split, const BatchArgs& a) {
    const RowParams p{a.output, a.masked_safe};
    if (a.rows == 1 && (a.threads == 1 || a.cols < kMinParallelElements)) return v.row(a.x, a.y, a.cols, p);
    many_rows(chosen, v, split, a, p);
}

// auto's pick for the last call on this thread: a call with the same bound (the auto entry's),
// row length, thread count and output gets the same variant from select_variant (its picks
// depend on nothing else that can change within a process: the tuning file and
// SOFTMAXBENCH_FORCE_ISA are read once), so repeating it costs four compares instead of
// select_variant's memo lookup.
struct LastAutoPick {
    double bound;
    std::size_t cols;
    int threads;
    Output output;
    const Variant* pick;
};
thread_local LastAutoPick t_last_auto{0, 0, 0, Output::softmax, nullptr};

[[gnu::noinline]] const Variant& pick_auto(const Variant& chosen, const BatchArgs& a) {
    const Variant& v = select_variant(a.cols, a.threads, a.output, chosen.max_ulp);
    t_last_auto = {chosen.max_ulp, a.cols, a.threads, a.output, &v};
    return v;
}

// The whole call: the checks, auto's pick (once for the whole call, so its pick can also split
// a long row), then the rows.
inline void batch(const Variant& chosen, const RowSplit* split, const BatchArgs& a) {
    validate(chosen, a, a.ld_x ? a.ld_x : a.cols, a.ld_y ? a.ld_y : a.cols);
    if (a.rows == 0 || a.cols == 0) return;
    if (chosen.algorithm != Algorithm::auto_pick) return run(chosen, chosen, split, a);
    const LastAutoPick& last = t_last_auto;
    const bool same = last.bound == chosen.max_ulp && last.cols == a.cols && last.threads == a.threads &&
                      last.output == a.output;
    run(chosen, same ? *last.pick : pick_auto(chosen, a), split, a);
}

}  // namespace

void softmax_batch(const Variant& v, const BatchArgs& a) { batch(v, nullptr, a); }

// Merges the slices' partial states (see RowSplit in detail/split.hpp); also the bf16 batch
// call's (src/core/batch_bf16.cpp).
SplitState detail::merge_split_states(const SplitState* parts, int count, RowSplit::Base base) {
    const std::span<const SplitState> all(parts, std::size_t(count));
    SplitState t;
    t.m = -std::numeric_limits<float>::infinity();
    for (const SplitState& s : all) {
        t.nan = t.nan || s.nan || std::isnan(s.m);
        if (s.m > t.m) t.m = s.m;
    }
    if (t.nan || !std::isfinite(t.m)) return t;
    for (const SplitState& s : all) {
        if (s.m == -std::numeric_limits<float>::infinity()) continue;  // nothing finite in it
        if (base == RowSplit::Base::pow2) {
            t.d += s.d * std::exp2(double(s.m) - double(t.m));
        } else if (s.m == t.m) {
            t.d += s.d;
            t.c += s.c;
        } else {
            t.d += (s.d + s.c) * std::exp(double(s.m) - double(t.m));
        }
    }
    t.nan = std::isnan(t.d);
    return t;
}

void detail::softmax_batch_split(const Variant& chosen, const RowSplit* split, const BatchArgs& a) {
    batch(chosen, split, a);
}

}  // namespace smb
