// Special-value handling shared by every variant (policy in softmax.hpp / README).
// Defined out of line in src/core/special.cpp, compiled with baseline flags only: kernels built
// with AVX-512 flags call these, and an inline copy compiled there could otherwise be the one
// the linker keeps for the scalar code too.
#pragma once
#include <cstddef>
#include <cstdint>

#include "softmaxbench/softmax.hpp"

namespace smb::detail {

void fill(float* y, std::size_t n, float v);
void fill_nan(float* y, std::size_t n);
bool any_nan(const float* x, std::size_t n);
// The value of every output of an all -inf row in masked-safe mode: 0 (softmax) or -inf (log).
float masked_value(Output o);

// After a max pass. `m` is the row max; `saw_nan` tells whether a NaN was seen (a max that
// drops NaN must report it this way). If the row is special (NaN, +inf, or all -inf) writes the
// whole row by the policy and returns true. x must be unmodified (it is read for the all -inf
// case in masked-safe mode only when saw_nan is false).
bool special_by_max(const float* x, float* y, std::size_t n, float m, bool saw_nan, RowParams p);

// For algorithms without a max pass (naive, two_pass): call when the reduction is not an
// ordinary finite positive sum. Scans x (which must be unmodified) and, if the row holds NaN,
// +inf or is all -inf, writes it by the policy and returns true. Returns false when the row is
// ordinary (the caller's overflow or underflow is then its own, documented, behaviour).
bool special_by_scan(const float* x, float* y, std::size_t n, RowParams p);

// A row of one entry, by the policy alone: finite -> 1 (log: 0) exactly; NaN or +inf -> NaN;
// -inf -> NaN or the masked value. For forms whose arithmetic would not give exactly 1 / 0.
void single(const float* x, float* y, RowParams p);

// The same for the bf16 dtypes (x as bf16 bits; y as bf16 bits or float), by the same policy
// (src/core/special_bf16.cpp). bf16 NaN is written as 0x7FC0, +-inf as 0x7F80 / 0xFF80.
void fill_nan(std::uint16_t* y, std::size_t n);
bool special_by_max(const std::uint16_t* x, std::uint16_t* y, std::size_t n, float m, bool saw_nan, RowParams p);
bool special_by_max(const std::uint16_t* x, float* y, std::size_t n, float m, bool saw_nan, RowParams p);
bool special_by_scan(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p);
bool special_by_scan(const std::uint16_t* x, float* y, std::size_t n, RowParams p);
void single(const std::uint16_t* x, std::uint16_t* y, RowParams p);
void single(const std::uint16_t* x, float* y, RowParams p);

}  // namespace smb::detail
