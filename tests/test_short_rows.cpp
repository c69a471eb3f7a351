// Short rows: every row length 1..300, across the boundaries of the register path the row forms
// take for rows of at most 16 vectors (variants/simd/short_row.hpp: 64 floats on SSE2, 128 on
// AVX2, 256 on AVX-512) and of its per-length instantiations (full vectors, ragged tail).
//   * every forward float32 variant meets its documented bound on every length (MPFR);
//   * tails read and write nothing outside the row (guard pages after x and y, a sentinel
//     before y), in place too, with the bits of an ordinary buffer;
//   * the register path keeps the passes' bits: max_shifted (which takes it) against recompute
//     (which does not, and is max_shifted's bit for bit by construction) on every length;
//     guarded's short rows are pinned by tests/test_golden.expected (lengths 1..33, 64, 65);
//   * guarded's bf16 rows (bf16 and bf16_f32, poly5, poly3 and poly3s) take it too, with the passes'
//     bits at every length 2..16 vectors + 1: each against the same row spread out with -inf
//     past the short-row limit, which only the passes take;
//   * NaN, +inf and -inf at every offset of rows around each ISA's boundary.
#include <catch2/catch.hpp>


#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "accuracy.hpp"
#include "bf16_bits.hpp"
#include "guard_page.hpp"
#include "reference/distributions.hpp"

using namespace smb;

namespace {

constexpr std::size_t kMaxN = 300;

std::vector<const Variant*> forward_f32() {
    std::vector<const Variant*> vs;
    for (const Variant& v : all_variants())
        if (available(v) && v.op == Op::forward && v.dtype == Dtype::f32) vs.push_back(&v);
    return vs;
}

void run(const Variant& v, const float* x, float* y, std::size_t n, Output out) {
    BatchArgs a;
    a.x = x;
    a.y = y;
    a.rows = 1;
    a.cols = n;
    a.output = out;
    softmax_batch(v, a);
}

std::vector<float> run(const Variant& v, const std::vector<float>& x, Output out) {
    std::vector<float> y(x.size());
    run(v, x.data(), y.data(), x.size(), out);
    return y;
}

// The row lengths around every ISA's short-row limit and its vector boundaries.
std::vector<std::size_t> edge_lengths() {
    std::vector<std::size_t> ns;
    for (std::size_t n = 1; n <= 20; ++n) ns.push_back(n);
    for (std::size_t c : {32u, 48u, 64u, 128u, 192u, 256u})
        for (std::size_t n : {c - 1, c, c + 1}) ns.push_back(n);
    return ns;
}

using smb::test::GuardPage;

}  // namespace

TEST_CASE("short rows: every length 1..300 meets the documented bound, softmax and log_softmax") {
    const std::vector<const Variant*> vs = forward_f32();
    REQUIRE(!vs.empty());
    std::size_t checks = 0;
    std::vector<std::string> failures;
    for (const auto& d : ref::distributions()) {
        for (std::size_t n = 1; n <= kMaxN; ++n) {
            const std::vector<float> x = ref::make_row(d.name, n, 77);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const ref::RowReference r = ref::reference_row(x, out);
                for (const Variant* v : vs) {
                    if (!test::in_domain(*v, x)) continue;
                    const test::Check c = test::check_row(*v, x, r, out);
                    ++checks;
                    if (!c.failure.empty())
                        failures.push_back(std::string(v->name) + " " + std::string(to_string(out)) + " " +
                                           std::string(d.name) + " n=" + std::to_string(n) + ": " + c.failure);
                }
            }
        }
    }
    for (std::size_t i = 0; i < failures.size() && i < 20; ++i) UNSCOPED_INFO(failures[i]);
    INFO(checks << " checks, " << failures.size() << " failures");
    CHECK(failures.empty());
    CHECK(checks > 10000);
}

