// A buffer whose last byte is the last of a mapped page, the next page PROT_NONE: a row placed
// with last<T>(n) ends exactly at the guard, so a SIMD tail that loads or stores one element past
// the row faults. One helper for every test of tails (f32, bf16, cross-entropy).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>

namespace smb::test {

struct GuardPage {
    std::size_t page = std::size_t(sysconf(_SC_PAGESIZE));
    std::size_t len = 0;
    char* base = nullptr;
    char* end = nullptr;  // the first byte of the PROT_NONE page
    explicit GuardPage(std::size_t bytes) {
        const std::size_t pages = (bytes + page - 1) / page + 1;
        len = (pages + 1) * page;
        void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(m != MAP_FAILED);
        base = static_cast<char*>(m);
        REQUIRE(mprotect(base + pages * page, page, PROT_NONE) == 0);
        end = base + pages * page;
    }
    ~GuardPage() { munmap(base, len); }
    GuardPage(const GuardPage&) = delete;
    GuardPage& operator=(const GuardPage&) = delete;
    // n elements of T ending at the guard.
    template <class T = float>
    T* last(std::size_t n) const { return reinterpret_cast<T*>(end) - n; }
};

}  // namespace smb::test
