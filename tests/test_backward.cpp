// The backward (op backward): every backward variant, softmax and log_softmax backward, against
// the MPFR reference (src/reference/backward.cpp) under its documented bound
// |dx_i - exact_i| <= k u sigma_i + eta_i (k: the variant's max_ulp / max_ulp_log, variants/list.inc),
// on every test distribution of logits (y = their correctly rounded forward output) with several
// kinds of dy, sizes 1..65 and a few thousand; special values; threads; in place; the batch call's
// argument checks; and the explicit Jacobian of the NumPy guide.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "reference/distributions.hpp"
#include "detail/split.hpp"
#include "layout.hpp"
#include "softmaxbench/reference.hpp"

using namespace smb;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<const Variant*> backward_variants() {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants(Op::backward))
        if (available(v)) vs.push_back(&v);
    return vs;
}

double bound_k(const Variant& v, Output out) { return out == Output::softmax ? v.max_ulp : v.max_ulp_log; }

std::vector<float> run_row(const Variant& v, const std::vector<float>& y, const std::vector<float>& dy, Output out) {
    std::vector<float> dx(y.size(), -12345.0f);
    v.backward(y.data(), dy.data(), dx.data(), y.size(), RowParams{out, false});
    return dx;
}

std::vector<float> make_dy(const std::string& kind, const std::vector<float>& y, Output out, std::uint64_t seed) {
    return ref::make_dy(kind, y, out, seed);
}

std::vector<std::size_t> sizes() {
    std::vector<std::size_t> s;
    for (std::size_t n = 1; n <= 65; ++n) s.push_back(n);
    for (std::size_t n : {127u, 1000u, 4099u}) s.push_back(n);
    return s;
}

}  // namespace

TEST_CASE("every backward variant meets its documented bound on every distribution, dy kind and size") {
    const auto vs = backward_variants();
    REQUIRE(vs.size() >= 3);  // scalar plus the fast and accurate tiers of the dispatch ISA at least
    struct Worst {
        double k = 0, ulp = 0;
        std::string where;
    };
    std::map<std::string, Worst> worst;
    std::vector<std::string> failures;
    std::size_t checks = 0;
    for (const auto& d : ref::distributions()) {
        for (std::size_t n : sizes()) {
            const std::vector<float> x = ref::make_row(d.name, n, 11);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const std::vector<float> y = ref::reference_row(x, out).rounded;
                for (std::string_view kind_view : ref::backward_dy_kinds()) {
                    const std::string kind(kind_view);
                    const std::vector<float> dy = make_dy(kind, y, out, 1000 + n);
                    const ref::BackwardReference r = ref::backward_reference(y, dy, out);
                    for (const Variant* v : vs) {
                        const ref::BackwardScore s = ref::score_backward(run_row(*v, y, dy, out), r);
                        ++checks;
                        const std::string key = std::string(v->name) + " " + std::string(to_string(out));
                        const std::string where = std::string(d.name) + " dy=" + kind + " n=" + std::to_string(n);
                        Worst& w = worst[key];
                        if (s.excess_k > w.k) w = {s.excess_k, w.ulp, where + " i=" + std::to_string(s.worst_index)};
                        if (s.max_ulp_conditioned > w.ulp) w.ulp = s.max_ulp_conditioned;
                        const double k = bound_k(*v, out);
                        if (!(s.excess_k <= k) || s.special_mismatches != 0)
                            failures.push_back(key + " on " + where + ": k " + std::to_string(s.excess_k) + " > " +
                                               std::to_string(k) + " at i=" + std::to_string(s.worst_index) +
                                               ", special mismatches " + std::to_string(s.special_mismatches));
                        if (v->tier == Tier::accurate && s.max_ulp_conditioned > kAccurateMaxUlp)
                            failures.push_back(key + " on " + where + ": " + std::to_string(s.max_ulp_conditioned) +
                                               " ULP where well conditioned");
                    }
                }
            }
        }
    }
    for (const auto& [key, w] : worst)
        std::printf("  worst %-40s k %8.4g  ULP (conditioned) %6.3g  (%s)\n", key.c_str(), w.k, w.ulp, w.where.c_str());
    for (const auto& f : failures) UNSCOPED_INFO(f);
    INFO(checks << " checks, " << failures.size() << " failures");
    CHECK(failures.empty());
    CHECK(checks > 10000);
}

