// peer_accuracy: every peer scored like our variants, on every distribution and size of the
// accuracy sweep, against the same MPFR references with the same scoring code
// (src/reference/): softmax and log_softmax in ULP (plus what each peer does with special
// values), the backward's k, cross-entropy's loss ULP and gradient, and bf16 in bf16 ULP.
//
// The peers are the benchmark's (bench/peers/, the same calls softmax_bench times) and the
// NumPy/SciPy functions of scripts/bench_numpy.py (the same functions bench_numpy.py times),
// which run in one Python process driven through `bench_numpy.py --serve`. See kHelp.
#include <fcntl.h>
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "detail/json_text.hpp"
#include "detail/machine_id.hpp"
#include "npy/npy.hpp"
#include "peers/backward.hpp"
#include "peers/cross_entropy_peer.hpp"
#include "peers/peer.hpp"
#include "peers/peer_bf16.hpp"
#include "reference/cross_entropy.hpp"
#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/bf16.hpp"
#include "softmaxbench/build_info.hpp"
#include "softmaxbench/reference.hpp"
#include "softmaxbench/softmax.hpp"

namespace fs = std::filesystem;
using smb::Output;

namespace {

constexpr const char* kHelp = R"(usage: peer_accuracy [--quick|--full] [--ops LIST] [--peers LIST] [--distributions LIST]
                     [--sizes LIST] [--out FILE] [--python PY] [--no-python]
                     [--no-second-capability] [--threads N] [--append]

Scores every peer like `softmaxbench accuracy` scores our variants, op by op (--ops, default
all: forward,backward,cross_entropy,bf16), each to its own file.

forward: rows make_row(distribution, n, seed 42) (the sweep's rows), softmax and log_softmax
(where the peer has it), against the MPFR reference, by smb::ref::score_output with no
documented bound (a peer promises none): normal-band ULP (|exact| >= FLT_MIN), the subnormal
band apart, special entries, and for log_softmax the absolute contract |y - exact| <= 2^-20
(1 + |exact|). The first deviation from the project's contract is the `note` column.

backward: oneDNN softmax_v2_backward and PyTorch _softmax_backward_data /
_log_softmax_backward_data (bench/peers/, the calls softmax_bench times), on the rows of
`softmaxbench accuracy`'s backward sweep (y = the forward of the sweep's row, five kinds of dy,
sizes up to 65537), against the MPFR backward reference, by smb::ref::score_backward: k is the
smallest k of |dx - exact| <= k u sigma + eta (u = 2^-24) the peer meets on that row (ours are
documented within 6.1 / 10 for the fast tier, 1.04 for the accurate one), with the ULP error
where the cancellation is mild.

cross_entropy: PyTorch torch::nn::functional::cross_entropy + backward through autograd (the
pytorch_autograd benchmark entry; pytorch_aten runs the same ATen ops), one row at a time (the
mean over one row: the row's loss, gradient scale 1), on the cases of `softmaxbench accuracy`
(target at the argmax, at another index, there with label smoothing 0.1, and the
dominant_target rows with p_t = 1 - 2^-40, where PyTorch's loss is exactly 0), by
smb::ref::check_cross_entropy: loss_ulp, the loss's ULP error (no bound: max_ulp empty), and
grad_ratio against the fused form's gradient bound at grad_k = 1, k 2^-24 (p_j + q_j) +
n 2^-125: the k the peer needs; detail: the first entry beyond that bound, or a NaN where the
exact value is finite.

bf16: oneDNN softmax_v2 and PyTorch _softmax / _log_softmax on bf16 tensors (bf16 in, bf16
out), on the sweep's rows rounded to bf16 (sizes up to 65537), against the MPFR reference of
those bf16 values rounded to bf16, by smb::ref::score_bf16: max_ulp in bf16 ULP (0.5 is
correctly rounded), the share of normal-band outputs correctly rounded, specials exact.

Peers: onednn, xnnpack, pytorch (bench/peers/, the benchmark's calls; pytorch_api is the same
kernel and is not scored again) and numpy_guide, numpy_guide_stable, numpy_guide_batch,
numpy_wandb, scipy (scripts/bench_numpy.py --serve, the functions bench_numpy.py times), for
the forward; onednn and pytorch for the backward and bf16, pytorch for cross_entropy (--peers
filters every op by these names).
PyTorch: ATen reads ATEN_CPU_CAPABILITY once per process, so unless it is set (or
--no-second-capability), the tool runs itself again with ATEN_CPU_CAPABILITY=avx512 for the
pytorch peer (every op) and appends those rows (label pytorch.avx512).
The guide's and the W&B article's basic softmax do not shift by the max: like our `naive`,
rows with |x| > 80 are out of their domain (status out_of_domain, still scored).

Sizes: --quick (default) 1 2 3 7 8 15 16 17 31 33 64 65 1000 4096 65537; --full 1..33 64 65
1000 4096 65537 1048577 16777217 (as `softmaxbench accuracy`); or --sizes LIST. The backward,
cross_entropy and bf16 ops take the sizes up to 65537 (as `softmaxbench accuracy`).

Writes FILE (default results/<machine-id>/peer-accuracy.csv) and <stem>-special.csv beside it
(forward), <stem>-backward.csv, <stem>-cross_entropy.csv and <stem>-bf16.csv:
  FILE: variant,isa,tier,exp_kernel,output,distribution,n,bound,max_ulp,mean_ulp,p999_ulp,
        frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,sum_error,
        higham_normwise,worst_index,worst_x,worst_y,worst_exact,status,note
        (accuracy.csv's columns, so a report reads both alike: variant = the peer's label,
        isa = its CPU capability when it states one, tier = peer, exp_kernel = the library and
        version, bound empty, status scored | out_of_domain | error, note = first deviation)
  <stem>-special.csv: variant,case,output,result,matches_policy: what the peer returns for a
        NaN, a +inf, -inf entries, an all -inf row, an empty row and one entry (n = 17 where a
        row is needed), and whether that is the project's policy (README "Special values").
  <stem>-backward.csv: accuracy-backward.csv's columns + note: variant = the peer's label
        (onednn, pytorch, pytorch.avx512), tier = peer, op = softmax_backward |
        log_softmax_backward, bound_k empty, status scored | error, note = the library's error
        or a special-entry mismatch
  <stem>-cross_entropy.csv: accuracy-cross_entropy.csv's columns: variant = pytorch_autograd
        (.avx512 in the second run), algorithm = the library and version, tier = peer,
        max_ulp empty, grad_k 1, status scored | error
  <stem>-bf16.csv: accuracy-bf16.csv's columns: variant = onednn.bf16, pytorch.bf16,
        pytorch.avx512.bf16, tier = peer, dtype bf16, unit bf16_ulp, bound empty,
        status scored | error
Progress on stderr: a line when an op starts and one per peer and op when it is done.
--append adds rows to existing files (the second-capability run uses it).
Python: --python PY, else $PYTHON, python3, /usr/bin/python3 (the first with numpy and scipy);
--no-python skips the NumPy/SciPy peers. Exit status 0 when every file was written.
)";

constexpr std::uint64_t kSeed = 42;  // as softmaxbench accuracy and tests/test_variants.cpp
constexpr std::size_t kQuickSizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 1000, 4096, 65537};
constexpr std::size_t kFullExtra[] = {1048577, 16777217};
constexpr std::size_t kChunkedFrom = 16384;

const char* kCsvHeader =
    "variant,isa,tier,exp_kernel,output,distribution,n,bound,max_ulp,mean_ulp,p999_ulp,"
    "frac_correctly_rounded,normal_count,subnormal_count,subnormal_ok,sum_error,higham_normwise,"
    "worst_index,worst_x,worst_y,worst_exact,status,note";
const char* kSpecialHeader = "variant,case,output,result,matches_policy";

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::vector<std::string> split_list(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream ss(list);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

std::string out_name(Output o) { return std::string(smb::to_string(o)); }

// ---- the Python peers: bench_numpy.py --serve as a co-process ----------------------------------

class PythonServer {
public:
    PythonServer(const std::string& python, const std::string& script, const fs::path& scratch)
        : scratch_(scratch) {
        int to_child[2], from_child[2];
        if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            close(to_child[1]);
            close(from_child[0]);
            execlp(python.c_str(), python.c_str(), script.c_str(), "--serve", static_cast<char*>(nullptr));
            std::fprintf(stderr, "peer_accuracy: cannot run %s: %s\n", python.c_str(), std::strerror(errno));
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        in_ = fdopen(to_child[1], "w");
        out_ = fdopen(from_child[0], "r");
    }
    ~PythonServer() {
        if (in_ != nullptr) {
            std::fputs("quit\n", in_);
            std::fclose(in_);
        }
        if (out_ != nullptr) std::fclose(out_);
        int st = 0;
        if (pid_ > 0) waitpid(pid_, &st, 0);
    }
    PythonServer(const PythonServer&) = delete;
    PythonServer& operator=(const PythonServer&) = delete;

    // y = impl(x) for a rows x cols batch; throws with Python's message on an error.
    void run(const std::string& impl, const float* x, float* y, std::size_t rows, std::size_t cols) {
        const fs::path xi = scratch_ / "x.npy", yo = scratch_ / "y.npy";
        const std::size_t shape[2] = {rows, cols};
        smb::npy::write(xi, shape, std::span<const float>(x, rows * cols));
        std::fprintf(in_, "%s %s %s\n", impl.c_str(), xi.c_str(), yo.c_str());
        std::fflush(in_);
        char line[4096];
        if (std::fgets(line, sizeof line, out_) == nullptr)
            throw std::runtime_error("the Python driver (bench_numpy.py --serve) stopped");
        std::string reply(line);
        while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) reply.pop_back();
        if (reply != "ok") throw std::runtime_error(reply.rfind("error ", 0) == 0 ? reply.substr(6) : reply);
        const smb::npy::Array a = smb::npy::read(yo);
        if (a.data.size() != rows * cols) throw std::runtime_error("the Python driver wrote another shape");
        std::copy(a.data.begin(), a.data.end(), y);
    }

private:
    fs::path scratch_;
    pid_t pid_ = -1;
    FILE* in_ = nullptr;
    FILE* out_ = nullptr;
};

// ---- what is scored --------------------------------------------------------------------------

// One scored entry: a peer and an output, with the pseudo-variant descriptor the scoring takes
// (no documented bound; subnormal policy flush, the lenient one; naive for an unshifted form).
struct Entry {
    std::string label;       // pytorch.avx512, scipy, ...
    std::string capability;  // isa column
    std::string library;     // exp_kernel column
    Output output;
    const smb::peers::Peer* peer = nullptr;  // a C++ peer, or
    std::string py_impl;                     // a bench_numpy.py impl ("scipy:log")
    smb::Variant desc{};
};

constexpr double kInf = std::numeric_limits<double>::infinity();

smb::Variant descriptor(const std::string& name, const std::string&, bool unshifted) {
    smb::Variant v{};
    v.name = name;
    v.algorithm = unshifted ? smb::Algorithm::naive : smb::Algorithm::max_shifted;
    v.isa = smb::Isa::scalar;
    v.exp_kernel = smb::ExpKernel::per_pick;  // the peer's own (the CSV's exp_kernel column is Entry::library)
    v.tier = smb::Tier::fast;                 // not unsafe: the log_softmax absolute contract applies
    v.dtype = smb::Dtype::f32;
    v.split_form = smb::SplitForm::none;
    v.max_ulp = kInf;
    v.max_ulp_log = kInf;
    v.subnormal = smb::Subnormal::flush;
    v.row = nullptr;
    v.summary = "";
    return v;
}

struct Options {
    bool full = false;
    std::vector<std::string> peers, dists;
    std::vector<std::size_t> sizes;
    std::string out, python;
    bool no_python = false, second_capability = true, append = false;
    int threads = 0;
    std::vector<std::string> ops;  // empty: every op of kOps
};

// The ops scored, each to its own file (see kHelp).
const char* const kOps[] = {"forward", "backward", "cross_entropy", "bf16"};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "peer_accuracy: %s (see --help)\n", msg.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            std::fputs(kHelp, stdout);
            std::exit(0);
        } else if (a == "--quick") o.full = false;
        else if (a == "--full") o.full = true;
        else if (a == "--peers") o.peers = split_list(value());
        else if (a == "--distributions") o.dists = split_list(value());
        else if (a == "--sizes") {
            for (const std::string& s : split_list(value())) {
                char* end = nullptr;
                const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
                if (end == s.c_str() || *end != '\0' || n > (1ull << 26)) usage_error("bad size '" + s + "'");
                o.sizes.push_back(std::size_t(n));
            }
        } else if (a == "--out") o.out = value();
        else if (a == "--python") o.python = value();
        else if (a == "--no-python") o.no_python = true;
        else if (a == "--no-second-capability") o.second_capability = false;
        else if (a == "--append") o.append = true;
        else if (a == "--ops") {
            o.ops = split_list(value());
            for (const std::string& op : o.ops)
                if (std::find_if(std::begin(kOps), std::end(kOps), [&](const char* k) { return op == k; }) == std::end(kOps))
                    usage_error("unknown op '" + op + "' (forward, backward, cross_entropy, bf16)");
        }
        else if (a == "--threads") {
            o.threads = std::atoi(value().c_str());
            if (o.threads < 1 || o.threads > 1024) usage_error("--threads must be 1..1024");
        } else usage_error("unknown argument '" + a + "'");
    }
    for (const std::string& d : o.dists)
        if (smb::ref::find_distribution(d) == nullptr) usage_error("unknown distribution '" + d + "'");
    return o;
}

