// Cross-entropy with logits (op cross_entropy): every variant against the MPFR reference on
// every distribution, sizes 1..65 and a few thousand, targets at the argmax, elsewhere and at
// the minimum, with and without label smoothing, and the dominant-target rows (p_t > 1 - 2^-30)
// where a float pipeline returns a loss of 0; special values; the batch call (reductions,
// ignore_index, int32/int64 targets, threads, in place, errors).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "reference/cross_entropy.hpp"
#include "reference/distributions.hpp"
#include "layout.hpp"
#include "softmaxbench/cross_entropy.hpp"
#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"

using namespace smb;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<const Variant*> ce_variants() {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants(Op::cross_entropy))
        if (available(v)) vs.push_back(&v);
    return vs;
}

std::size_t argmax(const std::vector<float>& x) {
    std::size_t k = 0;
    for (std::size_t j = 1; j < x.size(); ++j)
        if (x[j] > x[k]) k = j;
    return k;
}
std::size_t argmin(const std::vector<float>& x) {
    std::size_t k = 0;
    for (std::size_t j = 1; j < x.size(); ++j)
        if (x[j] < x[k]) k = j;
    return k;
}

// Runs every variant on a row with the given target/eps/scale against one reference.
void check_all(const std::vector<const Variant*>& vs, const std::vector<float>& x, std::size_t t, float eps,
               float scale, const std::string& label, bool in_place = false) {
    const ref::CrossEntropyReference r = ref::cross_entropy_reference(x, t, eps, scale);
    for (const Variant* v : vs) {
        const std::string f = ref::check_cross_entropy(*v, x, t, eps, scale, r, in_place).failure;
        if (!f.empty()) FAIL_CHECK(std::string(v->name) + " on " + label + ": " + f);
        else SUCCEED();
    }
}

std::vector<std::size_t> sizes() {
    std::vector<std::size_t> s;
    for (std::size_t n = 1; n <= 65; ++n) s.push_back(n);
    s.push_back(1000);
    s.push_back(4099);
    return s;
}

}  // namespace

TEST_CASE("cross_entropy: every variant within its loss and gradient bounds on every distribution and size") {
    const auto vs = ce_variants();
    REQUIRE(vs.size() >= 3);
    std::uint64_t seed = 1;
    for (const ref::Distribution& d : ref::distributions())
        for (std::size_t n : sizes()) {
            const std::vector<float> x = ref::make_row(d.name, n, seed++);
            const std::size_t ts[] = {argmax(x), std::size_t(seed * 2654435761u % n), argmin(x)};
            for (int k = 0; k < 3; ++k) {
                const float eps = k == 1 ? 0.1f : 0.0f;
                const float scale = k == 2 ? float(1.0 / 3.0) : 1.0f;
                check_all(vs, x, ts[k], eps, scale,
                          std::string(d.name) + " n=" + std::to_string(n) + " t=" + std::to_string(ts[k]) +
                              " eps=" + std::to_string(eps));
            }
        }
}

TEST_CASE("cross_entropy: the dominant target (p_t > 1 - 2^-30), where a float pipeline's loss is 0") {
    const auto vs = ce_variants();
    for (std::size_t n : {2u, 3u, 17u, 1000u, 4099u})
        for (int e2 : {20, 31, 40, 60}) {
            // x_t = 0, the rest at -L with (n - 1) e^-L = 2^-e2, jittered: rest ~ 2^-e2.
            const double L = (e2 * std::log(2.0)) + std::log(double(n - 1));
            std::vector<float> x(n);
            for (std::size_t j = 0; j < n; ++j) x[j] = float(-L + 0.25 * std::sin(double(j)));
            const std::size_t t = n / 2;
            x[t] = 0.0f;
            for (float eps : {0.0f, 0.05f})
                check_all(vs, x, t, eps, 1.0f, "dominant n=" + std::to_string(n) + " rest~2^-" + std::to_string(e2));
            if (e2 >= 31) {
                // The accurate fused form keeps the loss (~2^-e2) and -rest/(1+rest) at the target.
                CrossEntropyRowParams p;
                std::vector<float> g(n);
                const double l = find_variant("ce_fused.scalar.accurate")->cross_entropy(x.data(), t, g.data(), n, p);
                CHECK(l > 0);
                CHECK(g[t] < 0);
                // The guide's softmax -> log rounds p_t to 1: its loss is 0.
                const double l2 = find_variant("ce_softmax_log.scalar")->cross_entropy(x.data(), t, nullptr, n, p);
                CHECK(l2 == 0);
            }
        }
}

