// softmaxbench: the command-line tool. Subcommands:
//   list [--json]     the variant registry, with availability on this CPU
//   run ...           softmax / log_softmax of a float32 .npy file into another .npy file
//                     (--op: or their backward, src/cli/backward.cpp)
//   jacobian ...      the explicit softmax Jacobian of one row (src/cli/backward.cpp)
//   info [--json]     CPU features, ISA dispatch and build details
//   accuracy ...      every variant against the MPFR reference (src/cli/accuracy.cpp)
//   tune ...          measure the variants, write the tuning table (src/cli/tune.cpp)
// Errors: one line on stderr, "softmaxbench: error: <what>"; exit 2 for usage errors, 1 for
// runtime errors (see kFooter).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "detail/atomic_file.hpp"
#include "npy/npy.hpp"
#include "softmaxbench/build_info.hpp"
#include "cli/cross_entropy.hpp"
#include "detail/list_json.hpp"
#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kMaxThreads = 1024;

constexpr const char* kFooter =
    "Environment:\n"
    "  SOFTMAXBENCH_FORCE_ISA=scalar|sse2|avx2|avx512bf16|avx512\n"
    "                                                  cap the dispatch ISA (variants needing\n"
    "                                                  more are unavailable); an unknown ISA or\n"
    "                                                  one this CPU lacks is an error\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  runtime error: unreadable or invalid input file, variant not available on this CPU,\n"
    "     bad SOFTMAXBENCH_FORCE_ISA, output cannot be written\n"
    "  2  usage error: bad or missing options/arguments, unknown variant, --threads out of range\n"
    "Errors are reported as one line on stderr starting with 'softmaxbench: error: '.\n";

constexpr const char* kListDetails =
    "Lists every variant of every op (forward, backward, cross_entropy) and dtype (f32, bf16,\n"
    "bf16_f32): forward f32 first, then forward bf16 and bf16_f32, backward, cross_entropy f32,\n"
    "bf16, bf16_f32 (--op and --dtype select).\n"
    "Columns: NAME (<algorithm>.<isa>[.<exp>][.<tier>][.<dtype>]), ALGORITHM, ISA it needs,\n"
    "TIER (accurate: <= 1 ULP, fast, unsafe), EXP kernel, AVAILABLE (on this CPU, within\n"
    "SOFTMAXBENCH_FORCE_ISA), MAX_ULP and MAX_ULP_LOG (the documented bounds: forward, the ULP\n"
    "error of softmax / log_softmax outputs >= FLT_MIN, in bf16 ULP for .bf16 outputs; backward,\n"
    "k of |dx - exact| <= k u sigma + eta; cross_entropy, the loss's ULP and the gradient's k;\n"
    "inf: no bound), SUBNORMAL (gradual or flush for outputs below FLT_MIN), PARALLEL (rows, or\n"
    "rows+split: one long row is cut across threads), OP, DTYPE, SUMMARY.\n"
    "--json: the same fields, plus split_form (none, max_first, one_pass, max_first_or_one_pass: how\n"
    "one row is cut) and bounds, what max_ulp / max_ulp_log bound with a unit each: forward\n"
    "{softmax, log_softmax}, backward {softmax_backward, log_softmax_backward}, cross_entropy\n"
    "{loss, gradient}, each {max, unit}; unit ulp (float32 ULP), ulp_bf16 (bf16 ULP), k (the\n"
    "k of the bound above, README) or k_bf16 (k plus half a bf16 ULP: a bf16 gradient).\n\n";

constexpr const char* kRunDetails =
    "Reads INPUT, applies the variant along the last axis (a 1-D array is one row, a 2-D\n"
    "array is rows x columns) with smb::softmax_batch, and writes OUTPUT with the same\n"
    "shape. OUTPUT is written to a temporary file in its directory (created before INPUT is\n"
    "read) and renamed over the target only on success: after an error, or when the run is\n"
    "stopped by SIGINT, SIGTERM or SIGHUP, there is no new file and an existing OUTPUT is\n"
    "unchanged. A symbolic link as OUTPUT is written through (the link stays, its target is\n"
    "replaced); an existing OUTPUT keeps its permission bits; one that is not a regular file\n"
    "(a directory, device, FIFO or socket) is refused. INPUT and OUTPUT may be the same\n"
    "file. Nothing is printed on success.\n"
    "--dtype bf16: INPUT holds bf16 bit patterns as '<u2' (uint16) or '|V2' (any other dtype is\n"
    "an error), the variant is a .bf16 one (bf16 OUTPUT, '<u2') or a .bf16_f32 one (float32\n"
    "OUTPUT, '<f4'); see 'softmaxbench list --dtype bf16' and README.md (making such a file).\n\n";

