// .npy reader and writer; see npy.hpp and the NumPy format specification
// (numpy/lib/format.py, "NEP 1"): magic "\x93NUMPY", major, minor, header length (uint16 LE
// for 1.0, uint32 LE for 2.0 and 3.0), the header dict as a Python literal padded with spaces
// and ended by '\n', then the raw data.
#include "npy/npy.hpp"

#include "detail/atomic_file.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smb::npy {

namespace {

constexpr std::array<unsigned char, 6> kMagic = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kAlign = 64;             // the writer aligns the data to this
constexpr std::size_t kMaxHeaderLen = 1 << 20;  // larger headers are rejected as bogus

// Escapes control characters (newlines included) as \xNN so a message stays one line.
std::string printable(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

// At most this many characters of text taken from a file (a key, a dtype, a shape) go into a
// message: a header may be a megabyte long.
constexpr std::size_t kEchoMax = 200;

// printable(s), cut after kEchoMax characters with "... (N bytes in all)".
std::string excerpt(std::string_view s) {
    std::string out;
    std::size_t used = 0;
    for (; used < s.size(); ++used) {
        const std::string piece = printable(s.substr(used, 1));
        if (out.size() + piece.size() > kEchoMax) break;
        out += piece;
    }
    if (used < s.size()) out += "... (" + std::to_string(s.size()) + " bytes in all)";
    return out;
}

std::string errno_text(int err) { return std::strerror(err); }

std::string full_shape_text(std::span<const std::size_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    s += ")";
    return s;
}

// A shape for a message: "(2, 3)", cut after kEchoMax characters.
std::string shape_text(std::span<const std::size_t> shape) {
    std::string s = full_shape_text(shape);
    if (s.size() > kEchoMax)
        s = s.substr(0, kEchoMax) + "... (" + std::to_string(shape.size()) + " dimensions)";
    return s;
}

// "'<f8' (float64, little-endian)" style description of a dtype string, for error messages.
std::string describe_dtype(std::string_view d) {
    std::string out = "'" + excerpt(d) + "'";
    if (d.size() < 3) return out;
    std::string_view order;
    switch (d[0]) {
        case '<': order = "little-endian"; break;
        case '>': order = "big-endian"; break;
        case '=': order = "native byte order"; break;
        case '|': order = ""; break;
        default: return out;
    }
    std::string_view digits = d.substr(2);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return out;
    std::string kind;
    bool with_bits = true;  // "<f8" -> float64: the size field counts bytes
    switch (d[1]) {
        case 'f': kind = "float"; break;
        case 'i': kind = "int"; break;
        case 'u': kind = "uint"; break;
        case 'c': kind = "complex"; break;
        case 'b': kind = "bool"; with_bits = false; break;
        case 'S': kind = "bytes"; with_bits = false; break;
        case 'U': kind = "unicode string"; with_bits = false; break;
        case 'O': kind = "Python object"; with_bits = false; break;
        case 'V': kind = "void"; with_bits = false; break;
        default: return out;
    }
    if (with_bits && digits.size() <= 3) kind += std::to_string(std::stoul(std::string(digits)) * 8);
    out += " (" + kind;
    if (!order.empty()) out += ", " + std::string(order);
    out += ")";
    return out;
}

bool mul_overflows(std::size_t a, std::size_t b, std::size_t& out) {
    return __builtin_mul_overflow(a, b, &out);
}

// ---- header dict parser: the Python-literal subset NumPy writes ------------------------------
class HeaderParser {
public:
    HeaderParser(std::string_view text, std::string_view file) : s_(text), file_(file) {}

    Header parse() {
        Header h;
        bool have_descr = false, have_fortran = false, have_shape = false;
        skip_ws();
        expect('{', "the header must be a dict starting with '{'");
        skip_ws();
        while (!at('}')) {
            const std::string key = parse_string("a quoted key");
            skip_ws();
            expect(':', "expected ':' after key '" + excerpt(key) + "'");
            skip_ws();
            if (key == "descr") {
                if (have_descr) fail("duplicate key 'descr'");
                have_descr = true;
                if (at('['))
                    throw Error(file_, "unsupported dtype: a structured (record) dtype; only '<f4' "
                                       "(float32, little-endian) is supported");
                h.descr = parse_string("a quoted dtype string for 'descr'");
            } else if (key == "fortran_order") {
                if (have_fortran) fail("duplicate key 'fortran_order'");
                have_fortran = true;
                h.fortran_order = parse_bool();
            } else if (key == "shape") {
                if (have_shape) fail("duplicate key 'shape'");
                have_shape = true;
                h.shape = parse_shape();
            } else {
                fail("unexpected key '" + excerpt(key) + "' (allowed: 'descr', 'fortran_order', 'shape')");
            }
            skip_ws();
            if (at(',')) {
                ++pos_;
                skip_ws();
            } else if (!at('}')) {
                fail("expected ',' or '}' after the value of '" + excerpt(key) + "'");
            }
        }
        ++pos_;  // '}'
        skip_ws();
        if (pos_ != s_.size()) fail("unexpected text after the closing '}'");
        if (!have_descr) fail("missing key 'descr'", false);
        if (!have_fortran) fail("missing key 'fortran_order'", false);
        if (!have_shape) fail("missing key 'shape'", false);
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& what, bool with_position = true) const {
        std::string msg = "malformed header: " + what;
        if (with_position) {
            if (pos_ >= s_.size()) {
                msg += " (at end of header)";
            } else {
                std::string_view near = s_.substr(pos_, 16);
                msg += " (at offset " + std::to_string(pos_) + ", near \"" + printable(near) + "\")";
            }
        }
        throw Error(file_, msg);
    }

    bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

    void expect(char c, const std::string& what) {
        if (!at(c)) fail(what);
        ++pos_;
    }

    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    std::string parse_string(const std::string& what) {
        if (!at('\'') && !at('"')) fail("expected " + what);
        const char quote = s_[pos_++];
        std::string out;
        while (pos_ < s_.size() && s_[pos_] != quote) {
            char c = s_[pos_++];
            if (c == '\n') fail("unterminated string");
            if (c == '\\') {
                if (pos_ >= s_.size()) break;
                c = s_[pos_++];
            }
            out += c;
        }
        if (pos_ >= s_.size()) fail("unterminated string");
        ++pos_;  // closing quote
        return out;
    }

    bool parse_bool() {
        if (s_.substr(pos_, 4) == "True") {
            pos_ += 4;
            return true;
        }
        if (s_.substr(pos_, 5) == "False") {
            pos_ += 5;
            return false;
        }
        fail("expected True or False for 'fortran_order'");
    }

    std::size_t parse_dim() {
        if (at('-')) fail("negative dimension in 'shape'");
        if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9')
            fail("expected a non-negative integer in 'shape'");
        std::size_t v = 0;
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            const auto digit = static_cast<std::size_t>(s_[pos_] - '0');
            if (mul_overflows(v, 10, v) || __builtin_add_overflow(v, digit, &v)) {
                pos_ = start;
                fail("dimension in 'shape' overflows size_t");
            }
            ++pos_;
        }
        if (at('L') || at('l')) ++pos_;  // Python 2 long suffix, as old NumPy wrote it
        return v;
    }

    std::vector<std::size_t> parse_shape() {
        if (at('[')) fail("'shape' must be a tuple, not a list");
        expect('(', "expected a tuple for 'shape'");
        skip_ws();
        std::vector<std::size_t> shape;
        bool trailing_comma = false;
        while (!at(')')) {
            shape.push_back(parse_dim());
            skip_ws();
            trailing_comma = false;
            if (at(',')) {
                ++pos_;
                trailing_comma = true;
                skip_ws();
            } else if (!at(')')) {
                fail("expected ',' or ')' in 'shape'");
            }
        }
        // In Python "(3)" is the integer 3, not a tuple; a 1-tuple needs the comma: "(3,)".
        if (shape.size() == 1 && !trailing_comma)
            fail("'shape' (" + std::to_string(shape[0]) + ") is not a tuple; write (" +
                 std::to_string(shape[0]) + ",)");
        ++pos_;  // ')'
        return shape;
    }

    std::string_view s_;
    std::string_view file_;
    std::size_t pos_ = 0;
};

// ---- low-level I/O --------------------------------------------------------------------------
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

// Reads up to n bytes; returns how many were read (short only at end of file).
std::size_t read_fully(int fd, void* buf, std::size_t n, std::string_view file) {
    auto* p = static_cast<unsigned char*>(buf);
    std::size_t got = 0;
    while (got < n) {
        const std::size_t chunk = std::min<std::size_t>(n - got, std::size_t{1} << 30);
        const ssize_t r = ::read(fd, p + got, chunk);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw Error(file, "read error: " + errno_text(errno));
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

std::uint32_t le_u32(const unsigned char* p, std::size_t n) {
    std::uint32_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

[[maybe_unused]] void byteswap_floats(std::span<float> v) {
    for (float& f : v) f = std::bit_cast<float>(__builtin_bswap32(std::bit_cast<std::uint32_t>(f)));
}
[[maybe_unused]] void byteswap_floats(std::span<std::uint16_t> v) {
    for (std::uint16_t& b : v) b = __builtin_bswap16(b);
}

// What the reader accepts and the writer emits, per element type: float32 ('<f4') or bf16 bits
// ('<u2' or '|V2' read, '<u2' written; bf16 has no NumPy dtype of its own).
template <class T>
struct Elem;
template <>
struct Elem<float> {
    static constexpr const char* name = "float32";
    static constexpr const char* descr = "<f4";
    static bool accepts(std::string_view d) { return d == "<f4"; }
    static std::string refusal(std::string_view d) {
        std::string m = "unsupported dtype " + describe_dtype(d) + "; only '<f4' (float32, little-endian) is supported";
        if (d == "<u2" || d == "|V2") m += " (bf16 bits? the run command reads them with --dtype bf16)";
        return m;
    }
};
template <>
struct Elem<std::uint16_t> {
    static constexpr const char* name = "bf16";
    static constexpr const char* descr = "<u2";
    static bool accepts(std::string_view d) { return d == "<u2" || d == "|V2"; }
    static std::string refusal(std::string_view d) {
        return "unsupported dtype " + describe_dtype(d) +
               " for bf16; expected '<u2' (uint16, little-endian) or '|V2' holding bf16 bit patterns";
    }
};

// After the data: the file must end here.
void check_no_trailing(int fd, std::string_view file, const std::string& shape, std::size_t bytes,
                       const char* elem = "float32") {
    unsigned char probe[256];
    if (read_fully(fd, probe, sizeof probe, file) > 0)
        throw Error(file, "unexpected trailing bytes after the data: shape " + shape + " needs " +
                              std::to_string(bytes) + " bytes of " + elem + " data, the file has more");
}

}  // namespace

Error::Error(std::string_view file, std::string_view problem)
    : std::runtime_error(printable(file) + ": " + printable(problem)) {}

Header parse_header(std::string_view text, std::string_view file) {
    return HeaderParser(text, file).parse();
}

std::string format_header(std::span<const std::size_t> shape) {
    return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
}

namespace {

template <class T>
void read_as(const std::filesystem::path& path, std::vector<std::size_t>& shape_out, std::vector<T>& data) {
    using E = Elem<T>;
    const std::string file = path.string();
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw Error(file, "cannot open: " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw Error(file, "cannot stat: " + errno_text(errno));
    if (S_ISDIR(st.st_mode)) throw Error(file, "cannot read: is a directory");
    const auto file_size = static_cast<std::uint64_t>(st.st_size);

    // Preamble: magic, version, header length. Short files say how long they are.
    unsigned char pre[12];
    std::size_t got = read_fully(fd.get(), pre, 8, file);
    if (got == 0) throw Error(file, "not a NumPy .npy file (the file is empty)");
    if (got < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), pre))
        throw Error(file, "not a NumPy .npy file (no \\x93NUMPY magic at the start)");
    if (got < 8)
        throw Error(file, "truncated .npy preamble (the file ends inside the version field: it has " +
                              std::to_string(got) + " bytes)");
    const unsigned major = pre[6], minor = pre[7];
    if (!(minor == 0 && (major == 1 || major == 2 || major == 3)))
        throw Error(file, "unsupported .npy format version " + std::to_string(major) + "." +
                              std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    const std::size_t preamble = 8 + len_bytes;
    got += read_fully(fd.get(), pre + 8, len_bytes, file);
    if (got < preamble)
        throw Error(file, "truncated .npy preamble (the file ends inside the header length: it has " +
                              std::to_string(got) + " bytes, the preamble alone needs " +
                              std::to_string(preamble) + ")");
    const std::size_t header_len = le_u32(pre + 8, len_bytes);
    const std::size_t data_offset = preamble + header_len;
    // The size from fstat is trusted only for a regular file that holds at least what was read
    // already: a file in /proc reports 0 bytes, and a file may shrink or grow while being read.
    // Otherwise the file is read like a pipe, and every count in a message is bytes really read.
    const bool sized = S_ISREG(st.st_mode) && file_size >= preamble;
    if (sized && file_size < data_offset)
        throw Error(file, "truncated header: the header length field says " +
                              std::to_string(header_len) + " bytes, the file has only " +
                              std::to_string(file_size - preamble));
    if (header_len > kMaxHeaderLen)
        throw Error(file, "malformed header: header length " + std::to_string(header_len) +
                              " bytes is implausibly large");

    std::string text(header_len, '\0');
    const std::size_t hgot = read_fully(fd.get(), text.data(), header_len, file);
    if (hgot < header_len)
        throw Error(file, "truncated header: the header length field says " +
                              std::to_string(header_len) + " bytes, the file has only " +
                              std::to_string(hgot));
    const Header h = parse_header(text, file);

    if (!E::accepts(h.descr)) throw Error(file, E::refusal(h.descr));
    if (h.fortran_order)
        throw Error(file, "Fortran-order (column-major) arrays are not supported; save a C-order "
                          "array (numpy.ascontiguousarray)");
    const std::string shape = shape_text(h.shape);
    if (h.shape.empty())
        throw Error(file, "0-d (scalar) array is not supported; expected 1 or 2 dimensions");
    if (h.shape.size() > 2)
        throw Error(file, std::to_string(h.shape.size()) + "-d array of shape " + shape +
                              " is not supported; expected 1 or 2 dimensions");

    std::size_t count = 1;
    for (std::size_t d : h.shape)
        if (mul_overflows(count, d, count))
            throw Error(file, "shape " + shape + " is too large: its element count overflows size_t");
    std::size_t bytes = 0;
    if (mul_overflows(count, sizeof(T), bytes))
        throw Error(file, "shape " + shape + " is too large: its byte size overflows size_t");

    if (sized) {
        const std::uint64_t present = file_size - data_offset;
        if (present < bytes)
            throw Error(file, "truncated data: shape " + shape + " needs " + std::to_string(bytes) +
                                  " bytes of " + E::name + " data, found " + std::to_string(present));
        if (present > bytes)
            throw Error(file, "unexpected trailing bytes after the data: shape " + shape +
                                  " needs " + std::to_string(bytes) + " bytes of " + E::name + " data, found " +
                                  std::to_string(present));
    }

    // Read in steps, growing the buffer as data arrives: for a regular file the size was
    // checked above, for a pipe this avoids trusting the header with one huge allocation.
    shape_out = h.shape;
    data.clear();
    constexpr std::size_t step = std::size_t{1} << 24;  // elements per read
    std::size_t have = 0;
    if (sized) data.reserve(count);
    while (have < count) {
        const std::size_t n = std::min(step, count - have);
        data.resize(have + n);
        const std::size_t g = read_fully(fd.get(), data.data() + have, n * sizeof(T), file);
        if (g < n * sizeof(T))
            throw Error(file, "truncated data: shape " + shape + " needs " + std::to_string(bytes) +
                                  " bytes of " + E::name + " data, found " +
                                  std::to_string(have * sizeof(T) + g));
        have += n;
    }
    check_no_trailing(fd.get(), file, shape, bytes, E::name);
    if constexpr (std::endian::native == std::endian::big) byteswap_floats(std::span<T>(data));
}

}  // namespace

Array read(const std::filesystem::path& path) {
    Array a;
    read_as(path, a.shape, a.data);
    return a;
}

Bf16Array read_bf16(const std::filesystem::path& path) {
    Bf16Array a;
    read_as(path, a.shape, a.data);
    return a;
}

namespace {

// The bytes before the data: magic, version 1.0, header length, the header dict padded with
// spaces and ended by '\n' so that the data starts at a multiple of 64.
std::string preamble_of(std::span<const std::size_t> shape, std::size_t values, const std::string& file,
                        const char* descr = "<f4") {
    std::size_t count = 1;
    for (std::size_t d : shape)
        if (mul_overflows(count, d, count))
            throw Error(file, "cannot write: shape " + shape_text(shape) + " overflows size_t");
    if (count != values)
        throw Error(file, "cannot write: shape " + shape_text(shape) + " has " + std::to_string(count) +
                              " elements but " + std::to_string(values) + " values were given");
    std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((kAlign - unpadded % kAlign) % kAlign, ' ');
    header += '\n';
    if (header.size() > 0xffff) throw Error(file, "cannot write: header too long for format 1.0");
    std::string pre(reinterpret_cast<const char*>(kMagic.data()), kMagic.size());
    pre += '\x01';
    pre += '\x00';
    pre += static_cast<char>(header.size() & 0xff);
    pre += static_cast<char>(header.size() >> 8);
    pre += header;
    return pre;
}

template <class T>
void write_as(detail::AtomicFile& out, std::span<const std::size_t> shape, std::span<const T> data) {
    const std::string file = out.target().string();
    const std::string pre = preamble_of(shape, data.size(), file, Elem<T>::descr);
    try {
        out.write(pre);
        if constexpr (std::endian::native == std::endian::big) {
            std::vector<T> buf;
            for (std::size_t i = 0; i < data.size(); i += 4096) {
                const std::size_t n = std::min<std::size_t>(4096, data.size() - i);
                buf.assign(data.begin() + static_cast<std::ptrdiff_t>(i),
                           data.begin() + static_cast<std::ptrdiff_t>(i + n));
                byteswap_floats(std::span<T>(buf));
                out.write(buf.data(), n * sizeof(T));
            }
        } else {
            out.write(data.data(), data.size() * sizeof(T));
        }
        out.commit();
    } catch (const detail::FileError& e) {
        throw Error(e.file(), e.problem());
    }
}

template <class T>
void write_file_as(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const T> data) {
    const std::string file = path.string();
    (void)preamble_of(shape, data.size(), file, Elem<T>::descr);  // a bad shape fails before any file is created
    try {
        detail::AtomicFile out(path);
        write_as(out, shape, data);
    } catch (const detail::FileError& e) {
        throw Error(e.file(), e.problem());
    }
}

}  // namespace

void write(detail::AtomicFile& out, std::span<const std::size_t> shape, std::span<const float> data) {
    write_as(out, shape, data);
}
void write(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const float> data) {
    write_file_as(path, shape, data);
}
void write_bf16(detail::AtomicFile& out, std::span<const std::size_t> shape, std::span<const std::uint16_t> data) {
    write_as(out, shape, data);
}
void write_bf16(const std::filesystem::path& path, std::span<const std::size_t> shape,
                std::span<const std::uint16_t> data) {
    write_file_as(path, shape, data);
}

}  // namespace smb::npy
