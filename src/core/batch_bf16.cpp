// The batch call for the bf16 dtypes (softmax.hpp: Bf16BatchArgs): rows x cols of bf16 logits,
// outputs in bf16 or float32. Threads take contiguous blocks of whole rows (schedule(static)),
// so those results are bit-identical for any thread count. With fewer rows than threads, a row
// of at least layout::kBf16MinSplitCols elements is cut across them when the variant has a split
// (detail::bf16_split_of: guarded's rows, softmax; Bf16RowSplit in detail/split.hpp): each
// thread reduces its slice, the slices are merged (detail::merge_split_states, base 2, as the
// f32 one-pass forms), each thread writes its slice. A split row is within the variant's bounds
// but its bits depend on the thread count (the slices' anchors and sums).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/shape.hpp"
#include "detail/rows.hpp"
#include "detail/split.hpp"
#include "layout.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

// Throws on bad arguments; otherwise returns whether the call is in place (x == y, same strides).
bool validate(const Variant& v, const Bf16BatchArgs& a, std::size_t ldx, std::size_t ldy) {
    if (v.op != Op::forward)
        throw std::invalid_argument("variant '" + std::string(v.name) + "' computes " + std::string(to_string(v.op)) +
                                    ", not softmax or log_softmax");
    if (v.dtype == Dtype::f32)
        throw std::invalid_argument("variant '" + std::string(v.name) + "' takes float32 logits, not bf16");
    const bool to_bf16 = v.dtype == Dtype::bf16;
    if (to_bf16 ? a.y_f32 != nullptr : a.y != nullptr)
        throw std::invalid_argument("variant '" + std::string(v.name) + "' writes " +
                                    (to_bf16 ? "bf16 (y), not float32 (y_f32)" : "float32 (y_f32), not bf16 (y)"));
    if (a.threads < 1) throw std::invalid_argument("threads must be >= 1");
    if (a.rows == 0 || a.cols == 0) return false;
    const void* y = to_bf16 ? static_cast<const void*>(a.y) : static_cast<const void*>(a.y_f32);
    if (a.x == nullptr || y == nullptr) throw std::invalid_argument("null x or y with a non-empty shape");
    if (ldx < a.cols || ldy < a.cols)
        throw std::invalid_argument("row stride (" + std::to_string(ldx < a.cols ? ldx : ldy) +
                                    ") is smaller than cols (" + std::to_string(a.cols) + ")");
    const std::size_t ysize = to_bf16 ? sizeof(std::uint16_t) : sizeof(float);
    // Both extents in float-sized elements: a bound that covers the bf16 input and either output.
    const auto span = [&](std::size_t ld) {
        std::size_t n;
        if (!detail::span_elements<sizeof(float)>(a.rows, a.cols, ld, n)) throw std::invalid_argument("shape overflows size_t");
        return n;
    };
    const auto xb = reinterpret_cast<std::uintptr_t>(a.x);
    const auto yb = reinterpret_cast<std::uintptr_t>(y);
    const std::uintptr_t xe = xb + span(ldx) * sizeof(std::uint16_t);
    const std::uintptr_t ye = yb + span(ldy) * ysize;
    const bool in_place = to_bf16 && xb == yb && ldx == ldy;
    if (!in_place && xb < ye && yb < xe)
        throw std::invalid_argument(to_bf16 ? "x and y overlap without being the same rows (in place needs x == y and equal strides)"
                                            : "x and y_f32 overlap (bf16 -> float32 cannot run in place)");
    if (!available(v)) throw std::runtime_error(unavailable_reason(v));
    return in_place;
}

void write_slice(const Bf16RowSplit& sp, const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p,
                 const SplitState& t) {
    sp.write_bf16(x, y, n, p, t);
}
void write_slice(const Bf16RowSplit& sp, const std::uint16_t* x, float* y, std::size_t n, RowParams p,
                 const SplitState& t) {
    sp.write_f32(x, y, n, p, t);
}

