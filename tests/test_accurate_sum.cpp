// The accurate tier's normaliser is accurate to ~2^-26 relative, not only on random rows: rows
// whose terms all round the same way in float. A row [0, v, v, ..., v] has the normaliser
// d = 1 + (n - 1) exp(v); when each term exp(v - m) is rounded to float before it is summed,
// every term carries the same rounding error (up to 2^-24 relative for v = -0.6930855, where
// exp(v) lies just above 1/2 and float rounds it down by almost a unit), d inherits it, and an
// output within 1/2 ULP of a binade's top (here 2^-12 * 0.99988 at n = 4096) is off by ~1.5 ULP:
// past the tier's documented 1 ULP. The same with 0 in every lane of the first vectors (online
// keeps a max per lane: its other terms are rounded per lane the same way).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "accuracy.hpp"

using namespace smb;

namespace {

std::vector<float> tied_row(std::size_t n, std::size_t zeros, float v) {
    std::vector<float> x(n, v);
    for (std::size_t i = 0; i < zeros; ++i) x[i] = 0.0f;
    return x;
}

}  // namespace

TEST_CASE("accurate tier: terms that all round the same way stay within the documented bound") {
    // -0.6930855: float(exp(v)) is below exp(v) by 0.9999 units of 2^-24 (relative 2^-24);
    // -0.6930854: above it by 0.9998 units.
    for (const float v : {-0.6930855f, -0.6930854f}) {
        for (const std::size_t n : {std::size_t(4096), std::size_t(4097), std::size_t(65536)}) {
            for (const std::size_t zeros : {std::size_t(1), std::size_t(32), std::size_t(256)}) {
                const std::vector<float> x = tied_row(n, zeros, v);
                for (const Output out : {Output::softmax, Output::log_softmax}) {
                    const ref::RowReference r = ref::reference_row(x, out);
                    for (const Variant* var : test::available_variants()) {
                        if (var->tier != Tier::accurate) continue;
                        const test::Check c = test::check_row(*var, x, r, out);
                        INFO(var->name << " " << to_string(out) << " v=" << v << " n=" << n << " zeros=" << zeros
                                       << ": max " << c.m.max_ulp << " ULP, bound " << c.bound << ": "
                                       << c.failure);
                        CHECK(c.failure.empty());
                    }
                }
            }
        }
    }
}

TEST_CASE("accurate tier: two entries [0, v], the normaliser one rounded term") {
    // d = 1 + exp(v): a float-rounded term is off by up to 2^-24 relative, which log_softmax's
    // -log1p(exp(v)) at x = 0 shows as ~1.4 ULP for some v (e.g. v = -2.7518041).
    std::vector<std::vector<float>> rows;
    rows.push_back({0.0f, -2.7518041f});
    for (int i = 1; i <= 4000; ++i) rows.push_back({0.0f, -float(i) * 0.001f});
    for (const Variant* var : test::available_variants()) {
        if (var->tier != Tier::accurate) continue;
        for (const Output out : {Output::softmax, Output::log_softmax}) {
            int failures = 0;
            std::string first;
            double worst = 0;
            for (const auto& x : rows) {
                const test::Check c = test::check_row(*var, x, ref::reference_row(x, out), out);
                worst = std::max(worst, c.m.max_ulp);
                if (!c.failure.empty() && failures++ == 0) first = c.failure;
            }
            INFO(var->name << " " << to_string(out) << ": " << failures << " rows past the bound, worst "
                           << worst << " ULP; first: " << first);
            CHECK(failures == 0);
        }
    }
}
