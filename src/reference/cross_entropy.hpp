// MPFR reference for one row of cross-entropy with logits (variants of op cross_entropy).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

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

}  // namespace smb::ref
