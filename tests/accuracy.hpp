// Shared by the accuracy tests: run a variant on a row and compare with the MPFR reference.
// The scoring itself lives in the library (src/reference/scoring.hpp) so that the tests and
// `softmaxbench accuracy` judge a variant by one implementation; this header keeps the names
// the tests use.
#pragma once
// The standard headers this file used to include; tests rely on them.
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

}  // namespace smb::test
