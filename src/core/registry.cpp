#include <algorithm>
#include <limits>

#include "kernels.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

constexpr double kNoUlpBound = std::numeric_limits<double>::infinity();

constexpr Variant kVariants[] = {
#define SMB_VARIANT(name, alg, isa, expk, tier, ulp, ulp_log, sub, fn, summary, split) \
    Variant{name, Algorithm::alg, Isa::isa, expk, tier, ulp, ulp_log, Subnormal::sub, &fn, summary, split},
#include "list.inc"
#undef SMB_VARIANT
};

}  // namespace

std::span<const Variant> all_variants() { return kVariants; }

std::string_view parallelism(const Variant& v) { return v.split ? "rows+split" : "rows"; }

const Variant* find_variant(std::string_view name) {
    const auto it = std::find_if(std::begin(kVariants), std::end(kVariants),
                                 [&](const Variant& v) { return v.name == name; });
    return it == std::end(kVariants) ? nullptr : &*it;
}

std::string_view to_string(Algorithm a) {
    switch (a) {
        case Algorithm::naive: return "naive";
        case Algorithm::max_shifted: return "max_shifted";
        case Algorithm::online: return "online";
        case Algorithm::log_sum_exp: return "log_sum_exp";
        case Algorithm::two_pass: return "two_pass";
        case Algorithm::guarded: return "guarded";
        case Algorithm::auto_pick: return "auto";
    }
    return "?";
}

std::string_view to_string(Isa i) {
    switch (i) {
        case Isa::scalar: return "scalar";
        case Isa::sse2: return "sse2";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
    }
    return "?";
}

std::string_view to_string(Subnormal s) { return s == Subnormal::gradual ? "gradual" : "flush"; }
std::string_view to_string(Output o) { return o == Output::softmax ? "softmax" : "log_softmax"; }

bool parse_isa(std::string_view s, Isa& out) {
    for (Isa i : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512})
        if (to_string(i) == s) {
            out = i;
            return true;
        }
    return false;
}

}  // namespace smb
