// MPFR reference for cross-entropy with logits. With m the row max and k an argmax (the target
// when it is one):
//   d_j  = x_j - m                    exact (300 bits hold the difference of any two floats)
//   rest = sum_{j != k} exp(d_j)      at precision_bits + 64 guard bits
//   log S = log1p(rest)               so lse - x_t = -d_t + log1p(rest) keeps its relative
//                                     accuracy however close p_t is to 1
//   loss = (1 - eps)(log S - d_t) + eps (log S - (1/n) sum_j d_j)
//   grad_j = (exp(d_j) / S - q_j) scale; at an argmax target p_t - 1 = -rest / S.
#include "reference/cross_entropy.hpp"

#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/reference.hpp"

namespace smb::ref {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct M {
    explicit M(mpfr_prec_t p) { mpfr_init2(v, p); }
    ~M() { mpfr_clear(v); }
    M(const M&) = delete;
    M& operator=(const M&) = delete;
    mpfr_t v;
};

struct CacheRelease {
    ~CacheRelease() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }
};
thread_local CacheRelease release_cache_at_thread_exit;

void put(mpfr_srcptr v, double& out, int& binade) {
    out = mpfr_get_d(v, MPFR_RNDN);
    binade = mpfr_regular_p(v) ? static_cast<int>(mpfr_get_exp(v) - 1) : 0;
}

}  // namespace

