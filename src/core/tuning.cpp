// Per-CPU tuning table: size classes, the JSON file `softmaxbench tune` writes and `auto` reads.
//
// The file is JSON (RFC 8259) read by a small strict parser of our own: objects, arrays,
// strings (every escape, UTF-8 checked), numbers, true/false/null; duplicate keys, trailing
// commas, comments, NaN/Infinity and text after the value are errors. Integers are read from
// their digits (cols_max may be SIZE_MAX, which a double cannot hold).
#include "softmaxbench/tuning.hpp"

#include <pwd.h>
#include <unistd.h>

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

#include "detail/json_text.hpp"
#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::tuning {
namespace {

constexpr int kFormat = 1;                      // "format" written by to_json
constexpr std::size_t kMaxDepth = 64;           // nesting limit of the reader
constexpr std::uintmax_t kMaxFileBytes = 1u << 24;  // a tuning file is a few KB

// ---- a JSON value and its reader -------------------------------------------------------------

struct Value {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool boolean = false;
    std::string text;  // string contents, or the number exactly as written
    std::vector<Value> items;
    std::vector<std::pair<std::string, Value>> members;

    const Value* find(std::string_view key) const {
        for (const auto& [k, v] : members)
            if (k == key) return &v;
        return nullptr;
    }
};

const char* kind_name(Value::Kind k) {
    switch (k) {
        case Value::Kind::null: return "null";
        case Value::Kind::boolean: return "a boolean";
        case Value::Kind::number: return "a number";
        case Value::Kind::string: return "a string";
        case Value::Kind::array: return "an array";
        case Value::Kind::object: return "an object";
    }
    return "?";
}


class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}

    Value document() {
        skip_space();
        Value v = value(0);
        skip_space();
        if (pos_ != s_.size()) fail("unexpected text after the JSON value");
        return v;
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;

    [[noreturn]] void fail(const std::string& what) const { fail_at(what, pos_); }
    [[noreturn]] void fail_at(const std::string& what, std::size_t at) const {
        std::size_t line = 1, col = 1;
        for (std::size_t i = 0; i < at && i < s_.size(); ++i) {
            if (s_[i] == '\n') ++line, col = 1;
            else ++col;
        }
        throw std::runtime_error("not JSON: " + what + " at line " + std::to_string(line) +
                                 ", column " + std::to_string(col));
    }
    std::string describe_here() const {
        if (pos_ >= s_.size()) return "end of input";
        const auto c = static_cast<unsigned char>(s_[pos_]);
        if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
        char buf[16];
        std::snprintf(buf, sizeof buf, "byte 0x%02x", unsigned(c));
        return buf;
    }

    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect_word(std::string_view w) {
        if (s_.substr(pos_, w.size()) != w) fail("unexpected " + describe_here() + ", expected a value");
        pos_ += w.size();
    }

    Value value(std::size_t depth) {
        if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
        if (pos_ >= s_.size()) fail("unexpected end of input, expected a value");
        Value v;
        switch (s_[pos_]) {
            case '{': object(v, depth); break;
            case '[': array(v, depth); break;
            case '"':
                v.kind = Value::Kind::string;
                v.text = string();
                break;
            case 't':
                expect_word("true");
                v.kind = Value::Kind::boolean;
                v.boolean = true;
                break;
            case 'f':
                expect_word("false");
                v.kind = Value::Kind::boolean;
                break;
            case 'n': expect_word("null"); break;
            default:
                if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) {
                    v.kind = Value::Kind::number;
                    v.text = number();
                } else {
                    fail("unexpected " + describe_here() + ", expected a value");
                }
        }
        return v;
    }

    void object(Value& v, std::size_t depth) {
        v.kind = Value::Kind::object;
        ++pos_;  // '{'
        skip_space();
        if (eat('}')) return;
        for (;;) {
            skip_space();
            if (pos_ >= s_.size() || s_[pos_] != '"')
                fail("unexpected " + describe_here() + ", expected a string key");
            const std::size_t key_at = pos_;
            std::string key = string();
            if (v.find(key) != nullptr) fail_at("duplicate key \"" + key + "\"", key_at);
            skip_space();
            if (!eat(':')) fail("unexpected " + describe_here() + ", expected ':'");
            skip_space();
            Value item = value(depth + 1);
            v.members.emplace_back(std::move(key), std::move(item));
            skip_space();
            if (eat('}')) return;
            if (!eat(',')) fail("unexpected " + describe_here() + ", expected ',' or '}'");
        }
    }

    void array(Value& v, std::size_t depth) {
        v.kind = Value::Kind::array;
        ++pos_;  // '['
        skip_space();
        if (eat(']')) return;
        for (;;) {
            skip_space();
            v.items.push_back(value(depth + 1));
            skip_space();
            if (eat(']')) return;
            if (!eat(',')) fail("unexpected " + describe_here() + ", expected ',' or ']'");
        }
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
        unsigned cp = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') cp |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') cp |= unsigned(c - 'A' + 10);
            else fail_at("bad hex digit in \\u escape", pos_ - 1);
        }
        return cp;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xc0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += char(0xe0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3f));
            out += char(0x80 | (cp & 0x3f));
        } else {
            out += char(0xf0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3f));
            out += char(0x80 | ((cp >> 6) & 0x3f));
            out += char(0x80 | (cp & 0x3f));
        }
    }

    std::string string() {
        const std::size_t start = pos_;
        ++pos_;  // '"'
        std::string out;
        for (;;) {
            if (pos_ >= s_.size()) fail_at("unterminated string", start);
            const char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                const std::size_t len = json::utf8_length(s_, pos_);
                if (len == 0) fail("invalid UTF-8 in a string");
                out.append(s_.substr(pos_, len));
                pos_ += len;
                continue;
            }
            ++pos_;
            if (pos_ >= s_.size()) fail_at("unterminated string", start);
            const char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xdc00 && cp <= 0xdfff) fail("lone low surrogate in \\u escape");
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        if (!(eat('\\') && eat('u'))) fail("high surrogate without a low one");
                        const unsigned lo = hex4();
                        if (lo < 0xdc00 || lo > 0xdfff) fail("high surrogate without a low one");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail_at(std::string("unknown escape '\\") + e + "'", pos_ - 1);
            }
        }
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    std::string number() {
        const std::size_t start = pos_;
        auto digits = [&] {
            const std::size_t d0 = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            return pos_ - d0;
        };
        eat('-');
        if (eat('0')) {
            if (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') fail("leading zero in a number");
        } else if (digits() == 0) {
            fail("unexpected " + describe_here() + " in a number");
        }
        if (eat('.') && digits() == 0) fail("expected a digit after '.'");
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (digits() == 0) fail("expected a digit in the exponent");
        }
        return std::string(s_.substr(start, pos_ - start));
    }
};

