// AVX2 + FMA unit of tests/test_exp.cpp (compiled with -mavx2 -mfma): the body is shared with
// the SSE2 unit, test_exp_isa_sse2.cpp.
#define SMB_EXP_TEST_ARCH xsimd::fma3<xsimd::avx2>
#define SMB_EXP_TEST_ISA avx2
#include "test_exp_isa_sse2.cpp"
