// softmaxbench tune: measure the variants at each row-length class's probe length and record the
// fastest per (class, threads, tier) in the tuning table the `auto` variants read.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.hpp"
#include "reference/distributions.hpp"
#include "softmaxbench/build_info.hpp"
#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

namespace smb::cli {

const char* const kTuneDetails =
    "Measures every available variant except the unsafe tier and the auto variants, one row of\n"
    "each size class's probe length (normal_1 logits, softmax, out of place, through\n"
    "smb::softmax_batch), for 1 thread and, when the machine has 2 or more cores, 2 threads.\n"
    "Size classes (probe length): 1..64 (64), 65..1024 (1024), 1025..16384 (16384),\n"
    "16385..262144 (262144), 262145..4194304 (4194304), 4194305.. (16777216).\n"
    "Timing: warm up (which sizes the sample), then a sample is the batch call repeated for\n"
    "about 20 ms (less when the budget is tight; at least one call); the median of 5 samples\n"
    "is the time per element.\n"
    "Split thresholds (2 or more cores; measured first, so the 2-thread winners below are\n"
    "measured with them): with guarded at the dispatch ISA (else the first variant there with a\n"
    "row split) and 2 threads, one row of 16K, 32K, ..., 512K columns split against the same\n"
    "row on 1 thread: min_split_cols = the shortest of these lengths from which the split is at\n"
    "least 1.15x faster at every longer one; and, for a variant with a long-row split form\n"
    "(guarded), rows of 1M, 2M, ..., 16M split max-first against one-pass: one_pass_from = the\n"
    "shortest length from which one-pass is faster at every longer one. Either is\n"
    "18446744073709551615 (never) when no length qualifies. They get up to a tenth of the\n"
    "budget (a part whose least cost does not fit is skipped, and listed). softmax_batch uses\n"
    "them wherever this table is in use; without it, the built-in values (32768, and guarded's\n"
    "8388608, measured on an AMD Zen 4).\n"
    "Budget: the (class, threads) slots run smallest class first; each gets its least\n"
    "cost (estimated from the times seen so far, with a margin) plus an equal share of what\n"
    "is left after reserving the least cost of every later slot, so the long rows are not\n"
    "starved; time a slot leaves unused goes to the later ones. A slot that cannot fit in\n"
    "what is left, or that the budget runs out in, is skipped (and listed); the rest is kept.\n"
    "Winners per (class, threads): fast = the fastest variant; accurate = the fastest whose\n"
    "documented softmax bound (max_ulp) is <= 1 ULP.\n"
    "Progress goes to stderr, one line per measurement:\n"
    "  tune: [k/N] WHAT, P% of the work, T elapsed, ETA R\n"
    "(ETA: the slots left at their full sample length and the times per element seen so far,\n"
    "never past the budget). stdout gets the winners as a table and the files written.\n"
    "Writes the table (JSON) to FILE atomically, default results/<folder>/tuning.json, and\n"
    "(unless --no-install) copies it to the file the auto variants read: $SOFTMAXBENCH_TUNING\n"
    "when set, else ${XDG_CONFIG_HOME:-$HOME/.config}/softmaxbench/tuning-<folder>.json.\n"
    "<folder> is the machine id (`softmaxbench info --machine-id`), plus -emulated-<isa> when\n"
    "SOFTMAXBENCH_FORCE_ISA caps dispatch below this CPU's best ISA: then the table is one for\n"
    "an emulated <isa> target (its \"target_isa\"), measured under the cap, and only a process\n"
    "under the same cap uses it (and a native process only a native table).\n"
    "With 2 threads the one row goes through softmax_batch with threads = 2: it is split\n"
    "across the threads where softmax_batch splits a row (variants with a row split, rows of\n"
    "at least min_split_cols); otherwise the 2-thread number measures the same single-threaded\n"
    "call.\n\n";

std::string check_budget(const std::string& seconds) {
    double v = 0;
    const char* b = seconds.data();
    const char* e = b + seconds.size();
    const auto r = std::from_chars(b, e, v);
    if (r.ec != std::errc() || r.ptr != e || !(v >= 1 && v <= 86400))
        return "must be a number of seconds from 1 to 86400 (got '" + seconds + "')";
    return {};
}

namespace {

using Clock = std::chrono::steady_clock;

// Per-element time grows with the row once it leaves the caches: the reservation for a later,
// longer class takes the last class's time per element with this margin.
constexpr double kMargin = 1.3;
// Shortest sample, however tight the budget: shorter ones measure the clock more than the call.
constexpr double kMinTarget = 2e-3;
constexpr double kMaxTarget = 20e-3;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The sample length (seconds) that spends about `budget`: kMaxTarget when cost(kMaxTarget) fits,
// else the longest length in [kMinTarget, kMaxTarget] whose cost fits, by bisection (kMinTarget
// when even that one does not: a sample is never shorter). `cost` grows with the length.
template <class Cost>
double sample_length(const Cost& cost, double budget) {
    double lo = kMinTarget, hi = kMaxTarget;
    if (cost(hi) <= budget) return hi;
    for (int it = 0; it < 40; ++it) {
        const double mid = 0.5 * (lo + hi);
        (cost(mid) > budget ? hi : lo) = mid;
    }
    return lo;
}

struct Measurement {
    const Variant* v = nullptr;
    double ns_per_element = 0;
    double items_per_second() const { return 1e9 / ns_per_element; }
};

// The batch call's arguments for the one row of `cols` logits a tune measurement times: x into
// y (softmax, out of place) with `threads` threads.
BatchArgs one_row(const std::vector<float>& x, std::vector<float>& y, std::size_t cols, int threads) {
    BatchArgs a;
    a.x = x.data();
    a.y = y.data();
    a.rows = 1;
    a.cols = cols;
    a.threads = threads;
    return a;
}

// Median of 5 samples of (time of `reps` calls) / (reps * cols), after a warm-up that also
// sizes reps so one sample takes about `target` seconds.
double time_variant(const Variant& v, const BatchArgs& a, double target) {
    const auto call = [&] { softmax_batch(v, a); };
    // Warm-up: at least one call and about `target` seconds.
    std::size_t calls = 0;
    const Clock::time_point w0 = Clock::now();
    do {
        call();
        ++calls;
    } while (seconds_since(w0) < target);
    const double per_call = seconds_since(w0) / double(calls);
    const std::size_t reps = std::max<std::size_t>(1, std::size_t(std::ceil(target / per_call)));
    double samples[5];
    for (double& s : samples) {
        const Clock::time_point t0 = Clock::now();
        for (std::size_t r = 0; r < reps; ++r) call();
        s = seconds_since(t0) * 1e9 / (double(reps) * double(a.cols));
    }
    std::sort(std::begin(samples), std::end(samples));
    return samples[2];
}

// "1..64", "65..1024", ..., "4194305.." (cols_min..cols_max, inclusive).
std::string class_label(const tuning::SizeClass& c) {
    std::string s = std::to_string(c.cols_min);
    s.append("..");
    if (c.cols_max != SIZE_MAX) s.append(std::to_string(c.cols_max));
    return s;
}

// The 1-minute load average, or 0 when unknown.
double load_average() {
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    if (f == nullptr) return 0;
    double load = 0;
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
    return load;
}

std::string gps(double items_per_second) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", items_per_second / 1e9);
    return buf;
}

// "12.3 s" below 100 s, else "83m25s" (as scripts/bench.sh and `softmaxbench accuracy` print).
std::string fmt_seconds(double s) {
    char buf[32];
    if (s < 100) std::snprintf(buf, sizeof buf, "%.1f s", s);
    else std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
    return buf;
}

// The split thresholds' row lengths (see kTuneDetails).
constexpr std::size_t kSplitGrid[] = {16384, 32768, 65536, 131072, 262144, 524288};
constexpr std::size_t kOnePassGrid[] = {1u << 20, 1u << 21, 1u << 22, 1u << 23, 1u << 24};
// A split must gain this much to be worth it (the built-in 32K was chosen the same way: at 16K
// the split gained 1.04-1.10x on Zen 4, at 32K 1.20-1.41x).
constexpr double kSplitGain = 1.15;
// The share of the budget the thresholds may take, and the time per element assumed for their
// least cost before anything is measured (slower than any SIMD variant on these rows).
constexpr double kThresholdShare = 0.1;
constexpr double kAssumedNsPerElement = 1.0;

// The shortest length of `r` (ascending lengths) from which every ratio is >= gain; SIZE_MAX
// when the longest one is not.
std::size_t first_from(const std::vector<std::pair<std::size_t, double>>& r, double gain) {
    std::size_t from = SIZE_MAX;
    for (auto it = r.rbegin(); it != r.rend() && it->second >= gain; ++it) from = it->first;
    return from;
}

}  // namespace

