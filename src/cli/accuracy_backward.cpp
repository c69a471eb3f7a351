// The backward's part of `softmaxbench accuracy`: every backward variant (op backward) on every
// distribution x size x op (softmax_backward, log_softmax_backward) x kind of dy, against the MPFR
// reference (src/reference/backward.cpp), scored as tests/test_backward.cpp scores it: the
// smallest k of |dx - exact| <= k u sigma + eta the row meets, against the variant's documented k,
// and for the accurate tier the ULP error where the cancellation is mild (<= 1).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/reference.hpp"

namespace smb::cli {
namespace {

// The CSV's numbers: 6 significant digits.
std::string num(double v) { return util::short_number(v, 6); }

}  // namespace

BackwardSweep sweep_backward(const std::vector<const Variant*>& variants, const std::vector<std::string_view>& dists,
                             const std::vector<std::size_t>& sizes, int threads) {
    struct Job {
        std::string_view dist;
        std::size_t n;
        Output out;
        std::string_view kind;
    };
    std::vector<Job> jobs;
    for (std::string_view d : variants.empty() ? std::vector<std::string_view>{} : dists)
        for (std::size_t n : sizes)
            for (Output out : {Output::softmax, Output::log_softmax})
                for (std::string_view kind : ref::backward_dy_kinds()) jobs.push_back({d, n, out, kind});
    struct Row {
        const Variant* v;
        const Job* job;
        ref::BackwardScore s;
        double bound;
        bool pass;
    };
    std::vector<std::vector<Row>> rows(jobs.size());
    std::string error;
    const auto nj = static_cast<std::ptrdiff_t>(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t j = 0; j < nj; ++j) {
        const Job& job = jobs[std::size_t(j)];
        try {
            const std::vector<float> y = ref::backward_input(ref::make_row(job.dist, job.n, 42), job.out);
            const std::vector<float> dy = ref::make_dy(job.kind, y, job.out, 1000 + job.n);
            const ref::BackwardReference r = ref::backward_reference(y, dy, job.out);
            std::vector<float> dx(job.n);
            for (const Variant* v : variants) {
                v->backward(y.data(), dy.data(), dx.data(), job.n, RowParams{job.out, false});
                const ref::BackwardScore s = ref::score_backward(dx, r);
                const double bound = job.out == Output::softmax ? v->max_ulp : v->max_ulp_log;
                const bool pass = s.excess_k <= bound && s.special_mismatches == 0 &&
                                  (v->tier != Tier::accurate || s.max_ulp_conditioned <= kAccurateMaxUlp);
                rows[std::size_t(j)].push_back({v, &job, s, bound, pass});
            }
        } catch (const std::exception& e) {
#pragma omp critical(smb_backward_sweep_error)
            error = e.what();
        }
    }
    if (!error.empty()) throw std::runtime_error("backward sweep: " + error);

    BackwardSweep out;
    out.csv =
        "variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,max_ulp_conditioned,conditioned,"
        "special_mismatches,status\n";
    struct Worst {
        double k[2] = {0, 0}, ulp = 0;
        std::size_t fails = 0;
    };
    std::map<const Variant*, Worst> worst;
    // Files list a variant's cases together, in registry order.
    for (const Variant* v : variants)
        for (const auto& job_rows : rows)
            for (const Row& r : job_rows) {
                if (r.v != v) continue;
                const int oi = r.job->out == Output::softmax ? 0 : 1;
                out.csv += std::string(v->name) + "," + std::string(to_string(v->isa)) + "," +
                           std::string(to_string(v->tier)) + "," + (oi == 0 ? "softmax_backward" : "log_softmax_backward") +
                           "," + std::string(r.job->dist) + "," + std::string(r.job->kind) + "," +
                           std::to_string(r.job->n) + "," + num(r.bound) + "," + num(r.s.excess_k) + "," +
                           std::to_string(r.s.worst_index) + "," + num(r.s.max_ulp_conditioned) + "," +
                           std::to_string(r.s.conditioned) + "," + std::to_string(r.s.special_mismatches) + "," +
                           (r.pass ? "pass" : "fail") + "\n";
                ++out.cases;
                Worst& w = worst[v];
                w.k[oi] = std::max(w.k[oi], r.s.excess_k);
                w.ulp = std::max(w.ulp, r.s.max_ulp_conditioned);
                if (!r.pass) {
                    ++w.fails;
                    ++out.failed;
                }
            }
    for (const Variant* v : variants) {
        const Worst& w = worst[v];
        char line[256];
        std::snprintf(line, sizeof line,
                      "  %-26s softmax_backward k %.3g (bound %g), log_softmax_backward k %.3g (bound %g), "
                      "ULP where well conditioned %.3g, %zu failed",
                      std::string(v->name).c_str(), w.k[0], v->max_ulp, w.k[1], v->max_ulp_log, w.ulp, w.fails);
        out.summary.push_back(line);
    }
    return out;
}

}  // namespace smb::cli
