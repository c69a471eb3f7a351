// What the oneDNN peers (onednn.cpp: softmax_v2_forward, onednn_backward.cpp:
// softmax_v2_backward) share: the row-major rows x cols descriptor, the algorithm for an Output,
// and the engine, stream, OpenMP thread count and argument map one primitive runs with.
// Include only where SMB_HAVE_DNNL is defined.
#pragma once

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

#include "peers/peer.hpp"

namespace smb::peers::onednn {

inline dnnl::memory::desc matrix_desc(const Shape& s, dnnl::memory::data_type dt) {
    return dnnl::memory::desc({static_cast<dnnl::memory::dim>(s.rows), static_cast<dnnl::memory::dim>(s.cols)}, dt,
                              dnnl::memory::format_tag::ab);
}

inline dnnl::algorithm softmax_algorithm(Output out) {
    return out == Output::softmax ? dnnl::algorithm::softmax_accurate : dnnl::algorithm::softmax_log;
}

// Debian's oneDNN uses the OpenMP runtime: the thread count is the calling thread's OpenMP ICV,
// read when the primitive executes; it is set on construction (for the descriptor) and before
// every execution (our own batch call may have changed it).
struct Context {
    explicit Context(int n_threads) : threads(n_threads), engine(dnnl::engine::kind::cpu, 0), stream(engine) {
        omp_set_num_threads(threads);
    }

    // A memory object of MD with no data yet (set_data_handle gives it one per run).
    dnnl::memory handle(const dnnl::memory::desc& md) const { return dnnl::memory(md, engine, DNNL_MEMORY_NONE); }

    // Memory objects are handles, so ARGS (built once) sees every later set_data_handle.
    template <class Primitive>
    void execute(Primitive& prim) {
        omp_set_num_threads(threads);
        prim.execute(stream, args);
        stream.wait();
    }

    int threads;
    dnnl::engine engine;
    dnnl::stream stream;
    std::unordered_map<int, dnnl::memory> args;
    std::string impl;  // the primitive descriptor's impl_info_str()
};

}  // namespace smb::peers::onednn
