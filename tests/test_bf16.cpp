// The bf16 dtypes (variants/list.inc: dtype bf16 = bf16 -> bf16, bf16_f32 = bf16 -> float32):
// the registry's slices and names, every bf16 variant against the MPFR reference of its bf16
// logits on every test distribution and size (bf16 ULP for bf16 outputs, the f32 scoring for
// float32 outputs), the accurate tier's correctly rounded fraction, the special-value policy,
// tails against guard pages (2-byte elements), threads and in place, and the batch call's
// refusals.
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>
#include <string>
#include <vector>

#include <filesystem>

#include "bf16_bits.hpp"
#include "detail/split.hpp"
#include "guard_page.hpp"
#include "layout.hpp"
#include "accuracy.hpp"
#include "npy/npy.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/bf16.hpp"

using namespace smb;

namespace {

using smb::test::Bits;
using smb::test::to_bf16;
using smb::test::widen;

std::vector<const Variant*> available(Dtype d) {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants(Op::forward, d))
        if (smb::available(v)) vs.push_back(&v);
    return vs;
}

void run(const Variant& v, const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p) { v.row_bf16(x, y, n, p); }
void run(const Variant& v, const std::uint16_t* x, float* y, std::size_t n, RowParams p) { v.row_bf16_f32(x, y, n, p); }

// The scorer of bf16 outputs lives in the reference library (reference/scoring.hpp), shared with
// `softmaxbench accuracy`.
using ref::Bf16Score;
using ref::score_bf16;

// The row of a distribution rounded to bf16, and the reference of those bf16 values.
struct Case {
    Bits x;
    std::vector<float> xf;
};
Case make_case(std::string_view dist, std::size_t n, std::uint64_t seed) {
    Case c;
    c.x = to_bf16(ref::make_row(dist, n, seed));
    c.xf = widen(c.x);
    return c;
}

}  // namespace

TEST_CASE("bf16: the registry's dtype slices, names and row functions") {
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32}) {
        const auto vs = all_variants(Op::forward, d);
        REQUIRE_FALSE(vs.empty());
        std::string suffix(".");
        suffix += to_string(d);
        for (const Variant& v : vs) {
            INFO(v.name);
            CHECK(v.dtype == d);
            CHECK(v.name.size() > suffix.size());
            CHECK(v.name.substr(v.name.size() - suffix.size()) == suffix);
            CHECK(v.name == variant_name(v.algorithm, v.isa, v.exp_kernel, v.tier, v.dtype));
            CHECK(find_variant(v.name) == &v);
            CHECK(v.row == nullptr);
            CHECK((v.row_bf16 != nullptr) == (d == Dtype::bf16));
            CHECK((v.row_bf16_f32 != nullptr) == (d == Dtype::bf16_f32));
            // Whole rows but for guarded's, whose long rows the batch call cuts (Bf16RowSplit).
            CHECK(v.split_form == (v.algorithm == Algorithm::guarded ? SplitForm::one_pass : SplitForm::none));
            CHECK((detail::bf16_split_of(v) != nullptr) == (v.split_form != SplitForm::none));
            CHECK(detail::bf16_split_of(Variant(v)) == detail::bf16_split_of(v));  // a copy splits alike
            // Tier on a bf16 output: accurate = one float ULP before the rounding to bf16.
            if (d == Dtype::bf16) {
                const double acc = 0.5 + kAccurateMaxUlp / 65536.0;
                if (v.tier == Tier::accurate) CHECK(std::max(v.max_ulp, v.max_ulp_log) <= acc);
                else CHECK(v.max_ulp > acc);
                CHECK(std::max(v.max_ulp, v.max_ulp_log) < 1.0);  // faithful, every one
            } else {
                if (v.tier == Tier::accurate) CHECK(std::max(v.max_ulp, v.max_ulp_log) <= kAccurateMaxUlp);
                else CHECK(v.max_ulp > kAccurateMaxUlp);
            }
        }
    }
    // Every ISA with f32 kernels has its bf16 ones, both outputs, both tiers (online).
    for (Isa i : all_isas())
        for (const char* suffix : {".bf16", ".bf16_f32", ".accurate.bf16", ".accurate.bf16_f32"}) {
            std::string name("online.");
            name += to_string(i);
            name += suffix;
            if (i == Isa::scalar && std::string_view(suffix).find("accurate") == std::string_view::npos) continue;
            INFO(name);
            CHECK(find_variant(name) != nullptr);
        }
    // guarded, the algorithm the f32 rows lead with, has its bf16 rows on every SIMD ISA (fast
    // tier, both outputs), with the float bounds of its f32 rows (6 / 3) carried to bf16.
    for (Isa i : all_isas()) {
        if (i == Isa::scalar) continue;
        for (const char* suffix : {".bf16", ".bf16_f32"}) {
            const std::string name = "guarded." + std::string(to_string(i)) + suffix;
            INFO(name);
            const Variant* v = find_variant(name);
            REQUIRE(v != nullptr);
            CHECK(v->tier == Tier::fast);
            CHECK(v->subnormal == Subnormal::flush);
            if (v->dtype == Dtype::bf16) {
                CHECK(v->max_ulp == 0.5 + 6.0 / 65536.0);
                CHECK(v->max_ulp_log == 0.5 + 3.0 / 65536.0);
            } else {
                CHECK(v->max_ulp == 6.0);
                CHECK(v->max_ulp_log == 3.0);
            }
        }
    }
    // guarded with poly3, the degree-3 exp (relative error 1.02e-4, guarded_bf16.hpp): a bf16 row
    // on every SIMD ISA, no bf16_f32 row; softmax within 0.5 + 3450 2^-16 bf16 ULP, log_softmax
    // poly5's max_shifted (0.5 + 3 2^-16).
    for (Isa i : all_isas()) {
        if (i == Isa::scalar) continue;
        const std::string name = "guarded." + std::string(to_string(i)) + ".poly3";
        INFO(name);
        const Variant* v = find_variant(name + ".bf16");
        REQUIRE(v != nullptr);
        CHECK(v->exp_kernel == ExpKernel::poly3);
        CHECK(v->tier == Tier::fast);
        CHECK(v->subnormal == Subnormal::flush);
        CHECK(v->max_ulp == 0.5 + 3450.0 / 65536.0);
        CHECK(v->max_ulp_log == 0.5 + 3.0 / 65536.0);
        CHECK(find_variant(name + ".bf16_f32") == nullptr);
        CHECK(find_variant(name) == nullptr);
    }
    // poly3s: poly3 with the exp's power of two applied by vscalefps (exp.hpp), the same bits
    // (the test below), so the same bounds; on the AVX-512 ISAs only.
    for (Isa i : all_isas()) {
        const std::string name = "guarded." + std::string(to_string(i)) + ".poly3s";
        INFO(name);
        const Variant* v = find_variant(name + ".bf16");
        const bool scalef_isa = i == Isa::avx512 || i == Isa::avx512bf16;
        REQUIRE((v != nullptr) == scalef_isa);
        if (!v) continue;
        const Variant* w = find_variant("guarded." + std::string(to_string(i)) + ".poly3.bf16");
        REQUIRE(w != nullptr);
        CHECK(v->exp_kernel == ExpKernel::poly3s);
        CHECK(v->tier == w->tier);
        CHECK(v->subnormal == w->subnormal);
        CHECK(v->max_ulp == w->max_ulp);
        CHECK(v->max_ulp_log == w->max_ulp_log);
        CHECK(find_variant(name + ".bf16_f32") == nullptr);
    }
    // The f32 slice is what it was: no bf16 variant in it.
    for (const Variant& v : all_variants()) CHECK(v.dtype == Dtype::f32);
}