TEST_CASE("the backward harness can fail: a perturbed output and a wrong formula are caught") {
    const std::vector<float> x = ref::make_row("normal_1", 100, 5);
    const std::vector<float> y = ref::reference_row(x, Output::softmax).rounded;
    const std::vector<float> dy = make_dy("normal", y, Output::softmax, 9);
    const ref::BackwardReference r = ref::backward_reference(y, dy, Output::softmax);
    std::vector<float> dx(r.exact.begin(), r.exact.end());
    CHECK(ref::score_backward(dx, r).excess_k <= 1.0);
    dx[40] += float(64 * 0x1p-24 * r.sigma[40]);
    CHECK(ref::score_backward(dx, r).excess_k > 32);
    // y * dy without the <dy, y> term: far outside any k.
    for (std::size_t i = 0; i < dx.size(); ++i) dx[i] = y[i] * dy[i];
    CHECK(ref::score_backward(dx, r).excess_k > 1e3);
}

TEST_CASE("the backward evaluates its formula in IEEE arithmetic on NaN and infinities, at every boundary") {
    const auto vs = backward_variants();
    for (std::size_t n : {1u, 5u, 16u, 17u, 33u, 64u, 100u}) {
        const std::vector<float> x = ref::make_row("normal_1", n, 21);
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const std::vector<float> y0 = ref::reference_row(x, out).rounded;
            const std::vector<float> dy0 = make_dy("normal", y0, out, 22);
            for (std::size_t pos : {std::size_t(0), n / 2, n - 1, std::size_t(15), std::size_t(16), std::size_t(31)}) {
                if (pos >= n) continue;
                // (which input, value): NaN and +-inf in dy; NaN in y; y = -inf for log_softmax
                // (a masked entry: exp(-inf) = 0, so dx = dy there) and y = 0 for softmax.
                struct Case {
                    bool in_y;
                    float value;
                };
                std::vector<Case> cases = {{false, kNaN}, {false, kInf}, {false, -kInf}, {true, kNaN}};
                cases.push_back({true, out == Output::log_softmax ? -kInf : 0.0f});
                for (const Case& c : cases) {
                    std::vector<float> y = y0, dy = dy0;
                    (c.in_y ? y : dy)[pos] = c.value;
                    const ref::BackwardReference r = ref::backward_reference(y, dy, out);
                    for (const Variant* v : vs) {
                        const ref::BackwardScore s = ref::score_backward(run_row(*v, y, dy, out), r);
                        INFO(v->name << " " << to_string(out) << " n=" << n << " pos=" << pos << " "
                                     << (c.in_y ? "y=" : "dy=") << c.value);
                        CHECK(s.special_mismatches == 0);
                        CHECK(s.excess_k <= bound_k(*v, out));
                    }
                }
            }
        }
    }
}

TEST_CASE("backward rows of length 0 write nothing; in place over dy or y gives the same bits") {
    const std::vector<float> x = ref::make_row("normal_5", 77, 4);
    for (Output out : {Output::softmax, Output::log_softmax}) {
        const std::vector<float> y = ref::reference_row(x, out).rounded;
        const std::vector<float> dy = make_dy("normal", y, out, 8);
        for (const Variant* v : backward_variants()) {
            INFO(v->name << " " << to_string(out));
            const std::vector<float> want = run_row(*v, y, dy, out);
            std::vector<float> a = dy;
            v->backward(y.data(), a.data(), a.data(), a.size(), RowParams{out, false});
            CHECK(a == want);
            std::vector<float> b = y;
            v->backward(b.data(), dy.data(), b.data(), b.size(), RowParams{out, false});
            CHECK(b == want);
            float sentinel = 7.0f;
            v->backward(y.data(), dy.data(), &sentinel, 0, RowParams{out, false});
            CHECK(sentinel == 7.0f);
        }
    }
}

