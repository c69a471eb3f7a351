// softmax_bench's cross-entropy entries: <impl>:<op>/<rows>/<cols>[/<threads>/real_time] with
// op cross_entropy (the loss and the gradient w.r.t. the logits, mean reduction) or
// cross_entropy_loss (the loss alone), impl one of:
//   <variant>         ours, a variant of op cross_entropy (ce_fused, and the unfused baselines
//                     ce_log_softmax and ce_softmax_log) through smb::cross_entropy_batch;
//   pytorch_autograd  torch cross_entropy + backward, as users call it;
//   pytorch_aten      the ATen ops autograd runs, without autograd (both pytorch_*.<capability>
//                     when ATEN_CPU_CAPABILITY is set);
//   memcpy            (cross_entropy only) a copy of the logits into the gradient buffer: the
//                     traffic floor of a loss + gradient.
// oneDNN and XNNPACK have no cross-entropy operator: they have no entry.
// bf16 (--smb_dtype=bf16 or all): the same shapes with bf16 logits (the f32 rows rounded),
//   <variant>.bf16 / <variant>.bf16_f32   ours, bf16 gradient / float32 gradient;
//   pytorch_autograd.bf16, pytorch_aten.bf16  torch on a bf16 tensor (bf16 loss and gradient);
//   memcpy.bf16       a copy of the bf16 logits into a bf16 gradient buffer;
// bytes/s counts 2 bytes read per element plus the gradient's 2 (bf16) or 4 (float32); the check
// is against ce_fused.scalar.accurate.bf16_f32 on the same bf16 logits, with 2^-8 of the largest
// gradient entry for a bf16 gradient (and 2^-7 relative on a bf16 loss).
// bytes/s counts 8 bytes per element for cross_entropy (read x, write the gradient) and 4 for
// cross_entropy_loss (read x); extra passes are not counted. Before timing, every entry's loss
// and gradient are checked against ce_fused.scalar.accurate (relative 1e-4 on the loss, 1e-4 of
// the largest gradient entry); a failed check skips the entry with the reason.
#include "bench_cross_entropy.hpp"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "bench_memory.hpp"
#include "bench_register.hpp"
#include "bf16_bench.hpp"
#include "peers/cross_entropy_peer.hpp"
#include "peers/peer.hpp"
#include "peers/peer_bf16.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/cross_entropy.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::bench {
namespace {

struct CeShapeDef {
    std::size_t rows, cols;
    bool headline;
    std::vector<int> threads;       // all shapes
    std::vector<int> headline_threads;  // with headline_only
};

// The shapes: one row, attention rows, LLM vocabularies (Llama 2, Llama 3), a long row.
const std::vector<CeShapeDef> kCeShapes = {
    {1, 4096, false, {1, 2}, {}},
    {4096, 128, true, {1, 2}, {1}},
    {32, 32000, true, {1, 2}, {1, 2}},
    {8, 128256, true, {1, 2}, {1}},
    {1, 16777216, true, {1, 2}, {1, 2}},  // headline 2T: the split row (see register_cross_entropy)
};

constexpr std::uint64_t kSeed = 20240601;

// The input of one shape (the same rows softmax_bench's entries use) and its targets.
struct Input {
    std::size_t rows = 0, cols = 0;
    Buffer x;
    std::vector<std::int64_t> t;
    // ce_fused.scalar.accurate's mean loss and gradient (the check).
    double loss = 0;
    std::vector<float> grad;
    // The bf16 entries: the logits rounded to bf16, and ce_fused.scalar.accurate.bf16_f32's
    // loss and gradient on them.
    std::vector<std::uint16_t> xb;
    double loss_b = 0;
    std::vector<float> grad_b;
};

// The reference loss and float gradient of the input's logits (x float, or xb bf16 bits) by the
// scalar accurate fused form `variant`: what the pre-timing check compares against.
float reference_ce(const Input& in, const float* x, const std::uint16_t* xb, float* grad, const char* variant) {
    CrossEntropyArgs a;
    a.x = x;
    a.x_bf16 = xb;
    a.rows = in.rows;
    a.cols = in.cols;
    a.targets = in.t.data();
    float loss = 0;
    a.loss = &loss;
    a.grad = grad;
    a.threads = 2;
    cross_entropy_batch(*find_variant(variant), a);
    return loss;
}

const Input& input_for(std::size_t rows, std::size_t cols, const std::string& dist) {
    static Input in;
    if (in.x && in.rows == rows && in.cols == cols) return in;
    in = Input{};
    in.rows = rows;
    in.cols = cols;
    in.x = alloc_floats(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
        const std::vector<float> row = ref::make_row(dist, cols, kSeed + r);
        std::memcpy(in.x.get() + r * cols, row.data(), cols * sizeof(float));
        in.t.push_back(std::int64_t((r * 2654435761u + 12345u) % cols));
    }
    in.grad.resize(rows * cols);
    in.loss = reference_ce(in, in.x.get(), nullptr, in.grad.data(), "ce_fused.scalar.accurate");
    return in;
}

// The bf16 half of an input, made on first use.
const Input& bf16_input_for(std::size_t rows, std::size_t cols, const std::string& dist) {
    Input& in = const_cast<Input&>(input_for(rows, cols, dist));
    if (!in.xb.empty()) return in;
    in.xb.resize(rows * cols);
    for (std::size_t i = 0; i < rows * cols; ++i) in.xb[i] = float_to_bf16(in.x[i]);
    in.grad_b.resize(rows * cols);
    in.loss_b = reference_ce(in, nullptr, in.xb.data(), in.grad_b.data(), "ce_fused.scalar.accurate.bf16_f32");
    return in;
}

struct CeCase {
    std::string impl;
    const Variant* variant = nullptr;
    enum class Peer { none, autograd, aten, memcpy } peer = Peer::none;
    bool grad = true;
    std::size_t rows = 0, cols = 0;
    int threads = 1;
    bool bf16 = false;  // bf16 logits; the gradient in bf16 unless the variant is a .bf16_f32 one
};

std::string g_input = "normal_1";

void run_ce(benchmark::State& state, const CeCase& c) {
    try {
        if (c.variant && !available(*c.variant)) {
            state.SkipWithError(("not available on this CPU: needs " + std::string(to_string(c.variant->isa))).c_str());
            return;
        }
        const Input& in = c.bf16 ? bf16_input_for(c.rows, c.cols, g_input) : input_for(c.rows, c.cols, g_input);
        const std::size_t elems = c.rows * c.cols;
        // Bytes per element: read the logits, write the gradient (bf16: 2 + 2, or 2 + 4 with a
        // float32 gradient).
        const bool g16 = c.bf16 && !(c.variant && c.variant->dtype == Dtype::bf16_f32);
        const std::size_t in_bytes = c.bf16 ? 2 : 4, out_bytes = g16 ? 2 : 4;
        const std::size_t per_out = c.grad ? (in_bytes + out_bytes) * elems : 0;
        const std::size_t n_out = rotating_outputs(per_out);
        std::vector<Buffer> outs;  // float buffers, holding bf16 gradients in their first half
        for (std::size_t i = 0; i < (c.grad ? n_out : 1); ++i) outs.push_back(alloc_floats(c.grad ? elems : 1));

        std::unique_ptr<peers::CeRunner> ce;
        std::unique_ptr<peers::Runner> copy;
        std::unique_ptr<peers::Bf16Runner> copy16;
        std::string info;
        if (c.peer == CeCase::Peer::autograd || c.peer == CeCase::Peer::aten) {
            try {
                const peers::CeShape s{.rows = c.rows, .cols = c.cols, .threads = c.threads, .grad = c.grad, .bf16 = c.bf16};
                ce = c.peer == CeCase::Peer::autograd ? peers::make_pytorch_ce_autograd(s) : peers::make_pytorch_ce_aten(s);
            } catch (const peers::NotBuilt& e) {
                state.SkipWithError(e.what());
                return;
            }
            info = ce->impl_info();
        } else if (c.peer == CeCase::Peer::memcpy) {
            const peers::Shape s{c.rows, c.cols, c.threads, Output::softmax};
            if (c.bf16) copy16 = peers::make_memcpy_bf16(s);
            else copy = peers::make_memcpy(s);
        }
        CrossEntropyArgs a;
        if (c.bf16) a.x_bf16 = in.xb.data();
        else a.x = in.x.get();
        a.rows = c.rows;
        a.cols = c.cols;
        a.targets = in.t.data();
        a.threads = c.threads;
        float loss = 0;
        a.loss = &loss;
        auto g16_of = [](float* g) { return reinterpret_cast<std::uint16_t*>(g); };
        auto call = [&](float* g) -> double {
            if (c.variant) {
                if (g16) a.grad_bf16 = c.grad ? g16_of(g) : nullptr;
                else a.grad = c.grad ? g : nullptr;
                cross_entropy_batch(*c.variant, a);
                return loss;
            }
            if (copy16) {
                copy16->run(in.xb.data(), g16_of(g));
                return in.loss_b;
            }
            if (copy) {
                copy->run(in.x.get(), g);
                return in.loss;
            }
            return c.bf16 ? ce->run_bf16(in.xb.data(), in.t.data(), g16_of(g)) : ce->run(in.x.get(), in.t.data(), g);
        };
        // The check, once, untimed.
        const double l = call(outs[0].get());
        const std::vector<float>& want_g = c.bf16 ? in.grad_b : in.grad;
        const double want_l = c.bf16 ? in.loss_b : in.loss;
        double gerr = 0, gmax = 0;
        if (c.grad && !copy && !copy16)
            for (std::size_t i = 0; i < elems; ++i) {
                const float gi = g16 ? bf16_to_float(g16_of(outs[0].get())[i]) : outs[0][i];
                gerr = std::max(gerr, double(std::fabs(gi - want_g[i])));
                gmax = std::max(gmax, double(std::fabs(want_g[i])));
            }
        const double lerr = std::fabs(l - want_l) / std::max(std::fabs(want_l), 1e-30);
        const bool bf16_loss = c.bf16 && !c.variant;  // torch's loss is a bf16 tensor
        if (!(lerr <= (bf16_loss ? 0x1p-7 : 1e-4)) || !(gerr <= (g16 ? 0x1p-8 : 1e-4) * gmax)) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "check failed: loss %.9g vs %.9g, max gradient error %.3g (largest %.3g)", l,
                          want_l, gerr, gmax);
            state.SkipWithError(buf);
            return;
        }
        if (ce) ce->set_copy_grad(false);
        std::size_t k = 0;
        for (auto _ : state) {
            float* g = outs[k].get();
            if (++k == outs.size()) k = 0;
            benchmark::DoNotOptimize(call(g));
            benchmark::ClobberMemory();
        }
        const auto items = std::int64_t(elems) * state.iterations();
        state.SetItemsProcessed(items);
        state.SetBytesProcessed(std::int64_t(c.grad ? in_bytes + out_bytes : in_bytes) * items);
        state.counters["loss_rel_err"] = lerr;
        if (outs.size() > 1) info += (info.empty() ? "" : "; ") + std::to_string(outs.size()) + " rotating gradients";
        state.SetLabel(info);
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

}  // namespace

