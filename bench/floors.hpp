// Floors: what this machine can do at best, per shape, for any exp-based softmax (issue: "find the
// floor for each shape and report ours as a fraction of it"). Measurement tools registered in
// softmax_bench beside memcpy, never variants (not in the registry, not in `softmaxbench list`):
//
//   floor:exp        per row: read x, exp(x - q ln2) by the fast tier's exp kernel, sum; no max
//                    pass, no write. The least work any exp-based softmax does per element.
//   floor:exp_write  per row: read x, exp(x - q ln2) * k, write y (k = 1 / the row's sum, known
//                    beforehand): guarded's output pass alone.
//
// The kernel is guarded's (ExpShiftPow2, poly5; the fast tier's double-lane sum) at the dispatch
// ISA (smb::dispatch_isa(), which SOFTMAXBENCH_FORCE_ISA caps), compiled per ISA with that ISA's
// flags only (floors_<isa>.cpp). q = floor(max(x) log2e) over the whole input, fixed per shape
// and found before timing (guard_window of the max: every term <= 2, no overflow); inputs with a
// logit past ~1280 (offset_1e4) are outside the kernel's range and skip with the reason.
// Threads: rows in contiguous blocks (OpenMP), or, with fewer rows than threads, each row cut in
// 64-byte aligned slices whose sums are added (the split rows' scheme).
// Check (before timing, cached per entry, shape and threads; a failure skips the entry like any
// check failure): every row's sum, and floor:exp_write's every output, against a double
// reference (std::exp of x - q ln2 in double), relative error <= kFloorRelBound.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <functional>
#include <vector>

namespace smb::bench {

// 16 * 2^-24: the exp kernel's <= 2.28 ULP, the float group sums' two roundings, float(1/s) and
// the product's (<= 4 ULP of 2^-23 in all), with room.
inline constexpr double kFloorRelBound = 1e-6;

struct FloorEnv {
    // The benchmark's input for a shape (the buffer every entry of that shape reads).
    std::function<const float*(std::size_t rows, std::size_t cols)> input;
    // COUNT output buffers of ELEMS floats each (the benchmark's pool).
    std::function<std::vector<float*>(std::size_t count, std::size_t elems)> outputs;
    bool time_failed = false;  // --smb_on_check_failure=time
};

// Registers floor:exp and floor:exp_write on rows x cols at THREADS (names and clock as every
// entry: <floor>/<rows>/<cols>[/<threads>/real_time]).
void register_floors(std::size_t rows, std::size_t cols, int threads, benchmark::TimeUnit unit, const FloorEnv& env);

namespace floors {
// The per-ISA kernels (floors_kernels.inc).
#define SMB_FLOOR_DECLARE(isa)                                                        \
    namespace isa {                                                                   \
    double exp_sum(const float* x, std::size_t n, float q);                           \
    void exp_write(const float* x, float* y, std::size_t n, float q, double s);      \
    }
SMB_FLOOR_DECLARE(sse2)
SMB_FLOOR_DECLARE(avx2)
SMB_FLOOR_DECLARE(avx512)
#undef SMB_FLOOR_DECLARE
}  // namespace floors

}  // namespace smb::bench
