// Row functions and split forms of every list entry (variants/list.inc), by ISA: declared here
// from the list, defined by the unit of that ISA (variants/simd/isa_*.cpp from the generic
// kernels, variants/scalar/scalar.cpp from the scalar forms). The registry
// (variants/registry.cpp) is the only other user.
//
// Entry (algorithm A, isa I, exp E, tier T, dtype D; SMB_OP_VARIANT rows have their op's signature):
//   row    smb::kernels::I::A_E_T_D          e.g. kernels::avx512::max_shifted_poly5_fast_f32
//   split  smb::kernels::I::A_E_T_D_split    (entries whose split form is not `none`)
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>

#include "detail/split.hpp"
#include "softmaxbench/softmax.hpp"

#define SMB_DECLARE_ROW(fn) void fn(const float* x, float* y, std::size_t n, ::smb::RowParams p)
// Forward rows by dtype (the list's dtype field): SMB_DECLARE_ROW_<dtype>(fn), bf16 as its bits.
#define SMB_DECLARE_ROW_f32(fn) SMB_DECLARE_ROW(fn)
#define SMB_DECLARE_ROW_bf16(fn) void fn(const std::uint16_t* x, std::uint16_t* y, std::size_t n, ::smb::RowParams p)
#define SMB_DECLARE_ROW_bf16_f32(fn) void fn(const std::uint16_t* x, float* y, std::size_t n, ::smb::RowParams p)
// Row functions by op (SMB_OP_VARIANT): SMB_DECLARE_<op>(fn) declares one, SMB_ARGS_<op> passes
// its parameters on, SMB_FNS_<op>(fn) places it in a Variant's (row, backward, cross_entropy).
// By op and dtype: SMB_DECLARE_OP(op, dtype, fn) (cross_entropy has bf16 and bf16_f32 rows:
// bf16 logits, gradient in bf16 or float32; CrossEntropyBf16RowFn, CrossEntropyBf16F32RowFn).
#define SMB_DECLARE_forward(fn) SMB_DECLARE_ROW(fn)
#define SMB_DECLARE_backward(fn) \
    void fn(const float* y, const float* dy, float* dx, std::size_t n, ::smb::RowParams p)
#define SMB_DECLARE_cross_entropy(fn)                                                  \
    double fn(const float* x, std::size_t target, float* grad, std::size_t n, \
              const ::smb::CrossEntropyRowParams& p)
#define SMB_DECLARE_forward_f32(fn) SMB_DECLARE_forward(fn)
#define SMB_DECLARE_backward_f32(fn) SMB_DECLARE_backward(fn)
#define SMB_DECLARE_cross_entropy_f32(fn) SMB_DECLARE_cross_entropy(fn)
#define SMB_DECLARE_cross_entropy_bf16(fn)                                                        \
    double fn(const std::uint16_t* x, std::size_t target, std::uint16_t* grad, std::size_t n, \
              const ::smb::CrossEntropyRowParams& p)
#define SMB_DECLARE_cross_entropy_bf16_f32(fn)                                            \
    double fn(const std::uint16_t* x, std::size_t target, float* grad, std::size_t n, \
              const ::smb::CrossEntropyRowParams& p)
#define SMB_DECLARE_OP(op, dtype, fn) SMB_DECLARE_##op##_##dtype(fn)
// The split plumbing of an op row (detail/split.hpp): backward rows have a BackwardSplit,
// fn_split (its two passes, for one row cut across threads); other ops none.
#define SMB_OP_SPLIT_DECL_forward(fn)
#define SMB_OP_SPLIT_DECL_backward(fn) extern const ::smb::BackwardSplit SMB_CAT(fn, _split);
#define SMB_OP_SPLIT_DECL_cross_entropy(fn) extern const ::smb::CrossEntropySplit* const SMB_CAT(fn, _split);
#define SMB_OP_SPLIT_DEF_forward(fn, reduce, write)
#define SMB_OP_SPLIT_DEF_backward(fn, reduce, write) const ::smb::BackwardSplit SMB_CAT(fn, _split) = {reduce, write};
// cross_entropy rows (SIMD units): the fused form's CrossEntropySplit, nullptr for the others;
// SMB_CE_SPLIT_NONE for the scalar rows.
// SMB_TX_<dtype>, SMB_TY_<dtype>: the element types of a dtype's rows, in (logits) and out
// (outputs; cross_entropy: the gradient).
#define SMB_OP_SPLIT_DEF_cross_entropy(fn, reduce, write)
#define SMB_CE_SPLIT_DEF(fn, split) const ::smb::CrossEntropySplit* const SMB_CAT(fn, _split) = split;
#define SMB_TX_f32 float
#define SMB_TY_f32 float
#define SMB_TX_bf16 std::uint16_t
#define SMB_TY_bf16 std::uint16_t
#define SMB_TX_bf16_f32 std::uint16_t
#define SMB_TY_bf16_f32 float
#define SMB_CE_SPLIT_forward(alg, exp, tier, dtype, fn)
#define SMB_CE_SPLIT_backward(alg, exp, tier, dtype, fn)
#define SMB_ARGS_forward (x, y, n, p)
#define SMB_ARGS_backward (y, dy, dx, n, p)
#define SMB_ARGS_cross_entropy (x, target, grad, n, p)
#define SMB_FNS_forward(fn) fn, nullptr, nullptr
#define SMB_FNS_backward(fn) nullptr, fn, nullptr
#define SMB_FNS_cross_entropy(fn) nullptr, nullptr, fn

