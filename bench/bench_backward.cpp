// The backward's benchmark entries (op backward), registered into softmax_bench beside the
// forward ones (softmax_bench.cpp calls register_backward once).
//
// Names: <impl>:<op>/<rows>/<cols> (one thread) and <impl>:<op>/<rows>/<cols>/<threads>/real_time,
//   op = softmax_backward | log_softmax_backward; impl = a backward variant (backward.avx512,
//   backward.avx512.accurate, ...), a backward peer (onednn: softmax_v2_backward; pytorch: ATen's
//   _softmax_backward_data / _log_softmax_backward_data; pytorch.<cap> with ATEN_CPU_CAPABILITY),
//   memcpy (the bandwidth roofline at this op's traffic, below), or jacobian (the NumPy guide's
//   explicit J = diag(y) - y y^T built and multiplied by dy: O(n^2), one row, softmax only).
// Shapes (issue 13): 1x4096, 4096x128, 32x32000, 8x128256, 1x16M, 1 and 2 threads; jacobian and
//   ours also at 1x64 and 1x1024 (and 1x4096), one thread: the guide's "making manual backprop
//   expensive", measured. --smb_shapes=headline (scripts/bench.sh --quick): one thread, the
//   dispatch ISA's fast variant on both ops and its accurate one on softmax_backward, the peers and
//   memcpy on both ops, and jacobian; and at 1x16M (one row, which the batch call cuts across the
//   threads) also 2 threads, softmax_backward only, the same entries (ours fast and accurate, the
//   peers, memcpy), so a quick run records the split row's 2T / 1T. --smb_shapes=all adds 2 threads, the accurate
//   log_softmax_backward, and (--smb_filter_isa=all) every ISA. A --smb_shapes list registers none.
// Bytes: 12 per element, the minimum traffic of the op (reads of y and dy, a write of dx); the
//   memcpy entry copies 1.5 x rows x cols floats, the same 12 bytes per element, so its items/s
//   is the roofline of this op (jacobian entries count the same 12, not their n^2 reads of J).
// Inputs: y = the forward output (online.scalar.accurate, within 0.51 ULP) of row r =
//   make_row("normal_1", cols, 20240601 + r), dy = make_row("normal_1", cols, 20250601 + r).
// Check (once per impl/cols/threads, row 0): against the backward in double with a compensated
//   sum (its own error ~2^-50 relative to sigma), as k = max (|dx - r| - eta) / (u sigma): ours
//   within their documented k + 0.01, jacobian within 2 + n 2^-29 + 0.01, peers within 1e4 (a
//   sanity bound: ~6e-4 of sigma); counter bound_k records it for every entry.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "bench_memory.hpp"
#include "bench_register.hpp"
#include "peers/backward.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::bench {
namespace {

constexpr double kU = 0x1p-24;
constexpr double kPeerSanityK = 1e4;
constexpr double kRefMargin = 0.01;

// Outputs rotate when the op's traffic passes the LLC (bench_memory.hpp's rule, 12 bytes/elem).
std::size_t outputs_needed(std::size_t elems) { return rotating_outputs(12 * elems); }

struct Inputs {
    Buffer y, dy;
};

// y (forward output of the op's kind) and dy for a shape, kept for the current shape.
const Inputs& inputs_for(std::size_t rows, std::size_t cols, Output out) {
    static Inputs in;
    static std::size_t cur_rows = 0, cur_cols = 0;
    static Output cur_out = Output::softmax;
    if (!in.y || rows != cur_rows || cols != cur_cols || out != cur_out) {
        in = Inputs{};
        in.y = alloc_floats(rows * cols);
        in.dy = alloc_floats(rows * cols);
        for (std::size_t r = 0; r < rows; ++r) {
            const std::vector<float> x = ref::make_row("normal_1", cols, 20240601 + r);
            const std::vector<float> d = ref::make_row("normal_1", cols, 20250601 + r);
            std::memcpy(in.y.get() + r * cols, x.data(), cols * sizeof(float));
            std::memcpy(in.dy.get() + r * cols, d.data(), cols * sizeof(float));
        }
        BatchArgs a;
        a.x = in.y.get();
        a.y = in.y.get();
        a.rows = rows;
        a.cols = cols;
        a.output = out;
        softmax_batch(*find_variant("online.scalar.accurate"), a);
        cur_rows = rows, cur_cols = cols, cur_out = out;
    }
    return in;
}

// k of row 0 (see the top): the backward in double, Neumaier-compensated sums.
double row_k(const float* y, const float* dy, const float* dx, std::size_t n, Output out) {
    double s = 0, c = 0, abs_sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double t = out == Output::softmax ? double(y[j]) * double(dy[j]) : double(dy[j]);
        const double u = s + t;
        c += std::fabs(s) >= std::fabs(t) ? (s - u) + t : (t - u) + s;
        s = u;
        abs_sum += std::fabs(t);
    }
    s += c;
    double k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double ref, sigma, eta;
        if (out == Output::softmax) {
            ref = double(y[i]) * (double(dy[i]) - s);
            sigma = std::fabs(double(y[i])) * (std::fabs(double(dy[i])) + abs_sum);
            eta = 0x1p-149 * (1 + double(n) * std::fabs(double(y[i])));
        } else {
            const double e = std::exp(double(y[i]));
            ref = double(dy[i]) - e * s;
            sigma = std::fabs(double(dy[i])) + e * abs_sum;
            eta = 0x1p-149 + 0x1p-126 * abs_sum;
        }
        const double over = std::fabs(double(dx[i]) - ref) - eta;
        if (!std::isfinite(double(dx[i]))) return std::numeric_limits<double>::infinity();
        if (over > 0) k = std::max(k, sigma > 0 ? over / (kU * sigma) : std::numeric_limits<double>::infinity());
    }
    return k;
}

