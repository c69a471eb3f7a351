// Where a row is cut: the split thresholds and slices of the batch call (src/core/batch.cpp)
// and the chunk and block sizes of the kernels (variants/simd/*.hpp). One place, so
// the tests can put special values exactly on these boundaries (tests/test_special_positions.cpp).
// Plain constants only: no intrinsics, safe to include anywhere.
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>

namespace smb::layout {

// Below these sizes a parallel region costs more than it saves. Measured with 1 vs 2 threads on
// the 2-core AMD EPYC (Zen 4) development VM, quiet, median of 7 (both thresholds compiled as 0):
//   rows x 128, row-parallel: max_shifted.avx512 1.02x at 8K elements, 1.35x at 16K, 1.80x at
//     64K; online.avx512 1.40x at 8K, 1.63x at 16K.
//   1 x n, split row: max_shifted.avx512 (max-first split) 0.78x at 8K, 1.10x at 16K, 1.41x at
//     32K, 1.95x at 256K; online.avx512 1.04x at 16K, 1.20x at 32K, 1.74x at 256K.
// So: parallel from 16K elements in total, split rows from 32K elements. Overridable at compile
// time (-DSMB_MIN_PARALLEL_ELEMENTS=0 -DSMB_MIN_SPLIT_COLS=0) to re-measure on another machine.
#ifndef SMB_MIN_PARALLEL_ELEMENTS
#define SMB_MIN_PARALLEL_ELEMENTS 16384
#endif
#ifndef SMB_MIN_SPLIT_COLS
#define SMB_MIN_SPLIT_COLS 32768
#endif
inline constexpr std::size_t kMinParallelElements = SMB_MIN_PARALLEL_ELEMENTS;
inline constexpr std::size_t kMinSplitCols = SMB_MIN_SPLIT_COLS;

// Slice k of a row of n elements split in `parts`: boundaries on 64-byte (16-float) multiples.
inline std::pair<std::size_t, std::size_t> split_slice(std::size_t n, int parts, int k) {
    const std::size_t per = ((n + std::size_t(parts) - 1) / std::size_t(parts) + 15) & ~std::size_t(15);
    const std::size_t b = std::min(n, per * std::size_t(k));
    return {b, std::min(n, b + per)};
}

// The bf16 batch call cuts one row across threads from this many elements (src/core/batch_bf16.cpp):
// below it the split's two exps per element (the slices recompute) lose to one thread's scratch
// form. Measured on the Xeon, 1 row, 2 threads against 1 (medians of 7, quiet machine):
// guarded.avx512bf16.poly3.bf16 0.91-0.92x at 32768, 0.99x at 49152, 1.08-1.16x at 65536, 1.49x
// at 262144; guarded.avx512bf16.bf16 0.94x / 1.12x at 32768 / 65536; .bf16_f32 1.00x / 1.19x.
inline constexpr std::size_t kBf16MinSplitCols = std::size_t(1) << 16;
// guarded's bf16 -> bf16 rows (simd/guarded_bf16.hpp) up to this length keep their exps in a
// per-thread float scratch (1 MiB: half the L2 of the Xeon it was measured on, all of Zen 4's;
// longer rows compute the exp again). Measured on the Xeon, 1 thread (busy machine, CPU time, medians of 3):
// guarded.avx512bf16.bf16 at 1x4096, 1.64 us with the exp computed twice, 0.97 us with the
// scratch (two runs minutes apart); guarded.avx512bf16.poly3.bf16 with a limit of 2^18 against
// 2^16, two alternated runs each: 1x262144 1.19-1.20x, 8x128256 1.32-1.36x, 32x151936
// 1.22-1.27x, 1x65536 unchanged (a 2^20 limit gained nothing more on those shapes).
inline constexpr std::size_t kBf16ScratchMax = std::size_t(1) << 18;
// Write passes that recompute their terms from x (guarded's: its bf16 rows past the scratch and
// its split slices) store with non-temporal stores from this many output bytes of one write call
// (a row, or one slice of a split row) when y is apart from x (simd/passes.hpp,
// map_row_stream; in place never). Measured on the Xeon, 1 row,
// medians of 5, plain / streamed (two runs each, quiet machine): guarded.avx512bf16.poly3.bf16
// 1.00x at 1x393216, 1.03-1.05x at 1x524288, 1.01-1.06x at 1x1M, 1.04-1.05x at 1x2M, 1.17x at
// 1x16M; guarded.avx512bf16.bf16 1.40x at 1x16M; guarded.avx512 (float) at 1x16M on 2 threads
// (split slices) 1.15-1.40x. 1 MiB: the L2 of Zen 4, half the Xeon's.
#ifndef SMB_STREAM_FROM_BYTES
#define SMB_STREAM_FROM_BYTES (std::size_t(1) << 20)
#endif
inline constexpr std::size_t kStreamFromBytes = SMB_STREAM_FROM_BYTES;
// ... and guarded's bf16 write passes that can (apart from x: the recompute passes, the scratch
// form) stream when the whole batch call writes this many bytes or more in rows of at least
// kStreamCallMinRowBytes (RowParams::output_past_caches, set by the bf16 batch call): many rows
// whose outputs add up past L2 and most of a shared L3. Measured on Zen 4 (EPYC, family 25,
// 32 MiB L3 shared with other VMs), the bf16 scratch form, 1 thread, streamed / plain, two
// alternated runs, medians of 3: guarded.avx512bf16.poly3s.bf16 1.40x at 64x65536 (8 MiB out),
// 1.39x at 32x151936 (9.3 MiB), 0.96-0.98x at 16x65536 and 8x128256 (2 MiB), 0.91x at 1x65536,
// 0.75x at 1x4096 (every row streamed); with this rule, two more alternated runs: 32x151936
// 1.22-1.29x (poly3, poly3s and plain), the other bf16 headline shapes 0.97-1.07x.
inline constexpr std::size_t kStreamCallFromBytes = std::size_t(4) << 20;
// Shorter rows are not streamed by that rule: the shortest measured were 64x65536's (128 KiB of
// bf16 each); rows of a few hundred bytes would pay a fence per row, unmeasured.
inline constexpr std::size_t kStreamCallMinRowBytes = std::size_t(128) << 10;
// guarded: rows longer than kGuardProbe take their anchor from the max of the first kGuardProbe
// elements; the sum pass checks its window once per kGuardChunk elements.
inline constexpr std::size_t kGuardProbe = 1024;
inline constexpr std::size_t kGuardChunk = 1024;
// The SIMD loops step by groups of 4 vectors; online's reduction by 2 blocks of 4 vectors.
inline constexpr std::size_t kGroupVectors = 4;
inline constexpr std::size_t kOnlineStepVectors = 8;
// The base-2 forms (two_pass, guarded's one-pass split) hold a sum as S * 2^N; exp_split's
// reduction x - k ln2 is exact only while |k| < 2^22. A row whose largest exponent N lies past
// this either way is left to max_shifted (see two_pass in simd/two_pass.hpp).
inline constexpr float kTwoPassMaxExp = 131072.0f;  // 2^17: |x| <~ 9.1e4 at the row's top
// Lanes of a float vector per ISA: SSE2, AVX2, AVX-512.
inline constexpr std::size_t kLaneCounts[] = {4, 8, 16};

}  // namespace smb::layout
