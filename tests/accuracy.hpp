// Shared by the accuracy tests: run a variant on a row and compare with the MPFR reference.
#pragma once
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::test {

// The rows a variant promises to handle. naive is exact only while no exp overflows or every
// one underflows: |x| <= 80 keeps sum exp(x) finite and its largest term normal.
inline bool in_domain(const Variant& v, std::span<const float> x) {
    if (v.algorithm != Algorithm::naive) return true;
    for (float t : x)
        if (std::isfinite(t) && std::fabs(t) > 80.0f) return false;
    return true;
}

// Entries whose exact value is NaN, +-inf or 0 must match exactly; measure() counts those that
// do not. One exception: a log_softmax form without a ULP bound (x - log sum, no max) cannot
// give an exact 0 (one finite entry among -inf ones) except by luck; there the 0 is held to
// the absolute contract instead. NaN and infinities still must match exactly.
inline std::size_t special_mismatches(const Variant& v, std::span<const float> y, const ref::RowReference& r, Output out) {
    std::size_t bad = ref::measure(y, r, out).special_mismatches;
    if (out != Output::log_softmax || !std::isinf(v.max_ulp_log)) return bad;
    for (std::size_t i = 0; i < y.size(); ++i)
        if (r.exact[i] == 0.0 && y[i] != 0.0f && std::fabs(y[i]) <= 0x1p-20f) --bad;
    return bad;
}

struct Check {
    ref::Metrics m;
    double bound = 0;
    std::string failure;  // empty when the variant met its contract on this row
};

// Absolute-error contract every log_softmax output meets: |y - exact| <= 2^-20 * (1 + |exact|).
// For forms without a ULP bound (max_ulp_log = inf) it is the contract; for the rest a floor.
// The unsafe tier (naive: x - log of a float sum) promises nothing for log_softmax.
inline double log_abs_excess(std::span<const float> y, const ref::RowReference& r, std::size_t& where) {
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double e = r.exact[i];
        if (!std::isfinite(e)) continue;
        const double excess = std::fabs(double(y[i]) - e) / (0x1p-20 * (1.0 + std::fabs(e)));
        if (!(excess <= worst)) {
            worst = excess;
            where = i;
        }
    }
    return worst;
}

// Runs v on x (out of place) and checks: normal-band max ULP <= the documented bound, every
// special entry exact, the subnormal band by the variant's policy (gradual: within
// max(bound, 1) units of 2^-149; flush: 0 or within that), and for log_softmax the absolute
// contract above.
inline Check check_row(const Variant& v, std::span<const float> x, const ref::RowReference& r, Output out) {
    std::vector<float> y(x.size(), -12345.0f);
    v.row(x.data(), y.data(), x.size(), RowParams{out, false});
    Check c;
    c.m = ref::measure(y, r, out);
    c.bound = out == Output::softmax ? v.max_ulp : v.max_ulp_log;
    char buf[512];
    if (!(c.m.max_ulp <= c.bound)) {
        const std::size_t i = c.m.worst_index;
        std::snprintf(buf, sizeof buf, "max ULP %.3g > bound %.3g at [%zu]: x=%.9g y=%.9g exact=%.17g",
                      c.m.max_ulp, c.bound, i, double(x[i]), double(y[i]), r.exact[i]);
        c.failure = buf;
    } else if (std::size_t at = 0; out == Output::log_softmax && v.tier != "unsafe" && !(log_abs_excess(y, r, at) <= 1.0)) {
        std::snprintf(buf, sizeof buf, "log_softmax absolute error above 2^-20*(1+|exact|) at [%zu]: y=%.9g exact=%.17g",
                      at, double(y[at]), r.exact[at]);
        c.failure = buf;
    } else if (special_mismatches(v, y, r, out) != 0) {
        std::snprintf(buf, sizeof buf, "%zu special entries (NaN, inf or exact 0) wrong", c.m.special_mismatches);
        c.failure = buf;
    } else if (c.m.subnormal_count > 0) {
        // Subnormal band: gradual must be within max(bound, 1) units of 2^-149; flush may
        // also return 0, but a non-zero result must still be within that.
        const double sub_bound = std::max(c.bound, 1.0);
        for (std::size_t i = 0; i < y.size() && c.failure.empty(); ++i) {
            const double e = std::fabs(r.exact[i]);
            if (!(e > 0 && e < 0x1p-126)) continue;
            if (v.subnormal == Subnormal::flush && y[i] == 0.0f) continue;
            const double u = ref::ulp_error(y[i], r.exact[i]);
            if (!(u <= sub_bound)) {
                std::snprintf(buf, sizeof buf, "subnormal band (%s) at [%zu]: y=%.9g exact=%.17g, %.3g units of 2^-149 > %.3g",
                              std::string(to_string(v.subnormal)).c_str(), i, double(y[i]), r.exact[i], u, sub_bound);
                c.failure = buf;
            }
        }
    }
    return c;
}

}  // namespace smb::test