CrossEntropyReference cross_entropy_reference(std::span<const float> x, std::size_t t, double eps, double scale,
                                              int precision_bits) {
    (void)release_cache_at_thread_exit;
    const std::size_t n = x.size();
    if (t >= n) throw std::invalid_argument("cross_entropy_reference: target out of range");
    CrossEntropyReference r;
    r.grad.assign(n, 0.0);
    r.grad_binade.assign(n, 0);
    r.p.assign(n, 0.0);
    r.q.assign(n, eps / double(n));
    r.q[t] = 1.0 - eps + eps / double(n);
    bool poison = false;
    float m = -std::numeric_limits<float>::infinity();
    std::size_t k = 0;
    for (std::size_t j = 0; j < n; ++j) {
        if (std::isnan(x[j]) || x[j] == std::numeric_limits<float>::infinity()) poison = true;
        else if (x[j] > m || (x[j] == m && j == t)) m = x[j], k = j;
    }
    if (poison || m == -std::numeric_limits<float>::infinity()) {
        r.loss = kNaN;
        for (auto& g : r.grad) g = kNaN;
        for (auto& p : r.p) p = kNaN;
        return r;
    }
    const mpfr_prec_t prec = precision_bits, wide = precision_bits + 64;
    M d(300), e(prec), rest(wide), logs(wide), s(wide), gap(wide), tmp(wide), lt(wide), loss(wide), g(prec);
    mpfr_set_zero(rest.v, 1);
    mpfr_set_zero(gap.v, 1);
    bool gap_inf = false;
    for (std::size_t j = 0; j < n; ++j) {
        if (x[j] == -std::numeric_limits<float>::infinity()) {
            gap_inf = true;
            continue;
        }
        mpfr_set_flt(d.v, x[j], MPFR_RNDN);
        mpfr_sub_d(d.v, d.v, double(m), MPFR_RNDN);  // exact
        mpfr_sub(gap.v, gap.v, d.v, MPFR_RNDN);      // sum_j (m - x_j)
        if (j == k) continue;
        mpfr_exp(e.v, d.v, MPFR_RNDN);
        mpfr_add(rest.v, rest.v, e.v, MPFR_RNDN);
    }
    mpfr_log1p(logs.v, rest.v, MPFR_RNDN);
    mpfr_add_ui(s.v, rest.v, 1, MPFR_RNDN);
    // loss
    const bool target_ninf = x[t] == -std::numeric_limits<float>::infinity();
    if (target_ninf && eps < 1.0) r.loss = kInf;
    else if (gap_inf && eps > 0.0) r.loss = kInf;
    else {
        mpfr_set_d(lt.v, double(m), MPFR_RNDN);
        if (!target_ninf) mpfr_sub_d(lt.v, lt.v, double(x[t]), MPFR_RNDN);  // m - x_t, exact at this width
        mpfr_add(lt.v, lt.v, logs.v, MPFR_RNDN);
        mpfr_mul_d(loss.v, lt.v, 1.0 - eps, MPFR_RNDN);  // 1 - eps is exact for a float eps
        if (eps > 0) {
            mpfr_div_ui(tmp.v, gap.v, static_cast<unsigned long>(n), MPFR_RNDN);
            mpfr_add(tmp.v, tmp.v, logs.v, MPFR_RNDN);
            mpfr_mul_d(tmp.v, tmp.v, eps, MPFR_RNDN);
            mpfr_add(loss.v, loss.v, tmp.v, MPFR_RNDN);
        }
        put(loss.v, r.loss, r.loss_binade);
    }
    // gradient
    M q(wide), p(wide);
    for (std::size_t j = 0; j < n; ++j) {
        if (x[j] == -std::numeric_limits<float>::infinity()) {
            mpfr_set_zero(p.v, 1);
        } else if (j == k && j == t) {  // p_t - 1 = -rest / S, q_t - 1 = -eps + eps / n
            mpfr_div(p.v, rest.v, s.v, MPFR_RNDN);
            mpfr_neg(p.v, p.v, MPFR_RNDN);
            mpfr_set_d(q.v, eps, MPFR_RNDN);
            mpfr_div_ui(tmp.v, q.v, static_cast<unsigned long>(n), MPFR_RNDN);
            mpfr_sub(q.v, q.v, tmp.v, MPFR_RNDN);  // eps (1 - 1/n)
            mpfr_add(g.v, p.v, q.v, MPFR_RNDN);
            mpfr_mul_d(g.v, g.v, scale, MPFR_RNDN);
            put(g.v, r.grad[j], r.grad_binade[j]);
            r.p[j] = 1.0 + mpfr_get_d(p.v, MPFR_RNDN);
            continue;
        } else {
            mpfr_set_flt(d.v, x[j], MPFR_RNDN);
            mpfr_sub_d(d.v, d.v, double(m), MPFR_RNDN);
            mpfr_exp(p.v, d.v, MPFR_RNDN);
            mpfr_div(p.v, p.v, s.v, MPFR_RNDN);
        }
        r.p[j] = mpfr_get_d(p.v, MPFR_RNDN);
        mpfr_set_d(q.v, eps, MPFR_RNDN);
        mpfr_div_ui(q.v, q.v, static_cast<unsigned long>(n), MPFR_RNDN);
        if (j == t) {
            mpfr_set_d(tmp.v, 1.0 - eps, MPFR_RNDN);
            mpfr_add(q.v, q.v, tmp.v, MPFR_RNDN);
        }
        mpfr_sub(g.v, p.v, q.v, MPFR_RNDN);
        mpfr_mul_d(g.v, g.v, scale, MPFR_RNDN);
        put(g.v, r.grad[j], r.grad_binade[j]);
    }
    return r;
}

namespace {

// The loss bound of a variant for this eps (variants/list.inc): ce_log_softmax with eps = 0
// returns -logp_t of its log_softmax, so it is within that forward variant's log bound.
double loss_bound(const Variant& v, double eps) {
    if (v.algorithm == Algorithm::ce_log_softmax && eps == 0) {
        const std::string fwd = "max_shifted." + std::string(to_string(v.isa));
        return find_variant(fwd)->max_ulp_log;
    }
    return v.max_ulp;
}

// Absolute slack where a fast tier's float exps flush or lose their relative accuracy below
// 2^-126 (list.inc: A).
double abs_slack(const Variant& v, std::size_t n, double scale) {
    return v.tier == Tier::accurate ? std::ldexp(1.0, -149) : double(n) * std::ldexp(1.0, -125) * std::fabs(scale);
}


}  // namespace

