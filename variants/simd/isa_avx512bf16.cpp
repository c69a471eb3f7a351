// avx512bf16: the list's f32 rows for avx512bf16 — none: the ISA is a side extension that carries
// only bf16 rows (isa_avx512bf16_bf16.cpp). The unit exists because every ISA has one per dtype
// group (CMakeLists.txt); it instantiates nothing.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMB_ARCH ::smb::simd::avx512bf16
#define SMB_THIS_ISA_avx512bf16 SMB_PROBE
#include "simd/isa_body.inc"
