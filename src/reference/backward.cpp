// The MPFR reference of the backward (op backward) and its scoring against the documented bound
// (declarations and the bound's terms: softmaxbench/reference.hpp; derivation: variants/list.inc).
#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <stdexcept>
#include <string>

#include "reference/distributions.hpp"
#include "softmaxbench/reference.hpp"

namespace smb::ref {
namespace {

constexpr double kU = 0x1p-24;

// n MPFR variables of one precision, cleared with the scope.
class MpfrVec {
public:
    MpfrVec(std::size_t n, mpfr_prec_t prec) : v_(n), p_(n) {
        for (std::size_t i = 0; i < n; ++i) {
            mpfr_init2(&v_[i], prec);
            p_[i] = &v_[i];
        }
    }
    ~MpfrVec() {
        for (auto& x : v_) mpfr_clear(&x);
    }
    MpfrVec(const MpfrVec&) = delete;
    MpfrVec& operator=(const MpfrVec&) = delete;
    mpfr_ptr operator[](std::size_t i) { return &v_[i]; }
    mpfr_ptr* ptrs() { return p_.data(); }

private:
    std::vector<__mpfr_struct> v_;
    std::vector<mpfr_ptr> p_;
};

}  // namespace

BackwardReference backward_reference(std::span<const float> y, std::span<const float> dy, Output out,
                                     int precision_bits) {
    const std::size_t n = y.size();
    BackwardReference r;
    r.exact.resize(n);
    r.binade.resize(n);
    r.sigma.resize(n);
    r.eta.resize(n);
    if (n == 0) return r;
    const mpfr_prec_t prec = precision_bits;
    // The terms of the sum, exact: a product of two floats has at most 48 significant bits.
    MpfrVec terms(n, 64);
    double abs_sum = 0;  // sum |y_j dy_j| (softmax) or sum |dy_j| (log), for the bound
    for (std::size_t j = 0; j < n; ++j) {
        if (out == Output::softmax) {
            mpfr_set_flt(terms[j], y[j], MPFR_RNDN);
            mpfr_mul_d(terms[j], terms[j], double(dy[j]), MPFR_RNDN);
            abs_sum += std::fabs(double(y[j]) * double(dy[j]));
        } else {
            mpfr_set_flt(terms[j], dy[j], MPFR_RNDN);
            abs_sum += std::fabs(double(dy[j]));
        }
    }
    mpfr_t s, t, e;
    mpfr_init2(s, prec + 64);
    mpfr_init2(t, prec);
    mpfr_init2(e, prec);
    mpfr_sum(s, terms.ptrs(), n, MPFR_RNDN);
    for (std::size_t i = 0; i < n; ++i) {
        if (out == Output::softmax) {
            mpfr_set_flt(t, dy[i], MPFR_RNDN);
            mpfr_sub(t, t, s, MPFR_RNDN);
            mpfr_mul_d(t, t, double(y[i]), MPFR_RNDN);
            r.sigma[i] = std::fabs(double(y[i])) * (std::fabs(double(dy[i])) + abs_sum);
            r.eta[i] = 0x1p-149 * (1.0 + double(n) * std::fabs(double(y[i])));
        } else {
            mpfr_set_flt(e, y[i], MPFR_RNDN);
            mpfr_exp(e, e, MPFR_RNDN);
            mpfr_mul(e, e, s, MPFR_RNDN);
            mpfr_set_flt(t, dy[i], MPFR_RNDN);
            mpfr_sub(t, t, e, MPFR_RNDN);
            r.sigma[i] = std::fabs(double(dy[i])) + std::exp(double(y[i])) * abs_sum;
            r.eta[i] = 0x1p-149 + 0x1p-126 * abs_sum;
        }
        r.exact[i] = mpfr_get_d(t, MPFR_RNDN);
        r.binade[i] = mpfr_regular_p(t) ? static_cast<int>(mpfr_get_exp(t) - 1) : 0;
    }
    mpfr_clear(s);
    mpfr_clear(t);
    mpfr_clear(e);
    return r;
}

BackwardScore score_backward(std::span<const float> dx, const BackwardReference& r) {
    BackwardScore sc;
    const std::size_t n = dx.size();
    const double cond_limit = 0.25 / ((double(n) + 3.0) * 0x1p-29);
    for (std::size_t i = 0; i < n; ++i) {
        const double ex = r.exact[i], got = double(dx[i]);
        if (std::isnan(ex) || std::isinf(ex)) {
            const bool same = std::isnan(ex) ? std::isnan(got) : got == ex;
            if (!same) ++sc.special_mismatches;
            continue;
        }
        double k = 0;
        if (!std::isfinite(got)) {
            k = std::numeric_limits<double>::infinity();
        } else {
            const double over = std::fabs(got - ex) - r.eta[i];
            if (over > 0) k = r.sigma[i] > 0 ? over / (kU * r.sigma[i]) : std::numeric_limits<double>::infinity();
        }
        if (k > sc.excess_k || (std::isnan(k) && !std::isnan(sc.excess_k))) {
            sc.excess_k = k;
            sc.worst_index = i;
        }
        if (ex != 0 && r.binade[i] >= -126 && r.sigma[i] <= cond_limit * std::fabs(ex)) {
            ++sc.conditioned;
            const double ulp = ulp_error(dx[i], ex, r.binade[i]);
            if (ulp > sc.max_ulp_conditioned) sc.max_ulp_conditioned = ulp;
        }
    }
    return sc;
}

std::span<const std::string_view> backward_dy_kinds() {
    static constexpr std::string_view kKinds[] = {"normal", "positive", "onehot", "constant", "huge"};
    return kKinds;
}

std::vector<float> backward_input(std::span<const float> x, Output out) {
    double m = -INFINITY;
    for (float v : x) m = std::max(m, double(v));
    double s = 0;
    for (float v : x) s += std::exp(double(v) - m);
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        y[i] = float(out == Output::softmax ? std::exp(double(x[i]) - m) / s : (double(x[i]) - m) - std::log(s));
    return y;
}

std::vector<float> make_dy(std::string_view kind, std::span<const float> y, Output out, std::uint64_t seed) {
    const std::size_t n = y.size();
    std::vector<float> dy = make_row("normal_1", n, seed);
    if (kind == "normal") {
    } else if (kind == "positive") {
        for (float& v : dy) v = std::fabs(v) + 0.5f;
    } else if (kind == "onehot") {
        std::size_t t = 0;
        for (std::size_t i = 1; i < n; ++i)
            if (y[i] > y[t]) t = i;
        for (float& v : dy) v = 0.0f;
        if (n > 0) dy[t] = out == Output::softmax ? -1.0f / y[t] : -1.0f;
    } else if (kind == "constant") {
        for (float& v : dy) v = 3.0f;
    } else if (kind == "huge") {
        for (float& v : dy) v *= 0x1p40f;
    } else {
        throw std::invalid_argument("unknown dy kind '" + std::string(kind) + "'");
    }
    return dy;
}

}  // namespace smb::ref
