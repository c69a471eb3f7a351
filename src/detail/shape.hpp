// The bytes a strided batch covers, checked against size_t: one rule for the forward, bf16 and
// backward batch calls (their overlap checks need each buffer's extent).
#pragma once
#include <cstddef>
#include <cstdint>

namespace smb::detail {

// (rows - 1) ld + cols elements (rows >= 1) into `out`, or false when that many elements of
// `elem` bytes do not fit in size_t. cols is checked first, so SIZE_MAX / elem - cols cannot wrap
// around; no division at run time (elem is a constant at every call), and one row needs no
// multiplication (two 64-bit divisions per call were ~1/5 of a 64-element row's time).
template <std::size_t elem>
inline bool span_elements(std::size_t rows, std::size_t cols, std::size_t ld, std::size_t& out) {
    if (cols > SIZE_MAX / elem) return false;
    std::size_t t = 0;
    if (rows > 1 && (__builtin_mul_overflow(rows - 1, ld, &t) || t > SIZE_MAX / elem - cols)) return false;
    out = t + cols;
    return true;
}

}  // namespace smb::detail
