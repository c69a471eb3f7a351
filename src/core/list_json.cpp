#include "detail/list_json.hpp"

#include <string>
#include <string_view>

#include "detail/json_text.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::detail {

namespace {

// "bounds": what max_ulp and max_ulp_log bound, by op and dtype, each with its unit:
//   ulp:      float32 ULP of the output (outputs >= FLT_MIN), against the MPFR reference;
//   ulp_bf16: bf16 ULP of a bf16 output, against the MPFR reference rounded to bf16;
//   k:        k of |err| <= k 2^-24 sigma + eta (the backward's, the cross-entropy gradient's
//             bound, variants/list.inc); k_bf16: the same plus half a bf16 ULP (a bf16 gradient).
std::string bounds(const Variant& v) {
    std::string o = "{";
    const auto one = [&o](std::string_view key, double max, std::string_view unit, bool last) {
        o += json::quote(key);
        o += ": {\"max\": ";
        o += json::number(max);
        o += ", \"unit\": ";
        o += json::quote(unit);
        o += last ? "}}" : "}, ";
    };
    switch (v.op) {
        case Op::forward: {
            const std::string_view unit = v.dtype == Dtype::bf16 ? "ulp_bf16" : "ulp";
            one("softmax", v.max_ulp, unit, false);
            one("log_softmax", v.max_ulp_log, unit, true);
            break;
        }
        case Op::backward:
            one("softmax_backward", v.max_ulp, "k", false);
            one("log_softmax_backward", v.max_ulp_log, "k", true);
            break;
        case Op::cross_entropy:
            one("loss", v.max_ulp, "ulp", false);
            one("gradient", v.max_ulp_log, v.dtype == Dtype::bf16 ? "k_bf16" : "k", true);
            break;
    }
    return o;
}

void append(std::string& o, bool& first, const Variant& v) {
    const auto str = [](std::string_view s) { return json::quote(s); };
    const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
    const AlgorithmInfo& alg = info(v.algorithm);
    std::string aliases = "[";
    for (const VariantAlias& a : variant_aliases())
        if (a.name == v.name) aliases += (aliases.size() > 1 ? ", " : "") + str(a.alias);
    aliases += "]";
    bool avail = false;
    try {
        avail = available(v);
    } catch (const std::exception&) {  // an invalid SOFTMAXBENCH_FORCE_ISA: nothing is
    }
    o += first ? "\n" : ",\n";
    o += "  {\"name\": " + str(v.name) + ", \"aliases\": " + aliases + ", \"op\": " + str(to_string(v.op)) +
         ", \"algorithm\": " + str(to_string(v.algorithm)) + ", \"isa\": " + str(to_string(v.isa)) +
         ", \"exp_kernel\": " + str(to_string(v.exp_kernel)) + ", \"tier\": " + str(to_string(v.tier)) +
         ", \"dtype\": " + str(to_string(v.dtype)) + ", \"available\": " + flag(avail) +
         ", \"max_ulp\": " + json::number(v.max_ulp) + ", \"max_ulp_log\": " + json::number(v.max_ulp_log) +
         ", \"bounds\": " + bounds(v) + ", \"accurate_max_ulp\": " + json::number(kAccurateMaxUlp) +
         ", \"subnormal\": " + str(to_string(v.subnormal)) + ", \"parallel\": " + str(parallelism(v)) +
         ", \"split_form\": " + str(to_string(v.split_form)) + ", \"passes\": " + std::to_string(alg.passes) +
         ", \"max_abs_logit\": " + json::number(alg.max_abs_logit) +
         ", \"max_shift_softmax\": " + flag(alg.max_shift_softmax) +
         ", \"max_shift_log\": " + flag(alg.max_shift_log) + ", \"bench_log\": " + flag(alg.bench_log) +
         ", \"summary\": " + str(v.summary) + "}";
    first = false;
}

}  // namespace

std::string list_json(std::span<const Op> ops, std::span<const Dtype> dtypes) {
    std::string o = "[";
    bool first = true;
    for (Op op : ops)
        for (Dtype d : dtypes)
            for (const Variant& v : all_variants(op, d)) append(o, first, v);
    o += first ? "]\n" : "\n]\n";
    return o;
}

std::string list_json(Op op) {
    const Op ops[] = {op};
    const Dtype f32[] = {Dtype::f32};
    return list_json(ops, f32);
}

}  // namespace smb::detail
