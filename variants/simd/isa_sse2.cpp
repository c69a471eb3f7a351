// sse2: the list's sse2 entries, instantiated from the generic kernels (compiled with this ISA's flags only; see
// cmake/SmbIsaFlags.cmake). Nothing else belongs here.
#define SMB_ARCH xsimd::sse2
#define SMB_THIS_ISA_sse2 SMB_PROBE
#include "simd/isa_body.inc"
