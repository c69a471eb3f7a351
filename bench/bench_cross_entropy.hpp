// The cross-entropy entries of softmax_bench (bench/bench_cross_entropy.cpp).
#pragma once

#include <set>
#include <string>

namespace smb::bench {

// Registers <impl>:cross_entropy (loss + gradient) and <impl>:cross_entropy_loss (loss only)
// entries on the shapes: every ISA's variants of op cross_entropy (only the dispatch
// ISA's and scalar with best_isa_only), PyTorch (autograd and the ATen op sequence) and memcpy.
// headline_only: a short set (4096x128, 32x32000 at 1 and 2 threads, 8x128256 and 1x16M at 1
// thread; the fused and unfused forms and the peers).
// Returns the thread counts used. `input` is the distribution of the logits (--smb_input).
// f32: the float32 entries; bf16: the bf16-logit ones (<variant>.bf16 / .bf16_f32 and the
// peers' .bf16 names; --smb_dtype=bf16 or all).
std::set<int> register_cross_entropy(bool headline_only, bool best_isa_only, const std::string& input, bool f32 = true,
                                     bool bf16 = false);

}  // namespace smb::bench
