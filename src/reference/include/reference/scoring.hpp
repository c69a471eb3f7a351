// Scoring a variant against the MPFR reference: the one implementation behind the tests
// (tests/accuracy.hpp re-exports it), `softmaxbench accuracy` and anything else that judges a
// variant's output. A variant is judged by its own documented contract (variants/list.inc):
//   - normal band (exact |r| >= FLT_MIN, finite): max ULP error <= max_ulp / max_ulp_log;
//   - special entries (exact NaN, +-inf or 0): exact match (one exception, see scoring.cpp);
//   - subnormal band (0 < |r| < FLT_MIN): by the variant's Subnormal policy;
//   - log_softmax: the absolute contract |y - exact| <= 2^-20 (1 + |exact|) (not the unsafe tier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::ref {

// The rows a variant promises to handle: the registry's fact (AlgorithmInfo::max_abs_logit,
// variants/list.inc). naive is exact only while no exp overflows or every one underflows:
// |x| <= 80 keeps sum exp(x) finite and its largest term normal. Every other algorithm accepts
// any row.
using smb::in_domain;

// Absolute-error contract every log_softmax output meets: |y - exact| <= 2^-20 * (1 + |exact|).
// Returns the worst ratio |y - exact| / (2^-20 (1 + |exact|)) over the entries with a finite
// exact value (NaN output: NaN ratio, which counts as worst) and sets `where` to its index.
// For forms without a ULP bound (max_ulp_log = inf) it is the contract; for the rest a floor.
// The unsafe tier (naive: x - log of a float sum) promises nothing for log_softmax.
double log_abs_excess(std::span<const float> y, const RowReference& r, std::size_t& where);

// The subnormal-band policy: gradual must be within max(bound, 1) units of 2^-149; flush may
// also return 0, but a non-zero result must still be within that. Empty when met, else what
// failed (the first offending entry).
std::string subnormal_failure(const Variant& v, std::span<const float> y, const RowReference& r,
                              double bound);

struct Check {
    Metrics m;
    double bound = 0;     // the documented bound for this output
    std::string failure;  // empty when the variant met its contract on this row
};

// Scores an output y the variant produced for x. Checks, in order (the first failure is
// reported): normal-band max ULP <= the documented bound; for log_softmax (not the unsafe
// tier) the absolute contract; every special entry exact; the subnormal band by the policy.
Check check_output(const Variant& v, std::span<const float> x, std::span<const float> y,
                   const RowReference& r, Output out);

// Runs v on x (out of place, masked_safe off) and scores it with check_output.
Check check_row(const Variant& v, std::span<const float> x, const RowReference& r, Output out);

// Everything the accuracy sweep reports about one (variant, row, output).
struct Score {
    Check check;
    double p999_ulp = 0;  // 99.9th percentile (nearest rank) of the normal-band ULP errors
    // Normal-band outputs equal to the correctly rounded float, as a fraction of the band; NaN
    // when the band is empty (e.g. log_softmax of one entry, whose exact 0 is special).
    double frac_correctly_rounded = std::numeric_limits<double>::quiet_NaN();
    // Higham's normwise relative error ||y - r||_2 / ||r||_2 over the entries whose exact value
    // is finite and non-zero (normal and subnormal bands), in double; 0 when there are none,
    // +inf when y is NaN or infinite there.
    double higham_normwise = 0;
    bool subnormal_ok = true;  // subnormal_failure() is empty (vacuously true without any)
    // The input where the normal-band ULP error is largest (check.m.worst_index); only when
    // has_worst (the normal band is not empty).
    bool has_worst = false;
    std::size_t worst_index = 0;
    float worst_x = 0, worst_y = 0;
    double worst_exact = 0;
};

Score score_output(const Variant& v, std::span<const float> x, std::span<const float> y,
                   const RowReference& r, Output out);

// ---- the special-value table ---------------------------------------------------------------
// The policy of softmax.hpp checked case by case (sizes 1, 2, 17, 1000), for both outputs and
// both masked_safe settings:
//   nan_anywhere        a NaN at the first, middle or last entry of a normal row -> all NaN
//   pinf_anywhere       +inf there, in a normal row or among -inf entries          -> all NaN
//   nan_among_neg_inf   a NaN in a row of -inf (a NaN-dropping max sees only -inf) -> all NaN
//   neg_inf_entries     every third entry -inf, the rest finite -> exactly 0 (log: -inf) there
//                       and the rest within the variant's contract (check_output)
//   all_neg_inf         every entry -inf -> NaN, or 0 (log: -inf) when masked_safe
//   empty_row           n = 0 writes nothing
//   single_entry        n = 1 -> exactly 1 (log: exactly 0), for several x
//   in_place            x == y gives the same bits as out of place
struct SpecialCase {
    std::string name;
    Output output = Output::softmax;
    bool masked_safe = false;
    bool pass = false;
    std::string detail;  // what was checked, or the first mismatch
};

// Runs the table for one variant. Throws std::runtime_error when v is not available here.
std::vector<SpecialCase> run_special_table(const Variant& v);

// ---- bf16 outputs (Dtype::bf16) ----------------------------------------------------------------
// The exact value r (double, with its binade from MPFR) rounded to bf16, ties to even. Normal
// band only.
double round_bf16(double r, int binade);

struct Bf16Score {
    double max_ulp = 0;       // normal band, bf16 ULP of the exact value's binade
    std::size_t band = 0;     // normal-band outputs
    std::size_t correct = 0;  // of which equal to the correctly rounded bf16
    std::string failure;      // empty when v met its bound on this row, else the first miss
};

// A bf16 output y (bits) of v against the reference r of its bf16 logits (widened to float):
// normal band within v's bound (max_ulp / max_ulp_log, in bf16 ULP); exact specials (NaN,
// +-inf, 0) matched exactly; subnormal band (|r| < 2^-126) within max(bound, 1) units of bf16's
// subnormal spacing 2^-133, or 0 when v flushes. The one scorer of test_bf16 and
// `softmaxbench accuracy` (<stem>-bf16.csv).
Bf16Score score_bf16(const Variant& v, std::span<const std::uint16_t> y, const RowReference& r, Output out);

}  // namespace smb::ref
