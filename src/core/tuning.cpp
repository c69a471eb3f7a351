// Per-CPU tuning table: size classes, the JSON file `softmaxbench tune` writes and `auto` reads.
//
// The file is JSON (RFC 8259) read by the strict reader in detail/json_read.hpp (integers are
// read from their digits: cols_max may be SIZE_MAX, which a double cannot hold).
#include "softmaxbench/tuning.hpp"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "detail/json_read.hpp"
#include "detail/json_text.hpp"
#include "detail/machine_id.hpp"
#include "layout.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::tuning {
namespace {

using json::get_double;
using json::get_string;
using json::get_uint;
using json::kind_name;
using json::member;
using json::Reader;
using json::Value;
using json::wrong_type;

constexpr int kFormat = 1;                      // "format" written by to_json
constexpr std::uintmax_t kMaxFileBytes = 1u << 24;  // a tuning file is a few KB

// ---- writing ----------------------------------------------------------------------------------

std::string home_dir() {
    if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
    struct passwd pw;
    struct passwd* found = nullptr;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr && *found->pw_dir != '\0')
        return found->pw_dir;
    return {};
}

// [[cols, ratio], ...] with cols >= 1 and ratio > 0.
std::vector<std::pair<std::size_t, double>> parse_ratios(const Value& obj, std::string_view key) {
    std::vector<std::pair<std::size_t, double>> out;
    const Value* a = obj.find(key);
    if (a == nullptr) return out;
    const std::string path = "split." + std::string(key);
    if (a->kind != Value::Kind::array) wrong_type(path, "an array", *a);
    for (std::size_t i = 0; i < a->items.size(); ++i) {
        const Value& p = a->items[i];
        const std::string where = path + "[" + std::to_string(i) + "]";
        if (p.kind != Value::Kind::array || p.items.size() != 2)
            throw std::runtime_error(where + ": expected [cols, ratio]");
        Value pair;  // as an object, to reuse the typed getters' checks and messages
        pair.kind = Value::Kind::object;
        pair.members = {{"cols", p.items[0]}, {"ratio", p.items[1]}};
        const std::uint64_t cols = get_uint(pair, "cols", where);
        const double ratio = get_double(pair, "ratio", where, false);
        if (cols < 1 || cols > SIZE_MAX || !(ratio > 0))
            throw std::runtime_error(where + ": cols must be >= 1 and the ratio > 0");
        out.emplace_back(static_cast<std::size_t>(cols), ratio);
    }
    return out;
}

SplitThresholds parse_split(const Value& sp) {
    if (sp.kind != Value::Kind::object) wrong_type("split", "an object", sp);
    SplitThresholds s;
    const std::uint64_t threads = get_uint(sp, "threads", "split");
    if (threads < 2 || threads > 1u << 16)
        throw std::runtime_error("split.threads: " + std::to_string(threads) + " is out of range (2..65536)");
    s.threads = static_cast<int>(threads);
    s.variant = get_string(sp, "variant", "split");
    for (auto [key, field] : {std::pair{"min_split_cols", &s.min_split_cols}, std::pair{"one_pass_from", &s.one_pass_from}}) {
        if (sp.find(key) == nullptr) continue;  // not measured: the built-in value applies
        const std::uint64_t v = get_uint(sp, key, "split");
        if (v < 1 || v > SIZE_MAX)
            throw std::runtime_error(std::string("split.") + key + ": " + std::to_string(v) + " is out of range");
        *field = static_cast<std::size_t>(v);
    }
    s.split_speedup = parse_ratios(sp, "split_speedup");
    s.one_pass_speedup = parse_ratios(sp, "one_pass_speedup");
    return s;
}

void write_ratios(std::ostream& o, const char* key, const std::vector<std::pair<std::size_t, double>>& r) {
    o << ",\n    \"" << key << "\": [";
    for (std::size_t i = 0; i < r.size(); ++i)
        o << (i ? ", " : "") << "[" << r[i].first << ", " << json::number(r[i].second) << "]";
    o << "]";
}

// The thresholds softmax_batch uses: the tuning file's, read at the first use (0: built-in).
struct ActiveSplit {
    std::atomic<std::size_t> min_split{0}, one_pass{0};
    ActiveSplit() {
        if (const std::optional<Table> t = load_default(); t && t->split.threads > 0) {
            min_split.store(t->split.min_split_cols, std::memory_order_relaxed);
            one_pass.store(t->split.one_pass_from, std::memory_order_relaxed);
        }
    }
};
ActiveSplit& active_split() {
    static ActiveSplit a;
    return a;
}

}  // namespace

