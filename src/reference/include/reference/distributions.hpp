// Test and sweep inputs: deterministic (own generator and transforms, so a seed gives the same
// row on every platform and standard library).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace smb::ref {

struct Distribution {
    std::string_view name;
    std::string_view description;
};

// normal_0.1, normal_1, normal_5, normal_20, uniform, offset_1e4, dominant, ties, near_uniform
std::span<const Distribution> distributions();
const Distribution* find_distribution(std::string_view name);

// Row of n logits from the named distribution; the same (name, n, seed) always gives the same row.
// Throws std::invalid_argument for an unknown name.
std::vector<float> make_row(std::string_view distribution, std::size_t n, std::uint64_t seed);

// The sizes every variant is checked at: 1..33, 64, 65, 1000, 4096, 65537.
std::vector<std::size_t> test_sizes();

}  // namespace smb::ref
