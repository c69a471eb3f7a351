// Helpers shared by the registration of softmax_bench's entries (softmax_bench.cpp, bf16_bench.cpp,
// bench_backward.cpp, bench_cross_entropy.cpp): the --smb_filter_isa=best rule and the display
// unit of an entry's time.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
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

}  // namespace smb::bench
