// softmaxbench accuracy: the cross-entropy part (variants of op cross_entropy). Every variant on
// every distribution and size (up to 65537: the MPFR reference keeps every exp), with the target
// at the row's argmax, at another index, and at another index with label smoothing 0.1, plus
// "dominant_target" rows (the target 0, the rest such that p_t = 1 - 2^-40: where a float
// pipeline's loss is 0), scored by ref::check_cross_entropy against the documented bounds.
// Variants of the bf16 dtypes (bf16 logits; gradient in bf16 or float32) run on the same rows
// rounded to bf16, against the reference of those bf16 values (ref::check_cross_entropy_bf16:
// loss in float ULP, a bf16 gradient in bf16 ULP); the CSV's dtype column says which.
#include "cli/accuracy_cross_entropy.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "cli/util.hpp"
#include "reference/cross_entropy.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/bf16.hpp"

namespace smb::cli {
namespace {

// The CSV's numbers: 4 significant digits.
std::string num(double v) { return util::short_number(v, 4); }

}  // namespace

CrossEntropySweep cross_entropy_sweep(const std::vector<const Variant*>& variants,
                                      const std::vector<std::string_view>& dists, const std::vector<std::size_t>& sizes,
                                      int threads) {
    const std::vector<ref::CrossEntropyCase> cases = ref::cross_entropy_cases(dists, sizes, kCrossEntropyMaxSize);
    const std::size_t nc = cases.size(), nv = variants.size();
    bool any_f32 = false, any_bf16 = false;
    for (const Variant* v : variants) (v->dtype == Dtype::f32 ? any_f32 : any_bf16) = true;
    std::vector<ref::CrossEntropyCheck> checks(nc * nv);
    std::string error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t ci = 0; ci < std::ptrdiff_t(nc); ++ci) {
        const ref::CrossEntropyCase& c = cases[std::size_t(ci)];
        try {
            ref::CrossEntropyReference r, rb;
            if (any_f32) r = ref::cross_entropy_reference(c.x, c.t, c.eps, 1.0);
            std::vector<std::uint16_t> xb(c.x.size());
            std::vector<float> xbf(c.x.size());
            if (any_bf16) {
                for (std::size_t j = 0; j < xb.size(); ++j) xbf[j] = bf16_to_float(xb[j] = float_to_bf16(c.x[j]));
                rb = ref::cross_entropy_reference(xbf, c.t, c.eps, 1.0);
            }
            for (std::size_t vi = 0; vi < nv; ++vi)
                checks[std::size_t(ci) * nv + vi] =
                    variants[vi]->dtype == Dtype::f32
                        ? ref::check_cross_entropy(*variants[vi], c.x, c.t, c.eps, 1.0f, r)
                        : ref::check_cross_entropy_bf16(*variants[vi], xb, c.t, c.eps, 1.0f, rb);
        } catch (const std::exception& e) {
#pragma omp critical(smb_ce_sweep_error)
            error = e.what();
        }
    }
    if (!error.empty()) throw std::runtime_error(error);

    CrossEntropySweep out;
    out.csv = "variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,grad_ratio,"
              "grad_k,status,detail,dtype,grad_bf16_ulp,grad_bf16_correct\n";
    for (std::size_t vi = 0; vi < nv; ++vi) {
        const Variant& v = *variants[vi];
        for (std::size_t ci = 0; ci < nc; ++ci) {
            const ref::CrossEntropyCase& c = cases[ci];
            const ref::CrossEntropyCheck& k = checks[ci * nv + vi];
            const bool pass = k.failure.empty();
            ++out.cases;
            out.failed += !pass;
            out.csv += util::csv_field(v.name) + "," + std::string(to_string(v.algorithm)) + "," +
                       std::string(to_string(v.isa)) + "," + std::string(to_string(v.tier)) + "," + c.dist + "," +
                       std::to_string(c.n) + "," + c.target + "," + num(c.eps) + "," + num(k.loss_ulp) + "," +
                       (std::isinf(v.max_ulp) ? std::string("") : num(v.max_ulp)) + "," + num(k.grad_ratio) + "," +
                       num(v.max_ulp_log) + "," + (pass ? "pass" : "fail") + "," + util::csv_field(k.failure) + "," +
                       std::string(to_string(v.dtype)) + "," + (v.dtype == Dtype::bf16 ? num(k.grad_ulp) : "") + "," +
                       (v.dtype == Dtype::bf16 ? std::to_string(k.grad_correct) + "/" + std::to_string(k.grad_outputs) : "") +
                       "\n";
        }
    }
    return out;
}

}  // namespace smb::cli