constexpr const char* kInfoDetails =
    "Prints the CPU vendor and model, the CPUID feature flags, whether the OS saves AVX and\n"
    "AVX-512 state (XCR0), the best ISA of this CPU and the dispatch ISA (after\n"
    "SOFTMAXBENCH_FORCE_ISA; an invalid value is shown as the dispatch error), and the\n"
    "version, git commit, compiler, build type, flags, xsimd and MPFR versions.\n\n";

// A mistake in how the tool was called (exit status 2) rather than in the data or the machine.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

void print_error(const std::string& what) {
    std::cerr << "softmaxbench: error: " << one_line(what) << std::endl;
}

std::string version_line() {
    return std::string("softmaxbench ") + smb::build::version + " (git " + smb::build::git_commit + ")";
}

// ---- formatting helpers -----------------------------------------------------------------------

using smb::cli::util::json_number;
using smb::cli::util::json_string;
using smb::cli::util::number_text;

std::string json_bool(bool b) { return b ? "true" : "false"; }

using smb::cli::util::print_table;

std::string str(std::string_view s) { return std::string(s); }

// ---- list -------------------------------------------------------------------------------------

struct ListOptions {
    bool json = false;
    std::string op = "all";     // which op's variants (smb::Op), or all
    std::string dtype = "all";  // f32, bf16 (the .bf16 and .bf16_f32 variants), or all
};

// --dtype: f32 (the default) or bf16.
bool bf16_dtype(const std::string& d) {
    if (d == "bf16") return true;
    if (d == "f32") return false;
    throw UsageError("--dtype must be f32 or bf16 (got '" + d + "')");
}

// What MAX_ULP and MAX_ULP_LOG hold for the variants of an op (the table's footer).
const char* bound_meaning(smb::Op op) {
    switch (op) {
        case smb::Op::forward:
            return "forward: MAX_ULP / MAX_ULP_LOG bound the ULP error of softmax / log_softmax outputs >= FLT_MIN "
                   "(.bf16: in bf16 ULP)";
        case smb::Op::backward:
            return "backward: MAX_ULP / MAX_ULP_LOG are k of |dx - exact| <= k u sigma + eta, softmax / log_softmax "
                   "backward (README)";
        case smb::Op::cross_entropy:
            return "cross_entropy: MAX_ULP bounds the loss (ULP), MAX_ULP_LOG is k of the gradient's bound (README; "
                   "a .bf16 gradient adds half a bf16 ULP)";
    }
    return "";
}

int cmd_list(const ListOptions& opt) {
    // Evaluate the dispatch ISA once: an invalid SOFTMAXBENCH_FORCE_ISA is reported here.
    const smb::Isa dispatch = smb::dispatch_isa();
    std::vector<smb::Op> ops;
    for (smb::Op o : {smb::Op::forward, smb::Op::backward, smb::Op::cross_entropy})
        if (opt.op == "all" || opt.op == smb::to_string(o)) ops.push_back(o);  // CLI11 has checked the name
    std::vector<smb::Dtype> dtypes;
    if (opt.dtype == "all" || opt.dtype == "f32") dtypes.push_back(smb::Dtype::f32);
    if (opt.dtype == "all" || opt.dtype == "bf16") {
        dtypes.push_back(smb::Dtype::bf16);
        dtypes.push_back(smb::Dtype::bf16_f32);
    }
    std::vector<smb::Variant> variants;
    for (smb::Op op : ops)
        for (smb::Dtype d : dtypes)
            for (const smb::Variant& v : smb::all_variants(op, d)) variants.push_back(v);
    if (variants.empty())
        throw UsageError("no variant has --op " + opt.op + " and --dtype " + opt.dtype +
                         " (there are no bf16 backward variants)");

    if (opt.json) {
        std::cout << smb::detail::list_json(ops, dtypes);
        return 0;
    }

    const auto is_available = [](const smb::Variant& v) { return smb::available(v); };
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"NAME", "ALGORITHM", "ISA", "TIER", "EXP", "AVAILABLE", "MAX_ULP", "MAX_ULP_LOG",
                    "SUBNORMAL", "PARALLEL", "OP", "DTYPE", "SUMMARY"});
    for (const smb::Variant& v : variants)
        rows.push_back({str(v.name), str(smb::to_string(v.algorithm)), str(smb::to_string(v.isa)),
                        str(smb::to_string(v.tier)), str(smb::to_string(v.exp_kernel)), is_available(v) ? "yes" : "no",
                        number_text(v.max_ulp), number_text(v.max_ulp_log),
                        str(smb::to_string(v.subnormal)), str(smb::parallelism(v)),
                        str(smb::to_string(v.op)), str(smb::to_string(v.dtype)), str(v.summary)});
    print_table(std::cout, rows);
    std::cout << '\n' << variants.size() << " variants; dispatch ISA " << smb::to_string(dispatch) << '\n';
    for (smb::Op op : ops) std::cout << bound_meaning(op) << '\n';
    std::cout << "PARALLEL: with --threads, `rows` splits the rows among threads; `rows+split` also splits one "
                 "long row (>= 32768 elements) when rows < threads\n";
    std::cout << "Older names that still resolve:";
    for (const smb::VariantAlias& a : smb::variant_aliases()) std::cout << ' ' << a.alias << " -> " << a.name << ';';
    std::cout << '\n';
    return 0;
}

