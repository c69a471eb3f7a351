// Subcommands of the softmaxbench CLI that live outside main.cpp (accuracy.cpp, tune.cpp), and
// the few helpers those files share. main.cpp registers the options and calls cmd_*; a usage
// error in an option value is caught by the CLI11 validators declared here (exit 2), anything
// the command finds later is a runtime error (an exception: exit 1).
#pragma once

#include "cli/util.hpp"  // the helpers these files share

#include "detail/json_text.hpp"
#include "softmaxbench/softmax.hpp"
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <ostream>
#include <vector>

namespace smb::cli {

// ---- accuracy ---------------------------------------------------------------------------------

struct AccuracyOptions {
    bool quick = false;         // the default when neither is given
    bool full = false;
    std::string variants;       // comma-separated names; empty: every available variant
    std::string distributions;  // comma-separated names; empty: all nine
    std::string out;            // the CSV; empty: results/<machine_id>/accuracy.csv
    int threads = 0;            // 0: every core
};
extern const char* const kAccuracyDetails;  // --help footer (before the common footer)
int cmd_accuracy(const AccuracyOptions& opt);

// CLI11 validators (return "" when fine, else the message).
std::string check_variant_list(const std::string& list);
std::string check_distribution_list(const std::string& list);
std::string check_accuracy_out(const std::string& path);
std::string check_threads(const std::string& n);  // 1 <= N <= 1024

// ---- tune -------------------------------------------------------------------------------------

struct TuneOptions {
    std::string out;      // empty: results/<machine_id>/tuning.json
    double budget = 120;  // seconds, total
    bool no_install = false;
};
extern const char* const kTuneDetails;
int cmd_tune(const TuneOptions& opt);
std::string check_budget(const std::string& seconds);  // CLI11 validator: 1 <= S <= 86400

// ---- backward (backward.cpp) -------------------------------------------------------------------

// run --op softmax_backward | log_softmax_backward, after main.cpp has checked the options.
struct BackwardRunOptions {
    const Variant* variant;  // of op backward
    Output output;           // which forward output Y is
    std::string dy, y, dx;   // files
    int threads = 1;
};
int cmd_run_backward(const BackwardRunOptions& opt);

// The backward's part of `accuracy` (accuracy_backward.cpp): variants of op backward on every
// distribution x size x op x kind of dy; csv is <stem>-backward.csv's text.
struct BackwardSweep {
    std::string csv;
    std::size_t cases = 0, failed = 0;
    std::vector<std::string> summary;  // one line per variant
};
BackwardSweep sweep_backward(const std::vector<const Variant*>& variants, const std::vector<std::string_view>& dists,
                             const std::vector<std::size_t>& sizes, int threads);

// The bf16 part of `accuracy` (accuracy_bf16.cpp): the variants of dtypes bf16 and bf16_f32 on
// every distribution x size x output; csv is <stem>-bf16.csv's text (header kBf16CsvHeader).
struct Bf16Sweep {
    std::string csv;
    std::size_t cases = 0, failed = 0, out_of_domain = 0;
    // The least share of correctly rounded normal-band outputs over the accurate tier's bf16 ->
    // bf16 variants (NaN when none was scored).
    double accurate_correctly_rounded = std::nan("");
    std::vector<std::string> summary;  // one line per variant
};
extern const char* const kBf16CsvHeader;
Bf16Sweep sweep_bf16(const std::vector<const Variant*>& variants, const std::vector<std::string_view>& dists,
                     const std::vector<std::size_t>& sizes, int threads);

struct JacobianOptions {
    std::string y, j;
};
extern const char* const kJacobianDetails;
int cmd_jacobian(const JacobianOptions& opt);

}  // namespace smb::cli
