// The batch call's threads argument: rows split among threads (bit-identical for any count),
// one long row split across threads (same documented bound), special values under threads,
// empty shapes. Threads 1, 2 and 3 (3 oversubscribes the 2-core CI machine on purpose).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"
#include "split_forms.hpp"

using namespace smb;

namespace {

using test::all_equal;
using test::all_nan;
using test::available_variants;
using test::kInf;
using test::kNaN;
// Longer than the split threshold in src/core/batch.cpp (32768), not a multiple of 16.
constexpr std::size_t kLong = 100003;

using test::batch;
using test::Form;

// Every variant, plus each split's long-row form (tests/split_forms.hpp).
std::vector<Form> split_forms() { return test::split_forms(available_variants()); }

}  // namespace

TEST_CASE("row-parallel results are bit-identical for any thread count") {
    // 2000 x 37 = 74000 elements: above the parallel threshold, rows >= threads.
    const std::size_t rows = 2000, cols = 37;
    std::vector<float> x;
    for (std::size_t r = 0; r < rows; ++r) {
        const auto row = ref::make_row(r % 2 ? "normal_5" : "uniform", cols, r);
        x.insert(x.end(), row.begin(), row.end());
    }
    for (const Variant* v : available_variants()) {
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const auto y1 = batch(*v, x, rows, cols, out, 1);
            for (int t : {2, 3}) {
                INFO(v->name << " " << to_string(out) << " threads=" << t);
                const auto yt = batch(*v, x, rows, cols, out, t);
                CHECK(std::memcmp(y1.data(), yt.data(), y1.size() * sizeof(float)) == 0);
            }
        }
    }
}

TEST_CASE("a long row split across threads meets the variant's documented bound") {
    for (const char* dist : {"normal_1", "normal_20", "dominant", "ties", "offset_1e4"}) {
        const auto x = ref::make_row(dist, kLong, 77);
        for (Output out : {Output::softmax, Output::log_softmax}) {
            const ref::RowReference r = ref::reference_row(x, out);
            for (const Form& form : split_forms()) {
                const Variant* v = form.v;
                if (!ref::in_domain(*v, x)) continue;
                for (int t : {2, 3}) {
                    const auto y = batch(form, x, 1, kLong, out, t);
                    const ref::Check c = ref::check_output(*v, x, y, r, out);
                    INFO(form.label() << " " << parallelism(*v) << " " << dist << " " << to_string(out)
                                 << " threads=" << t << ": " << c.failure);
                    CHECK(c.failure.empty());
                }
            }
        }
    }
}

TEST_CASE("split rows: NaN among -inf, half -inf and all -inf rows follow the policy") {
    // The rows, and the reference of the half -inf one, once for every form and thread count.
    // (A single NaN, +inf or -inf on every slice and chunk boundary: test_special_positions.)
    std::vector<float> nan_among_ninf(kLong, -kInf);
    nan_among_ninf[kLong / 2 + 100] = kNaN;
    auto half = ref::make_row("normal_1", kLong, 6);
    for (std::size_t i = 0; i < kLong / 2; ++i) half[i] = -kInf;
    const ref::RowReference half_ref[2] = {ref::reference_row(half, Output::softmax),
                                           ref::reference_row(half, Output::log_softmax)};
    const std::vector<float> all(kLong, -kInf);
    for (const Form& form : split_forms()) {
        const Variant* v = form.v;
        if (!test::splits(form)) continue;
        for (int t : {2, 3}) {
            for (Output out : {Output::softmax, Output::log_softmax}) {
                INFO(form.label() << " threads=" << t << " " << to_string(out));
                // NaN in the second half, every other entry -inf: a NaN-dropping max sees -inf.
                CHECK(all_nan(batch(form, nan_among_ninf, 1, kLong, out, t, true)));
                // First half all -inf, second half finite: exact 0 / -inf there, the rest scored.
                const auto y = batch(form, half, 1, kLong, out, t);
                const ref::Check c = ref::check_output(*v, half, y, half_ref[out == Output::softmax ? 0 : 1], out);
                INFO(c.failure);
                CHECK(c.failure.empty());
                CHECK(y[0] == (out == Output::softmax ? 0.0f : -kInf));
                // All -inf: NaN, or the masked value.
                CHECK(all_nan(batch(form, all, 1, kLong, out, t)));
                CHECK(all_equal(batch(form, all, 1, kLong, out, t, true), out == Output::softmax ? 0.0f : -kInf));
            }
        }
    }
}

