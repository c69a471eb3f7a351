// The floors' kernels for sse2 (bench/floors_kernels.inc), compiled with the flags of the
// sse2 row of variants/list.inc only. Nothing else belongs here.
#define SMB_FLOOR_ARCH xsimd::sse2
#define SMB_FLOOR_NS sse2
#include "floors_kernels.inc"
