// Subcommands of the softmaxbench CLI that live outside main.cpp (accuracy.cpp, tune.cpp), and
// the few helpers those files share. main.cpp registers the options and calls cmd_*; a usage
// error in an option value is caught by the CLI11 validators declared here (exit 2), anything
// the command finds later is a runtime error (an exception: exit 1).
#pragma once

#include "detail/json_text.hpp"
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

// ---- shared helpers ---------------------------------------------------------------------------
namespace util {

// JSON and number text: one implementation, in the library (src/detail/json_text.hpp).
using json::number_text;
inline std::string json_number(double v) { return json::number(v); }
inline std::string json_number(float v) { return json::number(v); }
inline std::string json_string(std::string_view s) { return json::quote(s); }

// Rows of cells printed as left-aligned columns separated by two spaces; the last column is not
// padded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// A CSV field: quoted (with "" for ") when it holds a comma, quote or line break.
std::string csv_field(std::string_view s);

// Now, UTC, ISO 8601 to the second: "2025-01-31T12:34:56Z".
std::string utc_now();

// Creates the targets' directories when missing (ensure_writable_dir), then writes every
// (path, contents) pair with the project's one atomic writer, smb::detail::write_files_atomically
// (src/detail/atomic_file.hpp): all temporaries written and fsync'ed, then renamed; on error
// none is replaced and the exception (a std::runtime_error) says which file failed.
void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

// Creates `dir` (and parents) if needed and checks it is a writable directory; throws
// std::runtime_error naming the problem. Run before long work so it cannot be lost at the end.
void ensure_writable_dir(const std::filesystem::path& dir);

// Whether stderr is a terminal (progress then updates one line with '\r').
bool stderr_is_tty();

// Number of processors OpenMP may use.
int core_count();

}  // namespace util
}  // namespace smb::cli