TEST_CASE("backward_batch: bit-identical for 1, 2 and 3 threads, with strides, and equal to the rows") {
    const std::size_t rows = 37, cols = 1000, ld = 1003;  // rows * cols above the parallel threshold
    for (Output out : {Output::softmax, Output::log_softmax}) {
        std::vector<float> y(rows * ld, kNaN), dy(rows * ld, kNaN);
        for (std::size_t r = 0; r < rows; ++r) {
            const std::vector<float> x = ref::make_row("normal_5", cols, 100 + r);
            const std::vector<float> yr = ref::reference_row(x, out).rounded;
            const std::vector<float> dyr = make_dy("normal", yr, out, 200 + r);
            std::copy(yr.begin(), yr.end(), y.begin() + std::ptrdiff_t(r * ld));
            std::copy(dyr.begin(), dyr.end(), dy.begin() + std::ptrdiff_t(r * ld));
        }
        for (const Variant* v : backward_variants()) {
            INFO(v->name << " " << to_string(out));
            std::vector<float> one;
            for (int threads : {1, 2, 3}) {
                std::vector<float> dx(rows * cols, -1.0f);
                BackwardArgs a;
                a.y = y.data(), a.dy = dy.data(), a.dx = dx.data();
                a.rows = rows, a.cols = cols, a.ld_y = ld, a.ld_dy = ld, a.ld_dx = cols;
                a.output = out, a.threads = threads;
                backward_batch(*v, a);
                if (threads == 1) {
                    one = dx;
                    for (std::size_t r = 0; r < rows; ++r) {
                        std::vector<float> want(cols);
                        v->backward(y.data() + r * ld, dy.data() + r * ld, want.data(), cols, RowParams{out, false});
                        CHECK(std::equal(want.begin(), want.end(), dx.begin() + std::ptrdiff_t(r * cols)));
                    }
                } else {
                    CHECK(dx == one);
                }
            }
        }
    }
}

