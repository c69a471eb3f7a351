// The cross-entropy batch call: validate everything, then one row function call per row not
// ignored, threads over whole rows (OpenMP, schedule(static)); per-row losses are kept in
// double and reduced in row order, so the result is bit-identical for any thread count. A long
// row with fewer rows than threads is split across them (split_rows, below; the fused form's
// SIMD variants): deterministic for a thread count, within the same bounds.
#include "softmaxbench/cross_entropy.hpp"

#include "detail/split.hpp"
#include "layout.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace smb {

std::string_view to_string(Reduction r) {
    switch (r) {
        case Reduction::none: return "none";
        case Reduction::mean: return "mean";
        case Reduction::sum: return "sum";
    }
    return "?";
}

bool parse_reduction(std::string_view s, Reduction& out) {
    for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum})
        if (s == to_string(r)) {
            out = r;
            return true;
        }
    return false;
}

namespace {

std::int64_t target_of(const CrossEntropyArgs& a, std::size_t r) {
    return a.target_type == TargetType::i64 ? static_cast<const std::int64_t*>(a.targets)[r]
                                            : std::int64_t(static_cast<const std::int32_t*>(a.targets)[r]);
}

void validate(const Variant& v, const CrossEntropyArgs& a, std::size_t ldx, std::size_t ldg) {
    const bool has_fn = v.dtype == Dtype::f32 ? v.cross_entropy != nullptr
                        : v.dtype == Dtype::bf16 ? v.cross_entropy_bf16 != nullptr
                                                 : v.cross_entropy_bf16_f32 != nullptr;
    if (v.op != Op::cross_entropy || !has_fn)
        throw std::invalid_argument("variant '" + std::string(v.name) + "' computes " + std::string(to_string(v.op)) +
                                    ", not cross_entropy");
    // The logits and gradient pointers of the variant's dtype, and none of the other's.
    const std::string dt = "variant '" + std::string(v.name) + "' (dtype " + std::string(to_string(v.dtype)) + ") ";
    if (v.dtype == Dtype::f32) {
        if (a.x_bf16 || a.grad_bf16) throw std::invalid_argument(dt + "takes float32 logits (x), not bf16");
    } else {
        if (a.x) throw std::invalid_argument(dt + "takes bf16 logits (x_bf16), not float32");
        if (v.dtype == Dtype::bf16 && a.grad) throw std::invalid_argument(dt + "writes a bf16 gradient (grad_bf16)");
        if (v.dtype == Dtype::bf16_f32 && a.grad_bf16)
            throw std::invalid_argument(dt + "writes a float32 gradient (grad)");
    }
    if (a.threads < 1) throw std::invalid_argument("threads must be >= 1");
    if (!(a.label_smoothing >= 0.0f && a.label_smoothing <= 1.0f))
        throw std::invalid_argument("label smoothing must be in [0, 1]");
    if (a.loss == nullptr) throw std::invalid_argument("null loss");
    if (a.rows == 0) return;
    if (a.cols == 0) throw std::invalid_argument("cross_entropy needs at least one class (cols == 0)");
    if ((a.x == nullptr && a.x_bf16 == nullptr) || a.targets == nullptr)
        throw std::invalid_argument("null logits or targets");
    const bool has_grad = a.grad || a.grad_bf16;
    if (ldx < a.cols || (has_grad && ldg < a.cols)) throw std::invalid_argument("row stride smaller than cols");
    if (((a.grad && a.grad == a.x) || (a.grad_bf16 && a.grad_bf16 == a.x_bf16)) && ldg != ldx)
        throw std::invalid_argument("in place needs the same row stride");
    for (std::size_t r = 0; r < a.rows; ++r) {
        const std::int64_t t = target_of(a, r);
        if (t == a.ignore_index) continue;
        if (t < 0 || std::uint64_t(t) >= a.cols)
            throw std::invalid_argument("target " + std::to_string(t) + " of row " + std::to_string(r) +
                                        " is out of range [0, " + std::to_string(a.cols) + ") and is not the ignore_index " +
                                        std::to_string(a.ignore_index));
    }
}

void reduce_losses(const CrossEntropyArgs& a, const std::vector<double>& losses, std::size_t counted) {
    if (a.reduction == Reduction::none) {
        for (std::size_t r = 0; r < a.rows; ++r) a.loss[r] = float(losses[r]);
        return;
    }
    double s = 0;
    for (double l : losses) s += l;
    a.loss[0] = float(a.reduction == Reduction::sum ? s : s / double(counted));  // 0 / 0: NaN
}

// Fewer rows than threads, each of at least layout::kMinSplitCols (the forward's split
// threshold): each row is cut in `threads` slices (layout::split_slice); each thread reduces its
// slice (its max without the target, and the sum of exp relative to it), the slices are merged
// in slice order (the online merge, in double) into the row's state, each thread writes its
// slice of the gradient, and the target's gradient and the loss come last. Every slice is
// reduced before any is written, so the gradient may be written over the logits.
void split_rows(const Variant& v, const CrossEntropySplit& split, const CrossEntropyArgs& a, std::size_t ldx,
                std::size_t ldg, const CrossEntropyRowParams& p, std::vector<double>& losses) {
    const int parts = a.threads;
    const std::size_t xsize = v.dtype == Dtype::f32 ? sizeof(float) : sizeof(std::uint16_t);
    const std::size_t gsize = v.dtype == Dtype::bf16 ? sizeof(std::uint16_t) : sizeof(float);
    const char* xbase = v.dtype == Dtype::f32 ? reinterpret_cast<const char*>(a.x) : reinterpret_cast<const char*>(a.x_bf16);
    char* gbase = a.grad ? reinterpret_cast<char*>(a.grad) : reinterpret_cast<char*>(a.grad_bf16);
    std::vector<CeSliceState> slices(static_cast<std::size_t>(parts));
    std::vector<double> gaps(std::size_t(parts), 0.0);
    for (std::size_t r = 0; r < a.rows; ++r) {
        const std::int64_t t64 = target_of(a, r);
        const char* x = xbase + r * ldx * xsize;
        char* g = gbase ? gbase + r * ldg * gsize : nullptr;
        if (t64 == a.ignore_index) {
            if (g) std::fill(g, g + a.cols * gsize, char(0));  // +0 in float and bf16
            continue;
        }
        const std::size_t t = std::size_t(t64);
        CeRowState st;
#pragma omp parallel num_threads(parts)
        {
#pragma omp for schedule(static)
            for (int k = 0; k < parts; ++k) {
                const auto [b, e] = layout::split_slice(a.cols, parts, k);
                slices[std::size_t(k)] = split.reduce(x + b * xsize, e - b, t >= b && t < e ? t - b : e - b);
            }
#pragma omp single
            st = split.stats(slices.data(), parts, x, t);
#pragma omp for schedule(static)
            for (int k = 0; k < parts; ++k) {
                const auto [b, e] = layout::split_slice(a.cols, parts, k);
                double gap = 0;
                if (g) gap = split.write(x + b * xsize, g + b * gsize, e - b, st, a.cols, p);
                else if (p.label_smoothing > 0 && !st.nan) gap = split.gap(x + b * xsize, e - b, st.m);
                gaps[std::size_t(k)] = gap;
            }
        }
        double gap = 0;
        for (double q : gaps) gap += q;  // slice order
        losses[r] = split.finish(st, t, g, a.cols, gap, p);
    }
}

}  // namespace

