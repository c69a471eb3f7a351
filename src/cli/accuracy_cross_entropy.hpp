// The cross-entropy part of `softmaxbench accuracy` (src/cli/accuracy_cross_entropy.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxbench/softmax.hpp"

namespace smb::cli {

// The sweep's rows are capped at this length (the reference keeps every exp in MPFR).
inline constexpr std::size_t kCrossEntropyMaxSize = 65537;

struct CrossEntropySweep {
    std::string csv;  // variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,
                      // max_ulp,grad_ratio,grad_k,status,detail,dtype,grad_bf16_ulp,grad_bf16_correct
                      // (grad_ratio <= 1: within bound; the last two for a bf16 gradient: its worst
                      // bf16 ULP error and correctly rounded / outputs, normal band)
    std::size_t cases = 0, failed = 0;
};
CrossEntropySweep cross_entropy_sweep(const std::vector<const Variant*>& variants,
                                      const std::vector<std::string_view>& dists, const std::vector<std::size_t>& sizes,
                                      int threads);

}  // namespace smb::cli
