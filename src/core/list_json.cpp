#include "detail/list_json.hpp"

#include <string>
#include <string_view>

#include "detail/json_text.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::detail {

std::string list_json(Op op) {
    const auto str = [](std::string_view s) { return json::quote(s); };
    const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
    std::string o = "[";
    bool first = true;
    for (const Variant& v : all_variants(op)) {
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
             ", \"accurate_max_ulp\": " + json::number(kAccurateMaxUlp) +
             ", \"subnormal\": " + str(to_string(v.subnormal)) + ", \"parallel\": " + str(parallelism(v)) +
             ", \"split_form\": " + str(to_string(v.split_form)) + ", \"passes\": " + std::to_string(alg.passes) +
             ", \"max_abs_logit\": " + json::number(alg.max_abs_logit) +
             ", \"max_shift_softmax\": " + flag(alg.max_shift_softmax) +
             ", \"max_shift_log\": " + flag(alg.max_shift_log) + ", \"bench_log\": " + flag(alg.bench_log) +
             ", \"summary\": " + str(v.summary) + "}";
        first = false;
    }
    o += first ? "]\n" : "\n]\n";
    return o;
}

}  // namespace smb::detail
