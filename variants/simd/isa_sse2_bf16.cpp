// sse2: the list's bf16 rows for sse2 (dtypes bf16, bf16_f32), a unit apart from isa_sse2.cpp's f32 rows
// (see variants/simd/isa_body.inc); compiled with the same flags.
#define SMB_ARCH xsimd::sse2
#define SMB_THIS_ISA_sse2 SMB_PROBE
#define SMB_BODY_BF16
#include "simd/isa_body.inc"
