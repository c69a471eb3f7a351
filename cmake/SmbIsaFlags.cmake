# The ISAs the kernels are compiled for (one unit each, variants/simd/isa_<isa>.cpp) and the
# compile flags of each unit. Runtime availability is the list's ISA table (variants/list.inc,
# SMB_ISA: the CPU features each needs).
# The library itself is never built with -march=native: each ISA unit gets only its own flags
# and dispatch picks one at run time. xsimd 8.1's AVX-512 hadd needs -mavx512dq as well.
set(SMB_ISAS sse2 avx2 avx512 avx512bf16)
set(SMB_FLAGS_sse2   -msse2)
set(SMB_FLAGS_avx2   -mavx2 -mfma)
set(SMB_FLAGS_avx512 -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
set(SMB_FLAGS_avx512bf16 ${SMB_FLAGS_avx512} -mavx512bf16)
