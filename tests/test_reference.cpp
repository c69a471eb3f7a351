// Tests of the MPFR reference (reference_row) and of the accuracy metrics (ulp_error,
// float_distance, measure). Expected values come from outside MPFR: hand-checked numbers,
// 30-digit decimal arithmetic (Python's decimal module, digits pasted below), and long double
// computations done here.
#include <catch2/catch.hpp>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "reference/scoring.hpp"
#include "softmaxbench/reference.hpp"

using smb::Output;
using smb::ref::float_distance;
using smb::ref::measure;
using smb::ref::reference_row;
using smb::ref::RowReference;
using smb::ref::exact_binade;
using smb::ref::ulp_error;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInfD = std::numeric_limits<double>::infinity();

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// Softmax in long double (64-bit significand), max-shifted.
std::vector<long double> ld_softmax(const std::vector<float>& x) {
    long double m = -INFINITY;
    for (float v : x) m = std::max(m, static_cast<long double>(v));
    std::vector<long double> e(x.size());
    long double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        e[i] = std::exp(static_cast<long double>(x[i]) - m);
        s += e[i];
    }
    for (auto& v : e) v /= s;
    return e;
}

// log_softmax in long double; log(s) as log1p(s - 1) with s - 1 summed directly, so the
// outputs near 0 keep their relative accuracy.
std::vector<long double> ld_log_softmax(const std::vector<float>& x) {
    std::size_t im = 0;
    for (std::size_t i = 1; i < x.size(); ++i)
        if (x[i] > x[im]) im = i;
    const long double m = x[im];
    long double s1 = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (i != im) s1 += std::exp(static_cast<long double>(x[i]) - m);
    const long double ls = std::log1p(s1);
    std::vector<long double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = (static_cast<long double>(x[i]) - m) - ls;
    return y;
}

// The float nearest to v, computed independently of the conversion under test: scale to
// units of the float quantum of v's binade and round to an integer (ties to even).
float round_to_float_by_quantum(long double v) {
    if (v == 0) return 0.0f;
    int e = 0;
    static_cast<void>(std::frexp(v, &e));
    const int q = std::max(e - 1, -126) - 23;
    const long double k = std::nearbyint(std::ldexp(v, -q));
    return static_cast<float>(std::ldexp(k, q));
}

void check_softmax_values(const std::vector<float>& x, const std::vector<double>& expected) {
    const RowReference r = reference_row(x, Output::softmax);
    REQUIRE(r.exact.size() == expected.size());
    REQUIRE(r.rounded.size() == expected.size());
    const std::vector<long double> ld = ld_softmax(x);
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("index " << i);
        CHECK(r.exact[i] == Approx(expected[i]).epsilon(1e-9));
        CHECK(r.exact[i] == Approx(static_cast<double>(ld[i])).epsilon(1e-15));
        CHECK(bits(r.rounded[i]) == bits(static_cast<float>(ld[i])));
        sum += r.exact[i];
    }
    CHECK(sum == Approx(1.0).epsilon(1e-15));
}

}  // namespace

// ---- worked examples ----------------------------------------------------------------------
// Expected digits: Python decimal module at 30 digits (exp of x_j - max, divided by the sum),
// with the float value of the inputs (0.1f = 0.100000001490116...).

TEST_CASE("softmax worked example [2, 1, 0.1]", "[reference][examples]") {
    check_softmax_values({2.0f, 1.0f, 0.1f}, {0.659001138789, 0.242432970669, 0.0985658905417});
    // The rounded figures quoted in the articles.
    const RowReference r = reference_row(std::vector<float>{2.0f, 1.0f, 0.1f}, Output::softmax);
    CHECK(r.exact[0] == Approx(0.659001).margin(5e-7));
    CHECK(r.exact[1] == Approx(0.242433).margin(5e-7));
    CHECK(r.exact[2] == Approx(0.098566).margin(5e-7));
}

TEST_CASE("softmax worked example [1000, 1001, 1002] needs no overflow", "[reference][examples]") {
    check_softmax_values({1000.0f, 1001.0f, 1002.0f},
                         {0.0900305731704, 0.244728471055, 0.665240955775});
    const RowReference r =
        reference_row(std::vector<float>{1000.0f, 1001.0f, 1002.0f}, Output::softmax);
    CHECK(r.exact[0] == Approx(0.0900306).margin(5e-8));
    CHECK(r.exact[1] == Approx(0.244728).margin(5e-7));
    CHECK(r.exact[2] == Approx(0.665241).margin(5e-7));
}

TEST_CASE("softmax worked example [1, 2, 3, 4]", "[reference][examples]") {
    check_softmax_values({1.0f, 2.0f, 3.0f, 4.0f},
                         {0.0320586032801, 0.087144318742, 0.23688281809, 0.643914259888});
    const RowReference r =
        reference_row(std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}, Output::softmax);
    CHECK(r.exact[0] == Approx(0.0320586).epsilon(1e-6));
    CHECK(r.exact[1] == Approx(0.08714432).epsilon(1e-6));
    CHECK(r.exact[2] == Approx(0.23688282).epsilon(1e-6));
    CHECK(r.exact[3] == Approx(0.64391426).epsilon(1e-6));
}