void cross_entropy_batch(const Variant& v, const CrossEntropyArgs& a) {
    const std::size_t ldx = a.ldx ? a.ldx : a.cols, ldg = a.ldg ? a.ldg : a.cols;
    validate(v, a, ldx, ldg);
    if (!isa_available(v.isa))
        throw std::runtime_error("variant '" + std::string(v.name) + "' needs " + std::string(to_string(v.isa)) +
                                 ", not available on this CPU");
    if (a.rows == 0) {
        if (a.reduction == Reduction::mean) a.loss[0] = std::numeric_limits<float>::quiet_NaN();
        else if (a.reduction == Reduction::sum) a.loss[0] = 0.0f;
        return;
    }
    std::size_t counted = 0;
    for (std::size_t r = 0; r < a.rows; ++r) counted += target_of(a, r) != a.ignore_index;
    CrossEntropyRowParams p;
    p.label_smoothing = a.label_smoothing;
    p.grad_scale = a.reduction == Reduction::mean ? (counted ? float(1.0 / double(counted)) : 0.0f) : 1.0f;

    std::vector<double> losses(a.rows, 0.0);
    const CrossEntropySplit* split = detail::cross_entropy_split_of(v);
    if (detail::splits_rows(split != nullptr, a.rows, a.cols, a.threads, layout::kMinSplitCols)) {
        split_rows(v, *split, a, ldx, ldg, p, losses);
        reduce_losses(a, losses, counted);
        return;
    }
    const int threads = int(std::min<std::size_t>(std::size_t(a.threads), a.rows));
    // One row by dtype: the ignored rows get a zero gradient (bf16 +0 is 0x0000).
    const auto row = [&](std::size_t r) {
        const std::int64_t t = target_of(a, r);
        float* g = a.grad ? a.grad + r * ldg : nullptr;
        std::uint16_t* g16 = a.grad_bf16 ? a.grad_bf16 + r * ldg : nullptr;
        if (t == a.ignore_index) {
            if (g) std::fill(g, g + a.cols, 0.0f);
            if (g16) std::fill(g16, g16 + a.cols, std::uint16_t(0));
            return;
        }
        switch (v.dtype) {
            case Dtype::f32: losses[r] = v.cross_entropy(a.x + r * ldx, std::size_t(t), g, a.cols, p); break;
            case Dtype::bf16: losses[r] = v.cross_entropy_bf16(a.x_bf16 + r * ldx, std::size_t(t), g16, a.cols, p); break;
            case Dtype::bf16_f32:
                losses[r] = v.cross_entropy_bf16_f32(a.x_bf16 + r * ldx, std::size_t(t), g, a.cols, p);
                break;
        }
    };
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::size_t r = 0; r < a.rows; ++r) row(r);
    reduce_losses(a, losses, counted);
}

}  // namespace smb
