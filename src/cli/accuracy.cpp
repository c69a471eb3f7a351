// softmaxbench accuracy: every variant x distribution x size x output against the MPFR reference,
// scored by the library's scoring (src/reference/include/reference/scoring.hpp, the same code as the tests), plus
// the special-value table per variant. Also the helpers commands.hpp declares for tune.cpp.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/accuracy_cross_entropy.hpp"
#include "cli/commands.hpp"
#include "detail/atomic_file.hpp"
#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/build_info.hpp"
#include "softmaxbench/reference.hpp"
#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::cli {

const char* const kAccuracyDetails =
    "Runs every available variant (or --variants) on every test distribution (or\n"
    "--distributions) at every size of the mode, for softmax and log_softmax, and scores each\n"
    "(variant, output, distribution, n) against the correctly rounded MPFR reference with the\n"
    "same code as the tests: normal-band ULP error (|exact| >= FLT_MIN) against the variant's\n"
    "documented bound, special entries exact, the subnormal band by the variant's policy, and\n"
    "for log_softmax the absolute contract |y - exact| <= 2^-20 (1 + |exact|). Rows outside a\n"
    "variant's domain (naive with |x| > 80) are scored but recorded as out_of_domain, not as\n"
    "failures. Rows come from make_row(distribution, n, seed 42), as in tests/test_variants.\n"
    "Each reference is computed once per (distribution, n, output), split over --threads for\n"
    "long rows, and every variant is scored against it; nothing is cached on disk.\n"
    "\n"
    "Sizes: --quick (default) 1 2 3 7 8 15 16 17 31 33 64 65 1000 4096 65537;\n"
    "       --full 1..33 64 65 1000 4096 65537 1048577 16777217 (the MPFR reference at 16M\n"
    "       entries takes ~20 s per row and output on one core: expect several minutes).\n"
    "\n"
    "Writes four files, FILE and three beside it named after its stem (accuracy.csv:\n"
    "accuracy.json, accuracy-special.csv, accuracy-backward.csv), each atomically (a temporary in the same\n"
    "directory, then renamed; the directory is created when missing):\n"
    "  FILE               CSV, one line per case: variant,isa,tier,exp_kernel,output,\n"
    "                     distribution,n,bound,max_ulp,mean_ulp,p999_ulp,\n"
    "                     frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,\n"
    "                     sum_error,higham_normwise,x_range,worst_index,worst_x,worst_y,\n"
    "                     worst_exact,status (pass, fail or out_of_domain). ULP columns are\n"
    "                     over the normal band; p999 is the 99.9th percentile (nearest rank);\n"
    "                     sum_error is |sum y - 1| (softmax only); higham_normwise is\n"
    "                     ||y - r||_2 / ||r||_2 over finite non-zero exact values;\n"
    "                     normwise_inf is ||y - r||_inf / ||r||_inf over finite exact values and\n"
    "                     x_range is max(x) - min(x) over the row's finite logits (the error\n"
    "                     and the input of Blanchard-Higham-Higham's softmax bounds, which\n"
    "                     scripts/claims.py evaluates); worst_* is the entry with the\n"
    "                     largest ULP error. Empty: not applicable; inf/nan as such.\n"
    "  FILE-stem.json     {\"meta\": {machine_id, cpu_model, git_commit, date, mode,\n"
    "                     dispatch_isa, ...}, \"cases\": [the CSV fields, plus failure],\n"
    "                     \"special\": [{variant, case, output, masked_safe, pass, detail}],\n"
    "                     \"seeds\": [{variant, case, n, c, finite, bit_identical,\n"
    "                     max_ulp}]: softmax of [1000, 1001, 1002] (overflow_1000) and\n"
    "                     softmax(x + c) against softmax(x), x = normal_5 logits on a 2^-10\n"
    "                     grid, n = 1000, c = 64 (shift_exact: x + c exact) and c = 0.1\n"
    "                     (shift_inexact); max_ulp of y(x + c) in ULP of y(x)}\n"
    "                     (infinities and NaN are null)\n"
    "  <stem>-special.csv variant,case,output,masked_safe,pass,detail: the special-value\n"
    "                     table (NaN / +inf anywhere, NaN among -inf, -inf entries, all -inf,\n"
    "                     n = 0, n = 1, in place; n in {1, 2, 17, 1000})\n"
    "  <stem>-backward.csv the backward variants (op backward; 'list --op backward'):\n"
    "                     variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,\n"
    "                     max_ulp_conditioned,conditioned,special_mismatches,status: for\n"
    "                     softmax_backward and log_softmax_backward of y = the forward output\n"
    "                     of the row, five kinds of dy, sizes up to 65537; k is the smallest k\n"
    "                     with |dx - exact| <= k u sigma + eta (README, Backward) against the\n"
    "                     documented bound_k; the accurate tier also within 1 ULP where the\n"
    "                     cancellation is mild (max_ulp_conditioned over `conditioned` entries)\n"
    "  <stem>-cross_entropy.csv  (when cross_entropy variants are scored: all by default)\n"
    "                     variant,algorithm,isa,tier,distribution,n,target,label_smoothing,\n"
    "                     loss_ulp,max_ulp,grad_ratio,grad_k,status,detail,dtype,grad_bf16_ulp,\n"
    "                     grad_bf16_correct: each variant's loss (ULP) and gradient (worst error\n"
    "                     / its bound) against MPFR, targets at the argmax and elsewhere,\n"
    "                     smoothing 0 and 0.1, dominant_target rows; sizes up to 65537\n"
    "                     (variants/list.inc states the bounds); dtypes bf16 and bf16_f32 on the\n"
    "                     rows rounded to bf16 (a bf16 gradient's worst bf16 ULP, and correctly\n"
    "                     rounded / outputs)\n"
    "  <stem>-bf16.csv    (when bf16 variants are scored: all by default) variant,isa,tier,dtype,\n"
    "                     op,distribution,n,unit,bound,max_ulp,band,correctly_rounded,\n"
    "                     frac_correctly_rounded,status,detail: the dtypes bf16 (bf16 ULP against\n"
    "                     the MPFR result rounded to bf16) and bf16_f32 (float ULP) on each row\n"
    "                     rounded to bf16, sizes up to 65537; band = normal-band outputs,\n"
    "                     correctly_rounded = of which equal to the correctly rounded value\n"
    "Default FILE: results/<machine_id>/accuracy.csv (see 'softmaxbench info --machine-id').\n"
    "\n"
    "Progress goes to stderr (one updating line on a terminal, else a line every ~5 s); the\n"
    "summary, one line per variant (worst in-domain max ULP per output against its bound,\n"
    "special cases passed, failures), to stdout.\n"
    "Exit status 1 (after writing every file) when any in-domain case or any special case\n"
    "fails; 0 when all pass.\n\n";


