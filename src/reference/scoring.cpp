#include "reference/scoring.hpp"

#include "softmaxbench/bf16.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "reference/distributions.hpp"

namespace smb::ref {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Entries measure() scores by ULP (normal or subnormal band) rather than as special.
bool banded(const RowReference& r, std::size_t i) {
    const double e = r.exact[i];
    return std::isfinite(e) && e != 0.0 && !std::isinf(r.rounded[i]);
}

std::string format(const char* fmt, auto... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

// Entries whose exact value is NaN, +-inf or 0 must match exactly; measure() counts those that
// do not. One exception: a log_softmax form without a ULP bound (x - log sum, no max) cannot
// give an exact 0 (one finite entry among -inf ones) except by luck; there the 0 is held to
// the absolute contract instead. NaN and infinities still must match exactly.
std::size_t special_mismatches_given(const Variant& v, std::span<const float> y,
                                     const RowReference& r, Output out, std::size_t counted) {
    std::size_t bad = counted;
    if (out != Output::log_softmax || !std::isinf(v.max_ulp_log)) return bad;
    for (std::size_t i = 0; i < y.size(); ++i)
        if (r.exact[i] == 0.0 && y[i] != 0.0f && std::fabs(y[i]) <= 0x1p-20f) --bad;
    return bad;
}

}  // namespace

double log_abs_excess(std::span<const float> y, const RowReference& r, std::size_t& where) {
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double e = r.exact[i];
        if (!std::isfinite(e)) continue;
        double excess = std::fabs(double(y[i]) - e) / (0x1p-20 * (1.0 + std::fabs(e)));
        // A NaN output is the worst possible; as +inf it cannot be replaced by a later entry.
        if (std::isnan(excess)) excess = std::numeric_limits<double>::infinity();
        if (excess > worst) {
            worst = excess;
            where = i;
        }
    }
    return worst;
}

std::string subnormal_failure(const Variant& v, std::span<const float> y, const RowReference& r,
                              double bound) {
    const double sub_bound = std::max(bound, 1.0);
    for (std::size_t i = 0; i < y.size(); ++i) {
        // The band of the exact value: its double may have rounded up to 2^-126.
        if (!banded(r, i) || r.binade[i] >= -126) continue;
        if (v.subnormal == Subnormal::flush && y[i] == 0.0f) continue;
        const double u = ulp_error(y[i], r, i);
        if (!(u <= sub_bound))
            return format("subnormal band (%s) at [%zu]: y=%.9g exact=%.17g, %.3g units of 2^-149 > %.3g",
                          std::string(to_string(v.subnormal)).c_str(), i, double(y[i]), r.exact[i], u,
                          sub_bound);
    }
    return {};
}

Check check_output(const Variant& v, std::span<const float> x, std::span<const float> y,
                   const RowReference& r, Output out) {
    if (x.size() != y.size() || y.size() != r.exact.size())
        throw std::invalid_argument("check_output: x, y and the reference differ in length");
    Check c;
    c.m = measure(y, r, out);
    c.bound = out == Output::softmax ? v.max_ulp : v.max_ulp_log;
    if (!(c.m.max_ulp <= c.bound)) {
        const std::size_t i = c.m.worst_index;
        c.failure = format("max ULP %.3g > bound %.3g at [%zu]: x=%.9g y=%.9g exact=%.17g", c.m.max_ulp,
                           c.bound, i, double(x[i]), double(y[i]), r.exact[i]);
    } else if (std::size_t at = 0; out == Output::log_softmax && v.tier != Tier::unsafe &&
                                   !(log_abs_excess(y, r, at) <= 1.0)) {
        c.failure = format("log_softmax absolute error above 2^-20*(1+|exact|) at [%zu]: y=%.9g exact=%.17g",
                           at, double(y[at]), r.exact[at]);
    } else if (special_mismatches_given(v, y, r, out, c.m.special_mismatches) != 0) {
        c.failure = format("%zu special entries (NaN, inf or exact 0) wrong", c.m.special_mismatches);
    } else if (c.m.subnormal_count > 0) {
        c.failure = subnormal_failure(v, y, r, c.bound);
    }
    return c;
}

