// PyTorch peer (libtorch, ATen's CPU kernels). The only translation unit that includes torch
// headers (they are heavy: keep it that way).
//   pytorch      at::_softmax_out / at::_log_softmax_out over the last dim of a rows x cols
//                tensor, into a preallocated output: the kernel, not the allocator.
//   pytorch_api  torch::softmax(x, -1) / torch::log_softmax(x, -1), as users call it: through
//                the dispatcher (autograd key included) and allocating its output every call.
// Threads: at::set_num_threads(threads) before a call when ATen's count differs (Debian's
// libtorch uses OpenMP, the runtime our variants and oneDNN use).
// Capability: ATen picks its CPU kernels once per process from ATEN_CPU_CAPABILITY (default:
// avx2 even on AVX-512 CPUs in 1.13); at::show_config() reports the one in use.
#include "bench_config.hpp"
#include "peers/peer.hpp"
#include "peers/peer_bf16.hpp"

#ifdef SMB_HAVE_TORCH
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/types.h>    // torch::softmax: ATen's functions in the public torch:: namespace
#include <torch/version.h>  // TORCH_VERSION

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <utility>
#endif

namespace smb::peers {

#ifdef SMB_HAVE_TORCH

namespace {

class TorchRunner final : public Runner {
public:
    TorchRunner(const Shape& s, bool api)
        : rows_(static_cast<std::int64_t>(s.rows)), cols_(static_cast<std::int64_t>(s.cols)),
          threads_(s.threads), log_(s.output == Output::log_softmax), api_(api) {}

    void run(const float* x, float* y) override {
        set_threads();
        const at::Tensor& xt = tensor_for(const_cast<float*>(x));  // only read
        if (api_) {
            const at::Tensor r = api_call(xt);
            std::memcpy(y, r.data_ptr<float>(), static_cast<std::size_t>(r.numel()) * sizeof(float));
            return;
        }
        at::Tensor& yt = tensor_for(y);
        if (log_) at::_log_softmax_out(yt, xt, /*dim=*/1, /*half_to_float=*/false);
        else at::_softmax_out(yt, xt, /*dim=*/1, /*half_to_float=*/false);
    }

    // pytorch_api: the allocating call alone (its result is freed at once, as a temporary).
    void run_timed(const float* x, float* y) override {
        if (!api_) return run(x, y);
        set_threads();
        const at::Tensor r = api_call(tensor_for(const_cast<float*>(x)));
        (void)r;
    }

    std::string impl_info() const override;

private:
    std::int64_t rows_, cols_;
    int threads_;
    bool log_, api_;
    // Tensors viewing the caller's buffers, made once per pointer (from_blob costs ~1 us, which
    // would dominate a 64-element row). The benchmark rotates at most a few outputs. A deque:
    // references stay valid when another view is added.
    std::deque<std::pair<const float*, at::Tensor>> views_;

    at::Tensor api_call(const at::Tensor& xt) const {
        return log_ ? torch::log_softmax(xt, -1) : torch::softmax(xt, -1);
    }

    at::Tensor& tensor_for(float* p) {
        for (auto& [q, t] : views_)
            if (q == p) return t;
        views_.emplace_back(p, at::from_blob(p, {rows_, cols_}, at::TensorOptions().dtype(at::kFloat)));
        return views_.back().second;
    }

    void set_threads() const {
        if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
    }
};

// "avx2", "avx512" or "default": the "CPU capability usage" line of at::show_config().
std::string capability_in_use() {
    static const std::string cap = [] {
        const std::string cfg = at::show_config();
        const std::string key = "CPU capability usage:";
        const auto at_key = cfg.find(key);
        if (at_key == std::string::npos) return std::string("unknown");
        std::size_t b = at_key + key.size();
        while (b < cfg.size() && cfg[b] == ' ') ++b;
        std::size_t e = b;
        while (e < cfg.size() && std::isalnum(static_cast<unsigned char>(cfg[e]))) ++e;
        std::string v = cfg.substr(b, e - b);
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (v == "no") return std::string("default");  // "NO AVX": ATEN_CPU_CAPABILITY=default's kernels
        return v.empty() ? std::string("unknown") : v;
    }();
    return cap;
}

std::string TorchRunner::impl_info() const {
    return "ATen CPU capability " + capability_in_use() + (api_ ? ", public API (allocates)" : "");
}

// bf16 (peer_bf16.hpp): the kernel call on kBFloat16 tensors viewing the caller's buffers.
class TorchBf16Runner final : public Bf16Runner {
public:
    explicit TorchBf16Runner(const Shape& s)
        : rows_(static_cast<std::int64_t>(s.rows)), cols_(static_cast<std::int64_t>(s.cols)), threads_(s.threads),
          log_(s.output == Output::log_softmax) {}
    void run(const std::uint16_t* x, std::uint16_t* y) override {
        if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
        const at::Tensor& xt = tensor_for(const_cast<std::uint16_t*>(x));
        at::Tensor& yt = tensor_for(y);
        if (log_) at::_log_softmax_out(yt, xt, /*dim=*/1, /*half_to_float=*/false);
        else at::_softmax_out(yt, xt, /*dim=*/1, /*half_to_float=*/false);
    }
    std::string impl_info() const override { return "ATen CPU capability " + capability_in_use() + ", kBFloat16"; }

private:
    std::int64_t rows_, cols_;
    int threads_;
    bool log_;
    std::deque<std::pair<const std::uint16_t*, at::Tensor>> views_;
    at::Tensor& tensor_for(std::uint16_t* p) {
        for (auto& [q, t] : views_)
            if (q == p) return t;
        views_.emplace_back(p, at::from_blob(p, {rows_, cols_}, at::TensorOptions().dtype(at::kBFloat16)));
        return views_.back().second;
    }
};

}  // namespace

std::unique_ptr<Bf16Runner> make_pytorch_bf16(const Shape& s) { return std::make_unique<TorchBf16Runner>(s); }

bool pytorch_built() { return true; }
std::string pytorch_version() { return TORCH_VERSION " (package " SMB_TORCH_PACKAGE_VERSION ")"; }
std::string pytorch_capability() { return capability_in_use(); }
std::string pytorch_label_suffix() {
    const char* forced = std::getenv("ATEN_CPU_CAPABILITY");
    if (forced == nullptr || *forced == '\0') return {};
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "." + std::string.
    std::string s(1, '.');
    return s.append(capability_in_use());
}
std::unique_ptr<Runner> make_pytorch(const Shape& s) { return std::make_unique<TorchRunner>(s, false); }
std::unique_ptr<Runner> make_pytorch_api(const Shape& s) { return std::make_unique<TorchRunner>(s, true); }

#else  // !SMB_HAVE_TORCH

bool pytorch_built() { return false; }
std::string pytorch_version() { return "not built"; }
std::string pytorch_capability() { return {}; }
std::string pytorch_label_suffix() { return {}; }
std::unique_ptr<Runner> make_pytorch(const Shape&) { throw NotBuilt("PyTorch (libtorch) not found at build time"); }
std::unique_ptr<Runner> make_pytorch_api(const Shape&) {
    throw NotBuilt("PyTorch (libtorch) not found at build time");
}
std::unique_ptr<Bf16Runner> make_pytorch_bf16(const Shape&) {
    throw NotBuilt("PyTorch (libtorch) not found at build time");
}

#endif

}  // namespace smb::peers