TEST_CASE("softmax worked example [10, 2, 1]", "[reference][examples]") {
    check_softmax_values({10.0f, 2.0f, 1.0f},
                         {0.999541338035, 0.000335308763955, 0.000123353200703});
    const RowReference r = reference_row(std::vector<float>{10.0f, 2.0f, 1.0f}, Output::softmax);
    CHECK(r.exact[0] == Approx(0.99954).margin(5e-6));
    CHECK(r.exact[1] == Approx(0.000335).margin(5e-7));
    CHECK(r.exact[2] == Approx(0.000123).margin(5e-7));
}

TEST_CASE("softmax worked example of ten logits and its shift invariance",
          "[reference][examples]") {
    const std::vector<float> x{6, 2, 3, 10, 5, 1, 7, 8, 9, 4};
    // Note: index 3 is 0.632149..., index 8 is 0.232555... (not 0.6364 / 0.2341).
    check_softmax_values(x, {0.0115782175399, 0.000212062451436, 0.000576445508238,
                             0.63214925836, 0.00425938819834, 7.80134161278e-05,
                             0.0314728583447, 0.085552098928, 0.232554715903,
                             0.00156694135014});
    const RowReference r = reference_row(x, Output::softmax);
    CHECK(r.exact[3] == Approx(0.6321).margin(5e-5));
    CHECK(r.exact[8] == Approx(0.2326).margin(5e-5));

    std::vector<float> shifted = x;
    for (float& v : shifted) v += 100.0f;  // exact in float
    const RowReference rs = reference_row(shifted, Output::softmax);
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("index " << i);
        CHECK(bits(rs.rounded[i]) == bits(r.rounded[i]));
        CHECK(rs.exact[i] == r.exact[i]);
    }
}

TEST_CASE("log_softmax of [2, 1, 0.1]", "[reference][examples]") {
    const std::vector<float> x{2.0f, 1.0f, 0.1f};
    const RowReference r = reference_row(x, Output::log_softmax);
    const std::vector<long double> ld = ld_log_softmax(x);
    const std::vector<double> dec{-0.417030016425, -1.41703001642, -2.31703001493};
    REQUIRE(r.exact.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("index " << i);
        CHECK(r.exact[i] == Approx(static_cast<double>(ld[i])).epsilon(1e-15));
        CHECK(r.exact[i] == Approx(dec[i]).epsilon(1e-10));
        CHECK(bits(r.rounded[i]) == bits(static_cast<float>(ld[i])));
    }
    // log_softmax is log of softmax.
    const RowReference p = reference_row(x, Output::softmax);
    for (std::size_t i = 0; i < 3; ++i) CHECK(r.exact[i] == Approx(std::log(p.exact[i])).epsilon(1e-14));
}

// ---- correct rounding against an independent long double computation -----------------------

TEST_CASE("rounded[] agrees with long double on random rows", "[reference][random]") {
    std::mt19937 gen(20240611u);
    std::size_t total = 0, agree = 0, far = 0;
    double worst_rel = 0;
    for (Output out : {Output::softmax, Output::log_softmax}) {
        for (float sigma : {1.0f, 4.0f, 30.0f}) {
            std::normal_distribution<float> nd(0.0f, sigma);
            std::uniform_int_distribution<int> len(1, 300);
            std::uniform_real_distribution<float> off(-1000.0f, 1000.0f);
            for (int row = 0; row < 40; ++row) {
                const float offset = row % 4 == 0 ? off(gen) : 0.0f;
                std::vector<float> x(static_cast<std::size_t>(len(gen)));
                for (float& v : x) v = nd(gen) + offset;
                const RowReference r = reference_row(x, out);
                const auto ld = out == Output::softmax ? ld_softmax(x) : ld_log_softmax(x);
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const float f = static_cast<float>(ld[i]);
                    ++total;
                    if (bits(f) == bits(r.rounded[i])) ++agree;
                    if (float_distance(f, r.rounded[i]) > 1) ++far;
                    if (ld[i] != 0) {
                        const double rel = static_cast<double>(
                            std::fabs((static_cast<long double>(r.exact[i]) - ld[i]) / ld[i]));
                        worst_rel = std::max(worst_rel, rel);
                    }
                }
            }
        }
    }
    INFO("agree " << agree << " of " << total);
    CHECK(total > 10000);
    CHECK(static_cast<double>(agree) >= 0.999 * static_cast<double>(total));
    CHECK(far == 0);
    CHECK(worst_rel < 1e-15);  // exact[] is the double nearest the exact value
}

TEST_CASE("large row n = 65537 agrees with long double", "[reference][random]") {
    std::mt19937 gen(7u);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    std::vector<float> x(65537);
    for (float& v : x) v = nd(gen);
    for (Output out : {Output::softmax, Output::log_softmax}) {
        const RowReference r = reference_row(x, out);
        const auto ld = out == Output::softmax ? ld_softmax(x) : ld_log_softmax(x);
        std::size_t agree = 0, far = 0;
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const float f = static_cast<float>(ld[i]);
            agree += bits(f) == bits(r.rounded[i]);
            far += float_distance(f, r.rounded[i]) > 1;
            sum += r.exact[i];
        }
        CHECK(static_cast<double>(agree) >= 0.999 * static_cast<double>(x.size()));
        CHECK(far == 0);
        if (out == Output::softmax) CHECK(sum == Approx(1.0).epsilon(1e-12));
    }
}

