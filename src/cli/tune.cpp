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
    "Timing: warm up, then a sample is the batch call repeated until ~20 ms have passed (less\n"
    "when the budget is tight; at least one call); the median of 5 samples is the time per\n"
    "element. Budget: the (class, threads) slots run smallest class first; each gets its least\n"
    "cost (estimated from the times seen so far, with a margin) plus an equal share of what\n"
    "is left after reserving the least cost of every later slot, so the long rows are not\n"
    "starved; time a slot leaves unused goes to the later ones. A slot that cannot fit in\n"
    "what is left, or that the budget runs out in, is skipped (and listed); the rest is kept.\n"
    "Winners per (class, threads): fast = the fastest variant; accurate = the fastest whose\n"
    "documented softmax bound (max_ulp) is <= 1 ULP.\n"
    "Writes the table (JSON) to FILE atomically, default results/<machine_id>/tuning.json,\n"
    "prints it, and (unless --no-install) copies it to the file the auto variants read:\n"
    "$SOFTMAXBENCH_TUNING when set, else\n"
    "${XDG_CONFIG_HOME:-$HOME/.config}/softmaxbench/tuning-<machine_id>.json.\n"
    "With 2 threads the one row goes through softmax_batch with threads = 2: it is split\n"
    "across the threads where softmax_batch splits a row (variants with a row split, long\n"
    "rows); otherwise the 2-thread number measures the same single-threaded call.\n\n";

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

struct Measurement {
    const Variant* v = nullptr;
    double ns_per_element = 0;
    double items_per_second() const { return 1e9 / ns_per_element; }
};

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

}  // namespace

int cmd_tune(const TuneOptions& opt) {
    dispatch_isa();  // a bad SOFTMAXBENCH_FORCE_ISA is a runtime error here
    const Clock::time_point start = Clock::now();

    std::vector<const Variant*> candidates;
    for (const Variant& v : all_variants())
        if (available(v) && pickable(v)) candidates.push_back(&v);
    if (candidates.empty()) throw std::runtime_error("no variant to measure on this CPU");

    std::vector<int> thread_counts{1};
    if (util::core_count() >= 2) thread_counts.push_back(2);
    const std::vector<tuning::SizeClass> classes = tuning::size_classes();

    namespace fs = std::filesystem;
    const fs::path out_path = opt.out.empty() ? fs::path("results") / machine_id() / "tuning.json" : fs::path(opt.out);
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

    const std::size_t slots_total = classes.size() * thread_counts.size();
    std::size_t slots_done = 0;
    std::vector<std::string> skipped;
    // Each candidate's ns per element at the last class measured (0: not yet): the estimate for
    // the next, longer rows, so a slot that cannot fit is skipped, not started.
    std::vector<double> last_ns(candidates.size(), 0.0);
    bool out_of_budget = false;

    struct Row {
        std::string label;
        int threads;
        Measurement fast, accurate;  // accurate.v == nullptr: none within kAccurateMaxUlp
    };
    std::vector<Row> rows;

    // What a slot costs at least (seconds): per candidate, a warm-up and 5 samples, each at
    // least `target` seconds and at least one call (at last_ns; unmeasured: target only).
    const auto least_cost = [&](std::size_t cols, double target) {
        double c = 0;
        for (double ns : last_ns) c += 6.0 * std::max(target, ns * 1e-9 * double(cols));
        return c;
    };
    for (const tuning::SizeClass& sc : classes) {
        const std::size_t cols = sc.probe_cols;
        std::vector<float> x, y;
        for (int t : thread_counts) {
            const std::string label = class_label(sc) + " x " + std::to_string(t) + (t == 1 ? " thread" : " threads");
            const double remaining = opt.budget - seconds_since(start);
            const double min_cost = least_cost(cols, 0);
            if (out_of_budget || remaining <= 0 || min_cost > remaining) {
                out_of_budget = true;
                skipped.push_back(label);
                ++slots_done;
                continue;
            }
            if (x.empty()) {
                x = ref::make_row("normal_1", cols, 1);
                y.assign(cols, 0.0f);
            }
            BatchArgs a;
            a.x = x.data();
            a.y = y.data();
            a.rows = 1;
            a.cols = cols;
            a.threads = t;
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
            double lo = kMinTarget, hi = kMaxTarget;
            if (least_cost(cols, hi) > slot_budget) {
                for (int it = 0; it < 40; ++it) {
                    const double mid = 0.5 * (lo + hi);
                    (least_cost(cols, mid) > slot_budget ? hi : lo) = mid;
                }
            } else {
                lo = hi;
            }
            const double target = lo;
            const Clock::time_point slot_start = Clock::now();
            std::vector<Measurement> ms;
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                if (seconds_since(start) > opt.budget) {
                    out_of_budget = true;
                    break;
                }
                const double ns = time_variant(*candidates[i], a, target);
                ms.push_back({candidates[i], ns});
                last_ns[i] = ns;
            }
            ++slots_done;
            if (out_of_budget) {
                skipped.push_back(label + " (incomplete)");
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
