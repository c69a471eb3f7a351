// memcpy peer: copies the same rows x cols floats. It reads and writes each element once, the
// minimum traffic of any out-of-place softmax, so its items/s is the bandwidth roofline.
// make_memcpy_bf16 (peer_bf16.hpp) is the same copy of 2-byte elements.
#include <omp.h>

#include <cstdint>
#include <cstring>

#include "peers/peer.hpp"
#include "peers/peer_bf16.hpp"

namespace smb::peers {
namespace {

// One copy for both element types: ELEM (float, or std::uint16_t bf16 bits for peer_bf16.hpp's
// entries) through BASE's run(const ELEM*, ELEM*).
template <class Base, class Elem>
class MemcpyRunner final : public Base {
public:
    explicit MemcpyRunner(const Shape& s)
        : bytes_(s.rows * s.cols * sizeof(Elem)), threads_(s.threads) {}

    void run(const Elem* x, Elem* y) override {
        if (threads_ <= 1) {
            std::memcpy(y, x, bytes_);
            return;
        }
        // Contiguous chunks, 64-byte aligned boundaries, one per thread.
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

}  // namespace

std::unique_ptr<Runner> make_memcpy(const Shape& s) {
    return std::make_unique<MemcpyRunner<Runner, float>>(s);
}

std::unique_ptr<Bf16Runner> make_memcpy_bf16(const Shape& s) {
    return std::make_unique<MemcpyRunner<Bf16Runner, std::uint16_t>>(s);
}

}  // namespace smb::peers