TEST_CASE("subnormal outputs are correctly rounded straight to float", "[reference][subnormal]") {
    // softmax([0, d])[1] = e^d / (1 + e^d) ~ 1e-40 for d = ln(1e-40) = -92.1034...
    const float d = -92.1034037f;
    const std::vector<float> x{0.0f, d};
    const RowReference r = reference_row(x, Output::softmax);
    const long double e = std::exp(static_cast<long double>(d));
    const long double v = e / (1.0L + e);
    CHECK(r.exact[1] == Approx(1e-40).epsilon(1e-5));  // d rounded to float moves it by 4e-6
    CHECK(r.exact[1] == Approx(static_cast<double>(v)).epsilon(1e-15));
    CHECK(std::fpclassify(r.rounded[1]) == FP_SUBNORMAL);
    CHECK(bits(r.rounded[1]) == bits(round_to_float_by_quantum(v)));
    // The distance to the float below and above is at most half a quantum (2^-150).
    CHECK(std::fabs(static_cast<double>(r.rounded[1]) - r.exact[1]) <= 0x1p-150);
    CHECK(r.rounded[0] == 1.0f);

    // A sweep through the whole subnormal range and across FLT_MIN.
    std::size_t mismatches = 0, checked = 0, subnormals = 0;
    for (int k = 0; k <= 2000; ++k) {
        const float dk = -86.0f - 18.0f * static_cast<float>(k) / 2000.0f;
        const RowReference rk = reference_row(std::vector<float>{0.0f, dk, -1.0f}, Output::softmax);
        const long double ek = std::exp(static_cast<long double>(dk));
        const long double vk = ek / (1.0L + ek + std::exp(-1.0L));
        ++checked;
        subnormals += std::fpclassify(rk.rounded[1]) == FP_SUBNORMAL;
        if (bits(rk.rounded[1]) != bits(round_to_float_by_quantum(vk))) ++mismatches;
    }
    CHECK(subnormals > 1000);
    CHECK(mismatches <= checked / 1000);
}

TEST_CASE("precision_bits is validated and does not change the rounded result",
          "[reference]") {
    const std::vector<float> x{0.5f, -3.25f, 7.0f, 1e-3f, 2.5f};
    CHECK_THROWS_AS(reference_row(x, Output::softmax, false, 99), std::invalid_argument);
    CHECK_THROWS_AS(reference_row(x, Output::log_softmax, false, 0), std::invalid_argument);
    for (Output out : {Output::softmax, Output::log_softmax}) {
        const RowReference a = reference_row(x, out, false, 100);
        const RowReference b = reference_row(x, out, false, 128);
        const RowReference c = reference_row(x, out, false, 512);
        for (std::size_t i = 0; i < x.size(); ++i) {
            CHECK(bits(a.rounded[i]) == bits(c.rounded[i]));
            CHECK(bits(b.rounded[i]) == bits(c.rounded[i]));
            CHECK(b.exact[i] == c.exact[i]);
        }
    }
}

TEST_CASE("reference_row is usable from several threads at once", "[reference][threads]") {
    std::vector<std::vector<float>> rows(4);
    std::mt19937 gen(99u);
    std::normal_distribution<float> nd(0.0f, 5.0f);
    for (auto& row : rows) {
        row.resize(3000);
        for (float& v : row) v = nd(gen);
    }
    std::vector<RowReference> serial, parallel(rows.size());
    for (const auto& row : rows) serial.push_back(reference_row(row, Output::softmax));
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < rows.size(); ++t)
        threads.emplace_back([&, t] { parallel[t] = reference_row(rows[t], Output::softmax); });
    for (auto& th : threads) th.join();
    for (std::size_t t = 0; t < rows.size(); ++t) {
        CHECK(parallel[t].exact == serial[t].exact);
        CHECK(parallel[t].rounded == serial[t].rounded);
    }
}

// ---- special-value policy ----------------------------------------------------------------

namespace {

enum class E { nan, zero, one, pos_zero, neg_inf, value };

// Checks one reference entry against the expected class, both exact and rounded.
void check_entry(const RowReference& r, std::size_t i, E e) {
    INFO("index " << i << " exact " << r.exact[i] << " rounded " << r.rounded[i]);
    switch (e) {
        case E::nan:
            CHECK(std::isnan(r.exact[i]));
            CHECK(std::isnan(r.rounded[i]));
            break;
        case E::zero:  // exact 0 of either sign
            CHECK(r.exact[i] == 0.0);
            CHECK(r.rounded[i] == 0.0f);
            break;
        case E::pos_zero:
            CHECK(r.exact[i] == 0.0);
            CHECK_FALSE(std::signbit(r.exact[i]));
            CHECK(bits(r.rounded[i]) == 0u);
            break;
        case E::one:
            CHECK(r.exact[i] == 1.0);
            CHECK(r.rounded[i] == 1.0f);
            break;
        case E::neg_inf:
            CHECK(r.exact[i] == -kInfD);
            CHECK(r.rounded[i] == -kInf);
            break;
        case E::value:
            CHECK(std::isfinite(r.exact[i]));
            CHECK(r.exact[i] != 0.0);
            break;
    }
}

void expect_policy(const std::vector<float>& x, Output out, bool masked, const std::vector<E>& want) {
    const RowReference r = reference_row(x, out, masked);
    REQUIRE(r.exact.size() == want.size());
    REQUIRE(r.rounded.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) check_entry(r, i, want[i]);
}

}  // namespace

