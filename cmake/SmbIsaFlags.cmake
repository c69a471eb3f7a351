# Per-ISA compile flags for the translation units that instantiate the SIMD kernels.
# The library itself is never built with -march=native: each ISA unit gets only its own flags
# and dispatch picks one at run time. xsimd 8.1's AVX-512 hadd needs -mavx512dq as well.
set(SMB_FLAGS_sse2   -msse2)
set(SMB_FLAGS_avx2   -mavx2 -mfma)
set(SMB_FLAGS_avx512 -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