// ---- run --------------------------------------------------------------------------------------

// --op: what `run` computes. The one switch over ops: each op is a row of kRunOps, and a case
// in cmd_run (its options checked there, then its command function called).
enum class RunOp { softmax, log_softmax, softmax_backward, log_softmax_backward, cross_entropy };
constexpr std::pair<const char*, RunOp> kRunOps[] = {
    {"softmax", RunOp::softmax},
    {"log_softmax", RunOp::log_softmax},
    {"softmax_backward", RunOp::softmax_backward},
    {"log_softmax_backward", RunOp::log_softmax_backward},
    {"cross_entropy", RunOp::cross_entropy},
};

struct RunOptions {
    std::string op = "softmax";
    std::string dy;  // --dy, the backward ops' gradient input
    std::string variant;
    bool log = false;
    bool masked_safe = false;
    int threads = 1;
    std::optional<double> max_ulp;  // with --variant auto: the bound the pick must meet
    bool explain = false;
    std::string dtype = "f32";  // f32, or bf16 (INPUT holds bf16 bits)
    std::string input;
    std::string output;
    // --op cross_entropy (src/cli/cross_entropy.cpp)
    std::string targets;
    std::optional<std::string> reduction;
    std::optional<float> label_smoothing;
    std::optional<std::int64_t> ignore_index;
    std::string grad;  // the third file
};

int run_cross_entropy(const RunOptions& opt) {
    if (opt.log || opt.masked_safe || opt.max_ulp || opt.explain)
        throw UsageError("--log, --masked-safe, --max-ulp and --explain are for softmax, not --op cross_entropy");
    if (!opt.dy.empty()) throw UsageError("--dy is an input of --op softmax_backward and log_softmax_backward only");
    if (opt.targets.empty()) throw UsageError("--op cross_entropy needs --targets T.npy");
    smb::cli::CrossEntropyRunOptions o;
    o.variant = opt.variant;
    o.targets = opt.targets;
    if (opt.reduction) o.reduction = *opt.reduction;
    if (opt.label_smoothing) o.label_smoothing = *opt.label_smoothing;
    if (opt.ignore_index) o.ignore_index = *opt.ignore_index;
    o.threads = opt.threads;
    o.input = opt.input;
    o.loss = opt.output;
    o.grad = opt.grad;
    o.bf16 = bf16_dtype(opt.dtype);
    try {
        return smb::cli::cmd_run_cross_entropy(o);
    } catch (const smb::cli::CrossEntropyUsageError& e) {
        throw UsageError(e.what());
    }
}

