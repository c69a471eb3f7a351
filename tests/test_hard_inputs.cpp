// Inputs at the edges of the float range, for the SIMD and scalar kernels' own bookkeeping:
//   * more entries equal to the max than a float counts exactly (2^24 per lane);
//   * finite logits near +-FLT_MAX, which every algorithm but naive must accept (and -FLT_MAX
//     as the max of a row with -inf entries).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "layout.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/softmax.hpp"

using namespace smb;

namespace {

using test::kInf;

// Within the documented bound of the exact value e (ULP at most 2^-23 |e| in the normal band).
bool within(float y, double e, double max_ulp) { return std::fabs(double(y) - e) <= max_ulp * 0x1p-23 * std::fabs(e); }

}  // namespace

TEST_CASE("ties: the count of entries equal to the max is exact past 2^24 per lane", "[huge]") {
    // n zeros: softmax 1/n, log_softmax -log n. The sum passes count ties per lane (n / W each),
    // online per lane and per lane state (n / 2W each); a float count stops at 2^24, so the
    // smallest rows that expose it are a little past W 2^24 and 2W 2^24. 2^16 more per lane
    // puts the error of a float count (2^-8 relative) far past every documented bound.
    // [huge]: rows of up to 5.4e8 floats (2.2 GB), about 200 s under ASan; builds without
    // optimisation (the asan preset) leave it out (tests/CMakeLists.txt): it tests arithmetic,
    // and the same code runs there on every shorter row.
    constexpr std::size_t kPerLane = (std::size_t(1) << 24) + (std::size_t(1) << 16);
    struct Isa {
        const char* name;
        std::size_t lanes;
    };
    for (const Isa isa : {Isa{"sse2", 4}, Isa{"avx2", 8}, Isa{"avx512", 16}}) {
        const std::string suffix = std::string(".") + isa.name;
        if (!available(*find_variant("max_shifted" + suffix))) continue;
        const std::size_t n_sum = isa.lanes * kPerLane, n_online = 2 * isa.lanes * kPerLane;
        // In place, one buffer (up to 2.2 GB for AVX-512): rewritten with zeros before each run.
        std::unique_ptr<float[]> buf(new float[n_online]);
        struct Run {
            std::string name;
            Output out;
            std::size_t n;
        };
        // The two examples, and online's lane states (the sum passes are shared by
        // every max-first variant of the ISA: one per output form is enough).
        for (const Run& r : {Run{"log_sum_exp" + suffix, Output::softmax, n_sum},
                             Run{"max_shifted" + suffix, Output::log_softmax, n_sum},
                             Run{"online" + suffix, Output::log_softmax, n_online}}) {
            const Variant& v = *find_variant(r.name);
            std::fill(buf.get(), buf.get() + r.n, 0.0f);
            v.row(buf.get(), buf.get(), r.n, RowParams{r.out, false});
            const double exact = r.out == Output::softmax ? 1.0 / double(r.n) : -std::log(double(r.n));
            const double bound = r.out == Output::softmax ? v.max_ulp : v.max_ulp_log;
            for (std::size_t i : {std::size_t(0), r.n / 3, r.n / 2, r.n - 1}) {
                INFO(r.name << " " << to_string(r.out) << " n=" << r.n << " y[" << i << "]=" << buf[i]
                            << " exact " << exact);
                CHECK(within(buf[i], exact, bound));
            }
        }
    }
}

namespace {


// The first output off its exact value by more than the bound, or -1. Outputs below 2^-126
// may flush; a log_softmax value past -FLT_MAX rounds to -inf (or stops at -FLT_MAX).
long first_off(const Variant& v, const std::vector<float>& y, const std::vector<double>& e, Output out) {
    for (std::size_t i = 0; i < y.size(); ++i) {
        bool ok;
        if (out == Output::softmax) ok = within(y[i], e[i], v.max_ulp) || (e[i] < 0x1p-126 && y[i] >= 0 && y[i] <= 0x1p-126f);
        else if (e[i] < -double(FLT_MAX)) ok = y[i] <= -FLT_MAX;
        else if (std::isinf(v.max_ulp_log)) ok = std::fabs(double(y[i]) - e[i]) <= 0x1p-20 * (1 + std::fabs(e[i]));
        else ok = within(y[i], e[i], v.max_ulp_log) || std::fabs(double(y[i]) - e[i]) <= 0x1p-20;
        if (!ok) return long(i);
    }
    return -1;
}

}  // namespace

TEST_CASE("huge finite logits: every algorithm but naive accepts every finite row") {
    std::vector<std::pair<std::string, std::vector<float>>> rows;
    rows.push_back({"[3e38, 0]", {3e38f, 0.0f}});
    rows.push_back({"[0, -3e38]", {0.0f, -3e38f}});
    rows.push_back({"[-3e38, -3e38]", {-3e38f, -3e38f}});
    rows.push_back({"[-FLT_MAX, -3e38, -3.4e38]", {-FLT_MAX, -3e38f, -3.4e38f}});
    // Ordinary N(0, 1) rows with +-3.4e38, FLT_MAX and -FLT_MAX mixed in: short, and long
    // enough to split (just past the split threshold) at 2 threads.
    for (std::size_t n : {std::size_t(37), layout::kMinSplitCols + 37}) {
        const std::vector<float> base = ref::make_row("normal_1", n, 38);
        std::vector<float> x = base;
        x[1] = FLT_MAX;
        x[n - 2] = -FLT_MAX;
        x[n / 2] = 3.4e38f;
        rows.push_back({"N(0,1) n=" + std::to_string(n) + " with FLT_MAX, 3.4e38 and -FLT_MAX", x});
        x = base;
        x[n / 3] = -3.4e38f;
        x[n - 1] = -FLT_MAX;
        rows.push_back({"N(0,1) n=" + std::to_string(n) + " with -3.4e38 and -FLT_MAX", x});
        x = base;
        for (std::size_t i = 0; i < n; ++i) x[i] = -3e38f + 2e37f * base[i];
        x[n / 4] = -FLT_MAX;
        rows.push_back({"n=" + std::to_string(n) + " all near -3e38, one -FLT_MAX", x});
    }
    // -FLT_MAX as the row max among -inf entries (online once counted those as ties of it).
    std::vector<float> ninf_row(37, -kInf);
    ninf_row[0] = ninf_row[20] = -FLT_MAX;
    rows.push_back({"-FLT_MAX twice among -inf", ninf_row});
    for (const auto& [what, x] : rows) {
        const std::vector<double> e[2] = {test::double_softmax(x, Output::softmax), test::double_softmax(x, Output::log_softmax)};
        for (const Variant* v : test::available_variants()) {
            if (v->algorithm == Algorithm::naive) continue;  // overflows above ~88.7, documented
            for (Output out : {Output::softmax, Output::log_softmax}) {
                for (int threads : {1, 2}) {
                    std::vector<float> y(x.size(), -777.0f);
                    BatchArgs a;
                    a.x = x.data();
                    a.y = y.data();
                    a.rows = 1;
                    a.cols = x.size();
                    a.output = out;
                    a.threads = threads;
                    softmax_batch(*v, a);
                    const long i = first_off(*v, y, e[out == Output::softmax ? 0 : 1], out);
                    INFO(v->name << " " << what << " " << to_string(out) << " threads=" << threads << ": y[" << i
                                 << "]=" << (i >= 0 ? y[std::size_t(i)] : 0.0f) << " exact "
                                 << (i >= 0 ? e[out == Output::softmax ? 0 : 1][std::size_t(i)] : 0.0));
                    CHECK(i == -1);
                }
            }
        }
    }
}