TEST_CASE("backward_batch: one long row split across 2 and 3 threads, within bound, in place") {
    // 1 x 262144 (an issue shape) and an odd length past the split threshold: the row is cut in
    // slices (layout::split_slice), each slice's sum in its thread, the sums added in slice
    // order; the result is within the documented bound, and the same for in place over dy.
    for (std::size_t n : {std::size_t(262144), std::size_t(40009)})
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const std::vector<float> x = ref::make_row("normal_5", n, 31 + n);
            const std::vector<float> y = ref::reference_row(x, out).rounded;
            const std::vector<float> dy = make_dy("normal", y, out, 41 + n);
            const ref::BackwardReference r = ref::backward_reference(y, dy, out);
            for (const Variant* v : backward_variants()) {
                for (int threads : {2, 3}) {
                    INFO(v->name << " " << to_string(out) << " n=" << n << " threads=" << threads);
                    std::vector<float> dx(n, -1.0f), dyc = dy;
                    BackwardArgs a;
                    a.y = y.data(), a.dy = dy.data(), a.dx = dx.data();
                    a.rows = 1, a.cols = n, a.output = out, a.threads = threads;
                    backward_batch(*v, a);
                    const ref::BackwardScore sc = ref::score_backward(dx, r);
                    CHECK(sc.special_mismatches == 0);
                    CHECK(sc.excess_k <= bound_k(*v, out));
                    a.dy = dyc.data(), a.dx = dyc.data();  // in place over dy
                    backward_batch(*v, a);
                    CHECK(dyc == dx);
                    // The row was split: its bits are those of the slices' sums added in slice
                    // order and each slice written with that sum (BackwardSplit).
                    const BackwardSplit* sp = detail::backward_split_of(*v);
                    REQUIRE(sp != nullptr);
                    double sum = 0;
                    for (int k = 0; k < threads; ++k) {
                        const auto [b, e] = layout::split_slice(n, threads, k);
                        sum += sp->reduce(y.data() + b, dy.data() + b, e - b, RowParams{out, false});
                    }
                    std::vector<float> want(n);
                    for (int k = 0; k < threads; ++k) {
                        const auto [b, e] = layout::split_slice(n, threads, k);
                        sp->write(y.data() + b, dy.data() + b, want.data() + b, e - b, RowParams{out, false}, sum);
                    }
                    CHECK(dx == want);
                }
            }
        }
    // The row is really cut: on a row whose double sum depends on its order (dy = 1, but +2^70
    // at the second slice's first entry and -2^70 at the row's last: in one pass the 1s of the
    // first half are absorbed by 2^54 and cancel away with it; cut in two, the first slice's sum
    // keeps them), the 2-thread result differs from the row function's. And when the partial
    // sums add exactly (dy = 0 but one entry) split and unsplit agree to the last bit.
    const std::size_t n = 65536;
    std::vector<float> y(n, 1.0f / float(n)), dy(n, 1.0f), dy1(n, 0.0f);
    dy[n / 2] = 0x1p70f;  // the first entry of the second slice (2 threads)
    dy[n - 1] = -0x1p70f;
    dy1[40000] = 3.0f;
    for (const Variant* v : backward_variants())
        for (Output out : {Output::softmax, Output::log_softmax}) {
            INFO(v->name << " " << to_string(out));
            BackwardArgs a;
            std::vector<float> dx(n);
            a.y = y.data(), a.dy = dy.data(), a.dx = dx.data();
            a.rows = 1, a.cols = n, a.output = out, a.threads = 2;
            backward_batch(*v, a);
            CHECK(dx != run_row(*v, y, dy, out));
            a.dy = dy1.data(), a.threads = 3;
            backward_batch(*v, a);
            CHECK(dx == run_row(*v, y, dy1, out));
        }
}

TEST_CASE("backward_batch refuses bad arguments with a message") {
    const Variant* v = find_variant("backward.scalar.accurate");
    REQUIRE(v != nullptr);
    REQUIRE(v->op == Op::backward);
    std::vector<float> y(8, 0.125f), dy(8, 1.0f), dx(8);
    BackwardArgs a;
    a.y = y.data(), a.dy = dy.data(), a.dx = dx.data(), a.rows = 2, a.cols = 4;
    CHECK_NOTHROW(backward_batch(*v, a));
    CHECK_THROWS_WITH(backward_batch(all_variants().front(), a), Catch::Contains("not the softmax / log_softmax backward"));
    BackwardArgs b = a;
    b.threads = 0;
    CHECK_THROWS_WITH(backward_batch(*v, b), Catch::Contains("threads"));
    b = a;
    b.ld_dy = 3;
    CHECK_THROWS_WITH(backward_batch(*v, b), Catch::Contains("stride"));
    b = a;
    b.dx = dy.data() + 1;  // overlaps dy, not the same rows
    CHECK_THROWS_WITH(backward_batch(*v, b), Catch::Contains("overlap"));
    b = a;
    b.dx = dy.data();  // in place over dy: fine
    CHECK_NOTHROW(backward_batch(*v, b));
    b = a;
    b.y = nullptr;
    CHECK_THROWS_WITH(backward_batch(*v, b), Catch::Contains("null"));
    // cols alone past SIZE_MAX / sizeof(float), one row or two with the default stride: the
    // extent's bound SIZE_MAX / 4 - cols must not wrap around (it did: the call then ran).
    for (std::size_t rows : {1u, 2u}) {
        b = a;
        b.rows = rows, b.cols = SIZE_MAX / sizeof(float) + 1;
        INFO(rows << " rows of SIZE_MAX / 4 + 1");
        CHECK_THROWS_WITH(backward_batch(*v, b), Catch::Contains("shape overflows size_t"));
    }
    // A forward variant's batch call refuses a backward variant.
    BatchArgs f;
    f.x = y.data(), f.y = dx.data(), f.rows = 1, f.cols = 8;
    CHECK_THROWS_WITH(softmax_batch(*v, f), Catch::Contains("backward"));
}

