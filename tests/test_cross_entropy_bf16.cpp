// Cross-entropy on bf16 logits (op cross_entropy, dtypes bf16 = bf16 gradient and bf16_f32 =
// float32 gradient; variants/list.inc): the registry's rows, every variant against the MPFR
// reference of its bf16 logits on every distribution and size (loss in float ULP, gradient in
// bf16 ULP plus the float pipeline's term), the accurate tier's correctly rounded fraction, the
// dominant-target rows, special values (bf16 NaN, +-inf), tails against guard pages (2-byte
// elements), in place, and the batch call (ignore_index, reductions, threads, refusals).

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "bf16_bits.hpp"
#include "guard_page.hpp"
#include "reference/cross_entropy.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/cross_entropy.hpp"
#include "softmaxbench/softmax.hpp"

using namespace smb;

namespace {

using smb::test::Bits;
using smb::test::to_bf16;
using smb::test::widen;

std::vector<const Variant*> ce_bf16_variants() {
    std::vector<const Variant*> vs;
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
        for (const Variant& v : all_variants(Op::cross_entropy, d))
            if (available(v)) vs.push_back(&v);
    return vs;
}

// Correctly rounded bf16 gradients of the accurate tier (dtype bf16): outputs and hits.
struct Rounding {
    std::size_t outputs = 0, correct = 0;
};

void check_all(const std::vector<const Variant*>& vs, const Bits& x, std::size_t t, float eps, float scale,
               const std::string& label, bool in_place = false, std::map<std::string, Rounding>* rounding = nullptr) {
    const ref::CrossEntropyReference r = ref::cross_entropy_reference(widen(x), t, eps, scale);
    for (const Variant* v : vs) {
        if (in_place && v->dtype != Dtype::bf16) continue;
        const ref::CrossEntropyCheck c = ref::check_cross_entropy_bf16(*v, x, t, eps, scale, r, in_place);
        if (!c.failure.empty()) FAIL_CHECK(std::string(v->name) + " on " + label + ": " + c.failure);
        else SUCCEED();
        if (rounding && v->dtype == Dtype::bf16 && v->tier == Tier::accurate) {
            (*rounding)[std::string(v->name)].outputs += c.grad_outputs;
            (*rounding)[std::string(v->name)].correct += c.grad_correct;
        }
    }
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

}  // namespace

TEST_CASE("cross_entropy bf16: the registry's rows, names and row functions") {
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32}) {
        const auto vs = all_variants(Op::cross_entropy, d);
        REQUIRE_FALSE(vs.empty());
        std::string suffix(".");
        suffix += to_string(d);
        for (const Variant& v : vs) {
            INFO(v.name);
            CHECK(v.dtype == d);
            CHECK(v.op == Op::cross_entropy);
            CHECK(v.name.substr(v.name.size() - suffix.size()) == suffix);
            CHECK(v.name == variant_name(v.algorithm, v.isa, v.exp_kernel, v.tier, v.dtype));
            CHECK(find_variant(v.name) == &v);
            CHECK(v.row == nullptr);
            CHECK(v.cross_entropy == nullptr);
            CHECK((v.cross_entropy_bf16 != nullptr) == (d == Dtype::bf16));
            CHECK((v.cross_entropy_bf16_f32 != nullptr) == (d == Dtype::bf16_f32));
            // One long row is cut across threads for the fused SIMD forms (detail::cross_entropy_split_of).
            CHECK(v.split_form == (v.isa == Isa::scalar ? SplitForm::none : SplitForm::one_pass));
            // The loss is a float: the f32 tiers' loss bounds.
            if (v.tier == Tier::accurate) CHECK(v.max_ulp <= kAccurateMaxUlp);
            else CHECK(v.max_ulp > kAccurateMaxUlp);
        }
    }
    // Every ISA has the fused form on bf16 logits, both gradients, both tiers (scalar: accurate).
    for (Isa i : all_isas())
        for (const char* suffix : {".poly6.bf16", ".poly6.bf16_f32", ".accurate.bf16", ".accurate.bf16_f32"}) {
            std::string name("ce_fused.");
            name += to_string(i);
            name += suffix;
            if (i == Isa::scalar && std::string_view(suffix).find("accurate") == std::string_view::npos) continue;
            INFO(name);
            CHECK(find_variant(name) != nullptr);
        }
    // The f32 slice of cross_entropy is what it was.
    for (const Variant& v : all_variants(Op::cross_entropy)) CHECK(v.dtype == Dtype::f32);
}