TEST_CASE("short rows: tails touch nothing outside the row (guard pages), in place too, same bits") {
    GuardPage gx(kMaxN * sizeof(float)), gy((kMaxN + 64) * sizeof(float));
    const float kSentinel = 12345.0f;
    std::size_t runs = 0, failures = 0;
    for (const Variant* v : forward_f32()) {
        for (Output out : {Output::softmax, Output::log_softmax}) {
            for (std::size_t n = 1; n <= kMaxN; ++n) {
                const std::vector<float> x = ref::make_row("normal_1", n, 3);
                const std::vector<float> want = run(*v, x, out);
                float* gxr = gx.last(n);
                float* gyr = gy.last(n);
                std::memcpy(gxr, x.data(), n * sizeof(float));
                float* before = gyr - 64;
                for (std::size_t i = 0; i < 64; ++i) before[i] = kSentinel;
                for (int in_place = 0; in_place < 2; ++in_place) {
                    if (in_place) std::memcpy(gyr, x.data(), n * sizeof(float));
                    run(*v, in_place ? gyr : gxr, gyr, n, out);
                    ++runs;
                    bool ok = std::memcmp(gyr, want.data(), n * sizeof(float)) == 0;
                    for (std::size_t i = 0; i < 64; ++i) ok = ok && before[i] == kSentinel;
                    if (!ok) {
                        ++failures;
                        FAIL_CHECK(v->name << " " << to_string(out) << " n=" << n << (in_place ? " in place" : "")
                                           << ": not the ordinary buffer's bits, or wrote before y");
                    }
                }
            }
        }
    }
    INFO(runs << " runs");
    CHECK(runs > 0);
    CHECK(failures == 0);
}