const char* const kPyImpls[] = {"numpy_guide", "numpy_guide_stable", "numpy_guide_batch", "numpy_wandb", "scipy"};
bool py_unshifted(std::string_view impl) { return impl == "numpy_guide" || impl == "numpy_wandb"; }

bool wanted(const Options& o, std::string_view name) {
    return o.peers.empty() || std::find(o.peers.begin(), o.peers.end(), name) != o.peers.end();
}

bool op_wanted(const Options& o, std::string_view op) {
    return o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), op) != o.ops.end();
}

// First interpreter that imports numpy and scipy.special: --python, $PYTHON, python3, /usr/bin/python3.
std::string find_python(const Options& o) {
    std::vector<std::string> cands;
    if (!o.python.empty()) cands.push_back(o.python);
    else {
        if (const char* p = std::getenv("PYTHON"); p != nullptr && *p) cands.push_back(p);
        cands.push_back("python3");
        cands.push_back("/usr/bin/python3");
    }
    for (const std::string& p : cands) {
        const std::string cmd = "'" + p + "' -c 'import numpy, scipy.special' >/dev/null 2>&1";
        if (std::system(cmd.c_str()) == 0) return p;
    }
    return {};
}

fs::path script_dir() {
    // bench_numpy.py lives in the source tree's scripts/; this binary knows the source dir.
    return fs::path(SMB_SOURCE_DIR) / "scripts";
}

