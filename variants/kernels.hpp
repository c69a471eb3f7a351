// Row functions of every variant, by ISA. The registry (src/core/registry.cpp) is the only user.
#pragma once
#include <cstddef>

#include "softmaxbench/softmax.hpp"

#define SMB_DECLARE_ROW(fn) void fn(const float* x, float* y, std::size_t n, ::smb::RowParams p)

namespace smb::kernels::scalar {
SMB_DECLARE_ROW(naive);
SMB_DECLARE_ROW(max_shifted);
SMB_DECLARE_ROW(online);
SMB_DECLARE_ROW(log_sum_exp);
SMB_DECLARE_ROW(two_pass);
SMB_DECLARE_ROW(guarded);
}  // namespace smb::kernels::scalar

// SIMD instantiations (variants/simd/isa_*.cpp); the same set of rows for every ISA.
#define SMB_DECLARE_SIMD_ROWS(ns)                \
    namespace smb::kernels::ns {                 \
    SMB_DECLARE_ROW(naive);                      \
    SMB_DECLARE_ROW(max_shifted);                \
    SMB_DECLARE_ROW(max_shifted_p6);             \
    SMB_DECLARE_ROW(max_shifted_xsimd);          \
    SMB_DECLARE_ROW(max_shifted_accurate);       \
    SMB_DECLARE_ROW(online);                     \
    SMB_DECLARE_ROW(online_accurate);            \
    SMB_DECLARE_ROW(log_sum_exp);                \
    SMB_DECLARE_ROW(log_sum_exp_accurate);       \
    SMB_DECLARE_ROW(two_pass);                   \
    SMB_DECLARE_ROW(guarded);                    \
    extern const ::smb::RowSplit split_max_shifted, split_max_shifted_p6, split_max_shifted_xsimd, \
        split_max_shifted_accurate, split_online, split_online_accurate, split_log_sum_exp,        \
        split_log_sum_exp_accurate, split_two_pass, split_guarded;                                                \
    }
SMB_DECLARE_SIMD_ROWS(sse2)
SMB_DECLARE_SIMD_ROWS(avx2)
SMB_DECLARE_SIMD_ROWS(avx512)

// The auto entries (src/core/auto.cpp): resolve to another variant per call.
namespace smb::kernels::autopick {
SMB_DECLARE_ROW(fast);
SMB_DECLARE_ROW(accurate);
}  // namespace smb::kernels::autopick
