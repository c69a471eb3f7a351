// sse2: the list's sse2 entries, instantiated from the generic kernels, compiled with only
// the flags of its SMB_ISA row (variants/list.inc). Nothing else belongs here.
#define SMB_ARCH xsimd::sse2
#define SMB_THIS_ISA_sse2 SMB_PROBE
#include "simd/isa_body.inc"