// ---- the reference (chunked over threads for long rows) -----------------------------------

smb::ref::RowReference reference(std::span<const float> x, Output out, int threads) {
    if (threads <= 1 || x.size() < kChunkedFrom) return smb::ref::reference_row(x, out);
    smb::ref::ChunkedReference c(x, out, false, std::max<std::size_t>(4096, x.size() / (std::size_t(threads) * 16) + 1));
    const auto k = static_cast<std::ptrdiff_t>(c.chunks());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t i = 0; i < k; ++i) c.sum_chunk(std::size_t(i));
    c.combine();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::ptrdiff_t i = 0; i < k; ++i) c.write_chunk(std::size_t(i));
    return c.take();
}

// ---- special values --------------------------------------------------------------------------

struct SpecialResult {
    std::string label, name, output, result;
    bool matches = false;
};

// What y is, in words.
std::string describe(const std::vector<float>& y, const std::vector<float>& x, Output out) {
    std::size_t nan = 0, pinf = 0, ninf = 0, zero = 0;
    for (float v : y) {
        nan += std::isnan(v);
        pinf += std::isinf(v) && v > 0;
        ninf += std::isinf(v) && v < 0;
        zero += v == 0.0f;
    }
    const std::size_t n = y.size();
    if (n == 0) return "nothing (empty)";
    if (nan == n) return "all NaN";
    if (zero == n) return "all 0";
    if (ninf == n) return "all -inf";
    // -inf entries: exact 0 (log: -inf) there and finite elsewhere?
    const float at_ninf = out == Output::softmax ? 0.0f : -std::numeric_limits<float>::infinity();
    bool masked = true, rest_finite = true, any_ninf_input = false;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isinf(x[i]) && x[i] < 0) {
            any_ninf_input = true;
            masked = masked && y[i] == at_ninf;
        } else if (!std::isfinite(y[i])) {
            rest_finite = false;
        }
    }
    if (any_ninf_input && masked && rest_finite)
        return std::string(out == Output::softmax ? "exact 0" : "-inf") + " at the -inf entries, the rest finite";
    if (nan + pinf + ninf == 0) {
        if (n == 1) {
            char b[64];
            std::snprintf(b, sizeof b, "%.9g", double(y[0]));
            return b;
        }
        return "all finite";
    }
    char b[160];
    std::snprintf(b, sizeof b, "%zu NaN, %zu +inf, %zu -inf, %zu zeros of %zu", nan, pinf, ninf, zero, n);
    return b;
}

