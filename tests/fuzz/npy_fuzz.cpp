// libFuzzer target for the .npy reader (src/npy/npy.cpp): its entry point smb::npy::read() on
// the input as a file, and parse_header() on the input as header text. The only failure a bad
// input may cause is smb::npy::Error; anything else (a crash, another exception, a leak, an
// ASan/UBSan report, an accepted file that breaks the reader's own contract) is a finding.
// Built with clang by tests/fuzz/build.sh, run by tests/fuzz/run.sh (.ci/run's fuzz stage).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "npy/npy.hpp"

namespace {

// The input as a regular file, in memory: read() takes a path, memfd gives one without disk I/O.
int input_fd() {
    static const int fd = ::memfd_create("npy_fuzz", 0);
    if (fd < 0) std::abort();
    return fd;
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    // 1. The header parser on arbitrary text.
    try {
        const smb::npy::Header h = smb::npy::parse_header(bytes, "fuzz");
        // Whatever it accepts, the writer's header for that shape must parse back to it.
        const smb::npy::Header back =
            smb::npy::parse_header(smb::npy::format_header(h.shape), "fuzz");
        check(back.shape == h.shape && back.descr == "<f4" && !back.fortran_order);
    } catch (const smb::npy::Error&) {
    }

    // 2. The reader on the input as a file.
    const int fd = input_fd();
    check(::ftruncate(fd, 0) == 0);
    check(::pwrite(fd, data, size, 0) == static_cast<ssize_t>(size));
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    try {
        const smb::npy::Array a = smb::npy::read(path);
        // Accepted: 1 or 2 dimensions, exactly product(shape) floats, and exactly that many
        // bytes after the header (the reader rejects truncated data and trailing bytes).
        check(a.shape.size() == 1 || a.shape.size() == 2);
        std::size_t count = 1;
        for (std::size_t d : a.shape) count *= d;
        check(a.data.size() == count);
        check(count * sizeof(float) <= size);
    } catch (const smb::npy::Error&) {
    }
    return 0;
}
