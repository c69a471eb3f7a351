// The registry: the rows of variants/list.inc as Variant descriptors, their names made by one
// rule from their fields, the algorithms' facts and the older names.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>

#include "detail/split.hpp"
#include "kernels.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

using kernels::kAnyFinite;
using kernels::kNoUlpBound;

constexpr AlgorithmInfo kAlgorithms[] = {
#define SMB_ALGORITHM(name, op, passes, max_abs, shift_sm, shift_log, bench_log, summary) \
    AlgorithmInfo{Algorithm::name, #name, Op::op, passes, max_abs, shift_sm, shift_log, bench_log, summary},
#include "list.inc"
#undef SMB_ALGORITHM
    AlgorithmInfo{Algorithm::auto_pick, "auto", Op::forward, 0, kAnyFinite, false, false, false,
                  "picks, per call, the fastest variant within a bound"},
};

// ---- names: <algorithm>.<isa>[.<exp>][.<tier>][.<dtype>] ---------------------------------------
// exp only when it is not the tier's default exp on that ISA, tier only when accurate, dtype only
// when not f32; auto entries: "auto" and the tier rule.
constexpr ExpKernel default_exp(Isa i, Tier t) {
    if (i == Isa::scalar) return t == Tier::unsafe ? ExpKernel::libm_float : ExpKernel::libm_double;
    return t == Tier::unsafe ? ExpKernel::xsimd : t == Tier::accurate ? ExpKernel::poly6_f64 : ExpKernel::poly5;
}

constexpr std::string_view algorithm_name(Algorithm a) {
    for (const AlgorithmInfo& i : kAlgorithms)
        if (i.algorithm == a) return i.name;
    return "?";
}
// The ISA table's names and order (SMB_ISA rows; their features are read by src/core/cpu.cpp).
struct IsaName {
    Isa isa;
    std::string_view name;
};
constexpr IsaName kIsaNames[] = {
#define SMB_ISA(name, features, flags) IsaName{Isa::name, #name},
#include "list.inc"
#undef SMB_ISA
};
constexpr auto kIsaOrder = [] {
    std::array<Isa, std::size(kIsaNames)> a{};
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = kIsaNames[k].isa;
    return a;
}();
constexpr std::string_view isa_name(Isa i) {
    for (const IsaName& n : kIsaNames)
        if (n.isa == i) return n.name;
    return "?";
}
constexpr std::string_view exp_name(ExpKernel e) {
    switch (e) {
        case ExpKernel::libm_float: return "libm_float";
        case ExpKernel::libm_double: return "libm_double";
        case ExpKernel::poly3: return "poly3";
        case ExpKernel::poly3s: return "poly3s";
        case ExpKernel::poly5: return "poly5";
        case ExpKernel::poly6: return "poly6";
        case ExpKernel::xsimd: return "xsimd";
        case ExpKernel::poly6_f64: return "poly6_f64";
        case ExpKernel::per_pick: return "per_pick";
    }
    return "?";
}
constexpr std::string_view tier_name(Tier t) {
    switch (t) {
        case Tier::unsafe: return "unsafe";
        case Tier::fast: return "fast";
        case Tier::accurate: return "accurate";
    }
    return "?";
}
constexpr std::string_view dtype_name(Dtype d) {
    switch (d) {
        case Dtype::f32: return "f32";
        case Dtype::bf16: return "bf16";
        case Dtype::bf16_f32: return "bf16_f32";
    }
    return "?";
}

struct Name {
    char s[64] = {};
    std::size_t n = 0;
    constexpr void add(std::string_view part) {
        if (n) s[n++] = '.';
        for (char c : part) s[n++] = c;
    }
    constexpr std::string_view view() const { return {s, n}; }
};

constexpr Name make_name(Algorithm a, Isa i, ExpKernel e, Tier t, Dtype d) {
    Name r;
    r.add(algorithm_name(a));
    if (a != Algorithm::auto_pick) {
        r.add(isa_name(i));
        if (e != default_exp(i, t)) r.add(exp_name(e));
    }
    if (t == Tier::accurate) r.add(tier_name(t));
    if (d != Dtype::f32) r.add(dtype_name(d));
    return r;
}

// The rows without their names, in list order.
struct Row {
    Algorithm a;
    Isa i;
    ExpKernel e;
    Tier t;
    Dtype d;
    double ulp, ulp_log;
    Subnormal sub;
    Op op;
    RowFn row;  // the row function of op; the others null
    BackwardRowFn backward;
    CrossEntropyRowFn cross_entropy;
    std::string_view summary;
    const RowSplit* split;
    SplitForm split_form;
    Bf16RowFn row_bf16;  // dtype bf16 (row null)
    Bf16F32RowFn row_bf16_f32;  // dtype bf16_f32 (row null)
    CrossEntropyBf16RowFn ce_bf16 = nullptr;        // op cross_entropy, dtype bf16
    CrossEntropyBf16F32RowFn ce_bf16_f32 = nullptr;  // op cross_entropy, dtype bf16_f32
    const BackwardSplit* bw_split = nullptr;        // op backward: its two passes
    const CrossEntropySplit* const* ce_split = nullptr;  // op cross_entropy: where its split (or null) is
    const Bf16RowSplit* split_bf16 = nullptr;  // forward rows of dtypes bf16, bf16_f32 (split null)
    const RowsForm* rows_form = nullptr;       // forward rows with a rows form (kernels.hpp, SMB_HAS_ROWS)
};

constexpr Row kRows[] = {
#define SMB_VARIANT(alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary)                              \
    Row{Algorithm::alg, Isa::isa, ExpKernel::exp, Tier::tier, Dtype::dtype, ulp, ulp_log, Subnormal::sub,          \
        Op::forward, SMB_CAT(SMB_F32_FNS_, dtype)(&kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype)), summary,  \
        SMB_CAT(SMB_SPLIT_F32_, dtype)(SMB_CAT(SMB_SPLIT_PTR_, SMB_HAS_SPLIT_##split)(&kernels::isa::SMB_KERNEL_SPLIT(alg, exp, tier, dtype))), \
        SplitForm::split, SMB_CAT(SMB_DTYPE_FNS_, dtype)(&kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype)), \
        nullptr, nullptr, nullptr, nullptr, \
        SMB_CAT(SMB_SPLIT_BF16_, dtype)(SMB_CAT(SMB_SPLIT_PTR_, SMB_HAS_SPLIT_##split)(&kernels::isa::SMB_KERNEL_SPLIT(alg, exp, tier, dtype))), \
        SMB_CAT(SMB_SPLIT_PTR_, SMB_HAS_ROWS(alg, isa))(&kernels::isa::SMB_KERNEL_ROWS(alg, exp, tier, dtype))},
#define SMB_OP_VARIANT(op, alg, isa, exp, tier, dtype, ulp, ulp_log, sub, split, summary)                  \
    Row{Algorithm::alg, Isa::isa, ExpKernel::exp, Tier::tier, Dtype::dtype, ulp, ulp_log, Subnormal::sub,  \
        Op::op, SMB_OP_FNS_##op##_##dtype(&kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype)), summary, \
        nullptr, SplitForm::split, nullptr, nullptr, SMB_OP_BF16_FNS_##dtype(&kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype)), \
        SMB_OP_SPLIT_PTR_##op(kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype)),                        \
        SMB_OP_CE_SPLIT_PTR_##op(kernels::isa::SMB_KERNEL_FN(alg, exp, tier, dtype))},
#define SMB_OP_CE_SPLIT_PTR_forward(fn) nullptr
#define SMB_OP_CE_SPLIT_PTR_backward(fn) nullptr
#define SMB_OP_CE_SPLIT_PTR_cross_entropy(fn) &SMB_CAT(fn, _split)
#define SMB_OP_SPLIT_PTR_forward(fn) nullptr
#define SMB_OP_SPLIT_PTR_backward(fn) &SMB_CAT(fn, _split)
#define SMB_OP_SPLIT_PTR_cross_entropy(fn) nullptr
// An op row's function by op and dtype: f32 in (row, backward, cross_entropy); the bf16 dtypes
// (cross_entropy only) in (ce_bf16, ce_bf16_f32).
#define SMB_OP_FNS_forward_f32(fn) SMB_FNS_forward(fn)
#define SMB_OP_FNS_backward_f32(fn) SMB_FNS_backward(fn)
#define SMB_OP_FNS_cross_entropy_f32(fn) SMB_FNS_cross_entropy(fn)
#define SMB_OP_FNS_cross_entropy_bf16(fn) nullptr, nullptr, nullptr
#define SMB_OP_FNS_cross_entropy_bf16_f32(fn) nullptr, nullptr, nullptr
#define SMB_OP_BF16_FNS_f32(fn) nullptr, nullptr
#define SMB_OP_BF16_FNS_bf16(fn) fn, nullptr
#define SMB_OP_BF16_FNS_bf16_f32(fn) nullptr, fn
// A forward row's function by its dtype: f32 in (row, backward, cross_entropy), bf16 ones in
// (row_bf16, row_bf16_f32).
#define SMB_F32_FNS_f32(fn) SMB_FNS_forward(fn)
#define SMB_F32_FNS_bf16(fn) nullptr, nullptr, nullptr
#define SMB_F32_FNS_bf16_f32(fn) nullptr, nullptr, nullptr
#define SMB_DTYPE_FNS_f32(fn) nullptr, nullptr
#define SMB_DTYPE_FNS_bf16(fn) fn, nullptr
#define SMB_DTYPE_FNS_bf16_f32(fn) nullptr, fn
#define SMB_SPLIT_PTR_0(p) nullptr
#define SMB_SPLIT_PTR_1(p) p
// A forward row's split pointer goes to split (f32) or split_bf16 (the bf16 dtypes).
#define SMB_SPLIT_F32_f32(p) p
#define SMB_SPLIT_F32_bf16(p) nullptr
#define SMB_SPLIT_F32_bf16_f32(p) nullptr
#define SMB_SPLIT_BF16_f32(p) nullptr
#define SMB_SPLIT_BF16_bf16(p) p
#define SMB_SPLIT_BF16_bf16_f32(p) p
#define SMB_AUTO(tier, ulp, sub, summary)                                                                 \
    Row{Algorithm::auto_pick, Isa::scalar, ExpKernel::per_pick, Tier::tier, Dtype::f32, ulp, ulp, Subnormal::sub, \
        Op::forward, SMB_FNS_forward(&kernels::auto_pick::tier), summary, nullptr, SplitForm::none, nullptr, nullptr},
#include "list.inc"
#undef SMB_VARIANT
#undef SMB_OP_VARIANT
#undef SMB_AUTO
#undef SMB_SPLIT_PTR_0
#undef SMB_SPLIT_PTR_1
#undef SMB_SPLIT_F32_f32
#undef SMB_SPLIT_F32_bf16
#undef SMB_SPLIT_F32_bf16_f32
#undef SMB_SPLIT_BF16_f32
#undef SMB_SPLIT_BF16_bf16
#undef SMB_SPLIT_BF16_bf16_f32
#undef SMB_F32_FNS_f32
#undef SMB_F32_FNS_bf16
#undef SMB_F32_FNS_bf16_f32
#undef SMB_DTYPE_FNS_f32
#undef SMB_DTYPE_FNS_bf16
#undef SMB_DTYPE_FNS_bf16_f32
#undef SMB_OP_FNS_forward_f32
#undef SMB_OP_FNS_backward_f32
#undef SMB_OP_FNS_cross_entropy_f32
#undef SMB_OP_FNS_cross_entropy_bf16
#undef SMB_OP_FNS_cross_entropy_bf16_f32
#undef SMB_OP_BF16_FNS_f32
#undef SMB_OP_BF16_FNS_bf16
#undef SMB_OP_BF16_FNS_bf16_f32
#undef SMB_OP_SPLIT_PTR_forward
#undef SMB_OP_SPLIT_PTR_backward
#undef SMB_OP_SPLIT_PTR_cross_entropy
#undef SMB_OP_CE_SPLIT_PTR_forward
#undef SMB_OP_CE_SPLIT_PTR_backward
#undef SMB_OP_CE_SPLIT_PTR_cross_entropy
};
constexpr std::size_t kCount = std::size(kRows);

constexpr std::array<Name, kCount> kNames = [] {
    std::array<Name, kCount> n{};
    for (std::size_t k = 0; k < kCount; ++k) n[k] = make_name(kRows[k].a, kRows[k].i, kRows[k].e, kRows[k].t, kRows[k].d);
    return n;
}();

// The variants grouped by op, then by dtype (list order within a group), so all_variants(op,
// dtype) is one slice; kRowOf[k] is the list row of kVariants[k].
constexpr Op kOps[] = {Op::forward, Op::backward, Op::cross_entropy};
constexpr Dtype kDtypes[] = {Dtype::f32, Dtype::bf16, Dtype::bf16_f32};
constexpr std::array<std::size_t, kCount> kRowOf = [] {
    std::array<std::size_t, kCount> idx{};
    std::size_t out = 0;
    for (Op op : kOps)
        for (Dtype d : kDtypes)
            for (std::size_t k = 0; k < kCount; ++k)
                if (kRows[k].op == op && kRows[k].d == d) idx[out++] = k;
    return idx;
}();
constexpr std::array<Variant, kCount> kVariants = [] {
    std::array<Variant, kCount> v{};
    for (std::size_t out = 0; out < kCount; ++out) {
        const std::size_t k = kRowOf[out];
        const Row& r = kRows[k];
        v[out] = Variant{kNames[k].view(), r.a, r.i, r.e, r.t, r.d, r.ulp, r.ulp_log, r.sub, r.row, r.summary,
                         r.split_form, r.op, r.backward, r.cross_entropy, r.row_bf16, r.row_bf16_f32,
                         r.ce_bf16, r.ce_bf16_f32};
    }
    return v;
}();
static_assert([] {
    for (const Row& r : kRows) {
        if (r.op != Op::forward && r.split != nullptr) return false;  // op variants: split none
        // bf16: forward and cross_entropy; a forward row's split (if any) is a Bf16RowSplit
        if (r.d != Dtype::f32 && (r.split != nullptr || r.op == Op::backward)) return false;
        // (the pointer is compared only where it must be the literal nullptr: GCC's sanitizer
        // builds cannot fold an extern object's address against null in a constant expression)
        if ((r.d == Dtype::f32 || r.op != Op::forward) && r.split_bf16 != nullptr) return false;
    }
    return true;
}());

constexpr VariantAlias kAliases[] = {
#define SMB_ALIAS(old_name, name) VariantAlias{old_name, name},
#include "list.inc"
#undef SMB_ALIAS
};

const Variant* find_canonical(std::string_view name) {
    const auto it = std::find_if(kVariants.begin(), kVariants.end(), [&](const Variant& v) { return v.name == name; });
    return it == kVariants.end() ? nullptr : &*it;
}

}  // namespace

std::span<const Variant> all_variants(Op op, Dtype d) {
    std::size_t begin = 0;
    while (begin < kCount && !(kVariants[begin].op == op && kVariants[begin].dtype == d)) ++begin;
    std::size_t end = begin;
    while (end < kCount && kVariants[end].op == op && kVariants[end].dtype == d) ++end;
    return std::span<const Variant>(kVariants).subspan(begin, end - begin);
}
std::span<const VariantAlias> variant_aliases() { return kAliases; }
std::span<const AlgorithmInfo> all_algorithms() { return kAlgorithms; }

const AlgorithmInfo& info(Algorithm a) {
    for (const AlgorithmInfo& i : kAlgorithms)
        if (i.algorithm == a) return i;
    return kAlgorithms[std::size(kAlgorithms) - 1];
}

std::string_view parallelism(const Variant& v) { return v.split_form == SplitForm::none ? "rows" : "rows+split"; }

// The split plumbing behind each row (detail/split.hpp), from the same rows as the variants.
// A registry variant finds it directly: its index in kVariants gives its list row (kRowOf). The
// search by row function stays for any other Variant: Variant is a public value type, and a copy
// (the tests copy them, callers may keep one by value) must split as its original does. A copy
// cannot carry its list row instead: softmax.hpp names none of the split plumbing, and such an
// index would survive an edit of the copy's row function (tests/test_tuning.cpp's probe gives a
// copy its own row), pairing that row with another kernel's split forms. The row function is
// what names the kernel, so it is the key (each row's is its own: tests/test_registry.cpp).
namespace {
// The list row of v: directly by its index for a registry variant; for a copy, the row whose
// own function (of the copy's op and dtype) it carries; nullptr for any other Variant.
const Row* row_of(const Variant& v) {
    const auto* p = &v;
    if (std::less_equal<>{}(kVariants.data(), p) && std::less<>{}(p, kVariants.data() + kCount))
        return &kRows[kRowOf[std::size_t(p - kVariants.data())]];
    const auto same = [](auto a, auto b) { return a != nullptr && a == b; };
    for (const Row& r : kRows)
        if (same(r.row, v.row) || same(r.backward, v.backward) || same(r.cross_entropy, v.cross_entropy) ||
            same(r.ce_bf16, v.cross_entropy_bf16) || same(r.ce_bf16_f32, v.cross_entropy_bf16_f32) ||
            same(r.row_bf16, v.row_bf16) || same(r.row_bf16_f32, v.row_bf16_f32))
            return &r;
    return nullptr;
}
}  // namespace

const RowSplit* detail::split_of(const Variant& v) {
    const Row* r = row_of(v);
    return r ? r->split : nullptr;
}

const Bf16RowSplit* detail::bf16_split_of(const Variant& v) {
    const Row* r = row_of(v);
    return r ? r->split_bf16 : nullptr;
}

const RowsForm* detail::rows_form_of(const Variant& v) {
    const Row* r = row_of(v);
    return r ? r->rows_form : nullptr;
}

const BackwardSplit* detail::backward_split_of(const Variant& v) {
    const Row* r = row_of(v);
    return r ? r->bw_split : nullptr;
}

const CrossEntropySplit* detail::cross_entropy_split_of(const Variant& v) {
    const Row* r = row_of(v);
    return r && r->ce_split ? *r->ce_split : nullptr;
}

const Variant* find_variant(std::string_view name) {
    if (const Variant* v = find_canonical(name)) return v;
    for (const VariantAlias& a : kAliases)
        if (a.alias == name) return find_canonical(a.name);
    return nullptr;
}

std::string variant_name(Algorithm a, Isa i, ExpKernel e, Tier t, Dtype d) {
    return std::string(make_name(a, i, e, t, d).view());
}

bool in_domain(const Variant& v, std::span<const float> x) {
    const double lim = info(v.algorithm).max_abs_logit;
    if (!(lim < kAnyFinite)) return true;
    for (float t : x)
        if (std::isfinite(t) && std::fabs(t) > lim) return false;
    return true;
}

std::string_view to_string(Algorithm a) { return algorithm_name(a); }
std::string_view to_string(Isa i) { return isa_name(i); }
std::string_view to_string(ExpKernel e) { return exp_name(e); }
std::string_view to_string(Tier t) { return tier_name(t); }
std::string_view to_string(Dtype d) { return dtype_name(d); }
std::string_view to_string(SplitForm s) {
    switch (s) {
        case SplitForm::none: return "none";
        case SplitForm::max_first: return "max_first";
        case SplitForm::one_pass: return "one_pass";
        case SplitForm::max_first_or_one_pass: return "max_first_or_one_pass";
    }
    return "?";
}
std::string_view to_string(Subnormal s) { return s == Subnormal::gradual ? "gradual" : "flush"; }
std::string_view to_string(Output o) { return o == Output::softmax ? "softmax" : "log_softmax"; }
std::string_view to_string(Op o) {
    switch (o) {
        case Op::forward: return "forward";
        case Op::backward: return "backward";
        case Op::cross_entropy: return "cross_entropy";
    }
    return "?";
}

bool parse_isa(std::string_view s, Isa& out) {
    for (const IsaName& n : kIsaNames)
        if (n.name == s) {
            out = n.isa;
            return true;
        }
    return false;
}

std::span<const Isa> all_isas() { return kIsaOrder; }

}  // namespace smb
