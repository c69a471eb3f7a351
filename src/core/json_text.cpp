#include "detail/json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace smb::json {
namespace {
template <class T>
std::string shortest(T v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}
}  // namespace

std::string number_text(double v) { return shortest(v); }
std::string number_text(float v) { return shortest(v); }
std::string number(double v) { return std::isfinite(v) ? shortest(v) : "null"; }
std::string number(float v) { return std::isfinite(v) ? shortest(v) : "null"; }

std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) return 1;
    if ((b0 & 0xe0) == 0xc0) len = 2, cp = b0 & 0x1fu;
    else if ((b0 & 0xf0) == 0xe0) len = 3, cp = b0 & 0x0fu;
    else if ((b0 & 0xf8) == 0xf0) len = 4, cp = b0 & 0x07u;
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3fu);
    }
    static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

std::string quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        const char* esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : nullptr;
        if (esc) {
            out += esc;
            ++i;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
            ++i;
        } else if (const std::size_t len = utf8_length(s, i); len == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    out += '"';
    return out;
}

}  // namespace smb::json
