// softmaxbench accuracy: the cross-entropy part (variants of op cross_entropy). Every variant on
// every distribution and size (up to 65537: the MPFR reference keeps every exp), with the target
// at the row's argmax, at another index, and at another index with label smoothing 0.1, plus
// "dominant_target" rows (the target 0, the rest such that p_t = 1 - 2^-40: where a float
// pipeline's loss is 0), scored by ref::check_cross_entropy against the documented bounds.
#include "cli/accuracy_cross_entropy.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "cli/util.hpp"
#include "reference/cross_entropy.hpp"
#include "reference/distributions.hpp"

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
    std::vector<ref::CrossEntropyCheck> checks(nc * nv);
    std::string error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t ci = 0; ci < std::ptrdiff_t(nc); ++ci) {
        const ref::CrossEntropyCase& c = cases[std::size_t(ci)];
        try {
            const ref::CrossEntropyReference r = ref::cross_entropy_reference(c.x, c.t, c.eps, 1.0);
            for (std::size_t vi = 0; vi < nv; ++vi)
                checks[std::size_t(ci) * nv + vi] = ref::check_cross_entropy(*variants[vi], c.x, c.t, c.eps, 1.0f, r);
        } catch (const std::exception& e) {
#pragma omp critical(smb_ce_sweep_error)
            error = e.what();
        }
    }
    if (!error.empty()) throw std::runtime_error(error);

    CrossEntropySweep out;
    out.csv = "variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,grad_ratio,"
              "grad_k,status,detail\n";
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
                       num(v.max_ulp_log) + "," + (pass ? "pass" : "fail") + "," + util::csv_field(k.failure) + "\n";
        }
    }
    return out;
}

}  // namespace smb::cli
