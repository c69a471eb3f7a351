#include "check.hpp"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "reference/scoring.hpp"
#include "softmaxbench/reference.hpp"

namespace smb::bench {
namespace {

std::uint64_t hash_row(std::span<const float> x) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the bit patterns
    for (float v : x) {
        std::uint32_t b;
        std::memcpy(&b, &v, sizeof b);
        h = (h ^ b) * 1099511628211ull;
    }
    return h;
}

using Key = std::tuple<std::size_t, int, std::uint64_t>;  // cols, output, input hash

const smb::ref::RowReference& mpfr_reference(std::span<const float> x, Output out) {
    static std::map<Key, smb::ref::RowReference> cache;
    const Key key{x.size(), static_cast<int>(out), hash_row(x)};
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, smb::ref::reference_row(x, out)).first;
    return it->second;
}

// Shift and compensated sum of the double reference; the row values are recomputed from x.
struct DoubleRef {
    double m = 0, s = 0, log_s = 0;
};

const DoubleRef& double_reference(std::span<const float> x) {
    static std::map<Key, DoubleRef> cache;
    const Key key{x.size(), 0, hash_row(x)};  // (m, s) serve both outputs
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    double m = -std::numeric_limits<double>::infinity();
    for (float v : x) m = std::fmax(m, static_cast<double>(v));
    double sum = 0, comp = 0;  // Neumaier: comp collects the low-order parts lost by sum
    for (float v : x) {
        const double e = std::exp(static_cast<double>(v) - m);
        const double t = sum + e;
        comp += std::fabs(sum) >= std::fabs(e) ? (sum - t) + e : (e - t) + sum;
        sum = t;
    }
    DoubleRef r;
    r.m = m;
    r.s = sum + comp;
    r.log_s = std::log(r.s);
    return cache.emplace(key, r).first->second;
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// The binade of the exact value behind the double reference r (relative error ~1e-15): r's
// own, except within 2^-40 above a power of two, where the exact value may lie below it; the
// lower binade is taken there (the larger ULP error), so no error is halved.
int double_ref_binade(double r) {
    const int b = smb::ref::exact_binade(r);
    return std::fabs(r) < std::ldexp(1.0 + 0x1p-40, b) ? b - 1 : b;
}

// Error of one output against the exact value r, whose binade is `binade` (the ULP unit); +inf
// for a non-finite output where r is finite.
double element_error(float y, double r, int binade, Metric metric) {
    if (!std::isfinite(y)) return std::numeric_limits<double>::infinity();
    const double d = std::fabs(static_cast<double>(y) - r);
    switch (metric) {
        case Metric::ulp: return smb::ref::ulp_error(y, r, binade);
        case Metric::rel: return d / std::fabs(r);
        case Metric::abs: return d;
        case Metric::exact: return d;
    }
    return d;
}

// Relative and ULP errors are scored on the normal band only (exact |r| >= FLT_MIN: binade
// >= -126), as the project's accuracy metrics do; absolute error (log_softmax) on every finite
// reference value.
bool in_band(double r, int binade, Metric metric) {
    if (!std::isfinite(r)) return false;
    return metric == Metric::abs || (r != 0.0 && binade >= -126);
}

const char* metric_name(Metric m) {
    switch (m) {
        case Metric::ulp: return "ulp";
        case Metric::rel: return "rel err";
        case Metric::abs: return "abs err";
        case Metric::exact: return "diff";
    }
    return "?";
}

}  // namespace

CheckResult check_row(std::span<const float> x0, std::span<const float> y0, Output out, const Variant* v,
                      Metric metric) {
    CheckResult res;
    if (metric == Metric::exact) {
        res.reference = "input";
        res.bound = 0;
        res.ok = x0.size() == y0.size() &&
                 std::memcmp(x0.data(), y0.data(), x0.size_bytes()) == 0;
        res.error = res.ok ? 0 : 1;
        res.summary = res.ok ? "copy exact" : "copy differs from the input";
        return res;
    }

    double err = 0, ulp = 0;
    std::string failure;  // ours: the contract a test would report broken
    if (x0.size() <= kMpfrMaxCols) {
        res.reference = "mpfr";
        const smb::ref::RowReference& ref = mpfr_reference(x0, out);
        if (v != nullptr) {
            // Ours: judged exactly as the tests judge it (bound, log_softmax's absolute contract,
            // special entries, subnormal policy).
            const smb::ref::Check c = smb::ref::check_output(*v, x0, y0, ref, out);
            err = ulp = c.m.max_ulp;
            res.bound = c.bound;
            failure = c.failure;
        } else {
            res.bound = metric == Metric::rel ? kPeerRelBound : kPeerAbsBound;
            ulp = smb::ref::measure(y0, ref, out).max_ulp;
            for (std::size_t i = 0; i < y0.size(); ++i)
                if (in_band(ref.exact[i], ref.binade[i], metric))
                    err = std::fmax(err, element_error(y0[i], ref.exact[i], ref.binade[i], metric));
        }
    } else {
        res.reference = "double";
        res.bound = v != nullptr ? (out == Output::softmax ? v->max_ulp : v->max_ulp_log) + kDoubleRefUlpMargin
                    : metric == Metric::rel ? kPeerRelBound
                                            : kPeerAbsBound;
        const DoubleRef& d = double_reference(x0);
        for (std::size_t i = 0; i < y0.size(); ++i) {
            const double sh = static_cast<double>(x0[i]) - d.m;
            const double r = out == Output::softmax ? std::exp(sh) / d.s : sh - d.log_s;
            const int b = double_ref_binade(r);
            if (in_band(r, b, Metric::ulp)) ulp = std::fmax(ulp, element_error(y0[i], r, b, Metric::ulp));
            if (v == nullptr && in_band(r, b, metric)) err = std::fmax(err, element_error(y0[i], r, b, metric));
        }
        if (v != nullptr) err = ulp;
    }
    if (std::isnan(err)) err = std::numeric_limits<double>::infinity();
    res.max_ulp = std::isnan(ulp) ? std::numeric_limits<double>::infinity() : ulp;
    res.error = err;
    res.ok = err <= res.bound && failure.empty();
    const char* num = metric == Metric::ulp ? "%.3g" : "%.2e";
    res.summary = "max " + fmt(num, err) + " " + metric_name(metric) + (err <= res.bound ? " <= " : " > ") +
                  fmt(num, res.bound) + " (" + res.reference + " ref, row 0)";
    if (!failure.empty() && err <= res.bound) res.summary += "; " + failure;
    return res;
}

}  // namespace smb::bench
