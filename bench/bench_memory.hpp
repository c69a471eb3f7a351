// Memory helpers shared by softmax_bench's entries (softmax_bench.cpp, bench_backward.cpp,
// bench_cross_entropy.cpp, bf16_bench.cpp): aligned, pre-touched float buffers, the last-level
// cache size, and the rule for how many output buffers rotate past it.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>

namespace smb::bench {

struct FreeDeleter {
    void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

// 64-byte aligned, every page touched (so page faults never land in a timed iteration).
inline Buffer alloc_floats(std::size_t n) {
    const std::size_t bytes = (std::max<std::size_t>(n, 1) * sizeof(float) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return Buffer(static_cast<float*>(p));
}

// Last-level cache size: sysfs first (what the kernel reports for cpu0's L3), then sysconf. Under
// KVM glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) can be wrong (320 MiB on the 32 MiB target VM).
inline std::size_t llc_bytes() {
    static const std::size_t llc = [] {
        std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index3/size");  // e.g. "32768K"
        std::size_t n = 0;
        char unit = 0;
        if (f >> n) {
            if (f >> unit) {
                if (unit == 'K') n <<= 10;
                if (unit == 'M') n <<= 20;
            }
            if (n > 0) return n;
        }
        const long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (v > 0) return static_cast<std::size_t>(v);
        return std::size_t{32} << 20;  // the documented target machine
    }();
    return llc;
}

// Output buffers to rotate for an entry whose one call moves TRAFFIC bytes: one (warm) when that
// fits in the LLC, else 1 + ceil(2 LLC / TRAFFIC), so at least twice the LLC of other traffic
// passes between two writes of the same buffer and every timed iteration writes cold memory.
inline std::size_t rotating_outputs(std::size_t traffic, std::size_t llc = llc_bytes()) {
    if (traffic <= llc) return 1;
    return 1 + (2 * llc + traffic - 1) / traffic;
}

}  // namespace smb::bench
