// floor:exp and floor:exp_write (bench/floors.hpp): measurement tools registered beside memcpy,
// not variants. Registration, the reference and check, the thread split and the timed loop;
// the kernels are per ISA (floors_kernels.inc).
#include "floors.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench_memory.hpp"
#include "bench_register.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::bench {
namespace {

enum class Kind { exp, exp_write };

const char* name_of(Kind k) { return k == Kind::exp ? "floor:exp" : "floor:exp_write"; }

struct Kernels {
    const char* isa;
    double (*sum)(const float*, std::size_t, float);
    void (*write)(const float*, float*, std::size_t, float, double);
};

// The kernels of the dispatch ISA (avx512bf16 is avx512 plus a bf16 extension: its f32 code is
// avx512's). Throws when there is none (a scalar dispatch, or dispatch itself failed).
Kernels kernels_here() {
    switch (smb::dispatch_isa()) {
        case Isa::avx512:
        case Isa::avx512bf16: return {"avx512", &floors::avx512::exp_sum, &floors::avx512::exp_write};
        case Isa::avx2: return {"avx2", &floors::avx2::exp_sum, &floors::avx2::exp_write};
        case Isa::sse2: return {"sse2", &floors::sse2::exp_sum, &floors::sse2::exp_write};
        default: break;
    }
    throw std::runtime_error(std::string("no floor kernel for the dispatch ISA ") +
                             std::string(smb::to_string(smb::dispatch_isa())) + " (bench/floors_<isa>.cpp)");
}

constexpr double kLog2e = 1.4426950408889634074, kLn2 = 0.69314718055994530942;
// guarded's window (guard_window, variants/simd/guarded.hpp): the exp kernel takes a shift q with
// |q| <= kExpShiftMaxQ - 2 kGuardSpan = 1856, i.e. a max logit within +-1280.
constexpr double kMaxLogit = 1280.0;
// Outputs whose exact value is below this are held to kFloorRelBound of it, absolutely (the
// kernel flushes below ~2^-126 by design).
constexpr double kTiny = 0x1p-100;

// Per shape: q = floor(max(x) log2e) and every row's sum of exp(x - q ln2) in double.
struct Reference {
    bool ok = false;
    std::string why;  // when not ok
    float q = 0;
    std::vector<double> sums;
};

const Reference& reference(const float* x, std::size_t rows, std::size_t cols) {
    static std::map<std::pair<std::size_t, std::size_t>, Reference> cache;
    auto [it, fresh] = cache.try_emplace({rows, cols});
    Reference& ref = it->second;
    if (!fresh) return ref;
    float m = -INFINITY;
    for (std::size_t i = 0; i < rows * cols; ++i) m = std::max(m, x[i]);
    if (!(std::fabs(double(m)) <= kMaxLogit)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "the input's max logit %g is outside the exp kernel's window (|max| <= %g)",
                      double(m), kMaxLogit);
        ref.why = buf;
        return ref;
    }
    ref.q = float(std::floor(double(m) * kLog2e));
    ref.sums.assign(rows, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
        double s = 0;
        for (std::size_t i = 0; i < cols; ++i) s += std::exp(double(x[r * cols + i]) - double(ref.q) * kLn2);
        ref.sums[r] = s;
    }
    ref.ok = true;
    return ref;
}

// One configured floor: the thread split of softmax_bench's entries (rows in contiguous blocks;
// fewer rows than threads: each row cut in 64-byte aligned slices).
class FloorRun {
public:
    FloorRun(Kind kind, const Kernels& k, std::size_t rows, std::size_t cols, int threads, const Reference& ref)
        : kind_(kind), k_(k), rows_(rows), cols_(cols), threads_(threads), q_(ref.q), ref_(ref.sums),
          sums_(rows, 0.0), partial_(std::size_t(std::max(threads, 1)), 0.0) {}

    void run(const float* x, float* y) {
        if (threads_ <= 1) {
            for (std::size_t r = 0; r < rows_; ++r) sums_[r] = slice(x, y, r, 0, cols_);
            return;
        }
        if (rows_ >= std::size_t(threads_)) {
            const auto rows = static_cast<std::int64_t>(rows_);
#pragma omp parallel for num_threads(threads_) schedule(static)
            for (std::int64_t r = 0; r < rows; ++r) sums_[std::size_t(r)] = slice(x, y, std::size_t(r), 0, cols_);
            return;
        }
        const std::size_t nt = std::size_t(threads_);
        const std::size_t chunk = ((cols_ + nt - 1) / nt + 15) / 16 * 16;
        for (std::size_t r = 0; r < rows_; ++r) {
#pragma omp parallel num_threads(threads_)
            {
                const std::size_t t = std::size_t(omp_get_thread_num());
                const std::size_t lo = std::min(t * chunk, cols_), hi = std::min(lo + chunk, cols_);
                partial_[t] = hi > lo ? slice(x, y, r, lo, hi) : 0.0;
            }
            double s = 0;
            for (double p : partial_) s += p;
            sums_[r] = s;
        }
    }