TEST_CASE("special-value policy of the reference", "[reference][special]") {
    const float nan_neg = -kNaN;
    for (bool masked : {false, true}) {
        INFO("masked_safe " << masked);
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const bool sm = out == Output::softmax;
            INFO("output " << (sm ? "softmax" : "log_softmax"));
            // n == 0: empty result.
            expect_policy({}, out, masked, {});
            // n == 1 finite: exactly 1 / +0, whatever the value.
            for (float v : {0.0f, -0.0f, 3.5f, -1e30f, FLT_MAX, -FLT_MAX, 0x1p-149f})
                expect_policy({v}, out, masked, {sm ? E::one : E::pos_zero});
            // NaN or +inf anywhere: every output NaN, masked or not.
            expect_policy({kNaN}, out, masked, {E::nan});
            expect_policy({kInf}, out, masked, {E::nan});
            expect_policy({1.0f, kNaN, 2.0f}, out, masked, {E::nan, E::nan, E::nan});
            expect_policy({1.0f, nan_neg, 2.0f}, out, masked, {E::nan, E::nan, E::nan});
            expect_policy({1.0f, kInf, 2.0f}, out, masked, {E::nan, E::nan, E::nan});
            expect_policy({-kInf, kNaN}, out, masked, {E::nan, E::nan});
            expect_policy({kInf, -kInf}, out, masked, {E::nan, E::nan});
            expect_policy({kInf, kInf}, out, masked, {E::nan, E::nan});
            // -inf entries with the rest finite: exact +0 / -inf there.
            expect_policy({1.0f, -kInf, 2.0f}, out, masked,
                      {E::value, sm ? E::pos_zero : E::neg_inf, E::value});
            expect_policy({-kInf, 5.0f}, out, masked, {sm ? E::pos_zero : E::neg_inf,
                                                   sm ? E::one : E::pos_zero});
            // every entry -inf: NaN, or 0 / -inf when masked_safe.
            const E all = !masked ? E::nan : (sm ? E::pos_zero : E::neg_inf);
            expect_policy({-kInf}, out, masked, {all});
            expect_policy({-kInf, -kInf, -kInf}, out, masked, {all, all, all});
        }
    }
    // The finite part of a row with -inf entries is the softmax of the finite entries alone.
    const RowReference a = reference_row(std::vector<float>{1.0f, -kInf, 2.0f}, Output::softmax);
    const RowReference b = reference_row(std::vector<float>{1.0f, 2.0f}, Output::softmax);
    CHECK(a.exact[0] == b.exact[0]);
    CHECK(a.exact[2] == b.exact[1]);
    const RowReference la =
        reference_row(std::vector<float>{1.0f, -kInf, 2.0f}, Output::log_softmax);
    const RowReference lb = reference_row(std::vector<float>{1.0f, 2.0f}, Output::log_softmax);
    CHECK(la.exact[0] == lb.exact[0]);
    CHECK(la.exact[2] == lb.exact[1]);
}

TEST_CASE("extreme rows: full float range and negligible terms", "[reference][special]") {
    // Differences beyond FLT_MAX: softmax gives exact 0, log_softmax a finite exact value
    // whose float rounding overflows to -inf.
    const std::vector<float> x{FLT_MAX, -FLT_MAX};
    const RowReference s = reference_row(x, Output::softmax);
    check_entry(s, 0, E::one);
    check_entry(s, 1, E::zero);
    const RowReference l = reference_row(x, Output::log_softmax);
    check_entry(l, 0, E::zero);
    CHECK(l.exact[1] == Approx(-2.0 * static_cast<double>(FLT_MAX)).epsilon(1e-15));
    CHECK(l.rounded[1] == -kInf);
    // A softmax output below half the smallest subnormal rounds to +0 in float.
    const RowReference t = reference_row(std::vector<float>{0.0f, -120.0f}, Output::softmax);
    CHECK(t.exact[1] == Approx(std::exp(-120.0)).epsilon(1e-14));
    CHECK(bits(t.rounded[1]) == 0u);
    // Constant rows: exactly 1/n (n a power of two) and -log(n).
    const std::vector<float> c(1024, -7.5f);
    const RowReference cs = reference_row(c, Output::softmax);
    const RowReference cl = reference_row(c, Output::log_softmax);
    for (std::size_t i = 0; i < c.size(); ++i) {
        CHECK(cs.exact[i] == 0x1p-10);
        CHECK(cl.exact[i] == Approx(-10.0 * std::log(2.0)).epsilon(1e-15));
    }
}

// ---- ulp_error and float_distance ------------------------------------------------------------