TEST_CASE("bf16: float_to_bf16 rounds to nearest even and keeps NaN") {
    CHECK(float_to_bf16(1.0f) == 0x3F80);
    CHECK(float_to_bf16(std::bit_cast<float>(0x3F808000u)) == 0x3F80);  // tie, even stays
    CHECK(float_to_bf16(std::bit_cast<float>(0x3F818000u)) == 0x3F82);  // tie, odd rounds up
    CHECK(float_to_bf16(std::bit_cast<float>(0x3F808001u)) == 0x3F81);
    CHECK(float_to_bf16(std::bit_cast<float>(0x3F807FFFu)) == 0x3F80);
    CHECK(float_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)) == 0x7F80);  // past the largest: inf
    CHECK(float_to_bf16(INFINITY) == 0x7F80);
    CHECK(float_to_bf16(-INFINITY) == 0xFF80);
    CHECK(float_to_bf16(std::bit_cast<float>(0x00008000u)) == 0x0000);  // subnormal tie, even
    CHECK(float_to_bf16(std::bit_cast<float>(0x00018000u)) == 0x0002);
    CHECK(std::isnan(bf16_to_float(float_to_bf16(std::bit_cast<float>(0x7F800001u)))));  // payload low only
    CHECK(std::isnan(bf16_to_float(float_to_bf16(std::bit_cast<float>(0xFFC00000u)))));
    for (std::uint32_t b = 0; b < 0x10000; ++b) {  // every bf16 round-trips
        const float f = bf16_to_float(std::uint16_t(b));
        if (!std::isnan(f)) REQUIRE(float_to_bf16(f) == b);
    }
}

TEST_CASE("bf16: every variant meets its documented bound on every distribution and size") {
    const auto v16 = available(Dtype::bf16);
    const auto v32 = available(Dtype::bf16_f32);
    REQUIRE_FALSE(v16.empty());
    REQUIRE_FALSE(v32.empty());
    std::map<std::string, Bf16Score> total;  // bf16 outputs: worst and correctly rounded counts
    std::map<std::string, double> worst32;
    std::vector<std::string> failures;
    std::size_t checks = 0;
    for (const auto& d : ref::distributions()) {
        for (std::size_t n : ref::test_sizes()) {
            const Case c = make_case(d.name, n, 42);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const ref::RowReference r = ref::reference_row(c.xf, out);
                const std::string where = std::string(d.name) + " n=" + std::to_string(n) + " " + std::string(to_string(out));
                for (const Variant* v : v16) {
                    Bits y(n, 0xABCD);
                    run(*v, c.x.data(), y.data(), n, RowParams{out});
                    const Bf16Score s = score_bf16(*v, y, r, out);
                    ++checks;
                    Bf16Score& t = total[std::string(v->name) + " " + std::string(to_string(out))];
                    t.max_ulp = std::max(t.max_ulp, s.max_ulp);
                    t.band += s.band;
                    t.correct += s.correct;
                    if (!s.failure.empty()) failures.push_back(std::string(v->name) + " on " + where + ": " + s.failure);
                }
                for (const Variant* v : v32) {
                    std::vector<float> y(n, -7.0f);
                    run(*v, c.x.data(), y.data(), n, RowParams{out});
                    const test::Check k = test::check_output(*v, c.xf, y, r, out);
                    ++checks;
                    double& w = worst32[std::string(v->name) + " " + std::string(to_string(out))];
                    w = std::max(w, k.m.max_ulp);
                    if (!k.failure.empty()) failures.push_back(std::string(v->name) + " on " + where + ": " + k.failure);
                }
            }
        }
    }
    for (const auto& [k, t] : total) {
        const double frac = t.band ? double(t.correct) / double(t.band) : 1.0;
        std::printf("  %-40s worst %.6f bf16 ULP, correctly rounded %.5f %% of %zu\n", k.c_str(), t.max_ulp,
                    100 * frac, t.band);
        // The accurate tier: correctly rounded on >= 99.99 % of the normal band (list.inc).
        if (k.find(".accurate.") != std::string::npos && frac < 0.9999)
            failures.push_back(k + ": correctly rounded on only " + std::to_string(100 * frac) + " %");
    }
    for (const auto& [k, w] : worst32) std::printf("  %-40s worst %.4g float ULP\n", k.c_str(), w);
    for (const auto& f : failures) UNSCOPED_INFO(f);
    INFO(checks << " variant-row checks, " << failures.size() << " failures");
    CHECK(failures.empty());
    CHECK(checks > 1000);
}