TEST_CASE("the guide's explicit Jacobian: its values, J v equal to the backward within bound, and the cap") {
    // y = softmax([2.0, 1.0, 0.1]) (the guide's example logits), J = diag(y) - y y^T.
    const std::vector<float> x = {2.0f, 1.0f, 0.1f};
    const std::vector<float> y = ref::reference_row(x, Output::softmax).rounded;
    std::vector<float> J(9);
    softmax_jacobian(y.data(), 3, J.data());
    const double want[9] = {0.224719, -0.159764, -0.064955, -0.159764, 0.183659, -0.023896, -0.064955, -0.023896, 0.088851};
    for (std::size_t k = 0; k < 9; ++k) {
        INFO("J[" << k / 3 << "][" << k % 3 << "] = " << J[k]);
        CHECK(std::fabs(J[k] - want[k]) <= 6e-7);
    }
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(J[i * 3 + j] == J[j * 3 + i]);  // symmetric
    // The gradient of -log y_0 with respect to y is (-1/y_0, 0, 0); through J it is y - onehot.
    const std::vector<float> dy = {-1.0f / y[0], 0.0f, 0.0f};
    std::vector<float> dx(3);
    jacobian_vjp(J.data(), dy.data(), 3, dx.data());
    CHECK(std::fabs(dx[0] - (y[0] - 1.0f)) <= 1e-6f);
    CHECK(std::fabs(dx[1] - y[1]) <= 1e-6f);
    CHECK(std::fabs(dx[2] - y[2]) <= 1e-6f);

    // J v against the MPFR reference and against every backward variant, rows up to 1000:
    // J's entries are rounded once (u |J_ij|; sum_j |J_ij v_j| <= sigma_i for y in [0, 1]), the
    // products exact in double, the sum in double (n 2^-53), dx rounded once: k_J = 2 + n 2^-29,
    // eta as the backward's plus 2^-150 sum_j |v_j| (J's own subnormal entries).
    for (std::size_t n : {1u, 2u, 7u, 16u, 33u, 257u, 1000u}) {
        for (const char* dist : {"normal_1", "dominant", "normal_20"}) {
            const std::vector<float> xs = ref::make_row(dist, n, 31);
            const std::vector<float> ys = ref::reference_row(xs, Output::softmax).rounded;
            const std::vector<float> v = make_dy("normal", ys, Output::softmax, 32);
            std::vector<float> Jn(n * n), jv(n);
            softmax_jacobian(ys.data(), n, Jn.data());
            jacobian_vjp(Jn.data(), v.data(), n, jv.data());
            ref::BackwardReference r = ref::backward_reference(ys, v, Output::softmax);
            double abs_v = 0;
            for (float t : v) abs_v += std::fabs(double(t));
            for (double& e : r.eta) e += 0x1p-150 * abs_v;
            const double kJ = 2.0 + double(n) * 0x1p-29;
            INFO(dist << " n=" << n);
            CHECK(ref::score_backward(jv, r).excess_k <= kJ);
            for (const Variant* bv : backward_variants()) {
                const std::vector<float> dx2 = run_row(*bv, ys, v, Output::softmax);
                INFO(bv->name);
                for (std::size_t i = 0; i < n; ++i)
                    CHECK(std::fabs(double(jv[i]) - double(dx2[i])) <=
                          (kJ + bv->max_ulp) * 0x1p-24 * r.sigma[i] + 2 * r.eta[i]);
            }
        }
    }
    std::vector<float> big(kJacobianMaxN + 1, 0.0f), one(1);
    CHECK_THROWS_WITH(softmax_jacobian(big.data(), big.size(), one.data()), Catch::Contains("cap"));
}
