// The CLI's shared helpers (declared in util.hpp): tables, short numbers, CSV fields, time,
// output directories, the atomic writer's CLI entry, terminal and core count.
#include "cli/util.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "detail/atomic_file.hpp"

namespace smb::cli {
namespace util {

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.resize(i + 1, 0);
            width[i] = std::max(width[i], row[i].size());
        }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

std::string short_number(double v, int digits) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char b[40];
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    return b;
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void ensure_writable_dir(const std::filesystem::path& dir_in) {
    namespace fs = std::filesystem;
    const fs::path dir = dir_in.empty() ? fs::path(".") : dir_in;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create directory '" + dir.string() + "': " + ec.message());
    if (!fs::is_directory(dir, ec)) throw std::runtime_error("'" + dir.string() + "' is not a directory");
    if (::access(dir.c_str(), W_OK) != 0)
        throw std::runtime_error("cannot write in directory '" + dir.string() + "': " +
                                 std::error_code(errno, std::generic_category()).message());
}

void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
    for (const auto& f : files) ensure_writable_dir(f.first.parent_path());
    smb::detail::write_files_atomically(files);
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

int core_count() { return std::max(1, omp_get_num_procs()); }

}  // namespace util
}  // namespace smb::cli