Check check_row(const Variant& v, std::span<const float> x, const RowReference& r, Output out) {
    std::vector<float> y(x.size(), -12345.0f);
    v.row(x.data(), y.data(), x.size(), RowParams{out, false});
    return check_output(v, x, y, r, out);
}

Score score_output(const Variant& v, std::span<const float> x, std::span<const float> y,
                   const RowReference& r, Output out) {
    Score s;
    s.check = check_output(v, x, y, r, out);
    const Metrics& m = s.check.m;

    std::vector<double> ulps;
    ulps.reserve(m.normal_count);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (!banded(r, i)) continue;
        const double e = r.exact[i];
        const double d = double(y[i]) - e;
        num += d * d;  // NaN or inf y: handled below
        den += e * e;
        if (r.binade[i] >= -126) ulps.push_back(ulp_error(y[i], r, i));
    }
    if (den > 0) {
        const double h = std::sqrt(num) / std::sqrt(den);
        s.higham_normwise = std::isnan(h) ? std::numeric_limits<double>::infinity() : h;
    }
    if (!ulps.empty()) {
        // Nearest rank: the smallest value with at least 99.9% of the errors at or below it.
        const auto rank = static_cast<std::size_t>(std::ceil(0.999 * double(ulps.size())));
        const auto k = static_cast<std::ptrdiff_t>(std::max<std::size_t>(rank, 1) - 1);
        std::nth_element(ulps.begin(), ulps.begin() + k, ulps.end());
        s.p999_ulp = ulps[std::size_t(k)];
        s.frac_correctly_rounded = double(m.correctly_rounded) / double(m.normal_count);
    }
    // The subnormal check comes last in check_output: with no failure there it passed; after an
    // earlier failure it was not reached and is run here.
    s.subnormal_ok = m.subnormal_count == 0 || s.check.failure.empty() ||
                     subnormal_failure(v, y, r, s.check.bound).empty();
    if (m.normal_count > 0) {
        s.has_worst = true;
        s.worst_index = m.worst_index;
        s.worst_x = x[m.worst_index];
        s.worst_y = y[m.worst_index];
        s.worst_exact = r.exact[m.worst_index];
    }
    return s;
}

// ---- the special-value table ---------------------------------------------------------------

namespace {

constexpr std::string_view kCaseNames[] = {"nan_anywhere",   "pinf_anywhere", "nan_among_neg_inf",
                                           "neg_inf_entries", "all_neg_inf",   "empty_row",
                                           "single_entry",    "in_place"};
constexpr std::size_t kSizes[] = {1, 2, 17, 1000};

std::vector<float> run(const Variant& v, const std::vector<float>& x, Output out, bool masked) {
    std::vector<float> y(x.size(), -777.0f);
    v.row(x.data(), y.data(), x.size(), RowParams{out, masked});
    return y;
}

// Index of the first entry that is not NaN, or y.size().
std::size_t first_not_nan(const std::vector<float>& y) {
    for (std::size_t i = 0; i < y.size(); ++i)
        if (!std::isnan(y[i])) return i;
    return y.size();
}

// Index of the first entry that does not compare equal to `want` (either sign of 0 is fine),
// or y.size().
std::size_t first_not(const std::vector<float>& y, float want) {
    for (std::size_t i = 0; i < y.size(); ++i)
        if (!(y[i] == want)) return i;
    return y.size();
}

// One row of the table: passes when `failure` (the first failing instance) is empty.
SpecialCase make_case(std::string_view name, Output out, bool masked, std::string failure,
                      std::string_view passed_detail) {
    SpecialCase c;
    c.name = std::string(name);
    c.output = out;
    c.masked_safe = masked;
    c.pass = failure.empty();
    c.detail = c.pass ? std::string(passed_detail) : std::move(failure);
    return c;
}

std::string all_nan_failure(const std::vector<float>& y, const char* what, std::size_t n,
                            std::size_t pos) {
    const std::size_t i = first_not_nan(y);
    if (i == y.size()) return {};
    return format("n=%zu, %s at [%zu]: y[%zu]=%.9g, want NaN", n, what, pos, i, double(y[i]));
}

}  // namespace


