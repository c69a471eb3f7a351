// softmax_bench: every registry variant and every peer, on fixed shapes, in one Google Benchmark
// binary, so every claim is a ratio from one run. See bench/README.md for the protocol.
//
// Names: <impl>/<rows>/<cols> (one thread) and <impl>/<rows>/<cols>/<threads>/real_time (more:
//   wall-clock timed, and Google Benchmark appends /real_time to such names), with impl
//   a registry variant name (online.avx512), <variant>:log for its log_softmax, or a peer entry
//   from smb::peers::all_peers() (onednn, onednn_log, xnnpack, pytorch, pytorch:log,
//   pytorch_api, pytorch_api:log, memcpy; the pytorch ones named pytorch.<capability>... when
//   ATEN_CPU_CAPABILITY is set). Cross-entropy entries: <impl>:cross_entropy and
//   <impl>:cross_entropy_loss (bench_cross_entropy.cpp; f32 logits with --smb_dtype=f32, bf16
//   logits (<impl>.bf16...) with bf16, both with all; not with a custom --smb_shapes list).
// Extra flags (removed from argv before benchmark::Initialize):
//   --smb_shapes=all|headline|RxC,...
//                                 all shapes (default), the headline subset, or a list of
//                                 rows x cols shapes (one thread each)
//   --smb_filter_isa=all|best     all variants (default), or only those whose ISA is the dispatch
//                                 ISA or scalar (peers are always registered; the bf16
//                                 rows: avx512bf16 where available, bf16_bench.cpp)
//   --smb_input=DIST              the input distribution (default normal_1; any of
//                                 smb::ref::distributions(), e.g. normal_20 to time guarded's
//                                 fallback)
//   --smb_write_inputs=DIR        write every shape's input as DIR/x-<rows>x<cols>.npy and the
//                                 context as DIR/context.json, then exit (scripts/bench_numpy.py)
//   --smb_dtype=f32|bf16|all      the f32 entries (default), the bf16 ones (bf16_bench.cpp: the
//                                 headline shapes plus 8x128256 and 32x151936, or the
//                                 --smb_shapes list; without a list also our f32 variants at
//                                 1x16777216, so bf16 / f32 is a ratio from one run), or both
//   --smb_on_check_failure=skip|time
//                                 a failed correctness check skips the benchmark with the error
//                                 (default), or times it anyway with "CHECK FAILED: ..." leading
//                                 its label (diagnostics only)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "detail/list_json.hpp"
#include "bench_config.hpp"
#include "bench_backward.hpp"
#include "bench_cross_entropy.hpp"
#include "bench_memory.hpp"
#include "bench_register.hpp"
#include "detail/json_text.hpp"
#include "npy/npy.hpp"
#include "bf16_bench.hpp"
#include "check.hpp"
#include "floors.hpp"
#include "peers/peer.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/build_info.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

