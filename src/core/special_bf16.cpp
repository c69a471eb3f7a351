// Special-value handling for the bf16 dtypes: the policy of softmax.hpp, as in special.cpp, with
// bf16 logits (raw bits) and bf16 or float outputs. Baseline flags only (see detail/special.hpp).
#include <cmath>
#include <limits>
#include <type_traits>

#include "detail/special.hpp"
#include "softmaxbench/bf16.hpp"

namespace smb::detail {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

template <class Ty>
void fill_t(Ty* y, std::size_t n, float v) {
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<Ty, float>) y[i] = v;
        else y[i] = float_to_bf16(v);
    }
}

bool any_nan_bf16(const std::uint16_t* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (std::isnan(bf16_to_float(x[i]))) return true;
    return false;
}

template <class Ty>
bool by_max(const std::uint16_t* x, Ty* y, std::size_t n, float m, bool saw_nan, RowParams p) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (saw_nan || std::isnan(m) || m == kInf) {
        fill_t(y, n, nan);
        return true;
    }
    if (m == -kInf) {
        if (p.masked_safe && !any_nan_bf16(x, n)) fill_t(y, n, masked_value(p.output));
        else fill_t(y, n, nan);
        return true;
    }
    return false;
}

template <class Ty>
bool by_scan(const std::uint16_t* x, Ty* y, std::size_t n, RowParams p) {
    bool finite_seen = false;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = bf16_to_float(x[i]);
        if (std::isnan(v) || v == kInf) {
            fill_t(y, n, std::numeric_limits<float>::quiet_NaN());
            return true;
        }
        if (v != -kInf) finite_seen = true;
    }
    if (finite_seen) return false;
    fill_t(y, n, p.masked_safe ? masked_value(p.output) : std::numeric_limits<float>::quiet_NaN());
    return true;
}

template <class Ty>
void single_t(const std::uint16_t* x, Ty* y, RowParams p) {
    if (std::isfinite(bf16_to_float(x[0]))) fill_t(y, 1, p.output == Output::softmax ? 1.0f : 0.0f);
    else by_scan(x, y, 1, p);
}

}  // namespace

void fill_nan(std::uint16_t* y, std::size_t n) { fill_t(y, n, std::numeric_limits<float>::quiet_NaN()); }
bool special_by_max(const std::uint16_t* x, std::uint16_t* y, std::size_t n, float m, bool saw_nan, RowParams p) {
    return by_max(x, y, n, m, saw_nan, p);
}
bool special_by_max(const std::uint16_t* x, float* y, std::size_t n, float m, bool saw_nan, RowParams p) {
    return by_max(x, y, n, m, saw_nan, p);
}
bool special_by_scan(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p) { return by_scan(x, y, n, p); }
bool special_by_scan(const std::uint16_t* x, float* y, std::size_t n, RowParams p) { return by_scan(x, y, n, p); }
void single(const std::uint16_t* x, std::uint16_t* y, RowParams p) { single_t(x, y, p); }
void single(const std::uint16_t* x, float* y, RowParams p) { single_t(x, y, p); }

}  // namespace smb::detail