namespace {

// The loss and the gradient g (as doubles, from float32 or bf16 outputs of grad_bits significant
// bits: 24 or 8) against the reference and the bounds: a float32 gradient within
// k 2^-24 (p_j w_j + q_j) |scale| + A (accurate: 0.5 ULP + 2^-40 (p + q) |scale|); a bf16
// gradient within half a bf16 ULP more (accurate: 0.5 bf16 ULP + 2^-40 (p + q) |scale|, the one
// rounding of the double result). Variants that flush may return 0 below 2^-126.
void check_outputs(const Variant& v, std::size_t n, std::size_t t, float eps, float scale,
                   const CrossEntropyReference& r, double loss, double loss_only, const std::vector<double>& g,
                   int grad_bits, CrossEntropyCheck& out) {
    char buf[400];
    if (!(loss == loss_only || (std::isnan(loss) && std::isnan(loss_only)))) {
        std::snprintf(buf, sizeof buf, "loss %.9g with the gradient, %.9g without", loss, loss_only);
        out.failure = buf;
        return;
    }
    const float lf = float(loss);
    const double ue = ulp_error(lf, r.loss, r.loss_binade);
    out.loss_ulp = ue;
    const double lb = loss_bound(v, eps);
    const bool fast = v.tier != Tier::accurate;
    if (!(ue <= lb) && !(fast && std::fabs(double(lf) - r.loss) <= abs_slack(v, n, 1.0))) {
        std::snprintf(buf, sizeof buf, "loss %.9g exact %.17g: %.3g ULP > %.3g", double(lf), r.loss, ue, lb);
        out.failure = buf;
    }
    const double flush = v.subnormal == Subnormal::flush ? std::ldexp(1.0, -126) : 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        const double e = r.grad[j];
        if (std::isnan(e) || std::isnan(g[j])) {
            if (std::isnan(e) != std::isnan(g[j])) {
                std::snprintf(buf, sizeof buf, "grad[%zu] = %.9g, exact %.9g", j, g[j], e);
                if (out.failure.empty()) out.failure = buf;
                out.grad_ratio = std::numeric_limits<double>::infinity();
            }
            continue;
        }
        const double err = std::fabs(g[j] - e);
        const double unit = std::ldexp(1.0, std::max(r.grad_binade[j], -126) - (grad_bits - 1));
        double w = 1.0;
        if (v.algorithm == Algorithm::ce_log_softmax && r.p[j] > 0) w = 1.0 + std::fabs(std::log(r.p[j]));
        double bound = v.max_ulp_log * std::ldexp(1.0, -24) * (r.p[j] * w + r.q[j]) * std::fabs(double(scale)) + abs_slack(v, n, scale);
        if (grad_bits < 24) bound += 0.5 * unit;  // the final rounding to bf16
        if (v.tier == Tier::accurate)  // 0.5 ULP plus the double pipeline's 2^-44 (p + q) |scale|
            bound = 0.501 * unit + std::ldexp(1.0, -40) * (r.p[j] + r.q[j]) * std::fabs(double(scale));
        if (std::fabs(e) < std::ldexp(1.0, -126)) bound += flush;
        out.grad_ratio = std::max(out.grad_ratio, bound > 0 ? err / bound : (err > 0 ? std::numeric_limits<double>::infinity() : 0.0));
        if (grad_bits < 24 && std::isfinite(e) && std::fabs(e) >= std::ldexp(1.0, -126)) {  // normal band
            ++out.grad_outputs;
            out.grad_correct += g[j] == round_bf16(e, r.grad_binade[j]);
            out.grad_ulp = std::max(out.grad_ulp, err / unit);
        }
        if (!(err <= bound) && out.failure.empty()) {
            std::snprintf(buf, sizeof buf, "grad[%zu] (target %zu) = %.9g, exact %.17g: |err| %.3g > %.3g (p %.3g q %.3g)",
                          j, t, g[j], e, err, bound, r.p[j], r.q[j]);
            out.failure = buf;
        }
    }
}

}  // namespace

CrossEntropyCheck check_cross_entropy_outputs(const Variant& v, std::size_t t, float eps, float scale,
                                              const CrossEntropyReference& r, double loss,
                                              const std::vector<double>& grad, int grad_bits) {
    CrossEntropyCheck out;
    check_outputs(v, grad.size(), t, eps, scale, r, loss, loss, grad, grad_bits, out);
    return out;
}

