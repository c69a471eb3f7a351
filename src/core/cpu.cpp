// CPU feature detection: CPUID for what the hardware has, XCR0 (xgetbv) for what the OS saves
// on a context switch. Both are needed: a CPU can report AVX-512 while the OS leaves ZMM state
// disabled, and xsimd 8.1's own detection skips that check.
#include <cpuid.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

struct Regs {
    unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub = 0) {
    Regs r;
    if (!__get_cpuid_count(leaf, sub, &r.a, &r.b, &r.c, &r.d)) r = Regs{};
    return r;
}

std::uint64_t xgetbv0() {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (std::uint64_t(hi) << 32) | lo;
}

bool bit(unsigned v, int b) { return (v >> b) & 1u; }

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(' ');
    const auto e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

CpuInfo detect() {
    CpuInfo ci;
    const Regs r0 = cpuid(0);
    char vendor[13] = {};
    std::memcpy(vendor + 0, &r0.b, 4);
    std::memcpy(vendor + 4, &r0.d, 4);
    std::memcpy(vendor + 8, &r0.c, 4);
    ci.vendor = vendor;

    if (cpuid(0x80000000u).a >= 0x80000004u) {
        char brand[49] = {};
        for (unsigned i = 0; i < 3; ++i) {
            const Regs r = cpuid(0x80000002u + i);
            std::memcpy(brand + 16 * i + 0, &r.a, 4);
            std::memcpy(brand + 16 * i + 4, &r.b, 4);
            std::memcpy(brand + 16 * i + 8, &r.c, 4);
            std::memcpy(brand + 16 * i + 12, &r.d, 4);
        }
        ci.model = trim(brand);
    }

    const unsigned max_leaf = r0.a;
    const Regs r1 = max_leaf >= 1 ? cpuid(1) : Regs{};
    ci.sse2 = bit(r1.d, 26);
    ci.fma = bit(r1.c, 12);
    ci.avx = bit(r1.c, 28);
    const bool osxsave = bit(r1.c, 27);
    if (osxsave) {
        const std::uint64_t xcr0 = xgetbv0();
        ci.os_avx = (xcr0 & 0x6) == 0x6;             // XMM and YMM state
        ci.os_avx512 = ci.os_avx && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM_Hi256, Hi16_ZMM
    }
    if (max_leaf >= 7) {
        const Regs r7 = cpuid(7, 0);
        ci.avx2 = bit(r7.b, 5);
        ci.avx512f = bit(r7.b, 16);
        ci.avx512dq = bit(r7.b, 17);
        ci.avx512bw = bit(r7.b, 30);
        ci.avx512vl = bit(r7.b, 31);
        if (r7.a >= 1) ci.avx512bf16 = bit(cpuid(7, 1).a, 5);  // CPUID.(7,1):EAX[5] AVX512_BF16
    }
    return ci;
}

}  // namespace

const CpuInfo& cpu_info() {
    static const CpuInfo info = detect();
    return info;
}

namespace {

// CPU features as bits, for the list's ISA table (SMB_ISA rows in variants/list.inc).
enum Feature : unsigned {
    kSse2 = 1u << 0, kAvx = 1u << 1, kAvx2 = 1u << 2, kFma = 1u << 3,
    kAvx512f = 1u << 4, kAvx512dq = 1u << 5, kAvx512bw = 1u << 6, kAvx512vl = 1u << 7,
    kOsAvx = 1u << 8, kOsAvx512 = 1u << 9, kAvx512bf16 = 1u << 10,
};

struct IsaRow {
    Isa isa;
    unsigned required;
};
constexpr IsaRow kIsas[] = {
#define SMB_ISA(name, features, flags) IsaRow{Isa::name, unsigned(features)},
#include "list.inc"
#undef SMB_ISA
};

unsigned required(Isa i) {
    for (const IsaRow& r : kIsas)
        if (r.isa == i) return r.required;
    return ~0u;
}

unsigned cpu_features() {
    static const unsigned f = [] {
        const CpuInfo& c = cpu_info();
        const std::pair<bool, Feature> bits[] = {
            {c.sse2, kSse2},         {c.avx, kAvx},           {c.avx2, kAvx2},         {c.fma, kFma},
            {c.avx512f, kAvx512f},   {c.avx512dq, kAvx512dq}, {c.avx512bw, kAvx512bw}, {c.avx512vl, kAvx512vl},
            {c.os_avx, kOsAvx},      {c.os_avx512, kOsAvx512}, {c.avx512bf16, kAvx512bf16}};
        unsigned m = 0;
        for (const auto& [on, b] : bits)
            if (on) m |= b;
        return m;
    }();
    return f;
}

std::string isa_names() {
    std::string s;
    for (std::size_t k = 0; k < std::size(kIsas); ++k)
        s += std::string(k == 0 ? "" : k + 1 == std::size(kIsas) ? " or " : ", ") + std::string(to_string(kIsas[k].isa));
    return s;
}

}  // namespace

