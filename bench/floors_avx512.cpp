// The floors' kernels for avx512 (bench/floors_kernels.inc), compiled with the flags of the
// avx512 row of variants/list.inc only. Nothing else belongs here.
// GCC 12 reports its own `__m512 __Y = __Y;` idiom as uninitialized once inlined (GCC bug
// 105593, fixed in GCC 13), as in variants/simd/isa_avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMB_FLOOR_ARCH xsimd::avx512bw
#define SMB_FLOOR_NS avx512
#include "floors_kernels.inc"
