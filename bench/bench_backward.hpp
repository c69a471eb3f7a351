// The backward's benchmark entries (bench/bench_backward.cpp), registered by softmax_bench.
#pragma once

#include <set>

namespace smb::bench {

// Registers the backward entries; quick: --smb_shapes=headline's short set; custom_shapes: a
// --smb_shapes list was given (nothing is registered then). Returns the thread counts used.
std::set<int> register_backward(bool quick, bool best_isa_only, bool custom_shapes);

}  // namespace smb::bench