int cmd_tune(const TuneOptions& opt) {
    dispatch_isa();  // a bad SOFTMAXBENCH_FORCE_ISA is a runtime error here
    const Clock::time_point start = Clock::now();
    // Measure with the built-in thresholds, whatever tuning file is installed; the measured ones
    // replace them below, before the 2-thread slots.
    tuning::override_split_thresholds(0, 0);

    std::vector<const Variant*> candidates;
    for (const Variant& v : all_variants())
        if (available(v) && pickable(v)) candidates.push_back(&v);
    if (candidates.empty()) throw std::runtime_error("no variant to measure on this CPU");

    std::vector<int> thread_counts{1};
    if (util::core_count() >= 2) thread_counts.push_back(2);
    const std::vector<tuning::SizeClass> classes = tuning::size_classes();

    namespace fs = std::filesystem;
    const fs::path out_path =
        opt.out.empty() ? fs::path("results") / tuning::results_folder_name() / "tuning.json" : fs::path(opt.out);
    util::ensure_writable_dir(out_path.parent_path());
    std::string install_path;
    if (!opt.no_install) {
        install_path = tuning::default_path();
        if (install_path.empty())
            throw std::runtime_error("cannot install the table: no SOFTMAXBENCH_TUNING, XDG_CONFIG_HOME or home "
                                     "directory (use --no-install)");
    }

    if (const double load = load_average(); load > 0.5) {
        std::fprintf(stderr,
                     "tune: note: load average %.2f before starting (%d cores): other processes will "
                     "disturb the timings, the 2-thread ones most\n",
                     load, util::core_count());
        std::fflush(stderr);
    }

    tuning::Table table;
    table.machine_id = machine_id();
    table.cpu_model = cpu_info().model;
    table.git_commit = build::git_commit;
    table.date = util::utc_now();
    table.target_isa = tuning::emulated_target();
    if (!table.target_isa.empty()) {
        std::fprintf(stderr, "tune: SOFTMAXBENCH_FORCE_ISA caps dispatch at %s: a table for an emulated %s target\n",
                     table.target_isa.c_str(), table.target_isa.c_str());
        std::fflush(stderr);
    }

    // The row-split thresholds' reference: guarded at the dispatch ISA, else the first variant
    // there with a row split (nullptr: none, or one core).
    const Variant* split_ref = nullptr;
    if (thread_counts.size() > 1) {
        for (const Variant* v : candidates) {
            if (v->split_form == SplitForm::none || v->isa != dispatch_isa()) continue;
            if (split_ref == nullptr) split_ref = v;
            if (v->algorithm == Algorithm::guarded) {
                split_ref = v;
                break;
            }
        }
    }
    const bool has_long_form = split_ref != nullptr && split_ref->split_form == SplitForm::max_first_or_one_pass;
    const std::size_t split_steps = split_ref ? 2 * std::size(kSplitGrid) : 0;
    const std::size_t one_pass_steps = has_long_form ? 2 * std::size(kOnePassGrid) : 0;

    const std::size_t slots_total = classes.size() * thread_counts.size();
    const std::size_t steps_total = split_steps + one_pass_steps + slots_total * candidates.size();
    std::size_t steps_done = 0;
    std::size_t slots_done = 0;
    std::vector<std::string> skipped;
    // Each candidate's ns per element at the last class measured (0: not yet): the estimate for
    // the next, longer rows, so a slot that cannot fit is skipped, not started.
    std::vector<double> last_ns(candidates.size(), 0.0);
    bool out_of_budget = false;

    // What a slot costs at least (seconds): per candidate, a warm-up and 5 samples, each at
    // least `target` seconds and at least one call (at last_ns; unmeasured: target only).
    const auto least_cost = [&](std::size_t cols, double target) {
        double c = 0;
        for (double ns : last_ns) c += 6.0 * std::max(target, ns * 1e-9 * double(cols));
        return c;
    };
    // The same for one measurement of `cols` at `ns` per element.
    const auto one_cost = [](std::size_t cols, double target, double ns) {
        return 6.0 * std::max(target, ns * 1e-9 * double(cols));
    };

    // ---- progress: one line per measurement ----
    // The time the steps left will take: the current slot's remaining candidates at its mean so
    // far, every later slot at its full sample length (kMaxTarget) and the times per element seen
    // so far (with the margin), the thresholds' steps left likewise; never past the budget.
    std::size_t slot_now = 0;             // the class slot running (index into the slots)
    std::size_t slot_measured = 0;        // candidates measured in it so far
    Clock::time_point slot_started = start;
    std::size_t threshold_left = split_steps + one_pass_steps;
    double threshold_step_cost = 0;       // mean seconds per threshold step so far
    const auto eta = [&] {
        double left = double(threshold_left) * (threshold_step_cost > 0 ? threshold_step_cost : 6 * kMaxTarget);
        std::size_t next = slot_now;
        if (slot_measured > 0) {
            left += seconds_since(slot_started) / double(slot_measured) * double(candidates.size() - slot_measured);
            ++next;
        }
        for (std::size_t j = std::max(next, slots_done); j < slots_total; ++j)
            left += kMargin * least_cost(classes[j / thread_counts.size()].probe_cols, kMaxTarget);
        return std::min(left, std::max(0.0, opt.budget - seconds_since(start)));
    };
    const auto progress = [&](const std::string& what) {
        ++steps_done;
        const double el = seconds_since(start), left = eta();
        std::fprintf(stderr, "tune: [%zu/%zu] %s, %.0f%% of the work, %s elapsed, ETA %s\n", steps_done, steps_total,
                     what.c_str(), el + left > 0 ? 100 * el / (el + left) : 100.0, fmt_seconds(el).c_str(),
                     fmt_seconds(left).c_str());
        std::fflush(stderr);
    };

    // ---- split thresholds (first: the 2-thread slots below run with them) ----
    if (split_ref != nullptr) {
        tuning::SplitThresholds& st = table.split;
        const double share = kThresholdShare * opt.budget;
        const double split_least = [&] {
            double c = 0;
            for (std::size_t n : kSplitGrid) c += 2 * one_cost(n, kMinTarget, kAssumedNsPerElement);
            return c;
        }();
        const double one_pass_least = [&] {
            double c = 0;
            for (std::size_t n : kOnePassGrid) c += 2 * one_cost(n, kMinTarget, kAssumedNsPerElement);
            return has_long_form ? c : 0.0;
        }();
        const bool do_split = split_least <= share;
        const bool do_one_pass = has_long_form && do_split && split_least + one_pass_least <= share;
        // The sample length that spends about the share: every step's least cost at `target`.
        const auto cost = [&](double t) {
            double c = 0;
            for (std::size_t n : kSplitGrid) c += 2 * one_cost(n, t, kAssumedNsPerElement);
            if (do_one_pass)
                for (std::size_t n : kOnePassGrid) c += 2 * one_cost(n, t, kAssumedNsPerElement);
            return c;
        };
        const double target = do_split ? sample_length(cost, share) : kMaxTarget;
        // The logits: the longest row of a part, made when the part starts (a 16M row takes a
        // while to draw; a budget too small for the one-pass part never pays for it).
        std::vector<float> x, y;
        // Seconds per element it took to draw the logits (0: not yet), to predict the next draw.
        double draw_per_element = 0;
        const auto rows_up_to = [&](std::size_t n) {
            const Clock::time_point t0 = Clock::now();
            x = ref::make_row("normal_1", n, 2);
            y.assign(n, 0.0f);
            draw_per_element = seconds_since(t0) / double(n);
        };
        const Clock::time_point phase_start = Clock::now();
        std::size_t phase_steps = 0;
        // The slowest time per element measured in this phase so far (a sanitizer build or a
        // busy core can be many times slower than the assumed one): what the next steps cost.
        double phase_ns = kAssumedNsPerElement;
        const auto measure = [&](std::size_t cols, int threads, std::size_t min_split, std::size_t one_pass,
                                 const std::string& what) {
            tuning::override_split_thresholds(min_split, one_pass);
            const double ns = time_variant(*split_ref, one_row(x, y, cols, threads), target);
            phase_ns = std::max(phase_ns, ns);
            ++phase_steps;
            --threshold_left;
            threshold_step_cost = seconds_since(phase_start) / double(phase_steps);
            progress(what);
            return ns;
        };
        st.threads = 2;
        st.variant = std::string(split_ref->name);
        const std::string name(split_ref->name);
        // A part stops before a pair of measurements that would take the phase past its share,
        // predicted from the slowest time per element seen so far (with the margin), and before
        // drawing a row that would: an incomplete part records nothing, so the built-in value
        // stays. The share is never overrun by more than one mispredicted pair.
        const auto fits = [&](std::size_t cols, std::size_t draw_cols) {
            const double draw = draw_cols != 0 && draw_per_element > 0 ? draw_per_element * double(draw_cols) : 0.0;
            return seconds_since(phase_start) + kMargin * (draw + 2 * one_cost(cols, target, phase_ns)) <= share;
        };
        const auto skip = [&](const std::string& what, std::size_t steps) {
            skipped.push_back(what);
            steps_done += steps;
            threshold_left -= steps;
        };
        bool split_done = false;
        if (do_split) {
            rows_up_to(kSplitGrid[std::size(kSplitGrid) - 1]);
            for (std::size_t n : kSplitGrid) {
                if (!fits(n, 0)) break;
                const double one = measure(n, 1, 0, 0, "split threshold: " + name + " 1x" + std::to_string(n) + ", 1 thread");
                const double two = measure(n, 2, 1, 0, "split threshold: " + name + " 1x" + std::to_string(n) + ", 2 threads split");
                st.split_speedup.emplace_back(n, one / two);
            }
            split_done = st.split_speedup.size() == std::size(kSplitGrid);
            if (split_done) st.min_split_cols = first_from(st.split_speedup, kSplitGain);
            else skip("split threshold (incomplete)", 2 * (std::size(kSplitGrid) - st.split_speedup.size()));
        } else {
            skip("split threshold", split_steps);
        }
        bool one_pass_done = false;
        constexpr std::size_t kOnePassLongest = kOnePassGrid[std::size(kOnePassGrid) - 1];
        if (do_one_pass && split_done && fits(kOnePassGrid[0], kOnePassLongest)) {
            rows_up_to(kOnePassLongest);
            for (std::size_t n : kOnePassGrid) {
                if (!fits(n, 0)) break;
                const double mf = measure(n, 2, 1, SIZE_MAX, "one-pass threshold: " + name + " 1x" + std::to_string(n) + ", max-first split");
                const double op = measure(n, 2, 1, 1, "one-pass threshold: " + name + " 1x" + std::to_string(n) + ", one-pass split");
                st.one_pass_speedup.emplace_back(n, mf / op);
            }
            one_pass_done = st.one_pass_speedup.size() == std::size(kOnePassGrid);
            if (one_pass_done) st.one_pass_from = first_from(st.one_pass_speedup, std::nextafter(1.0, 2.0));
            else skip("one-pass threshold (incomplete)", 2 * (std::size(kOnePassGrid) - st.one_pass_speedup.size()));
        } else if (has_long_form) {
            skip("one-pass threshold", one_pass_steps);
        }
        if (!split_done) st = tuning::SplitThresholds{};  // nothing complete: no "split" object
        // The 2-thread slots below, and the table, use what was measured (0: built-in).
        tuning::override_split_thresholds(st.min_split_cols, st.one_pass_from);
        if (split_done) {
            const std::string split_text =
                st.min_split_cols == SIZE_MAX ? "never (no 1.15x gain up to 512K columns)" : "from " + std::to_string(st.min_split_cols) + " columns";
            const std::string one_pass_text = !one_pass_done                ? "built-in (not measured)"
                                              : st.one_pass_from == SIZE_MAX ? "never (max-first up to 16M)"
                                                                             : "from " + std::to_string(st.one_pass_from) + " columns";
            std::fprintf(stderr, "tune: split thresholds (%s, 2 threads): split a row %s; one-pass split %s\n", name.c_str(),
                         split_text.c_str(), one_pass_text.c_str());
            std::fflush(stderr);
        }
    }

    struct Row {
        std::string label;
        int threads;
        Measurement fast, accurate;  // accurate.v == nullptr: none within kAccurateMaxUlp
    };
    std::vector<Row> rows;

    for (const tuning::SizeClass& sc : classes) {
        const std::size_t cols = sc.probe_cols;
        std::vector<float> x, y;
        for (int t : thread_counts) {
            const std::string label = class_label(sc) + " x " + std::to_string(t) + (t == 1 ? " thread" : " threads");
            const double remaining = opt.budget - seconds_since(start);
            const double min_cost = least_cost(cols, 0);
            slot_now = slots_done;
            slot_measured = 0;
            if (out_of_budget || remaining <= 0 || min_cost > remaining) {
                out_of_budget = true;
                skipped.push_back(label);
                ++slots_done;
                steps_done += candidates.size() - 1;
                progress(label + ": skipped (budget)");
                continue;
            }
            if (x.empty()) {
                x = ref::make_row("normal_1", cols, 1);
                y.assign(cols, 0.0f);
            }
            const BatchArgs a = one_row(x, y, cols, t);
            // This slot's budget: its own least cost plus an equal share of the slack left after
            // reserving the least cost of every later slot (with a margin), so the cheap small
            // classes cannot starve the expensive long rows.
            double reserved = 0;
            for (std::size_t j = slots_done + 1; j < slots_total; ++j)
                reserved += kMargin * least_cost(classes[j / thread_counts.size()].probe_cols, kMinTarget);
            const double slack = std::max(0.0, remaining - min_cost - reserved);
            const double slot_budget = min_cost + slack / double(slots_total - slots_done);
            // The sample length that spends about that: warm-up + 5 samples per variant, each at
            // least one call, between kMinTarget and kMaxTarget.
            const double target = sample_length([&](double s) { return least_cost(cols, s); }, slot_budget);
            const Clock::time_point slot_start = Clock::now();
            slot_started = slot_start;
            std::vector<Measurement> ms;
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                if (seconds_since(start) > opt.budget) {
                    out_of_budget = true;
                    break;
                }
                const double ns = time_variant(*candidates[i], a, target);
                ms.push_back({candidates[i], ns});
                last_ns[i] = ns;
                ++slot_measured;
                progress(label + ": " + std::string(candidates[i]->name));
            }
            ++slots_done;
            if (out_of_budget) {
                skipped.push_back(label + " (incomplete)");
                steps_done += candidates.size() - ms.size();
                continue;
            }
            std::fprintf(stderr, "tune: %s: %zu variants at %zu columns, %.1f s\n", label.c_str(), ms.size(), cols,
                         seconds_since(slot_start));
            std::fflush(stderr);
            Row row{class_label(sc), t, {}, {}};
            for (const Measurement& m : ms) {
                if (row.fast.v == nullptr || m.ns_per_element < row.fast.ns_per_element) row.fast = m;
                if (m.v->max_ulp <= kAccurateMaxUlp &&
                    (row.accurate.v == nullptr || m.ns_per_element < row.accurate.ns_per_element))
                    row.accurate = m;
            }
            auto entry = [&](const char* tier, const Measurement& m) {
                tuning::Entry e;
                e.cols_min = sc.cols_min;
                e.cols_max = sc.cols_max;
                e.threads = t;
                e.tier = tier;
                e.variant = std::string(m.v->name);
                e.items_per_second = m.items_per_second();
                e.max_ulp = m.v->max_ulp;
                table.entries.push_back(e);
            };
            entry("fast", row.fast);
            if (row.accurate.v != nullptr) entry("accurate", row.accurate);
            rows.push_back(row);
        }
    }

    const std::string json = tuning::to_json(table);
    util::write_files_atomically({{out_path, json}});

    std::vector<std::vector<std::string>> cells;
    cells.push_back({"CLASS", "THREADS", "FAST", "G ELEM/S", "ACCURATE (<= 1 ULP)", "G ELEM/S"});
    for (const Row& r : rows)
        cells.push_back({r.label, std::to_string(r.threads), std::string(r.fast.v->name), gps(r.fast.items_per_second()),
                         r.accurate.v ? std::string(r.accurate.v->name) : "-",
                         r.accurate.v ? gps(r.accurate.items_per_second()) : "-"});
    util::print_table(std::cout, cells);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", seconds_since(start));
    std::cout << "\n" << candidates.size() << " variants measured in " << secs << " s (budget "
              << util::number_text(opt.budget) << " s)\n";
    if (table.split.threads > 0) {
        const auto text = [](std::size_t v) { return v == 0 ? std::string("built-in") : v == SIZE_MAX ? std::string("never") : std::to_string(v); };
        std::cout << "split thresholds (" << table.split.variant << ", 2 threads): min_split_cols "
                  << text(table.split.min_split_cols) << ", one_pass_from " << text(table.split.one_pass_from) << "\n";
    }
    if (!table.target_isa.empty()) std::cout << "target: emulated " << table.target_isa << " (SOFTMAXBENCH_FORCE_ISA)\n";
    if (!skipped.empty()) {
        std::cout << "budget exhausted, skipped:";
        for (std::size_t i = 0; i < skipped.size(); ++i) std::cout << (i ? "; " : " ") << skipped[i];
        std::cout << "\n";
    }
    std::cout << "wrote " << out_path.string() << "\n";
    if (!opt.no_install) {
        util::write_files_atomically({{fs::path(install_path), json}});
        std::cout << "installed " << install_path << " (read by the auto variants)\n";
    }
    return 0;
}

}  // namespace smb::cli