template <class Call>
std::vector<SpecialResult> special_table(const std::string& label, bool has_log, Call&& call) {
    constexpr float kFInf = std::numeric_limits<float>::infinity();
    const std::size_t n = 17;
    std::vector<SpecialResult> out;
    for (Output o : {Output::softmax, Output::log_softmax}) {
        if (o == Output::log_softmax && !has_log) continue;
        auto add = [&](const char* name, std::vector<float> x, auto&& policy) {
            std::vector<float> y(x.size(), -777.0f);
            SpecialResult r{label, name, out_name(o), "", false};
            try {
                call(o, x, y);
                r.result = describe(y, x, o);
                r.matches = policy(y, x);
            } catch (const std::exception& e) {
                r.result = std::string("error: ") + e.what();
            }
            out.push_back(std::move(r));
        };
        auto all_nan = [](const std::vector<float>& y, const std::vector<float>&) {
            return std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); });
        };
        std::vector<float> x = smb::ref::make_row("normal_1", n, 5);
        x[n / 2] = std::numeric_limits<float>::quiet_NaN();
        add("nan_anywhere", x, all_nan);
        x[n / 2] = kFInf;
        add("pinf_anywhere", x, all_nan);
        std::vector<float> z = smb::ref::make_row("normal_1", n, 9);
        for (std::size_t i = 0; i < n; i += 3) z[i] = -kFInf;
        add("neg_inf_entries", z, [o](const std::vector<float>& y, const std::vector<float>& xx) {
            for (std::size_t i = 0; i < y.size(); ++i) {
                const bool m = std::isinf(xx[i]);
                if (m && !(o == Output::softmax ? y[i] == 0.0f : (std::isinf(y[i]) && y[i] < 0))) return false;
                if (!m && !std::isfinite(y[i])) return false;
            }
            return true;
        });
        add("all_neg_inf", std::vector<float>(n, -kFInf), all_nan);
        add("empty_row", {}, [](const std::vector<float>&, const std::vector<float>&) { return true; });
        add("single_entry", {1.5f}, [o](const std::vector<float>& y, const std::vector<float>&) {
            return y[0] == (o == Output::softmax ? 1.0f : 0.0f);
        });
    }
    return out;
}

// ---- output ------------------------------------------------------------------------------------

std::string case_row(const Entry& e, std::string_view dist, std::size_t n, const smb::ref::Score* s,
                     bool in_domain, const std::string& error) {
    using smb::json::number_text;
    std::vector<std::string> f = {csv_field(e.label), csv_field(e.capability), "peer", csv_field(e.library),
                                  out_name(e.output), std::string(dist), std::to_string(n), ""};
    if (s == nullptr) {
        for (int i = 0; i < 13; ++i) f.push_back("");
        f.push_back("error");
        f.push_back(csv_field(error));
    } else {
        const smb::ref::Metrics& m = s->check.m;
        f.push_back(number_text(m.max_ulp));
        f.push_back(number_text(m.mean_ulp));
        f.push_back(number_text(s->p999_ulp));
        f.push_back(std::isnan(s->frac_correctly_rounded) ? "" : number_text(s->frac_correctly_rounded));
        f.push_back(std::to_string(m.normal_count));
        f.push_back(std::to_string(m.subnormal_count));
        f.push_back(s->subnormal_ok ? "true" : "false");
        f.push_back(e.output == Output::softmax ? number_text(m.sum_error) : "");
        f.push_back(number_text(s->higham_normwise));
        if (s->has_worst) {
            f.push_back(std::to_string(s->worst_index));
            f.push_back(number_text(s->worst_x));
            f.push_back(number_text(s->worst_y));
            f.push_back(number_text(s->worst_exact));
        } else {
            for (int i = 0; i < 4; ++i) f.push_back("");
        }
        f.push_back(in_domain ? "scored" : "out_of_domain");
        f.push_back(csv_field(s->check.failure));
    }
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
    return line + "\n";
}

// Writes text to path atomically; with append, adds the text's lines after its header to the
// existing file (which must have the same header).
void write_file(const fs::path& path, const std::string& header, const std::string& body, bool append) {
    std::string text = header + "\n" + body;
    if (append && fs::exists(path)) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string old = ss.str();
        if (old.compare(0, header.size() + 1, header + "\n") != 0)
            throw std::runtime_error(path.string() + ": not a peer_accuracy file (header differs); cannot append");
        text = old + body;
    }
    if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
    const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp." + std::to_string(getpid()));
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) throw std::runtime_error(path.string() + ": cannot write");
    }
    fs::rename(tmp, path);
}

// ---- the backward, cross-entropy and bf16 ops ---------------------------------------------------
// Each scored like `softmaxbench accuracy` scores ours (src/cli/accuracy_backward.cpp,
// accuracy_cross_entropy.cpp, accuracy_bf16.cpp): the same rows (ref::backward_input and
// ref::make_dy, ref::cross_entropy_cases, the sweep's rows rounded to bf16), the same MPFR
// references and the same scorers (ref::score_backward, ref::check_cross_entropy,
// ref::score_bf16), written in the same columns (plus `note` for the backward, whose file has no
// detail column). Rows up to 65537 as ours (one MPFR reference per row).

constexpr std::size_t kPerRowMaxSize = 65537;

std::string num(double v, int digits) {
    char b[40];
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    return b;
}

