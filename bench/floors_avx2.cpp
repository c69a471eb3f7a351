// The floors' kernels for avx2 (bench/floors_kernels.inc), compiled with the flags of the
// avx2 row of variants/list.inc only. Nothing else belongs here.
#define SMB_FLOOR_ARCH xsimd::fma3<xsimd::avx2>
#define SMB_FLOOR_NS avx2
#include "floors_kernels.inc"
