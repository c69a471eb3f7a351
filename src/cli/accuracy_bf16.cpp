// The bf16 part of `softmaxbench accuracy`: every bf16 variant (dtype bf16: bf16 -> bf16, and
// bf16_f32: bf16 -> float32) on every distribution x size x output, on the distribution's row
// rounded to bf16, against the MPFR reference of those bf16 values. dtype bf16 is scored in bf16
// ULP (the reference rounded to bf16; reference/scoring.hpp, score_bf16, the scorer of
// tests/test_bf16.cpp) with the share of correctly rounded outputs; bf16_f32 in float ULP by the
// f32 scoring (score_output), as variants/list.inc states the bounds.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/reference.hpp"

namespace smb::cli {
namespace {

// The CSV's numbers: 6 significant digits.
std::string num(double v) { return util::short_number(v, 6); }

}  // namespace

const char* const kBf16CsvHeader =
    "variant,isa,tier,dtype,op,distribution,n,unit,bound,max_ulp,band,correctly_rounded,frac_correctly_rounded,"
    "status,detail";

Bf16Sweep sweep_bf16(const std::vector<const Variant*>& variants, const std::vector<std::string_view>& dists,
                     const std::vector<std::size_t>& sizes, int threads) {
    struct Job {
        std::string_view dist;
        std::size_t n;
        Output out;
    };
    std::vector<Job> jobs;
    for (std::string_view d : variants.empty() ? std::vector<std::string_view>{} : dists)
        for (std::size_t n : sizes)
            for (Output out : {Output::softmax, Output::log_softmax}) jobs.push_back({d, n, out});
    struct Row {
        const Variant* v;
        const Job* job;
        double bound, max_ulp;
        std::size_t band, correct;
        std::string status, detail;
    };
    std::vector<std::vector<Row>> rows(jobs.size());
    std::string error;
    const auto nj = static_cast<std::ptrdiff_t>(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t j = 0; j < nj; ++j) {
        const Job& job = jobs[std::size_t(j)];
        try {
            const std::vector<float> x0 = ref::make_row(job.dist, job.n, 42);
            std::vector<std::uint16_t> x(job.n);
            std::vector<float> xf(job.n);
            for (std::size_t i = 0; i < job.n; ++i) {
                x[i] = float_to_bf16(x0[i]);
                xf[i] = bf16_to_float(x[i]);
            }
            const ref::RowReference r = ref::reference_row(xf, job.out);
            for (const Variant* v : variants) {
                Row row{v, &job, job.out == Output::softmax ? v->max_ulp : v->max_ulp_log, 0, 0, 0, "", ""};
                if (v->dtype == Dtype::bf16) {
                    std::vector<std::uint16_t> y(job.n, 0xABCD);
                    v->row_bf16(x.data(), y.data(), job.n, RowParams{job.out, false});
                    const ref::Bf16Score s = ref::score_bf16(*v, y, r, job.out);
                    row.max_ulp = s.max_ulp;
                    row.band = s.band;
                    row.correct = s.correct;
                    row.detail = s.failure;
                } else {
                    std::vector<float> y(job.n, -12345.0f);
                    v->row_bf16_f32(x.data(), y.data(), job.n, RowParams{job.out, false});
                    const ref::Score s = ref::score_output(*v, xf, y, r, job.out);
                    row.max_ulp = s.check.m.max_ulp;
                    row.band = s.check.m.normal_count;
                    row.correct = s.check.m.correctly_rounded;
                    row.detail = s.check.failure;
                }
                row.status = !ref::in_domain(*v, xf) ? "out_of_domain" : row.detail.empty() ? "pass" : "fail";
                rows[std::size_t(j)].push_back(std::move(row));
            }
        } catch (const std::exception& e) {
#pragma omp critical(smb_bf16_sweep_error)
            error = e.what();
        }
    }
    if (!error.empty()) throw std::runtime_error("bf16 sweep: " + error);

    Bf16Sweep out;
    out.csv = std::string(kBf16CsvHeader) + "\n";
    struct Worst {
        double ulp[2] = {0, 0};
        std::size_t band = 0, correct = 0, fails = 0;
    };
    std::map<const Variant*, Worst> worst;
    for (const Variant* v : variants)  // a variant's cases together, in list order
        for (const auto& job_rows : rows)
            for (const Row& r : job_rows) {
                if (r.v != v) continue;
                const int oi = r.job->out == Output::softmax ? 0 : 1;
                const bool b16 = v->dtype == Dtype::bf16;
                out.csv += std::string(v->name) + "," + std::string(to_string(v->isa)) + "," +
                           std::string(to_string(v->tier)) + "," + std::string(to_string(v->dtype)) + "," +
                           std::string(to_string(r.job->out)) + "," + std::string(r.job->dist) + "," +
                           std::to_string(r.job->n) + "," + (b16 ? "bf16_ulp" : "f32_ulp") + "," + num(r.bound) +
                           "," + num(r.max_ulp) + "," + std::to_string(r.band) + "," + std::to_string(r.correct) +
                           "," + (r.band ? num(double(r.correct) / double(r.band)) : std::string("nan")) + "," +
                           r.status + "," + util::csv_field(r.detail) + "\n";
                ++out.cases;
                Worst& w = worst[v];
                if (r.status == "out_of_domain") {
                    ++out.out_of_domain;
                    continue;
                }
                w.ulp[oi] = std::max(w.ulp[oi], r.max_ulp);
                w.band += r.band;
                w.correct += r.correct;
                if (r.status == "fail") {
                    ++w.fails;
                    ++out.failed;
                }
            }
    for (const Variant* v : variants) {
        const Worst& w = worst[v];
        if (v->dtype == Dtype::bf16 && v->tier == Tier::accurate && w.band > 0) {
            const double f = double(w.correct) / double(w.band);
            if (!(f >= out.accurate_correctly_rounded)) out.accurate_correctly_rounded = f;
        }
        char line[320];
        std::snprintf(line, sizeof line,
                      "  %-30s softmax %.4g (bound %g), log_softmax %.4g (bound %g) %s, correctly rounded %.4f %%, "
                      "%zu failed",
                      std::string(v->name).c_str(), w.ulp[0], v->max_ulp, w.ulp[1], v->max_ulp_log,
                      v->dtype == Dtype::bf16 ? "bf16 ULP" : "float ULP",
                      w.band ? 100.0 * double(w.correct) / double(w.band) : 100.0, w.fails);
        out.summary.push_back(line);
    }
    return out;
}

}  // namespace smb::cli
