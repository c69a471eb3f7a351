// The special-value policy, shift invariance, in place, the batch call's contract, and the
// worked examples of the two articles the project grew from — for every variant.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "accuracy.hpp"
#include "reference/distributions.hpp"

using namespace smb;

namespace {

using test::all_equal;
using test::all_nan;
using test::available_variants;
using test::kInf;
using test::kNaN;

std::vector<float> run(const Variant& v, const std::vector<float>& x, Output out, bool masked = false) {
    std::vector<float> y(x.size(), -777.0f);
    v.row(x.data(), y.data(), x.size(), RowParams{out, masked});
    return y;
}

// Row sizes that exercise the scalar path and (for SIMD variants) the vector body and tails.
const std::size_t kSizes[] = {1, 2, 3, 5, 8, 15, 16, 17, 31, 33, 64, 100, 1000};

}  // namespace

TEST_CASE("special values: NaN or +inf anywhere gives an all-NaN row") {
    for (const Variant* v : available_variants()) {
        for (std::size_t n : kSizes) {
            for (std::size_t pos : {std::size_t(0), n / 2, n - 1}) {
                for (float bad : {kNaN, kInf}) {
                    for (Output out : {Output::softmax, Output::log_softmax}) {
                        for (bool masked : {false, true}) {
                            std::vector<float> x = ref::make_row("normal_1", n, 5);
                            x[pos] = bad;
                            INFO(v->name << " n=" << n << " pos=" << pos << " bad=" << bad << " "
                                         << to_string(out) << " masked=" << masked);
                            CHECK(all_nan(run(*v, x, out, masked)));
                            // A NaN among -inf entries: a NaN-dropping max sees only -inf.
                            std::vector<float> z(n, -kInf);
                            z[pos] = bad;
                            CHECK(all_nan(run(*v, z, out, masked)));
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("special values: -inf entries give exact 0 (log: -inf), the rest is the softmax of the others") {
    for (const Variant* v : available_variants()) {
        for (std::size_t n : kSizes) {
            if (n < 2) continue;
            std::vector<float> x = ref::make_row("normal_1", n, 9);
            for (std::size_t i = 0; i < n; i += 3) x[i] = -kInf;  // x[0] and every third entry
            for (Output out : {Output::softmax, Output::log_softmax}) {
                INFO(v->name << " n=" << n << " " << to_string(out));
                const ref::RowReference r = ref::reference_row(x, out);
                const test::Check c = test::check_row(*v, x, r, out);
                CHECK(c.failure == "");
                const std::vector<float> y = run(*v, x, out);
                for (std::size_t i = 0; i < n; i += 3) CHECK(y[i] == (out == Output::softmax ? 0.0f : -kInf));
            }
        }
    }
}

TEST_CASE("special values: an all -inf row is NaN, or 0 (log: -inf) when masked-safe") {
    for (const Variant* v : available_variants()) {
        for (std::size_t n : kSizes) {
            const std::vector<float> x(n, -kInf);
            INFO(v->name << " n=" << n);
            CHECK(all_nan(run(*v, x, Output::softmax)));
            CHECK(all_nan(run(*v, x, Output::log_softmax)));
            CHECK(all_equal(run(*v, x, Output::softmax, true), 0.0f));
            CHECK(all_equal(run(*v, x, Output::log_softmax, true), -kInf));
        }
    }
}

TEST_CASE("special values: n = 0 writes nothing, n = 1 gives exactly 1 (log: 0)") {
    for (const Variant* v : available_variants()) {
        float sentinel[2] = {-5.0f, -5.0f};
        const float in[1] = {3.0f};
        v->row(in, sentinel, 0, RowParams{});
        v->row(in, sentinel, 0, RowParams{Output::log_softmax, true});
        CHECK(sentinel[0] == -5.0f);
        for (float t : {0.0f, 1.0f, -3.5f, 80.0f, -80.0f, 1e-30f}) {
            INFO(v->name << " x=" << t);
            CHECK(run(*v, {t}, Output::softmax)[0] == 1.0f);
            CHECK(run(*v, {t}, Output::log_softmax)[0] == 0.0f);
        }
    }
}

TEST_CASE("in place equals out of place, bit for bit") {
    for (const Variant* v : available_variants()) {
        for (std::size_t n : kSizes) {
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const std::vector<float> x = ref::make_row("normal_5", n, 11);
                const std::vector<float> y = run(*v, x, out);
                std::vector<float> z = x;
                v->row(z.data(), z.data(), n, RowParams{out, false});
                INFO(v->name << " n=" << n << " " << to_string(out));
                CHECK(std::memcmp(y.data(), z.data(), n * sizeof(float)) == 0);
            }
        }
    }
}

TEST_CASE("shift invariance: softmax(x + c) == softmax(x) when the shift is exact") {
    // The W&B article's example: scores and scores + 100 give the same probabilities.
    const std::vector<float> s = {6, 2, 3, 10, 5, 1, 7, 8, 9, 4};
    std::vector<float> s100 = s;
    for (float& t : s100) t += 100.0f;
    for (const Variant* v : available_variants()) {
        if (v->algorithm == Algorithm::naive) continue;  // exp(110) is fine, but shown elsewhere
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const std::vector<float> a = run(*v, s, out), b = run(*v, s100, out);
            INFO(v->name << " " << to_string(out));
            // The registry's fact; auto may pick a form without a max (its entry says false).
            const AlgorithmInfo& alg = info(v->algorithm);
            const bool no_max = !(out == Output::softmax ? alg.max_shift_softmax : alg.max_shift_log) &&
                                !(v->algorithm == Algorithm::auto_pick && out == Output::log_softmax);
            if (no_max) {
                // No max is subtracted (guarded's shift is x[0]'s power of two, which moves with
                // c; auto may pick guarded), so rounding differs; both must still meet the bound.
                const ref::RowReference r = ref::reference_row(s, out);
                CHECK(test::check_row(*v, s100, r, out).failure == "");
            } else {
                CHECK(a == b);  // x - max is exact and identical for both rows
            }
        }
    }
}

TEST_CASE("worked examples from the NumPy from-scratch guide and the W&B article") {
    struct Example {
        std::vector<float> x;
        std::vector<double> p;  // independently computed (double precision), 8 digits
    };
    const Example ex[] = {
        {{2.0f, 1.0f, 0.1f}, {0.65900114, 0.24243297, 0.09856589}},
        {{1000, 1001, 1002}, {0.09003057, 0.24472847, 0.66524096}},  // needs the shift
        {{10, 2, 1}, {0.99954134, 3.35308764e-04, 1.23353201e-04}},
        {{1, 2, 3, 4}, {0.0320586, 0.08714432, 0.23688282, 0.64391426}},
        {{6, 2, 3, 10, 5, 1, 7, 8, 9, 4},
         {1.15782175e-02, 2.12062451e-04, 5.76445508e-04, 6.32149258e-01, 4.25938820e-03,
          7.80134161e-05, 3.14728583e-02, 8.55520989e-02, 2.32554716e-01, 1.56694135e-03}},
        // The guide prints "something like [0.65, 0.23, 0.12]" for these logits; the
        // softmax is in fact [0.7229, 0.1970, 0.0801].
        {{2.5f, 1.2f, 0.3f}, {0.72289072, 0.1970107, 0.08009858}},
    };
    for (const Variant* v : available_variants()) {
        for (const auto& e : ex) {
            const std::vector<float> y = run(*v, e.x, Output::softmax);
            INFO(v->name << " x[0]=" << e.x[0]);
            if (v->algorithm == Algorithm::naive && e.x[0] >= 1000) {
                // The guide's point: the unshifted formula overflows to inf/inf = NaN.
                CHECK(all_nan(y));
                continue;
            }
            for (std::size_t i = 0; i < e.x.size(); ++i) CHECK(y[i] == Approx(e.p[i]).epsilon(2e-6));
        }
    }
}

TEST_CASE("the batch call: the guide's 2x3 batch, strides, in place, and bad arguments") {
    const Variant& v = *find_variant("max_shifted.scalar");
    // logits = [[2.0, 1.0, 0.1], [1.5, 0.5, 3.0]] stored with a row stride of 4 (one pad).
    std::vector<float> x = {2.0f, 1.0f, 0.1f, 99.0f, 1.5f, 0.5f, 3.0f, 99.0f};
    std::vector<float> y(8, -1.0f);
    BatchArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = 2; a.cols = 3; a.ld_x = 4; a.ld_y = 4;
    softmax_batch(v, a);
    CHECK(y[0] == Approx(0.65900114).epsilon(1e-6));
    CHECK(y[4] == Approx(0.17095278).epsilon(1e-6));
    CHECK(y[5] == Approx(0.06289001).epsilon(1e-6));
    CHECK(y[6] == Approx(0.76615721).epsilon(1e-6));
    CHECK(y[3] == -1.0f);  // padding untouched
    CHECK(y[7] == -1.0f);
    for (int r = 0; r < 2; ++r) CHECK(double(y[4 * r]) + y[4 * r + 1] + y[4 * r + 2] == Approx(1.0).epsilon(1e-6));

    // In place with equal strides.
    std::vector<float> z = x;
    a.x = z.data(); a.y = z.data();
    softmax_batch(v, a);
    CHECK(z[6] == y[6]);
    CHECK(z[3] == 99.0f);

    BatchArgs bad = a;
    bad.ld_x = 2;
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    bad = a; bad.threads = 0;
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    bad = a; bad.x = nullptr;
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    bad = a; bad.x = z.data() + 1;  // overlapping but not the same rows
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    // Shapes whose byte span overflows size_t: (rows - 1) ld itself, or only with cols and
    // the element size (checked before any row is touched).
    bad = a; bad.rows = std::size_t(1) << 63;
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    bad = a; bad.rows = std::size_t(1) << 62;
    CHECK_THROWS_AS(softmax_batch(v, bad), std::invalid_argument);
    // cols alone past SIZE_MAX / sizeof(float): one row, or two with the default stride (the
    // span's bound SIZE_MAX / 4 - cols must not wrap around).
    for (std::size_t rows : {1u, 2u}) {
        bad = a; bad.rows = rows; bad.cols = SIZE_MAX / sizeof(float) + 1; bad.ld_x = bad.ld_y = 0;
        INFO(rows << " rows of SIZE_MAX / 4 + 1");
        CHECK_THROWS_WITH(softmax_batch(v, bad), Catch::Contains("shape overflows size_t"));
    }
    BatchArgs empty;  // rows = cols = 0, null pointers: nothing to do
    CHECK_NOTHROW(softmax_batch(v, empty));
}

TEST_CASE("registry: names are unique, well formed, and findable") {
    std::vector<std::string> names;
    for (const Variant& v : all_variants()) {
        const std::string n(v.name);
        if (v.algorithm == Algorithm::auto_pick) CHECK(n.rfind("auto", 0) == 0);
        else CHECK(n.rfind(std::string(to_string(v.algorithm)) + "." + std::string(to_string(v.isa)), 0) == 0);
        CHECK(find_variant(n) == &v);
        CHECK(v.max_ulp > 0);
        CHECK(v.max_ulp_log > 0);
        for (const auto& m : names) CHECK(m != n);
        names.push_back(n);
    }
    CHECK(find_variant("no_such.variant") == nullptr);
    for (const char* a : {"naive", "max_shifted", "online", "log_sum_exp", "two_pass", "guarded"})
        CHECK(find_variant(std::string(a) + ".scalar") != nullptr);
}

TEST_CASE("guarded: specials are max_shifted's bit for bit; rows outside x[0]'s window keep the bound") {
    // One logit 60 above x[0] (inside its window, ~x[0] + 66), or 70 / 500 above it (outside:
    // early, mid-row past the first 1024-element chunk, and in the tail), x[0] = -inf, a wide
    // row, a long row. The same rows for every ISA: their references are computed once.
    struct Scored {
        std::vector<float> x;
        ref::RowReference r;
        std::string what;
    };
    std::vector<Scored> scored;
    auto add = [&](std::vector<float> x, std::string what) {
        ref::RowReference r = ref::reference_row(x, Output::softmax);
        scored.push_back({std::move(x), std::move(r), std::move(what)});
    };
    for (const auto& [n, at, up] : std::vector<std::tuple<std::size_t, std::size_t, float>>{
             {100, 57, 60.0f}, {100, 57, 70.0f}, {5000, 3000, 500.0f}, {5000, 4999, 70.0f}, {37, 0, -kInf}}) {
        std::vector<float> x = ref::make_row("normal_1", n, 10);
        x[at] = at == 0 ? up : x[0] + up;
        add(std::move(x), "n=" + std::to_string(n) + " at=" + std::to_string(at) + " up=" + std::to_string(up));
    }
    add(ref::make_row("normal_20", 70000, 12), "normal_20 n=70000");
    add(ref::make_row("normal_5", (std::size_t(1) << 17) + 33, 11), "normal_5 n=131105");
    for (const char* isa : {"scalar", "sse2", "avx2", "avx512"}) {
        const Variant* g = find_variant(std::string("guarded.") + isa);
        const Variant* m = find_variant(std::string("max_shifted.") + isa);
        REQUIRE(g);
        REQUIRE(m);
        if (!available(*g)) continue;
        INFO(g->name);
        // |x[0]| and every logit past the window's limit, a NaN and a +inf after a finite x[0]:
        // all max_shifted's.
        std::vector<std::vector<float>> rows;
        rows.push_back(ref::make_row("offset_1e4", 37, 8));
        std::vector<float> r;
        r = ref::make_row("normal_1", 50, 9);
        r[20] = kNaN;
        rows.push_back(r);
        r[20] = kInf;
        rows.push_back(r);
        for (const auto& x : rows) {
            const std::vector<float> a = run(*g, x, Output::softmax), b = run(*m, x, Output::softmax);
            CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);  // NaN rows too
        }
        // Scored rows (built with their references once, above): every output within the bound,
        // and in place the same bits.
        for (const Scored& t : scored) {
            INFO(t.what);
            const std::vector<float> a = run(*g, t.x, Output::softmax);
            CHECK(ref::check_output(*g, t.x, a, t.r, Output::softmax).failure == "");
            std::vector<float> z = t.x;
            g->row(z.data(), z.data(), z.size(), RowParams{Output::softmax, false});
            CHECK(std::memcmp(a.data(), z.data(), z.size() * sizeof(float)) == 0);
        }
    }
}
