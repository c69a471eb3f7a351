// Helpers shared by the registration of softmax_bench's entries (softmax_bench.cpp, bf16_bench.cpp,
// bench_backward.cpp, bench_cross_entropy.cpp): the --smb_filter_isa=best rule, the display
// unit of an entry's time, and an entry's arguments and clock.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>

#include "softmaxbench/softmax.hpp"

namespace smb::bench {

// The ISA the runtime dispatch picks, or none when it throws (no variant runs here; the entries
// then skip with that error, and the run's context reports it).
inline std::optional<Isa> dispatch_isa_or_none() {
    try {
        return dispatch_isa();
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// --smb_filter_isa=best keeps a variant when it is scalar or of the dispatch ISA.
inline bool on_best_isa(const Variant& v, const std::optional<Isa>& dispatch) {
    return v.isa == Isa::scalar || (dispatch && v.isa == *dispatch);
}

// The forward entries' time unit: ms from 2^20 elements, us from 4096, else ns.
inline benchmark::TimeUnit forward_time_unit(std::size_t elems) {
    return elems >= (std::size_t{1} << 20) ? benchmark::kMillisecond
           : elems >= 4096                 ? benchmark::kMicrosecond
                                           : benchmark::kNanosecond;
}

// An entry's arguments and clock, the same for every op: rows/cols with one thread, timed with
// Google Benchmark's default, the calling thread's CPU time (it does all the work; on a shared
// machine it leaves out time the thread was descheduled); rows/cols/threads otherwise, on the wall
// clock (UseRealTime, which makes Google Benchmark append "/real_time" to the name). The JSON has
// real_time and cpu_time for every run either way.
inline void shape_args(benchmark::internal::Benchmark* b, std::size_t rows, std::size_t cols, int threads) {
    const auto r = static_cast<std::int64_t>(rows), n = static_cast<std::int64_t>(cols);
    if (threads == 1) b->Args({r, n});
    else b->Args({r, n, threads})->UseRealTime();
}

}  // namespace smb::bench