// ---- option validators -------------------------------------------------------------------------
namespace {

std::vector<std::string> split_list(const std::string& list) {
    std::vector<std::string> out;
    std::size_t b = 0;
    for (;;) {
        const std::size_t e = list.find(',', b);
        std::string item = list.substr(b, e == std::string::npos ? std::string::npos : e - b);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        out.push_back(item);
        if (e == std::string::npos) break;
        b = e + 1;
    }
    return out;
}

}  // namespace

std::string check_variant_list(const std::string& list) {
    for (const std::string& name : split_list(list)) {
        if (name.empty()) return "empty variant name in '" + list + "'";
        if (find_variant(name) == nullptr)
            return "unknown variant '" + name + "'; run 'softmaxbench list' to see the variant names";
    }
    return {};
}

std::string check_distribution_list(const std::string& list) {
    for (const std::string& name : split_list(list)) {
        if (ref::find_distribution(name) != nullptr) continue;
        std::string known;
        for (const auto& d : ref::distributions()) known += (known.empty() ? "" : ", ") + std::string(d.name);
        return "unknown distribution '" + name + "' (known: " + known + ")";
    }
    return {};
}

std::string check_accuracy_out(const std::string& path) {
    const std::filesystem::path p(path);
    if (p.filename().empty() || p.filename() == "." || p.filename() == "..")
        return "'" + path + "' does not name a file";
    if (p.extension() == ".json")
        return "'" + path + "' ends in .json, which is the name of the JSON file written beside the CSV";
    return {};
}

std::string check_threads(const std::string& n) {
    constexpr int kMax = 1024;
    int v = 0;
    const auto r = std::from_chars(n.data(), n.data() + n.size(), v);
    if (r.ec != std::errc() || r.ptr != n.data() + n.size() || v < 1 || v > kMax)
        return "must be between 1 and " + std::to_string(kMax) + " (got '" + n + "')";
    return {};
}

// ---- the sweep ---------------------------------------------------------------------------------
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 42;  // as tests/test_variants.cpp
constexpr std::size_t kQuickSizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 1000, 4096, 65537};
constexpr std::size_t kFullExtra[] = {1048577, 16777217};
// Rows at least this long get their reference split over the threads.
constexpr std::size_t kChunkedFrom = 16384;
// Relative cost per entry, for the ETA: an MPFR reference entry vs scoring one variant's entry.
constexpr std::uint64_t kRefCost = 40, kScoreCost = 1;

struct CaseResult {
    const Variant* v = nullptr;
    Output out = Output::softmax;
    std::string_view dist;
    std::size_t n = 0;
    double x_range = 0;  // max(x) - min(x) over the row's finite logits (0 when none)
    double normwise_inf = 0;  // ||y - r||_inf / ||r||_inf over finite exact values (NaN y: inf)
    ref::Score s;
    bool in_domain = true;
    std::string status;  // pass, fail, out_of_domain
};

// ||y - r||_inf / ||r||_inf over the entries whose exact value is finite (a NaN output counts as
// an infinite error); 0 when there are none. The normwise error of Blanchard, Higham & Higham's
// softmax theorems (scripts/claims.py, claim 3).
double inf_norm_error(const std::vector<float>& y, const ref::RowReference& r) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double e = r.exact[i];
        if (!std::isfinite(e)) continue;
        const double d = std::fabs(double(y[i]) - e);
        num = std::isnan(d) ? INFINITY : std::max(num, d);
        den = std::max(den, std::fabs(e));
    }
    return den > 0 ? num / den : 0.0;
}

