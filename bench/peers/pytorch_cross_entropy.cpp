// PyTorch cross-entropy peers (libtorch), mean reduction, ignore_index -100, label smoothing
// CeShape::label_smoothing (0 in the benchmark; autograd only):
//   pytorch_autograd  torch::nn::functional::cross_entropy(x, t) on a leaf that requires grad,
//                     then loss.backward(): what users call (x.grad allocated by autograd and
//                     reset between calls, as optimizer.zero_grad(set_to_none=True) does).
//                     Loss only: the same call under torch::NoGradGuard.
//   pytorch_aten      the ATen op sequence autograd runs, without autograd: _log_softmax,
//                     nll_loss_forward; then nll_loss_backward and _log_softmax_backward_data
//                     into the caller's gradient buffer.
// Threads: at::set_num_threads before a call when ATen's count differs.
// bf16 (CeShape::bf16): the same calls on a bf16 tensor (loss and gradient in bf16, as torch
// returns them), the entries pytorch_autograd.bf16 and pytorch_aten.bf16.
#include "peers/cross_entropy_peer.hpp"

#ifdef SMB_HAVE_TORCH
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstring>
#include <stdexcept>
#endif

namespace smb::peers {

#ifdef SMB_HAVE_TORCH

namespace {

class TorchCe final : public CeRunner {
public:
    TorchCe(const CeShape& s, bool autograd)
        : s_(s), autograd_(autograd),
          t_(at::empty({std::int64_t(s.rows)}, at::TensorOptions().dtype(at::kLong))) {}

    double run(const float* x, const std::int64_t* t, float* grad) override {
        return call(const_cast<float*>(x), t, grad, at::kFloat, sizeof(float));
    }
    double run_bf16(const std::uint16_t* x, const std::int64_t* t, std::uint16_t* grad) override {
        return call(const_cast<std::uint16_t*>(x), t, grad, at::kBFloat16, 2);
    }

    void set_copy_grad(bool on) override { grad_out_ = on; }

    std::string impl_info() const override {
        return autograd_ ? "PyTorch autograd: cross_entropy + backward" : "ATen ops, no autograd";
    }

private:
    torch::nn::functional::CrossEntropyFuncOptions options() const {
        return torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(double(s_.label_smoothing));
    }

    double call(void* x, const std::int64_t* t, void* grad, at::ScalarType dt, std::size_t esize) {
        if (at::get_num_threads() != s_.threads) at::set_num_threads(s_.threads);
        std::memcpy(t_.data_ptr<std::int64_t>(), t, s_.rows * sizeof(std::int64_t));
        const std::int64_t r = std::int64_t(s_.rows), c = std::int64_t(s_.cols);
        at::Tensor xt = at::from_blob(x, {r, c}, at::TensorOptions().dtype(dt));
        if (autograd_) {
            if (!s_.grad) {
                torch::NoGradGuard no_grad;
                return torch::nn::functional::cross_entropy(xt, t_, options()).item<double>();
            }
            if (!leaf_.defined() || leaf_.data_ptr() != xt.data_ptr()) leaf_ = xt.detach().requires_grad_(true);
            leaf_.mutable_grad() = at::Tensor();  // zero_grad(set_to_none=True)
            at::Tensor loss = torch::nn::functional::cross_entropy(leaf_, t_, options());
            loss.backward();
            if (grad_out_) std::memcpy(grad, leaf_.grad().data_ptr(), s_.rows * s_.cols * esize);
            return loss.item<double>();
        }
        at::Tensor logp = at::_log_softmax(xt, 1, false);
        auto [loss, total_weight] = at::nll_loss_forward(logp, t_, {}, at::Reduction::Mean, -100);
        if (s_.grad) {
            at::Tensor g = at::nll_loss_backward(at::ones({}, logp.options()), logp, t_, {}, at::Reduction::Mean, -100,
                                                 total_weight);
            at::Tensor gx = at::from_blob(grad, {r, c}, at::TensorOptions().dtype(dt));
            at::_log_softmax_backward_data_out(gx, g, logp, 1, dt);
        }
        return loss.item<double>();
    }

    CeShape s_;
    bool autograd_;
    bool grad_out_ = true;
    at::Tensor t_, leaf_;
};

}  // namespace

bool pytorch_ce_built() { return true; }
std::unique_ptr<CeRunner> make_pytorch_ce_autograd(const CeShape& s) { return std::make_unique<TorchCe>(s, true); }
std::unique_ptr<CeRunner> make_pytorch_ce_aten(const CeShape& s) {
    if (s.label_smoothing != 0.0f) throw std::runtime_error("pytorch_aten: no label smoothing (nll_loss has none)");
    return std::make_unique<TorchCe>(s, false);
}

#else

bool pytorch_ce_built() { return false; }
std::unique_ptr<CeRunner> make_pytorch_ce_autograd(const CeShape&) {
    throw NotBuilt("PyTorch (libtorch) not found at build time");
}
std::unique_ptr<CeRunner> make_pytorch_ce_aten(const CeShape&) { throw NotBuilt("PyTorch (libtorch) not found at build time"); }

#endif

}  // namespace smb::peers
