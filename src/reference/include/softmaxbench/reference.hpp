// Correctly rounded reference (MPFR) and the accuracy metrics every test and report uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "softmaxbench/softmax.hpp"

namespace smb::ref {

// Reference for one row of float inputs, computed with MPFR at `precision_bits` (>= 100).
struct RowReference {
    std::vector<double> exact;   // the exact value rounded to double (for fractional ULP)
    std::vector<float> rounded;  // the exact value correctly rounded to float (RNDN)
    // floor(log2 |v|) of the exact value v itself (MPFR: mpfr_get_exp(v) - 1), the binade that
    // sets its ULP unit and its band (normal iff >= -126). Not derivable from exact[]: a value
    // just below a power of two can round up to it in double (softmax [0, -40]: 1 - 4.2e-18
    // rounds to 1.0, one binade up). 0 where v is NaN, +-inf or 0.
    std::vector<int> binade;
};

// Follows the special-value policy of softmax.hpp (NaN/+inf -> NaN row, -inf -> 0 / -inf,
// all -inf -> NaN or masked value). Exact values of +-0 and +-inf are represented exactly.
RowReference reference_row(std::span<const float> x, Output out, bool masked_safe = false,
                           int precision_bits = 128);

// reference_row for long rows, in chunks a caller can spread over threads (reference_row is one
// sequential pass; at 16M entries that is ~20 s). Use:
//   ChunkedReference c(x, out, masked_safe);
//   c.sum_chunk(k) for every k < c.chunks(), in any order, concurrently if wished;
//   c.combine() once, after every sum_chunk and before any write_chunk;
//   c.write_chunk(k) for every k < c.chunks(), in any order, concurrently if wished;
//   RowReference r = c.take();
// Each exp is evaluated as in reference_row and the sum keeps its 64 guard bits; only the
// grouping of the sum differs (partial sums per chunk), far below precision_bits. With one
// chunk the result is bit-identical to reference_row. Special rows (NaN, +inf, all -inf,
// empty) have 0 chunks. The softmax keeps every exp until write_chunk: ~48 bytes per entry at
// 128 bits.
class ChunkedReference {
public:
    ChunkedReference(std::span<const float> x, Output out, bool masked_safe = false,
                     std::size_t chunk_len = 65536, int precision_bits = 128);
    ~ChunkedReference();
    ChunkedReference(const ChunkedReference&) = delete;
    ChunkedReference& operator=(const ChunkedReference&) = delete;