TEST_CASE("cross_entropy bf16: double_to_bf16 rounds once") {
    CHECK(double_to_bf16(1.0) == 0x3F80);
    CHECK(double_to_bf16(-2.0) == 0xC000);
    // 1 + 2^-8 + 2^-30: float rounds it to the bf16 midpoint 1 + 2^-8, which RNE would take to
    // the even 1.0; the double lies above the midpoint, so the correct bf16 is 1 + 2^-7.
    CHECK(float_to_bf16(float(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30))) == 0x3F80);
    CHECK(double_to_bf16(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30)) == 0x3F81);
    CHECK(double_to_bf16(-(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30))) == 0xBF81);
    CHECK(double_to_bf16(1.0 + std::ldexp(1.0, -8)) == 0x3F80);  // an exact tie: even
    CHECK(double_to_bf16(1.0 + std::ldexp(1.0, -8) - std::ldexp(1.0, -30)) == 0x3F80);
    CHECK(double_to_bf16(std::numeric_limits<double>::infinity()) == 0x7F80);
    CHECK(std::isnan(bf16_to_float(double_to_bf16(std::numeric_limits<double>::quiet_NaN()))));
    CHECK(double_to_bf16(1e-300) == 0x0000);
}

TEST_CASE("cross_entropy bf16: every variant within its bounds on every distribution and size") {
    const auto vs = ce_bf16_variants();
    REQUIRE(vs.size() >= 4);
    std::map<std::string, Rounding> rounding;
    std::vector<std::size_t> sizes;
    for (std::size_t n = 1; n <= 65; ++n) sizes.push_back(n);
    sizes.push_back(1000);
    sizes.push_back(4099);
    sizes.push_back(5000);  // past the max-first length: the online pass
    std::uint64_t seed = 11;
    for (const ref::Distribution& d : ref::distributions())
        for (std::size_t n : sizes) {
            const Bits x = to_bf16(ref::make_row(d.name, n, seed++));
            const std::vector<float> xf = widen(x);
            const std::size_t ts[] = {argmax(xf), std::size_t(seed * 2654435761u % n), argmin(xf)};
            for (int k = 0; k < 3; ++k) {
                const float eps = k == 1 ? 0.1f : 0.0f;
                const float scale = k == 2 ? float(1.0 / 3.0) : 1.0f;
                check_all(vs, x, ts[k], eps, scale,
                          std::string(d.name) + " n=" + std::to_string(n) + " t=" + std::to_string(ts[k]) +
                              " eps=" + std::to_string(eps),
                          false, &rounding);
            }
        }
    // The accurate tier's bf16 gradient is the double result rounded once: correctly rounded
    // except within 2^-44 (p + q) of a midpoint.
    REQUIRE_FALSE(rounding.empty());
    for (const auto& [name, r] : rounding) {
        INFO(name << ": " << r.correct << " of " << r.outputs << " correctly rounded");
        CHECK(r.outputs > 10000);
        CHECK(double(r.correct) >= 0.9999 * double(r.outputs));
        // On these rows every one is (measured); rounding the double to float and then to bf16,
        // a double rounding, missed 2 of 322177 here: the round to odd in between is what
        // makes the single rounding.
        CHECK(r.correct == r.outputs);
    }
}