TEST_CASE("bf16: the scorer fails an output one bf16 ULP off, and passes the correctly rounded one") {
    // The scorer behind this file and `softmaxbench accuracy` (<stem>-bf16.csv): a broken bound
    // must fail there, not only here.
    const Variant* v = find_variant("online.scalar.accurate.bf16");
    REQUIRE(v != nullptr);
    const Case c = make_case("normal_1", 1000, 3);
    for (Output out : {Output::softmax, Output::log_softmax}) {
        INFO(to_string(out));
        const ref::RowReference r = ref::reference_row(c.xf, out);
        Bits y(c.x.size());
        for (std::size_t i = 0; i < y.size(); ++i)  // the correctly rounded bf16 (exact in float)
            y[i] = float_to_bf16(float(ref::round_bf16(r.exact[i], r.binade[i])));
        Bf16Score s = score_bf16(*v, y, r, out);
        CHECK(s.failure == "");
        CHECK(s.max_ulp <= 0.5);
        CHECK(s.band == y.size());
        CHECK(s.correct == s.band);
        std::size_t at = 0;  // an entry away from a binade edge
        while (at < y.size() && (y[at] & 0x7F) == 0x7F) ++at;
        REQUIRE(at < y.size());
        y[at] = std::uint16_t(y[at] + 1);  // one bf16 ULP up (same sign, same binade)
        s = score_bf16(*v, y, r, out);
        CHECK(s.max_ulp > 0.5);
        CHECK(s.failure.find("bf16 ULP bound") != std::string::npos);
        CHECK(s.correct == s.band - 1);
    }
}

TEST_CASE("bf16: guarded's bf16 output is its float32 output rounded to bf16, in both forms") {
    // guarded.<isa>.bf16 keeps its terms in a scratch up to layout::kBf16ScratchMax elements and
    // computes them again past it; either way each output is RNE_bf16(e * float(1/s)) with the
    // terms e and the sum s of guarded.<isa>.bf16_f32 (its store form): the same bits as that
    // output rounded to bf16. avx512bf16's native rounding flushes subnormal floats (list.inc).
    // (The poly3 and poly3s rows have no bf16_f32 row: the next test compares their two forms
    // directly.)
    std::size_t compared = 0;
    for (const Variant* v : available(Dtype::bf16)) {
        if (v->algorithm != Algorithm::guarded || v->exp_kernel == ExpKernel::poly3 || v->exp_kernel == ExpKernel::poly3s)
            continue;
        std::string f32_name(v->name);
        f32_name += "_f32";
        const Variant* w = find_variant(f32_name);
        REQUIRE(w != nullptr);
        for (const char* dist : {"normal_1", "uniform", "normal_20", "offset_1e4"})
            for (std::size_t n : {std::size_t(2), std::size_t(33), std::size_t(1000), std::size_t(4096), std::size_t(65537),
                                  layout::kBf16ScratchMax, layout::kBf16ScratchMax + 1}) {
                INFO(v->name << " " << dist << " n=" << n);
                const Case c = make_case(dist, n, 7);
                Bits y(n, 0xABCD), y_in_place = c.x;
                std::vector<float> y32(n, -7.0f);
                run(*v, c.x.data(), y.data(), n, RowParams{});
                run(*v, y_in_place.data(), y_in_place.data(), n, RowParams{});
                run(*w, c.x.data(), y32.data(), n, RowParams{});
                std::size_t bad = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    const bool flushed = v->isa == Isa::avx512bf16 && std::fabs(y32[i]) < 0x1p-126f;
                    const std::uint16_t want = flushed ? std::uint16_t(0) : float_to_bf16(y32[i]);
                    bad += y[i] != want || y_in_place[i] != want;
                }
                CHECK(bad == 0);
                compared += n;
            }
    }
    CHECK(compared > 0);
}

TEST_CASE("bf16: guarded's scratch form and recompute form give the same bits (every guarded bf16 row)") {
    // A row of layout::kBf16ScratchMax elements takes the scratch form; the same row with one -inf
    // appended (its term is exactly 0, the anchor and the sum unchanged) takes the recompute
    // form, which evaluates the exp again in the write pass: the first n outputs must be the
    // same bits, and the last exactly 0. In place equals out of place in both forms.
    constexpr std::size_t n = layout::kBf16ScratchMax;
    std::size_t compared = 0;
    for (const Variant* v : available(Dtype::bf16)) {
        if (v->algorithm != Algorithm::guarded) continue;
        for (const char* dist : {"normal_1", "normal_20", "offset_1e4"}) {
            INFO(v->name << " " << dist);
            const Case c = make_case(dist, n, 9);
            Bits x1 = c.x;
            x1.push_back(0xFF80);  // -inf
            Bits y0(n, 0xABCD), y1(n + 1, 0xABCD), y1_in_place = x1;
            run(*v, c.x.data(), y0.data(), n, RowParams{});
            run(*v, x1.data(), y1.data(), n + 1, RowParams{});
            run(*v, y1_in_place.data(), y1_in_place.data(), n + 1, RowParams{});
            std::size_t bad = 0;
            for (std::size_t i = 0; i < n; ++i) bad += y1[i] != y0[i] || y1_in_place[i] != y0[i];
            CHECK(bad == 0);
            CHECK(y1[n] == 0);
            CHECK(y1_in_place[n] == 0);
            compared += n;
        }
    }
    CHECK(compared > 0);
}

