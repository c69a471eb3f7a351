// AVX-512 unit of tests/test_exp.cpp (compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl
// -mavx2 -mfma): the body is shared with the SSE2 unit, test_exp_isa_sse2.cpp.
#define SMB_EXP_TEST_ARCH xsimd::avx512bw
#define SMB_EXP_TEST_ISA avx512
#include "test_exp_isa_sse2.cpp"
