// The bf16 entries of softmax_bench (bf16_bench.hpp). Names follow the f32 entries:
// <impl>/<rows>/<cols> (one thread) and <impl>/<rows>/<cols>/<threads>/real_time, with impl a
// .bf16 or .bf16_f32 variant (":log" for its log_softmax) or a bf16 peer (onednn.bf16,
// onednn_log.bf16, pytorch.bf16, pytorch.bf16:log, memcpy.bf16).
//
// Input: row r = make_row(input, cols, seed + r) rounded to bf16 (float_to_bf16). Bytes per
// element: 2 read + 2 written for bf16 outputs (memcpy.bf16: exactly that), 2 + 4 for .bf16_f32.
// Check (once per entry, row 0, against a double softmax of the bf16 values): ours within the
// documented bound (bf16 ULP for .bf16, float ULP for .bf16_f32) + kDoubleRefUlpMargin; peers
// within kPeerBf16Ulp bf16 ULP (a sanity bound); the counter max_ulp is the measured value.
#include "bf16_bench.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>

#include "bench_memory.hpp"
#include "bench_register.hpp"
#include "check.hpp"
#include "peers/peer_bf16.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::bench {
namespace {

inline constexpr double kPeerBf16Ulp = 4.0;

struct Free {
    void operator()(void* p) const { std::free(p); }
};
using Mem = std::unique_ptr<unsigned char[], Free>;

Mem alloc_bytes(std::size_t bytes) {
    bytes = (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, bytes);  // every page touched
    return Mem(static_cast<unsigned char*>(p));
}

Bf16Options g_opt;

const std::uint16_t* input_for(std::size_t rows, std::size_t cols) {
    static Mem buf;
    static std::size_t cur_rows = 0, cur_cols = 0;
    if (!buf || rows != cur_rows || cols != cur_cols) {
        buf.reset();
        buf = alloc_bytes(rows * cols * 2);
        auto* x = reinterpret_cast<std::uint16_t*>(buf.get());
        for (std::size_t r = 0; r < rows; ++r) {
            const std::vector<float> row = ref::make_row(g_opt.input, cols, g_opt.seed + r);
            for (std::size_t i = 0; i < cols; ++i) x[r * cols + i] = float_to_bf16(row[i]);
        }
        cur_rows = rows;
        cur_cols = cols;
    }
    return reinterpret_cast<const std::uint16_t*>(buf.get());
}

// Output buffers: one when input + output fit in the LLC (warm), else enough to rotate through
// twice the LLC between two writes of one buffer (cold writes), as the f32 entries.
std::vector<unsigned char*> outputs(std::size_t bytes_in, std::size_t bytes_out) {
    static std::vector<Mem> bufs;
    static std::size_t cap = 0;
    const std::size_t traffic = bytes_in + bytes_out;
    const std::size_t n = rotating_outputs(traffic, g_opt.llc_bytes);
    if (bytes_out > cap) {
        bufs.clear();
        cap = bytes_out;
    }
    while (bufs.size() < n) bufs.push_back(alloc_bytes(cap));
    std::vector<unsigned char*> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(bufs[i].get());
    return out;
}

struct Entry {
    std::string name;
    const Variant* variant = nullptr;
    const peers::Bf16Peer* peer = nullptr;
    Output output = Output::softmax;
    std::size_t rows = 0, cols = 0;
    int threads = 1;
};

// Max error of row 0 in ULP of the exact value's binade (bf16: 8 bits, float: 24), normal band,
// against a double softmax of the bf16 values; NaN/inf/0 must match exactly (else +inf).
double row_ulp(const std::uint16_t* x, const void* y, bool y_bf16, std::size_t n, Output out) {
    std::vector<double> xd(n);
    double m = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, xd[i] = double(bf16_to_float(x[i])));
    double s = 0;
    for (double v : xd) s += std::exp(v - m);
    const double l = std::log(s);
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double r = out == Output::softmax ? std::exp(xd[i] - m - l) : (xd[i] - m) - l;
        const double yv = y_bf16 ? double(bf16_to_float(static_cast<const std::uint16_t*>(y)[i]))
                                 : double(static_cast<const float*>(y)[i]);
        if (!std::isfinite(r) || r == 0) {
            if (!(yv == r)) return INFINITY;
            continue;
        }
        if (std::fabs(r) < 0x1p-126) continue;
        const int e = std::ilogb(r);
        const double ulp = std::fabs(yv - r) / std::ldexp(1.0, e - (y_bf16 ? 7 : 23));
        if (!(ulp <= worst)) worst = std::isnan(ulp) ? INFINITY : ulp;
    }
    return worst;
}