    // The largest relative error against the double reference: every row's sum (floor:exp), or
    // every output (floor:exp_write; the exact value is exp(x - q ln2) / the row's reference sum).
    double error(const float* x, const float* y) const {
        double worst = 0;
        for (std::size_t r = 0; r < rows_; ++r) {
            if (kind_ == Kind::exp) {
                const double e = std::fabs(sums_[r] - ref_[r]) / ref_[r];
                worst = std::max(worst, e == e ? e : INFINITY);
                continue;
            }
            for (std::size_t i = 0; i < cols_; ++i) {
                const double want = std::exp(double(x[r * cols_ + i]) - double(q_) * kLn2) / ref_[r];
                const double e = std::fabs(double(y[r * cols_ + i]) - want) / std::max(want, kTiny);
                worst = std::max(worst, e == e ? e : INFINITY);
            }
        }
        return worst;
    }

    const std::vector<double>& sums() const { return sums_; }

private:
    double slice(const float* x, float* y, std::size_t r, std::size_t lo, std::size_t hi) const {
        const float* xr = x + r * cols_ + lo;
        if (kind_ == Kind::exp) return k_.sum(xr, hi - lo, q_);
        k_.write(xr, y + r * cols_ + lo, hi - lo, q_, ref_[r]);
        return 0.0;
    }

    Kind kind_;
    Kernels k_;
    std::size_t rows_, cols_;
    int threads_;
    float q_;
    const std::vector<double>& ref_;
    std::vector<double> sums_, partial_;
};

std::string what(Kind kind, const Kernels& k) {
    const std::string kernel = std::string("guarded's fast-tier exp (ExpShiftPow2, poly5, ") + k.isa + ")";
    if (kind == Kind::exp)
        return "floor, a measurement (not a softmax): read x, exp(x - q ln2) by " + kernel +
               ", sum in double lanes; no max pass, no write";
    return "floor, a measurement (not a softmax): read x, exp(x - q ln2) by " + kernel +
           " times 1/sum known beforehand, write y (guarded's output pass alone)";
}

struct Checked {
    double error = 0;
    bool ok = false;
};

void run_floor(benchmark::State& state, Kind kind, std::size_t rows, std::size_t cols, int threads,
               const FloorEnv& env) {
    try {
        const Kernels k = kernels_here();
        const float* x = env.input(rows, cols);
        const Reference& ref = reference(x, rows, cols);
        if (!ref.ok) {
            state.SkipWithError(("floor: " + ref.why).c_str());
            return;
        }
        FloorRun f(kind, k, rows, cols, threads, ref);
        const std::size_t elems = rows * cols;
        const std::size_t n_out = kind == Kind::exp ? 0 : rotating_outputs(2 * elems * sizeof(float));
        const std::vector<float*> outs = n_out ? env.outputs(n_out, elems) : std::vector<float*>{};

        // The check, once per (floor, shape, threads): Google Benchmark calls this function again
        // for its iteration estimate and for every repetition.
        static std::map<std::tuple<int, std::size_t, std::size_t, int>, Checked> checked;
        auto [it, fresh] = checked.try_emplace({int(kind), rows, cols, threads});
        if (fresh) {
            float* y0 = n_out ? outs[0] : nullptr;
            f.run(x, y0);
            it->second.error = f.error(x, y0);
            it->second.ok = it->second.error <= kFloorRelBound;
        }
        const Checked& chk = it->second;
        char summary[160];
        std::snprintf(summary, sizeof summary, "max rel err %.3g <= %g (double ref, every %s)", chk.error,
                      kFloorRelBound, kind == Kind::exp ? "row's sum" : "output");
        std::string label = what(kind, k) + "; " + summary;
        if (!chk.ok) {
            std::snprintf(summary, sizeof summary, "check failed: max rel err %.3g > %g (double ref)", chk.error,
                          kFloorRelBound);
            if (!env.time_failed) {
                state.SkipWithError((std::string(name_of(kind)) + ": " + summary).c_str());
                return;
            }
            label = std::string("CHECK FAILED: ") + summary + "; " + label;
        }
        if (n_out > 1) label += "; " + std::to_string(n_out) + " rotating outputs (cold writes)";
        else f.run(x, n_out ? outs[0] : nullptr);  // warm: input and output in cache

        const TimedLoopCounters counters;
        std::size_t j = 0;
        for (auto _ : state) {
            float* y = n_out ? outs[j] : nullptr;
            if (n_out && ++j == n_out) j = 0;
            f.run(x, y);
            benchmark::DoNotOptimize(f.sums().data());
            benchmark::DoNotOptimize(y);
            benchmark::ClobberMemory();
        }
        counters.finish(state, elems);
        state.counters["check_error"] = chk.error;
        state.SetLabel(label);
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

}  // namespace

void register_floors(std::size_t rows, std::size_t cols, int threads, benchmark::TimeUnit unit, const FloorEnv& env) {
    for (Kind kind : {Kind::exp, Kind::exp_write}) {
        auto* b = benchmark::RegisterBenchmark(name_of(kind), [=](benchmark::State& st) {
            run_floor(st, kind, rows, cols, threads, env);
        });
        shape_args(b, rows, cols, threads);
        b->Unit(unit);
    }
}

}  // namespace smb::bench
