// softmaxbench run --op cross_entropy (src/cli/cross_entropy.cpp); main.cpp parses the options.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace smb::cli {

struct CrossEntropyRunOptions {
    std::string variant;
    std::string targets;             // .npy of int64 or int32 class indices, one per row
    std::string reduction = "mean";  // none | mean | sum
    float label_smoothing = 0.0f;
    std::int64_t ignore_index = -100;
    int threads = 1;
    std::string input, loss, grad;   // grad empty: loss only
    bool bf16 = false;               // --dtype bf16: input holds bf16 bits, a .bf16 or .bf16_f32 variant
};

// A mistake in how the tool was called (main.cpp reports it with exit status 2).
struct CrossEntropyUsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

extern const char* const kCrossEntropyRunDetails;  // --help text
int cmd_run_cross_entropy(const CrossEntropyRunOptions& opt);

}  // namespace smb::cli
