// avx2: the list's avx2 entries, instantiated from the generic kernels, compiled with only
// the flags of its SMB_ISA row (variants/list.inc). Nothing else belongs here.
#define SMB_ARCH xsimd::fma3<xsimd::avx2>
#define SMB_THIS_ISA_avx2 SMB_PROBE
#include "simd/isa_body.inc"
