// The bf16 peers' list (peer_bf16.hpp) and the 2-byte memcpy.
#include <omp.h>

#include <cstring>

#include "peers/peer_bf16.hpp"

namespace smb::peers {
namespace {

std::string no_suffix() { return {}; }

class MemcpyBf16Runner final : public Bf16Runner {
public:
    explicit MemcpyBf16Runner(const Shape& s) : bytes_(s.rows * s.cols * sizeof(std::uint16_t)), threads_(s.threads) {}
    void run(const std::uint16_t* x, std::uint16_t* y) override {
        if (threads_ <= 1) {
            std::memcpy(y, x, bytes_);
            return;
        }
        const std::size_t nt = static_cast<std::size_t>(threads_);
        const std::size_t chunk = ((bytes_ + nt - 1) / nt + 63) / 64 * 64;
        const auto* src = reinterpret_cast<const unsigned char*>(x);
        auto* dst = reinterpret_cast<unsigned char*>(y);
#pragma omp parallel num_threads(threads_)
        {
            const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
            const std::size_t begin = t * chunk < bytes_ ? t * chunk : bytes_;
            const std::size_t end = begin + chunk < bytes_ ? begin + chunk : bytes_;
            if (end > begin) std::memcpy(dst + begin, src + begin, end - begin);
        }
    }

private:
    std::size_t bytes_;
    int threads_;
};

const Bf16Peer kBf16Peers[] = {
    {.name = "onednn", .softmax = true, .log_softmax = true, .label_suffix = no_suffix, .make = make_onednn_bf16},
    {.name = "pytorch", .softmax = true, .log_softmax = true, .label_suffix = pytorch_label_suffix,
     .make = make_pytorch_bf16},
    {.name = "memcpy", .softmax = true, .log_softmax = false, .label_suffix = no_suffix, .make = make_memcpy_bf16},
};

}  // namespace

std::span<const Bf16Peer> bf16_peers() { return kBf16Peers; }

std::string bf16_entry_name(const Bf16Peer& p, Output out) {
    std::string s(p.name);
    if (out == Output::log_softmax && p.name == "onednn") s += "_log";
    s += p.label_suffix();
    s += ".bf16";
    if (out == Output::log_softmax && p.name != "onednn") s += ":log";
    return s;
}

std::unique_ptr<Bf16Runner> make_memcpy_bf16(const Shape& s) { return std::make_unique<MemcpyBf16Runner>(s); }

}  // namespace smb::peers
