// The list and its registry: the name grammar, aliases, and the facts other code reads.
//   <algorithm>.<isa>[.<exp>][.<tier>][.<dtype>]   (variants/list.inc; auto: auto[.<tier>])
// exp is shown only when it is not the tier's default exp on that ISA, tier only when it is
// accurate, dtype only when it is not f32. This test parses every name by that grammar on its
// own (it does not call the registry's rule) and compares with the variant's fields.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/split.hpp"
#include "softmaxbench/softmax.hpp"

using namespace smb;

namespace {

std::vector<std::string> split_dots(std::string_view s) {
    std::vector<std::string> parts(1);
    for (char c : s) {
        if (c == '.') parts.emplace_back();
        else parts.back() += c;
    }
    return parts;
}

template <class E, class List>
bool parse_enum(const std::string& tok, const List& all, E& out) {
    for (E e : all)
        if (to_string(e) == tok) {
            out = e;
            return true;
        }
    return false;
}

std::vector<Algorithm> algorithms() {
    std::vector<Algorithm> a;
    for (const AlgorithmInfo& i : all_algorithms()) a.push_back(i.algorithm);
    return a;
}
const std::vector<Algorithm> kAlgs = algorithms();
const std::span<const Isa> kIsas = all_isas();
constexpr auto kExps = {ExpKernel::libm_float, ExpKernel::libm_double, ExpKernel::poly3, ExpKernel::poly3s, ExpKernel::poly5, ExpKernel::poly6,
                        ExpKernel::xsimd, ExpKernel::poly6_f64, ExpKernel::per_pick};
constexpr auto kTiers = {Tier::unsafe, Tier::fast, Tier::accurate};
constexpr auto kDtypes = {Dtype::f32};

ExpKernel default_exp(Isa i, Tier t) {
    if (i == Isa::scalar) return t == Tier::unsafe ? ExpKernel::libm_float : ExpKernel::libm_double;
    return t == Tier::unsafe ? ExpKernel::xsimd : t == Tier::accurate ? ExpKernel::poly6_f64 : ExpKernel::poly5;
}

}  // namespace

TEST_CASE("every name follows the grammar and states the variant's fields") {
    std::set<std::string_view> names;
    for (const Variant& v : all_variants()) {
        INFO(v.name);
        CHECK(names.insert(v.name).second);  // unique
        CHECK(v.name == variant_name(v.algorithm, v.isa, v.exp_kernel, v.tier, v.dtype));
        const auto parts = split_dots(v.name);
        std::size_t k = 0;
        Algorithm a{};
        REQUIRE(parse_enum(parts[k++], kAlgs, a));
        CHECK(a == v.algorithm);
        if (a == Algorithm::auto_pick) {
            CHECK(v.exp_kernel == ExpKernel::per_pick);
        } else {
            Isa i{};
            REQUIRE(k < parts.size());
            REQUIRE(parse_enum(parts[k++], kIsas, i));
            CHECK(i == v.isa);
            ExpKernel e{};
            if (k < parts.size() && parse_enum(parts[k], kExps, e)) {
                ++k;
                CHECK(e == v.exp_kernel);
                CHECK(e != default_exp(v.isa, v.tier));  // shown only when not the default
            } else {
                CHECK(v.exp_kernel == default_exp(v.isa, v.tier));
            }
        }
        Tier t{};
        if (k < parts.size() && parse_enum(parts[k], kTiers, t)) {
            ++k;
            CHECK(t == v.tier);
            CHECK(t == Tier::accurate);  // fast and unsafe are never spelled
        } else {
            CHECK(v.tier != Tier::accurate);
        }
        Dtype d{};
        if (k < parts.size() && parse_enum(parts[k], kDtypes, d)) {
            ++k;
            CHECK(d == v.dtype);
            CHECK(d != Dtype::f32);
        } else {
            CHECK(v.dtype == Dtype::f32);
        }
        CHECK(k == parts.size());
    }
}

TEST_CASE("tiers match the documented bounds") {
    for (const Variant& v : all_variants()) {
        INFO(v.name);
        const double worst = std::max(v.max_ulp, std::isinf(v.max_ulp_log) ? 0.0 : v.max_ulp_log);
        if (v.tier == Tier::accurate) CHECK(worst <= kAccurateMaxUlp);
        if (v.tier == Tier::fast) CHECK(v.max_ulp > kAccurateMaxUlp);
        if (v.tier == Tier::unsafe) CHECK(info(v.algorithm).max_abs_logit < INFINITY);
    }
}

