// avx512: the list's bf16 rows for avx512 (dtypes bf16, bf16_f32), a unit apart from isa_avx512.cpp's f32 rows
// (see variants/simd/isa_body.inc); compiled with the same flags.
// GCC 12 reports its own `__m512 __Y = __Y;` idiom (_mm512_undefined_ps, used inside
// _mm512_max_ps and friends) as uninitialized once inlined: GCC bug 105593, fixed in GCC 13.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMB_ARCH xsimd::avx512bw
#define SMB_THIS_ISA_avx512 SMB_PROBE
#define SMB_BODY_BF16
#include "simd/isa_body.inc"
