// Golden test: the output bits of every variant, frozen. A hash (FNV-1a/64 of the output bits)
// per variant name, output and thread count over every test distribution and size
// (reference/distributions.hpp, fixed seed), compared with the committed
// tests/test_golden.expected. Every registered variant of every op (forward, backward,
// cross_entropy) and dtype (f32, bf16, bf16_f32) is hashed. Any changed output bit of any
// variant fails it: refactors must keep the arithmetic, and an intended change of arithmetic is
// its own commit with its own measurement.
//
// Inputs: the ordinary finite rows of the accuracy tests (no NaN, no inf, no logits near
// FLT_MAX, no rows long enough for tie counts past 2^24), and naive only inside its domain:
// per distribution one row of each test size (seed 42) and one 512 x 33 batch (seed 43).
//   forward, f32 (keys "<name>[+long_split] softmax|log_softmax 1|2", as first committed): the
//     rows; with 2 threads also the batch (row-parallel). Threads = 2 hashes the same single
//     rows (a 65537-element row splits across the threads, RowSplit; every split form,
//     including the long-row form used from RowSplit::long_from, is hashed on it).
//   forward, bf16 and bf16_f32 ("<name> softmax|log_softmax 1"): the same rows and batch rounded
//     to bf16 (round to nearest even), the output bits in the variant's dtype.
//   backward ("<name> softmax_backward|log_softmax_backward 1|2"): y = the forward output of the
//     rows and of each batch row (ref::backward_input), dy of kind "normal" (ref::make_dy).
//   cross_entropy ("<name> cross_entropy 1|2"), f32 logits or the bf16 ones: each row with its
//     target at its argmax (eps 0) and at another index (eps 0.1), reduction none; then the
//     batch, reduction mean, eps 0.05, every 37th row ignored; the loss and the gradient bits.
// The new ops and dtypes hash the rows and the batch at each thread count; 2 threads only where
// the batch call can cut one row across threads (a split form: every backward variant and the
// fused cross-entropy's SIMD variants), since elsewhere threads take whole rows.
//
// Across CPUs: no kernel uses an instruction whose result differs between vendors. The
// approximations SSE rcpps/rsqrtps (Intel and AMD differ) do not occur in libsoftmaxbench.a
// (objdump -d shows no rcp* or rsqrt* instruction); the rest is IEEE-exact arithmetic (add, mul,
// FMA, div, sqrt, conversions, min/max, vscalefps/pd, permutes, integer ops), so an AVX-512 Intel
// Xeon and an AMD Zen 4/5 give the same bits. The scalar variants call glibc's exp/log, whose
// ifunc picks the FMA implementation on every CPU with FMA and AVX2 (both vendors' AVX-512
// parts): the same bits too.
//
// Build type: the hashes are those of a Release build (-O3). An unoptimised build rounds some
// a*b + c differently (GCC contracts them into FMAs only when optimising; e.g. xsimd 8.1's fma
// on AVX-512 is a plain a*b + c, and xsimd's exp uses it), so in any other build type the test
// is skipped (exit 77), saying so. Split thresholds: the built-in ones, whatever tuning file
// this machine has (main overrides them).
//
// Not hashed: the auto entries (their output is the output of the variant they pick, hashed under
// that name; what they pick is test_auto's subject). Variants this CPU (or SOFTMAXBENCH_FORCE_ISA)
// cannot run are listed as skipped. Exit code 77 (ctest SKIP_RETURN_CODE) when nothing could run.
//
// A new variant (of any op or dtype): append its lines, leaving every existing line as it is:
//   build/test/tests/test_golden --add tests/test_golden.expected
// (refuses, writing nothing, while any existing line fails). Changing arithmetic on purpose
// (never to make this test pass after a refactor):
//   build/test/tests/test_golden --write tests/test_golden.expected
// keeps the lines of variants this CPU cannot run and rewrites the others; review the diff: only
// the lines the commit means to change may change.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bf16_bits.hpp"
#include "detail/split.hpp"
#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/cross_entropy.hpp"
#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"
#include "split_forms.hpp"

using namespace smb;