// ---- progress ----------------------------------------------------------------------------------

class Progress {
public:
    Progress(std::size_t total_cases, std::uint64_t total_work)
        : total_cases_(total_cases), total_work_(std::max<std::uint64_t>(total_work, 1)),
          tty_(util::stderr_is_tty()), start_(Clock::now()) {
        thread_ = std::thread([this] { loop(); });
    }
    ~Progress() { stop(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void add(std::size_t cases, std::uint64_t work) {
        cases_ += cases;
        work_ += work;
    }
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

    void stop() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopped_) return;
            stopped_ = true;
        }
        cv_.notify_all();
        thread_.join();
        if (printed_) {
            if (tty_) std::fprintf(stderr, "\r%s\n", line(true).c_str());
            else std::fprintf(stderr, "%s\n", line(true).c_str());
            std::fflush(stderr);
        }
    }

private:
    std::size_t total_cases_;
    std::uint64_t total_work_;
    bool tty_;
    Clock::time_point start_;
    std::atomic<std::size_t> cases_{0};
    std::atomic<std::uint64_t> work_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopped_ = false;
    bool printed_ = false;
    std::size_t last_width_ = 0;
    std::thread thread_;

    static std::string seconds(double s) {
        char buf[32];
        if (s < 100) std::snprintf(buf, sizeof buf, "%.1f s", s);
        else std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
        return buf;
    }

    std::string line(bool final) {
        const double t = elapsed();
        const std::uint64_t w = work_.load();
        std::string s = "accuracy: " + std::to_string(cases_.load()) + "/" + std::to_string(total_cases_) +
                        " cases, " + seconds(t) + " elapsed";
        if (!final) {
            if (w > 0 && t > 0.2)
                s += ", ETA " + seconds(t * double(total_work_ - std::min(w, total_work_)) / double(w));
            else
                s += ", ETA ?";
        }
        if (tty_ && s.size() < last_width_) s.append(last_width_ - s.size(), ' ');
        last_width_ = std::max(last_width_, s.size());
        return s;
    }

    void loop() {
        const auto period = std::chrono::milliseconds(tty_ ? 500 : 5000);
        std::unique_lock<std::mutex> lock(mu_);
        while (!cv_.wait_for(lock, period, [this] { return stopped_; })) {
            if (tty_) std::fprintf(stderr, "\r%s", line(false).c_str());
            else std::fprintf(stderr, "%s\n", line(false).c_str());
            std::fflush(stderr);
            printed_ = true;
        }
    }
};

// ---- the reference -----------------------------------------------------------------------------

ref::RowReference reference(std::span<const float> x, Output out, int threads) {
    if (threads <= 1 || x.size() < kChunkedFrom) return ref::reference_row(x, out);
    const std::size_t chunk = std::max<std::size_t>(4096, x.size() / (std::size_t(threads) * 16) + 1);
    ref::ChunkedReference c(x, out, false, chunk);
    const auto chunks = static_cast<std::ptrdiff_t>(c.chunks());
    std::string error;
    // Every chunk through one step, inside the parallel region (the first error is kept).
    auto each_chunk = [&](void (ref::ChunkedReference::*step)(std::size_t)) {
#pragma omp for schedule(dynamic, 1)
        for (std::ptrdiff_t k = 0; k < chunks; ++k) {
            try {
                (c.*step)(std::size_t(k));
            } catch (const std::exception& e) {
#pragma omp critical(smb_accuracy_error)
                error = e.what();
            }
        }
    };
#pragma omp parallel num_threads(threads)
    {
        each_chunk(&ref::ChunkedReference::sum_chunk);
#pragma omp single
        {
            if (error.empty()) {
                try {
                    c.combine();
                } catch (const std::exception& e) {
                    error = e.what();
                }
            }
        }
        // The implicit barrier after single: every thread sees the combined sum (or the error).
        if (error.empty()) each_chunk(&ref::ChunkedReference::write_chunk);
    }
    if (!error.empty()) throw std::runtime_error("reference: " + error);
    return c.take();
}

// ---- output files ------------------------------------------------------------------------------

const char* kCsvHeader =
    "variant,isa,tier,exp_kernel,output,distribution,n,bound,max_ulp,mean_ulp,p999_ulp,"
    "frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,sum_error,higham_normwise,"
    "normwise_inf,x_range,worst_index,worst_x,worst_y,worst_exact,status";

// The fields of one case, in CSV order, as (key, CSV text, JSON text).
struct Field {
    const char* key;
    std::string csv, json;
};

