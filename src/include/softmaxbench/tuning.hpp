// Per-CPU tuning: the winner per (row-length class, thread count, accuracy tier), measured by
// `softmaxbench tune` and read by the `auto` variants.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
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

struct Table {
    std::string machine_id, cpu_model, git_commit, date;  // date: UTC ISO 8601
    std::vector<Entry> entries;
};

// JSON (the format written by to_json; unknown keys are ignored). Throws std::runtime_error
// with a one-line message naming what is wrong (not JSON, missing key, wrong type, a variant
// name the registry does not know).
Table parse(std::string_view json);
std::string to_json(const Table& t);

// The file `auto` reads: $SOFTMAXBENCH_TUNING when set, else
// ${XDG_CONFIG_HOME:-$HOME/.config}/softmaxbench/tuning-<machine_id>.json.
std::string default_path();
// Loads default_path() if it exists. Returns nullopt when there is none or it is unusable; in
// `why` says which file was used or why none was (for `softmaxbench info`). A file written on
// another machine (machine_id differs) is not used.
std::optional<Table> load_default(std::string* why = nullptr);

}  // namespace smb::tuning
