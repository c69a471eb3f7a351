// Helpers the CLI's commands share (main.cpp, accuracy.cpp, tune.cpp); defined in util.cpp.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/json_text.hpp"

namespace smb::cli {

namespace util {

// JSON and number text: one implementation, in the library (src/detail/json_text.hpp).
using json::number_text;
inline std::string json_number(double v) { return json::number(v); }
inline std::string json_number(float v) { return json::number(v); }
inline std::string json_string(std::string_view s) { return json::quote(s); }

// Rows of cells printed as left-aligned columns separated by two spaces; the last column is not
// padded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// A number to %.<digits>g for a CSV cell or a summary table, with a NaN as "nan" whatever its
// sign bit (printf writes "-nan" for x86's default NaN) and infinities as "inf" / "-inf".
std::string short_number(double v, int digits);

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