TEST_CASE("bf16: rows past layout::kStreamFromBytes: streamed stores give the plain writer's bits at every alignment") {
    // guarded's recompute writer stores with non-temporal stores when the output holds at least
    // layout::kStreamFromBytes and lies apart from x (simd/passes.hpp, map_row_stream): the
    // elements before y's first 64-byte boundary and the last partial group are written plainly,
    // the rest streamed. In place it writes plainly: the same bits are wanted at every offset of
    // y from a 64-byte boundary, and nothing written outside y.
    const std::size_t n = layout::kStreamFromBytes / 2 + 37;
    const Case c = make_case("normal_1", n, 11);
    std::size_t compared = 0;
    for (const Variant* v : available(Dtype::bf16)) {
        if (v->algorithm != Algorithm::guarded) continue;
        Bits plain = c.x;
        run(*v, plain.data(), plain.data(), n, RowParams{});
        for (std::size_t off : {0, 1, 2, 3, 7, 8, 15, 16, 17, 31}) {
            INFO(v->name << " offset " << off);
            Bits buf(n + 128, 0xABCD);
            const auto addr = reinterpret_cast<std::uintptr_t>(buf.data());
            std::uint16_t* y = buf.data() + (64 - addr % 64) % 64 / 2 + off;
            run(*v, c.x.data(), y, n, RowParams{});
            std::size_t bad = 0, outside = 0;
            for (std::size_t i = 0; i < n; ++i) bad += y[i] != plain[i];
            for (std::uint16_t* p = buf.data(); p < y; ++p) outside += *p != 0xABCD;
            for (std::uint16_t* p = y + n; p < buf.data() + buf.size(); ++p) outside += *p != 0xABCD;
            CHECK(bad == 0);
            CHECK(outside == 0);
            compared += n;
        }
    }
    CHECK(compared > 0);
}

TEST_CASE("bf16: split slices past layout::kStreamFromBytes: streamed stores, the plain bits at every alignment") {
    // A row cut across 2 threads whose slices each write at least layout::kStreamFromBytes
    // (guarded_split_write_bf16 -> guarded_write -> map_row_stream). bf16 outputs: the same bits
    // as the same split in place (written plainly), at every offset of y. bf16_f32 outputs (the
    // same Q, S and terms): each rounded to bf16 gives those bits (avx512bf16 flushes subnormal
    // floats), at every offset. Nothing written outside y.
    const std::size_t n = layout::kStreamFromBytes + 37;  // 2 slices of >= kStreamFromBytes of bf16 each
    const Case c = make_case("normal_1", n, 12);
    std::size_t compared = 0;
    for (const Variant* v : available(Dtype::bf16)) {
        if (v->algorithm != Algorithm::guarded || v->split_form == SplitForm::none) continue;
        Bf16BatchArgs a;
        a.rows = 1;
        a.cols = n;
        a.threads = 2;
        Bits plain = c.x;
        a.x = plain.data();
        a.y = plain.data();
        softmax_batch(*v, a);
        std::string f32_name(v->name);
        f32_name += "_f32";
        const Variant* w = find_variant(f32_name);  // poly3 has none
        for (std::size_t off : {0, 1, 17, 31}) {
            INFO(v->name << " offset " << off);
            Bits buf(n + 64, 0xABCD);
            const auto addr = reinterpret_cast<std::uintptr_t>(buf.data());
            std::uint16_t* y = buf.data() + (64 - addr % 64) % 64 / 2 + off;
            a.x = c.x.data();
            a.y = y;
            softmax_batch(*v, a);
            std::size_t bad = 0, outside = 0;
            for (std::size_t i = 0; i < n; ++i) bad += y[i] != plain[i];
            for (std::uint16_t* p = buf.data(); p < y; ++p) outside += *p != 0xABCD;
            for (std::uint16_t* p = y + n; p < buf.data() + buf.size(); ++p) outside += *p != 0xABCD;
            if (w != nullptr) {
                std::vector<float> fb(n + 32, -7.0f);
                const auto fa = reinterpret_cast<std::uintptr_t>(fb.data());
                float* y32 = fb.data() + (64 - fa % 64) % 64 / 4 + off % 16;
                Bf16BatchArgs b = a;
                b.y = nullptr;
                b.y_f32 = y32;
                softmax_batch(*w, b);
                for (std::size_t i = 0; i < n; ++i) {
                    const bool flushed = v->isa == Isa::avx512bf16 && std::fabs(y32[i]) < 0x1p-126f;
                    bad += (flushed ? std::uint16_t(0) : float_to_bf16(y32[i])) != plain[i];
                }
                for (float* p = fb.data(); p < y32; ++p) outside += *p != -7.0f;
                for (float* p = y32 + n; p < fb.data() + fb.size(); ++p) outside += *p != -7.0f;
            }
            CHECK(bad == 0);
            CHECK(outside == 0);
            compared += n;
        }
    }
    CHECK(compared > 0);
}

TEST_CASE("bf16: a batch whose output is past layout::kStreamCallFromBytes: streamed rows, the row function's bits") {
    // The bf16 batch call tells the rows that its whole output is past the caches
    // (RowParams::output_past_caches); guarded's write passes then stream their stores, in the
    // scratch form (rows up to kBf16ScratchMax) and in the recompute form alike, though no row
    // alone holds layout::kStreamFromBytes. An output stride of 1 mod 32 elements puts the rows'
    // starts at successive offsets from a 64-byte boundary (all 32 with 65537 columns). Each row
    // must be the row function's bits (called alone: written plainly), on 1 and 2 threads, and
    // nothing written between the rows or past them; in place (written plainly) the same bits.
    // (The bits cannot tell whether the stores streamed: the speed does, bench/README.md.)
    for (const std::size_t cols : {std::size_t(65537), layout::kBf16ScratchMax + 1}) {
        const std::size_t rows = (layout::kStreamCallFromBytes / 2 + cols - 1) / cols,
                          ldy = cols - cols % 32 + 33;  // 1 mod 32 elements
        REQUIRE(rows * cols * 2 >= layout::kStreamCallFromBytes);
        REQUIRE(cols * 2 < layout::kStreamFromBytes);  // a row alone is written plainly
        REQUIRE(cols * 2 >= layout::kStreamCallMinRowBytes);
        const Case c = make_case("normal_1", rows * cols, 13);
        std::size_t compared = 0;
        for (const Variant* v : available(Dtype::bf16)) {
            if (v->algorithm != Algorithm::guarded) continue;
            Bits want(rows * cols);
            for (std::size_t r = 0; r < rows; ++r)
                run(*v, c.x.data() + r * cols, want.data() + r * cols, cols, RowParams{});
            for (const int threads : {1, 2}) {
                INFO(v->name << " cols " << cols << " threads " << threads);
                Bits buf(rows * ldy + 64, 0xABCD);
                Bf16BatchArgs a;
                a.rows = rows;
                a.cols = cols;
                a.ld_y = ldy;
                a.threads = threads;
                a.x = c.x.data();
                a.y = buf.data() + 1;
                softmax_batch(*v, a);
                std::size_t bad = 0, outside = 0;
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t i = 0; i < ldy; ++i) {
                        const std::uint16_t got = a.y[r * ldy + i];
                        if (i < cols) bad += got != want[r * cols + i];
                        else outside += got != 0xABCD;
                    }
                outside += buf[0] != 0xABCD;
                for (std::size_t i = rows * ldy + 1; i < buf.size(); ++i) outside += buf[i] != 0xABCD;
                Bits in_place = c.x;
                a.ld_y = 0;
                a.x = a.y = in_place.data();
                softmax_batch(*v, a);
                for (std::size_t i = 0; i < rows * cols; ++i) bad += in_place[i] != want[i];
                CHECK(bad == 0);
                CHECK(outside == 0);
                compared += rows * cols;
            }
        }
        CHECK(compared > 0);
    }
}