namespace {

using smb::Output;
using smb::bench::CheckResult;
using smb::bench::Metric;

// ---- shapes --------------------------------------------------------------------------------
// Thread counts run for a shape unless the shape lists its own. To add threaded runs, change
// this line (e.g. {1, 2}) or give one shape its own list as the 4th field.
const std::vector<int> kThreads = {1};

struct Shape {
    std::size_t rows, cols;
    bool headline;
    std::vector<int> threads = kThreads;
};

// The thread-scaling shapes (issue: one row split across threads, and batches of rows) run
// with 1 and 2 threads; oneDNN and XNNPACK get the same thread count.
const std::vector<int> kScaling = {1, 2};

const std::vector<Shape> kShapes = {
    // single rows
    {1, 16, false},
    {1, 64, true},
    {1, 256, false},
    {1, 1024, false},
    {1, 4096, true},
    {1, 16384, false},
    {1, 65536, true},
    {1, 262144, true, kScaling},
    {1, 1048576, false},
    {1, 4194304, false, kScaling},
    {1, 16777216, true, kScaling},
    // batches: attention rows, a square, LLM vocabularies (32000: Llama 2; 128256: Llama 3)
    {4096, 128, true, kScaling},
    {1024, 1024, false},
    {32, 32000, true, kScaling},
    {8, 128256, false, kScaling},
};

// ---- options --------------------------------------------------------------------------------
struct Options {
    bool headline_only = false;
    std::string shapes_flag = "all";  // all, headline, or a list R1xC1,R2xC2 (custom)
    std::vector<Shape> custom;        // the list's shapes (one thread each)
    bool best_isa_only = false;
    bool time_failed = false;
    std::string input = "normal_1";
    std::string write_inputs;  // --smb_write_inputs=DIR: write the inputs and exit
    std::string dtype = "f32";  // --smb_dtype: f32, bf16 or all
};
Options g_opt;

// The shapes a run registers: the list of --smb_shapes, else kShapes (headline ones only with
// --smb_shapes=headline).
std::vector<Shape> selected_shapes(const Options& o) {
    if (!o.custom.empty()) return o.custom;
    std::vector<Shape> out;
    for (const Shape& s : kShapes)
        if (!o.headline_only || s.headline) out.push_back(s);
    return out;
}

constexpr const char* kHelp =
    "softmax_bench: softmaxbench variants and peers (oneDNN, XNNPACK, PyTorch, memcpy) under Google "
    "Benchmark.\n"
    "Extra flags (Google Benchmark's own follow):\n"
    "  --smb_shapes=all|headline|RxC,...\n"
    "                              shapes to register (default all); headline = 1x64, 1x4096,\n"
    "                              1x65536, 1x262144, 1x16777216, 4096x128, 32x32000; or a list\n"
    "                              such as\n"
    "                              1x64,32x1000 (one thread each, log_softmax too; tests)\n"
    "  --smb_filter_isa=all|best   all variants (default), or only variants whose ISA is the\n"
    "                              dispatch ISA (SOFTMAXBENCH_FORCE_ISA caps it) or scalar;\n"
    "                              peers are always registered (bf16 rows: avx512bf16\n"
    "                              where available)\n"
    "  --smb_input=DIST            input distribution (default normal_1): normal_0.1, normal_1,\n"
    "                              normal_5, normal_20, uniform, offset_1e4, dominant, ties,\n"
    "                              near_uniform\n"
    "  --smb_write_inputs=DIR      write every shape's input (of --smb_shapes, --smb_input) as\n"
    "                              DIR/x-<rows>x<cols>.npy and the context as DIR/context.json,\n"
    "                              then exit without timing (for scripts/bench_numpy.py)\n"
    "  --smb_dtype=f32|bf16|all    the f32 entries (default), the bf16 ones (<variant>.bf16,\n"
    "                              <variant>.bf16_f32, onednn.bf16, pytorch.bf16, memcpy.bf16 at\n"
    "                              2 bytes per element; headline shapes plus 8x128256 and\n"
    "                              32x151936, 1 and 2 threads where the f32 shape has them, and\n"
    "                              our f32 variants at 1x16777216 for the bf16/f32 ratio), or both\n"
    "  --smb_on_check_failure=skip|time\n"
    "                              an implementation failing its correctness check skips with\n"
    "                              the error (default), or is timed anyway with a label starting\n"
    "                              \"CHECK FAILED:\" (diagnostics only)\n"
    "Names: <impl>/<rows>/<cols>, threaded <impl>/<rows>/<cols>/<threads>/real_time;\n"
    "<variant>:log, onednn_log and pytorch*:log are log_softmax, registered on the headline\n"
    "shapes only (our variants: log_sum_exp and max_shifted). With ATEN_CPU_CAPABILITY set, the\n"
    "pytorch entries are named pytorch.<capability>, pytorch_api.<capability> (ATen reads it once\n"
    "per process; scripts/bench.sh runs them a second time with avx512 and merges the JSON).\n\n";

// "1x64,32x1000" -> shapes (one thread each); false on a malformed list.
bool parse_shapes(std::string_view v, std::vector<Shape>& out) {
    while (!v.empty()) {
        const std::size_t comma = v.find(',');
        const std::string item(v.substr(0, comma));
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        unsigned long long r = 0, c = 0;
        int used = 0;
        if (std::sscanf(item.c_str(), "%llux%llu%n", &r, &c, &used) != 2 || used != int(item.size()) || r == 0 ||
            c == 0 || item[0] == '-' || r * c > (1ull << 31))
            return false;
        out.push_back(Shape{std::size_t(r), std::size_t(c), true});  // asked for: log_softmax too
    }
    return !out.empty();
}

// Removes --smb_* flags from argv; exits with status 2 on a bad value.
Options parse_options(int& argc, char** argv) {
    Options o;
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value_of = [&](std::string_view flag, std::string_view& v) {
            if (a.substr(0, flag.size()) != flag) return false;
            v = a.substr(flag.size());
            return true;
        };
        std::string_view v;
        if (value_of("--smb_shapes=", v)) {
            o.shapes_flag = std::string(v);
            if (v != "all" && v != "headline" && !parse_shapes(v, o.custom)) {
                std::fprintf(stderr, "softmax_bench: --smb_shapes must be all, headline or a list "
                                     "like 1x64,32x1000 (rows, cols >= 1)\n");
                std::exit(2);
            }
            o.headline_only = v == "headline";
        } else if (value_of("--smb_filter_isa=", v)) {
            if (v != "all" && v != "best") {
                std::fprintf(stderr, "softmax_bench: --smb_filter_isa must be all or best\n");
                std::exit(2);
            }
            o.best_isa_only = v == "best";
        } else if (value_of("--smb_input=", v)) {
            if (!smb::ref::find_distribution(v)) {
                std::fprintf(stderr, "softmax_bench: --smb_input: unknown distribution '%.*s'\n", int(v.size()), v.data());
                std::exit(2);
            }
            o.input = std::string(v);
        } else if (value_of("--smb_write_inputs=", v)) {
            if (v.empty()) {
                std::fprintf(stderr, "softmax_bench: --smb_write_inputs needs a directory\n");
                std::exit(2);
            }
            o.write_inputs = std::string(v);
        } else if (value_of("--smb_dtype=", v)) {
            if (v != "f32" && v != "bf16" && v != "all") {
                std::fprintf(stderr, "softmax_bench: --smb_dtype must be f32, bf16 or all\n");
                std::exit(2);
            }
            o.dtype = std::string(v);
        } else if (value_of("--smb_on_check_failure=", v)) {
            if (v != "skip" && v != "time") {
                std::fprintf(stderr, "softmax_bench: --smb_on_check_failure must be skip or time\n");
                std::exit(2);
            }
            o.time_failed = v == "time";
        } else {
            if (a == "--help" || a == "-h") std::fputs(kHelp, stdout);
            argv[out++] = argv[i];
        }
    }
    argc = out;
    argv[argc] = nullptr;
    return o;
}