TEST_CASE("cross_entropy: in place over the logits gives the same gradient") {
    const auto vs = ce_variants();
    for (std::size_t n : {1u, 7u, 64u, 1000u}) {
        const std::vector<float> x = ref::make_row("normal_5", n, 77 + n);
        check_all(vs, x, n / 3, 0.1f, 0.5f, "in place n=" + std::to_string(n), true);
    }
}

TEST_CASE("cross_entropy: special values follow the forward policy") {
    const auto vs = ce_variants();
    const std::vector<std::pair<std::vector<float>, std::size_t>> rows = {
        {{1, kNaN, 3, 0}, 0},          // NaN: NaN loss and gradient
        {{1, 2, kInf, 0}, 1},          // +inf: NaN
        {{-kInf, -kInf, -kInf}, 1},    // all -inf: NaN
        {{1, -kInf, 3, 0}, 1},         // target at -inf: loss +inf, finite gradient
        {{1, -kInf, 3, 0, 2.5f}, 2},   // -inf elsewhere: p = 0 there
        {{-kInf, 4, -kInf}, 1},        // the only finite entry: loss 0
        {{2.0f}, 0},                   // n = 1: loss 0, gradient 0
    };
    for (const auto& [x, t] : rows)
        for (float eps : {0.0f, 0.2f}) check_all(vs, x, t, eps, 1.0f, "special row, eps " + std::to_string(eps));
    // The same policies on rows past the max-first length (the online pass), at both ends and
    // in the middle, with the target elsewhere and on the special entry.
    for (std::size_t n : {70u, 5000u}) {
        const std::vector<float> base = ref::make_row("normal_5", n, 99 + n);
        for (float special : {kNaN, kInf, -kInf})
            for (std::size_t pos : {std::size_t(0), n / 2, n - 1})
                for (std::size_t t : {pos, (pos + 1) % n}) {
                    std::vector<float> x = base;
                    x[pos] = special;
                    check_all(vs, x, t, 0.0f, 1.0f, "special " + std::to_string(special) + " at " + std::to_string(pos) +
                                                        " of " + std::to_string(n) + ", target " + std::to_string(t));
                }
        std::vector<float> all(n, -kInf);
        check_all(vs, all, n / 3, 0.0f, 1.0f, "all -inf, n " + std::to_string(n));
        all[n - 1] = 1.0f;
        check_all(vs, all, n - 1, 0.1f, 1.0f, "one finite entry, n " + std::to_string(n));
    }
    // Spelled out once for the fused scalar form.
    CrossEntropyRowParams p;
    std::vector<float> g(4);
    const Variant& f = *find_variant("ce_fused.scalar.accurate");
    CHECK(std::isnan(f.cross_entropy(rows[0].first.data(), 0, g.data(), 4, p)));
    CHECK(std::isnan(g[2]));
    CHECK(f.cross_entropy(rows[3].first.data(), 1, g.data(), 4, p) == std::numeric_limits<double>::infinity());
    CHECK(g[1] == -1.0f);
}

TEST_CASE("the MPFR reference: a two-class cross-entropy worked by hand") {
    // x = [2, 1], target 0: loss = log(1 + e^-1) = 0.31326168751822286; p = [0.7310585786300049,
    // 0.2689414213699951]; grad = [p0 - 1, p1] (the README's example).
    const std::vector<float> x = {2.0f, 1.0f};
    const auto r = ref::cross_entropy_reference(x, 0, 0.0, 1.0);
    CHECK(r.loss == Approx(0.31326168751822286).epsilon(1e-15));
    CHECK(r.grad[0] == Approx(-0.2689414213699951).epsilon(1e-15));
    CHECK(r.grad[1] == Approx(0.2689414213699951).epsilon(1e-15));
    for (const Variant* v : ce_variants()) {
        INFO(v->name);
        std::vector<float> g(2);
        CHECK(float(v->cross_entropy(x.data(), 0, g.data(), 2, CrossEntropyRowParams{})) == Approx(0.3132617f).epsilon(1e-6));
        CHECK(g[0] == Approx(-0.2689414f).epsilon(1e-6));
    }
}

// ---- the batch call ---------------------------------------------------------------------------

