// A small strict JSON reader (RFC 8259): objects, arrays, strings (every escape, UTF-8
// checked), numbers, true/false/null; duplicate keys, trailing commas, comments, NaN/Infinity
// and text after the value are errors; nesting is limited to kMaxDepth. Numbers keep their text
// exactly as written, so integers beyond a double (SIZE_MAX) read exactly. Typed access helpers
// throw std::runtime_error with messages that name the key path. Internal: the tuning file
// (src/core/tuning.cpp) reads with it; json_text.hpp is its writing half.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "detail/json_text.hpp"

namespace smb::json {

inline constexpr std::size_t kMaxDepth = 64;  // nesting limit of the reader

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

inline const char* kind_name(Value::Kind k) {
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

inline const Value& member(const Value& obj, std::string_view key, const std::string& where) {
    const Value* v = obj.find(key);
    if (v == nullptr)
        throw std::runtime_error((where.empty() ? "" : where + ": ") + "missing key '" + std::string(key) + "'");
    return *v;
}

inline std::string path_of(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
}

[[noreturn]] inline void wrong_type(const std::string& path, const char* want, const Value& v) {
    throw std::runtime_error(path + ": expected " + want + ", got " + kind_name(v.kind));
}

inline std::string get_string(const Value& obj, std::string_view key, const std::string& where) {
    const Value& v = member(obj, key, where);
    if (v.kind != Value::Kind::string) wrong_type(path_of(where, key), "a string", v);
    return v.text;
}

inline std::uint64_t get_uint(const Value& obj, std::string_view key, const std::string& where) {
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
inline double get_double(const Value& obj, std::string_view key, const std::string& where, bool null_is_inf) {
    const Value& v = member(obj, key, where);
    if (null_is_inf && v.kind == Value::Kind::null) return std::numeric_limits<double>::infinity();
    if (v.kind != Value::Kind::number) wrong_type(path_of(where, key), "a number", v);
    double out = 0;
    const auto r = std::from_chars(v.text.data(), v.text.data() + v.text.size(), out);
    if (r.ec != std::errc() || !std::isfinite(out))
        throw std::runtime_error(path_of(where, key) + ": " + v.text + " is out of range");
    return out;
}

}  // namespace smb::json
