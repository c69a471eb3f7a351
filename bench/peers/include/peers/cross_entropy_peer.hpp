// Cross-entropy peers (bench/bench_cross_entropy.cpp): a configured call on rows x cols logits
// with int64 targets, mean reduction, computing the loss and, when CeShape::grad, the gradient
// w.r.t. the logits. oneDNN has no cross-entropy primitive (nor XNNPACK): PyTorch only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "peers/peer.hpp"

namespace smb::peers {

struct CeShape {
    std::size_t rows = 0, cols = 0;
    int threads = 1;
    bool grad = true;  // forward + gradient; false: the loss only
    // Label smoothing eps (pytorch_autograd only: CrossEntropyFuncOptions::label_smoothing;
    // the ATen sequence has none and its make throws for eps != 0). peer_accuracy scores it.
    float label_smoothing = 0.0f;
    bool bf16 = false; // bf16 logits and gradient (run_bf16), as torch computes on a bf16 tensor
};

class CeRunner {
public:
    virtual ~CeRunner() = default;
    // Returns the mean loss; writes the gradient (rows x cols) into grad when CeShape::grad.
    virtual double run(const float* x, const std::int64_t* targets, float* grad) = 0;
    // The same on bf16 logits (raw bits) with a bf16 gradient (CeShape::bf16); the loss is the
    // library's (a bf16 tensor for PyTorch) as a double.
    virtual double run_bf16(const std::uint16_t*, const std::int64_t*, std::uint16_t*) {
        throw NotBuilt("no bf16 cross-entropy in this peer");
    }
    // Whether run() copies a gradient the library allocated into grad (off while timing: the
    // user's call ends with the gradient in the library's tensor).
    virtual void set_copy_grad(bool) {}
    virtual std::string impl_info() const { return {}; }
};

bool pytorch_ce_built();
std::unique_ptr<CeRunner> make_pytorch_ce_autograd(const CeShape& s);
std::unique_ptr<CeRunner> make_pytorch_ce_aten(const CeShape& s);

}  // namespace smb::peers
