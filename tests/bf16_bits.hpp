// bf16 rows as the tests hold them: raw bit patterns, made from float rows by the library's
// round-to-nearest-even and widened back exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "softmaxbench/bf16.hpp"

namespace smb::test {

using Bits = std::vector<std::uint16_t>;

inline Bits to_bf16(const std::vector<float>& x) {
    Bits b(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) b[i] = float_to_bf16(x[i]);
    return b;
}

inline std::vector<float> widen(const Bits& b) {
    std::vector<float> x(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) x[i] = bf16_to_float(b[i]);
    return x;
}

}  // namespace smb::test
