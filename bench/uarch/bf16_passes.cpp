// Each pass of guarded's bf16 -> bf16 recompute form (variants/simd/guarded_bf16.hpp: rows past
// layout::kBf16ScratchMax), timed alone on one thread: a measurement tool, not part of the build
// (issue 15: what bounds 1x16M). It calls the kernels' own pass functions, instantiated here for
// the avx512bf16 ISA:
//   sum    guarded_anchored<.., Store = false>: the anchor probe, then exp and sum (1 read of x)
//   write  guarded_write: exp again, times 1/s, rounded to bf16 (1 read of x, 1 write of y;
//          streamed, as rows of 1 MiB of output and more are: layout::kStreamFromBytes)
//   row    the row function (both passes; what softmax_bench times, without the batch call)
//   copy   memcpy of the row (2 bytes read and written per element)
// for poly3 and poly3s, over 1 x N rows of N(0, 1) logits rounded to bf16, best of --reps
// (default 9) alternated runs, in G elements/s. Build from the repository root after a release
// build (the scratch and the CPU checks live in the library):
//
//   F="-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mavx512bf16"
//   I="-I src/include -I build/release/generated/public -I src -I variants"
//   g++ -O3 -std=c++20 -fopenmp $F $I bench/uarch/bf16_passes.cpp build/release/libsoftmaxbench.a -o /tmp/bf16_passes
//   /tmp/bf16_passes 1048576 16777216
//
// Needs a CPU with AVX512_BF16 (it exits with a message otherwise).
// What it showed is quoted, with the machine, in variants/simd/guarded_bf16.hpp's header.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "simd/guarded_bf16.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/softmax.hpp"

namespace {

using Arch = smb::simd::avx512bf16;

template <class F>
double seconds(F f) {
    const auto a = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

template <smb::ExpKernel E>
void run(const char* name, const std::uint16_t* x, std::uint16_t* y, std::size_t n, int reps) {
    using Cfg = smb::simd::Cfg<E, smb::Tier::fast>;
    smb::simd::GuardWindow w;
    const smb::simd::GuardPass g = smb::simd::guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w);
    if (!g.inside || !(g.sum == g.sum)) {
        std::fprintf(stderr, "bf16_passes: the row left guarded's window\n");
        std::exit(1);
    }
    const smb::RowParams p{};
    volatile double sink = 0;
    double t[4] = {1e30, 1e30, 1e30, 1e30};
    for (int k = 0; k < reps; ++k) {  // alternated, so drift hits every pass alike
        t[0] = std::min(t[0], seconds([&] {
            smb::simd::GuardWindow w2;
            sink = smb::simd::guarded_anchored<Arch, Cfg, false>(x, nullptr, n, w2).sum;
        }));
        t[1] = std::min(t[1], seconds([&] { smb::simd::guarded_write<Arch, Cfg>(x, y, n, w.q, g.sum, false); }));
        t[2] = std::min(t[2], seconds([&] { smb::simd::guarded<Arch, Cfg>(x, y, n, p); }));
        t[3] = std::min(t[3], seconds([&] { std::memcpy(y, x, n * sizeof(std::uint16_t)); }));
    }
    (void)sink;
    std::printf("%-7s 1x%-9zu  sum %5.2f  write %5.2f  row %5.2f  copy %5.2f G elem/s\n", name, n, n / t[0] / 1e9,
                n / t[1] / 1e9, n / t[2] / 1e9, n / t[3] / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    if (!smb::isa_supported_by_cpu(smb::Isa::avx512bf16)) {
        std::fprintf(stderr, "bf16_passes: this CPU has no AVX512_BF16\n");
        return 1;
    }
    int reps = 9;
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
        else sizes.push_back(std::strtoull(a.c_str(), nullptr, 10));
    }
    if (sizes.empty()) sizes = {std::size_t(1) << 20, std::size_t(1) << 24};
    for (std::size_t n : sizes) {
        if (n <= smb::simd::kBf16ScratchMax || reps < 1) {
            std::fprintf(stderr, "bf16_passes: rows must be longer than %zu (the recompute form), reps >= 1\n",
                         smb::simd::kBf16ScratchMax);
            return 2;
        }
        auto* x = static_cast<std::uint16_t*>(std::aligned_alloc(64, (n * 2 + 63) / 64 * 64));
        auto* y = static_cast<std::uint16_t*>(std::aligned_alloc(64, (n * 2 + 63) / 64 * 64));
        std::mt19937 rng(1);
        std::normal_distribution<float> d(0.0f, 1.0f);
        for (std::size_t i = 0; i < n; ++i) x[i] = smb::float_to_bf16(d(rng));
        std::memset(y, 0, n * 2);
        run<smb::ExpKernel::poly3>("poly3", x, y, n, reps);
        run<smb::ExpKernel::poly3s>("poly3s", x, y, n, reps);
        std::free(x);
        std::free(y);
    }
}
