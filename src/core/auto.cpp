// The auto entries: pick the fastest variant within a documented bound, per call.
#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

namespace smb {
namespace {

const std::optional<tuning::Table>& table(std::string* why = nullptr) {
    static std::string reason;
    static const std::optional<tuning::Table> t = tuning::load_default(&reason);
    if (why) *why = reason;
    return t;
}

double bound_for(const Variant& v, Output out) { return out == Output::softmax ? v.max_ulp : v.max_ulp_log; }

bool eligible(const Variant& v, Output out, double max_ulp) {
    return pickable(v) && available(v) && bound_for(v, out) <= max_ulp;
}

const Variant* by_name(const std::string& name, Output out, double max_ulp) {
    const Variant* v = find_variant(name);
    return v && eligible(*v, out, max_ulp) ? v : nullptr;
}

// The variant with these fields, if it is eligible.
const Variant* by_fields(Algorithm a, Isa i, ExpKernel e, Tier t, Output out, double max_ulp) {
    for (const Variant& v : all_variants())
        if (v.algorithm == a && v.isa == i && v.exp_kernel == e && v.tier == t && v.dtype == Dtype::f32)
            return eligible(v, out, max_ulp) ? &v : nullptr;
    return nullptr;
}

// Built-in preference, from benchmark runs on the development machine (AMD EPYC Zen 4,
// results/<machine-id>/): softmax, fast tier: guarded at every length (no max pass, no TwoSum;
// on rows outside its window it is max_shifted plus one pass); log_softmax: max_shifted (exp
// computed once, the other passes cheap). The accurate tier: max_shifted.accurate in cache,
// online.accurate (2 reads + 1 write) past the LLC. Tried on the dispatch ISA first, then lower
// ones, then anything within the bound (the double-internal scalar variants reach 0.51 ULP).
const Variant* heuristic(std::size_t cols, Output out, double max_ulp) {
    const bool huge = cols > (std::size_t(1) << 22);
    struct Pref {
        Algorithm a;
        ExpKernel e;
        Tier t;
    };
    std::vector<Pref> prefs;
    if (max_ulp >= 6) {
        const std::vector<Algorithm> fast =
            out == Output::softmax
                ? std::vector<Algorithm>{Algorithm::guarded, Algorithm::max_shifted, Algorithm::online, Algorithm::log_sum_exp}
                : std::vector<Algorithm>{Algorithm::max_shifted, Algorithm::log_sum_exp, Algorithm::online};
        for (Algorithm a : fast) prefs.push_back({a, ExpKernel::poly5, Tier::fast});
    }
    const Algorithm first = huge ? Algorithm::online : Algorithm::max_shifted;
    const Algorithm second = huge ? Algorithm::max_shifted : Algorithm::online;
    for (const auto& [e, t] : {std::pair{ExpKernel::poly5, Tier::fast}, std::pair{ExpKernel::poly6, Tier::fast},
                               std::pair{ExpKernel::poly6_f64, Tier::accurate}})
        for (Algorithm a : {first, second, Algorithm::log_sum_exp}) prefs.push_back({a, e, t});
    const auto isas = all_isas();
    for (auto it = isas.rbegin(); it != isas.rend(); ++it) {  // most preferred first
        const Isa isa = *it;
        if (isa == Isa::scalar || !isa_available(isa)) continue;
        for (const Pref& p : prefs)
            if (const Variant* v = by_fields(p.a, isa, p.e, p.t, out, max_ulp)) return v;
    }
    for (const Pref& p : {Pref{Algorithm::online, ExpKernel::libm_double, Tier::accurate},
                          Pref{Algorithm::log_sum_exp, ExpKernel::libm_double, Tier::accurate},
                          Pref{Algorithm::max_shifted, ExpKernel::libm_double, Tier::fast}})
        if (const Variant* v = by_fields(p.a, Isa::scalar, p.e, p.t, out, max_ulp)) return v;
    return nullptr;
}

const Variant& pick(std::size_t cols, int threads, Output out, double max_ulp) {
    if (const auto& t = table()) {
        const std::string tier = max_ulp <= kAccurateMaxUlp ? "accurate" : "fast";
        const tuning::Entry* best = nullptr;
        for (const tuning::Entry& e : t->entries) {
            if (e.tier != tier || cols < e.cols_min || cols > e.cols_max) continue;
            // The entry measured with the most threads not above the call's.
            if (e.threads <= threads && (!best || e.threads > best->threads)) best = &e;
        }
        if (best)
            if (const Variant* v = by_name(best->variant, out, max_ulp)) return *v;
    }
    if (const Variant* v = heuristic(cols, out, max_ulp)) return *v;
    throw std::invalid_argument("no available variant is documented within " + std::to_string(max_ulp) + " ULP for " +
                                std::string(to_string(out)));
}

// The auto entries pick on every call: memoize their picks per (size class, thread bucket,
// output, bound of "auto" or "auto.accurate"), since a pick is a few microseconds of string
// work and a 64-element row takes tens of nanoseconds. Picks depend only on these and on
// state fixed at the first call (the tuning file, the dispatch ISA): the heuristic not on the
// thread count at all, the tuning file through the entry with the most threads not above the
// call's, i.e. through how many of the file's thread counts are <= the call's (the bucket).
constexpr int kMaxThreadCounts = 3;  // a file with more distinct thread counts is not memoized
struct Memo {
    std::atomic<const Variant*> slot[8][kMaxThreadCounts + 1][2][2] = {};
};

int class_index(std::size_t cols) {
    static const std::vector<tuning::SizeClass> classes = tuning::size_classes();
    for (std::size_t i = 0; i < classes.size() && i < 8; ++i)
        if (cols >= classes[i].cols_min && cols <= classes[i].cols_max) return int(i);
    return -1;
}

Memo g_memo;

// What the fast path needs, fixed at the first call: auto's two bounds, the size classes'
// upper ends (contiguous from 1; otherwise count = 0 and every call takes the slow path), and
// the tuning file's distinct thread counts, ascending (INT_MAX past the last; none without a
// file). memoize is false when the file has more than kMaxThreadCounts of them.
struct FastPath {
    double bound[2] = {0, 0};
    std::size_t max[8] = {};
    std::size_t min0 = 1;
    int count = 0;
    int threads_at[kMaxThreadCounts] = {INT_MAX, INT_MAX, INT_MAX};
    bool memoize = true;
};

FastPath make_fast_path() {
    FastPath f;
    f.bound[0] = find_variant("auto")->max_ulp;
    f.bound[1] = find_variant("auto.accurate")->max_ulp;
    if (const auto& t = table()) {
        std::vector<int> counts;
        for (const tuning::Entry& e : t->entries) counts.push_back(e.threads);
        std::sort(counts.begin(), counts.end());
        counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
        if (counts.size() > std::size_t(kMaxThreadCounts)) f.memoize = false;
        for (std::size_t i = 0; i < counts.size() && i < std::size_t(kMaxThreadCounts); ++i) f.threads_at[i] = counts[i];
    }
    const std::vector<tuning::SizeClass> classes = tuning::size_classes();
    if (!f.memoize || classes.empty() || classes.size() > 8) return f;
    for (std::size_t i = 1; i < classes.size(); ++i)
        if (classes[i].cols_min != classes[i - 1].cols_max + 1) return f;
    f.min0 = classes[0].cols_min;
    for (std::size_t i = 0; i < classes.size(); ++i) f.max[i] = classes[i].cols_max;
    f.count = int(classes.size());
    return f;
}

const FastPath& fast_path() {
    static const FastPath f = make_fast_path();
    return f;
}

// How many of the tuning file's thread counts are <= threads: calls in one bucket get one pick.
inline int thread_bucket(const FastPath& f, int threads) {
    return int(threads >= f.threads_at[0]) + int(threads >= f.threads_at[1]) + int(threads >= f.threads_at[2]);
}

// Set by the first select_slow call; until then every call takes the slow path.
std::atomic<const FastPath*> g_fast{nullptr};

// The slow path: the memo's slot for this call (filled on its first use), or a pick for calls
// outside the memo (a bound other than auto's two, a row length outside every class, a tuning
// file with more thread counts than the memo keeps apart).
[[gnu::noinline]] const Variant& select_slow(std::size_t cols, int threads, Output out, double max_ulp) {
    const FastPath& fast = fast_path();
    g_fast.store(&fast, std::memory_order_release);
    const int tier = max_ulp == fast.bound[0] ? 0 : max_ulp == fast.bound[1] ? 1 : -1;
    const int cls = tier < 0 || !fast.memoize ? -1 : class_index(cols);
    if (cls < 0) return pick(cols, threads, out, max_ulp);
    // The tuning table is per class and thread count; within a class the heuristic only
    // distinguishes the class's row lengths above 4M, which is one class (> 4M).
    std::atomic<const Variant*>& s = g_memo.slot[cls][thread_bucket(fast, threads)][out == Output::log_softmax][tier];
    const Variant* v = s.load(std::memory_order_acquire);
    if (v == nullptr) {
        v = &pick(cols, threads, out, max_ulp);
        s.store(v, std::memory_order_release);
    }
    return *v;
}

}  // namespace

// The fast path is a few compares and one atomic load (the per-call cost auto adds to a short
// row: issue 14 asks for <= 1 ns); everything else is out of line in select_slow.
const Variant& select_variant(std::size_t cols, int threads, Output out, double max_ulp) {
    const FastPath* f = g_fast.load(std::memory_order_acquire);
    const int tier = !f ? -1 : max_ulp == f->bound[0] ? 0 : max_ulp == f->bound[1] ? 1 : -1;
    if (tier >= 0 && cols >= f->min0) {
        int cls = 0;
        while (cls < f->count && cols > f->max[cls]) ++cls;
        if (cls < f->count)
            if (const Variant* v = g_memo.slot[cls][thread_bucket(*f, threads)][out == Output::log_softmax][tier].load(
                    std::memory_order_acquire))
                return *v;
    }
    return select_slow(cols, threads, out, max_ulp);
}


std::string auto_source() {
    std::string why;
    const auto& t = table(&why);
    return t ? why : "built-in heuristic; tuning file " + why;
}

namespace kernels::auto_pick {
void fast(const float* x, float* y, std::size_t n, RowParams p) {
    static const double bound = find_variant("auto")->max_ulp;
    select_variant(n, 1, p.output, bound).row(x, y, n, p);
}
void accurate(const float* x, float* y, std::size_t n, RowParams p) {
    select_variant(n, 1, p.output, kAccurateMaxUlp).row(x, y, n, p);
}
}  // namespace kernels::auto_pick

}  // namespace smb