enum class Kind { ours, peer, memcpy, jacobian };

struct Case {
    std::string impl;
    Kind kind = Kind::ours;
    const Variant* variant = nullptr;
    const peers::BackwardPeer* peer = nullptr;
    Output output = Output::softmax;
    std::size_t rows = 0, cols = 0;
    int threads = 1;
};

std::string op_name(Output o) { return o == Output::softmax ? "softmax_backward" : "log_softmax_backward"; }

void run_case(benchmark::State& state, const Case& c) {
    try {
        const std::size_t elems = c.rows * c.cols;
        const Inputs& in = inputs_for(c.rows, c.cols, c.output);
        const float* y = in.y.get();
        const float* dy = in.dy.get();
        std::unique_ptr<peers::BackwardRunner> peer;
        std::vector<float> J;
        Buffer copy_src;
        std::string info;
        std::function<void(float*)> call;
        if (c.kind == Kind::ours) {
            if (!available(*c.variant)) return state.SkipWithError(unavailable_reason(*c.variant).c_str());
            BackwardArgs a;
            a.y = y, a.dy = dy, a.rows = c.rows, a.cols = c.cols, a.output = c.output, a.threads = c.threads;
            call = [a, v = c.variant](float* dx) mutable {
                a.dx = dx;
                backward_batch(*v, a);
            };
        } else if (c.kind == Kind::peer) {
            try {
                peer = c.peer->make(peers::Shape{c.rows, c.cols, c.threads, c.output});
            } catch (const peers::NotBuilt& e) {
                return state.SkipWithError(e.what());
            }
            info = peer->impl_info();
            call = [p = peer.get(), y, dy](float* dx) { p->run(y, dy, dx); };
        } else if (c.kind == Kind::jacobian) {
            J.resize(c.cols * c.cols);
            call = [&J, y, dy, n = c.cols](float* dx) {
                softmax_jacobian(y, n, J.data());
                jacobian_vjp(J.data(), dy, n, dx);
            };
        } else {
            copy_src = alloc_floats(elems + elems / 2);
            call = [src = copy_src.get(), bytes = (elems + elems / 2) * sizeof(float)](float* dx) {
                std::memcpy(dx, src, bytes);
            };
        }
        const std::size_t n_out = outputs_needed(elems);
        std::vector<Buffer> outs;
        for (std::size_t k = 0; k < n_out; ++k) outs.push_back(alloc_floats(c.kind == Kind::memcpy ? elems + elems / 2 : elems));

        // Check row 0 once per (impl, cols, threads).
        static std::map<std::string, double> checked;
        const std::string key = c.impl + "/" + std::to_string(c.cols) + "/" + std::to_string(c.threads);
        double k = 0;
        if (auto it = checked.find(key); it != checked.end()) {
            k = it->second;
        } else {
            call(outs[0].get());
            k = c.kind == Kind::memcpy ? 0.0 : row_k(y, dy, outs[0].get(), c.cols, c.output);
            checked.emplace(key, k);
        }
        const double bound = c.kind == Kind::ours ? (c.output == Output::softmax ? c.variant->max_ulp : c.variant->max_ulp_log) + kRefMargin
                             : c.kind == Kind::jacobian ? 2.0 + double(c.cols) * 0x1p-29 + kRefMargin
                             : c.kind == Kind::peer     ? kPeerSanityK
                                                        : 0.0;
        char summary[160];
        std::snprintf(summary, sizeof summary, "row 0: k %.3g <= %.3g (|dx - exact| <= k u sigma + eta)", k, bound);
        std::string label = info.empty() ? summary : info + "; " + summary;
        if (!(k <= bound)) return state.SkipWithError(("check failed: " + label).c_str());
        if (n_out == 1) call(outs[0].get());
        else label += "; " + std::to_string(n_out) + " rotating outputs (cold writes)";

        std::size_t next = 0;
        for (auto _ : state) {
            float* dx = outs[next].get();
            if (++next == n_out) next = 0;
            call(dx);
            benchmark::DoNotOptimize(dx);
            benchmark::ClobberMemory();
        }
        const auto items = static_cast<std::int64_t>(elems) * state.iterations();
        state.SetItemsProcessed(items);
        state.SetBytesProcessed(12 * items);  // see the top: 2 reads + 1 write per element
        state.counters["bound_k"] = k;
        state.SetLabel(label);
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

struct BwShape {
    std::size_t rows, cols;
    bool jacobian;  // also the explicit-Jacobian entry (one row, n <= its cap)
    bool peers;     // the peers and memcpy too (the shapes)
    bool quick_split = false;  // headline too at 2 threads: one row the batch call cuts across them
};

const BwShape kBwShapes[] = {
    {1, 64, true, false},      {1, 1024, true, false},  {1, 4096, true, true},       {4096, 128, false, true},
    {32, 32000, false, true},  {8, 128256, false, true}, {1, 16777216, false, true, true},
};

}  // namespace

std::set<int> register_backward(bool quick, bool best_isa_only, bool custom_shapes) {
    std::set<int> used;
    if (custom_shapes) return used;
    const std::optional<Isa> dispatch = dispatch_isa_or_none();
    for (const BwShape& s : kBwShapes) {
        const std::vector<int> threads = quick ? (s.quick_split ? std::vector<int>{1, 2} : std::vector<int>{1})
                                         : !s.peers ? std::vector<int>{1}
                                                    : std::vector<int>{1, 2};
        const benchmark::TimeUnit unit = s.rows * s.cols >= (1u << 20) ? benchmark::kMillisecond : benchmark::kMicrosecond;
        for (int t : threads) {
            used.insert(t);
            auto reg = [&](Case c) {
                c.rows = s.rows, c.cols = s.cols, c.threads = t;
                c.impl += ":" + op_name(c.output);
                auto* b = benchmark::RegisterBenchmark(c.impl.c_str(), [c](benchmark::State& st) { run_case(st, c); });
                shape_args(b, s.rows, s.cols, t);
                b->Unit(s.jacobian && c.kind == Kind::jacobian ? benchmark::kMillisecond : unit);
            };
            for (Output out : {Output::softmax, Output::log_softmax}) {
                // headline at 2 threads (the split row's 2T / 1T): softmax_backward only.
                if (quick && t > 1 && out != Output::softmax) continue;
                for (const Variant& v : all_variants(Op::backward)) {
                    if (quick) {
                        // The dispatch ISA's fast variant on both ops, its accurate one on softmax.
                        if (!dispatch || v.isa != *dispatch) continue;
                        if (v.tier == Tier::accurate && out == Output::log_softmax) continue;
                    } else if (best_isa_only && !on_best_isa(v, dispatch)) {
                        continue;
                    }
                    reg(Case{std::string(v.name), Kind::ours, &v, nullptr, out});
                }
                if (s.peers) {
                    for (const peers::BackwardPeer& p : peers::backward_peers())
                        reg(Case{std::string(p.name) + p.label_suffix(), Kind::peer, nullptr, &p, out});
                    reg(Case{"memcpy", Kind::memcpy, nullptr, nullptr, out});
                }
                if (s.jacobian && t == 1 && out == Output::softmax && s.cols <= kJacobianMaxN)
                    reg(Case{"jacobian", Kind::jacobian, nullptr, nullptr, out});
            }
        }
    }
    return used;
}

}  // namespace smb::bench