std::vector<SpecialCase> run_special_table(const Variant& v) {
    if (!available(v)) throw std::runtime_error("run_special_table: " + unavailable_reason(v));
    std::vector<SpecialCase> cases;
    for (Output out : {Output::softmax, Output::log_softmax}) {
        for (bool masked : {false, true}) {
            const float zero_value = out == Output::softmax ? 0.0f : -kInf;  // at -inf entries

            // NaN / +inf anywhere in a normal row; +inf and NaN in a row of -inf.
            std::string nan_fail, inf_fail, nan_ninf_fail;
            for (std::size_t n : kSizes) {
                for (std::size_t pos : {std::size_t(0), n / 2, n - 1}) {
                    std::vector<float> x = make_row("normal_1", n, 5);
                    x[pos] = kNaN;
                    if (nan_fail.empty()) nan_fail = all_nan_failure(run(v, x, out, masked), "NaN", n, pos);
                    x[pos] = kInf;
                    if (inf_fail.empty()) inf_fail = all_nan_failure(run(v, x, out, masked), "+inf", n, pos);
                    std::vector<float> z(n, -kInf);
                    z[pos] = kInf;
                    if (inf_fail.empty())
                        inf_fail = all_nan_failure(run(v, z, out, masked), "+inf among -inf", n, pos);
                    z[pos] = kNaN;
                    if (nan_ninf_fail.empty())
                        nan_ninf_fail = all_nan_failure(run(v, z, out, masked), "NaN among -inf", n, pos);
                }
            }
            cases.push_back(make_case(kCaseNames[0], out, masked, nan_fail,
                                      "n in {1,2,17,1000}, NaN first/middle/last: every output NaN"));
            cases.push_back(make_case(kCaseNames[1], out, masked, inf_fail,
                                      "n in {1,2,17,1000}, +inf first/middle/last, in a normal row and "
                                      "among -inf: every output NaN"));
            cases.push_back(make_case(kCaseNames[2], out, masked, nan_ninf_fail,
                                      "n in {1,2,17,1000}, one NaN among -inf: every output NaN"));

            // -inf entries with a finite rest.
            std::string ninf_fail;
            for (std::size_t n : kSizes) {
                if (n < 2 || !ninf_fail.empty()) continue;
                std::vector<float> x = make_row("normal_1", n, 9);
                for (std::size_t i = 0; i < n; i += 3) x[i] = -kInf;
                const std::vector<float> y = run(v, x, out, masked);
                for (std::size_t i = 0; i < n && ninf_fail.empty(); i += 3)
                    if (!(y[i] == zero_value))
                        ninf_fail = format("n=%zu: y[%zu]=%.9g at a -inf entry, want %s", n, i, double(y[i]),
                                           out == Output::softmax ? "0" : "-inf");
                if (!ninf_fail.empty()) break;
                const RowReference r = reference_row(x, out, masked);
                const Check c = check_output(v, x, y, r, out);
                if (!c.failure.empty()) ninf_fail = format("n=%zu: ", n) + c.failure;
            }
            cases.push_back(make_case(kCaseNames[3], out, masked, ninf_fail,
                                      out == Output::softmax
                                          ? "n in {2,17,1000}, every third entry -inf: exactly 0 there, the "
                                            "rest within the documented contract"
                                          : "n in {2,17,1000}, every third entry -inf: exactly -inf there, the "
                                            "rest within the documented contract"));

            // All -inf.
            std::string all_fail;
            for (std::size_t n : kSizes) {
                const std::vector<float> y = run(v, std::vector<float>(n, -kInf), out, masked);
                if (!masked) {
                    if (const std::size_t i = first_not_nan(y); i < n)
                        all_fail = format("n=%zu: y[%zu]=%.9g, want NaN", n, i, double(y[i]));
                } else if (const std::size_t i = first_not(y, zero_value); i < n) {
                    all_fail = format("n=%zu: y[%zu]=%.9g, want %s", n, i, double(y[i]),
                                      out == Output::softmax ? "0" : "-inf");
                }
                if (!all_fail.empty()) break;
            }
            cases.push_back(make_case(kCaseNames[4], out, masked, all_fail,
                                      masked ? (out == Output::softmax ? "n in {1,2,17,1000}: every output 0"
                                                                       : "n in {1,2,17,1000}: every output -inf")
                                             : "n in {1,2,17,1000}: every output NaN"));

            // n = 0 writes nothing.
            std::string empty_fail;
            {
                float sentinel[2] = {-5.0f, -5.0f};
                const float in[1] = {3.0f};
                v.row(in, sentinel, 0, RowParams{out, masked});
                if (sentinel[0] != -5.0f || sentinel[1] != -5.0f)
                    empty_fail = format("n=0 wrote y[0]=%.9g", double(sentinel[0]));
            }
            cases.push_back(make_case(kCaseNames[5], out, masked, empty_fail, "n = 0: the output is untouched"));

            // n = 1.
            std::string one_fail;
            const float want = out == Output::softmax ? 1.0f : 0.0f;
            // Inside every variant's domain (naive: |x| <= 80), as tests/test_special.cpp.
            for (float t : {0.0f, 1.0f, -3.5f, 80.0f, -80.0f, 1e-30f}) {
                const float y = run(v, {t}, out, masked)[0];
                if (!(y == want)) {
                    one_fail = format("x=%.9g: y=%.9g, want %.9g", double(t), double(y), double(want));
                    break;
                }
            }
            cases.push_back(make_case(kCaseNames[6], out, masked, one_fail,
                                      out == Output::softmax ? "x in {0,1,-3.5,+-80,1e-30}: exactly 1"
                                                             : "x in {0,1,-3.5,+-80,1e-30}: exactly 0"));

            // In place.
            std::string inplace_fail;
            for (std::size_t n : kSizes) {
                const std::vector<float> x = make_row("normal_5", n, 11);
                const std::vector<float> y = run(v, x, out, masked);
                std::vector<float> z = x;
                v.row(z.data(), z.data(), n, RowParams{out, masked});
                if (std::memcmp(y.data(), z.data(), n * sizeof(float)) != 0) {
                    std::size_t i = 0;
                    while (i < n && std::bit_cast<std::uint32_t>(y[i]) == std::bit_cast<std::uint32_t>(z[i])) ++i;
                    inplace_fail = format("n=%zu: [%zu] in place %.9g, out of place %.9g", n, i, double(z[i]),
                                          double(y[i]));
                    break;
                }
            }
            cases.push_back(make_case(kCaseNames[7], out, masked, inplace_fail,
                                      "n in {1,2,17,1000}, normal_5: in place gives the same bits"));
        }
    }
    return cases;
}