// ---- memory -----------------------------------------------------------------------------------
using smb::bench::alloc_floats;
using smb::bench::Buffer;
using smb::bench::llc_bytes;
using smb::bench::TimedLoopCounters;

// Output buffers per shape. When input + output fit in the LLC everything stays warm and one
// output buffer is used. Otherwise the outputs rotate: with n buffers, (n - 1) * (input + output)
// bytes of other traffic pass between two writes of the same buffer; n = 1 + ceil(2 LLC / (in +
// out)) makes that at least twice the LLC, so every timed iteration writes cold memory (the
// approach of XNNPACK's benchmarks). The input is not rotated: for the shapes listed (only
// 1x16M exceeds the LLC) the input alone is larger than the LLC and streams from DRAM anyway.
std::size_t outputs_needed(std::size_t elems) {
    return smb::bench::rotating_outputs(2 * elems * sizeof(float));
}

struct OutputPool {
    std::vector<Buffer> bufs;
    std::size_t capacity = 0;  // elements per buffer

    std::vector<float*> get(std::size_t count, std::size_t elems) {
        if (elems > capacity) {
            bufs.clear();  // free first: the large shapes need the memory
            capacity = elems;
        }
        while (bufs.size() < count) bufs.push_back(alloc_floats(capacity));
        std::vector<float*> out;
        for (std::size_t i = 0; i < count; ++i) out.push_back(bufs[i].get());
        return out;
    }
};
OutputPool g_outputs;

