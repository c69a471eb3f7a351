// The correctness check run once per (implementation, cols) before an implementation is timed.
//
// Reference for row 0 of the benchmark input:
//   cols <= 65536: the MPFR reference (smb::ref::reference_row, correctly rounded; ~95 ms at
//                  65537 columns), cached per (cols, output, input hash).
//   cols >  65536: a double-precision reference computed here: m = max x, s = sum exp(x - m)
//                  with std::exp in double and a Neumaier-compensated sum; softmax = exp(x - m)/s,
//                  log_softmax = (x - m) - log(s), all in double. Its relative error is a few
//                  double ULP (~1e-15), i.e. below 1e-7 float ULP, so a bound checked against it
//                  gets a margin of +0.01 ULP to cover it.
// Metrics (over outputs whose reference is finite and, for ULP/relative error, >= FLT_MIN):
//   ulp:  max ULP error (smb::ref::ulp_error): our variants, bound = the documented max_ulp
//         (max_ulp_log for log_softmax), + 0.01 against the double reference.
//   rel:  max |y - r| / |r|: peer softmax, bound 1e-3.
//   abs:  max |y - r|: peer log_softmax, bound 1e-3.
//   exact: y must equal x bit for bit (memcpy).
// Any NaN/inf output where the reference is finite counts as an infinite error.
// Whatever the metric, max_ulp records the ULP error over the normal band as well (softmax and
// log_softmax alike), so ours and the peers are compared in one unit (counter max_ulp).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "softmaxbench/softmax.hpp"

namespace smb::bench {

enum class Metric { ulp, rel, abs, exact };

// The loose bound every peer is held to (documented above and in the skip message). A sanity
// check that catches a broken or misconfigured peer, not an accuracy grade: peers accumulate
// in float, and at 1x16M oneDNN 2.6 reaches 1.7e-5 and XNNPACK 3.3e-4 relative error on row 0,
// which a 1e-5 bound would turn into missing comparisons. Every run records its measured error
// (counter check_error); the accuracy sweep compares accuracy properly.
inline constexpr double kPeerRelBound = 1e-3;  // softmax: max relative error
inline constexpr double kPeerAbsBound = 1e-3;  // log_softmax: max absolute error
// Margin added to our ULP bounds when the reference is the double one (cols > 65536).
inline constexpr double kDoubleRefUlpMargin = 0.01;
// Longest row checked against the MPFR reference.
inline constexpr std::size_t kMpfrMaxCols = 65536;

struct CheckResult {
    bool ok = false;
    double error = 0;        // the measured metric
    double bound = 0;        // the bound it was held to (margin included)
    double max_ulp = 0;      // max ULP error over the normal band, whatever the metric (peers
                             // too): the accuracy comparison the report tabulates
    std::string reference;   // "mpfr" or "double"
    std::string summary;     // one line for the label, e.g. "max 0.61 ulp <= 8 (mpfr row 0)"
};

// x0, y0: row 0 of the input and of the implementation's output; v: our variant (metric ulp,
// judged by smb::ref::check_output against the MPFR reference, its documented bound + the
// margin against the double one), or nullptr for a peer (metric rel / abs / exact, the
// constant bounds above).
CheckResult check_row(std::span<const float> x0, std::span<const float> y0, Output out, const Variant* v,
                      Metric metric);

}  // namespace smb::bench