std::string emulated_target() {
    try {
        const Isa d = dispatch_isa();
        return d == best_isa_of_cpu() ? std::string() : std::string(to_string(d));
    } catch (const std::exception&) {
        return {};  // an invalid SOFTMAXBENCH_FORCE_ISA: dispatch_isa() reports it where it matters
    }
}

std::string results_folder_name() {
    const std::string target = emulated_target();
    return machine_id() + (target.empty() ? std::string() : "-emulated-" + target);
}

std::size_t min_split_cols() {
    const std::size_t v = active_split().min_split.load(std::memory_order_relaxed);
    return v != 0 ? v : layout::kMinSplitCols;
}

std::size_t long_split_from(std::size_t builtin) {
    const std::size_t v = active_split().one_pass.load(std::memory_order_relaxed);
    return v != 0 ? v : builtin;
}

void override_split_thresholds(std::size_t min_split, std::size_t one_pass_from) {
    ActiveSplit& a = active_split();  // loaded first, so a later first use cannot undo this
    a.min_split.store(min_split, std::memory_order_relaxed);
    a.one_pass.store(one_pass_from, std::memory_order_relaxed);
}

std::vector<SizeClass> size_classes() {
    return {
        {1, 64, 64},
        {65, 1024, 1024},
        {1025, 16384, 16384},
        {16385, 262144, 262144},
        {262145, 4194304, 4194304},
        {4194305, SIZE_MAX, 16777216},
    };
}

Table parse(std::string_view json) {
    const Value doc = Reader(json).document();
    if (doc.kind != Value::Kind::object)
        throw std::runtime_error(std::string("expected a JSON object at the top, got ") + kind_name(doc.kind));
    if (const Value* f = doc.find("format"); f != nullptr) {
        if (f->kind != Value::Kind::number) wrong_type("format", "a number", *f);
        if (f->text != std::to_string(kFormat))
            throw std::runtime_error("unsupported format " + f->text + " (this build reads format " +
                                     std::to_string(kFormat) + ")");
    }
    Table t;
    t.machine_id = get_string(doc, "machine_id", "");
    t.cpu_model = get_string(doc, "cpu_model", "");
    t.git_commit = get_string(doc, "git_commit", "");
    t.date = get_string(doc, "date", "");
    if (doc.find("target_isa") != nullptr) {
        t.target_isa = get_string(doc, "target_isa", "");
        Isa isa;
        if (!parse_isa(t.target_isa, isa))
            throw std::runtime_error("target_isa: unknown ISA '" + t.target_isa + "'");
    }
    if (const Value* sp = doc.find("split"); sp != nullptr) t.split = parse_split(*sp);
    const Value& entries = member(doc, "entries", "");
    if (entries.kind != Value::Kind::array) wrong_type("entries", "an array", entries);
    for (std::size_t i = 0; i < entries.items.size(); ++i) {
        const Value& e = entries.items[i];
        const std::string where = "entries[" + std::to_string(i) + "]";
        if (e.kind != Value::Kind::object) wrong_type(where, "an object", e);
        Entry out;
        const std::uint64_t lo = get_uint(e, "cols_min", where);
        const std::uint64_t hi = get_uint(e, "cols_max", where);
        if (hi > SIZE_MAX) throw std::runtime_error(where + ".cols_max: " + std::to_string(hi) + " is out of range");
        if (lo > hi)
            throw std::runtime_error(where + ": cols_min " + std::to_string(lo) + " > cols_max " + std::to_string(hi));
        out.cols_min = static_cast<std::size_t>(lo);
        out.cols_max = static_cast<std::size_t>(hi);
        const std::uint64_t threads = get_uint(e, "threads", where);
        if (threads < 1 || threads > 1u << 16)
            throw std::runtime_error(where + ".threads: " + std::to_string(threads) + " is out of range (1..65536)");
        out.threads = static_cast<int>(threads);
        out.tier = get_string(e, "tier", where);
        if (out.tier != "fast" && out.tier != "accurate")
            throw std::runtime_error(where + ".tier: unknown tier '" + out.tier + "' (expected fast or accurate)");
        out.variant = get_string(e, "variant", where);
        const Variant* v = find_variant(out.variant);
        if (v == nullptr)
            throw std::runtime_error(where + ".variant: unknown variant '" + out.variant + "'");
        // What auto may pick: never itself (it would recurse), never the unsafe tier.
        if (v->algorithm == Algorithm::auto_pick)
            throw std::runtime_error(where + ".variant: '" + out.variant + "' is an auto entry, not a variant to pick");
        if (v->tier == Tier::unsafe)
            throw std::runtime_error(where + ".variant: '" + out.variant + "' is in the unsafe tier");
        out.items_per_second = get_double(e, "items_per_second", where, false);
        if (out.items_per_second < 0)
            throw std::runtime_error(where + ".items_per_second: negative");
        out.max_ulp = get_double(e, "max_ulp", where, true);
        t.entries.push_back(std::move(out));
    }
    return t;
}