// Input: row r of every shape is smb::ref::make_row(<--smb_input, default "normal_1">, cols,
// kSeed + r), N(0, 1) logits by default, from the project's own deterministic generator. Row 0
// therefore depends only on cols, which is what lets the check and the reference be cached per
// cols. The current shape's input is kept.
constexpr std::uint64_t kSeed = 20240601;
std::string input_description() {
    return "row r = smb::ref::make_row(\"" + g_opt.input + "\", cols, " + std::to_string(kSeed) + " + r): " +
           std::string(smb::ref::find_distribution(g_opt.input)->description) + ", fixed seed";
}

const float* input_for(std::size_t rows, std::size_t cols) {
    static Buffer buf;
    static std::size_t cur_rows = 0, cur_cols = 0;
    if (!buf || rows != cur_rows || cols != cur_cols) {
        buf.reset();
        buf = alloc_floats(rows * cols);
        for (std::size_t r = 0; r < rows; ++r) {
            const std::vector<float> row = smb::ref::make_row(g_opt.input, cols, kSeed + r);
            std::memcpy(buf.get() + r * cols, row.data(), cols * sizeof(float));
        }
        cur_rows = rows;
        cur_cols = cols;
    }
    return buf.get();
}

// ---- implementations ------------------------------------------------------------------------
// Peers come from the one list, smb::peers::all_peers() (bench/peers/), shared with
// peer_accuracy. Peers not found by CMake are still registered and skip with the reason.
// The sanity metric of a peer's check: memcpy must copy exactly; a softmax is held to a
// relative bound, a log_softmax to an absolute one (check.hpp).
Metric peer_metric(const smb::peers::Peer& p, Output out) {
    if (p.name == "memcpy") return Metric::exact;
    return out == Output::softmax ? Metric::rel : Metric::abs;
}

struct Case {
    std::string impl;                       // name prefix, e.g. "online.avx512:log"
    const smb::Variant* variant = nullptr;  // ours, or
    const smb::peers::Peer* peer = nullptr;  // a peer
    Output output = Output::softmax;
    std::size_t rows = 0, cols = 0;
    int threads = 1;
};

std::string fmt_g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string bound_text(const Case& c) {
    if (c.variant != nullptr)
        return "the variant's documented contract (+" + fmt_g(smb::bench::kDoubleRefUlpMargin) +
               " ulp against the double reference)";
    switch (peer_metric(*c.peer, c.output)) {
        case Metric::rel: return "peer sanity bound: max relative error <= " + fmt_g(smb::bench::kPeerRelBound) + " for softmax";
        case Metric::abs: return "peer sanity bound: max absolute error <= " + fmt_g(smb::bench::kPeerAbsBound) + " for log_softmax";
        default: return "memcpy must copy exactly";
    }
}

// Check once per (impl, cols, threads): the benchmark function runs again for every iteration
// estimate and repetition, the check does not.
const CheckResult& checked(const Case& c, const float* x, float* y, auto&& call) {
    static std::map<std::string, CheckResult> cache;
    const std::string key = c.impl + "/" + std::to_string(c.cols) + "/" + std::to_string(c.threads);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    call(y);
    const std::span<const float> x0(x, c.cols), y0(y, c.cols);
    const Metric metric = c.variant != nullptr ? Metric::ulp : peer_metric(*c.peer, c.output);
    return cache.emplace(key, smb::bench::check_row(x0, y0, c.output, c.variant, metric)).first->second;
}

