// Per-CPU tuning: the winner per (row-length class, thread count, accuracy tier), measured by
// `softmaxbench tune` and read by the `auto` variants.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smb::tuning {

// Row-length classes: cols in [cols_min, cols_max] (inclusive). The same classes everywhere.
struct SizeClass {
    std::size_t cols_min, cols_max;
    std::size_t probe_cols;  // the row length `tune` measures for this class
};
// <=64, 65..1K, 1K+1..16K, 16K+1..256K, 256K+1..4M, >4M
std::vector<SizeClass> size_classes();

struct Entry {
    std::size_t cols_min = 0, cols_max = 0;
    int threads = 1;
    std::string tier;     // "fast": fastest of any variant; "accurate": fastest with max_ulp <= 1
    std::string variant;  // registry name of the winner
    double items_per_second = 0;
    double max_ulp = 0;   // the winner's documented bound
};

// The batch call's row-length thresholds (src/core/batch.cpp), measured by `softmaxbench tune`
// on this machine with `threads` threads and `variant`. 0: not measured (the built-in value
// applies); SIZE_MAX: the switch never paid off up to the longest row measured.
struct SplitThresholds {
    int threads = 0;  // 0: nothing measured (the file has no "split" object)
    std::string variant;
    std::size_t min_split_cols = 0;  // split one row across threads from this many columns
    std::size_t one_pass_from = 0;   // a split form's long-row form (RowSplit::long_split) from here
    // The measurements behind them: (cols, 1-thread time / split time) and
    // (cols, max-first split time / one-pass split time).
    std::vector<std::pair<std::size_t, double>> split_speedup, one_pass_speedup;
};

struct Table {
    std::string machine_id, cpu_model, git_commit, date;  // date: UTC ISO 8601
    // "" for the CPU's own ISAs; the dispatch ISA (e.g. "avx2") when the table was measured
    // for an emulated target (SOFTMAXBENCH_FORCE_ISA below the CPU's best): see emulated_target().
    std::string target_isa;
    std::vector<Entry> entries;
    SplitThresholds split;
};

// The emulated target of this process: the dispatch ISA's name when SOFTMAXBENCH_FORCE_ISA caps
// dispatch below the CPU's best ISA (e.g. "avx2" on an AVX-512 CPU), else "" (native; also when
// the variable is invalid, which dispatch_isa() reports).
std::string emulated_target();
// The results folder name of this process: machine_id(), plus "-emulated-<isa>" for an emulated
// target (scripts/bench.sh and scripts/reproduce.sh name it the same way).
std::string results_folder_name();

// JSON (the format written by to_json; unknown keys are ignored). Throws std::runtime_error
// with a one-line message naming what is wrong (not JSON, missing key, wrong type, a variant
// name the registry does not know).
Table parse(std::string_view json);
std::string to_json(const Table& t);

// The file `auto` reads: $SOFTMAXBENCH_TUNING when set, else
// ${XDG_CONFIG_HOME:-$HOME/.config}/softmaxbench/tuning-<results_folder_name()>.json.
std::string default_path();
// Loads default_path() if it exists. Returns nullopt when there is none or it is unusable; in
// `why` says which file was used or why none was (for `softmaxbench info`). A file written on
// another machine (machine_id differs), or for another target (target_isa differs from
// emulated_target()), is not used.
std::optional<Table> load_default(std::string* why = nullptr);

// The batch call's thresholds (src/core/batch.cpp): the values of the tuning file in use
// (load_default(), read once per process) when it records them, else the built-in ones.
std::size_t min_split_cols();                      // built-in: layout::kMinSplitCols
std::size_t long_split_from(std::size_t builtin);  // built-in: the split form's own long_from
// For `softmaxbench tune` only: replaces both for the rest of the process (0: the built-in
// value, never the file's). Call it while no batch call runs.
void override_split_thresholds(std::size_t min_split_cols, std::size_t one_pass_from);

}  // namespace smb::tuning