// run --dtype bf16: bf16 bits in ('<u2' or '|V2'), bf16 ('<u2') or float32 out, in place for bf16.
int run_bf16(const smb::Variant& v, const RunOptions& opt, smb::detail::AtomicFile& out) {
    if (opt.max_ulp || opt.explain) throw UsageError("--max-ulp and --explain are for --variant auto (f32 only)");
    smb::npy::Bf16Array a = smb::npy::read_bf16(opt.input);
    smb::Bf16BatchArgs args;
    args.x = a.data.data();
    args.rows = a.rows();
    args.cols = a.cols();
    args.output = opt.log || opt.op == "log_softmax" ? smb::Output::log_softmax : smb::Output::softmax;
    args.masked_safe = opt.masked_safe;
    args.threads = opt.threads;
    if (v.dtype == smb::Dtype::bf16) {
        args.y = a.data.data();  // in place
        smb::softmax_batch(v, args);
        smb::npy::write_bf16(out, a.shape, a.data);
    } else {
        std::vector<float> y(a.data.size());
        args.y_f32 = y.data();
        smb::softmax_batch(v, args);
        smb::npy::write(out, a.shape, y);
    }
    return 0;
}

int cmd_run(const RunOptions& opt) {
    if (opt.threads < 1 || opt.threads > kMaxThreads)
        throw UsageError("--threads must be between 1 and " + std::to_string(kMaxThreads) +
                         " (got " + std::to_string(opt.threads) + ")");
    RunOp op = RunOp::softmax;
    for (const auto& [name, o] : kRunOps)
        if (opt.op == name) op = o;  // CLI11 has checked that --op is one of them
    if (bf16_dtype(opt.dtype) && op != RunOp::softmax && op != RunOp::log_softmax && op != RunOp::cross_entropy)
        throw UsageError("--dtype bf16 is for softmax, log_softmax and cross_entropy (no bf16 backward variants); "
                         "drop it with --op " + opt.op);
    if (op == RunOp::cross_entropy) return run_cross_entropy(opt);
    if (!opt.targets.empty() || opt.reduction || opt.label_smoothing || opt.ignore_index || !opt.grad.empty())
        throw UsageError("--targets, --reduction, --label-smoothing, --ignore-index and a third file are for "
                         "--op cross_entropy");
    const smb::Variant* v = smb::find_variant(opt.variant);
    if (v == nullptr)
        throw UsageError("unknown variant '" + opt.variant +
                         "'; run 'softmaxbench list' to see the variant names");
    const smb::Op want = op == RunOp::softmax || op == RunOp::log_softmax ? smb::Op::forward : smb::Op::backward;
    if (v->op != want)
        throw UsageError("variant '" + opt.variant + "' computes " + str(smb::to_string(v->op)) + ", not --op " + opt.op +
                         (want == smb::Op::backward ? " (e.g. backward.scalar.accurate; 'softmaxbench list --op backward')"
                          : v->op == smb::Op::cross_entropy ? ": run it with --op cross_entropy"
                          : v->op == smb::Op::backward      ? ": run it with --op softmax_backward or log_softmax_backward"
                                                            : ""));
    if (opt.log && op != RunOp::softmax && op != RunOp::log_softmax)
        throw UsageError("--log is --op log_softmax; with --op " + opt.op + " leave it out");
    if (want == smb::Op::backward) {
        if (opt.dy.empty()) throw UsageError("--op " + opt.op + " needs --dy DY.npy (the gradient with respect to Y)");
        if (opt.masked_safe || opt.max_ulp || opt.explain)
            throw UsageError("--masked-safe, --max-ulp and --explain apply to softmax and log_softmax, not --op " + opt.op);
        smb::dispatch_isa();  // throws on a bad SOFTMAXBENCH_FORCE_ISA
        return smb::cli::cmd_run_backward({v, op == RunOp::softmax_backward ? smb::Output::softmax : smb::Output::log_softmax,
                                           opt.dy, opt.input, opt.output, opt.threads});
    }
    if (!opt.dy.empty()) throw UsageError("--dy is an input of --op softmax_backward and log_softmax_backward only");
    if (opt.max_ulp && v->algorithm != smb::Algorithm::auto_pick)
        throw UsageError("--max-ulp chooses among variants: use it with --variant auto");
    if (opt.max_ulp && !(*opt.max_ulp > 0))
        throw UsageError("--max-ulp must be a positive number of ULP");
    const bool bf16 = bf16_dtype(opt.dtype);
    if (bf16 != (v->dtype != smb::Dtype::f32))
        throw UsageError(bf16 ? "variant '" + opt.variant + "' takes float32 logits; with --dtype bf16 use a .bf16 or .bf16_f32 variant ('softmaxbench list --dtype bf16')"
                              : "variant '" + opt.variant + "' takes bf16 logits: add --dtype bf16");
    smb::dispatch_isa();  // throws on a bad SOFTMAXBENCH_FORCE_ISA
    if (!smb::available(*v))
        throw std::runtime_error(smb::unavailable_reason(*v) + "; run 'softmaxbench list' to see the available variants");
    // OUTPUT's temporary is created before any work, so an OUTPUT that cannot be written (a
    // missing or unreadable directory, a device, FIFO or socket, a directory) fails at once.
    smb::detail::AtomicFile out(opt.output);
    if (bf16) return run_bf16(*v, opt, out);

    smb::npy::Array a = smb::npy::read(opt.input);

    smb::BatchArgs args;
    args.x = a.data.data();
    args.y = a.data.data();  // in place: same rows, same stride
    args.rows = a.rows();
    args.cols = a.cols();
    args.output = opt.log || op == RunOp::log_softmax ? smb::Output::log_softmax : smb::Output::softmax;
    args.masked_safe = opt.masked_safe;
    args.threads = opt.threads;
    if (v->algorithm == smb::Algorithm::auto_pick && (opt.max_ulp || opt.explain)) {
        // Resolve auto here (as softmax_batch would) to apply --max-ulp and to say what ran.
        v = &smb::select_variant(args.cols, args.threads, args.output,
                                 opt.max_ulp ? *opt.max_ulp : v->max_ulp);
        if (opt.explain)
            std::cerr << "softmaxbench: " << opt.variant << " -> " << v->name << " (" << smb::parallelism(*v)
                      << "; " << smb::auto_source() << ")\n";
    }
    smb::softmax_batch(*v, args);

    smb::npy::write(out, a.shape, a.data);
    return 0;
}