std::vector<Field> fields_of(const CaseResult& c) {
    using util::json_number;
    using util::json_string;
    using util::number_text;
    const ref::Score& s = c.s;
    const ref::Metrics& m = s.check.m;
    const bool softmax = c.out == Output::softmax;
    const bool has_frac = !std::isnan(s.frac_correctly_rounded);
    auto str_field = [](const char* k, std::string_view v) {
        return Field{k, util::csv_field(v), json_string(v)};
    };
    auto num = [](const char* k, double v) { return Field{k, number_text(v), json_number(v)}; };
    auto count = [](const char* k, std::size_t v) { return Field{k, std::to_string(v), std::to_string(v)}; };
    auto none = [](const char* k) { return Field{k, "", "null"}; };
    std::vector<Field> f;
    f.push_back(str_field("variant", c.v->name));
    f.push_back(str_field("isa", to_string(c.v->isa)));
    f.push_back(str_field("tier", to_string(c.v->tier)));
    f.push_back(str_field("exp_kernel", to_string(c.v->exp_kernel)));
    f.push_back(str_field("output", std::string(to_string(c.out))));
    f.push_back(str_field("distribution", c.dist));
    f.push_back(count("n", c.n));
    f.push_back(num("bound", s.check.bound));
    f.push_back(num("max_ulp", m.max_ulp));
    f.push_back(num("mean_ulp", m.mean_ulp));
    f.push_back(num("p999_ulp", s.p999_ulp));
    f.push_back(has_frac ? num("frac_correctly_rounded", s.frac_correctly_rounded) : none("frac_correctly_rounded"));
    f.push_back(count("normal_count", m.normal_count));
    f.push_back(count("subnormal_count", m.subnormal_count));
    f.push_back(Field{"subnormal_ok", s.subnormal_ok ? "true" : "false", s.subnormal_ok ? "true" : "false"});
    f.push_back(softmax ? num("sum_error", m.sum_error) : none("sum_error"));
    f.push_back(num("higham_normwise", s.higham_normwise));
    f.push_back(num("normwise_inf", c.normwise_inf));
    f.push_back(num("x_range", c.x_range));
    if (s.has_worst) {
        f.push_back(count("worst_index", s.worst_index));
        f.push_back(Field{"worst_x", number_text(s.worst_x), json_number(s.worst_x)});
        f.push_back(Field{"worst_y", number_text(s.worst_y), json_number(s.worst_y)});
        f.push_back(num("worst_exact", s.worst_exact));
    } else {
        for (const char* k : {"worst_index", "worst_x", "worst_y", "worst_exact"}) f.push_back(none(k));
    }
    f.push_back(str_field("status", c.status));
    return f;
}

std::string cases_csv(const std::vector<CaseResult>& cases) {
    std::string out = std::string(kCsvHeader) + "\n";
    for (const CaseResult& c : cases) {
        bool first = true;
        for (const Field& f : fields_of(c)) {
            if (!first) out += ',';
            out += f.csv;
            first = false;
        }
        out += '\n';
    }
    return out;
}

struct SpecialRow {
    const Variant* v;
    ref::SpecialCase c;
};

std::string special_csv(const std::vector<SpecialRow>& rows) {
    std::string out = "variant,case,output,masked_safe,pass,detail\n";
    for (const SpecialRow& r : rows)
        out += std::string(r.v->name) + "," + r.c.name + "," + std::string(to_string(r.c.output)) + "," +
               (r.c.masked_safe ? "true" : "false") + "," + (r.c.pass ? "true" : "false") + "," +
               util::csv_field(r.c.detail) + "\n";
    return out;
}

struct Meta {
    std::string mode, date, dispatch;
    int threads = 1;
    std::vector<std::size_t> sizes;
    std::vector<std::string_view> dists;
    double seconds = 0;
};

// ---- the seed articles' examples (claim 4 of the report's claims section) ----------------------
// Per variant, softmax: the guide's [1000, 1001, 1002] (finite or not; max ULP against a double
// evaluation of exp(x - 1002) / sum, accurate to ~1e-16 for three terms), and shift invariance
// softmax(x + c) = softmax(x) on a row x of normal_5 logits rounded to multiples of 2^-10
// (n = 1000): with c = 64, x + c and every x_i - max are exact floats, so a variant that only
// ever sees x - max must give bit-identical outputs; with c = 0.1f, x + c is rounded, and the
// distance between the outputs is measured in ULP of y(x).
struct SeedRow {
    const Variant* v;
    std::string name;  // overflow_1000 | shift_exact | shift_inexact
    std::size_t n;
    double c;
    bool finite;
    bool bit_identical;
    double max_ulp;
};