TEST_CASE("bf16: special values by the f32 policy") {
    const std::uint16_t kNaN16 = 0x7FC0, kPinf = 0x7F80, kNinf = 0xFF80;
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
        for (const Variant* v : available(d))
            for (Output out : {Output::softmax, Output::log_softmax})
                for (bool masked : {false, true})
                    for (std::size_t n : {1u, 2u, 17u, 33u, 100u, 1000u}) {
                        INFO(v->name << " " << to_string(out) << " masked " << masked << " n=" << n);
                        const RowParams p{out, masked};
                        const Case base = make_case("normal_1", n, 5);
                        auto outputs = [&](const Bits& x) {
                            std::vector<float> yf(n, -7.0f);
                            if (d == Dtype::bf16) {
                                Bits y(n, 0xABCD);
                                v->row_bf16(x.data(), y.data(), n, p);
                                yf = widen(y);
                            } else {
                                v->row_bf16_f32(x.data(), yf.data(), n, p);
                            }
                            return yf;
                        };
                        // NaN or +inf anywhere: every output NaN.
                        for (std::uint16_t s : {kNaN16, kPinf})
                            for (std::size_t at : {std::size_t(0), n / 2, n - 1}) {
                                Bits x = base.x;
                                x[at] = s;
                                CHECK(test::all_nan(outputs(x)));
                            }
                        // Every entry -inf: NaN, or the masked value.
                        const Bits all_ninf(n, kNinf);
                        const std::vector<float> ya = outputs(all_ninf);
                        if (masked) CHECK(test::all_equal(ya, out == Output::softmax ? 0.0f : -INFINITY));
                        else CHECK(test::all_nan(ya));
                        // A NaN among -inf: NaN even when masked.
                        Bits nan_ninf = all_ninf;
                        nan_ninf[n - 1] = kNaN16;
                        CHECK(test::all_nan(outputs(nan_ninf)));
                        // -inf entries among finite ones: exactly 0 (log: -inf) there, the rest
                        // by the bound (scored against the reference).
                        if (n >= 2) {
                            Bits x = base.x;
                            for (std::size_t i = 0; i < n; i += 3) x[i] = kNinf;
                            if (n % 3 == 1) x[n - 1] = base.x[n - 1];  // keep one finite entry at least
                            const std::vector<float> xf = widen(x);
                            const ref::RowReference r = ref::reference_row(xf, out, masked);
                            const std::vector<float> y = outputs(x);
                            for (std::size_t i = 0; i < n; ++i)
                                if (x[i] == kNinf) CHECK(y[i] == (out == Output::softmax ? 0.0f : -INFINITY));
                            if (d == Dtype::bf16) CHECK(score_bf16(*v, to_bf16(y), r, out).failure == "");
                            else CHECK(test::check_output(*v, xf, y, r, out).failure == "");
                        }
                        // One finite entry: exactly 1 (log: 0).
                        if (n == 1) CHECK(outputs(base.x)[0] == (out == Output::softmax ? 1.0f : 0.0f));
                    }
}

TEST_CASE("bf16: n = 0 writes nothing; in place equals out of place; threads give the same bits") {
    for (const Variant* v : available(Dtype::bf16)) {
        INFO(v->name);
        std::uint16_t in[1] = {0x3F80}, sentinel[2] = {0x1234, 0x1234};
        v->row_bf16(in, sentinel, 0, RowParams{});
        CHECK(sentinel[0] == 0x1234);
        for (std::size_t n : {5u, 64u, 1000u, 4099u}) {
            const Case c = make_case("normal_1", n, 9);
            Bits y(n), z = c.x;
            v->row_bf16(c.x.data(), y.data(), n, RowParams{});
            v->row_bf16(z.data(), z.data(), n, RowParams{});
            CHECK(y == z);
        }
    }
    const std::size_t rows = 37, cols = 1031;  // > kMinParallelElements: the threaded path
    const Case c = make_case("normal_1", rows * cols, 11);
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
        for (const Variant* v : available(d))
            for (Output out : {Output::softmax, Output::log_softmax}) {
                INFO(v->name << " " << to_string(out));
                Bits y16[3];
                std::vector<float> y32[3];
                for (int t = 1; t <= 3; ++t) {
                    Bf16BatchArgs a;
                    a.x = c.x.data();
                    a.rows = rows;
                    a.cols = cols;
                    a.output = out;
                    a.threads = t;
                    y16[t - 1].assign(rows * cols, 0);
                    y32[t - 1].assign(rows * cols, 0.0f);
                    if (d == Dtype::bf16) a.y = y16[t - 1].data();
                    else a.y_f32 = y32[t - 1].data();
                    softmax_batch(*v, a);
                }
                CHECK(y16[0] == y16[1]);
                CHECK(y16[0] == y16[2]);
                CHECK(std::memcmp(y32[0].data(), y32[1].data(), rows * cols * 4) == 0);
                CHECK(std::memcmp(y32[0].data(), y32[2].data(), rows * cols * 4) == 0);
                // Each row is the row function's output.
                for (std::size_t r : {std::size_t(0), rows - 1}) {
                    if (d == Dtype::bf16) {
                        Bits one(cols);
                        v->row_bf16(c.x.data() + r * cols, one.data(), cols, RowParams{out});
                        CHECK(std::memcmp(one.data(), y16[1].data() + r * cols, cols * 2) == 0);
                    } else {
                        std::vector<float> one(cols);
                        v->row_bf16_f32(c.x.data() + r * cols, one.data(), cols, RowParams{out});
                        CHECK(std::memcmp(one.data(), y32[1].data() + r * cols, cols * 4) == 0);
                    }
                }
            }
}

