// NaN, +inf and -inf placed on every boundary where a kernel or the batch call cuts a row
// (variants/layout.hpp): the guarded probe and its 1024-element chunks, the SIMD loops' group
// and online's step boundaries for every vector width, the tails, and the slices the batch call
// gives 2 and 3 threads; each at -1, 0, +1. For rows that split (just past the split threshold)
// and rows that do not, at 1, 2 and 3 threads, for every available variant (and guarded's
// long-row split form), softmax and log_softmax. The policy (README): NaN or +inf anywhere ->
// every output NaN; a -inf entry -> exactly 0 (log: -inf) there and the softmax of the rest.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "layout.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/softmax.hpp"
#include "split_forms.hpp"

using namespace smb;

namespace {

using test::kInf;
using test::kNaN;

// The cuts of one row as `threads` threads process it with a variant of `lanes` float lanes
// (0: scalar): the slices (when the row splits), and inside every slice the first group and
// step boundaries and the last ones before the tail, and (`chunks`: guarded, or auto that may
// pick it) every probe and chunk boundary.
std::vector<std::size_t> positions(std::size_t n, int threads, std::size_t lanes, bool chunks) {
    std::set<std::size_t> cuts = {0, n};
    const bool split = threads > 1 && n >= layout::kMinSplitCols;
    for (int k = 0; k < (split ? threads : 1); ++k) {
        const auto [b, e] = split ? layout::split_slice(n, threads, k) : std::pair<std::size_t, std::size_t>{0, n};
        cuts.insert(b);
        cuts.insert(e);
        if (chunks) {
            cuts.insert(b + layout::kGuardProbe);
            for (std::size_t c = b; c < e; c += layout::kGuardChunk) cuts.insert(c);
        }
        if (lanes == 0) continue;
        cuts.insert(e - (e - b) % lanes);  // the masked tail
        for (std::size_t step : {layout::kGroupVectors * lanes, layout::kOnlineStepVectors * lanes}) {
            for (std::size_t j = 1; j <= 2; ++j) cuts.insert(b + j * step);
            cuts.insert(e - (e - b) % step);
        }
    }
    std::set<std::size_t> at;
    for (std::size_t c : cuts)
        for (std::size_t p : {c - 1, c, c + 1})
            if (p < n) at.insert(p);  // c - 1 wraps past n for c = 0
    return {at.begin(), at.end()};
}

std::size_t lanes_of(const Variant& v) {
    switch (v.isa) {
        case Isa::sse2: return layout::kLaneCounts[0];
        case Isa::avx2: return layout::kLaneCounts[1];
        case Isa::avx512: return layout::kLaneCounts[2];
        default: return 0;
    }
}

// Every available variant, plus guarded's long-row split form (used from 2^23 elements; see
// tests/split_forms.hpp), so that form is also cut at these sizes.
std::vector<test::Form> forms() { return test::split_forms(test::available_variants()); }

// The first index where y breaks the policy for a -inf at `pos`, or npos. Outputs elsewhere
// must be within 1e-4 relative of the exact value (softmax; any documented bound is far below:
// <= 68 ULP = 8e-6), or within 1e-4 (1 + |exact|) (log_softmax), outputs below 2^-126 may flush.
std::size_t ninf_failure(const std::vector<float>& y, const std::vector<double>& r, std::size_t pos, Output out) {
    const float want = out == Output::softmax ? 0.0f : -kInf;
    if (!(y[pos] == want)) return pos;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (i == pos) continue;
        const double d = std::fabs(double(y[i]) - r[i]);
        const bool ok = out == Output::softmax ? d <= 1e-4 * r[i] + 0x1p-126 : d <= 1e-4 * (1 + std::fabs(r[i]));
        if (!ok) return i;
    }
    return std::string::npos;
}

}  // namespace

TEST_CASE("special values on every chunk, group, step and slice boundary, split rows and not") {
    const std::vector<test::Form> vs = forms();
    std::size_t runs = 0, failures = 0;
    // 3 guarded chunks and a ragged tail (never splits); just past the split threshold, ragged.
    for (std::size_t n : {3 * layout::kGuardChunk + 37, layout::kMinSplitCols + 37}) {
        std::vector<float> x = ref::make_row("normal_1", n, 1023);
        std::vector<float> y(n);
        for (int threads : {1, 2, 3}) {
            for (const test::Form& f : vs) {
                const Variant& v = *f.v;
                const bool chunks = v.algorithm == Algorithm::guarded || v.algorithm == Algorithm::auto_pick;
                for (std::size_t pos : positions(n, threads, lanes_of(v), chunks)) {
                    const float keep = x[pos];
                    for (float bad : {kNaN, kInf, -kInf}) {
                        x[pos] = bad;
                        for (Output out : {Output::softmax, Output::log_softmax}) {
                            test::batch_into(f, x, y, 1, n, out, threads);
                            ++runs;
                            std::size_t fail = std::string::npos;
                            if (bad != -kInf) {
                                for (std::size_t i = 0; i < n && fail == std::string::npos; ++i)
                                    if (!std::isnan(y[i])) fail = i;
                            } else {
                                fail = ninf_failure(y, test::double_softmax(x, out), pos, out);
                            }
                            if (fail != std::string::npos) {
                                ++failures;
                                FAIL_CHECK(f.label() << " n=" << n
                                                  << " threads=" << threads << " " << to_string(out) << " x["
                                                  << pos << "]=" << bad << ": y[" << fail << "]=" << y[fail]);
                            }
                        }
                    }
                    x[pos] = keep;
                }
            }
        }
    }
    INFO(runs << " runs");
    CHECK(runs > 0);
    CHECK(failures == 0);
}