TEST_CASE("cross_entropy bf16: the same loss as the f32 kernel on the widened logits") {
    // bf16 logits are exact in float: the loss is the f32 variant's, bit for bit, and the float32
    // gradient too (the same kernel reading through the bf16 load).
    for (const Variant& v : all_variants(Op::cross_entropy, Dtype::bf16_f32)) {
        if (!available(v)) continue;
        // Its f32 twin: the same name without ".bf16_f32" (avx512bf16's kernels are avx512's).
        std::string f32_name("ce_fused.");
        f32_name += v.isa == Isa::avx512bf16 ? std::string_view("avx512") : to_string(v.isa);
        const std::string_view rest = v.name.substr(9 + to_string(v.isa).size());
        f32_name += rest.substr(0, rest.size() - 9);
        const Variant* f = find_variant(f32_name);
        INFO(v.name << " vs " << f32_name);
        REQUIRE(f != nullptr);
        for (std::size_t n : {1u, 17u, 300u, 5000u}) {
            const Bits x = to_bf16(ref::make_row("normal_5", n, 7 + n));
            const std::vector<float> xf = widen(x);
            CrossEntropyRowParams p;
            p.label_smoothing = 0.05f;
            std::vector<float> g(n), gf(n);
            const double l = v.cross_entropy_bf16_f32(x.data(), n / 2, g.data(), n, p);
            const double lf = f->cross_entropy(xf.data(), n / 2, gf.data(), n, p);
            CHECK(l == lf);
            CHECK(std::memcmp(g.data(), gf.data(), n * 4) == 0);
        }
    }
}

TEST_CASE("cross_entropy bf16: the dominant target (p_t > 1 - 2^-30), where a float pipeline's loss is 0") {
    const auto vs = ce_bf16_variants();
    for (std::size_t n : {2u, 3u, 17u, 1000u, 5000u})
        for (int e2 : {20, 31, 40, 60}) {
            const double L = (e2 * std::log(2.0)) + std::log(double(n - 1));
            std::vector<float> xf(n);
            for (std::size_t j = 0; j < n; ++j) xf[j] = float(-L + 0.25 * std::sin(double(j)));
            const std::size_t t = n / 2;
            xf[t] = 0.0f;
            const Bits x = to_bf16(xf);
            for (float eps : {0.0f, 0.05f})
                check_all(vs, x, t, eps, 1.0f, "dominant n=" + std::to_string(n) + " rest~2^-" + std::to_string(e2));
            if (e2 >= 31)
                for (const Variant* v : vs) {
                    if (v->tier != Tier::accurate) continue;
                    INFO(v->name);
                    CrossEntropyRowParams p;
                    double l = 0;
                    float gt = 0;
                    if (v->dtype == Dtype::bf16) {
                        Bits g(n);
                        l = v->cross_entropy_bf16(x.data(), t, g.data(), n, p);
                        gt = bf16_to_float(g[t]);
                    } else {
                        std::vector<float> g(n);
                        l = v->cross_entropy_bf16_f32(x.data(), t, g.data(), n, p);
                        gt = g[t];
                    }
                    CHECK(l > 0);   // log1p(rest), not 0
                    CHECK(gt < 0);  // -rest / (1 + rest), not 1 - 1
                }
        }
}

TEST_CASE("cross_entropy bf16: in place over the logits, and special values") {
    const auto vs = ce_bf16_variants();
    for (std::size_t n : {1u, 7u, 64u, 1000u, 5000u}) {
        const Bits x = to_bf16(ref::make_row("normal_5", n, 77 + n));
        check_all(vs, x, n / 3, 0.1f, 0.5f, "in place n=" + std::to_string(n), true);
    }
    constexpr std::uint16_t kNaN = 0x7FC0, kPinf = 0x7F80, kNinf = 0xFF80, kOne = 0x3F80, kThree = 0x4040;
    const std::vector<std::pair<Bits, std::size_t>> rows = {
        {{kOne, kNaN, kThree, 0}, 0},      // NaN: NaN loss and gradient
        {{kOne, 0x4000, kPinf, 0}, 1},     // +inf: NaN
        {{kNinf, kNinf, kNinf}, 1},        // all -inf: NaN
        {{kOne, kNinf, kThree, 0}, 1},     // target at -inf: loss +inf
        {{kOne, kNinf, kThree, 0, 0x4020}, 2},  // -inf elsewhere: p = 0 there
        {{kNinf, 0x4080, kNinf}, 1},       // the only finite entry: loss 0
        {{0x4000}, 0},                     // n = 1
    };
    for (const auto& [x, t] : rows)
        for (float eps : {0.0f, 0.2f}) check_all(vs, x, t, eps, 1.0f, "special row, eps " + std::to_string(eps));
    for (std::size_t n : {70u, 5000u}) {
        const Bits base = to_bf16(ref::make_row("normal_5", n, 99 + n));
        for (std::uint16_t special : {kNaN, kPinf, kNinf})
            for (std::size_t pos : {std::size_t(0), n / 2, n - 1})
                for (std::size_t t : {pos, (pos + 1) % n}) {
                    Bits x = base;
                    x[pos] = special;
                    check_all(vs, x, t, 0.0f, 1.0f, "special " + std::to_string(special) + " at " + std::to_string(pos) +
                                                        " of " + std::to_string(n) + ", target " + std::to_string(t));
                }
    }
}

