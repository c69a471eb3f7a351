// auto: the tuning file steers the pick, the documented bound always holds, and a user can ask
// for the fastest variant within any ULP bound. Own executable: the tuning file is read once
// per process, so this test writes it before the first pick.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

using namespace smb;

TEST_CASE("auto follows this machine's tuning file, within its bound, else the heuristic") {
    const std::string isa(to_string(dispatch_isa()));
    const std::string online = "online." + isa;
    const std::string xs = "max_shifted." + isa + ".xsimd";  // documented 68 ULP: not for auto
    tuning::Table t;
    t.machine_id = machine_id();
    t.cpu_model = cpu_info().model;
    t.git_commit = "test";
    t.date = "2026-11-21T00:00:00Z";
    t.target_isa = tuning::emulated_target();  // a capped process uses only its target's table
    t.entries.push_back({65, 1024, 1, "fast", online, 1e9, find_variant(online)->max_ulp});
    if (find_variant(xs)) t.entries.push_back({1025, 16384, 1, "fast", xs, 2e9, 68.0});
    // Three thread counts in one class, each with its own winner: the memo of picks must tell
    // 2 threads from 4 (a call takes the entry with the most threads not above its own).
    const std::string ms = "max_shifted." + isa, lse = "log_sum_exp." + isa;
    t.entries.push_back({16385, 262144, 1, "fast", online, 1e9, find_variant(online)->max_ulp});
    t.entries.push_back({16385, 262144, 2, "fast", ms, 1e9, find_variant(ms)->max_ulp});
    t.entries.push_back({16385, 262144, 4, "fast", lse, 1e9, find_variant(lse)->max_ulp});
    // Per process: ctest runs this binary twice at once (test_auto, test_auto_force_sse2), and a
    // shared name let one read the other's table or find it removed.
    const std::string path =
        (std::filesystem::temp_directory_path() / ("smb_test_auto_tuning-" + std::to_string(getpid()) + ".json"))
            .string();
    {
        std::ofstream f(path);
        f << tuning::to_json(t);
    }
    REQUIRE(setenv("SOFTMAXBENCH_TUNING", path.c_str(), 1) == 0);

    // Steered by the file.
    CHECK(select_variant(1000, 1, Output::softmax, 8.0).name == online);
    CHECK(auto_source().find(path) != std::string::npos);
    // A winner outside auto's bound is not used; the heuristic picks within it.
    const Variant& mid = select_variant(4096, 1, Output::softmax, 8.0);
    CHECK(mid.name != xs);
    CHECK(mid.max_ulp <= 8.0);
    // A class with no entry: the heuristic.
    CHECK(select_variant(32, 1, Output::softmax, 8.0).max_ulp <= 8.0);
    // Per thread count, in any order of calls (each pick is memoized after its first call).
    for (int round = 0; round < 2; ++round) {
        for (int threads : {4, 2, 1, 3, 8, 2, 4, 1}) {
            const char* want = threads >= 4 ? "lse" : threads >= 2 ? "ms" : "online";
            INFO("round " << round << ", " << threads << " threads: " << want);
            CHECK(select_variant(20000, threads, Output::softmax, 8.0).name ==
                  (threads >= 4 ? lse : threads >= 2 ? ms : online));
        }
    }
    // The batch call runs select_variant's pick, also when its calls alternate between thread
    // counts, outputs, row lengths and the two auto entries (it remembers the last pick per
    // thread). 4 rows: every thread count here gives each thread whole rows, so the rows are
    // the picked variant's row function's, bit for bit.
    {
        const std::size_t rows = 4;
        std::vector<float> x(rows * 20000), y(x.size()), want(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 1013) * 0.037f - 9.0f;
        struct Call {
            const char* entry;
            std::size_t cols;
            int threads;
            Output out;
        };
        const Call calls[] = {{"auto", 20000, 4, Output::softmax},          {"auto", 20000, 4, Output::softmax},
                              {"auto", 20000, 2, Output::softmax},          {"auto", 20000, 1, Output::softmax},
                              {"auto", 20000, 4, Output::softmax},          {"auto", 20000, 4, Output::log_softmax},
                              {"auto.accurate", 20000, 4, Output::softmax}, {"auto", 20000, 4, Output::softmax},
                              {"auto", 1000, 4, Output::softmax},           {"auto", 20000, 2, Output::softmax}};
        for (const Call& c : calls) {
            const Variant& entry = *find_variant(c.entry);
            const Variant& pick = select_variant(c.cols, c.threads, c.out, entry.max_ulp);
            for (std::size_t r = 0; r < rows; ++r) pick.row(x.data() + r * c.cols, want.data() + r * c.cols, c.cols, {c.out});
            BatchArgs b;
            b.x = x.data();
            b.y = y.data();
            b.rows = rows;
            b.cols = c.cols;
            b.threads = c.threads;
            b.output = c.out;
            softmax_batch(entry, b);
            INFO(c.entry << " 4x" << c.cols << ", " << c.threads << " threads, " << to_string(c.out) << ": "
                          << pick.name);
            CHECK(std::memcmp(y.data(), want.data(), rows * c.cols * sizeof(float)) == 0);
        }
        // The pick's row function by itself, as a sanity check on the comparison: ms and lse
        // give different bits on these rows.
        std::vector<float> other(x.size());
        find_variant(ms)->row(x.data(), want.data(), 20000, {});
        find_variant(lse)->row(x.data(), other.data(), 20000, {});
        CHECK(std::memcmp(other.data(), want.data(), 20000 * sizeof(float)) != 0);
    }
    std::remove(path.c_str());
}

TEST_CASE("select_variant honours any max-ULP bound, for softmax and log_softmax") {
    for (Output out : {Output::softmax, Output::log_softmax}) {
        for (double bound : {8.0, 3.0, 1.0, 0.6}) {
            for (std::size_t cols : {16u, 4096u, 1u << 23}) {
                const Variant& v = select_variant(cols, 1, out, bound);
                INFO(to_string(out) << " bound " << bound << " cols " << cols << " -> " << v.name);
                CHECK((out == Output::softmax ? v.max_ulp : v.max_ulp_log) <= bound);
                CHECK(available(v));
                CHECK(v.tier != Tier::unsafe);
                CHECK(v.algorithm != Algorithm::auto_pick);
            }
        }
        CHECK_THROWS_AS(select_variant(100, 1, out, 0.1), std::invalid_argument);
    }
}

TEST_CASE("the auto entries run through the batch call, including a split row") {
    for (const char* name : {"auto", "auto.accurate"}) {
        const Variant& a = *find_variant(name);
        std::vector<float> x(100003), y(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 97) * 0.1f;
        BatchArgs b;
        b.x = x.data();
        b.y = y.data();
        b.rows = 1;
        b.cols = x.size();
        b.threads = 2;
        softmax_batch(a, b);
        double s = 0;
        for (float v : y) s += v;
        INFO(name);
        CHECK(s == Approx(1.0).epsilon(1e-5));
    }
}