// `call` computes into y (checked once); `timed_call` is what the loop times (the same call,
// except for a peer whose user-facing call allocates its own output).
template <class Call, class TimedCall>
void timed(benchmark::State& state, const Case& c, const float* x, Call&& call, TimedCall&& timed_call,
           const std::string& impl_info) {
    const std::size_t elems = c.rows * c.cols;
    const std::size_t n_out = outputs_needed(elems);
    const std::vector<float*> outs = g_outputs.get(n_out, elems);

    const CheckResult& chk = checked(c, x, outs[0], call);
    std::string label = impl_info.empty() ? chk.summary : impl_info + "; " + chk.summary;
    if (!chk.ok) {
        if (!g_opt.time_failed) {
            state.SkipWithError(("check failed: " + label + " [" + bound_text(c) + "]").c_str());
            return;
        }
        label = "CHECK FAILED: " + label + " [" + bound_text(c) + "]";
    }
    if (n_out == 1) timed_call(outs[0]);  // warm: input and output in cache
    else label += "; " + std::to_string(n_out) + " rotating outputs (cold writes)";

    const TimedLoopCounters counters;
    std::size_t k = 0;
    for (auto _ : state) {
        float* y = outs[k];
        if (++k == n_out) k = 0;
        timed_call(y);
        benchmark::DoNotOptimize(y);
        benchmark::ClobberMemory();
    }
    counters.finish(state, elems);
    state.counters["check_error"] = chk.error;  // ULP (ours) or rel/abs error (peers), row 0
    state.counters["max_ulp"] = chk.max_ulp;    // ULP for everyone, row 0 (accuracy comparison)
    state.SetLabel(label);
}

void run_case(benchmark::State& state, const Case& c) {
    try {
        if (c.variant != nullptr) {
            const smb::Variant& v = *c.variant;
            if (!smb::available(v)) {
                const std::string msg =
                    "not available on this CPU: needs " + std::string(smb::to_string(v.isa));
                state.SkipWithError(msg.c_str());
                return;
            }
            const float* x = input_for(c.rows, c.cols);
            smb::BatchArgs a;
            a.x = x;
            a.rows = c.rows;
            a.cols = c.cols;
            a.output = c.output;
            a.threads = c.threads;
            auto call = [&](float* y) {
                a.y = y;
                smb::softmax_batch(v, a);
            };
            timed(state, c, x, call, call, "");
        } else {
            std::unique_ptr<smb::peers::Runner> peer;
            try {
                peer = c.peer->make(smb::peers::Shape{c.rows, c.cols, c.threads, c.output});
            } catch (const smb::peers::NotBuilt& e) {
                state.SkipWithError(e.what());
                return;
            }
            const float* x = input_for(c.rows, c.cols);
            smb::peers::Runner* p = peer.get();
            timed(state, c, x, [&](float* y) { p->run(x, y); }, [&](float* y) { p->run_timed(x, y); },
                  p->impl_info());
        }
    } catch (const std::exception& e) {
        state.SkipWithError((std::string("error: ") + e.what()).c_str());
    }
}

// ---- registration ---------------------------------------------------------------------------
bool wants_log(const smb::Variant& v) { return smb::info(v.algorithm).bench_log; }

