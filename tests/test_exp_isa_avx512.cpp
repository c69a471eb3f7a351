// AVX-512 unit of tests/test_exp.cpp (compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl
// -mavx2 -mfma): the body is shared with the SSE2 unit, test_exp_isa_sse2.cpp.
// GCC 12 reports its own `__m512 __Y = __Y;` idiom (_mm512_undefined_ps, inside the intrinsics
// RatioFF's constructor uses) as uninitialized once inlined: GCC bug 105593, fixed in GCC 13
// (variants/simd/isa_avx512.cpp does the same).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMB_EXP_TEST_ARCH xsimd::avx512bw
#define SMB_EXP_TEST_ISA avx512
#include "test_exp_isa_sse2.cpp"