std::set<int> register_cross_entropy(bool headline_only, bool best_isa_only, const std::string& input, bool f32,
                                     bool bf16) {
    g_input = input;
    const std::optional<Isa> dispatch = dispatch_isa_or_none();
    // --smb_filter_isa=best on bf16 logits: the bf16 forward rows' rule (best_bf16_isa), so a CPU
    // with AVX512_BF16 keeps the avx512bf16 cross-entropy variants (native narrowing).
    const std::optional<Isa> best_bf16 = best_bf16_isa(dispatch);
    auto keep = [&](const Variant& v) {
        if (headline_only && v.algorithm == Algorithm::ce_softmax_log) return false;
        if (headline_only && v.isa == Isa::scalar) return false;
        return !best_isa_only || on_best_isa(v, v.dtype == Dtype::f32 ? dispatch : best_bf16);
    };
    std::set<int> used;
    for (const CeShapeDef& s : kCeShapes) {
        if (headline_only && !s.headline) continue;
        const benchmark::TimeUnit unit = s.rows * s.cols >= (1u << 20) ? benchmark::kMillisecond : benchmark::kMicrosecond;
        for (int t : headline_only ? s.headline_threads : s.threads) {
            // headline with fewer rows than threads (1x16M at 2 threads, a row the batch call cuts
            // across them): only what its 2T / 1T needs, ce_fused (fast and accurate) on f32
            // logits, the peers and memcpy.
            const bool split_only = headline_only && s.rows < std::size_t(t);
            used.insert(t);
            auto reg = [&](CeCase c, const char* op) {
                c.rows = s.rows;
                c.cols = s.cols;
                c.threads = t;
                auto* b = benchmark::RegisterBenchmark((c.impl + ":" + op).c_str(),
                                                       [c](benchmark::State& st) { run_ce(st, c); });
                shape_args(b, s.rows, s.cols, t);
                b->Unit(unit);
            };
            for (bool grad : {true, false}) {
                const char* op = grad ? "cross_entropy" : "cross_entropy_loss";
                if (!grad && headline_only) continue;
                // pytorch_*.<capability> when ATEN_CPU_CAPABILITY forces one (as the softmax peers).
                const std::string sfx = peers::pytorch_label_suffix();
                if (f32) {
                    for (const Variant& v : all_variants(Op::cross_entropy))
                        if (keep(v) && (!split_only || v.algorithm == Algorithm::ce_fused))
                            reg(CeCase{std::string(v.name), &v, CeCase::Peer::none, grad}, op);
                    reg(CeCase{"pytorch_autograd" + sfx, nullptr, CeCase::Peer::autograd, grad}, op);
                    reg(CeCase{"pytorch_aten" + sfx, nullptr, CeCase::Peer::aten, grad}, op);
                    if (grad) reg(CeCase{"memcpy", nullptr, CeCase::Peer::memcpy, grad}, op);
                }
                if (bf16 && !split_only) {  // <impl>.bf16 names, as the bf16 forward's (bf16_bench.cpp)
                    for (Dtype d : {Dtype::bf16, Dtype::bf16_f32})
                        for (const Variant& v : all_variants(Op::cross_entropy, d))
                            if (keep(v)) reg(CeCase{std::string(v.name), &v, CeCase::Peer::none, grad, 0, 0, 1, true}, op);
                    reg(CeCase{"pytorch_autograd.bf16" + sfx, nullptr, CeCase::Peer::autograd, grad, 0, 0, 1, true}, op);
                    reg(CeCase{"pytorch_aten.bf16" + sfx, nullptr, CeCase::Peer::aten, grad, 0, 0, 1, true}, op);
                    if (grad) reg(CeCase{"memcpy.bf16", nullptr, CeCase::Peer::memcpy, grad, 0, 0, 1, true}, op);
                }
            }
        }
    }
    return used;
}

}  // namespace smb::bench