TEST_CASE("fewer rows than threads, empty shapes, in place under threads") {
    const Variant& v = *find_variant("online.scalar");
    BatchArgs a;  // rows = 0 and cols = 0 with 3 threads: nothing happens
    a.threads = 3;
    CHECK_NOTHROW(softmax_batch(v, a));
    a.rows = 5;  // cols = 0: nothing to write, null pointers allowed
    CHECK_NOTHROW(softmax_batch(v, a));
    a.rows = 0;
    a.cols = 7;
    CHECK_NOTHROW(softmax_batch(v, a));

    for (const Variant* w : available_variants()) {
        if (w->split_form == SplitForm::none) continue;
        // 2 long rows, 3 threads: each row is split; in place gives the same as out of place.
        std::vector<float> x = ref::make_row("normal_5", 2 * kLong, 9);
        const auto y = batch(*w, x, 2, kLong, Output::softmax, 3);
        BatchArgs b;
        b.x = x.data();
        b.y = x.data();
        b.rows = 2;
        b.cols = kLong;
        b.threads = 3;
        softmax_batch(*w, b);
        INFO(w->name);
        CHECK(std::memcmp(x.data(), y.data(), y.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("guarded's one-pass split slices: streamed stores give the in-place (plain) bits at every alignment") {
    // Rows from simd/guarded.hpp's kGuardSplitOnePassFrom elements split in the one-pass form,
    // whose write streams its slices' outputs (layout::kStreamFromBytes and more, y apart from x;
    // simd/passes.hpp, map_row_stream). In place the same writer stores plainly: the bits must
    // match at every offset of y from a 64-byte boundary, with nothing written outside y.
    const std::size_t n = (std::size_t(1) << 23) + 37;
    const std::vector<float> x = ref::make_row("normal_1", n, 13);
    std::size_t compared = 0;
    for (const Variant* v : available_variants()) {
        if (v->algorithm != Algorithm::guarded || v->split_form == SplitForm::none) continue;
        std::vector<float> plain = x;
        BatchArgs a;
        a.x = plain.data();
        a.y = plain.data();
        a.rows = 1;
        a.cols = n;
        a.threads = 2;
        softmax_batch(*v, a);
        for (std::size_t off : {0, 1, 5, 15}) {
            INFO(v->name << " offset " << off);
            std::vector<float> buf(n + 64, -7.0f);
            const auto addr = reinterpret_cast<std::uintptr_t>(buf.data());
            float* y = buf.data() + (64 - addr % 64) % 64 / 4 + off;
            a.x = x.data();
            a.y = y;
            softmax_batch(*v, a);
            CHECK(std::memcmp(y, plain.data(), n * sizeof(float)) == 0);
            std::size_t outside = 0;
            for (float* p = buf.data(); p < y; ++p) outside += *p != -7.0f;
            for (float* p = y + n; p < buf.data() + buf.size(); ++p) outside += *p != -7.0f;
            CHECK(outside == 0);
            compared += n;
        }
    }
    CHECK(compared > 0);
}

TEST_CASE("recompute: the fast tier is max_shifted's bit for bit, whole rows and split rows") {
    // Dukhan & Ablavatski's two three-pass forms differ in memory traffic only: recompute's
    // output pass evaluates the same exp of the same (x, m) that max_shifted stored, times the
    // same float(1/s). Any difference in bits means one of them changed its arithmetic.
    std::size_t compared = 0;
    for (const char* isa : {"sse2", "avx2", "avx512"}) {
        const Variant* r = find_variant(std::string("recompute.") + isa);
        const Variant* m = find_variant(std::string("max_shifted.") + isa);
        REQUIRE(r);
        REQUIRE(m);
        if (!available(*r)) continue;
        INFO(r->name);
        for (const auto& d : ref::distributions()) {
            INFO(d.name);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const std::vector<float> rows = ref::make_row(d.name, 64 * 33, 5);  // 64 x 33
                const auto p = batch(*r, rows, 64, 33, out, 1), q = batch(*m, rows, 64, 33, out, 1);
                CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);
                const std::vector<float> x = ref::make_row(d.name, kLong, 6);  // one row, split
                for (int t : {1, 2}) {
                    const auto a = batch(*r, x, 1, kLong, out, t), b = batch(*m, x, 1, kLong, out, t);
                    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
                }
                ++compared;
            }
        }
    }
    CHECK(compared > 0);  // SSE2 is in every x86-64 CPU
}
