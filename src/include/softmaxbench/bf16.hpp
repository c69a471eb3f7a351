// bf16 <-> float32, one value at a time: the reference form of the conversions the kernels do in
// registers (variants/simd/ops_*.hpp: load_bf16, store_bf16). bf16 is the top 16 bits of a
// float32 (1 sign, 8 exponent, 7 fraction bits), passed as std::uint16_t.
#pragma once

#include <bit>
#include <cstdint>

namespace smb {

// Exact: every bf16 is a float32.
constexpr float bf16_to_float(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

// Round to nearest, ties to even, on the bit pattern (exact for every float32: normal,
// subnormal, +-0, +-inf; a finite value past the largest bf16 rounds to +-inf). NaN stays NaN:
// its top bits with the quiet bit set (a NaN whose payload sits only in the low 16 bits would
// otherwise become inf).
constexpr std::uint16_t float_to_bf16(float f) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return std::uint16_t((u >> 16) | 0x0040u);
    return std::uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace smb