// ---- typed access with messages that name the key -------------------------------------------

const Value& member(const Value& obj, std::string_view key, const std::string& where) {
    const Value* v = obj.find(key);
    if (v == nullptr)
        throw std::runtime_error((where.empty() ? "" : where + ": ") + "missing key '" + std::string(key) + "'");
    return *v;
}

std::string path_of(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
}

[[noreturn]] void wrong_type(const std::string& path, const char* want, const Value& v) {
    throw std::runtime_error(path + ": expected " + want + ", got " + kind_name(v.kind));
}

std::string get_string(const Value& obj, std::string_view key, const std::string& where) {
    const Value& v = member(obj, key, where);
    if (v.kind != Value::Kind::string) wrong_type(path_of(where, key), "a string", v);
    return v.text;
}

std::uint64_t get_uint(const Value& obj, std::string_view key, const std::string& where) {
    const Value& v = member(obj, key, where);
    const std::string path = path_of(where, key);
    if (v.kind != Value::Kind::number) wrong_type(path, "a non-negative integer", v);
    std::uint64_t out = 0;
    const char* b = v.text.data();
    const char* e = b + v.text.size();
    const auto r = std::from_chars(b, e, out);
    if (r.ec == std::errc::result_out_of_range)
        throw std::runtime_error(path + ": " + v.text + " is out of range");
    if (r.ec != std::errc() || r.ptr != e)
        throw std::runtime_error(path + ": expected a non-negative integer, got " + v.text);
    return out;
}

// A double; null stands for +infinity (JSON has none), when `null_is_inf`.
double get_double(const Value& obj, std::string_view key, const std::string& where, bool null_is_inf) {
    const Value& v = member(obj, key, where);
    if (null_is_inf && v.kind == Value::Kind::null) return std::numeric_limits<double>::infinity();
    if (v.kind != Value::Kind::number) wrong_type(path_of(where, key), "a number", v);
    double out = 0;
    const auto r = std::from_chars(v.text.data(), v.text.data() + v.text.size(), out);
    if (r.ec != std::errc() || !std::isfinite(out))
        throw std::runtime_error(path_of(where, key) + ": " + v.text + " is out of range");
    return out;
}

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

}  // namespace

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
      << ",\n  \"date\": " << json::quote(t.date) << ",\n  \"entries\": [";
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
    return base + "/softmaxbench/tuning-" + machine_id() + ".json";
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
    say("using " + path + " (" + std::to_string(t.entries.size()) + " entries, measured " + t.date + ")");
    return t;
}

}  // namespace smb::tuning
