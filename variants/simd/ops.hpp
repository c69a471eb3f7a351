// The ops layer: the few primitives whose form depends on the architecture, one specialisation
// of Ops<Arch> per target (Highway's per-target ops; XNNPACK's src/xnnpack/simd/f32-*.h):
//   ops_generic.hpp  OpsGeneric<Arch>: portable forms through an aligned buffer or xsimd, the
//                    base every target starts from (a new target overrides what it does better)
//   ops_sse2.hpp     Ops<xsimd::sse2>
//   ops_avx2.hpp     Ops<xsimd::fma3<xsimd::avx2>>
//   ops_avx512.hpp   Ops<xsimd::avx512bw>
// Everything that names an intrinsic or tests which architecture it is lives in these files;
// the exp kernels (exp.hpp), the passes (passes.hpp) and the algorithms (<algorithm>.hpp) call
// Ops<Arch>::... and test its traits (kFma, kScalef, kFloatFloat), never an architecture.
//
// Primitives (every Ops<Arch> has all of them; traits say which optional ones exist):
//   fmadd(x, y, z)                   x*y + z, fused where the ISA has FMA (float and double)
//   max_keep_nan(lo, x), min_keep_nan(hi, x)   clamps that return x when x is NaN
//   pow2_from_biased(v)              2^n from v = n + kMagicBiased (exponent-field trick)
//   load_partial(p, k, fill), store_partial(p, v, k)   the first k lanes, nothing beyond
//   hmax(v), hsum_double(v), hadd(lo + hi of double lanes)   horizontal reductions
//   widen(v, lo, hi), narrow(lo, hi)  float <-> two double batches
//   kScalef: scalef(p, n) = p * 2^n rounded once (gradual underflow);
//            scalef_unless_below(p, n, t, lo): the same, +0 where t < lo (NaN t kept)
//   kFma == false: reduce_ln2_f64(x, n) = x - n ln2 computed in double (no-FMA reduction)
//   kFloatFloat: the accurate tier's AVX-512 double forms (write_f64_halves, exp_f64_lut;
//            described at their definitions)
//   kRatioFF: RatioFF(k)(t, e) = k exp(t + e) in float-float, rounded once (AVX-512, AVX2)
//   optional (passes.hpp's store2() and stream() fall back to plain stores, found by a
//   requires-expression, where a target has none):
//     store2_bf16(p, lo, hi)           two batches rounded to bf16 by one instruction (lo's lanes
//                                      first), the same bits as two store_bf16
//     stream(p, v), stream_bf16(p, v)   one batch to p, aligned to the batch's bytes, past the
//                                      caches; stream_fence() (sfence) orders them before what follows
//     stream2_bf16(p, lo, hi)          store2_bf16, streamed (p aligned to 64 bytes)
//
// ODR: every member is either a member of a class template (OpsGeneric<Arch>) or of a full
// specialisation for one architecture, used only by the unit compiled for that architecture's
// flags (variants/simd/isa_*.cpp); SMB_INLINE makes each one inline into its caller.
#pragma once

// Vector helpers must inline into the kernels' loops: a call passes each batch through memory.
#ifndef SMB_INLINE
#define SMB_INLINE inline __attribute__((always_inline))
#endif
// For the loops that take a functor (map_row, write_f64_halves): every call in them, the
// functor's body included, is inlined. GCC otherwise may keep a large lambda out of line and
// call it once per vector (each call spills the batch and rebuilds the constants): that was
// the accurate tier's 9-12 % loss at 1x65536 after the layout moved its float-float writer into
// a lambda, and several fast-tier writers (AVX2 write_ratio, AVX-512 write_log_float) paid it
// too.
// The same for a lambda: `[&](...) SMB_LAMBDA_INLINE { ... }`.
#ifndef SMB_LAMBDA_INLINE
#define SMB_LAMBDA_INLINE __attribute__((always_inline))
#endif
#ifndef SMB_FLATTEN
#define SMB_FLATTEN __attribute__((flatten))
#endif

#include <xsimd/xsimd.hpp>

namespace smb::simd {

template <class Arch>
using fbatch = xsimd::batch<float, Arch>;
template <class Arch>
using dbatch = xsimd::batch<double, Arch>;

template <class Arch>
struct Traits;  // per target: kFma, kScalef, kFloatFloat, kRatioFF (defined for every target in every unit)

// What a target has; each ops_<isa>.hpp defines Traits<Arch> as one of these.
template <bool Fma, bool Scalef, bool FloatFloat, bool RatioFF>
struct TraitsOf {
    static constexpr bool kFma = Fma;                // fused multiply-add
    static constexpr bool kScalef = Scalef;          // vscalefps: p * 2^n rounded once, gradual underflow
    static constexpr bool kFloatFloat = FloatFloat;  // the accurate tier's float-float output ops
    static constexpr bool kRatioFF = RatioFF;        // RatioFF: the accurate softmax output k exp(x - m) in float-float
};
template <class Arch>
struct Ops;  // per target: the primitives (defined only in units compiled for that target)

}  // namespace smb::simd

#include "simd/exp_constants.hpp"
#include "simd/ops_generic.hpp"
#include "simd/ops_sse2.hpp"
#include "simd/ops_avx2.hpp"
#include "simd/ops_avx512.hpp"