void run_entry(benchmark::State& state, const Entry& c) {
    try {
        const bool f32_out = c.variant != nullptr && c.variant->dtype == Dtype::bf16_f32;
        const std::size_t elems = c.rows * c.cols, ysize = f32_out ? 4 : 2;
        std::unique_ptr<peers::Bf16Runner> peer;
        if (c.variant != nullptr) {
            if (!available(*c.variant)) {
                state.SkipWithError(unavailable_reason(*c.variant).c_str());
                return;
            }
        } else {
            try {
                peer = c.peer->make(peers::Shape{c.rows, c.cols, c.threads, c.output});
            } catch (const peers::NotBuilt& e) {
                state.SkipWithError(e.what());
                return;
            }
        }
        const std::uint16_t* x = input_for(c.rows, c.cols);
        Bf16BatchArgs a;
        a.x = x;
        a.rows = c.rows;
        a.cols = c.cols;
        a.output = c.output;
        a.threads = c.threads;
        auto call = [&](unsigned char* y) {
            if (peer) return peer->run(x, reinterpret_cast<std::uint16_t*>(y));
            if (f32_out) a.y_f32 = reinterpret_cast<float*>(y);
            else a.y = reinterpret_cast<std::uint16_t*>(y);
            softmax_batch(*c.variant, a);
        };
        const std::vector<unsigned char*> outs = outputs(elems * 2, elems * ysize);

        // The check, once per entry.
        static std::map<std::string, std::pair<double, double>> checked;  // name -> (ulp, bound)
        const std::string key = c.name + "/" + std::to_string(c.rows) + "/" + std::to_string(c.cols) + "/" +
                                std::to_string(c.threads);
        auto it = checked.find(key);
        if (it == checked.end()) {
            call(outs[0]);
            double ulp = 0, bound = 0;
            if (c.peer != nullptr && c.peer->name == "memcpy") {
                ulp = std::memcmp(outs[0], x, elems * 2) == 0 ? 0.0 : INFINITY;
            } else {
                ulp = row_ulp(x, outs[0], !f32_out, c.cols, c.output);
                bound = c.variant != nullptr
                            ? (c.output == Output::softmax ? c.variant->max_ulp : c.variant->max_ulp_log) + kDoubleRefUlpMargin
                            : kPeerBf16Ulp;
            }
            it = checked.emplace(key, std::make_pair(ulp, bound)).first;
        }
        const auto [ulp, bound] = it->second;
        char buf[160];
        std::snprintf(buf, sizeof buf, "row 0: max %.4g %s ULP (bound %.4g)", ulp, f32_out ? "float" : "bf16", bound);
        std::string label = peer && !peer->impl_info().empty() ? peer->impl_info() + "; " + buf : std::string(buf);
        if (!(ulp <= bound)) {
            state.SkipWithError(("check failed: " + label).c_str());
            return;
        }
        if (outs.size() == 1) call(outs[0]);
        else label += "; " + std::to_string(outs.size()) + " rotating outputs (cold writes)";
        std::size_t k = 0;
        for (auto _ : state) {
            unsigned char* y = outs[k];
            if (++k == outs.size()) k = 0;
            call(y);
            benchmark::DoNotOptimize(y);
            benchmark::ClobberMemory();
        }
        const auto items = static_cast<std::int64_t>(elems) * state.iterations();
        state.SetItemsProcessed(items);
        state.SetBytesProcessed(static_cast<std::int64_t>(2 + ysize) * items);
        state.counters["max_ulp"] = ulp;
        state.SetLabel(label);
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

}  // namespace

// --smb_filter_isa=best for the bf16 rows: avx512bf16 where it is available (the CPU has
// AVX512_BF16 and SOFTMAXBENCH_FORCE_ISA does not cap it away) and dispatch picks avx512: it is
// avx512's kernels with native narrowing, so the best bf16 rows of such a CPU, although dispatch
// (f32) prefers avx512, which carries the f32 kernels. Otherwise the dispatch ISA.
std::optional<Isa> best_bf16_isa(const std::optional<Isa>& dispatch) {
    if (dispatch && *dispatch == Isa::avx512 && isa_available(Isa::avx512bf16)) return Isa::avx512bf16;
    return dispatch;
}

void register_bf16(const std::vector<Bf16Shape>& shapes, const Bf16Options& opt, std::set<int>& threads) {
    g_opt = opt;
    const std::optional<Isa> best = best_bf16_isa(dispatch_isa_or_none());
    auto keep = [&](const Variant& v) {
        return !opt.best_isa_only || on_best_isa(v, best);
    };
    for (const Bf16Shape& s : shapes) {
        const benchmark::TimeUnit unit = forward_time_unit(s.rows * s.cols);
        for (int t : s.threads) {
            threads.insert(t);
            auto reg = [&](Entry c) {
                c.rows = s.rows;
                c.cols = s.cols;
                c.threads = t;
                auto* b = benchmark::RegisterBenchmark(c.name.c_str(), [c](benchmark::State& st) { run_entry(st, c); });
                shape_args(b, s.rows, s.cols, t);
                b->Unit(unit);
            };
            for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
                for (const Variant& v : all_variants(Op::forward, d))
                    if (keep(v)) reg(Entry{std::string(v.name), &v, nullptr, Output::softmax});
            for (const peers::Bf16Peer& p : peers::bf16_peers())
                reg(Entry{peers::bf16_entry_name(p, Output::softmax), nullptr, &p, Output::softmax});
            if (!s.log) continue;
            for (const Variant& v : all_variants(Op::forward, Dtype::bf16))
                if (keep(v) && info(v.algorithm).bench_log)
                    reg(Entry{std::string(v.name) + ":log", &v, nullptr, Output::log_softmax});
            for (const peers::Bf16Peer& p : peers::bf16_peers())
                if (p.supports(Output::log_softmax))
                    reg(Entry{peers::bf16_entry_name(p, Output::log_softmax), nullptr, &p, Output::log_softmax});
        }
    }
}

}  // namespace smb::bench
