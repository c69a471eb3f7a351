// Inputs at the edges of the float range, for the SIMD and scalar kernels' own bookkeeping:
//   * more entries equal to the max than a float counts exactly (2^24 per lane).
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

TEST_CASE("ties: the count of entries equal to the max is exact past 2^24 per lane") {
    // n zeros: softmax 1/n, log_softmax -log n. The sum passes count ties per lane (n / W each),
    // online per lane and per lane state (n / 2W each); a float count stops at 2^24, so the
    // smallest rows that expose it are a little past W 2^24 and 2W 2^24. 2^16 more per lane
    // puts the error of a float count (2^-8 relative) far past every documented bound.
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

