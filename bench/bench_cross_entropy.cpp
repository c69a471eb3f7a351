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
#include "peers/cross_entropy_peer.hpp"
#include "peers/peer.hpp"
#include "reference/distributions.hpp"
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
    {8, 128256, false, {1, 2}, {}},
    {1, 16777216, false, {1, 2}, {}},
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
};

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
    CrossEntropyArgs a;
    a.x = in.x.get();
    a.rows = rows;
    a.cols = cols;
    a.targets = in.t.data();
    float loss = 0;
    a.loss = &loss;
    a.grad = in.grad.data();
    a.threads = 2;
    cross_entropy_batch(*find_variant("ce_fused.scalar.accurate"), a);
    in.loss = loss;
    return in;
}

struct CeCase {
    std::string impl;
    const Variant* variant = nullptr;
    enum class Peer { none, autograd, aten, memcpy } peer = Peer::none;
    bool grad = true;
    std::size_t rows = 0, cols = 0;
    int threads = 1;
};

std::string g_input = "normal_1";

void run_ce(benchmark::State& state, const CeCase& c) {
    try {
        if (c.variant && !available(*c.variant)) {
            state.SkipWithError(("not available on this CPU: needs " + std::string(to_string(c.variant->isa))).c_str());
            return;
        }
        const Input& in = input_for(c.rows, c.cols, g_input);
        const std::size_t elems = c.rows * c.cols;
        const std::size_t per_out = c.grad ? 2 * elems * sizeof(float) : 0;
        const std::size_t n_out = rotating_outputs(per_out);
        std::vector<Buffer> outs;
        for (std::size_t i = 0; i < (c.grad ? n_out : 1); ++i) outs.push_back(alloc_floats(c.grad ? elems : 1));

        std::unique_ptr<peers::CeRunner> ce;
        std::unique_ptr<peers::Runner> copy;
        std::string info;
        if (c.peer == CeCase::Peer::autograd || c.peer == CeCase::Peer::aten) {
            try {
                const peers::CeShape s{c.rows, c.cols, c.threads, c.grad};
                ce = c.peer == CeCase::Peer::autograd ? peers::make_pytorch_ce_autograd(s) : peers::make_pytorch_ce_aten(s);
            } catch (const peers::NotBuilt& e) {
                state.SkipWithError(e.what());
                return;
            }
            info = ce->impl_info();
        } else if (c.peer == CeCase::Peer::memcpy) {
            copy = peers::make_memcpy(peers::Shape{c.rows, c.cols, c.threads, Output::softmax});
        }
        CrossEntropyArgs a;
        a.x = in.x.get();
        a.rows = c.rows;
        a.cols = c.cols;
        a.targets = in.t.data();
        a.threads = c.threads;
        float loss = 0;
        a.loss = &loss;
        auto call = [&](float* g) -> double {
            if (c.variant) {
                a.grad = c.grad ? g : nullptr;
                cross_entropy_batch(*c.variant, a);
                return loss;
            }
            if (copy) {
                copy->run(in.x.get(), g);
                return in.loss;
            }
            return ce->run(in.x.get(), in.t.data(), g);
        };
        // The check, once, untimed.
        const double l = call(outs[0].get());
        double gerr = 0, gmax = 0;
        if (c.grad && !copy)
            for (std::size_t i = 0; i < elems; ++i) {
                gerr = std::max(gerr, double(std::fabs(outs[0][i] - in.grad[i])));
                gmax = std::max(gmax, double(std::fabs(in.grad[i])));
            }
        const double lerr = std::fabs(l - in.loss) / std::max(std::fabs(in.loss), 1e-30);
        if (!(lerr <= 1e-4) || !(gerr <= 1e-4 * gmax)) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "check failed: loss %.9g vs %.9g, max gradient error %.3g (largest %.3g)", l,
                          in.loss, gerr, gmax);
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
        state.SetBytesProcessed((c.grad ? 8 : 4) * items);
        state.counters["loss_rel_err"] = lerr;
        if (outs.size() > 1) info += (info.empty() ? "" : "; ") + std::to_string(outs.size()) + " rotating gradients";
        state.SetLabel(info);
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

}  // namespace

std::set<int> register_cross_entropy(bool headline_only, bool best_isa_only, const std::string& input) {
    g_input = input;
    const std::optional<Isa> dispatch = dispatch_isa_or_none();
    auto keep = [&](const Variant& v) {
        if (headline_only && v.algorithm == Algorithm::ce_softmax_log) return false;
        if (headline_only && v.isa == Isa::scalar) return false;
        return !best_isa_only || on_best_isa(v, dispatch);
    };
    std::set<int> used;
    for (const CeShapeDef& s : kCeShapes) {
        if (headline_only && !s.headline) continue;
        const benchmark::TimeUnit unit = s.rows * s.cols >= (1u << 20) ? benchmark::kMillisecond : benchmark::kMicrosecond;
        for (int t : headline_only ? s.headline_threads : s.threads) {
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
                for (const Variant& v : all_variants(Op::cross_entropy))
                    if (keep(v)) reg(CeCase{std::string(v.name), &v, CeCase::Peer::none, grad}, op);
                // pytorch_*.<capability> when ATEN_CPU_CAPABILITY forces one (as the softmax peers).
                const std::string sfx = peers::pytorch_label_suffix();
                reg(CeCase{"pytorch_autograd" + sfx, nullptr, CeCase::Peer::autograd, grad}, op);
                reg(CeCase{"pytorch_aten" + sfx, nullptr, CeCase::Peer::aten, grad}, op);
                if (grad) reg(CeCase{"memcpy", nullptr, CeCase::Peer::memcpy, grad}, op);
            }
        }
    }
    return used;
}

}  // namespace smb::bench