TEST_CASE("cross_entropy_batch: one long row split across 2 and 3 threads, within bounds, in place") {
    // 1 x 262144 (an issue shape) and an odd length past the split threshold: each thread reduces
    // its slice, the slices are merged, each writes its slice of the gradient (the fused SIMD
    // forms; the others run the row function).
    for (std::size_t n : {std::size_t(262144), std::size_t(40009)}) {
        const std::vector<float> x = ref::make_row("normal_5", n, 55 + n);
        for (const std::size_t t : {argmax(x), n / 3})
            for (float eps : {0.0f, 0.1f}) {
                const ref::CrossEntropyReference r = ref::cross_entropy_reference(x, t, eps, 1.0);
                const std::int64_t t64 = std::int64_t(t);
                for (const Variant* v : ce_variants())
                    for (int threads : {2, 3}) {
                        INFO(v->name << " n=" << n << " t=" << t << " eps=" << eps << " threads=" << threads);
                        float loss = 0;
                        std::vector<float> g(n, 7.0f);
                        CrossEntropyArgs a;
                        a.x = x.data(), a.rows = 1, a.cols = n, a.targets = &t64, a.loss = &loss, a.grad = g.data();
                        a.reduction = Reduction::sum, a.label_smoothing = eps, a.threads = threads;
                        cross_entropy_batch(*v, a);
                        const ref::CrossEntropyCheck c = ref::check_cross_entropy_outputs(
                            *v, t, eps, 1.0f, r, double(loss), std::vector<double>(g.begin(), g.end()), 24);
                        CHECK(c.failure == "");
                        // In place over the logits, and the loss alone: the same results.
                        std::vector<float> xc = x;
                        float li = 0, lo = 0;
                        a.x = xc.data(), a.grad = xc.data(), a.loss = &li;
                        cross_entropy_batch(*v, a);
                        CHECK(li == loss);
                        CHECK(xc == g);
                        a.x = x.data(), a.grad = nullptr, a.loss = &lo;
                        cross_entropy_batch(*v, a);
                        CHECK(lo == loss);
                    }
            }
    }
    // On smooth rows the split's sums agree with the row's to the last float bit.
    // The row is really cut: rows built so that the fast AVX-512 kernel's float pair sums depend
    // on where a slice begins. Its exps are added in pairs of vectors (elements i and i + 16) in
    // blocks of 64 from the start of the slice; the second slice of an n = 128 k + 95 row on 2
    // threads starts at 64 k + 48, so there the pairs change. Per block of 64: offsets 0-15 and
    // 48-63 hold c with exp(c) just below 2^-24, 32-47 hold 0, 16-31 -inf. In one pass (c, -inf)
    // keeps exp(c) and (0, c) rounds to 1, losing one; from the slice's start the pairs are (c, c)
    // and (-inf, 0): nothing lost. The sums differ by ~2^-25 relative, so the gradient, through
    // float(1 / S), differs on some of these lengths; the split stays within its bounds.
    const Variant* f = find_variant("ce_fused.avx512.poly6");
    if (f && available(*f)) {
        std::size_t cut = 0;
        for (std::size_t k = 300; k < 308; ++k) {
            const std::size_t n = 128 * k + 95;
            REQUIRE(layout::split_slice(n, 2, 1).first % 64 == 48);
            std::vector<float> x(n);
            const float c = float(std::log(0.99) - 24 * std::log(2.0));
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t o = i % 64;
                x[i] = o < 16 || o >= 48 ? c : o < 32 ? -kInf : 0.0f;
            }
            const std::size_t t = 32;  // a 0: an argmax
            const std::int64_t t64 = std::int64_t(t);
            float loss = 0;
            std::vector<float> g(n), gr(n);
            CrossEntropyArgs a;
            a.x = x.data(), a.rows = 1, a.cols = n, a.targets = &t64, a.loss = &loss, a.grad = g.data();
            a.reduction = Reduction::sum, a.threads = 2;
            cross_entropy_batch(*f, a);
            f->cross_entropy(x.data(), t, gr.data(), n, CrossEntropyRowParams{});
            cut += g != gr;
            const ref::CrossEntropyReference r = ref::cross_entropy_reference(x, t, 0.0, 1.0);
            CHECK(ref::check_cross_entropy_outputs(*f, t, 0.0f, 1.0f, r, double(loss),
                                                   std::vector<double>(g.begin(), g.end()), 24)
                      .failure == "");
        }
        CHECK(cut > 0);
    }
}

namespace {

struct Batch {
    std::size_t rows, cols;
    std::vector<float> x;
    std::vector<std::int64_t> t;
};

Batch make_batch(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    Batch b{rows, cols, {}, {}};
    for (std::size_t r = 0; r < rows; ++r) {
        const auto row = ref::make_row("normal_5", cols, seed + r);
        b.x.insert(b.x.end(), row.begin(), row.end());
        b.t.push_back(std::int64_t((seed * 31 + r * 7) % cols));
    }
    return b;
}

CrossEntropyArgs args(const Batch& b, float* loss, float* grad, Reduction red) {
    CrossEntropyArgs a;
    a.x = b.x.data();
    a.rows = b.rows;
    a.cols = b.cols;
    a.targets = b.t.data();
    a.loss = loss;
    a.grad = grad;
    a.reduction = red;
    return a;
}

}  // namespace