TEST_CASE("ulp_error hand-checked cases", "[metrics][ulp]") {
    // Exact values that are doubles: the binade is the double's own (exact_binade).
    const auto u = [](float y, double exact) { return ulp_error(y, exact, exact_binade(exact)); };
    CHECK(u(std::nextafter(1.0f, 2.0f), 1.0) == 1.0);
    CHECK(u(1.0f, 1.0 + 0x1p-25) == 0.25);            // binade [1,2): ulp 2^-23
    CHECK(u(0.5f, 0.5 + 0x1p-25) == 0.5);             // binade [0.5,1): ulp 2^-24
    CHECK(u(1.0f, 1.0 - 0x1p-30) == 0x1p-6);          // r just below 1: ulp 2^-24
    CHECK(u(-1.0f, -1.0 - 0x1p-24) == 0.5);           // sign does not matter
    CHECK(u(2.0f * 0x1p-149f, 3.0 * 0x1p-149) == 1.0);  // subnormal: units of 2^-149
    CHECK(u(0.0f, 0x1p-149) == 1.0);                  // flushed smallest subnormal
    CHECK(u(FLT_MIN, 0x1p-126 + 0x1p-152) == 0.125);  // FLT_MIN's binade: ulp 2^-149
    CHECK(u(1.0f, 1.0) == 0.0);
    CHECK(u(kNaN, std::nan("")) == 0.0);
    CHECK(u(kNaN, 1.0) == kInfD);
    CHECK(u(1.0f, std::nan("")) == kInfD);
    CHECK(u(kInf, kInfD) == 0.0);
    CHECK(u(-kInf, -kInfD) == 0.0);
    CHECK(u(kInf, -kInfD) == kInfD);
    CHECK(u(FLT_MAX, kInfD) == kInfD);
    CHECK(u(kInf, 1.0) == kInfD);
    CHECK(u(0.0f, 0.0) == 0.0);
    CHECK(u(-0.0f, 0.0) == 0.0);
    CHECK(u(0x1p-149f, 0.0) == kInfD);
}

TEST_CASE("ulp_error: the unit is the exact value's binade, whatever its double", "[metrics][ulp]") {
    // Exact values just below a power of two whose double is that power: only the binade passed
    // in (the exact value's, RowReference::binade) says where the exact value is.
    const float one_m2 = 0.99999988f;  // 1 - 2^-23
    CHECK(ulp_error(one_m2, 1.0, -1) == 2.0);           // exact 1 - 4.2e-18: units of 2^-24
    CHECK(ulp_error(one_m2, 1.0, 0) == 1.0);            // what the double's own binade gave
    CHECK(ulp_error(1.0f, 1.0, -1) == 0.0);
    CHECK(ulp_error(std::nextafter(1.0f, 2.0f), 1.0, -1) == 2.0);  // 2^-23 above: two units of 2^-24
    CHECK(ulp_error(std::nextafter(0.5f, 0.0f), 0.5, -2) == 1.0);  // 0.5 - 2^-25, units of 2^-25
    CHECK(ulp_error(std::nextafter(0x1p-20f, 0.0f), 0x1p-20, -21) == 1.0);
    CHECK(ulp_error(0x1p-20f, 0x1p-20, -21) == 0.0);
    CHECK(ulp_error(std::nextafter(0x1p-20f, 1.0f), 0x1p-20, -21) == 2.0);
    // log_softmax outputs: negative, the same rule on |v|.
    CHECK(ulp_error(-0.49999997f, -0.5, -2) == 1.0);
    CHECK(ulp_error(std::nextafter(-0.5f, -kInf), -0.5, -2) == 2.0);
    CHECK(ulp_error(std::nextafter(-1.0f, -kInf), -1.0, -1) == 2.0);
    CHECK(ulp_error(std::nextafter(-1.0f, -kInf), -1.0, 0) == 1.0);
    CHECK(ulp_error(std::nextafter(-8.0f, 0.0f), -8.0, 2) == 1.0);  // units of 2^-21
    // The subnormal boundary: an exact value just below 2^-126 whose double is 2^-126. Its unit
    // is 2^-149 on both sides of FLT_MIN, so only the band (binade < -126) changes.
    CHECK(ulp_error(FLT_MIN, 0x1p-126, -127) == 0.0);
    CHECK(ulp_error(0.0f, 0x1p-126, -127) == 0x1p23);
    CHECK(ulp_error(std::nextafter(FLT_MIN, 0.0f), 0x1p-126, -127) == 1.0);
    CHECK(ulp_error(0x1p-140f, 0x1p-140, -141) == 0.0);
    CHECK(ulp_error(0x1p-140f + 0x1p-149f, 0x1p-140, -141) == 1.0);  // still units of 2^-149
    // Specials ignore the binade.
    CHECK(ulp_error(kNaN, std::nan(""), 5) == 0.0);
    CHECK(ulp_error(1.0f, 0.0, -3) == kInfD);
    CHECK(ulp_error(0.0f, 0.0, -3) == 0.0);
}

TEST_CASE("exact_binade and RowReference::binade", "[metrics][ulp]") {
    CHECK(exact_binade(1.0) == 0);
    CHECK(exact_binade(std::nextafter(1.0, 0.0)) == -1);
    CHECK(exact_binade(-0.75) == -1);
    CHECK(exact_binade(0x1p-126) == -126);
    CHECK(exact_binade(0x1p-149) == -149);
    CHECK(exact_binade(3e38) == 127);
    CHECK(exact_binade(0.0) == 0);
    CHECK(exact_binade(kInfD) == 0);
    // From MPFR: softmax [0, -40] -> 1 - 4.2e-18 (binade -1, double 1.0) and 4.2e-18.
    const RowReference r = reference_row(std::vector<float>{0.0f, -40.0f}, Output::softmax);
    REQUIRE(r.binade.size() == 2);
    CHECK(r.exact[0] == 1.0);
    CHECK(r.binade[0] == -1);
    CHECK(r.binade[1] == exact_binade(r.exact[1]));
    CHECK(r.binade[1] == -58);  // 4.248e-18 in [2^-58, 2^-57)
    // Specials: 0 at -inf (softmax), NaN rows.
    const RowReference z = reference_row(std::vector<float>{1.0f, -kInf}, Output::softmax);
    CHECK(z.binade[1] == 0);
    CHECK(z.binade[0] == 0);  // exact 1
    const RowReference n = reference_row(std::vector<float>{1.0f, kNaN}, Output::log_softmax);
    CHECK(n.binade == std::vector<int>{0, 0});
    // Every finite non-zero entry agrees with its double except next to a power of two.
    const RowReference w = reference_row(std::vector<float>{3.0f, -1.5f, 0.25f, -60.0f, 2.0f}, Output::log_softmax);
    for (std::size_t i = 0; i < 5; ++i) CHECK(w.binade[i] == exact_binade(w.exact[i]));
}

