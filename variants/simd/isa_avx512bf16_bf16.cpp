// avx512bf16: the list's bf16 rows for avx512bf16 (dtypes bf16, bf16_f32): the generic kernels on
// the avx512bf16 architecture (ops_avx512.hpp: AVX-512 forms, native vcvtneps2bf16 stores);
// compiled with avx512's flags plus -mavx512bf16 (cmake/SmbIsaFlags.cmake).
// GCC 12 reports its own `__m512 __Y = __Y;` idiom (_mm512_undefined_ps, used inside
// _mm512_max_ps and friends) as uninitialized once inlined: GCC bug 105593, fixed in GCC 13.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMB_ARCH ::smb::simd::avx512bf16
#define SMB_THIS_ISA_avx512bf16 SMB_PROBE
#define SMB_BODY_BF16
#include "simd/isa_body.inc"