// ---- info -------------------------------------------------------------------------------------

struct InfoOptions {
    bool json = false;
    bool machine_id = false;
};

int cmd_info(const InfoOptions& opt) {
    if (opt.machine_id) {
        std::cout << smb::machine_id() << '\n';
        return 0;
    }
    const smb::CpuInfo& cpu = smb::cpu_info();
    const std::string best = str(smb::to_string(smb::best_isa_of_cpu()));
    std::optional<std::string> dispatch;
    std::string dispatch_error;
    try {
        dispatch = str(smb::to_string(smb::dispatch_isa()));
    } catch (const std::exception& e) {
        dispatch_error = one_line(e.what());
    }
    const char* env = std::getenv("SOFTMAXBENCH_FORCE_ISA");
    const std::optional<std::string> forced =
        env != nullptr ? std::optional<std::string>(env) : std::nullopt;

    const std::vector<std::pair<const char*, bool>> features = {
        {"sse2", cpu.sse2},         {"avx", cpu.avx},           {"avx2", cpu.avx2},
        {"fma", cpu.fma},           {"avx512f", cpu.avx512f},   {"avx512dq", cpu.avx512dq},
        {"avx512bw", cpu.avx512bw}, {"avx512vl", cpu.avx512vl}, {"avx512bf16", cpu.avx512bf16}};
    struct BuildItem {
        const char* key;    // JSON key
        const char* label;  // text label
        const char* value;
    };
    const BuildItem build[] = {
        {"version", "softmaxbench version", smb::build::version},
        {"git_commit", "git commit", smb::build::git_commit},
        {"libraries", "libraries found", smb::build::libraries},
        {"compiler", "compiler", smb::build::compiler},
        {"build_type", "build type", smb::build::build_type},
        {"cxx_flags", "compiler flags", smb::build::cxx_flags},
        {"xsimd", "xsimd version", smb::build::xsimd_version},
        {"mpfr", "MPFR version", smb::build::mpfr_version}};

    if (opt.json) {
        std::cout << "{\n  \"cpu\": {\"vendor\": " << json_string(cpu.vendor)
                  << ", \"model\": " << json_string(cpu.model) << ",\n    \"cpuid\": {";
        for (std::size_t i = 0; i < features.size(); ++i)
            std::cout << (i ? ", " : "") << json_string(features[i].first) << ": "
                      << json_bool(features[i].second);
        std::cout << "},\n    \"os_enabled\": {\"avx\": " << json_bool(cpu.os_avx)
                  << ", \"avx512\": " << json_bool(cpu.os_avx512) << "}},\n";
        std::cout << "  \"machine_id\": " << json_string(smb::machine_id()) << ",\n";
        std::cout << "  \"isa\": {\"best\": " << json_string(best)
                  << ", \"dispatch\": " << (dispatch ? json_string(*dispatch) : "null")
                  << ", \"dispatch_error\": "
                  << (dispatch ? "null" : json_string(dispatch_error))
                  << ", \"force_isa\": " << (forced ? json_string(*forced) : "null")
                  << ", \"auto_source\": " << json_string(smb::auto_source()) << "},\n";
        std::cout << "  \"build\": {";
        bool first = true;
        for (const BuildItem& b : build) {
            std::cout << (first ? "" : ", ") << json_string(b.key) << ": " << json_string(b.value);
            first = false;
        }
        std::cout << "}\n}\n";
        return 0;
    }

    std::string present, absent;
    for (const auto& [name, on] : features) (on ? present : absent) += std::string(" ") + name;
    std::vector<std::vector<std::string>> rows = {
        {"cpu vendor", cpu.vendor},
        {"cpu model", cpu.model.empty() ? "(unknown)" : cpu.model},
        {"machine id", smb::machine_id()},
        {"cpuid flags", present.empty() ? "(none)" : present.substr(1)},
        {"cpuid missing", absent.empty() ? "(none)" : absent.substr(1)},
        {"os state (XCR0)", std::string("avx (ymm) ") + (cpu.os_avx ? "enabled" : "disabled") +
                                ", avx512 (zmm, opmask) " + (cpu.os_avx512 ? "enabled" : "disabled")},
        {"best isa", best + " (what the CPU and OS support)"},
        {"dispatch isa", dispatch ? *dispatch : "error: " + dispatch_error},
    };
    if (forced) rows.push_back({"SOFTMAXBENCH_FORCE_ISA", *forced});
    rows.push_back({"auto picks from", smb::auto_source()});
    for (const BuildItem& b : build) rows.push_back({b.label, b.value});
    print_table(std::cout, rows);
    return 0;
}