std::set<int> register_all(const Options& opt) {
    const std::optional<smb::Isa> dispatch = smb::bench::dispatch_isa_or_none();
    auto keep = [&](const smb::Variant& v) {
        return !opt.best_isa_only || smb::bench::on_best_isa(v, dispatch);
    };

    std::set<int> threads_used;
    // One forward entry (softmax or log_softmax) of shape s at t threads.
    auto reg = [&](const Shape& s, int t, Case c) {
        threads_used.insert(t);
        c.rows = s.rows;
        c.cols = s.cols;
        c.threads = t;
        auto* b = benchmark::RegisterBenchmark(c.impl.c_str(), [c](benchmark::State& st) { run_case(st, c); });
        smb::bench::shape_args(b, s.rows, s.cols, t);  // clock: see shape_args
        b->Unit(smb::bench::forward_time_unit(s.rows * s.cols));
    };
    if (opt.dtype != "f32") {
        // bf16: the headline shapes and two large vocabularies (Llama 3, Qwen), or the list.
        std::vector<smb::bench::Bf16Shape> shapes;
        if (!opt.custom.empty()) {
            for (const Shape& s : opt.custom) shapes.push_back({s.rows, s.cols, s.threads, true});
        } else {
            for (const Shape& s : kShapes)
                if (s.headline) shapes.push_back({s.rows, s.cols, s.threads, true});
            shapes.push_back({8, 128256, kScaling, false});
            shapes.push_back({32, 151936, kScaling, false});
        }
        smb::bench::register_bf16(shapes, {opt.best_isa_only, opt.input, kSeed, llc_bytes()}, threads_used);
        if (opt.dtype == "bf16") {
            // Our own f32 softmax at 1x16M beside it (issue 15's goal: bf16 >= 1.7x our f32 rate),
            // so that ratio comes from one run; `all` times them in the loop below anyway. The
            // dispatch ISA's and auto, whatever --smb_filter_isa says; scalar rows only where
            // nothing else runs (they are never the fastest, and slow at 16M).
            auto f32_rival = [&](const smb::Variant& v) {
                return smb::bench::on_best_isa(v, dispatch) &&
                       (v.isa != smb::Isa::scalar || v.algorithm == smb::Algorithm::auto_pick || !dispatch ||
                        *dispatch == smb::Isa::scalar);
            };
            if (opt.custom.empty())
                for (const Shape& s : kShapes)
                    if (s.rows == 1 && s.cols == 16777216)
                        for (int t : s.threads)
                            for (const smb::Variant& v : smb::all_variants())
                                if (f32_rival(v)) reg(s, t, Case{std::string(v.name), &v, nullptr, Output::softmax});
            return threads_used;
        }
    }
    for (const Shape& s : selected_shapes(opt)) {
        for (int t : s.threads) {
            const benchmark::TimeUnit unit = smb::bench::forward_time_unit(s.rows * s.cols);
            for (const smb::Variant& v : smb::all_variants())
                if (keep(v)) reg(s, t, Case{std::string(v.name), &v, nullptr, Output::softmax});
            for (const smb::peers::Peer& p : smb::peers::all_peers())
                if (p.supports(Output::softmax))
                    reg(s, t, Case{smb::peers::entry_name(p, Output::softmax), nullptr, &p, Output::softmax});
            // floor:exp, floor:exp_write: measurement tools beside memcpy (bench/floors.hpp)
            smb::bench::register_floors(s.rows, s.cols, t, unit,
                                        {input_for, [](std::size_t k, std::size_t e) { return g_outputs.get(k, e); },
                                         opt.time_failed});
            // log_softmax: headline shapes only, to keep the count manageable.
            if (!s.headline) continue;
            for (const smb::Variant& v : smb::all_variants())
                if (keep(v) && wants_log(v))
                    reg(s, t, Case{std::string(v.name) + ":log", &v, nullptr, Output::log_softmax});
            for (const smb::peers::Peer& p : smb::peers::all_peers())
                if (p.supports(Output::log_softmax))
                    reg(s, t, Case{smb::peers::entry_name(p, Output::log_softmax), nullptr, &p, Output::log_softmax});
        }
    }
    for (int t : smb::bench::register_backward(opt.headline_only, opt.best_isa_only, !opt.custom.empty()))
        threads_used.insert(t);  // the backward's entries (bench/bench_backward.cpp)
    return threads_used;
}

