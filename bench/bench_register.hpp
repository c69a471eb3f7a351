// Helpers shared by the registration of softmax_bench's entries (softmax_bench.cpp, bf16_bench.cpp,
// bench_backward.cpp, bench_cross_entropy.cpp, floors.cpp): the --smb_filter_isa=best rule, the
// display unit of an entry's time, an entry's arguments and clock, and a timed loop's counters.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

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

// Made just before a forward entry's timed loop; finish() after it sets the counters every such
// entry records: minor page faults (whole process, every thread) per timed call, 0 for a call
// that writes pre-faulted buffers (an allocating call, pytorch_api, pays its fresh pages here);
// items; and bytes under the run's bytes_per_element_convention: 8 bytes per element = one
// 4-byte read of x + one 4-byte write of y, the minimum traffic of an out-of-place softmax (and
// exactly what memcpy moves). Extra passes over the row (max, sum, re-read) are not counted, so
// bytes/s is comparable to the memcpy row as a fraction of the bandwidth roofline.
class TimedLoopCounters {
public:
    TimedLoopCounters() { getrusage(RUSAGE_SELF, &before_); }
    void finish(benchmark::State& state, std::size_t elems) const {
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        const auto iters = state.iterations();
        state.counters["minor_faults_per_iter"] = iters > 0 ? double(after.ru_minflt - before_.ru_minflt) / double(iters) : 0.0;
        const auto items = static_cast<std::int64_t>(elems) * iters;
        state.SetItemsProcessed(items);
        state.SetBytesProcessed(8 * items);
    }

private:
    rusage before_{};
};

}  // namespace smb::bench