// Tails against a guard page: the row's last element is the last of a readable page (x) or a
// writable one (y), the next page is PROT_NONE, so a load or store past the end faults. The
// outputs must equal those computed in an ordinary buffer.
using Guarded = smb::test::GuardPage;

namespace {
// The bf16 batch call on rows x cols, the given threads; the output of the variant's dtype.
template <class Ty>
std::vector<Ty> batch(const Variant& v, const Bits& x, std::size_t rows, std::size_t cols, int threads,
                      Output out = Output::softmax) {
    std::vector<Ty> y(rows * cols, Ty(0x5555));
    Bf16BatchArgs a;
    a.x = x.data();
    a.rows = rows;
    a.cols = cols;
    a.threads = threads;
    a.output = out;
    if constexpr (std::is_same_v<Ty, float>) a.y_f32 = y.data();
    else a.y = y.data();
    softmax_batch(v, a);
    return y;
}
// The split by hand: every slice reduced (layout::split_slice), merged, every slice written.
template <class Ty>
std::vector<Ty> by_slices(const Variant& v, const Bits& x, int threads) {
    const Bf16RowSplit& sp = *detail::bf16_split_of(v);
    const std::size_t n = x.size();
    std::vector<SplitState> parts(static_cast<std::size_t>(threads));
    for (int k = 0; k < threads; ++k) {
        const auto [b, e] = layout::split_slice(n, threads, k);
        parts[std::size_t(k)].m = -INFINITY;
        if (e > b) sp.reduce(x.data() + b, e - b, RowParams{}, &parts[std::size_t(k)]);
    }
    const SplitState t = detail::merge_split_states(parts.data(), threads, RowSplit::Base::pow2);
    std::vector<Ty> y(n);
    for (int k = 0; k < threads; ++k) {
        const auto [b, e] = layout::split_slice(n, threads, k);
        if constexpr (std::is_same_v<Ty, float>) sp.write_f32(x.data() + b, y.data() + b, e - b, RowParams{}, t);
        else sp.write_bf16(x.data() + b, y.data() + b, e - b, RowParams{}, t);
    }
    return y;
}
template <class Ty>
std::vector<Ty> row_fn(const Variant& v, const Bits& x, Output out = Output::softmax) {
    std::vector<Ty> y(x.size());
    run(v, x.data(), y.data(), x.size(), RowParams{out});
    return y;
}
template <class Ty>
bool same_bits(const std::vector<Ty>& a, const std::vector<Ty>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Ty)) == 0;
}
}  // namespace

TEST_CASE("bf16: poly3s rows give poly3's bits (row function, rows form, scratch and recompute forms, split)") {
    // The list gives poly3s poly3's bounds on the strength of this: the two differ only in how
    // the exp applies its power of two (exp.hpp, ExpShiftPow2's Scalef form).
    std::size_t compared = 0;
    for (Isa i : all_isas()) {
        const Variant* s = find_variant("guarded." + std::string(to_string(i)) + ".poly3s.bf16");
        const Variant* p = find_variant("guarded." + std::string(to_string(i)) + ".poly3.bf16");
        if (!s || !smb::available(*s)) continue;
        REQUIRE(p != nullptr);
        INFO(s->name);
        for (const auto& d : ref::distributions())
            for (std::size_t n : {std::size_t(2), std::size_t(17), std::size_t(100), std::size_t(1000), std::size_t(4099),
                                  std::size_t(70001), layout::kBf16ScratchMax + 33}) {
                // the long rows (scratch form past L1, recompute form) on three distributions
                if (n > 4099 && d.name != "normal_1" && d.name != "normal_20" && d.name != "ties") continue;
                INFO(d.name << " n=" << n);
                Bits x = make_case(d.name, n, 9).x;
                for (Output out : {Output::softmax, Output::log_softmax}) {
                    CHECK(same_bits(row_fn<std::uint16_t>(*s, x, out), row_fn<std::uint16_t>(*p, x, out)));
                    ++compared;
                }
                for (std::size_t k = 0; k < n; k += 7) x[k] = 0xFF80;  // -inf entries
                CHECK(same_bits(row_fn<std::uint16_t>(*s, x), row_fn<std::uint16_t>(*p, x)));
            }
        // Short rows four at a time (the rows form), and a long row cut across 2 threads.
        for (auto [rows, cols, threads] : {std::tuple{301, 13, 2}, std::tuple{37, 200, 3}, std::tuple{1, 1 << 19, 2}}) {
            INFO(rows << "x" << cols << ", " << threads << " threads");
            const Bits x = make_case("normal_20", std::size_t(rows) * std::size_t(cols), 4).x;
            CHECK(same_bits(batch<std::uint16_t>(*s, x, std::size_t(rows), std::size_t(cols), threads),
                            batch<std::uint16_t>(*p, x, std::size_t(rows), std::size_t(cols), threads)));
            ++compared;
        }
    }
    if (compared == 0) SUCCEED("no AVX-512 on this CPU: no poly3s row to run");
}