TEST_CASE("older names resolve as aliases, and only to other names") {
    REQUIRE(!variant_aliases().empty());
    for (const VariantAlias& a : variant_aliases()) {
        INFO(a.alias << " -> " << a.name);
        const Variant* v = find_variant(a.alias);
        REQUIRE(v != nullptr);
        CHECK(v->name == a.name);
        CHECK(v->name != a.alias);
    }
    // Names committed results and scripts use.
    for (const char* old : {"max_shifted.avx512.p6", "max_shifted.sse2.p6", "max_shifted.avx2.xsimd",
                            "online.avx512.accurate", "online.scalar", "max_shifted.scalar", "guarded.avx512", "auto",
                            "auto.accurate"})
        CHECK(find_variant(old) != nullptr);
    CHECK(find_variant("max_shifted.avx512.p7") == nullptr);
}

TEST_CASE("the algorithms' facts are the registry's") {
    CHECK(all_algorithms().back().algorithm == Algorithm::auto_pick);
    CHECK(info(Algorithm::naive).max_abs_logit == 80.0);
    const Variant& naive = *find_variant("naive.scalar");
    const Variant& shifted = *find_variant("max_shifted.scalar");
    const std::vector<float> big = {1e4f, 1e4f + 1};
    CHECK_FALSE(in_domain(naive, big));
    CHECK(in_domain(shifted, big));
    CHECK(in_domain(naive, std::vector<float>{-INFINITY, 80.0f}));
    CHECK(info(Algorithm::two_pass).max_shift_softmax == false);
    CHECK(info(Algorithm::guarded).max_shift_softmax == false);
    CHECK(info(Algorithm::guarded).max_shift_log == true);
    for (const Variant& v : all_variants()) {
        INFO(v.name);
        CHECK(to_string(v.algorithm) == info(v.algorithm).name);
    }
}

TEST_CASE("the split plumbing is internal, found from the variant by detail::split_of") {
    std::set<RowFn> rows;
    for (const Variant& v : all_variants()) {
        INFO(v.name);
        // The list's split form and the plumbing built from the same row agree.
        CHECK((detail::split_of(v) == nullptr) == (v.split_form == SplitForm::none));
        CHECK(parallelism(v) == (v.split_form == SplitForm::none ? "rows" : "rows+split"));
        // A copy finds the same plumbing (by its row function, which is its own).
        const Variant copy = v;
        CHECK(detail::split_of(copy) == detail::split_of(v));
        CHECK(rows.insert(v.row).second);
    }
    // The op rows: split_form says one_pass exactly when the batch call cuts one long row
    // (the backward's and the fused cross-entropy's split plumbing), for every dtype.
    for (Op op : {Op::backward, Op::cross_entropy})
        for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& v : all_variants(op, d)) {
                INFO(v.name);
                const bool splits = op == Op::backward ? detail::backward_split_of(v) != nullptr
                                                       : detail::cross_entropy_split_of(v) != nullptr;
                CHECK(v.split_form == (splits ? SplitForm::one_pass : SplitForm::none));
                CHECK(parallelism(v) == (splits ? "rows+split" : "rows"));
            }
    // A Variant that is not the registry's has none (e.g. bench/peer_accuracy.cpp's peers).
    Variant other{};
    other.name = "max_shifted.avx512";
    CHECK(detail::split_of(other) == nullptr);
    // Nor has a copy given another row function (tests/test_tuning.cpp's probe does that): the
    // plumbing follows the row function, never the name or where the copy came from.
    Variant edited = *find_variant("max_shifted.avx512");
    REQUIRE(detail::split_of(edited) != nullptr);
    edited.row = [](const float*, float*, std::size_t, RowParams) {};
    CHECK(detail::split_of(edited) == nullptr);
}

TEST_CASE("the rows form is internal too: guarded's SIMD rows have one, found by the row function") {
    // detail::rows_form_of (detail/split.hpp, RowsForm): the batch call's block-of-rows entry,
    // set for guarded's SIMD forward rows (kernels.hpp, SMB_HAS_ROWS) in their dtype's slot only.
    std::size_t with = 0;
    for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
        for (const Variant& v : all_variants(Op::forward, d)) {
            INFO(v.name);
            const RowsForm* f = detail::rows_form_of(v);
            const bool expect = v.algorithm == Algorithm::guarded && v.isa != Isa::scalar;
            CHECK((f != nullptr) == expect);
            if (f) {
                CHECK((f->f32 != nullptr) == (d == Dtype::f32));
                CHECK((f->bf16 != nullptr) == (d == Dtype::bf16));
                CHECK((f->bf16_f32 != nullptr) == (d == Dtype::bf16_f32));
                ++with;
            }
            const Variant copy = v;
            CHECK(detail::rows_form_of(copy) == f);
        }
    CHECK(with > 0);
    for (Op op : {Op::backward, Op::cross_entropy})
        for (const Variant& v : all_variants(op, Dtype::f32)) CHECK(detail::rows_form_of(v) == nullptr);
    // A copy given another row function runs row by row with it, not with guarded's rows form.
    Variant edited = *find_variant("guarded.sse2");
    REQUIRE(detail::rows_form_of(edited) != nullptr);
    edited.row = [](const float*, float*, std::size_t, RowParams) {};
    CHECK(detail::rows_form_of(edited) == nullptr);
}