CrossEntropyCheck check_cross_entropy(const Variant& v, std::span<const float> x, std::size_t t, float eps,
                                      float scale, const CrossEntropyReference& r, bool in_place) {
    CrossEntropyCheck out;
    const std::size_t n = x.size();
    CrossEntropyRowParams p;
    p.label_smoothing = eps;
    p.grad_scale = scale;
    std::vector<float> g(n, 12345.0f), xc(x.begin(), x.end());
    const double loss = in_place ? v.cross_entropy(xc.data(), t, xc.data(), n, p) : v.cross_entropy(x.data(), t, g.data(), n, p);
    if (in_place) g = xc;
    const double loss_only = v.cross_entropy(x.data(), t, nullptr, n, p);
    check_outputs(v, n, t, eps, scale, r, loss, loss_only, std::vector<double>(g.begin(), g.end()), 24, out);
    return out;
}

namespace {

// Rows of n logits with target n / 2 at 0 and the rest near -L, L such that rest = 2^-40.
std::vector<float> dominant_row(std::size_t n, std::size_t t) {
    const double L = 40 * std::log(2.0) + std::log(double(std::max<std::size_t>(n, 2) - 1));
    std::vector<float> x(n);
    for (std::size_t j = 0; j < n; ++j) x[j] = float(-L + 0.25 * std::sin(double(j)));
    x[t] = 0.0f;
    return x;
}

}  // namespace

std::vector<CrossEntropyCase> cross_entropy_cases(std::span<const std::string_view> dists,
                                                  std::span<const std::size_t> sizes, std::size_t max_n) {
    std::vector<CrossEntropyCase> cases;
    for (std::string_view d : dists)
        for (std::size_t n : sizes) {
            if (n > max_n) continue;
            std::vector<float> x = make_row(d, n, 42);
            std::size_t am = 0;
            for (std::size_t j = 1; j < n; ++j)
                if (x[j] > x[am]) am = j;
            const std::size_t other = (am + 1 + n / 3) % n;
            cases.push_back({std::string(d), n, am, "argmax", 0.0f, x});
            cases.push_back({std::string(d), n, other, "other", 0.0f, x});
            cases.push_back({std::string(d), n, other, "other", 0.1f, x});
        }
    for (std::size_t n : sizes)
        if (n <= max_n) cases.push_back({"dominant_target", n, n / 2, "argmax", 0.0f, dominant_row(n, n / 2)});
    return cases;
}

CrossEntropyCheck check_cross_entropy_bf16(const Variant& v, std::span<const std::uint16_t> x, std::size_t t,
                                           float eps, float scale, const CrossEntropyReference& r, bool in_place) {
    CrossEntropyCheck out;
    const std::size_t n = x.size();
    CrossEntropyRowParams p;
    p.label_smoothing = eps;
    p.grad_scale = scale;
    std::vector<double> g(n);
    double loss = 0, loss_only = 0;
    if (v.dtype == Dtype::bf16) {
        std::vector<std::uint16_t> g16(n, 0x1234), xc(x.begin(), x.end());
        loss = in_place ? v.cross_entropy_bf16(xc.data(), t, xc.data(), n, p)
                        : v.cross_entropy_bf16(x.data(), t, g16.data(), n, p);
        if (in_place) g16 = xc;
        loss_only = v.cross_entropy_bf16(x.data(), t, nullptr, n, p);
        for (std::size_t j = 0; j < n; ++j) g[j] = bf16_to_float(g16[j]);
    } else if (v.dtype == Dtype::bf16_f32) {
        std::vector<float> g32(n, 12345.0f);
        loss = v.cross_entropy_bf16_f32(x.data(), t, g32.data(), n, p);
        loss_only = v.cross_entropy_bf16_f32(x.data(), t, nullptr, n, p);
        for (std::size_t j = 0; j < n; ++j) g[j] = g32[j];
    } else {
        throw std::invalid_argument("check_cross_entropy_bf16: variant '" + std::string(v.name) + "' is not a bf16 dtype");
    }
    check_outputs(v, n, t, eps, scale, r, loss, loss_only, g, v.dtype == Dtype::bf16 ? 8 : 24, out);
    return out;
}

}  // namespace smb::ref