// Tails against a guard page: the row's last element is the last of a readable page (x) or a
// writable one (the gradient), the next page is PROT_NONE, so a load or store past the end
// faults. The results must equal those computed in an ordinary buffer.
using Guarded = smb::test::GuardPage;

TEST_CASE("cross_entropy bf16: tails read and write nothing past the row (guard pages, 2-byte elements)") {
    std::vector<std::size_t> sizes;
    for (std::size_t n = 1; n <= 80; ++n) sizes.push_back(n);
    for (std::size_t n : {127u, 255u, 1000u, 4097u, 5003u}) sizes.push_back(n);
    Guarded gx(5003 * 2), gg(5003 * 4);
    std::size_t runs = 0;
    for (const Variant* v : ce_bf16_variants())
        for (std::size_t n : sizes) {
            INFO(v->name << " n=" << n);
            const Bits base = to_bf16(ref::make_row("normal_1", n, 3 + n));
            std::uint16_t* x = gx.last<std::uint16_t>(n);
            std::memcpy(x, base.data(), n * 2);
            CrossEntropyRowParams p;
            p.label_smoothing = 0.1f;
            const std::size_t t = n - 1;  // the target in the tail
            if (v->dtype == Dtype::bf16) {
                Bits want(n);
                const double lw = v->cross_entropy_bf16(base.data(), t, want.data(), n, p);
                std::uint16_t* g = gg.last<std::uint16_t>(n);
                CHECK(v->cross_entropy_bf16(x, t, g, n, p) == lw);
                CHECK(std::memcmp(g, want.data(), n * 2) == 0);
                CHECK(v->cross_entropy_bf16(x, t, nullptr, n, p) == lw);
                CHECK(v->cross_entropy_bf16(x, t, x, n, p) == lw);  // in place, at the guard
                CHECK(std::memcmp(x, want.data(), n * 2) == 0);
            } else {
                std::vector<float> want(n);
                const double lw = v->cross_entropy_bf16_f32(base.data(), t, want.data(), n, p);
                float* g = gg.last<float>(n);
                CHECK(v->cross_entropy_bf16_f32(x, t, g, n, p) == lw);
                CHECK(std::memcmp(g, want.data(), n * 4) == 0);
            }
            ++runs;
        }
    CHECK(runs > 100);
}

// ---- the batch call ---------------------------------------------------------------------------