std::vector<SeedRow> seed_rows(const std::vector<const Variant*>& variants) {
    std::vector<SeedRow> out;
    const std::vector<float> big = {1000.0f, 1001.0f, 1002.0f};
    const ref::RowReference exact = ref::reference_row(big, Output::softmax);
    std::vector<float> x = ref::make_row("normal_5", 1000, kSeed);
    for (float& e : x) e = std::round(e * 1024.0f) / 1024.0f;
    const RowParams soft{Output::softmax, false};
    for (const Variant* v : variants) {
        std::vector<float> y(3);
        v->row(big.data(), y.data(), 3, soft);
        SeedRow r{v, "overflow_1000", 3, 0, true, false, 0};
        for (std::size_t i = 0; i < 3; ++i) {
            r.finite = r.finite && std::isfinite(y[i]);
            r.max_ulp = std::max(r.max_ulp, std::isnan(y[i]) ? HUGE_VAL : ref::ulp_error(y[i], exact, i));
        }
        out.push_back(r);
        std::vector<float> y0(x.size()), y1(x.size()), xc(x.size());
        v->row(x.data(), y0.data(), x.size(), soft);
        for (float c : {64.0f, 0.1f}) {
            for (std::size_t i = 0; i < x.size(); ++i) xc[i] = x[i] + c;
            v->row(xc.data(), y1.data(), x.size(), soft);
            SeedRow s{v, c == 64.0f ? "shift_exact" : "shift_inexact", x.size(), double(c), true, true, 0};
            for (std::size_t i = 0; i < x.size(); ++i) {
                s.finite = s.finite && std::isfinite(y1[i]) && std::isfinite(y0[i]);
                s.bit_identical = s.bit_identical && std::memcmp(&y0[i], &y1[i], sizeof(float)) == 0;
                // y0[i] is a float, so exactly a double: its own binade is the exact one.
                s.max_ulp = std::max(s.max_ulp, ref::ulp_error(y1[i], double(y0[i]), ref::exact_binade(double(y0[i]))));
            }
            out.push_back(s);
        }
    }
    return out;
}

std::string results_json(const Meta& meta, const std::vector<CaseResult>& cases,
                         const std::vector<SpecialRow>& special,
                         const std::vector<SeedRow>& seeds) {
    using util::json_string;
    std::ostringstream o;
    o << "{\n  \"meta\": {\"machine_id\": " << json_string(machine_id())
      << ", \"cpu_model\": " << json_string(cpu_info().model)
      << ", \"git_commit\": " << json_string(build::git_commit) << ", \"date\": " << json_string(meta.date)
      << ", \"mode\": " << json_string(meta.mode) << ", \"dispatch_isa\": " << json_string(meta.dispatch)
      << ",\n    \"version\": " << json_string(build::version) << ", \"compiler\": " << json_string(build::compiler)
      << ", \"mpfr\": " << json_string(build::mpfr_version) << ", \"threads\": " << meta.threads
      << ", \"seed\": " << kSeed << ", \"seconds\": " << util::json_number(meta.seconds) << ",\n    \"sizes\": [";
    for (std::size_t i = 0; i < meta.sizes.size(); ++i) o << (i ? ", " : "") << meta.sizes[i];
    o << "],\n    \"distributions\": [";
    for (std::size_t i = 0; i < meta.dists.size(); ++i) o << (i ? ", " : "") << json_string(meta.dists[i]);
    o << "]},\n  \"cases\": [";
    for (std::size_t i = 0; i < cases.size(); ++i) {
        o << (i ? ",\n    {" : "\n    {");
        bool first = true;
        for (const Field& f : fields_of(cases[i])) {
            o << (first ? "" : ", ") << '"' << f.key << "\": " << f.json;
            first = false;
        }
        o << ", \"failure\": " << json_string(cases[i].s.check.failure) << "}";
    }
    o << (cases.empty() ? "],\n" : "\n  ],\n") << "  \"special\": [";
    for (std::size_t i = 0; i < special.size(); ++i) {
        const SpecialRow& r = special[i];
        o << (i ? ",\n    " : "\n    ") << "{\"variant\": " << json_string(r.v->name)
          << ", \"case\": " << json_string(r.c.name) << ", \"output\": " << json_string(std::string(to_string(r.c.output)))
          << ", \"masked_safe\": " << (r.c.masked_safe ? "true" : "false")
          << ", \"pass\": " << (r.c.pass ? "true" : "false") << ", \"detail\": " << json_string(r.c.detail) << "}";
    }
    o << (special.empty() ? "],\n" : "\n  ],\n") << "  \"seeds\": [";
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        const SeedRow& r = seeds[i];
        o << (i ? ",\n    " : "\n    ") << "{\"variant\": " << json_string(r.v->name)
          << ", \"case\": " << json_string(r.name) << ", \"n\": " << r.n << ", \"c\": " << util::json_number(r.c)
          << ", \"finite\": " << (r.finite ? "true" : "false")
          << ", \"bit_identical\": " << (r.bit_identical ? "true" : "false")
          << ", \"max_ulp\": " << util::json_number(r.max_ulp) << "}";
    }
    o << (seeds.empty() ? "]\n}\n" : "\n  ]\n}\n");
    return o.str();
}

// ---- the summary --------------------------------------------------------------------------------