// Token helpers for the list's X-macros.
#define SMB_CAT_(a, b) a##b
#define SMB_CAT(a, b) SMB_CAT_(a, b)
#define SMB_KERNEL_FN(alg, exp, tier, dtype) alg##_##exp##_##tier##_##dtype
#define SMB_KERNEL_SPLIT(alg, exp, tier, dtype) alg##_##exp##_##tier##_##dtype##_split
// SMB_HAS_SPLIT_<form>: 0 for `none`, 1 for every split form.
// A forward row's split object by dtype: the f32 rows' RowSplit (simd::<algorithm>_split), the
// bf16 rows' Bf16RowSplit (simd::<algorithm>_split_bf16), both in detail/split.hpp.
#define SMB_SPLIT_TYPE_f32 ::smb::RowSplit
#define SMB_SPLIT_TYPE_bf16 ::smb::Bf16RowSplit
#define SMB_SPLIT_TYPE_bf16_f32 ::smb::Bf16RowSplit
#define SMB_SPLIT_SUFFIX_f32
#define SMB_SPLIT_SUFFIX_bf16 _bf16
#define SMB_SPLIT_SUFFIX_bf16_f32 _bf16
// SMB_HAS_ROWS(alg, isa): 1 where the entry has a rows form (detail/split.hpp, RowsForm:
// simd::<algorithm>_rows_form; SMB_ROWS_<algorithm> probes which algorithms have one), the SIMD
// entries only; SMB_KERNEL_ROWS names it.
#define SMB_ROWS_guarded SMB_PROBE
#define SMB_SCALAR_ISA_scalar SMB_PROBE
#define SMB_AND_11 1
#define SMB_AND_10 0
#define SMB_AND_01 0
#define SMB_AND_00 0
#define SMB_NOT_0 1
#define SMB_NOT_1 0
#define SMB_AND(a, b) SMB_CAT(SMB_AND_, SMB_CAT(a, b))
#define SMB_HAS_ROWS(alg, isa) \
    SMB_AND(SMB_IS_PROBE(SMB_CAT(SMB_ROWS_, alg)), SMB_CAT(SMB_NOT_, SMB_IS_PROBE(SMB_CAT(SMB_SCALAR_ISA_, isa))))
#define SMB_KERNEL_ROWS(alg, exp, tier, dtype) alg##_##exp##_##tier##_##dtype##_rows
#define SMB_HAS_SPLIT_none 0
#define SMB_HAS_SPLIT_max_first 1
#define SMB_HAS_SPLIT_one_pass 1
#define SMB_HAS_SPLIT_max_first_or_one_pass 1
// SMB_WHEN(c)(tokens): the tokens when c is 1, nothing when 0.
#define SMB_WHEN_0(...)
#define SMB_WHEN_1(...) __VA_ARGS__
#define SMB_WHEN(c) SMB_CAT(SMB_WHEN_, c)
// SMB_IS_THIS_ISA(isa): 1 in the unit that defined SMB_THIS_ISA_<isa> as SMB_PROBE, else 0.
#define SMB_PROBE ~, 1
#define SMB_SECOND_(a, b, ...) b
#define SMB_SECOND(...) SMB_SECOND_(__VA_ARGS__)
#define SMB_IS_PROBE(...) SMB_SECOND(__VA_ARGS__, 0, ~)
#define SMB_IS_THIS_ISA(isa) SMB_IS_PROBE(SMB_CAT(SMB_THIS_ISA_, isa))

// Constants the list's rows use.
namespace smb::kernels {
inline constexpr double kNoUlpBound = std::numeric_limits<double>::infinity();
inline constexpr double kAnyFinite = std::numeric_limits<double>::infinity();
}  // namespace smb::kernels

#define SMB_VARIANT(alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary)            \
    namespace smb::kernels::isa {                                                             \
    SMB_CAT(SMB_DECLARE_ROW_, dtype)(SMB_KERNEL_FN(alg, exp, tier, dtype));                   \
    SMB_WHEN(SMB_HAS_SPLIT_##split)(extern const SMB_CAT(SMB_SPLIT_TYPE_, dtype) SMB_KERNEL_SPLIT(alg, exp, tier, dtype);) \
    SMB_WHEN(SMB_HAS_ROWS(alg, isa))(extern const ::smb::RowsForm SMB_KERNEL_ROWS(alg, exp, tier, dtype);) \
    }
#define SMB_OP_VARIANT(op, alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary) \
    namespace smb::kernels::isa {                                                          \
    SMB_DECLARE_OP(op, dtype, SMB_KERNEL_FN(alg, exp, tier, dtype));                       \
    SMB_OP_SPLIT_DECL_##op(SMB_KERNEL_FN(alg, exp, tier, dtype))                            \
    }
#include "list.inc"
#undef SMB_VARIANT
#undef SMB_OP_VARIANT

// The auto entries (src/core/auto.cpp): resolve to another variant per call.
namespace smb::kernels::auto_pick {
SMB_DECLARE_ROW(fast);
SMB_DECLARE_ROW(accurate);
}  // namespace smb::kernels::auto_pick