TEST_CASE("float_distance counts representable floats", "[metrics][distance]") {
    CHECK(float_distance(std::nextafter(1.0f, 2.0f), 1.0f) == 1u);
    CHECK(float_distance(1.0f, std::nextafter(1.0f, 0.0f)) == 1u);
    CHECK(float_distance(-0x1p-149f, 0x1p-149f) == 2u);
    CHECK(float_distance(0.0f, -0.0f) == 0u);
    CHECK(float_distance(0.25f, 0.25f) == 0u);
    CHECK(float_distance(1.0f, 2.0f) == (1u << 23));
    CHECK(float_distance(-1.0f, 1.0f) == 2u * 0x3f800000u);
    CHECK(float_distance(FLT_MAX, kInf) == 1u);
    CHECK(float_distance(-kInf, kInf) == 2u * 0x7f800000u);
    CHECK(float_distance(kNaN, kNaN) == 0u);
    CHECK(float_distance(kNaN, 1.0f) == UINT64_MAX);
    CHECK(float_distance(0.0f, -kNaN) == UINT64_MAX);
}

// ---- measure ---------------------------------------------------------------------------------

TEST_CASE("measure: an output 2 ULP off", "[metrics][measure]") {
    // softmax of a constant row is exactly 0.25, a float: ULP errors are exact.
    const std::vector<float> x{5.0f, 5.0f, 5.0f, 5.0f};
    const RowReference r = reference_row(x, Output::softmax);
    std::vector<float> y = r.rounded;
    y[2] = std::nextafter(std::nextafter(0.25f, 1.0f), 1.0f);
    const auto m = measure(y, r, Output::softmax);
    CHECK(m.n == 4);
    CHECK(m.normal_count == 4);
    CHECK(m.max_ulp == Approx(2.0).margin(1e-9));
    CHECK(m.worst_index == 2);
    CHECK(m.mean_ulp == Approx(0.5).margin(1e-12));
    CHECK(m.correctly_rounded == 3);
    CHECK(m.subnormal_count == 0);
    CHECK(m.special_mismatches == 0);
    CHECK(m.sum_error == 0x1p-24);  // 0.25 in binade [0.25, 0.5): ulp 2^-25, two of them

    // The correctly rounded output scores <= 0.5 ULP everywhere and a tiny sum error.
    const std::vector<float> x2{0.3f, -1.7f, 2.9f, 0.0f, 4.4f, -3.0f};
    const RowReference r2 = reference_row(x2, Output::softmax);
    const auto m2 = measure(r2.rounded, r2, Output::softmax);
    CHECK(m2.normal_count == 6);
    CHECK(m2.correctly_rounded == 6);
    CHECK(m2.max_ulp <= 0.5);
    CHECK(m2.max_ulp > 0.0);
    CHECK(m2.sum_error < 1e-6);
    // log_softmax has no sum error.
    const RowReference l2 = reference_row(x2, Output::log_softmax);
    const auto ml = measure(l2.rounded, l2, Output::log_softmax);
    CHECK(ml.sum_error == 0.0);
    CHECK(ml.max_ulp <= 0.5);
    CHECK(ml.correctly_rounded == 6);
}

TEST_CASE("measure: subnormal band and flushing", "[metrics][measure]") {
    const std::vector<float> x{0.0f, -92.1034037f};  // softmax[1] ~ 1e-40
    const RowReference r = reference_row(x, Output::softmax);
    REQUIRE(r.exact[1] > 0.0);
    REQUIRE(r.exact[1] < static_cast<double>(FLT_MIN));

    std::vector<float> y{r.rounded[0], 0.0f};  // flushed
    const auto m = measure(y, r, Output::softmax);
    CHECK(m.normal_count == 1);
    CHECK(m.subnormal_count == 1);
    CHECK(m.flushed == 1);
    CHECK(m.max_ulp <= 0.5);
    CHECK(m.worst_index == 0);
    CHECK(m.correctly_rounded == 1);
    CHECK(m.max_ulp_subnormal == Approx(r.exact[1] / 0x1p-149).epsilon(1e-12));
    CHECK(m.max_ulp_subnormal > 70000.0);  // 1e-40 / 2^-149 = 71362.4
    CHECK(m.special_mismatches == 0);

    const auto good = measure(r.rounded, r, Output::softmax);
    CHECK(good.subnormal_count == 1);
    CHECK(good.flushed == 0);
    CHECK(good.max_ulp_subnormal <= 0.5);
}

