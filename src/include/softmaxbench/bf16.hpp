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

// A double rounded once to bf16, to nearest, ties to even: float(d) rounded to odd first (moved
// one float ULP toward d when inexact and even), so the bf16 rounding of it is not a double
// rounding (an odd float is never a bf16 midpoint). Used where a value is computed in double
// (the cross-entropy gradient at the target). A d that rounds to float 0 or +-inf: float(d).
constexpr std::uint16_t double_to_bf16(double d) {
    const float f = float(d);
    std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    const bool finite_nonzero = (u & 0x7FFFFFFFu) != 0 && (u & 0x7F800000u) != 0x7F800000u;
    if (finite_nonzero && double(f) != d && (u & 1u) == 0) u += (double(f) < d) == (f > 0) ? 1u : std::uint32_t(-1);
    return float_to_bf16(std::bit_cast<float>(u));
}

}  // namespace smb