void print_summary(std::ostream& os, const std::vector<const Variant*>& variants,
                   const std::vector<CaseResult>& cases, const std::vector<SpecialRow>& special) {
    struct Worst {
        double ulp = -1;
        double bound = 0;
        const CaseResult* at = nullptr;
    };
    struct PerVariant {
        Worst worst[2];
        std::size_t cases = 0, failed = 0, out_of_domain = 0, special = 0, special_failed = 0;
        std::vector<std::string> failures;
    };
    std::map<const Variant*, PerVariant> per;
    for (const CaseResult& c : cases) {
        PerVariant& p = per[c.v];
        ++p.cases;
        if (!c.in_domain) {
            ++p.out_of_domain;
            continue;
        }
        Worst& w = p.worst[c.out == Output::softmax ? 0 : 1];
        w.bound = c.s.check.bound;
        if (c.s.check.m.max_ulp > w.ulp) {
            w.ulp = c.s.check.m.max_ulp;
            w.at = &c;
        }
        if (c.status == "fail") {
            ++p.failed;
            p.failures.push_back(std::string(to_string(c.out)) + " " + std::string(c.dist) + " n=" +
                                 std::to_string(c.n) + ": " + c.s.check.failure);
        }
    }
    for (const SpecialRow& r : special) {
        PerVariant& p = per[r.v];
        ++p.special;
        if (!r.c.pass) {
            ++p.special_failed;
            p.failures.push_back("special " + r.c.name + " " + std::string(to_string(r.c.output)) +
                                 (r.c.masked_safe ? " masked_safe" : "") + ": " + r.c.detail);
        }
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"VARIANT", "SOFTMAX max ULP / bound (where)", "LOG_SOFTMAX max ULP / bound (where)",
                    "SPECIAL", "RESULT"});
    for (const Variant* v : variants) {
        const PerVariant& p = per[v];
        std::vector<std::string> row{std::string(v->name)};
        for (int o = 0; o < 2; ++o) {
            const Worst& w = p.worst[o];
            if (w.at == nullptr) {
                row.push_back("-");
                continue;
            }
            row.push_back(util::short_number(w.ulp, 3) + " / " + util::short_number(w.bound, 3) + " (" +
                          std::string(w.at->dist) + " n=" + std::to_string(w.at->n) + ")");
        }
        row.push_back(std::to_string(p.special - p.special_failed) + "/" + std::to_string(p.special));
        std::string result = p.failed + p.special_failed == 0 ? "ok" : "FAIL";
        if (p.failed) result += ", " + std::to_string(p.failed) + " cases failed";
        if (p.special_failed) result += ", " + std::to_string(p.special_failed) + " special failed";
        if (p.out_of_domain) result += " (" + std::to_string(p.out_of_domain) + " out of domain)";
        row.push_back(result);
        rows.push_back(std::move(row));
    }
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.resize(i + 1, 0);
            width[i] = std::max(width[i], row[i].size());
        }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::string line;
        for (std::size_t i = 0; i < rows[r].size(); ++i) {
            line += rows[r][i];
            if (i + 1 < rows[r].size()) line.append(width[i] - rows[r][i].size() + 2, ' ');
        }
        os << line << '\n';
        if (r == 0) continue;
        const PerVariant& p = per[variants[r - 1]];
        constexpr std::size_t kShown = 5;
        for (std::size_t i = 0; i < p.failures.size() && i < kShown; ++i) os << "    FAIL " << p.failures[i] << '\n';
        if (p.failures.size() > kShown) os << "    ... and " << p.failures.size() - kShown << " more (see the CSV)\n";
    }
}

}  // namespace

// ---- the command ---------------------------------------------------------------------------------