TEST_CASE("cross_entropy_batch bf16: reductions, ignore_index, int32 targets, threads, in place") {
    const std::size_t rows = 9, cols = 300;
    Bits x;
    std::vector<std::int64_t> t;
    for (std::size_t r = 0; r < rows; ++r) {
        const Bits row = to_bf16(ref::make_row("normal_5", cols, 5 + r));
        x.insert(x.end(), row.begin(), row.end());
        t.push_back(std::int64_t((5 * 31 + r * 7) % cols));
    }
    t[3] = -100;
    t[7] = -100;
    for (const Variant* v : ce_bf16_variants()) {
        INFO(v->name);
        const bool b16 = v->dtype == Dtype::bf16;
        auto args = [&](float* loss, Reduction red) {
            CrossEntropyArgs a;
            a.x_bf16 = x.data();
            a.rows = rows;
            a.cols = cols;
            a.targets = t.data();
            a.loss = loss;
            a.reduction = red;
            return a;
        };
        auto row = [&](std::size_t r, float scale, Bits& g16, std::vector<float>& g32) {
            CrossEntropyRowParams p;
            p.grad_scale = scale;
            return b16 ? v->cross_entropy_bf16(x.data() + r * cols, std::size_t(t[r]), g16.data(), cols, p)
                       : v->cross_entropy_bf16_f32(x.data() + r * cols, std::size_t(t[r]), g32.data(), cols, p);
        };
        std::vector<float> none(rows), g32(x.size(), 7.0f), m32(x.size(), 7.0f);
        Bits g16(x.size(), 0x1234), m16(x.size(), 0x1234);
        CrossEntropyArgs a = args(none.data(), Reduction::none);
        if (b16) a.grad_bf16 = g16.data();
        else a.grad = g32.data();
        cross_entropy_batch(*v, a);
        double sum = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            if (t[r] == -100) {
                CHECK(none[r] == 0.0f);
                for (std::size_t j = 0; j < cols; ++j) CHECK((b16 ? bf16_to_float(g16[r * cols + j]) : g32[r * cols + j]) == 0.0f);
                continue;
            }
            Bits r16(cols);
            std::vector<float> r32(cols);
            const double l = row(r, 1.0f, r16, r32);
            CHECK(none[r] == float(l));
            if (b16) CHECK(std::memcmp(r16.data(), g16.data() + r * cols, cols * 2) == 0);
            else CHECK(std::memcmp(r32.data(), g32.data() + r * cols, cols * 4) == 0);
            sum += l;
        }
        float s = 0;
        cross_entropy_batch(*v, args(&s, Reduction::sum));
        CHECK(s == float(sum));
        // mean over the 7 rows counted, 3 threads, int32 targets: the same bits as row by row.
        float m = 0;
        std::vector<std::int32_t> t32(t.begin(), t.end());
        a = args(&m, Reduction::mean);
        a.targets = t32.data();
        a.target_type = TargetType::i32;
        a.threads = 3;
        if (b16) a.grad_bf16 = m16.data();
        else a.grad = m32.data();
        cross_entropy_batch(*v, a);
        CHECK(m == float(sum / 7));
        Bits r16(cols);
        std::vector<float> r32(cols);
        row(8, float(1.0 / 7.0), r16, r32);
        if (b16) CHECK(std::memcmp(r16.data(), m16.data() + 8 * cols, cols * 2) == 0);
        else CHECK(std::memcmp(r32.data(), m32.data() + 8 * cols, cols * 4) == 0);
        if (b16) {  // in place over the logits
            Bits c = x;
            float mi = 0;
            a = args(&mi, Reduction::mean);
            a.x_bf16 = c.data();
            a.grad_bf16 = c.data();
            cross_entropy_batch(*v, a);
            CHECK(mi == m);
            CHECK(std::memcmp(c.data(), m16.data(), c.size() * 2) == 0);
        }
    }
}