// ---- command line -------------------------------------------------------------------------------

int parse_error(const CLI::App& app, const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help
    std::string hint = "softmaxbench --help";
    const auto subs = app.get_subcommands();
    if (!subs.empty()) hint = "softmaxbench " + subs.front()->get_name() + " --help";
    print_error(std::string(e.what()) + " (see '" + hint + "')");
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"softmaxbench: softmax / log_softmax, their backward and cross-entropy variants for CPUs "
                 "(float32 and bf16; scalar, SSE2, AVX2, AVX-512).\nList the variants, run one on a .npy file, sweep their accuracy against "
                 "an MPFR reference, tune the auto variants for this CPU, or show what this CPU "
                 "supports.",
                 "softmaxbench"};
    app.footer(kFooter);
    app.set_version_flag("--version", version_line(), "Print the version and git commit, then exit");
    app.require_subcommand(1);

    ListOptions list_opt;
    CLI::App* list = app.add_subcommand(
        "list", "List every compiled variant (every op and dtype) and whether this CPU can run it");
    list->add_flag("--json", list_opt.json,
                   "Print a JSON array of objects (keys: name, aliases, op, algorithm, isa, exp_kernel, tier, "
                   "dtype, available, max_ulp, max_ulp_log, bounds, accurate_max_ulp, subnormal, parallel, "
                   "split_form, passes, max_abs_logit, max_shift_softmax, max_shift_log, bench_log, "
                   "summary) instead of a table, in the table's order; "
                   "an unbounded (infinite) max_ulp or max_ulp_log is null");
    list->add_option("--op", list_opt.op,
                     "Only one op's variants: forward (softmax and log_softmax), backward (their backward), "
                     "cross_entropy; all (the default) lists every op")
        ->type_name("OP")
        ->check(CLI::IsMember({"forward", "backward", "cross_entropy", "all"}));
    list->add_option("--dtype", list_opt.dtype,
                     "Only one dtype's variants: f32, bf16 (the .bf16 and .bf16_f32 variants, bf16 logits); "
                     "all (the default) lists every dtype")
        ->type_name("DTYPE")
        ->check(CLI::IsMember({"f32", "bf16", "all"}));
    list->footer(std::string(kListDetails) + kFooter);

    RunOptions run_opt;
    CLI::App* run = app.add_subcommand(
        "run", "Compute softmax, log_softmax, their backward or cross-entropy of each row of a float32 .npy file into a new .npy");
    {
        std::vector<std::string> ops;
        for (const auto& o : kRunOps) ops.push_back(o.first);
        run->add_option("--op", run_opt.op,
                        "What to compute: softmax (the default), log_softmax (as --log), softmax_backward or "
                        "log_softmax_backward (INPUT is the forward output Y, --dy the gradient with respect to "
                        "it, OUTPUT the gradient with respect to the logits), or cross_entropy (INPUT the "
                        "logits, OUTPUT the loss, an optional third file the gradient; see --targets)")
            ->type_name("OP")
            ->check(CLI::IsMember(ops));
    }
    run->add_option("--dy", run_opt.dy, "With --op *_backward: the gradient with respect to Y, the shape of INPUT")
        ->type_name("DY.npy");
    run->add_option("--variant,-v", run_opt.variant, "Variant name, as printed by 'softmaxbench list'")
        ->required()
        ->type_name("NAME");
    run->add_flag("--log", run_opt.log, "Compute log_softmax instead of softmax");
    run->add_flag("--masked-safe", run_opt.masked_safe,
                  "A row of all -inf gives 0 (log_softmax: -inf) instead of NaN");
    run->add_option("--threads,-t", run_opt.threads,
                    "Split the rows among N OpenMP threads, 1 <= N <= " + std::to_string(kMaxThreads))
        ->type_name("N")
        ->default_val(1);
    run->add_option("--max-ulp", run_opt.max_ulp,
                    "With --variant auto: run the fastest variant documented within X ULP for this "
                    "output (e.g. 1 for the accurate tier, 0.51 for the double-internal scalar ones); "
                    "an unreachable bound is an error")
        ->type_name("X");
    run->add_flag("--explain", run_opt.explain,
                  "With --variant auto: say on stderr which variant ran and where the choice came from");
    run->add_option("--dtype", run_opt.dtype,
                    "f32 (default) or bf16: INPUT holds bf16 bit patterns ('<u2' or '|V2') and the "
                    "variant is a .bf16 (bf16 OUTPUT) or .bf16_f32 (float32 OUTPUT) one")
        ->type_name("DTYPE");
    run->add_option("input", run_opt.input, "Input .npy: float32 ('<f4'), C order, 1-D or 2-D")
        ->required()
        ->type_name("INPUT.npy");
    run->add_option("output", run_opt.output, "Output .npy: float32, same shape as INPUT")
        ->required()
        ->type_name("OUTPUT.npy");
    run->add_option("--targets", run_opt.targets, "--op cross_entropy: int64 or int32 .npy, one class per row")
        ->type_name("T.npy");
    run->add_option("--reduction", run_opt.reduction, "--op cross_entropy: none, mean (default) or sum")
        ->type_name("R");
    run->add_option("--label-smoothing", run_opt.label_smoothing, "--op cross_entropy: eps in [0, 1] (default 0)")
        ->type_name("E");
    run->add_option("--ignore-index", run_opt.ignore_index, "--op cross_entropy: rows with this target count for nothing (default -100)")
        ->type_name("I");
    run->add_option("grad", run_opt.grad, "--op cross_entropy: GRAD.npy, the gradient w.r.t. the logits (optional)")
        ->type_name("GRAD.npy");
    run->footer(std::string(kRunDetails) + smb::cli::kCrossEntropyRunDetails + kFooter);

    InfoOptions info_opt;
    CLI::App* info = app.add_subcommand(
        "info", "Show the CPU features, the ISA dispatch will use, and how this binary was built");
    info->add_flag("--json", info_opt.json, "Print one JSON object instead of text");
    info->add_flag("--machine-id", info_opt.machine_id,
                   "Print only this machine's results folder name (CPU model + host tag), as the "
                   "scripts use for results/<machine-id>/");
    info->footer(std::string(kInfoDetails) + kFooter);

    smb::cli::JacobianOptions jac_opt;
    CLI::App* jacobian = app.add_subcommand(
        "jacobian", "Write the explicit softmax Jacobian J = diag(y) - y y^T of one row Y into an n x n .npy");
    jacobian->add_option("input", jac_opt.y, "Y.npy: float32, one row (1-D, or 2-D with one row), a softmax output")
        ->required()
        ->type_name("Y.npy");
    jacobian->add_option("output", jac_opt.j, "J.npy: float32, n x n")->required()->type_name("J.npy");
    jacobian->footer(std::string(smb::cli::kJacobianDetails) + kFooter);

    smb::cli::AccuracyOptions acc_opt;
    CLI::App* accuracy = app.add_subcommand(
        "accuracy", "Score every variant against the correctly rounded MPFR reference; write CSV + JSON");
    auto* acc_quick = accuracy->add_flag("--quick", acc_opt.quick,
                                         "Sizes 1 2 3 7 8 15 16 17 31 33 64 65 1000 4096 65537 (the default)");
    accuracy->add_flag("--full", acc_opt.full, "Every test size plus 1048577 and 16777217 (minutes)")
        ->excludes(acc_quick);
    accuracy->add_option("--variants", acc_opt.variants,
                         "Comma-separated variant names (default: every variant available here)")
        ->type_name("LIST")
        ->check(CLI::Validator(smb::cli::check_variant_list, "", "variant list"));
    accuracy->add_option("--distributions", acc_opt.distributions,
                         "Comma-separated distributions (default: all): normal_0.1, normal_1, normal_5, "
                         "normal_20, uniform, offset_1e4, dominant, ties, near_uniform")
        ->type_name("LIST")
        ->check(CLI::Validator(smb::cli::check_distribution_list, "", "distribution list"));
    accuracy->add_option("--out,-o", acc_opt.out,
                         "CSV file to write; the JSON and the special-value CSV go beside it "
                         "(default: results/<machine_id>/accuracy.csv)")
        ->type_name("FILE")
        ->check(CLI::Validator(smb::cli::check_accuracy_out, "", "output file"));
    accuracy->add_option("--threads,-t", acc_opt.threads,
                         "Threads for the reference and the scoring, 1 <= N <= " + std::to_string(kMaxThreads) +
                             " (default: every core)")
        ->type_name("N")
        ->check(CLI::Validator(smb::cli::check_threads, "", "threads"));
    accuracy->footer(std::string(smb::cli::kAccuracyDetails) + kFooter);

    smb::cli::TuneOptions tune_opt;
    CLI::App* tune = app.add_subcommand(
        "tune", "Measure the variants per row-length class and write the tuning table auto reads");
    tune->add_option("--out,-o", tune_opt.out, "Table to write (default: results/<folder>/tuning.json, see below)")
        ->type_name("FILE");
    tune->add_option("--budget", tune_opt.budget, "Total measuring time in seconds, 1 <= S <= 86400")
        ->type_name("SECONDS")
        ->default_val(120)
        ->check(CLI::Validator(smb::cli::check_budget, "", "budget"));
    tune->add_flag("--no-install", tune_opt.no_install,
                   "Only write FILE; do not copy the table to where the auto variants read it");
    tune->footer(std::string(smb::cli::kTuneDetails) + kFooter);

    // CLI11 reports a misspelt command as "A subcommand is required"; say what was wrong.
    if (argc >= 2 && argv[1][0] != '-' && !list->check_name(argv[1]) && !run->check_name(argv[1]) && !jacobian->check_name(argv[1]) &&
        !info->check_name(argv[1]) && !accuracy->check_name(argv[1]) && !tune->check_name(argv[1])) {
        print_error(std::string("unknown command '") + argv[1] +
                    "' (commands: list, run, jacobian, info, accuracy, tune; see 'softmaxbench --help')");
        return kExitUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return parse_error(app, e);
    }

    try {
        int rc = 0;
        if (*list) rc = cmd_list(list_opt);
        else if (*run) rc = cmd_run(run_opt);
        else if (*jacobian) rc = smb::cli::cmd_jacobian(jac_opt);
        else if (*info) rc = cmd_info(info_opt);
        else if (*accuracy) rc = smb::cli::cmd_accuracy(acc_opt);
        else if (*tune) rc = smb::cli::cmd_tune(tune_opt);
        std::cout.flush();
        if (!std::cout) throw std::runtime_error("cannot write to standard output");
        return rc;
    } catch (const UsageError& e) {
        print_error(e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        print_error(e.what());
        return kExitRuntime;
    } catch (...) {
        print_error("unexpected non-standard exception");
        return kExitRuntime;
    }
}
