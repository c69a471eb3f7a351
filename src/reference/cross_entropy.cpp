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

#include <cmath>
#include <limits>
#include <stdexcept>

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

}  // namespace smb::ref