namespace {

struct Fnv {
    std::uint64_t h = 1469598103934665603ull;
    void byte(unsigned b) { h = (h ^ (b & 0xFFu)) * 1099511628211ull; }
    void add(const std::vector<float>& y) {
        for (float f : y) {
            std::uint32_t u;
            std::memcpy(&u, &f, sizeof u);
            for (int b = 0; b < 4; ++b) byte(u >> (8 * b));
        }
    }
    void add(const std::vector<std::uint16_t>& y) {  // bf16 bits, little-endian like the floats
        for (std::uint16_t u : y) {
            byte(u);
            byte(u >> 8);
        }
    }
};

// The inputs, made once (make_row is deterministic; making them again per hash only costs time).
// Per distribution, in ref::distributions() order: one row per test size (seed 42) and one
// 512 x 33 batch (seed 43), and everything derived from them.
constexpr std::size_t kBatchRows = 512, kBatchCols = 33;
struct Rows {
    std::vector<std::vector<float>> single;  // one per ref::test_sizes() entry
    std::vector<float> batch;                // kBatchRows x kBatchCols
};
struct Inputs {
    std::vector<Rows> f32;       // the logits
    std::vector<Rows> bf16_f32;  // the logits rounded to bf16 (RNE), widened back
    std::vector<std::vector<std::vector<std::uint16_t>>> bf16_single;
    std::vector<std::vector<std::uint16_t>> bf16_batch;
    // The backward's inputs per forward output (softmax, log_softmax): y = the forward output of
    // the logits (ref::backward_input: computed in double, rounded once), dy of kind "normal".
    std::vector<Rows> y[2], dy[2];
};

const Inputs& inputs() {
    static const Inputs in = [] {
        Inputs r;
        const std::vector<std::size_t> sizes = ref::test_sizes();
        for (const auto& d : ref::distributions()) {
            Rows x;
            for (std::size_t n : sizes) x.single.push_back(ref::make_row(d.name, n, 42));
            x.batch = ref::make_row(d.name, kBatchRows * kBatchCols, 43);
            Rows w;
            std::vector<std::vector<std::uint16_t>> bs;
            for (const auto& row : x.single) {
                bs.push_back(test::to_bf16(row));
                w.single.push_back(test::widen(bs.back()));
            }
            r.bf16_batch.push_back(test::to_bf16(x.batch));
            w.batch = test::widen(r.bf16_batch.back());
            for (int o = 0; o < 2; ++o) {
                const Output out = o == 0 ? Output::softmax : Output::log_softmax;
                Rows y, dy;
                std::uint64_t seed = 1000;
                for (const auto& row : x.single) {
                    y.single.push_back(ref::backward_input(row, out));
                    dy.single.push_back(ref::make_dy("normal", y.single.back(), out, seed++));
                }
                // The batch's y row by row (each row a forward output), dy over the whole batch.
                for (std::size_t i = 0; i < kBatchRows; ++i) {
                    const std::vector<float> yr = ref::backward_input(
                        std::span<const float>(x.batch).subspan(i * kBatchCols, kBatchCols), out);
                    y.batch.insert(y.batch.end(), yr.begin(), yr.end());
                }
                dy.batch = ref::make_dy("normal", y.batch, out, 43);
                r.y[o].push_back(std::move(y));
                r.dy[o].push_back(std::move(dy));
            }
            r.f32.push_back(std::move(x));
            r.bf16_f32.push_back(std::move(w));
            r.bf16_single.push_back(std::move(bs));
        }
        return r;
    }();
    return in;
}

std::size_t argmax(const std::vector<float>& x) {
    std::size_t k = 0;
    for (std::size_t j = 1; j < x.size(); ++j)
        if (x[j] > x[k]) k = j;
    return k;
}

// Forward, f32: the rows, and with threads > 1 also the batch (the hashes as first committed).
std::uint64_t hash_forward(const test::Form& f, Output out, int threads) {
    const Variant& v = *f.v;
    Fnv h;
    for (const Rows& x : inputs().f32) {
        for (const std::vector<float>& row : x.single)
            if (ref::in_domain(v, row)) h.add(test::batch(f, row, 1, row.size(), out, threads));
        if (threads > 1 && ref::in_domain(v, x.batch))
            h.add(test::batch(f, x.batch, kBatchRows, kBatchCols, out, threads));
    }
    return h.h;
}

// Forward, bf16 and bf16_f32: the bf16 rows, then the batch, through the bf16 batch call.
void forward_bf16(const Variant& v, const std::vector<std::uint16_t>& x, std::size_t rows, std::size_t cols,
                  Output out, int threads, Fnv& h) {
    Bf16BatchArgs a;
    a.x = x.data();
    a.rows = rows;
    a.cols = cols;
    a.output = out;
    a.threads = threads;
    if (v.dtype == Dtype::bf16) {
        std::vector<std::uint16_t> y(x.size(), 0xDEAD);
        a.y = y.data();
        softmax_batch(v, a);
        h.add(y);
    } else {
        std::vector<float> y(x.size(), -777.0f);
        a.y_f32 = y.data();
        softmax_batch(v, a);
        h.add(y);
    }
}
std::uint64_t hash_forward_bf16(const Variant& v, Output out, int threads) {
    const Inputs& in = inputs();
    Fnv h;
    for (std::size_t d = 0; d < in.f32.size(); ++d) {
        for (std::size_t i = 0; i < in.bf16_single[d].size(); ++i)
            if (ref::in_domain(v, in.bf16_f32[d].single[i]))
                forward_bf16(v, in.bf16_single[d][i], 1, in.bf16_single[d][i].size(), out, threads, h);
        if (ref::in_domain(v, in.bf16_f32[d].batch)) forward_bf16(v, in.bf16_batch[d], kBatchRows, kBatchCols, out, threads, h);
    }
    return h.h;
}

// Backward: dx of the rows, then of the batch.
void backward(const Variant& v, const std::vector<float>& y, const std::vector<float>& dy, std::size_t rows,
              std::size_t cols, Output out, int threads, Fnv& h) {
    std::vector<float> dx(y.size(), -777.0f);
    BackwardArgs a;
    a.y = y.data();
    a.dy = dy.data();
    a.dx = dx.data();
    a.rows = rows;
    a.cols = cols;
    a.output = out;
    a.threads = threads;
    backward_batch(v, a);
    h.add(dx);
}
std::uint64_t hash_backward(const Variant& v, Output out, int threads) {
    const Inputs& in = inputs();
    const int o = out == Output::softmax ? 0 : 1;
    Fnv h;
    for (std::size_t d = 0; d < in.f32.size(); ++d) {
        const Rows &y = in.y[o][d], &dy = in.dy[o][d];
        for (std::size_t i = 0; i < y.single.size(); ++i)
            backward(v, y.single[i], dy.single[i], 1, y.single[i].size(), out, threads, h);
        backward(v, y.batch, dy.batch, kBatchRows, kBatchCols, out, threads, h);
    }
    return h.h;
}

// Cross-entropy: the loss (or losses) and the gradient, in the variant's dtype. x is the f32
// logits (dtype f32) or the widened bf16 logits, xb their bf16 bits (other dtypes).
void cross_entropy(const Variant& v, const std::vector<float>& x, const std::vector<std::uint16_t>& xb,
                   std::size_t rows, std::size_t cols, const std::vector<std::int64_t>& targets, Reduction red,
                   float eps, int threads, Fnv& h) {
    CrossEntropyArgs a;
    a.rows = rows;
    a.cols = cols;
    a.targets = targets.data();
    a.reduction = red;
    a.label_smoothing = eps;
    a.threads = threads;
    std::vector<float> loss(red == Reduction::none ? rows : 1, -777.0f), g;
    std::vector<std::uint16_t> g16;
    a.loss = loss.data();
    if (v.dtype == Dtype::f32) {
        a.x = x.data();
    } else {
        a.x_bf16 = xb.data();
    }
    if (v.dtype == Dtype::bf16) {
        g16.assign(xb.size(), 0xDEAD);
        a.grad_bf16 = g16.data();
    } else {
        g.assign(x.size(), -777.0f);
        a.grad = g.data();
    }
    cross_entropy_batch(v, a);
    h.add(loss);
    if (v.dtype == Dtype::bf16) h.add(g16);
    else h.add(g);
}
// Each row twice (its target at its argmax, eps 0: the dominant-target path; at another index,
// eps 0.1), reduction none; then the batch: targets (7 r) mod 33, every 37th row ignored,
// reduction mean, eps 0.05.
std::uint64_t hash_cross_entropy(const Variant& v, int threads) {
    const Inputs& in = inputs();
    const bool f32 = v.dtype == Dtype::f32;
    const std::vector<std::uint16_t> none;
    Fnv h;
    for (std::size_t d = 0; d < in.f32.size(); ++d) {
        const Rows& x = f32 ? in.f32[d] : in.bf16_f32[d];
        for (std::size_t i = 0; i < x.single.size(); ++i) {
            const std::vector<float>& row = x.single[i];
            const std::vector<std::uint16_t>& rb = f32 ? none : in.bf16_single[d][i];
            const std::size_t n = row.size();
            cross_entropy(v, row, rb, 1, n, {std::int64_t(argmax(row))}, Reduction::none, 0.0f, threads, h);
            cross_entropy(v, row, rb, 1, n, {std::int64_t((i * 2654435761u) % n)}, Reduction::none, 0.1f, threads, h);
        }
        std::vector<std::int64_t> t(kBatchRows);
        for (std::size_t r = 0; r < kBatchRows; ++r) t[r] = r % 37 == 5 ? -100 : std::int64_t(r * 7 % kBatchCols);
        cross_entropy(v, x.batch, f32 ? none : in.bf16_batch[d], kBatchRows, kBatchCols, t, Reduction::mean, 0.05f,
                      threads, h);
    }
    return h.h;
}

// What a hash covers: a variant (with the split form of f), one output of it, a thread count.
struct Item {
    test::Form form;
    const char* output;  // the key's second field
    Output out = Output::softmax;
};

// The key's output field per op: forward softmax / log_softmax (as first committed), backward
// softmax_backward / log_softmax_backward, cross_entropy.
std::vector<Item> items_of(const Variant& v) {
    std::vector<Item> items;
    switch (v.op) {
        case Op::forward:
            if (v.dtype == Dtype::f32) {
                for (const test::Form& f : test::split_forms({&v})) {
                    items.push_back({f, "softmax", Output::softmax});
                    items.push_back({f, "log_softmax", Output::log_softmax});
                }
            } else {
                items.push_back({test::Form{&v}, "softmax", Output::softmax});
                items.push_back({test::Form{&v}, "log_softmax", Output::log_softmax});
            }
            break;
        case Op::backward:
            items.push_back({test::Form{&v}, "softmax_backward", Output::softmax});
            items.push_back({test::Form{&v}, "log_softmax_backward", Output::log_softmax});
            break;
        case Op::cross_entropy: items.push_back({test::Form{&v}, "cross_entropy"}); break;
    }
    return items;
}

// The thread counts a variant is hashed at: 1, and 2 where the batch call may cut one row across
// threads (the 65537-element rows then split). The f32 forward variants: 1 and 2 for every one,
// as first committed (2 threads also run its 512 x 33 batch row-parallel).
std::vector<int> threads_of(const Item& it) {
    const Variant& v = *it.form.v;
    if (it.form.long_form) return {2};  // one thread never splits a row
    if (v.op == Op::forward && v.dtype == Dtype::f32) return {1, 2};
    const bool splits = v.op == Op::forward         ? detail::split_of(v) != nullptr
                        : v.op == Op::backward      ? detail::backward_split_of(v) != nullptr
                                                    : detail::cross_entropy_split_of(v) != nullptr;
    if (splits) return {1, 2};
    return {1};
}

std::uint64_t hash_of(const Item& it, int threads) {
    const Variant& v = *it.form.v;
    switch (v.op) {
        case Op::forward:
            return v.dtype == Dtype::f32 ? hash_forward(it.form, it.out, threads) : hash_forward_bf16(v, it.out, threads);
        case Op::backward: return hash_backward(v, it.out, threads);
        case Op::cross_entropy: return hash_cross_entropy(v, threads);
    }
    return 0;
}

std::string key(std::string_view name, std::string_view output, int threads, bool long_form) {
    return std::string(name) + (long_form ? "+long_split" : "") + " " + std::string(output) + " " +
           std::to_string(threads);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc == 3 ? argv[1] : "";
    const bool write = mode == "--write", add = mode == "--add";
    const std::string path = argc >= 2 ? argv[argc - 1] : "";
    if (path.empty() || (argc == 3 && !write && !add) || argc > 3) {
        std::fprintf(stderr, "usage: test_golden [--write | --add] EXPECTED_FILE\n");
        return 2;
    }
#ifndef SMB_GOLDEN_BUILD_TYPE
#define SMB_GOLDEN_BUILD_TYPE "unknown"
#endif
    if (std::string_view(SMB_GOLDEN_BUILD_TYPE) != "Release") {
        std::printf("skipped: the golden hashes are those of a Release build; this is a %s build\n",
                    SMB_GOLDEN_BUILD_TYPE);
        return 77;
    }
    // The hashes are those of the built-in split thresholds: a tuning file (softmaxbench tune)
    // may move where the forward cuts a row across threads, and so the bits of its 2-thread rows.
    tuning::override_split_thresholds(0, 0);
    // Expected lines: "<variant name>[+long_split] <output> <threads> <hash hex>".
    std::map<std::string, std::string> expected;
    std::string text;  // the file as it was (--add appends to it)
    {
        std::ifstream in(path);
        if (!in && !write && !add) {
            std::fprintf(stderr, "test_golden: cannot read %s\n", path.c_str());
            return 2;
        }
        std::string line;
        while (std::getline(in, line)) {
            text += line + "\n";
            if (line.empty() || line[0] == '#') continue;
            const auto sp = line.rfind(' ');
            expected[line.substr(0, sp)] = line.substr(sp + 1);
        }
    }

    std::map<std::string, std::string> got;
    std::vector<std::string> skipped, failures, added;
    std::size_t checked = 0;
    for (Op op : {Op::forward, Op::backward, Op::cross_entropy})
        for (Dtype dtype : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& reg : all_variants(op, dtype)) {
                if (reg.algorithm == Algorithm::auto_pick) continue;
                if (!available(reg)) {
                    skipped.push_back(std::string(reg.name));
                    continue;
                }
                for (const Item& it : items_of(reg))
                    for (int t : threads_of(it)) {
                        const bool long_form = it.form.long_form;
                        // The expected line may name the variant by its name or by an older name.
                        std::string k = key(reg.name, it.output, t, long_form);
                        for (const VariantAlias& a : variant_aliases())
                            if (a.name == reg.name && !expected.count(k) &&
                                expected.count(key(a.alias, it.output, t, long_form)))
                                k = key(a.alias, it.output, t, long_form);
                        char hex[17];
                        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash_of(it, t)));
                        got[k] = hex;
                        ++checked;
                        const auto e = expected.find(k);
                        if (e == expected.end()) {
                            if (add) added.push_back(k + " " + hex);
                            else failures.push_back(k + ": no expected hash (a new variant?)");
                        } else if (e->second != hex) {
                            failures.push_back(k + ": hash " + hex + ", expected " + e->second);
                        }
                    }
            }
    // Every expected line must still name a variant (renames keep the old name as an alias) and be
    // checked, unless its variant cannot run here.
    for (const auto& [k, h] : expected) {
        const std::string name = k.substr(0, k.find_first_of(" +"));
        const Variant* v = find_variant(name);
        if (!v) failures.push_back(k + ": the expected file names a variant that no longer resolves");
        else if (available(*v) && !got.count(k)) failures.push_back(k + ": expected, but not computed");
    }

    if (!skipped.empty()) {
        std::printf("skipped (not available on this CPU or under SOFTMAXBENCH_FORCE_ISA):");
        for (const auto& s : skipped) std::printf(" %s", s.c_str());
        std::printf("\n");
    }
    if (write) {
        for (const auto& [k, h] : expected)
            if (!got.count(k)) got[k] = h;  // variants this CPU cannot run: kept as they were
        std::ofstream o(path, std::ios::trunc);
        o << "# Golden output hashes (tests/test_golden.cpp): <variant>[+long_split] <output> <threads> "
             "<FNV-1a/64 of the output bits>.\n# Regenerate only for an intended change of arithmetic; see "
             "tests/test_golden.cpp.\n";
        for (const auto& [k, h] : got) o << k << ' ' << h << '\n';
        std::printf("wrote %zu hashes to %s\n", got.size(), path.c_str());
        return o ? 0 : 1;
    }
    for (const auto& f : failures) std::printf("FAIL %s\n", f.c_str());
    if (add) {
        // Only new lines, appended; refused while an existing line fails (a changed hash is not
        // a new variant's: it needs --write and a commit that says why).
        if (!failures.empty()) {
            std::printf("%zu failures: nothing added to %s\n", failures.size(), path.c_str());
            return 1;
        }
        std::ofstream o(path, std::ios::trunc);
        o << text;
        for (const auto& l : added) o << l << '\n';
        std::printf("added %zu hashes to %s (%zu checked)\n", added.size(), path.c_str(), checked);
        return o ? 0 : 1;
    }
    std::printf("%zu hashes checked, %zu variants skipped, %zu failures\n", checked, skipped.size(), failures.size());
    if (!failures.empty()) return 1;
    return checked == 0 ? 77 : 0;
}
