// The bf16 entries of softmax_bench (--smb_dtype=bf16 or all): our .bf16 and .bf16_f32 variants
// and the bf16 peers (bench/peers/peer_bf16.hpp), on bf16 logits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "softmaxbench/softmax.hpp"

namespace smb::bench {

struct Bf16Shape {
    std::size_t rows, cols;
    std::vector<int> threads;
    bool log;  // log_softmax entries too (headline shapes)
};

struct Bf16Options {
    bool best_isa_only = false;  // --smb_filter_isa=best
    std::string input;           // distribution of smb::ref::make_row
    std::uint64_t seed = 0;      // row r: make_row(input, cols, seed + r), rounded to bf16
    std::size_t llc_bytes = 0;   // outputs rotate past it (cold writes), as the f32 entries
};

// The ISA whose bf16 rows --smb_filter_isa=best keeps (besides scalar), given the dispatch ISA:
// avx512bf16 where available, else the dispatch ISA.
std::optional<Isa> best_bf16_isa(const std::optional<Isa>& dispatch);

// Registers every entry; adds the thread counts used to `threads`.
void register_bf16(const std::vector<Bf16Shape>& shapes, const Bf16Options& opt, std::set<int>& threads);

}  // namespace smb::bench