// One line on stderr per finished peer and op (and one when an op starts): the sweep can take minutes.
class Clock {
public:
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

private:
    std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

struct Sweep {
    std::vector<std::string_view> dists;
    std::vector<std::size_t> sizes;  // already capped at kPerRowMaxSize
    int threads = 1;
    const Clock* clock = nullptr;
};

struct OpResult {
    std::string body;
    std::size_t cases = 0, errors = 0, entries = 0;
};

std::string peer_capability(std::string_view name) {
    const smb::peers::Peer* p = smb::peers::find_peer(name);
    return p != nullptr && p->built() ? p->capability() : std::string();
}

std::string peer_library(std::string_view name) {
    const smb::peers::Peer* p = smb::peers::find_peer(name);
    return p != nullptr ? std::string(name) + " " + p->version() : std::string(name);
}

// -- backward: oneDNN softmax_v2_backward, PyTorch _softmax_backward_data / _log_softmax_backward_data

const char* kBackwardHeader =
    "variant,isa,tier,op,distribution,dy,n,bound_k,k,worst_index,max_ulp_conditioned,conditioned,"
    "special_mismatches,status,note";

OpResult backward_op(const Options& o, const Sweep& sw, std::vector<std::string>& skipped) {
    struct BwEntry {
        std::string label, capability;
        const smb::peers::BackwardPeer* peer;
        Output out;
        std::string rows;
        std::size_t cases = 0, errors = 0;
        double worst_k = 0;
        std::string where;
    };
    std::deque<BwEntry> entries;
    for (const smb::peers::BackwardPeer& p : smb::peers::backward_peers()) {
        if (!wanted(o, p.name)) continue;
        if (!p.built()) {
            skipped.push_back(std::string(p.name) + " backward: not built");
            continue;
        }
        for (Output out : {Output::softmax, Output::log_softmax})
            entries.push_back({std::string(p.name) + p.label_suffix(), peer_capability(p.name), &p, out, "", 0, 0, 0, ""});
    }
    const auto kinds = smb::ref::backward_dy_kinds();
    std::fprintf(stderr, "peer_accuracy: backward: %zu peer ops x %zu distributions x %zu sizes x %zu kinds of dy (%.0f s)\n",
                 entries.size(), sw.dists.size(), sw.sizes.size(), kinds.size(), sw.clock->seconds());
    struct Job {
        Output out;
        std::string_view kind;
        std::vector<float> y, dy;
        smb::ref::BackwardReference r;
    };
    for (std::string_view dist : entries.empty() ? std::vector<std::string_view>{} : sw.dists) {
        for (std::size_t n : sw.sizes) {
            const std::vector<float> x = smb::ref::make_row(dist, n, kSeed);
            std::vector<Job> jobs;
            for (Output out : {Output::softmax, Output::log_softmax})
                for (std::string_view kind : kinds) jobs.push_back({out, kind, {}, {}, {}});
            std::string error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(sw.threads)
            for (std::ptrdiff_t j = 0; j < std::ptrdiff_t(jobs.size()); ++j) {
                Job& job = jobs[std::size_t(j)];
                try {
                    job.y = smb::ref::backward_input(x, job.out);
                    job.dy = smb::ref::make_dy(job.kind, job.y, job.out, 1000 + n);
                    job.r = smb::ref::backward_reference(job.y, job.dy, job.out);
                } catch (const std::exception& e) {
#pragma omp critical(peer_accuracy_backward)
                    error = e.what();
                }
            }
            if (!error.empty()) throw std::runtime_error("backward reference: " + error);
            // Buffers at fixed addresses for the whole size (PyTorch's runner keeps a view per buffer).
            std::vector<float> y(n), dy(n), dx(n);
            for (BwEntry& e : entries) {
                std::unique_ptr<smb::peers::BackwardRunner> runner;
                std::string make_error;
                try {
                    runner = e.peer->make(smb::peers::Shape{1, n, 1, e.out});
                } catch (const std::exception& ex) {
                    make_error = ex.what();
                }
                for (const Job& job : jobs) {
                    if (job.out != e.out) continue;
                    const char* op = e.out == Output::softmax ? "softmax_backward" : "log_softmax_backward";
                    std::string row = csv_field(e.label) + "," + csv_field(e.capability) + ",peer," + op + "," +
                                      std::string(dist) + "," + std::string(job.kind) + "," + std::to_string(n) + ",,";
                    ++e.cases;
                    std::string err = make_error;
                    if (err.empty()) {
                        try {
                            std::copy(job.y.begin(), job.y.end(), y.begin());
                            std::copy(job.dy.begin(), job.dy.end(), dy.begin());
                            std::fill(dx.begin(), dx.end(), -12345.0f);
                            runner->run(y.data(), dy.data(), dx.data());
                        } catch (const std::exception& ex) {
                            err = ex.what();
                        }
                    }
                    if (!err.empty()) {
                        ++e.errors;
                        e.rows += row + ",,,,,error," + csv_field(err) + "\n";
                        continue;
                    }
                    const smb::ref::BackwardScore sc = smb::ref::score_backward(dx, job.r);
                    e.rows += row + num(sc.excess_k, 6) + "," + std::to_string(sc.worst_index) + "," +
                              num(sc.max_ulp_conditioned, 6) + "," + std::to_string(sc.conditioned) + "," +
                              std::to_string(sc.special_mismatches) + ",scored," +
                              (sc.special_mismatches ? "special entries differ from IEEE arithmetic's" : "") + "\n";
                    if (!(sc.excess_k <= e.worst_k)) {
                        e.worst_k = sc.excess_k;
                        e.where = std::string(dist) + ", dy " + std::string(job.kind) + ", n=" + std::to_string(n);
                    }
                }
            }
        }
    }
    OpResult res;
    res.entries = entries.size();
    for (const BwEntry& e : entries) {
        res.body += e.rows;
        res.cases += e.cases;
        res.errors += e.errors;
        std::fprintf(stderr, "peer_accuracy: backward %s %s: %zu cases, worst k %.3g (%s), %zu errors (%.0f s)\n",
                     e.label.c_str(), e.out == Output::softmax ? "softmax_backward" : "log_softmax_backward", e.cases,
                     e.worst_k, e.where.c_str(), e.errors, sw.clock->seconds());
    }
    return res;
}

// -- cross-entropy: PyTorch torch::nn::functional::cross_entropy + backward (autograd) ----------------
// ref::check_cross_entropy runs a Variant's row function: the peer's runners stand behind one,
// set per case (check_cross_entropy calls it with the gradient and for the loss alone).

const char* kCrossEntropyHeader =
    "variant,algorithm,isa,tier,distribution,n,target,label_smoothing,loss_ulp,max_ulp,grad_ratio,grad_k,status,"
    "detail";

smb::peers::CeRunner* g_ce_grad = nullptr;  // the case's runners (one thread calls them)
smb::peers::CeRunner* g_ce_loss = nullptr;

double peer_ce_row(const float* x, std::size_t t, float* grad, std::size_t, const smb::CrossEntropyRowParams&) {
    const std::int64_t target = static_cast<std::int64_t>(t);
    return grad == nullptr ? g_ce_loss->run(x, &target, nullptr) : g_ce_grad->run(x, &target, grad);
}

OpResult cross_entropy_op(const Options& o, const Sweep& sw, std::vector<std::string>& skipped) {
    OpResult res;
    if (!wanted(o, "pytorch")) return res;
    if (!smb::peers::pytorch_ce_built()) {
        skipped.push_back("pytorch cross_entropy: not built");
        return res;
    }
    const std::string label = "pytorch_autograd" + smb::peers::pytorch_label_suffix();
    res.entries = 1;
    // The fused form's gradient bound at k = 1 (and no loss bound: a peer promises none), so
    // grad_ratio is the k the peer needs in |g - exact| <= k 2^-24 (p + q) + n 2^-125.
    smb::Variant v = descriptor(label, "", false);
    v.algorithm = smb::Algorithm::ce_fused;
    v.op = smb::Op::cross_entropy;
    v.max_ulp = kInf;
    v.max_ulp_log = 1.0;
    v.cross_entropy = &peer_ce_row;
    const std::vector<smb::ref::CrossEntropyCase> cases = smb::ref::cross_entropy_cases(sw.dists, sw.sizes, kPerRowMaxSize);
    std::fprintf(stderr, "peer_accuracy: cross_entropy: %s, %zu cases (%.0f s)\n", label.c_str(), cases.size(),
                 sw.clock->seconds());
    std::vector<smb::ref::CrossEntropyReference> refs(cases.size());
    std::string error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(sw.threads)
    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(cases.size()); ++i) {
        const smb::ref::CrossEntropyCase& c = cases[std::size_t(i)];
        try {
            refs[std::size_t(i)] = smb::ref::cross_entropy_reference(c.x, c.t, c.eps, 1.0);
        } catch (const std::exception& e) {
#pragma omp critical(peer_accuracy_ce)
            error = e.what();
        }
    }
    if (!error.empty()) throw std::runtime_error("cross-entropy reference: " + error);
    const std::string lib = peer_library("pytorch"), cap = peer_capability("pytorch");
    double worst_loss = 0, worst_dominant = 0, worst_grad = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const smb::ref::CrossEntropyCase& c = cases[i];
        std::string row = csv_field(label) + "," + csv_field(lib) + "," + csv_field(cap) + ",peer," + c.dist + "," +
                          std::to_string(c.n) + "," + c.target + "," + num(c.eps, 4) + ",";
        ++res.cases;
        try {
            // One row: mean over one row is the row's loss, and the gradient's scale is 1 (as the sweep's).
            smb::peers::CeShape shape{.rows = 1, .cols = c.n, .threads = 1, .grad = true, .label_smoothing = c.eps};
            const std::unique_ptr<smb::peers::CeRunner> with_grad = smb::peers::make_pytorch_ce_autograd(shape);
            shape.grad = false;
            const std::unique_ptr<smb::peers::CeRunner> loss_only = smb::peers::make_pytorch_ce_autograd(shape);
            g_ce_grad = with_grad.get();
            g_ce_loss = loss_only.get();
            const smb::ref::CrossEntropyCheck k = smb::ref::check_cross_entropy(v, c.x, c.t, c.eps, 1.0f, refs[i]);
            res.body += row + num(k.loss_ulp, 4) + ",," + num(k.grad_ratio, 4) + ",1,scored," + csv_field(k.failure) + "\n";
            worst_loss = std::max(worst_loss, k.loss_ulp);
            worst_grad = std::max(worst_grad, k.grad_ratio);
            if (c.dist == "dominant_target") worst_dominant = std::max(worst_dominant, k.loss_ulp);
        } catch (const std::exception& e) {
            ++res.errors;
            res.body += row + ",,,1,error," + csv_field(e.what()) + "\n";
        }
    }
    g_ce_grad = g_ce_loss = nullptr;
    std::fprintf(stderr,
                 "peer_accuracy: cross_entropy %s: %zu cases, loss worst %.4g ULP (dominant target %.4g), "
                 "gradient worst k %.4g, %zu errors (%.0f s)\n",
                 label.c_str(), res.cases, worst_loss, worst_dominant, worst_grad, res.errors, sw.clock->seconds());
    return res;
}

