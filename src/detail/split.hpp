// Splitting one long row across threads (internal: the batch call and the kernels' split forms;
// the public header names none of it: a Variant says only its SplitForm, and split_of finds the
// plumbing behind it).
// Each thread reduces its slice to a partial state, the partials are merged, then each thread
// writes its slice from the merged state.
//   exp base:  sum over the slice of exp(x - m) = d + c, where c counts the entries equal
//              to m and d holds the rest: (m_a,d_a,c_a) (+) (m_b,d_b,c_b) = (M, ...) with
//              the smaller side rescaled by exp(m_i - M) (Milakov & Gimelshein's merge).
//   base 2:    sum over the slice of exp(x) = d * 2^m (Dukhan & Ablavatski's (S, N) pairs).
#pragma once
#include <cstddef>
#include <cstdint>

#include "softmaxbench/softmax.hpp"

namespace smb {

struct SplitState {
    float m = 0;
    double d = 0, c = 0;
    bool nan = false;  // the slice holds a NaN (or, base 2, +inf)
};

struct RowSplit {
    enum class Base { exp, pow2 } base;
    // One-pass form (online, two_pass): reduce every slice, merge, write.
    void (*reduce)(const float* x, std::size_t n, RowParams p, SplitState* out);
    // Max-first form (max_shifted, log_sum_exp), used when slice_max is set: the row max is
    // merged from slice_max first (a NaN it drops resurfaces in the merged sum); then reduce_at
    // gives each slice's (d, c) relative to that max, and may store into its slice of y what
    // write needs (max_shifted: the exps).
    float (*slice_max)(const float* x, std::size_t n);
    void (*reduce_at)(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out);
    // Writes y[0, n) for a slice from the merged state (never special: the caller handles that).
    void (*write)(const float* x, float* y, std::size_t n, RowParams p, const SplitState& total);
    // When set, log_softmax rows split this way instead (guarded: max_shifted's split).
    const RowSplit* log_split = nullptr;
    // When set, rows of at least long_from elements split this way instead (guarded: the
    // one-pass form past the caches, the max-first store form below).
    const RowSplit* long_split = nullptr;
    std::size_t long_from = 0;
};

// The forward on bf16 logits (dtypes bf16, bf16_f32), for one row cut across threads: the
// one-pass form only, base 2 (as RowSplit's, Base::pow2): reduce gives each slice's (m, d) with
// sum over the slice of exp(x) = d 2^m, or nan when the slice is one the form cannot take (NaN,
// +inf, no finite entry, logits past its range): the batch call then gives the whole row to the
// row function, whose special values and fallbacks are the row's. The merged state (every slice
// taken, d >= 1) goes to the write of the output dtype. softmax only: log_softmax rows are whole.
struct Bf16RowSplit {
    void (*reduce)(const std::uint16_t* x, std::size_t n, RowParams p, SplitState* out);
    void (*write_bf16)(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p, const SplitState& total);
    void (*write_f32)(const std::uint16_t* x, float* y, std::size_t n, RowParams p, const SplitState& total);
};

// A variant's rows form: whole rows given to it a block at a time (each thread's block, in the
// batch call's row-parallel path) instead of one row function call per row, so that it can
// interleave short rows (guarded: simd/guarded.hpp, guarded_rows). Row r is x + r ldx -> y + r ldy;
// the bits are the row function's on each row. One pointer is set, the variant dtype's.
template <class Tx, class Ty>
using RowsFn = void (*)(const Tx* x, std::size_t ldx, Ty* y, std::size_t ldy, std::size_t rows, std::size_t n, RowParams p);
struct RowsForm {
    RowsFn<float, float> f32 = nullptr;
    RowsFn<std::uint16_t, std::uint16_t> bf16 = nullptr;
    RowsFn<std::uint16_t, float> bf16_f32 = nullptr;
    constexpr RowsForm() = default;
    constexpr explicit RowsForm(RowsFn<float, float> f) : f32(f) {}
    constexpr explicit RowsForm(RowsFn<std::uint16_t, std::uint16_t> f) : bf16(f) {}
    constexpr explicit RowsForm(RowsFn<std::uint16_t, float> f) : bf16_f32(f) {}
    constexpr RowsFn<float, float> get(const float*, const float*) const { return f32; }
    constexpr RowsFn<std::uint16_t, std::uint16_t> get(const std::uint16_t*, const std::uint16_t*) const { return bf16; }
    constexpr RowsFn<std::uint16_t, float> get(const std::uint16_t*, const float*) const { return bf16_f32; }
};

// The backward's two passes (op backward), for one row cut across threads: the sum over a slice
// (softmax: <y, dy>; log_softmax: sum dy) in double, and the write of a slice given the row's sum.
// The row function is write(reduce(row)), so a row cut in one piece gives its bits.
struct BackwardSplit {
    double (*reduce)(const float* y, const float* dy, std::size_t n, RowParams p);
    void (*write)(const float* y, const float* dy, float* dx, std::size_t n, RowParams p, double s);
};

// Cross-entropy's passes (op cross_entropy, the fused form), for one row cut across threads; x
// and grad point at the row's elements of the variant's dtype (float or bf16 bits). Each slice
// is reduced to (max over its entries but the target, sum of exp(x - max)); stats merges the
// slices (the online merge, in double) with the target's logit into the row's state; each slice
// writes its gradient from it (returning sum (m - x_j) over the slice, for label smoothing, or
// gap computes that without a gradient); finish writes the target's gradient and returns the loss.
struct CeSliceState {
    float m = 0;
    double d = 0;
    bool nan = false;
};
struct CeRowState {
    float m = 0, xt = 0;  // the row max; the target's logit (read before any gradient is written)
    double s = 0, log_s = 0, p_t_m1 = 0;
    bool nan = false;
};
struct CrossEntropySplit {
    CeSliceState (*reduce)(const void* x, std::size_t n, std::size_t skip);
    CeRowState (*stats)(const CeSliceState* parts, int count, const void* x, std::size_t t);
    double (*write)(const void* x, void* grad, std::size_t n, const CeRowState& st, std::size_t row_n,
                    const CrossEntropyRowParams& p);
    double (*gap)(const void* x, std::size_t n, float m);
    double (*finish)(const CeRowState& st, std::size_t t, void* grad, std::size_t n, double gap,
                     const CrossEntropyRowParams& p);
};

namespace detail {
// The cross-entropy split of a registry variant of op cross_entropy (nullptr: none, e.g. the
// unfused baselines and the scalar forms).
const CrossEntropySplit* cross_entropy_split_of(const Variant& v);
// The backward split of a registry backward variant (nullptr for others).
const BackwardSplit* backward_split_of(const Variant& v);
// The bf16 forward split of a registry variant of dtype bf16 or bf16_f32 (nullptr: none).
const Bf16RowSplit* bf16_split_of(const Variant& v);
// The rows form of a registry variant (nullptr: it has none, and the batch call runs its row
// function row by row; a copy of a variant finds its entry by its row function, as split_of).
const RowsForm* rows_form_of(const Variant& v);
// Merges slices' partial states (RowSplit::Base: exp, the online merge; pow2, the (S, N) pairs).
SplitState merge_split_states(const SplitState* parts, int count, RowSplit::Base base);
// The split plumbing of a registry variant (variants/registry.cpp builds the table from the same
// list rows as the variants): nullptr when its split form is none, for the auto entries, and for
// a Variant that is not one of the registry's (a copy of one finds its entry by its row function).
const RowSplit* split_of(const Variant& v);
// The batch call with the given split plumbing instead of split_of(v) (nullptr: split_of(v)).
// The tests use it to run a split's long-row form (RowSplit::long_split) on rows shorter than
// RowSplit::long_from. softmax_batch(v, a) is softmax_batch_split(v, nullptr, a).
void softmax_batch_split(const Variant& v, const RowSplit* split, const BatchArgs& a);
// Whether a batch cuts its rows across threads: fewer rows than threads, each of at least
// min_cols (the forward: tuning::min_split_cols(); the backward and cross-entropy, whose
// threshold is not tuned: layout::kMinSplitCols), and the variant has a split form.
inline bool splits_rows(bool has_split, std::size_t rows, std::size_t cols, int threads, std::size_t min_cols) {
    return has_split && threads > 1 && rows < std::size_t(threads) && cols >= min_cols;
}
}  // namespace detail

}  // namespace smb
