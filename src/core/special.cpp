#include "detail/special.hpp"

#include <cmath>
#include <limits>

namespace smb::detail {

void fill(float* y, std::size_t n, float v) {
    for (std::size_t i = 0; i < n; ++i) y[i] = v;
}

void fill_nan(float* y, std::size_t n) { fill(y, n, std::numeric_limits<float>::quiet_NaN()); }

bool any_nan(const float* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (std::isnan(x[i])) return true;
    return false;
}

float masked_value(Output o) {
    return o == Output::softmax ? 0.0f : -std::numeric_limits<float>::infinity();
}

bool special_by_max(const float* x, float* y, std::size_t n, float m, bool saw_nan, RowParams p) {
    if (saw_nan || std::isnan(m) || m == std::numeric_limits<float>::infinity()) {
        fill_nan(y, n);
        return true;
    }
    if (m == -std::numeric_limits<float>::infinity()) {
        // Every entry is -inf, unless a NaN hid from a NaN-dropping max.
        if (p.masked_safe && !any_nan(x, n))
            fill(y, n, masked_value(p.output));
        else
            fill_nan(y, n);
        return true;
    }
    return false;
}

bool special_by_scan(const float* x, float* y, std::size_t n, RowParams p) {
    bool finite_seen = false;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isnan(v) || v == std::numeric_limits<float>::infinity()) {
            fill_nan(y, n);
            return true;
        }
        if (v != -std::numeric_limits<float>::infinity()) finite_seen = true;
    }
    if (finite_seen) return false;
    if (p.masked_safe)
        fill(y, n, masked_value(p.output));
    else
        fill_nan(y, n);
    return true;
}

void single(const float* x, float* y, RowParams p) {
    if (std::isfinite(x[0])) y[0] = p.output == Output::softmax ? 1.0f : 0.0f;
    else special_by_scan(x, y, 1, p);
}

}  // namespace smb::detail
