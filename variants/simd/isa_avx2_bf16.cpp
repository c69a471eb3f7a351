// avx2: the list's bf16 rows for avx2 (dtypes bf16, bf16_f32), a unit apart from isa_avx2.cpp's f32 rows
// (see variants/simd/isa_body.inc); compiled with the same flags.
#define SMB_ARCH xsimd::fma3<xsimd::avx2>
#define SMB_THIS_ISA_avx2 SMB_PROBE
#define SMB_BODY_BF16
#include "simd/isa_body.inc"