// -- bf16: oneDNN softmax_v2 and PyTorch _softmax / _log_softmax on bf16 tensors --------------------

const char* kBf16Header =
    "variant,isa,tier,dtype,op,distribution,n,unit,bound,max_ulp,band,correctly_rounded,frac_correctly_rounded,"
    "status,detail";

OpResult bf16_op(const Options& o, const Sweep& sw, std::vector<std::string>& skipped) {
    struct B16Entry {
        std::string label, capability;
        const smb::peers::Bf16Peer* peer;
        Output out;
        std::string rows;
        std::size_t cases = 0, errors = 0, band = 0, correct = 0;
        double worst = 0;
    };
    std::deque<B16Entry> entries;
    for (const smb::peers::Bf16Peer& p : smb::peers::bf16_peers()) {
        if (p.name == "memcpy" || !wanted(o, p.name)) continue;  // memcpy is not a softmax
        const smb::peers::Peer* f32 = smb::peers::find_peer(p.name);
        if (f32 == nullptr || !f32->built()) {
            skipped.push_back(std::string(p.name) + " bf16: not built");
            continue;
        }
        for (Output out : {Output::softmax, Output::log_softmax})
            if (p.supports(out))
                entries.push_back({std::string(p.name) + p.label_suffix() + ".bf16", peer_capability(p.name), &p, out,
                                   "", 0, 0, 0, 0, 0.0});
    }
    std::fprintf(stderr, "peer_accuracy: bf16: %zu peer ops x %zu distributions x %zu sizes (%.0f s)\n", entries.size(),
                 sw.dists.size(), sw.sizes.size(), sw.clock->seconds());
    static const std::string kName = "peer.bf16";
    smb::Variant v = descriptor(kName, "", false);
    v.dtype = smb::Dtype::bf16;
    for (std::string_view dist : entries.empty() ? std::vector<std::string_view>{} : sw.dists) {
        for (std::size_t n : sw.sizes) {
            const std::vector<float> x0 = smb::ref::make_row(dist, n, kSeed);
            std::vector<std::uint16_t> x(n);
            std::vector<float> xf(n);
            for (std::size_t i = 0; i < n; ++i) {
                x[i] = smb::float_to_bf16(x0[i]);
                xf[i] = smb::bf16_to_float(x[i]);
            }
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const smb::ref::RowReference r = reference(xf, out, sw.threads);
                for (B16Entry& e : entries) {
                    if (e.out != out) continue;
                    std::string row = csv_field(e.label) + "," + csv_field(e.capability) + ",peer,bf16," + out_name(out) +
                                      "," + std::string(dist) + "," + std::to_string(n) + ",bf16_ulp,,";
                    ++e.cases;
                    try {
                        std::vector<std::uint16_t> y(n, 0xABCD);
                        e.peer->make(smb::peers::Shape{1, n, 1, out})->run(x.data(), y.data());
                        const smb::ref::Bf16Score sc = smb::ref::score_bf16(v, y, r, out);
                        e.rows += row + num(sc.max_ulp, 6) + "," + std::to_string(sc.band) + "," +
                                  std::to_string(sc.correct) + "," +
                                  (sc.band ? num(double(sc.correct) / double(sc.band), 6) : std::string("nan")) +
                                  ",scored," + csv_field(sc.failure) + "\n";
                        e.worst = std::max(e.worst, sc.max_ulp);
                        e.band += sc.band;
                        e.correct += sc.correct;
                    } catch (const std::exception& ex) {
                        ++e.errors;
                        e.rows += row + ",,,,error," + csv_field(ex.what()) + "\n";
                    }
                }
            }
        }
    }
    OpResult res;
    res.entries = entries.size();
    for (const B16Entry& e : entries) {
        res.body += e.rows;
        res.cases += e.cases;
        res.errors += e.errors;
        std::fprintf(stderr,
                     "peer_accuracy: bf16 %s %s: %zu cases, worst %.4g bf16 ULP, correctly rounded %.4f %%, %zu "
                     "errors (%.0f s)\n",
                     e.label.c_str(), out_name(e.out).c_str(), e.cases, e.worst,
                     e.band ? 100.0 * double(e.correct) / double(e.band) : 100.0, e.errors, sw.clock->seconds());
    }
    return res;
}

