// Cross-entropy with logits over a batch: the loss (per row, mean or sum) and, optionally, its
// gradient with respect to the logits, with a variant of op cross_entropy (variants/list.inc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "softmaxbench/softmax.hpp"

namespace smb {

enum class Reduction { none, mean, sum };
enum class TargetType { i64, i32 };
std::string_view to_string(Reduction r);
bool parse_reduction(std::string_view s, Reduction& out);

struct CrossEntropyArgs {
    const float* x = nullptr;         // logits, rows x cols, row stride ldx (0: cols)
    std::size_t rows = 0, cols = 0, ldx = 0;
    const void* targets = nullptr;    // rows class indices, int64 or int32 (target_type)
    TargetType target_type = TargetType::i64;
    // The loss: rows floats with Reduction::none (an ignored row gets 0), else one float.
    float* loss = nullptr;
    // The gradient of the loss (its reduction included) w.r.t. the logits, rows x cols, row
    // stride ldg (0: cols); null: loss only. May be x itself (in place, with ldg == ldx).
    float* grad = nullptr;
    std::size_t ldg = 0;
    Reduction reduction = Reduction::mean;
    std::int64_t ignore_index = -100;  // rows with this target: no loss, zero gradient
    float label_smoothing = 0.0f;      // eps in [0, 1]: target (1 - eps) onehot + eps / cols
    int threads = 1;                   // threads take whole rows
    // bf16 logits (variants of dtype bf16 and bf16_f32; x stays null): rows x cols bf16 bits,
    // stride ldx. Dtype bf16_f32 writes the gradient to grad (float32); dtype bf16 to grad_bf16
    // (bf16 bits, stride ldg; may be x_bf16 itself, in place, with ldg == ldx), grad stays null.
    const std::uint16_t* x_bf16 = nullptr;
    std::uint16_t* grad_bf16 = nullptr;
};

// The loss of row r is lse(x_r) - sum_j q_j x_rj. The gradient is (softmax(x_r) - q) * scale,
// scale = 1 with none and sum, 1 / (rows not ignored) with mean (rounded to float); ignored
// rows get a zero gradient. With mean and every row ignored the loss is NaN (0 / 0, as PyTorch)
// and the gradient is zero. Throws std::invalid_argument on bad arguments (a variant of another
// op, a target out of [0, cols) other than ignore_index, naming the row; cols == 0 with rows;
// eps outside [0, 1]; null pointers; strides below cols; threads < 1; the logits or gradient
// pointer of another dtype than the variant's) before writing anything, and std::runtime_error
// when the variant is not available on this CPU.
void cross_entropy_batch(const Variant& v, const CrossEntropyArgs& a);

}  // namespace smb