// ---- bf16 outputs ----------------------------------------------------------------------------

// r is scaled by the power of two that makes the bf16 grid of its binade the integers (exact),
// and rounded there (nearbyint: the default mode, ties to even).
double round_bf16(double r, int binade) {
    const double q = std::ldexp(1.0, binade - 7);
    return std::nearbyint(r / q) * q;
}

Bf16Score score_bf16(const Variant& v, std::span<const std::uint16_t> y, const RowReference& r, Output out) {
    Bf16Score s;
    const double bound = out == Output::softmax ? v.max_ulp : v.max_ulp_log;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double e = r.exact[i];
        const float yf = bf16_to_float(y[i]);
        auto fail = [&](const char* what) {
            if (s.failure.empty()) {
                char buf[200];
                std::snprintf(buf, sizeof buf, "%s at %zu: y %a (bits 0x%04x), exact %a", what, i, double(yf),
                              unsigned(y[i]), e);
                s.failure = buf;
            }
        };
        if (std::isnan(e)) {
            if (!std::isnan(yf)) fail("want NaN");
        } else if (std::isinf(e) || e == 0) {
            if (!(double(yf) == e)) fail("want the exact special value");
        } else if (r.binade[i] >= -126) {
            const double ulp = std::fabs(double(yf) - e) / std::ldexp(1.0, r.binade[i] - 7);
            if (!(ulp <= s.max_ulp)) s.max_ulp = std::isnan(ulp) ? INFINITY : ulp;
            if (!(ulp <= bound)) fail("bf16 ULP bound");
            ++s.band;
            s.correct += double(yf) == round_bf16(e, r.binade[i]);
        } else {
            const double units = std::fabs(double(yf) - e) / std::ldexp(1.0, -133);
            const bool ok = units <= std::max(bound, 1.0) || (v.subnormal == Subnormal::flush && yf == 0);
            if (!ok) fail("subnormal band");
        }
    }
    return s;
}

}  // namespace smb::ref