TEST_CASE("a copy of a backward or cross-entropy variant splits as its original does") {
    std::size_t backward = 0, cross_entropy = 0;
    for (Op op : {Op::backward, Op::cross_entropy})
        for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& v : all_variants(op, d)) {
                INFO(v.name);
                const Variant copy = v;
                CHECK(detail::backward_split_of(copy) == detail::backward_split_of(v));
                CHECK(detail::cross_entropy_split_of(copy) == detail::cross_entropy_split_of(v));
                backward += detail::backward_split_of(v) != nullptr;
                cross_entropy += detail::cross_entropy_split_of(v) != nullptr;
            }
    CHECK(backward > 0);
    CHECK(cross_entropy > 0);
    // A Variant that is not the registry's has none.
    Variant other{};
    other.name = "ce_fused.avx512.poly6";
    other.op = Op::cross_entropy;
    CHECK(detail::cross_entropy_split_of(other) == nullptr);
    CHECK(detail::backward_split_of(other) == nullptr);
}

TEST_CASE("ISAs are feature sets: availability follows the CPU and the cap") {
    CHECK(isa_available(Isa::scalar));
    CHECK(isa_supported_by_cpu(best_isa_of_cpu()));
    for (Isa i : kIsas) {
        INFO(to_string(i));
        if (isa_available(i)) CHECK(isa_supported_by_cpu(i));
    }
    for (const Variant& v : all_variants()) CHECK(available(v) == isa_available(v.isa));
}

TEST_CASE("SOFTMAXBENCH_FORCE_ISA caps to the ISAs whose features the forced one's contain") {
    const char* env = std::getenv("SOFTMAXBENCH_FORCE_ISA");
    if (env == nullptr || std::string(env) != "avx2" || !isa_supported_by_cpu(Isa::avx2)) return;  // ctest: test_registry_force_avx2
    CHECK(dispatch_isa() == Isa::avx2);
    CHECK(isa_available(Isa::scalar));
    CHECK(isa_available(Isa::sse2));
    CHECK(isa_available(Isa::avx2));
    CHECK_FALSE(isa_available(Isa::avx512));
}

TEST_CASE("ops are an axis: each op's slice holds its variants, with that op's row function only") {
    std::set<std::string_view> names;
    std::size_t total = 0;
    for (Op op : {Op::forward, Op::backward, Op::cross_entropy}) {
        for (const Variant& v : all_variants(op)) {
            INFO(v.name);
            CHECK(v.op == op);
            CHECK(info(v.algorithm).op == op);
            CHECK((v.row != nullptr) == (op == Op::forward));
            CHECK((v.backward != nullptr) == (op == Op::backward));
            CHECK((v.cross_entropy != nullptr) == (op == Op::cross_entropy));
            CHECK(names.insert(v.name).second);  // names are unique across ops
            CHECK(find_variant(v.name) == &v);
            ++total;
        }
    }
    CHECK(all_variants().size() == all_variants(Op::forward).size());
    CHECK_FALSE(all_variants(Op::forward).empty());
    CHECK(total >= all_variants().size());
}

TEST_CASE("the batch call refuses a variant of another op, naming it") {
    Variant v = all_variants().front();
    v.op = Op::backward;
    v.name = "some_backward.scalar";
    float x[4] = {1, 2, 3, 4}, y[4];
    BatchArgs a;
    a.x = x, a.y = y, a.rows = 1, a.cols = 4;
    CHECK_THROWS_WITH(softmax_batch(v, a), Catch::Contains("some_backward.scalar") && Catch::Contains("backward"));
}

TEST_CASE("the batch call refuses a variant this CPU or the cap does not allow, on every call") {
    // test_registry_force_avx2 caps dispatch at avx2, so the avx512 variants are refused there.
    // The batch call remembers which ISAs it found available; a refusal must not be
    // remembered as anything else, nor an acceptance carried over to another ISA.
    float x[32], y[32];
    for (int i = 0; i < 32; ++i) x[i] = float(i % 5);
    BatchArgs a;
    a.x = x, a.y = y, a.cols = 16;
    for (const Variant& v : all_variants()) {
        INFO(v.name);
        for (std::size_t rows : {1u, 2u, 1u}) {
            a.rows = rows;
            if (available(v)) CHECK_NOTHROW(softmax_batch(v, a));
            else CHECK_THROWS_WITH(softmax_batch(v, a), unavailable_reason(v));
        }
    }
    // A copy of an available variant claiming an ISA that is not: refused by its ISA.
    for (Isa isa : kIsas) {
        if (isa_available(isa)) continue;
        Variant v = *find_variant("max_shifted.scalar");
        v.isa = isa;
        INFO(to_string(isa));
        a.rows = 1;
        CHECK_THROWS_AS(softmax_batch(v, a), std::runtime_error);
    }
}
