// MPFR reference for one row of cross-entropy with logits (variants of op cross_entropy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxbench/softmax.hpp"

namespace smb::ref {

// The exact values (at precision_bits, from the float inputs) of
//   loss   = sum_j q_j (lse(x) - x_j),  q = (1 - eps) onehot(t) + eps / n
//   grad_j = (p_j - q_j) * scale,       p = softmax(x)
// each rounded to double, with the binade floor(log2 |v|) of the exact value (0 for 0, NaN,
// +-inf; for ref::ulp_error). p and q rounded to double, for the gradient bounds.
// Special rows: NaN or +inf anywhere, or every entry -inf: loss and gradient NaN. Otherwise a
// -inf logit has p = 0 (and makes the loss +inf if q is not 0 there).
struct CrossEntropyReference {
    double loss = 0;
    int loss_binade = 0;
    std::vector<double> grad, p, q;
    std::vector<int> grad_binade;
};
CrossEntropyReference cross_entropy_reference(std::span<const float> x, std::size_t target, double eps,
                                              double scale, int precision_bits = 128);

// The rows the cross-entropy accuracy sweep scores (`softmaxbench accuracy`, peer_accuracy), in
// order: per distribution and size n <= max_n, make_row(distribution, n, 42) with the target at
// the row's argmax, at another index, and at another index with label smoothing 0.1; then per
// size the "dominant_target" row: target n / 2 at 0, the rest near -L with sum exp = 2^-40
// (p_t = 1 - 2^-40: where a float pipeline's loss is 0).
struct CrossEntropyCase {
    std::string dist;
    std::size_t n = 0, t = 0;
    const char* target = "";  // "argmax" or "other"
    float eps = 0.0f;
    std::vector<float> x;
};
std::vector<CrossEntropyCase> cross_entropy_cases(std::span<const std::string_view> dists,
                                                  std::span<const std::size_t> sizes, std::size_t max_n);

// One row of a cross_entropy variant against its reference and its documented bounds
// (variants/list.inc): the loss within max_ulp (ce_log_softmax with eps = 0: its log_softmax's
// bound), the gradient within k 2^-24 (p_j w_j + q_j) |scale| (accurate tiers: 0.5 ULP +
// 2^-40 (p + q) |scale|), plus n 2^-125 |scale| for a fast tier's flushed exps; the loss alone
// (grad null) must equal the loss with the gradient. in_place: the gradient over a copy of x.
struct CrossEntropyCheck {
    std::string failure;    // empty: within every bound
    double loss_ulp = 0;    // ULP error of the float loss
    double grad_ratio = 0;  // max over j of |g_j - exact| / its bound (<= 1: within)
    // bf16 gradients only, over the normal band (|exact| >= 2^-126): the max bf16 ULP error,
    // how many outputs there were and how many equal the exact value rounded to bf16.
    double grad_ulp = 0;
    std::size_t grad_outputs = 0, grad_correct = 0;
};
CrossEntropyCheck check_cross_entropy(const Variant& v, std::span<const float> x, std::size_t target, float eps,
                                      float scale, const CrossEntropyReference& r, bool in_place = false);
// The same checks on outputs already computed (e.g. by the batch call): the loss (as returned, or
// its float), the gradient as doubles from float32 (grad_bits 24) or bf16 (8) outputs.
CrossEntropyCheck check_cross_entropy_outputs(const Variant& v, std::size_t target, float eps, float scale,
                                              const CrossEntropyReference& r, double loss,
                                              const std::vector<double>& grad, int grad_bits);
// The same for a variant of dtype bf16 (bf16 gradient; in_place: over a copy of x) or bf16_f32
// (float32 gradient), on bf16 logits x; r is the reference of x widened to float (exact).
CrossEntropyCheck check_cross_entropy_bf16(const Variant& v, std::span<const std::uint16_t> x, std::size_t target,
                                           float eps, float scale, const CrossEntropyReference& r,
                                           bool in_place = false);

}  // namespace smb::ref