TEST_CASE("measure: NaN where a number is expected is an infinite ULP error",
          "[metrics][measure]") {
    const std::vector<float> x{1.0f, 2.0f, 3.0f};
    const RowReference r = reference_row(x, Output::softmax);
    std::vector<float> y = r.rounded;
    y[1] = kNaN;
    const auto m = measure(y, r, Output::softmax);
    CHECK(m.max_ulp == kInfD);
    CHECK(m.mean_ulp == kInfD);
    CHECK(m.worst_index == 1);
    CHECK(m.special_mismatches == 0);
    CHECK(m.correctly_rounded == 2);
    CHECK(m.sum_error == kInfD);  // NaN sum reported as +inf

    const RowReference l = reference_row(x, Output::log_softmax);
    std::vector<float> yl = l.rounded;
    yl[0] = -kInf;
    const auto ml = measure(yl, l, Output::log_softmax);
    CHECK(ml.max_ulp == kInfD);
    CHECK(ml.worst_index == 0);
}

TEST_CASE("measure: special entries must match exactly", "[metrics][measure]") {
    // -inf input: softmax exact 0 (either sign accepted), log_softmax exact -inf.
    const std::vector<float> x{1.0f, -kInf, 2.0f};
    const RowReference s = reference_row(x, Output::softmax);
    std::vector<float> y = s.rounded;
    CHECK(measure(y, s, Output::softmax).special_mismatches == 0);
    y[1] = -0.0f;
    CHECK(measure(y, s, Output::softmax).special_mismatches == 0);
    y[1] = 1e-30f;
    auto m = measure(y, s, Output::softmax);
    CHECK(m.special_mismatches == 1);
    CHECK(m.normal_count == 2);
    y[1] = kNaN;
    CHECK(measure(y, s, Output::softmax).special_mismatches == 1);

    const RowReference l = reference_row(x, Output::log_softmax);
    std::vector<float> yl = l.rounded;
    CHECK(measure(yl, l, Output::log_softmax).special_mismatches == 0);
    yl[1] = -FLT_MAX;
    CHECK(measure(yl, l, Output::log_softmax).special_mismatches == 1);
    yl[1] = kInf;
    CHECK(measure(yl, l, Output::log_softmax).special_mismatches == 1);

    // NaN row: NaN outputs match, numbers do not; no sum error.
    const RowReference nrow = reference_row(std::vector<float>{1.0f, kNaN, 3.0f}, Output::softmax);
    const std::vector<float> all_nan{kNaN, -kNaN, kNaN};
    auto mn = measure(all_nan, nrow, Output::softmax);
    CHECK(mn.special_mismatches == 0);
    CHECK(mn.sum_error == 0.0);
    CHECK(mn.normal_count == 0);
    CHECK(mn.max_ulp == 0.0);
    const std::vector<float> numbers{0.25f, 0.5f, 0.25f};
    CHECK(measure(numbers, nrow, Output::softmax).special_mismatches == 3);

    // masked all -inf row: zeros match and the (empty) distribution has no sum error.
    const std::vector<float> masked_x{-kInf, -kInf};
    const RowReference ms = reference_row(masked_x, Output::softmax, true);
    const std::vector<float> zeros{0.0f, 0.0f};
    auto mm = measure(zeros, ms, Output::softmax);
    CHECK(mm.special_mismatches == 0);
    CHECK(mm.sum_error == 0.0);
    const std::vector<float> halves{0.5f, 0.5f};
    CHECK(measure(halves, ms, Output::softmax).special_mismatches == 2);

    // n == 1 log_softmax: exact 0.
    const RowReference one = reference_row(std::vector<float>{4.0f}, Output::log_softmax);
    CHECK(measure(std::vector<float>{0.0f}, one, Output::log_softmax).special_mismatches == 0);
    CHECK(measure(std::vector<float>{-1e-8f}, one, Output::log_softmax).special_mismatches == 1);

    // log_softmax beyond -FLT_MAX: the correct float is -inf, so -inf is the only match.
    const std::vector<float> wide{FLT_MAX, -FLT_MAX};
    const RowReference w = reference_row(wide, Output::log_softmax);
    const auto mw = measure(std::vector<float>{0.0f, -kInf}, w, Output::log_softmax);
    CHECK(mw.special_mismatches == 0);
    CHECK(mw.normal_count == 0);
    CHECK(measure(std::vector<float>{0.0f, -FLT_MAX}, w, Output::log_softmax).special_mismatches ==
          1);
}

// ---- the ULP unit is the binade of the exact value --------------------------------------------
// Rows whose exact output lies just below a power of two, so close that its double rounds up to
// that power: the ULP unit (and the normal/subnormal band) must come from the exact value's
// binade, not from the double's (which is one binade up, halving the error). The log_softmax
// and subnormal rows were built by a greedy search with MPFR at 400 bits (each extra logit
// cancels most of what is left between the sum and its target); each case checks that its
// double does round up to the power of two, so the case stays a test of this.

namespace {
float below(float v, int k) {  // k representable floats towards 0 from v
    for (int i = 0; i < k; ++i) v = std::nextafter(v, 0.0f);
    return v;
}
}  // namespace

