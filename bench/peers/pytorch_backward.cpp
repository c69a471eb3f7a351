// PyTorch backward peer: ATen's at::_softmax_backward_data_out / _log_softmax_backward_data_out
// (what autograd calls for softmax / log_softmax) over dim 1 of rows x cols tensors viewing the
// caller's buffers, into a preallocated dx. Threads as the forward peer (at::set_num_threads).
#include "peers/backward.hpp"

#ifdef SMB_HAVE_TORCH
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <deque>
#include <utility>
#endif

namespace smb::peers {

#ifdef SMB_HAVE_TORCH

namespace {

class TorchBackward final : public BackwardRunner {
public:
    explicit TorchBackward(const Shape& s)
        : rows_(static_cast<std::int64_t>(s.rows)), cols_(static_cast<std::int64_t>(s.cols)), threads_(s.threads),
          log_(s.output == Output::log_softmax) {}

    void run(const float* y, const float* dy, float* dx) override {
        if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
        const at::Tensor& yt = view(const_cast<float*>(y));
        const at::Tensor& dyt = view(const_cast<float*>(dy));
        at::Tensor& dxt = view(dx);
        if (log_) at::_log_softmax_backward_data_out(dxt, dyt, yt, 1, at::kFloat);
        else at::_softmax_backward_data_out(dxt, dyt, yt, 1, at::kFloat);
    }

    std::string impl_info() const override { return "ATen " + std::string(log_ ? "_log_softmax" : "_softmax") + "_backward_data_out"; }

private:
    std::int64_t rows_, cols_;
    int threads_;
    bool log_;
    std::deque<std::pair<const float*, at::Tensor>> views_;  // one per buffer (from_blob costs ~1 us)

    at::Tensor& view(float* p) {
        for (auto& [q, t] : views_)
            if (q == p) return t;
        views_.emplace_back(p, at::from_blob(p, {rows_, cols_}, at::TensorOptions().dtype(at::kFloat)));
        return views_.back().second;
    }
};

}  // namespace

std::unique_ptr<BackwardRunner> make_pytorch_backward(const Shape& s) { return std::make_unique<TorchBackward>(s); }

#else

std::unique_ptr<BackwardRunner> make_pytorch_backward(const Shape&) {
    throw NotBuilt("PyTorch (libtorch) not found at build time");
}

#endif

}  // namespace smb::peers