// Each row cut across the threads: reduce the slices, merge, write them; a row the split cannot
// take (a slice reported nan, or the merged sum is not >= 1) is written whole by the row
// function on one thread.
template <class Ty, class Fn>
void split_rows(Fn row, const Bf16RowSplit& sp, const Bf16BatchArgs& a, Ty* y, std::size_t ldx, std::size_t ldy,
                RowParams p) {
    std::vector<SplitState> parts(static_cast<std::size_t>(a.threads));
    SplitState total;
    bool whole = false;
#pragma omp parallel num_threads(a.threads)
    {
        const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
        const auto [b, e] = layout::split_slice(a.cols, nt, tid);
        for (std::size_t r = 0; r < a.rows; ++r) {
            const std::uint16_t* xr = a.x + r * ldx;
            Ty* yr = y + r * ldy;
            SplitState& mine = parts[std::size_t(tid)];
            mine = SplitState{};
            mine.m = -std::numeric_limits<float>::infinity();  // an empty slice: nothing to merge
            if (e > b) sp.reduce(xr + b, e - b, p, &mine);
#pragma omp barrier
#pragma omp single
            {
                total = detail::merge_split_states(parts.data(), nt, RowSplit::Base::pow2);
                whole = total.nan || !(total.d >= 1.0);
                if (whole) row(xr, yr, a.cols, p);
            }
            // The single's implicit barrier: everyone sees total and whole.
            if (!whole && e > b) write_slice(sp, xr + b, yr + b, e - b, p, total);
#pragma omp barrier
        }
    }
}

template <class Ty, class Fn>
void run(const Variant& v, Fn row, const Bf16BatchArgs& a, Ty* y, std::size_t ldx, std::size_t ldy, bool in_place) {
    // Many long rows whose outputs add up past the caches: their write passes may stream
    // (layout.hpp: kStreamCallFromBytes, kStreamCallMinRowBytes). Not in place: there y's lines
    // were just read, and streaming them out measured 0.5-0.8x (passes.hpp, map_row_stream).
    const bool past_caches = !in_place && a.rows * a.cols * sizeof(Ty) >= layout::kStreamCallFromBytes &&
                             a.cols * sizeof(Ty) >= layout::kStreamCallMinRowBytes;
    const RowParams p{a.output, a.masked_safe, past_caches};
    // One row that no thread would share: the row function itself, as the f32 batch call does
    // (the rows form has nothing to group there; through it 1x64 ran 1.26x slower on the Xeon).
    if (a.rows == 1 && (a.threads == 1 || a.cols < layout::kMinParallelElements)) return row(a.x, y, a.cols, p);
    if (a.threads > 1 && a.output == Output::softmax)
        if (const Bf16RowSplit* sp = detail::bf16_split_of(v);
            detail::splits_rows(sp != nullptr, a.rows, a.cols, a.threads, layout::kBf16MinSplitCols))
            return split_rows(row, *sp, a, y, ldx, ldy, p);
    const bool one_thread = a.threads == 1 || a.rows == 1 || a.rows * a.cols < layout::kMinParallelElements;
    const int threads = one_thread ? 1 : int(std::min<std::size_t>(std::size_t(a.threads), a.rows));
    detail::run_rows(detail::rows_fn_of(v, a.x, y), row, a.x, ldx, y, ldy, a.rows, a.cols, p, threads);
}

}  // namespace

void softmax_batch(const Variant& v, const Bf16BatchArgs& a) {
    const std::size_t ldx = a.ld_x ? a.ld_x : a.cols;
    const std::size_t ldy = a.ld_y ? a.ld_y : a.cols;
    const bool in_place = validate(v, a, ldx, ldy);
    if (a.rows == 0 || a.cols == 0) return;
    if (v.dtype == Dtype::bf16) run(v, v.row_bf16, a, a.y, ldx, ldy, in_place);
    else run(v, v.row_bf16_f32, a, a.y_f32, ldx, ldy, false);
}

namespace detail {
// The scratch of variants/simd/guarded_bf16.hpp: one buffer per thread, grown to the longest row
// asked for (at most kBf16ScratchMax floats), freed when the thread exits.
float* bf16_scratch(std::size_t n) noexcept {
    struct Free {
        void operator()(float* p) const { std::free(p); }
    };
    thread_local std::unique_ptr<float, Free> buf;
    thread_local std::size_t cap = 0;
    if (n > cap) {
        const std::size_t want = std::max<std::size_t>((n + 15) / 16 * 16, 1024);
        void* p = std::aligned_alloc(64, want * sizeof(float));
        if (p == nullptr) return nullptr;  // the caller recomputes instead
        buf.reset(static_cast<float*>(p));
        cap = want;
    }
    return buf.get();
}
}  // namespace detail

}  // namespace smb