TEST_CASE("bf16: guarded cuts a long row across threads (softmax), within its bounds; special rows stay whole") {
    const std::size_t n = layout::kBf16MinSplitCols + 7232;  // past the split threshold; 2 and 3 slices
    std::size_t split_variants = 0;
    struct Row {
        const char* dist;
        Case c;
        ref::RowReference r;
    };
    std::vector<Row> rows;
    for (const char* dist : {"normal_1", "normal_20", "dominant"}) {
        Case c = make_case(dist, n, 23);
        ref::RowReference r = ref::reference_row(c.xf, Output::softmax);
        rows.push_back(Row{dist, std::move(c), std::move(r)});
    }
    auto each = [&](Dtype d, auto ty) {
        using Ty = decltype(ty);
        for (const Variant* v : available(d)) {
            if (detail::bf16_split_of(*v) == nullptr) continue;
            ++split_variants;
            INFO(v->name);
            for (const Row& row : rows) {
                INFO(row.dist);
                const Case& c = row.c;
                const ref::RowReference& r = row.r;
                for (int t : {2, 3}) {
                    INFO(t << " threads");
                    const std::vector<Ty> y = batch<Ty>(*v, c.x, 1, n, t);
                    CHECK(same_bits(y, by_slices<Ty>(*v, c.x, t)));  // the batch call's bits are the split's
                    if constexpr (std::is_same_v<Ty, float>) CHECK(test::check_output(*v, c.xf, y, r, Output::softmax).failure == "");
                    else CHECK(score_bf16(*v, y, r, Output::softmax).failure == "");
                }
                // Rows < threads: each of 2 rows cut across 3 threads, the same bits per row.
                Bits two(c.x);
                two.insert(two.end(), c.x.begin(), c.x.end());
                const std::vector<Ty> y2 = batch<Ty>(*v, two, 2, n, 3), y1 = by_slices<Ty>(*v, c.x, 3);
                CHECK(std::memcmp(y2.data(), y1.data(), n * sizeof(Ty)) == 0);
                CHECK(std::memcmp(y2.data() + n, y1.data(), n * sizeof(Ty)) == 0);
                // log_softmax rows stay whole: the row function's bits.
                CHECK(same_bits(batch<Ty>(*v, c.x, 1, n, 2, Output::log_softmax), row_fn<Ty>(*v, c.x, Output::log_softmax)));
            }
            // The row is really cut: x = 0 but one ~2^30 term at the second slice's start and a few
            // logits near -100 ln2 in the first. Whole, anchored at 0, those terms are ~2^-100 and
            // their outputs ~2^-130 (float subnormals, by the multiply); cut in two, the second
            // slice anchors at q = 29 and writes every term relative to it, so theirs flush to 0
            // (below 2^-126, as the bounds allow). Both within the bounds, not the same bits.
            {
                Bits x(n, float_to_bf16(0.0f));
                const auto [b2, e2] = layout::split_slice(n, 2, 1);
                x[b2] = float_to_bf16(20.75f);
                for (std::size_t i = 5000; i < 5016; ++i) x[i] = float_to_bf16(-69.25f);
                const std::vector<float> xf = widen(x);
                const ref::RowReference r = ref::reference_row(xf, Output::softmax);
                const std::vector<Ty> y = batch<Ty>(*v, x, 1, n, 2), whole = row_fn<Ty>(*v, x);
                CHECK(same_bits(y, by_slices<Ty>(*v, x, 2)));
                if constexpr (std::is_same_v<Ty, float>) {
                    CHECK(test::check_output(*v, xf, y, r, Output::softmax).failure == "");
                    CHECK(whole[5000] > 0.0f);
                    CHECK(y[5000] == 0.0f);
                } else {
                    CHECK(score_bf16(*v, y, r, Output::softmax).failure == "");
                }
            }
            // A slice the window cannot take sends the whole row to the row function: NaN, +inf,
            // a logit past ~1280 (each in the second slice), a slice of -inf only.
            for (float special : {NAN, INFINITY, 1.0e4f, -INFINITY}) {
                INFO("special " << special);
                Bits x = make_case("normal_1", n, 5).x;
                const auto [b2, e2] = layout::split_slice(n, 2, 1);
                if (special == -INFINITY) std::fill(x.begin() + std::ptrdiff_t(b2), x.end(), std::uint16_t(0xFF80));
                else x[b2 + 777] = float_to_bf16(special);
                CHECK(same_bits(batch<Ty>(*v, x, 1, n, 2), row_fn<Ty>(*v, x)));
            }
        }
    };
    each(Dtype::bf16, std::uint16_t{});
    each(Dtype::bf16_f32, float{});
    CHECK(split_variants > 0);
}

TEST_CASE("bf16: tails read and write nothing past the row (guard pages, 2-byte elements)") {
    std::vector<std::size_t> sizes;
    for (std::size_t n = 1; n <= 80; ++n) sizes.push_back(n);
    for (std::size_t n : {127u, 255u, 1000u, 1023u, 4097u}) sizes.push_back(n);
    Guarded gx(4097 * 2), gy(4097 * 4);
    std::size_t runs = 0;
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
        for (const Variant* v : available(d))
            for (Output out : {Output::softmax, Output::log_softmax})
                for (std::size_t n : sizes) {
                    INFO(v->name << " " << to_string(out) << " n=" << n);
                    const Case c = make_case("normal_1", n, 3);
                    std::uint16_t* x = gx.last<std::uint16_t>(n);
                    std::memcpy(x, c.x.data(), n * 2);
                    const RowParams p{out};
                    if (d == Dtype::bf16) {
                        Bits want(n);
                        v->row_bf16(c.x.data(), want.data(), n, p);
                        std::uint16_t* y = gy.last<std::uint16_t>(n);
                        v->row_bf16(x, y, n, p);
                        CHECK(std::memcmp(y, want.data(), n * 2) == 0);
                        v->row_bf16(x, x, n, p);  // in place, at the guard
                        CHECK(std::memcmp(x, want.data(), n * 2) == 0);
                    } else {
                        std::vector<float> want(n);
                        v->row_bf16_f32(c.x.data(), want.data(), n, p);
                        float* y = gy.last<float>(n);
                        v->row_bf16_f32(x, y, n, p);
                        CHECK(std::memcmp(y, want.data(), n * 4) == 0);
                    }
                    ++runs;
                }
    CHECK(runs > 100);
}