int cmd_accuracy(const AccuracyOptions& opt) {
    const Isa dispatch = dispatch_isa();  // a bad SOFTMAXBENCH_FORCE_ISA is a runtime error here

    std::vector<const Variant*> variants, bw_variants;  // forward; backward (accuracy_backward.cpp)
    std::vector<const Variant*> ce_variants;            // op cross_entropy: accuracy_cross_entropy.cpp
    std::vector<const Variant*> bf_variants;            // dtypes bf16, bf16_f32: accuracy_bf16.cpp
    if (opt.variants.empty()) {
        for (const Variant& v : all_variants())
            if (available(v)) variants.push_back(&v);
        for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& v : all_variants(Op::forward, d))
                if (available(v)) bf_variants.push_back(&v);
        for (const Variant& v : all_variants(Op::backward))
            if (available(v)) bw_variants.push_back(&v);
        for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& v : all_variants(Op::cross_entropy, d))
                if (available(v)) ce_variants.push_back(&v);
    } else {
        for (const std::string& name : split_list(opt.variants)) {
            const Variant* v = find_variant(name);
            if (v == nullptr) throw std::runtime_error("unknown variant '" + name + "'");  // validated before
            if (!available(*v))
                throw std::runtime_error(unavailable_reason(*v) + "; run 'softmaxbench list' to see the available variants");
            if (v->op == Op::backward) {
                if (std::find(bw_variants.begin(), bw_variants.end(), v) == bw_variants.end()) bw_variants.push_back(v);
                continue;
            }
            if (v->op == Op::cross_entropy) {
                if (std::find(ce_variants.begin(), ce_variants.end(), v) == ce_variants.end()) ce_variants.push_back(v);
                continue;
            }
            if (v->op == Op::forward && v->dtype != Dtype::f32) {
                if (std::find(bf_variants.begin(), bf_variants.end(), v) == bf_variants.end()) bf_variants.push_back(v);
                continue;
            }
            if (v->op != Op::forward)
                throw std::runtime_error("variant '" + name + "' computes " + std::string(to_string(v->op)) +
                                         ": accuracy does not score that op yet");
            if (std::find(variants.begin(), variants.end(), v) == variants.end()) variants.push_back(v);
        }
    }
    std::vector<std::string_view> dists;
    if (opt.distributions.empty()) {
        for (const auto& d : ref::distributions()) dists.push_back(d.name);
    } else {
        for (const std::string& name : split_list(opt.distributions)) {
            const ref::Distribution* d = ref::find_distribution(name);
            if (d == nullptr) throw std::runtime_error("unknown distribution '" + name + "'");
            if (std::find(dists.begin(), dists.end(), d->name) == dists.end()) dists.push_back(d->name);
        }
    }
    std::vector<std::size_t> sizes;
    for (std::size_t n : ref::test_sizes())
        if (opt.full || std::find(std::begin(kQuickSizes), std::end(kQuickSizes), n) != std::end(kQuickSizes))
            sizes.push_back(n);
    if (opt.full) sizes.insert(sizes.end(), std::begin(kFullExtra), std::end(kFullExtra));
    const int threads = opt.threads > 0 ? opt.threads : util::core_count();

    namespace fs = std::filesystem;
    const fs::path csv_path = opt.out.empty() ? fs::path("results") / machine_id() / "accuracy.csv" : fs::path(opt.out);
    fs::path json_path = csv_path;
    json_path.replace_extension(".json");
    const fs::path special_path = csv_path.parent_path() / (csv_path.stem().string() + "-special.csv");
    const fs::path backward_path = csv_path.parent_path() / (csv_path.stem().string() + "-backward.csv");
    util::ensure_writable_dir(csv_path.parent_path());  // before the work, not after

    Meta meta;
    meta.mode = opt.full ? "full" : "quick";
    meta.date = util::utc_now();
    meta.dispatch = std::string(to_string(dispatch));
    meta.threads = threads;
    meta.sizes = sizes;
    meta.dists = dists;

    // Work, for the progress line: per (distribution, n, output) one reference and one scoring
    // per variant; the special table per variant counts as one 2000-entry row.
    const std::size_t nv = variants.size();
    std::size_t total_cases = 0;
    std::uint64_t total_work = nv * 2000 * kScoreCost * 16;
    for (std::size_t i = 0; i < dists.size(); ++i)
        for (std::size_t n : sizes) {
            total_cases += 2 * nv;
            total_work += 2 * (n + 64) * (kRefCost + kScoreCost * nv);
        }

    std::vector<SpecialRow> special;
    std::vector<CaseResult> cases(total_cases);
    {
        Progress progress(total_cases, total_work);

        // The special-value table, one variant per thread.
        std::vector<std::vector<ref::SpecialCase>> tables(nv);
        std::string error;
        const auto nvi = static_cast<std::ptrdiff_t>(nv);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (std::ptrdiff_t i = 0; i < nvi; ++i) {
            try {
                tables[std::size_t(i)] = ref::run_special_table(*variants[std::size_t(i)]);
            } catch (const std::exception& e) {
#pragma omp critical(smb_accuracy_error)
                error = e.what();
            }
            progress.add(0, 2000 * kScoreCost * 16);
        }
        if (!error.empty()) throw std::runtime_error(error);
        for (std::size_t i = 0; i < nv; ++i)
            for (ref::SpecialCase& c : tables[i]) special.push_back({variants[i], std::move(c)});

        // Case index: (variant, output, distribution, size), so the files list a variant's
        // cases together.
        auto index = [&](std::size_t vi, std::size_t oi, std::size_t di, std::size_t si) {
            return ((vi * 2 + oi) * dists.size() + di) * sizes.size() + si;
        };
        for (std::size_t di = 0; di < dists.size() && nv > 0; ++di) {
            for (std::size_t si = 0; si < sizes.size(); ++si) {
                const std::size_t n = sizes[si];
                const std::vector<float> x = ref::make_row(dists[di], n, kSeed);
                double lo = INFINITY, hi = -INFINITY;
                for (float v : x)
                    if (std::isfinite(v)) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
                const double x_range = hi >= lo ? hi - lo : 0.0;
                for (std::size_t oi = 0; oi < 2; ++oi) {
                    const Output out = oi == 0 ? Output::softmax : Output::log_softmax;
                    const ref::RowReference r = reference(x, out, threads);
                    progress.add(0, (n + 64) * kRefCost);
#pragma omp parallel num_threads(threads)
                    {
                        std::vector<float> y;
#pragma omp for schedule(dynamic, 1)
                        for (std::ptrdiff_t i = 0; i < nvi; ++i) {
                            const Variant& v = *variants[std::size_t(i)];
                            CaseResult& c = cases[index(std::size_t(i), oi, di, si)];
                            try {
                                y.assign(n, -12345.0f);
                                v.row(x.data(), y.data(), n, RowParams{out, false});
                                c.v = &v;
                                c.out = out;
                                c.dist = dists[di];
                                c.n = n;
                                c.x_range = x_range;
                                c.s = ref::score_output(v, x, y, r, out);
                                c.normwise_inf = inf_norm_error(y, r);
                                c.in_domain = ref::in_domain(v, x);
                                c.status = !c.in_domain ? "out_of_domain" : c.s.check.failure.empty() ? "pass" : "fail";
                            } catch (const std::exception& e) {
#pragma omp critical(smb_accuracy_error)
                                error = std::string(v.name) + ": " + e.what();
                            }
                            progress.add(1, (n + 64) * kScoreCost);
                        }
                    }
                    if (!error.empty()) throw std::runtime_error(error);
                }
            }
        }
        meta.seconds = progress.elapsed();
    }

    // The backward (op backward), rows up to 65537 (its MPFR reference is per row, like the
    // forward's, but not split over threads).
    std::vector<std::size_t> bw_sizes;
    for (std::size_t n : sizes)
        if (n <= 65537) bw_sizes.push_back(n);
    const BackwardSweep bw = sweep_backward(bw_variants, dists, bw_sizes, threads);

    std::vector<std::pair<fs::path, std::string>> files = {
        {csv_path, cases_csv(cases)},
        {json_path, results_json(meta, cases, special, seed_rows(variants))},
        {special_path, special_csv(special)},
        {backward_path, bw.csv}};
    CrossEntropySweep ce;
    const fs::path ce_path = csv_path.parent_path() / (csv_path.stem().string() + "-cross_entropy.csv");
    if (!ce_variants.empty()) {
        ce = cross_entropy_sweep(ce_variants, dists, sizes, threads);
        files.emplace_back(ce_path, ce.csv);
    }
    // The bf16 dtypes, rows up to 65537 (one MPFR reference per row and output, like the
    // backward's; --full's 1M and 16M rows are left to the f32 sweep).
    Bf16Sweep bf;
    const fs::path bf_path = csv_path.parent_path() / (csv_path.stem().string() + "-bf16.csv");
    if (!bf_variants.empty()) {
        bf = sweep_bf16(bf_variants, dists, bw_sizes, threads);
        files.emplace_back(bf_path, bf.csv);
    }
    util::write_files_atomically(files);

    print_summary(std::cout, variants, cases, special);
    std::size_t failed = 0, out_of_domain = 0, special_failed = 0;
    for (const CaseResult& c : cases) {
        failed += c.status == "fail";
        out_of_domain += c.status == "out_of_domain";
    }
    for (const SpecialRow& r : special) special_failed += !r.c.pass;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", meta.seconds);
    std::cout << "\n"
              << cases.size() << " cases (" << nv << " variants x " << dists.size() << " distributions x "
              << sizes.size() << " sizes x 2 outputs, " << meta.mode << "): " << cases.size() - failed - out_of_domain
              << " passed, " << failed << " failed, " << out_of_domain << " out of domain; special values: "
              << special.size() - special_failed << "/" << special.size() << " passed; " << secs << " s, "
              << threads << (threads == 1 ? " thread\n" : " threads\n")
              << "wrote " << csv_path.string() << ", " << json_path.string() << ", " << special_path.string()
              << ", " << backward_path.string() << "\n";
    std::cout << "\nbackward: " << bw.cases << " cases (" << bw_variants.size() << " variants, sizes up to 65537, "
              << ref::backward_dy_kinds().size() << " kinds of dy, 2 ops): " << bw.cases - bw.failed << " passed, "
              << bw.failed << " failed (|dx - exact| <= k u sigma + eta; see README, Backward)\n";
    for (const std::string& line : bw.summary) std::cout << line << '\n';
    if (!ce_variants.empty())
        std::cout << "cross_entropy: " << ce.cases << " cases (" << ce_variants.size() << " variants): "
                  << ce.cases - ce.failed << " passed, " << ce.failed << " failed; wrote " << ce_path.string() << "\n";
    if (!bf_variants.empty()) {
        std::cout << "bf16: " << bf.cases << " cases (" << bf_variants.size()
                  << " variants of dtypes bf16 and bf16_f32, sizes up to 65537, 2 outputs): "
                  << bf.cases - bf.failed - bf.out_of_domain << " passed, " << bf.failed << " failed, "
                  << bf.out_of_domain << " out of domain; accurate tier correctly rounded on >= "
                  << 100 * bf.accurate_correctly_rounded << " % of its bf16 outputs; wrote " << bf_path.string()
                  << "\n";
        for (const std::string& line : bf.summary)
            if (line.find(" 0 failed") == std::string::npos) std::cout << line << '\n';  // the failing ones
    }
    std::cout.flush();
    if (bf.failed > 0 && failed + special_failed + bw.failed + ce.failed == 0)
        throw std::runtime_error(std::to_string(bf.failed) + " bf16 cases failed (see " + bf_path.string() + ")");
    if (failed + special_failed + bw.failed + ce.failed > 0)
        throw std::runtime_error(std::to_string(failed) + " in-domain accuracy cases, " +
                                 std::to_string(special_failed) + " special-value cases, " +
                                 std::to_string(bw.failed) + " backward cases and " + std::to_string(ce.failed) +
                                 " cross_entropy cases failed, " + std::to_string(bf.failed) +
                                 " bf16 cases failed (see " + csv_path.string() + ", " + backward_path.string() + ", " +
                                 ce_path.string() + " and " + bf_path.string() + ")");
    return 0;
}

}  // namespace smb::cli
