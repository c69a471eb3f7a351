// Peers of the backward (op backward): other libraries' softmax / log_softmax backward, behind a
// small interface of their own (the forward Peer's call is x -> y; a backward call reads the
// forward output y and the gradient dy and writes dx). Used by bench/bench_backward.cpp.
// Each is compiled in when CMake found its library (SMB_HAVE_DNNL, SMB_HAVE_TORCH for its own
// file); otherwise make() throws NotBuilt, so the entry names are the same on every machine.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "peers/peer.hpp"

namespace smb::peers {

// A configured backward call over `rows` contiguous rows of `cols` floats (Shape::output: which
// forward output y is).
class BackwardRunner {
public:
    virtual ~BackwardRunner() = default;
    virtual void run(const float* y, const float* dy, float* dx) = 0;
    virtual std::string impl_info() const { return {}; }
};

struct BackwardPeer {
    std::string_view name;  // the entry's impl: onednn, pytorch (+ label suffix)
    std::string_view what;  // one line: the library call
    bool (*built)() = nullptr;
    std::string (*label_suffix)() = nullptr;
    std::unique_ptr<BackwardRunner> (*make)(const Shape&) = nullptr;
};

std::span<const BackwardPeer> backward_peers();

// oneDNN softmax_v2_backward (softmax_accurate / softmax_log), axis 1.
std::unique_ptr<BackwardRunner> make_onednn_backward(const Shape& s);
// PyTorch at::_softmax_backward_data_out / at::_log_softmax_backward_data_out, dim 1.
std::unique_ptr<BackwardRunner> make_pytorch_backward(const Shape& s);

}  // namespace smb::peers