// ---- run metadata -----------------------------------------------------------------------------
// "name (version; capability), ..." for every peer of smb::peers::all_peers().
std::string peer_list() {
    std::string s;
    for (const smb::peers::Peer& p : smb::peers::all_peers()) {
        if (!s.empty()) s += ", ";
        s += smb::peers::label(p) + " (" + p.version();
        if (const std::string cap = p.built() ? p.capability() : std::string(); !cap.empty())
            s += "; capability " + cap;
        s += ")";
    }
    return s;
}

using Context = std::vector<std::pair<std::string, std::string>>;

Context context_entries(const Options& opt, const std::set<int>& threads) {
    const smb::CpuInfo& cpu = smb::cpu_info();
    std::string flags;
    const std::pair<const char*, bool> features[] = {
        {"sse2", cpu.sse2},         {"avx", cpu.avx},           {"avx2", cpu.avx2},
        {"fma", cpu.fma},           {"avx512f", cpu.avx512f},   {"avx512dq", cpu.avx512dq},
        {"avx512bw", cpu.avx512bw}, {"avx512vl", cpu.avx512vl}};
    for (const auto& [name, on] : features) {
        if (!on) continue;
        if (!flags.empty()) flags += ' ';
        flags += name;
    }
    flags += std::string("; os: avx ") + (cpu.os_avx ? "enabled" : "disabled") + ", avx512 " +
             (cpu.os_avx512 ? "enabled" : "disabled");

    std::string dispatch;
    try {
        dispatch = std::string(smb::to_string(smb::dispatch_isa()));
    } catch (const std::exception& e) {
        dispatch = std::string("error: ") + e.what();
    }
    std::string thread_list;
    for (int t : threads) {
        if (!thread_list.empty()) thread_list += ',';
        thread_list += std::to_string(t);
    }
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");

    return Context{
        {"cpu_model", cpu.model},
        {"cpu_vendor", cpu.vendor},
        {"isa_flags", flags},
        {"dispatch_isa", dispatch},
        {"compiler", smb::build::compiler},
        {"cxx_flags", smb::build::cxx_flags},
        {"build_type", smb::build::build_type},
        {"git_commit", smb::build::git_commit},
        {"softmaxbench_version", smb::build::version},
        {"xsimd_version", smb::build::xsimd_version},
        {"mpfr_version", smb::build::mpfr_version},
        {"onednn_version", smb::peers::onednn_version()},
        {"xnnpack", smb::peers::xnnpack_built() ? "built" : "not built"},
        {"xnnpack_note", std::string("XNNPACK has no version API; distribution package version: ") +
                             SMB_XNNPACK_PACKAGE_VERSION},
        {"pytorch_version", smb::peers::pytorch_version()},
        {"pytorch_cpu_capability",
         smb::peers::pytorch_built() ? smb::peers::pytorch_capability() : std::string("not built")},
        {"aten_cpu_capability_env", std::getenv("ATEN_CPU_CAPABILITY") != nullptr
                                        ? std::string(std::getenv("ATEN_CPU_CAPABILITY"))
                                        : std::string("(unset)")},
        // An emulated target (scripts/bench.sh --target-isa): "native", or the ISA our dispatch is
        // capped at below this CPU's best, with the caps every implementation ran under.
        {"target_isa", smb::tuning::emulated_target().empty() ? std::string("native") : smb::tuning::emulated_target()},
        {"target_isa_env", [] {
             std::string s;
             for (const char* v : {"SOFTMAXBENCH_FORCE_ISA", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY"}) {
                 const char* e = std::getenv(v);
                 s += std::string(s.empty() ? "" : "; ") + v + "=" + (e != nullptr ? e : "(unset)");
             }
             return s;
         }()},
        {"peers", peer_list()},
        {"threads", thread_list},
        {"bytes_per_element_convention",
         "8: one 4-byte read of the input + one 4-byte write of the output per element (the "
         "minimum traffic; extra passes not counted)"},
        {"hostname", host},
        {"llc_bytes", std::to_string(llc_bytes())},
        {"cold_output_rule",
         "input+output > llc_bytes: rotate 1+ceil(2*llc/(in+out)) output buffers; else warm"},
        {"input", input_description()},
        {"input_distribution", opt.input},
        // The registry (`softmaxbench list --json`): every variant's fields, bounds and facts,
        // which the scripts read instead of copying tables.
        {"variants", smb::detail::list_json()},
        {"correctness_check",
         "once per (impl, cols, threads) on row 0: ours by smb::ref::check_output against the "
         "MPFR reference for cols <= 65536 (the tests' contract: documented max_ulp or "
         "max_ulp_log, log_softmax's absolute bound, special entries, subnormal policy), max ULP "
         "<= documented + " + fmt_g(smb::bench::kDoubleRefUlpMargin) + " against a double "
         "reference above; peers max rel err <= " + fmt_g(smb::bench::kPeerRelBound) +
         " (softmax), max abs err <= " + fmt_g(smb::bench::kPeerAbsBound) + " (log_softmax); "
         "counter check_error = that metric, counter max_ulp = the normal-band max ULP error of "
         "row 0 for every implementation"},
        {"timing",
         "1 thread: CPU time of the calling thread (Google Benchmark default); >1 thread: wall "
         "clock (UseRealTime, names end in /real_time); real_time and cpu_time are both recorded"},
        {"smb_shapes", opt.shapes_flag},
        {"smb_filter_isa", opt.best_isa_only ? "best" : "all"},
        {"smb_on_check_failure", opt.time_failed ? "time" : "skip"},
        {"smb_dtype", opt.dtype},
    };
}

void add_context(const Options& opt, const std::set<int>& threads) {
    for (const auto& [k, v] : context_entries(opt, threads)) benchmark::AddCustomContext(k, v);
}

// --smb_write_inputs=DIR: the input of every registered shape as DIR/x-<rows>x<cols>.npy and the
// run's context as DIR/context.json, for scripts/bench_numpy.py (the same arrays, no second
// generator). Returns the exit status.
int write_inputs(const Options& opt, const std::set<int>& threads) {
    namespace fs = std::filesystem;
    const fs::path dir(opt.write_inputs);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "softmax_bench: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    try {
        std::set<std::pair<std::size_t, std::size_t>> done;
        for (const Shape& s : selected_shapes(opt)) {
            if (!done.insert({s.rows, s.cols}).second) continue;
            const std::size_t shape[2] = {s.rows, s.cols};
            const fs::path file = dir / ("x-" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + ".npy");
            smb::npy::write(file, shape, std::span<const float>(input_for(s.rows, s.cols), s.rows * s.cols));
        }
        std::string json = "{";
        for (const auto& [k, v] : context_entries(opt, threads))
            json += (json.size() > 1 ? ",\n  " : "\n  ") + smb::json::quote(k) + ": " + smb::json::quote(v);
        json += "\n}\n";
        std::ofstream f(dir / "context.json", std::ios::binary | std::ios::trunc);
        f << json;
        if (!f.flush()) throw std::runtime_error((dir / "context.json").string() + ": cannot write");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "softmax_bench: --smb_write_inputs: %s\n", e.what());
        return 1;
    }
    std::printf("wrote the inputs of the shapes '%s' (input %s) to %s\n", opt.shapes_flag.c_str(),
                opt.input.c_str(), dir.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    g_opt = parse_options(argc, argv);
    const Options& opt = g_opt;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    std::set<int> threads = register_all(opt);
    if (opt.custom.empty())  // the cross-entropy entries: bench_cross_entropy.cpp
        threads.merge(smb::bench::register_cross_entropy(opt.headline_only, opt.best_isa_only, opt.input,
                                                         opt.dtype != "bf16", opt.dtype != "f32"));
    if (!opt.write_inputs.empty()) return write_inputs(opt, threads);
    add_context(opt, threads);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
