// Every variant x every test distribution x every test size, softmax and log_softmax, against
// the correctly rounded MPFR reference. Each variant must meet its own documented bound
// (variants/list.inc); the bound is a constant of the code, never derived from this run.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "reference/distributions.hpp"

using namespace smb;

namespace {

struct Worst {
    double ulp = 0;
    std::string where;
};

}  // namespace

TEST_CASE("every variant meets its documented ULP bound on every distribution and size") {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants())
        if (available(v)) vs.push_back(&v);
    REQUIRE(!vs.empty());

    std::map<std::string, Worst> worst;  // variant/output -> worst normal-band error seen
    std::vector<std::string> failures;
    std::size_t checks = 0;
    for (const auto& d : ref::distributions()) {
        for (std::size_t n : ref::test_sizes()) {
            const std::vector<float> x = ref::make_row(d.name, n, 42);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const ref::RowReference r = ref::reference_row(x, out);
                for (const Variant* v : vs) {
                    if (!test::in_domain(*v, x)) continue;
                    const test::Check c = test::check_row(*v, x, r, out);
                    ++checks;
                    const std::string key = std::string(v->name) + " " + std::string(to_string(out));
                    const std::string where = std::string(d.name) + " n=" + std::to_string(n);
                    if (c.m.max_ulp > worst[key].ulp) worst[key] = {c.m.max_ulp, where};
                    if (!c.failure.empty()) failures.push_back(key + " on " + where + ": " + c.failure);
                }
            }
        }
    }
    for (const auto& [k, w] : worst)
        std::printf("  worst %-40s %10.4g ULP  (%s)\n", k.c_str(), w.ulp, w.where.c_str());
    for (const auto& f : failures) UNSCOPED_INFO(f);
    INFO(checks << " variant-row checks, " << failures.size() << " failures");
    CHECK(failures.empty());
    CHECK(checks > 1000);
}

TEST_CASE("the harness can fail: naive is flagged on logits near 1e4") {
    const Variant* naive = find_variant("naive.scalar");
    REQUIRE(naive != nullptr);
    for (std::size_t n : {3u, 64u, 1000u}) {
        const std::vector<float> x = ref::make_row("offset_1e4", n, 7);
        REQUIRE_FALSE(test::in_domain(*naive, x));
        const ref::RowReference r = ref::reference_row(x, Output::softmax);
        const test::Check c = test::check_row(*naive, x, r, Output::softmax);
        INFO("n=" << n << " naive max ULP " << c.m.max_ulp);
        CHECK_FALSE(c.failure.empty());
        // And the same rows pass for a shifted variant under the same checks.
        CHECK(test::check_row(*find_variant("max_shifted.scalar"), x, r, Output::softmax).failure.empty());
    }
}

TEST_CASE("the harness can fail: a one-ULP perturbation breaks a 0.51 ULP bound") {
    // Take a correctly rounded output and move one element by 2 ULP: measure() must see it.
    const std::vector<float> x = ref::make_row("normal_1", 100, 3);
    const ref::RowReference r = ref::reference_row(x, Output::softmax);
    std::vector<float> y = r.rounded;
    y[17] = std::nextafter(std::nextafter(y[17], 1.0f), 1.0f);
    const ref::Metrics m = ref::measure(y, r, Output::softmax);
    CHECK(m.max_ulp > 1.5);
    CHECK(m.worst_index == 17);
}
