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

namespace smb::test {

using ref::Check;
using ref::check_output;
using ref::check_row;
using ref::in_domain;
using ref::log_abs_excess;

}  // namespace smb::test