TEST_CASE("measure: the ULP unit comes from the exact value's binade", "[metrics][measure][ulp]") {
    SECTION("softmax [0, -40]: exact y0 = 1 - 4.2e-18, whose double is 1") {
        const std::vector<float> x{0.0f, -40.0f};
        const RowReference r = reference_row(x, Output::softmax);
        REQUIRE(r.exact[0] == 1.0);  // the double rounds up: binade 0 instead of -1
        CHECK(r.rounded[0] == 1.0f);
        std::vector<float> y = r.rounded;
        y[0] = 0.99999988f;  // 1 - 2^-23: two units of 2^-24 below the exact 1 - 4.2e-18
        const auto m = measure(y, r, Output::softmax);
        CHECK(m.max_ulp == Approx(2.0).margin(1e-9));
        CHECK(m.worst_index == 0);
        CHECK(measure(r.rounded, r, Output::softmax).max_ulp <= 0.5);
    }
    // (2^-100 rather than 2^-149: the reference's 128 bits must resolve the distance to 1/2.)
    SECTION("softmax [0, 2^-100]: exact y0 = 1/(1 + e^(2^-100)) just below 1/2") {
        const std::vector<float> x{0.0f, 0x1p-100f};
        const RowReference r = reference_row(x, Output::softmax);
        REQUIRE(r.exact[0] == 0.5);
        CHECK(r.rounded[0] == 0.5f);
        std::vector<float> y = r.rounded;
        y[0] = below(0.5f, 1);  // 0.5 - 2^-25: one unit of 2^-25 (binade -2)
        CHECK(measure(y, r, Output::softmax).max_ulp == Approx(1.0).margin(1e-9));
        y[0] = below(0.5f, 3);
        CHECK(measure(y, r, Output::softmax).max_ulp == Approx(3.0).margin(1e-9));
    }
    SECTION("softmax [0, 0, 0, 2^-100]: three outputs just below 1/4") {
        const std::vector<float> x{0.0f, 0.0f, 0.0f, 0x1p-100f};
        const RowReference r = reference_row(x, Output::softmax);
        for (std::size_t i = 0; i < 3; ++i) REQUIRE(r.exact[i] == 0.25);
        std::vector<float> y = r.rounded;
        y[1] = below(0.25f, 2);  // two units of 2^-26
        const auto m = measure(y, r, Output::softmax);
        CHECK(m.max_ulp == Approx(2.0).margin(1e-9));
        CHECK(m.worst_index == 1);
    }
    SECTION("log_softmax just above -1/2, -1 and -1/8 (the max entry's -log s)") {
        struct Case {
            std::vector<float> x;
            double power;  // the double of the exact log_softmax[0]
        };
        const Case cases[] = {
            {{0.0f, -0x1.bb236p-2f, -0x1.41bf46p+4f, -0x1.0d5378p+5f}, -0.5},
            {{0.0f, 0.0f, -0x1.52d5bp-2f, -0x1.2c2838p+4f, -0x1.0a485cp+5f}, -1.0},
            {{0.0f, -0x1.0215dp+1f, -0x1.25bd14p+4f, -0x1.f93dcp+4f}, -0.125},
        };
        for (const Case& c : cases) {
            INFO("log_softmax[0] just above " << c.power);
            const RowReference r = reference_row(c.x, Output::log_softmax);
            REQUIRE(r.exact[0] == c.power);
            CHECK(double(r.rounded[0]) == c.power);
            std::vector<float> y = r.rounded;
            y[0] = below(float(c.power), 1);  // one unit of the binade below |power|
            CHECK(measure(y, r, Output::log_softmax).max_ulp == Approx(1.0).margin(1e-9));
            y[0] = std::nextafter(float(c.power), -kInf);  // one unit of |power|'s binade, = two below
            CHECK(measure(y, r, Output::log_softmax).max_ulp == Approx(2.0).margin(1e-9));
        }
    }
}

TEST_CASE("measure: an exact output just below FLT_MIN is in the subnormal band", "[metrics][measure][ulp]") {
    // softmax[1] = e^t / s with t just above -126 ln2 and s just above e^t 2^126: the exact
    // value is 2^-126 (1 - ~2^-58), whose double is 2^-126 = FLT_MIN.
    const std::vector<float> x{0.0f, -0x1.5d589ep+6f, -0x1.89c3bcp+3f, -0x1.ae72e4p+4f, -0x1.44ca28p+5f};
    const RowReference r = reference_row(x, Output::softmax);
    REQUIRE(r.exact[1] == 0x1p-126);
    CHECK(r.rounded[1] == FLT_MIN);
    const auto m = measure(r.rounded, r, Output::softmax);
    CHECK(m.subnormal_count == 1);
    CHECK(m.normal_count == 4);
    CHECK(m.max_ulp_subnormal <= 0.5);
    // A variant with the flush policy may return 0 there (its exact value is below FLT_MIN).
    const smb::Variant* flush = nullptr;
    for (const smb::Variant& v : smb::all_variants())
        if (v.subnormal == smb::Subnormal::flush && v.algorithm != smb::Algorithm::auto_pick) flush = &v;
    REQUIRE(flush != nullptr);
    std::vector<float> y = r.rounded;
    y[1] = 0.0f;
    const auto mf = measure(y, r, Output::softmax);
    CHECK(mf.flushed == 1);
    CHECK(mf.max_ulp <= 0.5);
    const smb::ref::Check c = smb::ref::check_output(*flush, x, y, r, Output::softmax);
    INFO(flush->name << ": " << c.failure);
    CHECK(c.failure.empty());
}

TEST_CASE("measure: size mismatch is rejected", "[metrics][measure]") {
    const RowReference r = reference_row(std::vector<float>{1.0f, 2.0f}, Output::softmax);
    CHECK_THROWS_AS(measure(std::vector<float>{0.5f}, r, Output::softmax), std::invalid_argument);
    const auto m = measure(std::vector<float>{}, reference_row({}, Output::softmax), Output::softmax);
    CHECK(m.n == 0);
    CHECK(m.sum_error == 0.0);
}