bool isa_supported_by_cpu(Isa isa) { return (required(isa) & ~cpu_features()) == 0; }

Isa best_isa_of_cpu() {
    static const Isa best = [] {
        Isa b = Isa::scalar;
        for (const IsaRow& r : kIsas)  // preference order: the last supported row wins
            if (isa_supported_by_cpu(r.isa)) b = r.isa;
        return b;
    }();
    return best;
}

namespace {
// The dispatch cap, decided once per process (the environment is read at the first call): the
// batch call asks on every call, and parsing the variable each time cost more than a short row.
struct Dispatch {
    Isa isa = Isa::scalar;
    std::string error;  // non-empty: SOFTMAXBENCH_FORCE_ISA is unknown or unsupported
    std::string forced;  // the variable's value when it capped the dispatch
};

Dispatch decide() {
    const Isa best = best_isa_of_cpu();
    const char* env = std::getenv("SOFTMAXBENCH_FORCE_ISA");
    if (env == nullptr || *env == '\0') return {best, {}, {}};
    Isa forced;
    if (!parse_isa(env, forced))
        return {best, std::string("SOFTMAXBENCH_FORCE_ISA='") + env + "' is not an ISA (use " + isa_names() + ")", {}};
    if (!isa_supported_by_cpu(forced))
        return {best, std::string("SOFTMAXBENCH_FORCE_ISA='") + env + "' is not supported by this CPU/OS (best here: " +
                          std::string(to_string(best)) + ")", {}};
    return {forced, {}, env};
}
const Dispatch& dispatch() {
    static const Dispatch d = decide();
    return d;
}
}  // namespace

Isa dispatch_isa() {
    const Dispatch& d = dispatch();
    if (!d.error.empty()) throw std::runtime_error(d.error);
    return d.isa;
}

bool isa_available(Isa isa) {
    // The batch call asks on every call: the set is decided once per process, like the cap
    // (a bad SOFTMAXBENCH_FORCE_ISA throws from dispatch_isa() here, at every call).
    // Without SOFTMAXBENCH_FORCE_ISA the cap is the CPU's own features, so a side extension the
    // dispatch ISA does not contain (avx512bf16, listed below avx512) is available too.
    static const unsigned mask = [] {
        const unsigned cap = dispatch().forced.empty() ? (dispatch_isa(), cpu_features()) : required(dispatch_isa());
        unsigned m = 0;
        for (const IsaRow& r : kIsas)
            if (isa_supported_by_cpu(r.isa) && (r.required & ~cap) == 0) m |= 1u << unsigned(r.isa);
        return m;
    }();
    return (mask >> unsigned(isa)) & 1u;
}

std::string machine_id() {
    std::string slug;
    for (char c : cpu_info().model.empty() ? std::string("unknown-cpu") : cpu_info().model) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        const bool upper = c >= 'A' && c <= 'Z';
        if (alnum || upper) slug += upper ? char(c - 'A' + 'a') : c;
        else if (!slug.empty() && slug.back() != '-') slug += '-';
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    std::uint32_t h = 2166136261u;  // FNV-1a, 32 bits
    for (const char* p = host; *p; ++p) h = (h ^ std::uint8_t(*p)) * 16777619u;
    char tag[16];
    std::snprintf(tag, sizeof tag, "%06x", unsigned(h & 0xFFFFFFu));
    return slug + "-" + tag;
}
bool available(const Variant& v) { return isa_available(v.isa); }

std::string unavailable_reason(const Variant& v) {
    const Isa d = dispatch_isa();
    const std::string why = dispatch().forced.empty()
                                ? "this CPU/OS supports up to " + std::string(to_string(d))
                                : "SOFTMAXBENCH_FORCE_ISA=" + dispatch().forced + " limits dispatch to " +
                                      std::string(to_string(d));
    return "variant '" + std::string(v.name) + "' needs " + std::string(to_string(v.isa)) +
           ", which is not available here (" + why + ")";
}

bool pickable(const Variant& v) { return v.algorithm != Algorithm::auto_pick && v.tier != Tier::unsafe; }

}  // namespace smb