TEST_CASE("cross_entropy_batch bf16: one long row split across 2 and 3 threads, within bounds, in place") {
    for (std::size_t n : {std::size_t(262144), std::size_t(40009)}) {
        const Bits x = to_bf16(ref::make_row("normal_5", n, 66 + n));
        const std::size_t t = n / 3;
        const std::int64_t t64 = std::int64_t(t);
        for (float eps : {0.0f, 0.1f}) {
            const ref::CrossEntropyReference r = ref::cross_entropy_reference(widen(x), t, eps, 1.0);
            for (const Variant* v : ce_bf16_variants())
                for (int threads : {2, 3}) {
                    INFO(v->name << " n=" << n << " eps=" << eps << " threads=" << threads);
                    const bool b16 = v->dtype == Dtype::bf16;
                    float loss = 0, lo = 0;
                    Bits g16(b16 ? n : 0);
                    std::vector<float> g32(b16 ? 0 : n);
                    CrossEntropyArgs a;
                    a.x_bf16 = x.data(), a.rows = 1, a.cols = n, a.targets = &t64, a.loss = &loss;
                    a.reduction = Reduction::sum, a.label_smoothing = eps, a.threads = threads;
                    if (b16) a.grad_bf16 = g16.data();
                    else a.grad = g32.data();
                    cross_entropy_batch(*v, a);
                    std::vector<double> g(n);
                    for (std::size_t j = 0; j < n; ++j) g[j] = b16 ? double(bf16_to_float(g16[j])) : double(g32[j]);
                    CHECK(ref::check_cross_entropy_outputs(*v, t, eps, 1.0f, r, double(loss), g, b16 ? 8 : 24).failure == "");
                    a.grad = nullptr, a.grad_bf16 = nullptr, a.loss = &lo;  // the loss alone: the same
                    cross_entropy_batch(*v, a);
                    CHECK(lo == loss);
                    if (b16) {  // in place over the logits
                        Bits xc = x;
                        a.x_bf16 = xc.data(), a.grad_bf16 = xc.data(), a.loss = &lo;
                        cross_entropy_batch(*v, a);
                        CHECK(lo == loss);
                        CHECK(xc == g16);
                    }
                }
        }
    }
}

TEST_CASE("cross_entropy_batch bf16: the logits or gradient of another dtype are refused; nothing is written") {
    const Variant* b16 = find_variant("ce_fused.scalar.accurate.bf16");
    const Variant* b32 = find_variant("ce_fused.scalar.accurate.bf16_f32");
    const Variant* f32 = find_variant("ce_fused.scalar.accurate");
    REQUIRE(b16);
    REQUIRE(b32);
    REQUIRE(f32);
    Bits x = {0x3F80, 0x4000, 0x4040, 0x4080};
    std::vector<float> xf = widen(x), g32(4, 42.0f);
    Bits g16(4, 0x1234);
    std::int64_t t = 1;
    float loss = 42.0f;
    auto base = [&] {
        CrossEntropyArgs a;
        a.rows = 1;
        a.cols = 4;
        a.targets = &t;
        a.loss = &loss;
        a.reduction = Reduction::sum;
        return a;
    };
    CrossEntropyArgs a = base();
    a.x = xf.data();  // float logits to a bf16 variant
    CHECK_THROWS_WITH(cross_entropy_batch(*b16, a), Catch::Contains("bf16 logits"));
    a = base();
    a.x_bf16 = x.data();
    a.grad = g32.data();  // a float gradient to the bf16 -> bf16 variant
    CHECK_THROWS_WITH(cross_entropy_batch(*b16, a), Catch::Contains("bf16 gradient"));
    a = base();
    a.x_bf16 = x.data();
    a.grad_bf16 = g16.data();  // a bf16 gradient to the bf16 -> float32 variant
    CHECK_THROWS_WITH(cross_entropy_batch(*b32, a), Catch::Contains("float32 gradient"));
    a = base();
    a.x_bf16 = x.data();  // bf16 logits to the f32 variant
    CHECK_THROWS_WITH(cross_entropy_batch(*f32, a), Catch::Contains("float32 logits"));
    // A target out of range names the row, as with float logits.
    std::int64_t bad = 4;
    a = base();
    a.x_bf16 = x.data();
    a.grad_bf16 = g16.data();
    a.targets = &bad;
    CHECK_THROWS_WITH(cross_entropy_batch(*b16, a), Catch::Contains("row 0"));
    CHECK(loss == 42.0f);
    for (float g : g32) CHECK(g == 42.0f);
    for (std::uint16_t g : g16) CHECK(g == 0x1234);
    // And the right pointers work.
    a.targets = &t;
    cross_entropy_batch(*b16, a);
    CHECK(std::isfinite(loss));
    CHECK(g16[0] != 0x1234);
}
