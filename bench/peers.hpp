// Peers of the softmax benchmark: other libraries' softmax (oneDNN, XNNPACK) and a memcpy of
// the same rows (one read + one write per element: the bandwidth floor a softmax cannot beat).
//
// Each peer is compiled in when CMake found the library (SMB_HAVE_DNNL / SMB_HAVE_XNNPACK);
// otherwise its factory throws PeerNotBuilt and the benchmark reports a skip, so the list of
// benchmark names is the same on every machine.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "softmaxbench/softmax.hpp"

namespace smb::bench {

// What a peer is asked to compute: `rows` contiguous rows of `cols` floats (row stride = cols),
// softmax or log_softmax along the rows, on `threads` threads.
struct PeerShape {
    std::size_t rows = 0, cols = 0;
    int threads = 1;
    Output output = Output::softmax;
};

// A configured peer call (primitive / operator created once, outside the timed loop).
class PeerRunner {
public:
    virtual ~PeerRunner() = default;
    // Computes the whole batch from x into y. Throws std::runtime_error on a library error.
    virtual void run(const float* x, float* y) = 0;
    // The library's own name for the code path it picked (oneDNN: impl_info_str()), or "".
    virtual std::string impl_info() const { return {}; }
};

struct PeerNotBuilt : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// oneDNN 2.x softmax_v2 (softmax_accurate / softmax_log); OpenMP threads set per call.
std::string onednn_version();  // "major.minor.patch (git hash)" or "not built"
std::unique_ptr<PeerRunner> make_onednn(const PeerShape& s);

// XNNPACK xnn_create_softmax_nc_f32 (softmax only); a pthreadpool of `threads` (none for 1).
bool xnnpack_built();
std::unique_ptr<PeerRunner> make_xnnpack(const PeerShape& s);

// std::memcpy of the rows (split into `threads` contiguous chunks under OpenMP when > 1).
std::unique_ptr<PeerRunner> make_memcpy(const PeerShape& s);

}  // namespace smb::bench
