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
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace smb {

// The axes of a variant (variants/list.inc lists every variant with its fields).
// auto_pick: the `auto` entries, which pick one of the others per call (see select_variant).
// The algorithms and the ISAs are the rows of the list (variants/list.inc, installed as
// softmaxbench/list.inc), in list order.
enum class Algorithm {
#define SMB_ALGORITHM(name, op, passes, max_abs_logit, max_shift_softmax, max_shift_log, bench_log, summary) name,
#include "softmaxbench/list.inc"
#undef SMB_ALGORITHM
    auto_pick
};
enum class Isa {
#define SMB_ISA(name, features, flags) name,
#include "softmaxbench/list.inc"
#undef SMB_ISA
};
// Which exp: the C library's (float or double), our degree-5 or degree-6 polynomial, xsimd's,
// our degree-6 exp with sums and outputs in double (the accurate tier), the pick's (auto), or
// our degree-3 polynomial (relative error ~2^-13: for bf16 outputs only, variants/list.inc), or
// the same degree-3 exp with its power of two applied by vscalefps (AVX-512; the same bits as
// poly3, a different instruction mix: faster where it has fewer slots to fill, variants/simd/exp.hpp).
enum class ExpKernel { libm_float, libm_double, poly5, poly6, xsimd, poly6_f64, per_pick, poly3, poly3s };
// The accuracy contract: accurate = documented max ULP <= kAccurateMaxUlp in both outputs; fast =
// a documented bound above that; unsafe = no bound on part of the finite inputs (its domain).
enum class Tier { unsafe, fast, accurate };
// The element types of the logits and the outputs: f32 = float32 -> float32; bf16 = bf16 -> bf16;
// bf16_f32 = bf16 -> float32. bf16 is passed as its raw bits (std::uint16_t, the top half of the
// float32 with the same value; softmaxbench/bf16.hpp converts). Internals are float32 (or double)
// whatever the dtype. Name suffix: none for f32, `.bf16`, `.bf16_f32`.
enum class Dtype { f32, bf16, bf16_f32 };
enum class Output { softmax, log_softmax };
// What a variant computes, an axis of the list (variants/list.inc): forward = softmax and
// log_softmax (RowParams::output); backward = their vector-Jacobian products (RowParams::output
// says which forward output y is); cross_entropy = the loss with logits and its gradient.
// Each algorithm belongs to one op (AlgorithmInfo::op); all_variants(op) lists that op's rows.
enum class Op { forward, backward, cross_entropy };
// What a variant does with outputs whose exact value lies below FLT_MIN (2^-126).
enum class Subnormal { gradual, flush };
// How the batch call splits one long row across threads: not at all (threads take whole rows),
// max-first (the slices' max, merged, then each slice's sum and write), one pass (each slice's
// partial state, merged, then each slice's write), or by row length one of these (guarded).
enum class SplitForm { none, max_first, one_pass, max_first_or_one_pass };

struct RowParams {
    Output output = Output::softmax;
    bool masked_safe = false;  // an all -inf row gives 0 (log: -inf) instead of NaN
    // The whole call's output is too large to stay in the caches (the bf16 batch call sets it from
    // layout::kStreamCallFromBytes and kStreamCallMinRowBytes, for calls not in place): write
    // passes may then store non-temporally (guarded's bf16 rows do). The bits do not depend on it.
    bool output_past_caches = false;
};

// One row: x and y may be the same pointer (in place); otherwise they must not overlap.
using RowFn = void (*)(const float* x, float* y, std::size_t n, RowParams p);

// Backward of one row, given the forward output y (softmax or log_softmax, per p.output) and the
// gradient dy with respect to it: softmax dx = y * (dy - <dy, y>); log_softmax
// dx = dy - exp(y) * sum(dy). dx may be the same pointer as dy; otherwise no overlap.
using BackwardRowFn = void (*)(const float* y, const float* dy, float* dx, std::size_t n, RowParams p);

// One row of cross-entropy with logits x and a target class in [0, n).
struct CrossEntropyRowParams {
    float label_smoothing = 0.0f;  // eps: the target distribution is (1 - eps) onehot + eps / n
    float grad_scale = 1.0f;       // the gradient's factor (1 / rows counted, with mean)
};
// Returns the loss lse(x) - sum_j q_j x_j (q the smoothed one-hot target), before its rounding
// to float; writes (softmax(x) - q) * grad_scale to grad unless grad is null (grad may be x).
using CrossEntropyRowFn = double (*)(const float* x, std::size_t target, float* grad, std::size_t n,
                                     const CrossEntropyRowParams& p);
// The same on bf16 logits (raw bits): the gradient in bf16 (Dtype::bf16; grad may be x, in
// place) or in float32 (Dtype::bf16_f32). The loss is the same double in both.
using CrossEntropyBf16RowFn = double (*)(const std::uint16_t* x, std::size_t target, std::uint16_t* grad,
                                         std::size_t n, const CrossEntropyRowParams& p);
using CrossEntropyBf16F32RowFn = double (*)(const std::uint16_t* x, std::size_t target, float* grad, std::size_t n,
                                            const CrossEntropyRowParams& p);

// Row functions of the bf16 dtypes (Dtype::bf16, Dtype::bf16_f32): the same contract as RowFn with
// bf16 bits in (and out). In place (x == y) only for bf16 -> bf16.
using Bf16RowFn = void (*)(const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p);
using Bf16F32RowFn = void (*)(const std::uint16_t* x, float* y, std::size_t n, RowParams p);

// Facts about an algorithm, one row of variants/list.inc each.
struct AlgorithmInfo {
    Algorithm algorithm;
    std::string_view name;
    Op op;                      // what its variants compute
    int passes;                 // passes over the row (reads)
    double max_abs_logit;       // domain: a row with a finite |x| above this is outside (+inf: none)
    bool max_shift_softmax;     // the output is computed from x - max(x), exactly: shift invariant
    bool max_shift_log;         // the same for log_softmax
    bool bench_log;             // the benchmark times its log_softmax too
    std::string_view summary;
};

struct Variant {
    std::string_view name;         // <algorithm>.<isa>[.<exp>][.<tier>][.<dtype>] (README, list.inc)
    Algorithm algorithm;
    Isa isa;
    ExpKernel exp_kernel;
    Tier tier;
    Dtype dtype;
    double max_ulp;                // documented max ULP error, softmax, outputs >= FLT_MIN
    double max_ulp_log;            // documented max ULP error, log_softmax; +inf when the form
                                   // x - log(sum) has no relative bound (see variants/list.inc)
    Subnormal subnormal;           // policy for outputs below FLT_MIN
    RowFn row;
    std::string_view summary;      // one line for `softmaxbench list` and the README
    SplitForm split_form;          // none: threads split the rows only, never one row
    Op op = Op::forward;                        // the row function of this op is set; the others are null
    BackwardRowFn backward = nullptr;           // op == backward
    CrossEntropyRowFn cross_entropy = nullptr;  // op == cross_entropy
    Bf16RowFn row_bf16 = nullptr;               // forward, dtype == bf16 (row is null then)
    Bf16F32RowFn row_bf16_f32 = nullptr;        // forward, dtype == bf16_f32 (row is null then)
    CrossEntropyBf16RowFn cross_entropy_bf16 = nullptr;        // cross_entropy, dtype == bf16
    CrossEntropyBf16F32RowFn cross_entropy_bf16_f32 = nullptr;  // cross_entropy, dtype == bf16_f32
};

// Another name of a variant that still resolves (older names, e.g. max_shifted.avx512.p6).
struct VariantAlias {
    std::string_view alias, name;
};

// How the batch call uses threads for this variant: "rows" or "rows+split".
std::string_view parallelism(const Variant& v);

// ---- registry --------------------------------------------------------------------------
// Every compiled variant of one op (forward: softmax and log_softmax) and one dtype, in list order.
std::span<const Variant> all_variants(Op op = Op::forward, Dtype d = Dtype::f32);
std::span<const VariantAlias> variant_aliases();    // older names, and the variant each names
std::span<const AlgorithmInfo> all_algorithms();    // every algorithm, auto's entry last
std::span<const Isa> all_isas();                    // every ISA, least preferred first
const AlgorithmInfo& info(Algorithm a);
const Variant* find_variant(std::string_view name); // by name or alias; nullptr when unknown
// The name the list's rule gives these fields (the registry's names are made by it).
std::string variant_name(Algorithm a, Isa i, ExpKernel e, Tier t, Dtype d);
// Whether a row lies in the variant's algorithm's domain (every finite |x| <= max_abs_logit).
bool in_domain(const Variant& v, std::span<const float> x);

// ---- CPU ----------------------------------------------------------------------------------
struct CpuInfo {
    std::string vendor, model;
    bool sse2 = false, avx = false, avx2 = false, fma = false;
    bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false;
    bool avx512bf16 = false;  // AVX512_BF16 (vcvtneps2bf16): the avx512bf16 ISA
    bool os_avx = false, os_avx512 = false;  // XCR0: OS saves YMM / ZMM+opmask state
};
const CpuInfo& cpu_info();       // detected once (CPUID + XCR0)
// Each ISA is a set of required CPU features (hardware and OS state), not a rung of a ladder:
// isa_supported_by_cpu(i) holds when the CPU has all of them.
bool isa_supported_by_cpu(Isa isa);
Isa best_isa_of_cpu();           // the widest ISA the CPU supports (the one dispatch prefers)
// The ISA dispatch prefers: best_isa_of_cpu(), or SOFTMAXBENCH_FORCE_ISA when set (read once,
// at the first call), which caps dispatch: only ISAs whose feature set is contained in the
// forced one's are available then. Throws std::runtime_error when the variable names an unknown
// ISA or one this CPU lacks.
Isa dispatch_isa();
bool isa_available(Isa isa);     // supported by the CPU and within the SOFTMAXBENCH_FORCE_ISA cap
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
std::string_view to_string(ExpKernel e);
std::string_view to_string(Tier t);
std::string_view to_string(Dtype d);
std::string_view to_string(SplitForm s);
std::string_view to_string(Subnormal s);
std::string_view to_string(Output o);
std::string_view to_string(Op o);
bool parse_isa(std::string_view s, Isa& out);

// ---- auto ---------------------------------------------------------------------------------
// "auto" (documented <= 8 ULP) and "auto.accurate" (<= 1 ULP) pick a variant per call: from the
// tuning file measured on this CPU (tuning.hpp; `softmaxbench tune`) when there is one, else a
// built-in heuristic. select_variant does the same for any bound: the fastest available variant
// documented within max_ulp for this output (never the unsafe tier, never an auto entry).
// Throws std::invalid_argument when no variant meets max_ulp.
const Variant& select_variant(std::size_t cols, int threads, Output out, double max_ulp);
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
// Applies the variant (a forward one) to every row (an auto entry is resolved once per call, for
// the shape). Throws std::invalid_argument on bad arguments (a variant of another op, stride
// smaller than cols, null pointers with non-empty shape, threads < 1, partial overlap of x
// and y) and std::runtime_error when the variant is not available on this CPU.
void softmax_batch(const Variant& v, const BatchArgs& a);

// ---- backward (op backward; src/core/backward.cpp) -----------------------------------------
// The vector-Jacobian products of softmax and log_softmax (BackwardRowFn), over rows x cols.
struct BackwardArgs {
    const float* y = nullptr;   // the forward output: softmax or log_softmax, per `output`
    const float* dy = nullptr;  // the gradient with respect to y
    float* dx = nullptr;        // the gradient with respect to x; may be dy or y (same stride)
    std::size_t rows = 0, cols = 0;
    std::size_t ld_y = 0, ld_dy = 0, ld_dx = 0;  // row strides in elements; 0 means cols
    Output output = Output::softmax;
    int threads = 1;
};
// Applies a backward variant to every row; threads take contiguous blocks of rows (results are
// bit-identical for any thread count). Throws std::invalid_argument on bad arguments (a variant
// of another op, stride smaller than cols, null pointers with a non-empty shape, threads < 1, dx
// overlapping y or dy without being the same rows) and std::runtime_error when the variant is
// not available on this CPU.
void backward_batch(const Variant& v, const BackwardArgs& a);

// The explicit Jacobian of softmax at y, as the NumPy guide writes it (softmax_gradient):
// J_ij = y_i (1 - y_i) on the diagonal, -y_i y_j elsewhere (J = diag(y) - y y^T, symmetric),
// n x n floats row-major, each computed in double and rounded once. n <= kJacobianMaxN (n^2
// floats: 256 MiB at the cap); throws std::invalid_argument above it.
inline constexpr std::size_t kJacobianMaxN = 8192;
void softmax_jacobian(const float* y, std::size_t n, float* J);
// dx = J^T dy (= J dy: J is symmetric), O(n^2), sums in double, rounded once: the backward
// through the explicit Jacobian, what the guide calls "making manual backprop expensive".
void jacobian_vjp(const float* J, const float* dy, std::size_t n, float* dx);

// The batch call for the bf16 dtypes: x holds bf16 bits; y (Dtype::bf16) or y_f32
// (Dtype::bf16_f32) receives the outputs, the other stays null. Threads take whole rows, except
// that with fewer rows than threads guarded's softmax rows of 65536 elements and more are cut
// across them (`list`: rows+split). In place only for bf16 -> bf16 (x == y,
// equal strides). Throws as above, and std::invalid_argument for a variant of another dtype or
// the wrong output pointer.
struct Bf16BatchArgs {
    const std::uint16_t* x = nullptr;
    std::uint16_t* y = nullptr;  // Dtype::bf16
    float* y_f32 = nullptr;      // Dtype::bf16_f32
    std::size_t rows = 0, cols = 0;
    std::size_t ld_x = 0, ld_y = 0;  // row strides in elements; 0 means cols
    Output output = Output::softmax;
    bool masked_safe = false;
    int threads = 1;
};
void softmax_batch(const Variant& v, const Bf16BatchArgs& a);

}  // namespace smb
