// softmaxbench public interface: one registry of softmax variants and a batch call.
//
// Every variant computes, for each row x[0..n) of float32 logits,
//   softmax:      y_i = exp(x_i) / sum_j exp(x_j)
//   log_softmax:  y_i = x_i - log(sum_j exp(x_j))
// with the special-value policy of README.md ("Special values"):
//   NaN or +inf anywhere in the row  -> every output NaN
//   -inf entries, rest finite         -> exact 0 (log_softmax: -inf) at those entries
//   every entry -inf                  -> NaN, or 0 (log: -inf) when masked_safe is set
//   n == 0                            -> nothing written
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace smb {

// auto_pick: the `auto` entries, which pick one of the others per call (see select_variant).
enum class Algorithm { naive, max_shifted, online, log_sum_exp, two_pass, guarded, auto_pick };
enum class Isa { scalar, sse2, avx2, avx512 };
enum class Output { softmax, log_softmax };
// What a variant does with outputs whose exact value lies below FLT_MIN (2^-126).
enum class Subnormal { gradual, flush };

struct RowParams {
    Output output = Output::softmax;
    bool masked_safe = false;  // an all -inf row gives 0 (log: -inf) instead of NaN
};

// One row: x and y may be the same pointer (in place); otherwise they must not overlap.
using RowFn = void (*)(const float* x, float* y, std::size_t n, RowParams p);

// Splitting one long row across threads: each thread reduces its slice to a partial state,
// the partials are merged, then each thread writes its slice from the merged state.
//   exp base:  sum over the slice of exp(x - m) = d + c, where c counts the entries equal
//              to m and d holds the rest: (m_a,d_a,c_a) (+) (m_b,d_b,c_b) = (M, ...) with
//              the smaller side rescaled by exp(m_i - M) (Milakov & Gimelshein's merge).
//   base 2:    sum over the slice of exp(x) = d * 2^m (Dukhan & Ablavatski's (S, N) pairs).
struct SplitState {
    float m = 0;
    double d = 0, c = 0;
    bool nan = false;  // the slice holds a NaN (or, base 2, +inf)
};
struct RowSplit {
    enum class Base { exp, pow2 } base;
    // One-pass form (online, two_pass): reduce every slice, merge, write.
    void (*reduce)(const float* x, std::size_t n, RowParams p, SplitState* out);
    // Max-first form (max_shifted, log_sum_exp), used when slice_max is set: the row max is
    // merged from slice_max first; then reduce_at gives each slice's (d, c) relative to that
    // max, and may store into its slice of y what write needs (max_shifted: the exps).
    float (*slice_max)(const float* x, std::size_t n, bool* nan);
    void (*reduce_at)(const float* x, float* y, std::size_t n, RowParams p, float m, SplitState* out);
    // Writes y[0, n) for a slice from the merged state (never special: the caller handles that).
    void (*write)(const float* x, float* y, std::size_t n, RowParams p, const SplitState& total);
    // When set, log_softmax rows split this way instead (guarded: max_shifted's split).
    const RowSplit* log_split = nullptr;
    // When set, rows of at least long_from elements split this way instead (guarded: the
    // one-pass form past the caches, the max-first store form below).
    const RowSplit* long_split = nullptr;
    std::size_t long_from = 0;
};

struct Variant {
    std::string_view name;         // "<algorithm>.<isa>[.<tier>]", e.g. "online.avx512"
    Algorithm algorithm;
    Isa isa;
    std::string_view exp_kernel;   // which exp: "libm-double", "libm-float", "poly5", ...
    std::string_view tier;         // "reference" (double internals), "fast", "accurate", "unsafe"
    double max_ulp;                // documented max ULP error, softmax, outputs >= FLT_MIN
    double max_ulp_log;            // documented max ULP error, log_softmax; +inf when the form
                                   // x - log(sum) has no relative bound (see variants/list.inc)
    Subnormal subnormal;           // policy for outputs below FLT_MIN
    RowFn row;
    std::string_view summary;      // one line for `softmaxbench list` and the README
    const RowSplit* split;         // nullptr: threads split the rows only, never one row
};

// How the batch call uses threads for this variant: "rows" or "rows+split".
std::string_view parallelism(const Variant& v);

// ---- registry --------------------------------------------------------------------------
std::span<const Variant> all_variants();            // every compiled variant, fixed order
const Variant* find_variant(std::string_view name); // nullptr when unknown

// ---- CPU ----------------------------------------------------------------------------------
struct CpuInfo {
    std::string vendor, model;
    bool sse2 = false, avx = false, avx2 = false, fma = false;
    bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false;
    bool os_avx = false, os_avx512 = false;  // XCR0: OS saves YMM / ZMM+opmask state
};
const CpuInfo& cpu_info();       // detected once (CPUID + XCR0)
Isa best_isa_of_cpu();           // what the hardware and OS support, ignoring the override
// The ISA dispatch may use: best_isa_of_cpu(), capped by SOFTMAXBENCH_FORCE_ISA when set (read
// once, at the first call). Throws std::runtime_error when the variable names an unknown ISA or
// one this CPU lacks.
Isa dispatch_isa();
bool isa_available(Isa isa);     // isa <= dispatch_isa()
// Names this machine's results folder: the CPU model in lowercase with runs of other characters
// turned into '-', then '-' and 6 hex digits of the FNV-1a hash of the host name,
// e.g. "amd-epyc-1a2b3c". results/<machine_id()>/ holds every raw file a run writes.
std::string machine_id();
bool available(const Variant& v);
// Why v cannot run here, as one sentence: "variant 'X' needs avx512, which is not available
// here (this CPU/OS supports up to avx2)" or "(SOFTMAXBENCH_FORCE_ISA=sse2 limits dispatch to
// sse2)". Every place that refuses an unavailable variant says this.
std::string unavailable_reason(const Variant& v);
// What `auto` may pick (and `tune` measures): a real variant, not an auto entry, and not the
// unsafe tier. Availability on this CPU is separate (available()).
bool pickable(const Variant& v);
// The bound that makes a variant "accurate" for auto.accurate, tune and the reports.
inline constexpr double kAccurateMaxUlp = 1.0;

std::string_view to_string(Algorithm a);
std::string_view to_string(Isa i);
std::string_view to_string(Subnormal s);
std::string_view to_string(Output o);
bool parse_isa(std::string_view s, Isa& out);

// ---- auto ---------------------------------------------------------------------------------
// "auto" (documented <= 8 ULP) and "auto.accurate" (<= 1 ULP) pick a variant per call: from the
// tuning file measured on this CPU (tuning.hpp; `softmaxbench tune`) when there is one, else a
// built-in heuristic. select_variant does the same for any bound: the fastest available variant
// documented within max_ulp for this output (never the unsafe tier, never an auto entry).
// Throws std::invalid_argument when no variant meets max_ulp.
const Variant& select_variant(std::size_t rows, std::size_t cols, int threads, Output out, double max_ulp);
// Where auto's choices come from: the tuning file in use, or why none is used.
std::string auto_source();

// ---- batch call -------------------------------------------------------------------------
struct BatchArgs {
    const float* x = nullptr;
    float* y = nullptr;
    std::size_t rows = 0, cols = 0;
    std::size_t ld_x = 0, ld_y = 0;  // row strides in elements; 0 means cols
    Output output = Output::softmax;
    bool masked_safe = false;
    int threads = 1;
};
// Applies the variant to every row (an auto entry is resolved once per call, for the shape). Throws std::invalid_argument on bad arguments (stride
// smaller than cols, null pointers with non-empty shape, threads < 1, partial overlap of x
// and y) and std::runtime_error when the variant is not available on this CPU.
void softmax_batch(const Variant& v, const BatchArgs& a);

}  // namespace smb