std::string to_json(const Table& t) {
    std::ostringstream o;
    o << "{\n  \"format\": " << kFormat << ",\n  \"machine_id\": " << json::quote(t.machine_id)
      << ",\n  \"cpu_model\": " << json::quote(t.cpu_model) << ",\n  \"git_commit\": " << json::quote(t.git_commit)
      << ",\n  \"date\": " << json::quote(t.date);
    if (!t.target_isa.empty()) o << ",\n  \"target_isa\": " << json::quote(t.target_isa);
    if (t.split.threads > 0) {
        const SplitThresholds& s = t.split;
        o << ",\n  \"split\": {\"threads\": " << s.threads << ", \"variant\": " << json::quote(s.variant);
        if (s.min_split_cols != 0) o << ", \"min_split_cols\": " << s.min_split_cols;
        if (s.one_pass_from != 0) o << ", \"one_pass_from\": " << s.one_pass_from;
        write_ratios(o, "split_speedup", s.split_speedup);
        write_ratios(o, "one_pass_speedup", s.one_pass_speedup);
        o << "}";
    }
    o << ",\n  \"entries\": [";
    for (std::size_t i = 0; i < t.entries.size(); ++i) {
        const Entry& e = t.entries[i];
        o << (i ? ",\n" : "\n") << "    {\"cols_min\": " << e.cols_min << ", \"cols_max\": " << e.cols_max
          << ", \"threads\": " << e.threads << ", \"tier\": " << json::quote(e.tier)
          << ", \"variant\": " << json::quote(e.variant) << ", \"items_per_second\": " << json::number(e.items_per_second)
          << ", \"max_ulp\": " << json::number(e.max_ulp) << "}";
    }
    o << (t.entries.empty() ? "]\n}\n" : "\n  ]\n}\n");
    return o.str();
}

std::string default_path() {
    if (const char* p = std::getenv("SOFTMAXBENCH_TUNING"); p != nullptr && *p != '\0') return p;
    std::string base;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x == '/') {
        base = x;  // the XDG spec ignores relative paths
    } else {
        const std::string home = home_dir();
        if (home.empty()) return {};
        base = home + "/.config";
    }
    return base + "/softmaxbench/tuning-" + results_folder_name() + ".json";
}

std::optional<Table> load_default(std::string* why) {
    auto say = [&](const std::string& s) {
        if (why != nullptr) *why = s;
    };
    const std::string path = default_path();
    if (path.empty()) {
        say("none: no SOFTMAXBENCH_TUNING, XDG_CONFIG_HOME or home directory to look in");
        return std::nullopt;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
        say("none: " + path + " does not exist");
        return std::nullopt;
    }
    if (!fs::is_regular_file(st)) {
        say("not using " + path + ": not a regular file");
        return std::nullopt;
    }
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec || size > kMaxFileBytes) {
        say("not using " + path + ": " + (ec ? ec.message() : std::string("larger than 16 MiB")));
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
        say("not using " + path + ": cannot read it");
        return std::nullopt;
    }
    Table t;
    try {
        t = parse(text);
    } catch (const std::exception& e) {
        say("not using " + path + ": " + e.what());
        return std::nullopt;
    }
    const std::string here = machine_id();
    if (t.machine_id != here) {
        say("not using " + path + ": written on machine '" + t.machine_id + "', this machine is '" + here + "'");
        return std::nullopt;
    }
    if (const std::string target = emulated_target(); t.target_isa != target) {
        const auto name = [](const std::string& isa) {
            return isa.empty() ? std::string("this CPU's own ISAs") : "an emulated " + isa + " target";
        };
        say("not using " + path + ": measured for " + name(t.target_isa) + ", this process runs " + name(target) +
            " (SOFTMAXBENCH_FORCE_ISA)");
        return std::nullopt;
    }
    say("using " + path + " (" + std::to_string(t.entries.size()) + " entries, measured " + t.date + ")");
    return t;
}

}  // namespace smb::tuning