    std::size_t chunks() const;
    void sum_chunk(std::size_t k);
    void combine();
    void write_chunk(std::size_t k);
    RowReference take();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ULP error as SLEEF and glibc define it: |y - v| / 2^(max(e, -126) - 23), e = floor(log2|v|)
// the binade of the exact value v, given as r = v rounded to double and `binade` = e taken
// from v before that rounding (RowReference::binade; exact_binade() when v is itself a
// double). Special cases (r): both NaN -> 0; same infinity -> 0; r == 0 and y == 0 -> 0; any
// other disagreement on NaN/inf/zero -> +inf.
double ulp_error(float y, double r, int binade);
// ulp_error(y, r.exact[i], r.binade[i]).
double ulp_error(float y, const RowReference& r, std::size_t i);
// floor(log2 |v|) of a finite non-zero double v that is the exact value itself (a hand-written
// constant, or a value known to be exact); 0 for 0, NaN and infinities. Never pass a rounded
// approximation of an exact value: that is RowReference::binade's job.
int exact_binade(double v);

// Integer distance between y and the correctly rounded float, counting representable floats
// (0 means correctly rounded). Returns UINT64_MAX when one is NaN and the other is not.
std::uint64_t float_distance(float y, float r_rounded);

struct Metrics {
    std::size_t n = 0;
    // Normal band: exact |v| >= FLT_MIN (2^-126) (binade >= -126), and finite.
    std::size_t normal_count = 0;
    double max_ulp = 0;           // max ULP error over the normal band
    double mean_ulp = 0;          // mean ULP error over the normal band
    std::size_t worst_index = 0;  // index of max_ulp (into the row)
    std::size_t correctly_rounded = 0;  // normal-band outputs equal to the rounded reference
    // Subnormal band: exact 0 < |v| < FLT_MIN (binade < -126), scored apart.
    std::size_t subnormal_count = 0;
    double max_ulp_subnormal = 0;  // ULP error in units of 2^-149
    std::size_t flushed = 0;       // subnormal-band outputs the variant returned as 0
    // Special entries (exact is NaN, +-inf or exact 0): how many disagree with the reference.
    std::size_t special_mismatches = 0;
    double sum_error = 0;  // |sum(y) - 1| for softmax (computed in double); 0 for log_softmax
};

Metrics measure(std::span<const float> y, const RowReference& ref, Output out);

// ---- backward (op backward; src/reference/backward.cpp) -------------------------------------
// The exact backward of one row on the given float y and dy, with the terms of the documented
// bound (variants/list.inc):
//   softmax:      exact_i = y_i (dy_i - sum_j y_j dy_j),   sigma_i = |y_i| (|dy_i| + sum_j |y_j dy_j|),
//                 eta_i = 2^-149 (1 + n |y_i|)
//   log_softmax:  exact_i = dy_i - exp(y_i) sum_j dy_j,    sigma_i = |dy_i| + exp(y_i) sum_j |dy_j|,
//                 eta_i = 2^-149 + 2^-126 sum_j |dy_j|
// The sum is MPFR's correctly rounded sum of the exact products at precision_bits + 64, the
// output is computed at precision_bits and rounded to double; NaN and infinities follow IEEE
// arithmetic (MPFR's), as the kernels do.
struct BackwardReference {
    std::vector<double> exact;
    std::vector<int> binade;    // floor(log2 |exact_i|) before its rounding to double; 0 if 0/NaN/inf
    std::vector<double> sigma;  // in double (a bound's scale: relative accuracy ~n 2^-53 is ample)
    std::vector<double> eta;
};
BackwardReference backward_reference(std::span<const float> y, std::span<const float> dy, Output out,
                                     int precision_bits = 128);

// Scores dx against the reference and a bound constant k (u = 2^-24):
//   excess_k: max over the finite exact entries of (|dx_i - exact_i| - eta_i) / (u sigma_i), the
//     smallest k the row meets (0 when every error is within eta_i; +inf for an error with
//     sigma_i = 0 beyond eta_i, or a non-finite dx_i where exact_i is finite);
//   special_mismatches: entries whose exact value is NaN or +-inf and dx_i is not the same;
//   max_ulp_conditioned: the max ULP error over the entries whose exact value is normal and whose
//     cancellation is mild, (n + 3) 2^-29 sigma_i / |exact_i| <= 0.25: there the accurate tier
//     is within 1 ULP (variants/list.inc); conditioned counts them.
struct BackwardScore {
    double excess_k = 0;
    std::size_t worst_index = 0;
    std::size_t special_mismatches = 0;
    double max_ulp_conditioned = 0;
    std::size_t conditioned = 0;
};
BackwardScore score_backward(std::span<const float> dx, const BackwardReference& r);

// The kinds of dy the backward is tested and swept on (tests/test_backward.cpp, `accuracy`):
//   normal:    N(0, 1)
//   positive:  |N(0, 1)| + 0.5 (all one sign: <dy, y> is as large as the terms)
//   onehot:    at the argmax t of y, -1/y_t (softmax) or -1 (log_softmax), 0 elsewhere: the
//              gradient of -log softmax_t, so dx = softmax - onehot
//   constant:  every dy_j = 3 (softmax: dx = y (3 - 3 sum y) ~ 0: all cancellation)
//   huge:      N(0, 1) * 2^40
std::span<const std::string_view> backward_dy_kinds();
// dy of a kind for the forward output y (throws std::invalid_argument for an unknown kind).
std::vector<float> make_dy(std::string_view kind, std::span<const float> y, Output out, std::uint64_t seed);
// The forward output y of logits x the backward is swept on (`softmaxbench accuracy`,
// peer_accuracy): computed in double and rounded once (within 0.51 ULP of the correctly rounded
// forward; any float row would do as an input of the backward, this one is shared).
std::vector<float> backward_input(std::span<const float> x, Output out);

}  // namespace smb::ref