int run_child_with_capability(int argc, char** argv, const std::string& out) {
    std::vector<std::string> args = {"/proc/self/exe"};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--out" || a == "--peers" || a == "--python") {
            ++i;
            continue;
        }
        if (a == "--append" || a == "--no-python") continue;
        args.push_back(a);
    }
    for (const char* a : {"--peers", "pytorch", "--no-python", "--no-second-capability", "--append", "--out"})
        args.emplace_back(a);
    args.push_back(out);
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setenv("ATEN_CPU_CAPABILITY", "avx512", 1);
        std::vector<char*> av;
        for (std::string& s : args) av.push_back(s.data());
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int run(const Options& o, int argc, char** argv) {
    std::vector<std::string_view> dists;
    if (o.dists.empty())
        for (const auto& d : smb::ref::distributions()) dists.push_back(d.name);
    else
        for (const std::string& d : o.dists) dists.push_back(smb::ref::find_distribution(d)->name);
    std::vector<std::size_t> sizes = o.sizes;
    if (sizes.empty()) {
        for (std::size_t n : smb::ref::test_sizes())
            if (o.full || std::find(std::begin(kQuickSizes), std::end(kQuickSizes), n) != std::end(kQuickSizes))
                sizes.push_back(n);
        if (o.full) sizes.insert(sizes.end(), std::begin(kFullExtra), std::end(kFullExtra));
    }
    const Clock clock;
    const bool forward = op_wanted(o, "forward");
    const int threads = o.threads > 0 ? o.threads : std::max(1, omp_get_num_procs());
    const fs::path csv = o.out.empty() ? fs::path("results") / smb::machine_id() / "peer-accuracy.csv" : fs::path(o.out);
    const fs::path special_csv = csv.parent_path() / (csv.stem().string() + "-special.csv");

    // The entries: C++ peers that are built and scored, then the Python ones.
    std::deque<Entry> entries;
    std::vector<std::string> skipped;
    for (const smb::peers::Peer& p : smb::peers::all_peers()) {
        if (!forward || !p.scored || !wanted(o, p.name)) continue;
        if (!p.built()) {
            skipped.push_back(std::string(p.name) + ": not built");
            continue;
        }
        for (Output out : {Output::softmax, Output::log_softmax}) {
            if (!p.supports(out)) continue;
            Entry& e = entries.emplace_back();
            e.label = smb::peers::label(p);
            e.capability = p.capability();
            e.library = std::string(p.name) + " " + p.version();
            e.output = out;
            e.peer = &p;
        }
    }
    std::unique_ptr<PythonServer> py;
    std::optional<fs::path> scratch;
    bool any_py = false;
    for (const char* impl : kPyImpls) any_py |= forward && wanted(o, impl);
    if (any_py && !o.no_python) {
        const std::string python = find_python(o);
        if (python.empty()) {
            skipped.push_back("NumPy/SciPy peers: no Python with numpy and scipy (tried --python, $PYTHON, "
                              "python3, /usr/bin/python3); install python3-numpy python3-scipy");
        } else {
            // The rows go through .npy files in a scratch directory under $TMPDIR (or /tmp).
            std::string tmpl = (fs::temp_directory_path() / "peer-accuracy-XXXXXX").string();
            if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + tmpl);
            scratch = fs::path(tmpl);
            py = std::make_unique<PythonServer>(python, (script_dir() / "bench_numpy.py").string(), *scratch);
            std::string version = python;
            for (const char* impl : kPyImpls) {
                if (!wanted(o, impl)) continue;
                for (Output out : {Output::softmax, Output::log_softmax}) {
                    if (out == Output::log_softmax && std::string_view(impl) != "scipy") continue;
                    Entry& e = entries.emplace_back();
                    e.label = impl;
                    e.library = std::string(std::string_view(impl).substr(0, 5) == "scipy" ? "scipy.special" : "numpy") +
                                " via " + python;
                    e.output = out;
                    e.py_impl = std::string(impl) + (out == Output::log_softmax ? ":log" : "");
                }
            }
        }
    }
    for (Entry& e : entries)
        e.desc = descriptor(e.label, e.library, !e.py_impl.empty() && py_unshifted(e.label));

    // One runner per (C++ entry, n), reused across distributions.
    std::map<std::pair<const Entry*, std::size_t>, std::unique_ptr<smb::peers::Runner>> runners;
    auto call = [&](const Entry& e, const std::vector<float>& x, std::vector<float>& y) {
        if (e.peer == nullptr) {
            py->run(e.py_impl, x.data(), y.data(), 1, x.size());
            return;
        }
        auto& r = runners[{&e, x.size()}];
        if (!r) r = e.peer->make(smb::peers::Shape{1, x.size(), 1, e.output});
        r->run(x.data(), y.data());
    };

    std::string body;
    std::size_t cases = 0, errors = 0;
    std::map<const Entry*, double> worst_ulp;  // for the progress lines
    if (!entries.empty())
        std::fprintf(stderr, "peer_accuracy: forward: %zu peer outputs x %zu distributions x %zu sizes (%.0f s)\n",
                     entries.size(), dists.size(), sizes.size(), clock.seconds());
    for (std::string_view dist : dists) {
        for (std::size_t n : sizes) {
            const std::vector<float> x = smb::ref::make_row(dist, n, kSeed);
            for (Output out : {Output::softmax, Output::log_softmax}) {
                const smb::ref::RowReference r = reference(x, out, threads);
                for (const Entry& e : entries) {
                    if (e.output != out) continue;
                    std::vector<float> y(n, -12345.0f);
                    ++cases;
                    try {
                        call(e, x, y);
                        const smb::ref::Score s = smb::ref::score_output(e.desc, x, y, r, out);
                        body += case_row(e, dist, n, &s, smb::ref::in_domain(e.desc, x), "");
                        double& w = worst_ulp[&e];
                        if (smb::ref::in_domain(e.desc, x) && !(s.check.m.max_ulp <= w)) w = s.check.m.max_ulp;
                    } catch (const std::exception& ex) {
                        ++errors;
                        body += case_row(e, dist, n, nullptr, true, ex.what());
                    }
                }
            }
            runners.clear();  // long rows: free the buffers of this size
        }
    }
    for (const Entry& e : entries)
        std::fprintf(stderr, "peer_accuracy: forward %s %s: %zu cases, worst %.4g ULP in domain (%.0f s)\n",
                     e.label.c_str(), out_name(e.output).c_str(), dists.size() * sizes.size(), worst_ulp[&e],
                     clock.seconds());

    std::string special_body;
    std::set<std::string> done_labels;
    for (const Entry& e : entries) {
        if (!done_labels.insert(e.label).second) continue;
        bool has_log = false;
        for (const Entry& f : entries) has_log |= f.label == e.label && f.output == Output::log_softmax;
        auto call_special = [&](Output out, const std::vector<float>& x, std::vector<float>& y) {
            const Entry* which = nullptr;
            for (const Entry& f : entries)
                if (f.label == e.label && f.output == out) which = &f;
            if (which->peer == nullptr) {
                py->run(which->py_impl, x.data(), y.data(), 1, x.size());
                return;
            }
            which->peer->make(smb::peers::Shape{1, x.size(), 1, out})->run(x.data(), y.data());
        };
        for (const SpecialResult& s : special_table(e.label, has_log, call_special))
            special_body += csv_field(s.label) + "," + s.name + "," + s.output + "," + csv_field(s.result) + "," +
                            (s.matches ? "yes" : "no") + "\n";
    }
    py.reset();
    if (scratch) fs::remove_all(*scratch);

    const char* forced_note = std::getenv("ATEN_CPU_CAPABILITY") ? " (ATEN_CPU_CAPABILITY set)" : "";
    if (forward) {
        write_file(csv, kCsvHeader, body, o.append);
        write_file(special_csv, kSpecialHeader, special_body, o.append);
        std::printf("peer_accuracy: %zu cases (%zu entries x %zu distributions x %zu sizes), %zu library errors%s; "
                    "wrote %s, %s\n",
                    cases, entries.size(), dists.size(), sizes.size(), errors, forced_note, csv.c_str(),
                    special_csv.c_str());
    }

    // The other ops, each to <stem>-<op>.csv, on rows up to 65537.
    Sweep sw{dists, {}, threads, &clock};
    for (std::size_t n : sizes)
        if (n <= kPerRowMaxSize) sw.sizes.push_back(n);
    struct OpSpec {
        const char* op;
        const char* header;
        OpResult (*fn)(const Options&, const Sweep&, std::vector<std::string>&);
    };
    const OpSpec specs[] = {{"backward", kBackwardHeader, &backward_op},
                            {"cross_entropy", kCrossEntropyHeader, &cross_entropy_op},
                            {"bf16", kBf16Header, &bf16_op}};
    for (const OpSpec& spec : specs) {
        if (!op_wanted(o, spec.op)) continue;
        const OpResult r = spec.fn(o, sw, skipped);
        const fs::path path = csv.parent_path() / (csv.stem().string() + "-" + spec.op + ".csv");
        write_file(path, spec.header, r.body, o.append);
        std::printf("peer_accuracy: %s: %zu cases (%zu peer ops), %zu library errors%s; wrote %s\n", spec.op, r.cases,
                    r.entries, r.errors, forced_note, path.c_str());
    }
    for (const std::string& s : skipped) std::printf("peer_accuracy: skipped %s\n", s.c_str());

    // PyTorch's other capability needs another process (ATen reads it once).
    const smb::peers::Peer* pt = smb::peers::find_peer("pytorch");
    const char* forced = std::getenv("ATEN_CPU_CAPABILITY");
    if (o.second_capability && pt != nullptr && pt->built() && wanted(o, "pytorch") &&
        (forced == nullptr || *forced == '\0')) {
        const int rc = run_child_with_capability(argc, argv, csv.string());
        if (rc != 0) {
            std::fprintf(stderr, "peer_accuracy: the ATEN_CPU_CAPABILITY=avx512 run failed (exit %d)\n", rc);
            return 1;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        return run(o, argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "peer_accuracy: error: %s\n", e.what());
        return 1;
    }
}
