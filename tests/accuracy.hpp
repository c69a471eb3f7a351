// Shared by the accuracy tests: run a variant on a row and compare with the MPFR reference.
// The scoring itself lives in the library (src/reference/include/reference/scoring.hpp) so that the tests and
// `softmaxbench accuracy` judge a variant by one implementation; this header keeps the names
// the tests use.
#pragma once
// The standard headers this file used to include; tests rely on them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "reference/scoring.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::test {

using ref::Check;
using ref::check_output;
using ref::check_row;
using ref::in_domain;
using ref::log_abs_excess;

// Helpers the special-value and thread tests share.
inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

inline std::vector<const Variant*> available_variants() {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants())
        if (available(v)) vs.push_back(&v);
    return vs;
}

inline bool all_equal(const std::vector<float>& y, float want) {
    for (float t : y)
        if (!(t == want)) return false;
    return true;
}

inline bool all_nan(const std::vector<float>& y) {
    for (float t : y)
        if (!std::isnan(t)) return false;
    return true;
}

// softmax / log_softmax of a row in double, shifted by its max (x - m is exact in double for
// floats; -inf entries give 0 / -inf). A quick double reference where MPFR is not needed.
inline std::vector<double> double_softmax(const std::vector<float>& x, Output out) {
    double m = -double(kInf);
    for (float v : x) m = std::max(m, double(v));
    double s = 0;
    for (float v : x) s += std::exp(double(v) - m);
    std::vector<double> r(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        r[i] = out == Output::softmax ? std::exp(double(x[i]) - m) / s : (double(x[i]) - m) - std::log(s);
    return r;
}

}  // namespace smb::test