TEST_CASE("cross_entropy_batch: reductions, ignore_index, int32 targets, threads, in place") {
    for (const Variant* v : ce_variants()) {
        INFO(v->name);
        Batch b = make_batch(9, 300, 5);
        b.t[3] = -100;  // ignored
        b.t[7] = -100;
        CrossEntropyRowParams p;
        std::vector<float> none(9), g1(b.x.size()), g2(b.x.size());
        cross_entropy_batch(*v, args(b, none.data(), g1.data(), Reduction::none));
        double sum = 0;
        for (std::size_t r = 0; r < 9; ++r) {
            if (b.t[r] == -100) {
                CHECK(none[r] == 0.0f);
                for (std::size_t j = 0; j < 300; ++j) CHECK(g1[r * 300 + j] == 0.0f);
                continue;
            }
            std::vector<float> g(300);
            const double l = v->cross_entropy(b.x.data() + r * 300, std::size_t(b.t[r]), g.data(), 300, p);
            CHECK(none[r] == float(l));
            CHECK(std::memcmp(g.data(), g1.data() + r * 300, sizeof(float) * 300) == 0);
            sum += l;
        }
        float s = 0, m = 0;
        cross_entropy_batch(*v, args(b, &s, nullptr, Reduction::sum));
        CHECK(s == float(sum));
        // mean: loss / 7 rows counted, gradient scaled by float(1/7); 3 threads: the same bits.
        CrossEntropyArgs a = args(b, &m, g2.data(), Reduction::mean);
        a.threads = 3;
        cross_entropy_batch(*v, a);
        CHECK(m == float(sum / 7));
        p.grad_scale = float(1.0 / 7.0);
        std::vector<float> g(300);
        v->cross_entropy(b.x.data(), std::size_t(b.t[0]), g.data(), 300, p);
        CHECK(std::memcmp(g.data(), g2.data(), sizeof(float) * 300) == 0);
        // int32 targets: the same result.
        std::vector<std::int32_t> t32(b.t.begin(), b.t.end());
        float m32 = 0;
        a = args(b, &m32, nullptr, Reduction::mean);
        a.targets = t32.data();
        a.target_type = TargetType::i32;
        cross_entropy_batch(*v, a);
        CHECK(m32 == m);
        // in place over the logits.
        Batch c = b;
        float mi = 0;
        a = args(c, &mi, c.x.data(), Reduction::mean);
        cross_entropy_batch(*v, a);
        CHECK(mi == m);
        CHECK(std::memcmp(c.x.data(), g2.data(), sizeof(float) * g2.size()) == 0);
    }
}

TEST_CASE("cross_entropy_batch: every row ignored with mean gives NaN and a zero gradient") {
    Batch b = make_batch(3, 5, 1);
    for (auto& t : b.t) t = 7;
    float m = 0;
    std::vector<float> g(15, 1.0f);
    CrossEntropyArgs a = args(b, &m, g.data(), Reduction::mean);
    a.ignore_index = 7;
    cross_entropy_batch(*find_variant("ce_fused.scalar.accurate"), a);
    CHECK(std::isnan(m));
    for (float v : g) CHECK(v == 0.0f);
    a.reduction = Reduction::sum;
    cross_entropy_batch(*find_variant("ce_fused.scalar.accurate"), a);
    CHECK(m == 0.0f);
}

TEST_CASE("cross_entropy_batch: a target out of range is an error naming the row; nothing is written") {
    Batch b = make_batch(4, 5, 1);
    b.t[2] = 5;
    std::vector<float> loss(4, 42.0f), g(20, 42.0f);
    const Variant& v = *find_variant("ce_fused.scalar.accurate");
    CHECK_THROWS_WITH(cross_entropy_batch(v, args(b, loss.data(), g.data(), Reduction::none)),
                      Catch::Contains("row 2") && Catch::Contains("target 5"));
    for (float f : loss) CHECK(f == 42.0f);
    for (float f : g) CHECK(f == 42.0f);
    b.t[2] = -1;
    CHECK_THROWS_WITH(cross_entropy_batch(v, args(b, loss.data(), g.data(), Reduction::none)), Catch::Contains("row 2"));
    // A forward variant is refused by name.
    CHECK_THROWS_WITH(cross_entropy_batch(*find_variant("online.scalar.accurate"), args(b, loss.data(), nullptr, Reduction::sum)),
                      Catch::Contains("online.scalar.accurate"));
}