TEST_CASE("bf16: the batch calls refuse the other dtype and the wrong output") {
    const Variant* b16 = find_variant("online.scalar.accurate.bf16");
    const Variant* b32 = find_variant("online.scalar.accurate.bf16_f32");
    const Variant* f32 = find_variant("online.scalar.accurate");
    REQUIRE(b16);
    REQUIRE(b32);
    REQUIRE(f32);
    std::uint16_t x[4] = {0x3F80, 0x4000, 0x4040, 0x4080}, y[4] = {};
    float yf[4] = {}, xf[4] = {1, 2, 3, 4};
    Bf16BatchArgs a;
    a.x = x;
    a.rows = 1;
    a.cols = 4;
    a.y = y;
    CHECK_THROWS_AS(softmax_batch(*f32, a), std::invalid_argument);   // f32 variant, bf16 call
    CHECK_THROWS_AS(softmax_batch(*b32, a), std::invalid_argument);   // bf16_f32 wants y_f32
    a.y_f32 = yf;
    CHECK_THROWS_AS(softmax_batch(*b16, a), std::invalid_argument);   // both outputs set
    a.y = nullptr;
    CHECK_NOTHROW(softmax_batch(*b32, a));
    CHECK(std::fabs(yf[3] - 0.6439142598879722f) < 1e-6f);
    a.y_f32 = reinterpret_cast<float*>(x);  // bf16 -> float32 in place: refused
    CHECK_THROWS_AS(softmax_batch(*b32, a), std::invalid_argument);
    a.y_f32 = nullptr;
    a.y = x;  // bf16 -> bf16 in place: allowed
    CHECK_NOTHROW(softmax_batch(*b16, a));
    CHECK(x[3] == float_to_bf16(0.6439142598879722f));
    // cols alone past SIZE_MAX / sizeof(float), one row or two with the default stride: the
    // extent's bound SIZE_MAX / 4 - cols must not wrap around (it did: the call then ran).
    for (std::size_t rows : {1u, 2u}) {
        Bf16BatchArgs big = a;
        big.rows = rows, big.cols = SIZE_MAX / sizeof(float) + 1;
        INFO(rows << " rows of SIZE_MAX / 4 + 1");
        CHECK_THROWS_WITH(softmax_batch(*b16, big), Catch::Contains("shape overflows size_t"));
    }
    BatchArgs f;
    f.x = xf;
    f.y = yf;
    f.rows = 1;
    f.cols = 4;
    CHECK_THROWS_AS(softmax_batch(*b16, f), std::invalid_argument);  // bf16 variant, f32 call
}

TEST_CASE("bf16: npy read_bf16 takes '<u2' and '|V2', write_bf16 writes '<u2', other dtypes are refused") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("smb_test_bf16_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::vector<std::size_t> shape{2, 3};
    const Bits b{0x3F80, 0x4000, 0xFF80, 0x7FC0, 0x0001, 0x8000};
    npy::write_bf16(dir / "a.npy", shape, b);
    const npy::Bf16Array a = npy::read_bf16(dir / "a.npy");
    CHECK(a.shape == shape);
    CHECK(a.data == b);
    CHECK(a.rows() == 2);
    CHECK(a.cols() == 3);
    // The header says '<u2'; the same bytes with '|V2' read the same.
    std::string bytes;
    {
        std::FILE* f = std::fopen((dir / "a.npy").c_str(), "rb");
        REQUIRE(f);
        char buf[4096];
        std::size_t g;
        while ((g = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, g);
        std::fclose(f);
    }
    const auto at = bytes.find("'<u2'");
    REQUIRE(at != std::string::npos);
    std::string v2 = bytes;
    v2.replace(at, 5, "'|V2'");
    {
        std::FILE* f = std::fopen((dir / "v.npy").c_str(), "wb");
        REQUIRE(f);
        std::fwrite(v2.data(), 1, v2.size(), f);
        std::fclose(f);
    }
    CHECK(npy::read_bf16(dir / "v.npy").data == b);
    // float32 files are refused by read_bf16 with the dtype named; '<u2' files by read().
    npy::write(dir / "f.npy", shape, std::vector<float>(6, 1.0f));
    try {
        (void)npy::read_bf16(dir / "f.npy");
        FAIL("read_bf16 accepted a float32 file");
    } catch (const npy::Error& e) {
        CHECK(std::string(e.what()).find("unsupported dtype '<f4' (float32, little-endian) for bf16") != std::string::npos);
    }
    try {
        (void)npy::read(dir / "a.npy");
        FAIL("read accepted a '<u2' file");
    } catch (const npy::Error& e) {
        CHECK(std::string(e.what()).find("--dtype bf16") != std::string::npos);
    }
    fs::remove_all(dir);
}

TEST_CASE("bf16: avx512bf16 is a side extension: available with AVX512_BF16, capped by SOFTMAXBENCH_FORCE_ISA") {
    const char* env = std::getenv("SOFTMAXBENCH_FORCE_ISA");
    const bool forced = env != nullptr && *env != '\0';
    CHECK(isa_supported_by_cpu(Isa::avx512bf16) == (cpu_info().avx512bf16 && isa_supported_by_cpu(Isa::avx512)));
    CHECK(best_isa_of_cpu() != Isa::avx512bf16);  // dispatch keeps preferring avx512 (f32 kernels)
    if (!forced) {
        for (Isa i : all_isas()) CHECK(isa_available(i) == isa_supported_by_cpu(i));
    } else if (std::string_view(env) != "avx512bf16") {
        CHECK_FALSE(isa_available(Isa::avx512bf16));  // e.g. =avx512: the extension is capped away
        CHECK(find_variant("online.avx512bf16.bf16") != nullptr);
        CHECK_FALSE(smb::available(*find_variant("online.avx512bf16.bf16")));
    } else {
        CHECK(isa_available(Isa::avx512));  // its features contain avx512's
    }
    std::printf("  this CPU: AVX512_BF16 %s; avx512bf16 rows %s\n", cpu_info().avx512bf16 ? "yes" : "no",
                isa_available(Isa::avx512bf16) ? "available" : "not available");
}