TEST_CASE("short rows: max_shifted's register path has the passes' bits (recompute's) at every length") {
    std::size_t compared = 0;
    for (const char* isa : {"sse2", "avx2", "avx512"}) {
        for (const char* exp : {"", ".poly6", ".xsimd", ".accurate"}) {
            const Variant* m = find_variant(std::string("max_shifted.") + isa + exp);
            const Variant* r = find_variant(std::string("recompute.") + isa);
            REQUIRE(m);
            REQUIRE(r);
            if (!available(*m)) continue;
            for (const auto& d : ref::distributions()) {
                for (std::size_t n = 1; n <= kMaxN; ++n) {
                    const std::vector<float> x = ref::make_row(d.name, n, 11);
                    const std::vector<float> a = run(*m, x, Output::softmax);
                    if (*exp == '\0') {  // recompute is max_shifted (poly5) bit for bit
                        const std::vector<float> b = run(*r, x, Output::softmax);
                        INFO(m->name << " " << d.name << " n=" << n);
                        CHECK(std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
                        ++compared;
                    }
                    // In place: the same bits (the register path reads the row before writing).
                    std::vector<float> y = x;
                    run(*m, y.data(), y.data(), n, Output::softmax);
                    INFO(m->name << " in place " << d.name << " n=" << n);
                    CHECK(std::memcmp(a.data(), y.data(), n * sizeof(float)) == 0);
                }
            }
        }
    }
    CHECK(compared > 0);
}

namespace {

// Floats per vector of a SIMD ISA (the register path's row limit is 16 of them; 4 in sanitizer
// builds, short_row.hpp's kShortVectors).
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kRegisterVectors = 4;
#else
constexpr std::size_t kRegisterVectors = 16;
#endif
std::size_t lanes(Isa i) {
    switch (i) {
        case Isa::sse2: return 4;
        case Isa::avx2: return 8;
        case Isa::avx512:
        case Isa::avx512bf16: return 16;
        default: return 0;
    }
}

// The row x (n <= 16 W + 1 elements) laid out so that guarded's passes sum its terms in the
// order the register path does (passes.hpp: groups of 4 vectors into DoubleSum or ChunkSum, one
// fold, then the single vectors, then the tail, each added to the double lanes), on a row past
// any short-row limit (5 groups, 20 W, then the singles and the tail: at most 24 W) and below
// kGuardProbe (so the anchor is x[0], at position 0): x's groups of 4 stay in place and the
// padding up to 5 groups is -inf, whose term is exactly 0 (x + 0 = x in float and in double, so
// the sums keep their bits); the single vectors and the tail go last, where the passes' single
// and partial loops take them. A row with no group keeps its first vector (or, shorter than a
// vector, its tail) at position 0 in a group of its own: that group's sum is the vector itself,
// folded first, as the register path adds it first. pos[i]: where x[i] went.
test::Bits spread(const test::Bits& x, std::size_t w, std::vector<std::size_t>& pos) {
    const std::uint16_t kNinf = 0xFF80;
    const std::size_t n = x.size(), f = n / w, groups = f / 4;
    const std::size_t first = groups > 0 ? groups * 4 * w : std::min(n, w);  // x[0, first) leads
    const std::size_t rest = n - first;
    test::Bits out(20 * w + rest, kNinf);
    pos.assign(n, 0);
    for (std::size_t i = 0; i < first; ++i) pos[i] = i;
    for (std::size_t i = first; i < n; ++i) pos[i] = 20 * w + (i - first);
    for (std::size_t i = 0; i < n; ++i) out[pos[i]] = x[i];
    return out;
}

}  // namespace

TEST_CASE("short rows: guarded's bf16 rows have the passes' bits at every length (both dtypes, poly5, poly3, poly3s)") {
    // n in 2..16 W + 1 on every available ISA: the row as it is (the register path up to its
    // limit) against the same row spread out past the limit (the passes: the scratch form for
    // bf16 outputs, the store form for float32 outputs), output by output; the spread row's
    // -inf entries give exactly 0. In place: the same bits. The degree-3 rows (poly3, poly3s)
    // sum with ChunkSum, whose order the register path must follow too; a sum one float ULP off
    // changes a bf16 output only now and then, so those rows run 24 seeds (one seed let a short
    // path summing in DoubleSum's order pass).
    std::size_t compared = 0, rows = 0;
    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
      for (const Variant& v : all_variants(Op::forward, d)) {
        if (!available(v) || v.algorithm != Algorithm::guarded) continue;
        const std::size_t w = lanes(v.isa);
        if (w == 0) continue;  // scalar: no register path
        ++rows;
        // The distributions inside guarded's window (offset_1e4's logits take max_shifted).
        for (const char* dist : {"normal_0.1", "normal_1", "normal_5", "normal_20", "uniform", "dominant", "ties",
                                 "near_uniform"}) {
            const bool degree3 = v.exp_kernel == ExpKernel::poly3 || v.exp_kernel == ExpKernel::poly3s;
            for (std::uint64_t seed = 41; seed < (degree3 ? 65u : 42u); ++seed)
            // the extra seeds only up to the register path's limit (short_row.hpp: 16 vectors,
            // 4 in sanitizer builds; past it both sides are the passes)
            for (std::size_t n = 2; n <= (seed == 41 ? 16 : kRegisterVectors) * w + 1; ++n) {  // n = 1: no sum
                const test::Bits x = test::to_bf16(ref::make_row(dist, n, seed));
                std::vector<std::size_t> pos;
                const test::Bits xs = spread(x, w, pos);
                std::size_t bad = 0;
                if (v.dtype == Dtype::bf16) {
                    test::Bits y(n, 0xABCD), yi = x, ys(xs.size(), 0xABCD);
                    v.row_bf16(x.data(), y.data(), n, RowParams{});
                    v.row_bf16(yi.data(), yi.data(), n, RowParams{});
                    v.row_bf16(xs.data(), ys.data(), xs.size(), RowParams{});
                    for (std::size_t i = 0; i < n; ++i) bad += y[i] != ys[pos[i]] || yi[i] != ys[pos[i]];
                } else {
                    std::vector<float> y(n, -7.0f), ys(xs.size(), -7.0f);
                    v.row_bf16_f32(x.data(), y.data(), n, RowParams{});
                    v.row_bf16_f32(xs.data(), ys.data(), xs.size(), RowParams{});
                    for (std::size_t i = 0; i < n; ++i) bad += std::memcmp(&y[i], &ys[pos[i]], sizeof(float)) != 0;
                }
                if (bad) FAIL_CHECK(v.name << " " << dist << " n=" << n << " seed " << seed << ": " << bad << " outputs differ from the passes'");
                compared += n;
            }
        }
    }
    INFO(rows << " rows, " << compared << " outputs");
    CHECK(rows > 0);
    CHECK(compared > 0);
}

TEST_CASE("short rows: NaN, +inf and -inf at every offset follow the policy") {
    using test::kInf;
    using test::kNaN;
    const std::vector<const Variant*> vs = forward_f32();
    std::size_t runs = 0, failures = 0;
    for (std::size_t n : edge_lengths()) {
        std::vector<float> x = ref::make_row("normal_1", n, 29);
        std::vector<float> y(n);
        for (std::size_t pos = 0; pos < n; ++pos) {
            const float keep = x[pos];
            for (float bad : {kNaN, kInf, -kInf}) {
                x[pos] = bad;
                for (Output out : {Output::softmax, Output::log_softmax}) {
                    const std::vector<double> r = test::double_softmax(x, out);
                    for (const Variant* v : vs) {
                        run(*v, x.data(), y.data(), n, out);
                        ++runs;
                        std::size_t fail = n;
                        if (bad != -kInf || n == 1) {  // all NaN (a lone -inf is an all -inf row)
                            for (std::size_t i = 0; i < n && fail == n; ++i)
                                if (!std::isnan(y[i])) fail = i;
                        } else {
                            if (!(y[pos] == (out == Output::softmax ? 0.0f : -kInf))) fail = pos;
                            for (std::size_t i = 0; i < n && fail == n; ++i) {
                                if (i == pos) continue;
                                const double dd = std::fabs(double(y[i]) - r[i]);
                                const bool ok = out == Output::softmax ? dd <= 1e-4 * r[i] + 0x1p-126
                                                                       : dd <= 1e-4 * (1 + std::fabs(r[i]));
                                if (!ok) fail = i;
                            }
                        }
                        if (fail != n) {
                            ++failures;
                            FAIL_CHECK(v->name << " " << to_string(out) << " n=" << n << " x[" << pos << "]=" << bad
                                               << ": y[" << fail << "]=" << y[fail]);
                        }
                    }
                }
            }
            x[pos] = keep;
        }
    }
    INFO(runs << " runs");
    CHECK(runs > 0);
    CHECK(failures == 0);
}

namespace {

// A batch of short rows for the rows form: rows of one distribution each, with a row leaving
// guarded's window (x[0] = 0, a logit of 200 further on) in the first group of 4 and a NaN row
// in the second, so that those groups go back to the row function; the third group (rows 8-11:
// uniform, dominant, ties, near_uniform, inside their windows) takes the group form; normal_20
// rows (which may leave theirs) fall in the failing groups or the 3 rows left over of 15.
std::vector<float> rows_batch(std::size_t rows, std::size_t n, std::size_t ld) {
    const char* dists[] = {"normal_1", "uniform", "dominant", "ties", "near_uniform", "normal_0.1", "normal_20"};
    std::vector<float> x(rows * ld, 1234.5f);  // between rows: never read
    for (std::size_t r = 0; r < rows; ++r) {
        const std::vector<float> row = ref::make_row(dists[r % 7], n, 50 + r);
        std::copy(row.begin(), row.end(), x.begin() + std::ptrdiff_t(r * ld));
    }
    if (n >= 2) {
        x[2 * ld] = 0.0f;
        x[2 * ld + n - 1] = 200.0f;
        x[5 * ld + n / 2] = std::numeric_limits<float>::quiet_NaN();
    }
    // The premise: the third group is well inside its windows (simd/guarded.hpp, guard_window: a
    // span of 96 ln2 above floor(x[0] log2e) ln2; 6 ln2 to spare cover the bf16 rounding), so the
    // group form runs on it.
    for (std::size_t r = 8; n >= 2 && r < std::min<std::size_t>(rows, 12); ++r) {
        const double q = std::floor(double(x[r * ld]) * 1.4426950408889634);
        const auto top = *std::max_element(x.begin() + std::ptrdiff_t(r * ld), x.begin() + std::ptrdiff_t(r * ld + n));
        REQUIRE(double(top) <= (q + 90) * 0.6931471805599453);
    }
    return x;
}

// One batch call over rows of n at strides ldx, ldy, for the three dtypes' argument types.
BatchArgs batch_args(const float* x, float* y) {
    BatchArgs a;
    a.x = x;
    a.y = y;
    return a;
}
Bf16BatchArgs batch_args(const std::uint16_t* x, std::uint16_t* y) {
    Bf16BatchArgs a;
    a.x = x;
    a.y = y;
    return a;
}
Bf16BatchArgs batch_args(const std::uint16_t* x, float* y) {
    Bf16BatchArgs a;
    a.x = x;
    a.y_f32 = y;
    return a;
}
template <class Tx, class Ty>
void batch_rows(const Variant& v, const Tx* x, Ty* y, std::size_t rows, std::size_t n, std::size_t ldx, std::size_t ldy,
                Output out, int threads) {
    auto a = batch_args(x, y);
    a.threads = threads;
    a.rows = rows;
    a.cols = n;
    a.ld_x = ldx;
    a.ld_y = ldy;
    a.output = out;
    softmax_batch(v, a);
}
void row_of(const Variant& v, const float* x, float* y, std::size_t n, RowParams p) { v.row(x, y, n, p); }
void row_of(const Variant& v, const std::uint16_t* x, std::uint16_t* y, std::size_t n, RowParams p) { v.row_bf16(x, y, n, p); }
void row_of(const Variant& v, const std::uint16_t* x, float* y, std::size_t n, RowParams p) { v.row_bf16_f32(x, y, n, p); }

// The batch call's outputs against the row function's, row by row, bits and the gaps between
// rows included; in place too where the dtype allows it. Returns how many buffers differ.
template <class Tx, class Ty>
int rows_form_mismatches(const Variant& v, const std::vector<Tx>& x, std::size_t rows, std::size_t n, std::size_t ldx,
                         Output out, int threads) {
    const std::size_t ldy = ldx + 2;
    const RowParams p{out, false};
    std::vector<Ty> y(rows * ldy, Ty(7)), want(rows * ldy, Ty(7));
    for (std::size_t r = 0; r < rows; ++r) row_of(v, x.data() + r * ldx, want.data() + r * ldy, n, p);
    batch_rows(v, x.data(), y.data(), rows, n, ldx, ldy, out, threads);
    int bad = std::memcmp(y.data(), want.data(), y.size() * sizeof(Ty)) != 0;
    if constexpr (std::is_same_v<Tx, Ty>) {
        std::vector<Ty> yi = x, wanti = x;
        for (std::size_t r = 0; r < rows; ++r) row_of(v, wanti.data() + r * ldx, wanti.data() + r * ldx, n, p);
        batch_rows(v, yi.data(), yi.data(), rows, n, ldx, ldx, out, threads);
        bad += std::memcmp(yi.data(), wanti.data(), yi.size() * sizeof(Ty)) != 0;
    }
    return bad;
}

}  // namespace

TEST_CASE("short rows: guarded's rows form (groups of rows) gives the row function's bits, row by row") {
    // The batch call gives each thread's block of rows to guarded's rows form (simd/guarded.hpp,
    // guarded_rows): short softmax rows in groups of 4 (short_row.hpp, GuardedShortRows), the
    // rest row by row. Every row must get the row function's bits: f32, bf16 and bf16_f32 rows,
    // lengths around every ISA's short-row limit, strides wider than the row, in place, a group
    // with a row outside the window, one with a NaN, and log_softmax (row by row).
    constexpr std::size_t kRows = 15;
    std::size_t compared = 0;
    // The batch of rows_batch in the variant's dtype against its row function.
    const auto mismatches = [](const Variant& v, std::size_t rows, std::size_t n, std::size_t ldx, Output out, int threads) {
        const std::vector<float> xf = rows_batch(rows, n, ldx);
        if (v.dtype == Dtype::f32) return rows_form_mismatches<float, float>(v, xf, rows, n, ldx, out, threads);
        if (v.dtype == Dtype::bf16)
            return rows_form_mismatches<std::uint16_t, std::uint16_t>(v, test::to_bf16(xf), rows, n, ldx, out, threads);
        return rows_form_mismatches<std::uint16_t, float>(v, test::to_bf16(xf), rows, n, ldx, out, threads);
    };
    std::vector<std::size_t> ns = edge_lengths();
    ns.push_back(257);
    for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
        for (const Variant& v : all_variants(Op::forward, d)) {
            if (!available(v) || v.algorithm != Algorithm::guarded || v.isa == Isa::scalar) continue;
            for (Output out : {Output::softmax, Output::log_softmax})
                for (std::size_t n : ns) {
                    INFO(v.name << " n=" << n << (out == Output::softmax ? " softmax" : " log_softmax"));
                    CHECK(mismatches(v, kRows, n, n + 3, out, 1) == 0);
                    compared += kRows * n;
                }
            // Threads: 1301 rows of 13 (past the batch call's parallel threshold; short on every
            // ISA, sanitizer builds too), each thread's block of rows through the rows form; 2 and
            // 3 threads (3 oversubscribes 2 cores).
            for (int threads : {2, 3}) {
                INFO(v.name << " 1301x13, threads " << threads);
                CHECK(mismatches(v, 1301, 13, 16, Output::softmax, threads) == 0);
            }
        }
    CHECK(compared > 0);
}
