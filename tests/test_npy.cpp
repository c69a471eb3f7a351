// smb::npy: round trips, files written by NumPy, header syntax, and every rejected input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <csignal>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detail/atomic_file.hpp"
#include "npy/npy.hpp"

namespace fs = std::filesystem;
using smb::npy::Error;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// A fresh scratch directory per test case, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("smb_test_npy_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path operator/(const std::string& name) const { return path / name; }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le_bytes(std::uint64_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}

std::string float_bytes(const std::vector<float>& v) {
    std::string s;
    for (float f : v) s += le_bytes(std::bit_cast<std::uint32_t>(f), 4);
    return s;
}

// An .npy file with the given header dict text (padded to 64 bytes with '\n' at the end).
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
    const int len_bytes = major == 1 ? 2 : 4;
    std::string header = dict;
    const std::size_t unpadded = 8 + len_bytes + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' +
           le_bytes(header.size(), len_bytes) + header + data;
}

std::string dict_of(const std::string& descr, const std::string& fortran, const std::string& shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

// The message of the smb::npy::Error `f` throws (fails the test if it throws nothing else).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        const std::string msg = e.what();
        CHECK(msg.find('\n') == std::string::npos);
        return msg;
    }
    FAIL("no smb::npy::Error thrown");
    return {};
}

std::string read_error(const TempDir& dir, const std::string& bytes) {
    const fs::path p = dir / "bad.npy";
    spit(p, bytes);
    const std::string msg = error_of([&] { smb::npy::read(p); });
    CHECK_THAT(msg, StartsWith(p.string() + ": "));
    return msg;
}

// ---- bytes written by NumPy 1.24: np.save(f, np.array([[1.5, -2, 0.25], [3, 0, -0.125]],
// dtype=np.float32)) -- note NumPy pads its header to 128 bytes, not 64.
const unsigned char kNumpy2x3[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63,
    0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74,
    0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73,
    0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x32, 0x2c, 0x20,
    0x33, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x40, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbe};

// np.save(f, np.array([2.0, 1.0, 0.1], dtype=np.float32))
const unsigned char kNumpy1d[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63,
    0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74,
    0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73,
    0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20, 0x28, 0x33, 0x2c, 0x29,
    0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a,
    0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x80, 0x3f, 0xcd, 0xcc, 0xcc, 0x3d};

// np.lib.format.write_array(f, np.zeros((2,), np.float32), version=(2, 0)); version 3.0 is the
// same bytes with 0x03 as the major version.
const char kNumpyV2Header[] =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    "                                                          \n";

std::string as_string(const unsigned char* p, std::size_t n) {
    return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

TEST_CASE("npy: round trip of 1-D and 2-D arrays, special values bit-exact", "[npy]") {
    TempDir dir;
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float tiny = std::numeric_limits<float>::denorm_min();

    SECTION("1-D") {
        const std::vector<float> v = {1.0f, -0.0f, inf, -inf, nan, tiny, 3.0e38f};
        const std::vector<std::size_t> shape = {v.size()};
        smb::npy::write(dir / "a.npy", shape, v);
        const auto a = smb::npy::read(dir / "a.npy");
        CHECK(a.shape == shape);
        CHECK(a.rows() == 1);
        CHECK(a.cols() == v.size());
        REQUIRE(a.data.size() == v.size());
        for (std::size_t i = 0; i < v.size(); ++i)
            CHECK(std::bit_cast<std::uint32_t>(a.data[i]) == std::bit_cast<std::uint32_t>(v[i]));
    }
    SECTION("2-D") {
        std::vector<float> v(3 * 5);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.37f - 2.0f;
        const std::vector<std::size_t> shape = {3, 5};
        smb::npy::write(dir / "b.npy", shape, v);
        const auto a = smb::npy::read(dir / "b.npy");
        CHECK(a.shape == shape);
        CHECK(a.rows() == 3);
        CHECK(a.cols() == 5);
        CHECK(a.data == v);
    }
    SECTION("zero-length shapes") {
        for (const std::vector<std::size_t>& shape :
             {std::vector<std::size_t>{0}, std::vector<std::size_t>{3, 0},
              std::vector<std::size_t>{0, 5}, std::vector<std::size_t>{0, 0}}) {
            smb::npy::write(dir / "z.npy", shape, std::span<const float>());
            const auto a = smb::npy::read(dir / "z.npy");
            CHECK(a.shape == shape);
            CHECK(a.data.empty());
        }
    }
}

TEST_CASE("npy: writer layout follows the format spec", "[npy]") {
    TempDir dir;
    const std::vector<float> v = {2.0f, 1.0f, 0.1f};
    const std::vector<std::size_t> shape = {3};
    smb::npy::write(dir / "w.npy", shape, v);
    const std::string bytes = slurp(dir / "w.npy");
    REQUIRE(bytes.size() >= 10);
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t hlen = static_cast<unsigned char>(bytes[8]) |
                             (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    const std::size_t data_offset = 10 + hlen;
    CHECK(data_offset % 64 == 0);
    CHECK(bytes[data_offset - 1] == '\n');
    // Same dict text NumPy writes, then spaces.
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    CHECK(bytes.substr(10, dict.size()) == dict);
    CHECK(bytes.find_first_not_of(' ', 10 + dict.size()) == data_offset - 1);
    CHECK(bytes.substr(data_offset) == float_bytes(v));
    // The exact bytes NumPy wrote for this array carry the same data.
    CHECK(bytes.substr(data_offset) == as_string(kNumpy1d, sizeof kNumpy1d).substr(128));

    CHECK(smb::npy::format_header(std::vector<std::size_t>{}) ==
          "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
    CHECK(smb::npy::format_header(std::vector<std::size_t>{2, 3}) ==
          "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
}

TEST_CASE("npy: reads files written by NumPy (format 1.0, 2.0, 3.0)", "[npy]") {
    TempDir dir;
    SECTION("2-D, version 1.0") {
        spit(dir / "n.npy", as_string(kNumpy2x3, sizeof kNumpy2x3));
        const auto a = smb::npy::read(dir / "n.npy");
        CHECK(a.shape == std::vector<std::size_t>{2, 3});
        CHECK(a.data == std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f, 0.0f, -0.125f});
    }
    SECTION("1-D, version 1.0") {
        spit(dir / "n.npy", as_string(kNumpy1d, sizeof kNumpy1d));
        const auto a = smb::npy::read(dir / "n.npy");
        CHECK(a.shape == std::vector<std::size_t>{3});
        CHECK(a.data == std::vector<float>{2.0f, 1.0f, 0.1f});
    }
    for (const char major : {'\x02', '\x03'}) {
        DYNAMIC_SECTION("version " << int(major) << ".0") {
            const std::string header(kNumpyV2Header, sizeof kNumpyV2Header - 1);
            std::string bytes = std::string("\x93NUMPY", 6) + major + '\0' +
                                le_bytes(header.size(), 4) + header + std::string(8, '\0');
            CHECK((12 + header.size()) % 64 == 0);
            spit(dir / "v.npy", bytes);
            const auto a = smb::npy::read(dir / "v.npy");
            CHECK(a.shape == std::vector<std::size_t>{2});
            CHECK(a.data == std::vector<float>{0.0f, 0.0f});
        }
    }
}

TEST_CASE("npy: header dict syntax variants", "[npy]") {
    using smb::npy::parse_header;
    const auto shape_of = [](const std::string& text) { return parse_header(text, "h").shape; };

    CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") ==
          std::vector<std::size_t>{2, 3});
    // Any key order, double quotes, no trailing comma, odd spacing, newlines and tabs.
    const auto h = parse_header("{ \"shape\" :(7,),\t'fortran_order':True ,\n'descr':\"<f8\"}\n", "h");
    CHECK(h.shape == std::vector<std::size_t>{7});
    CHECK(h.fortran_order);
    CHECK(h.descr == "<f8");
    CHECK(shape_of("{'descr':'<f4','fortran_order':False,'shape':()}") == std::vector<std::size_t>{});
    CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': ( 4 , ), }      \n") ==
          std::vector<std::size_t>{4});
    CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4)}") ==
          std::vector<std::size_t>{2, 3, 4});
    CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }") ==
          std::vector<std::size_t>{3, 4});
    CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551615,), }") ==
          std::vector<std::size_t>{18446744073709551615ULL});
}

TEST_CASE("npy: malformed header dicts are rejected with a reason", "[npy]") {
    const auto err = [](const std::string& text) {
        const std::string msg = error_of([&] { smb::npy::parse_header(text, "file.npy"); });
        CHECK_THAT(msg, StartsWith("file.npy: malformed header: "));
        return msg;
    };
    CHECK_THAT(err(""), Contains("must be a dict"));
    CHECK_THAT(err("[1, 2]"), Contains("must be a dict"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False}"), Contains("missing key 'shape'"));
    CHECK_THAT(err("{'shape': (1,), 'fortran_order': False}"), Contains("missing key 'descr'"));
    CHECK_THAT(err("{'descr': '<f4', 'shape': (1,)}"), Contains("missing key 'fortran_order'"));
    CHECK_THAT(err("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"),
               Contains("duplicate key 'descr'"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"),
               Contains("unexpected key 'extra'"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}"),
               Contains("is not a tuple; write (3,)"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}"),
               Contains("must be a tuple, not a list"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}"),
               Contains("negative dimension"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551616,)}"),
               Contains("overflows size_t"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}"),
               Contains("expected True or False"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (3,,)}"),
               Contains("non-negative integer"));
    CHECK_THAT(err("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}"),
               Contains("expected ',' or '}'"));
    CHECK_THAT(err("{'descr: '<f4', 'fortran_order': False, 'shape': (3,)}"),
               Contains("expected ':'"));
    CHECK_THAT(err("{'descr': '<f4"), Contains("unterminated string"));
    CHECK_THAT(err("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x"),
               Contains("after the closing '}'"));
    // Control characters from the file are escaped: the message stays one line.
    CHECK_THAT(err("{'descr': '<f4',\n\n\n 'bogus\x01': 1}"), Contains("'bogus\\x01'"));
}

TEST_CASE("npy: read rejects bad files with one clear line", "[npy]") {
    TempDir dir;
    const std::string data6 = float_bytes({1, 2, 3, 4, 5, 6});

    SECTION("missing file") {
        const fs::path p = dir / "nope.npy";
        CHECK(error_of([&] { smb::npy::read(p); }) ==
              p.string() + ": cannot open: No such file or directory");
    }
    SECTION("a directory") {
        CHECK_THAT(error_of([&] { smb::npy::read(dir.path); }), Contains("is a directory"));
    }
    SECTION("empty file") {
        CHECK_THAT(read_error(dir, ""), Contains("not a NumPy .npy file (the file is empty)"));
    }
    SECTION("bad magic") {
        CHECK_THAT(read_error(dir, "hello, world\n"), Contains("not a NumPy .npy file"));
        CHECK_THAT(read_error(dir, "\x93NUM"), Contains("not a NumPy .npy file"));
        CHECK_THAT(read_error(dir, std::string("PK\x03\x04", 4) + std::string(100, 'x')),
                   Contains("no \\x93NUMPY magic"));
    }
    SECTION("unsupported version") {
        std::string b = npy_bytes(dict_of("<f4", "False", "(6,)"), data6);
        b[6] = 4;
        CHECK_THAT(read_error(dir, b), Contains("unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)"));
        b[6] = 1;
        b[7] = 1;
        CHECK_THAT(read_error(dir, b), Contains("unsupported .npy format version 1.1"));
    }
    SECTION("truncated preamble and header") {
        // A file shorter than the 10-byte preamble reports its real size.
        CHECK_THAT(read_error(dir, std::string("\x93NUMPY\x01", 7)),
                   Contains("truncated .npy preamble (the file ends inside the version field: it has 7 bytes)"));
        CHECK_THAT(read_error(dir, std::string("\x93NUMPY\x01\x00\x76", 9)),
                   Contains("truncated .npy preamble (the file ends inside the header length: it has 9 "
                            "bytes, the preamble alone needs 10)"));
        CHECK_THAT(read_error(dir, std::string("\x93NUMPY\x02\x00\x76\x00\x00", 11)),
                   Contains("it has 11 bytes, the preamble alone needs 12"));
        const std::string b = npy_bytes(dict_of("<f4", "False", "(6,)"), data6);
        CHECK_THAT(read_error(dir, b.substr(0, 40)),
                   Contains("truncated header: the header length field says 118 bytes, the file has only 30"));
    }
    SECTION("malformed header") {
        CHECK_THAT(read_error(dir, npy_bytes("{'descr': '<f4', 'fortran_order': False}", "")),
                   Contains("malformed header: missing key 'shape'"));
        CHECK_THAT(read_error(dir, npy_bytes("not a dict at all", "")), Contains("malformed header"));
    }
    SECTION("wrong dtype, naming the dtype found") {
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f8", "False", "(3,)"), std::string(24, '\0'))),
                   Contains("unsupported dtype '<f8' (float64, little-endian); only '<f4' (float32, "
                            "little-endian) is supported"));
        CHECK_THAT(read_error(dir, npy_bytes(dict_of(">f4", "False", "(6,)"), data6)),
                   Contains("unsupported dtype '>f4' (float32, big-endian)"));
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<i4", "False", "(6,)"), data6)),
                   Contains("unsupported dtype '<i4' (int32, little-endian)"));
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("|b1", "False", "(6,)"), std::string(6, '\1'))),
                   Contains("unsupported dtype '|b1' (bool)"));
        CHECK_THAT(read_error(dir, npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                             "'shape': (6,), }", data6)),
                   Contains("unsupported dtype: a structured (record) dtype"));
    }
    SECTION("Fortran order") {
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "True", "(2, 3)"), data6)),
                   Contains("Fortran-order (column-major) arrays are not supported"));
    }
    SECTION("0-d and more than 2 dimensions") {
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "()"), float_bytes({1}))),
                   Contains("0-d (scalar) array is not supported; expected 1 or 2 dimensions"));
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "(1, 2, 3)"), data6)),
                   Contains("3-d array of shape (1, 2, 3) is not supported; expected 1 or 2 dimensions"));
    }
    SECTION("shape overflowing size_t") {
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "(4294967296, 4294967296)"), "")),
                   Contains("element count overflows size_t"));
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "(4611686018427387904,)"), "")),
                   Contains("byte size overflows size_t"));
        // Fits size_t but not the file: reported as truncated, without allocating it.
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "(1000000000000, 1000)"), "")),
                   Contains("needs 4000000000000000 bytes of float32 data, found 0"));
    }
    SECTION("truncated data: expected vs present bytes") {
        const std::string b = npy_bytes(dict_of("<f4", "False", "(2, 3)"), data6);
        CHECK_THAT(read_error(dir, b.substr(0, b.size() - 4)),
                   Contains("truncated data: shape (2, 3) needs 24 bytes of float32 data, found 20"));
        CHECK_THAT(read_error(dir, b.substr(0, b.size() - 24)),
                   Contains("truncated data: shape (2, 3) needs 24 bytes of float32 data, found 0"));
    }
    SECTION("trailing bytes after the data") {
        const std::string b = npy_bytes(dict_of("<f4", "False", "(2, 3)"), data6 + "JUNK");
        CHECK_THAT(read_error(dir, b), Contains("unexpected trailing bytes after the data: shape "
                                                "(2, 3) needs 24 bytes of float32 data, found 28"));
    }
}

TEST_CASE("npy: read from a non-seekable source (pipe)", "[npy]") {
    TempDir dir;
    const std::string good = npy_bytes(dict_of("<f4", "False", "(2,)"), float_bytes({1.5f, 2.5f}));
    const auto via_pipe = [](const std::string& bytes) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
        ::close(fds[1]);
        const std::string path = "/dev/fd/" + std::to_string(fds[0]);
        struct Closer {
            int fd;
            ~Closer() { ::close(fd); }
        } closer{fds[0]};
        return smb::npy::read(path);
    };
    CHECK(via_pipe(good).data == std::vector<float>{1.5f, 2.5f});
    CHECK_THROWS_WITH(via_pipe(good.substr(0, good.size() - 2)),
                      Contains("needs 8 bytes of float32 data, found 6"));
    CHECK_THROWS_WITH(via_pipe(good + "x"), Contains("unexpected trailing bytes"));
}

TEST_CASE("npy: write is atomic and leaves nothing behind on failure", "[npy]") {
    TempDir dir;
    const std::vector<float> v = {1, 2, 3};
    const std::vector<std::size_t> shape = {3};

    SECTION("replaces an existing file") {
        spit(dir / "out.npy", "old contents");
        smb::npy::write(dir / "out.npy", shape, v);
        CHECK(smb::npy::read(dir / "out.npy").data == v);
        CHECK(dir.entries() == std::vector<std::string>{"out.npy"});
    }
    SECTION("missing directory") {
        const fs::path p = dir / "no/such/dir/out.npy";
        CHECK(error_of([&] { smb::npy::write(p, shape, v); }) ==
              p.string() + ": cannot write: directory '" + (dir / "no/such/dir").string() +
                  "' does not exist");
        CHECK(dir.entries().empty());
    }
    SECTION("target is a directory: no temporary left, directory untouched") {
        fs::create_directory(dir / "sub.npy");
        CHECK(error_of([&] { smb::npy::write(dir / "sub.npy", shape, v); }) ==
              (dir / "sub.npy").string() + ": cannot write: it is a directory");
        CHECK(dir.entries() == std::vector<std::string>{"sub.npy"});
        CHECK(fs::is_empty(dir / "sub.npy"));
    }
    SECTION("shape and data disagree") {
        const std::vector<std::size_t> bad = {2, 2};
        CHECK_THAT(error_of([&] { smb::npy::write(dir / "x.npy", bad, v); }),
                   Contains("shape (2, 2) has 4 elements but 3 values were given"));
        CHECK(dir.entries().empty());
    }
    SECTION("relative path in the current directory") {
        const fs::path old = fs::current_path();
        fs::current_path(dir.path);
        smb::npy::write("rel.npy", shape, v);
        fs::current_path(old);
        CHECK(smb::npy::read(dir / "rel.npy").data == v);
        CHECK(dir.entries() == std::vector<std::string>{"rel.npy"});
    }
}

TEST_CASE("npy: Error is a std::runtime_error", "[npy]") {
    const Error e("a\nb.npy", "bad\tthing");
    const std::runtime_error& base = e;
    CHECK(std::string(base.what()) == "a\\x0ab.npy: bad\\x09thing");
}

TEST_CASE("npy: messages echo at most ~200 characters of a header, a dtype or a shape", "[npy]") {
    TempDir dir;
    const std::string long_key(5000, 'k');
    const std::string long_descr = "<f4" + std::string(5000, 'x');
    std::string many_dims = "(";
    for (int i = 0; i < 3000; ++i) many_dims += "1, ";
    many_dims += ")";
    const auto short_enough = [](const std::string& msg) {
        INFO(msg.substr(0, 300));
        CHECK(msg.size() < 200 + 200);  // the file name, the fixed text and at most 200 echoed
    };
    SECTION("a long key") {
        const std::string msg = error_of([&] {
            smb::npy::parse_header("{'" + long_key + "': 1, 'descr': '<f4'}", "f.npy");
        });
        CHECK_THAT(msg, Contains("unexpected key 'kkkk"));
        CHECK_THAT(msg, Contains("... (5000 bytes in all)"));
        short_enough(msg);
        const std::string msg2 = error_of([&] { smb::npy::parse_header("{'" + long_key + "' 1}", "f.npy"); });
        CHECK_THAT(msg2, Contains("expected ':' after key 'kkkk"));
        short_enough(msg2);
        // Escaped control characters count as what is printed.
        const std::string msg4 = error_of(
            [&] { smb::npy::parse_header("{'" + std::string(3000, '\x01') + "': 1}", "f.npy"); });
        CHECK_THAT(msg4, Contains("'\\x01\\x01"));
        short_enough(msg4);
    }
    SECTION("a long dtype") {
        const std::string msg =
            read_error(dir, npy_bytes(dict_of(long_descr, "False", "(1,)"), float_bytes({1})));
        CHECK_THAT(msg, Contains("unsupported dtype '<f4xxx"));
        CHECK_THAT(msg, Contains("... (5003 bytes in all)'"));
        short_enough(msg);
    }
    SECTION("a shape of 3000 dimensions") {
        const std::string msg = read_error(dir, npy_bytes(dict_of("<f4", "False", many_dims), float_bytes({1})));
        CHECK_THAT(msg, Contains("3000-d array of shape (1, 1, 1"));
        CHECK_THAT(msg, Contains("... (3000 dimensions) is not supported"));
        short_enough(msg);
    }
    SECTION("a short shape is echoed whole") {
        CHECK_THAT(read_error(dir, npy_bytes(dict_of("<f4", "False", "(2, 3, 4)"), "")),
                   Contains("3-d array of shape (2, 3, 4) is not supported"));
    }
}

TEST_CASE("npy: a file whose size fstat under-reports (/proc) is read as a stream", "[npy]") {
    // /proc/PID/cmdline is a regular file of st_size 0 that holds the process's argv, NUL
    // separated. With argv[0] = "\x93NUMPY\x01" it starts as an .npy preamble: version 1.0 (the
    // NUL after argv[0] is the minor version), header length "-c" = 0x632d = 25389 bytes, of
    // which the file holds 8 more ("\0read x\0"). fstat's 0 must not underflow a byte count.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::string arg0 = "\x93NUMPY\x01", arg1 = "-c", arg2 = "read x";
    char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
    char* envp[] = {nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    REQUIRE(rc == 0);
    const std::string proc = "/proc/" + std::to_string(pid) + "/cmdline";
    // posix_spawn may return while the exec is still under way (the file is then empty).
    for (int i = 0; i < 500 && slurp(proc).substr(0, 6) != "\x93NUMPY"; ++i) ::usleep(10000);
    std::string msg;
    try {
        smb::npy::read(proc);
    } catch (const Error& e) {
        msg = e.what();
    }
    ::close(fds[1]);  // EOF: `read x` returns, the shell exits
    int status = 0;
    ::waitpid(pid, &status, 0);
    struct stat st {};
    const bool proc_file_is_sizeless = ::stat("/proc/self/cmdline", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
    REQUIRE(proc_file_is_sizeless);
    CHECK(msg == proc + ": truncated header: the header length field says 25389 bytes, the file has only 8");
}

TEST_CASE("npy: write through symbolic links, keep permission bits, refuse non-regular targets", "[npy]") {
    TempDir dir;
    const std::vector<float> v = {1, 2, 3};
    const std::vector<std::size_t> shape = {3};
    fs::create_directory(dir / "sub");

    SECTION("a symlink survives; its target is replaced, the temporary was beside the target") {
        spit(dir / "sub/real.npy", "old contents");
        fs::create_symlink("sub/real.npy", dir / "link.npy");
        fs::create_symlink("link.npy", dir / "link2.npy");  // a chain of two
        smb::npy::write(dir / "link2.npy", shape, v);
        CHECK(fs::is_symlink(dir / "link.npy"));
        CHECK(fs::is_symlink(dir / "link2.npy"));
        CHECK(fs::read_symlink(dir / "link.npy") == "sub/real.npy");
        CHECK(smb::npy::read(dir / "sub/real.npy").data == v);
        CHECK(dir.entries() == std::vector<std::string>{"link.npy", "link2.npy", "sub"});
        std::vector<std::string> in_sub;
        for (const auto& e : fs::directory_iterator(dir / "sub")) in_sub.push_back(e.path().filename().string());
        CHECK(in_sub == std::vector<std::string>{"real.npy"});
    }
    SECTION("a dangling symlink: its target is created") {
        fs::create_symlink(dir / "sub/new.npy", dir / "abs_link.npy");
        smb::npy::write(dir / "abs_link.npy", shape, v);
        CHECK(fs::is_symlink(dir / "abs_link.npy"));
        CHECK(smb::npy::read(dir / "sub/new.npy").data == v);
    }
    SECTION("an existing file keeps its permission bits; a new one gets 0666 & ~umask") {
        spit(dir / "p.npy", "old");
        fs::permissions(dir / "p.npy", static_cast<fs::perms>(0604));
        smb::npy::write(dir / "p.npy", shape, v);
        CHECK(static_cast<unsigned>(fs::status(dir / "p.npy").permissions() & fs::perms::mask) == 0604u);
        CHECK(smb::npy::read(dir / "p.npy").data == v);
        const mode_t mask = ::umask(0);
        ::umask(mask);
        smb::npy::write(dir / "fresh.npy", shape, v);
        CHECK(static_cast<unsigned>(fs::status(dir / "fresh.npy").permissions() & fs::perms::mask) ==
              (0666u & ~static_cast<unsigned>(mask)));
    }
    SECTION("a FIFO is refused and left as it was") {
        REQUIRE(::mkfifo((dir / "fifo.npy").c_str(), 0644) == 0);
        CHECK(error_of([&] { smb::npy::write(dir / "fifo.npy", shape, v); }) ==
              (dir / "fifo.npy").string() + ": cannot write: it is a FIFO (named pipe); only a regular file is replaced");
        CHECK(fs::is_fifo(dir / "fifo.npy"));
        fs::create_symlink("fifo.npy", dir / "to_fifo.npy");
        CHECK_THAT(error_of([&] { smb::npy::write(dir / "to_fifo.npy", shape, v); }),
                   Contains("cannot write: its target '" + (dir / "fifo.npy").string() + "' is a FIFO"));
        CHECK(dir.entries() == std::vector<std::string>{"fifo.npy", "sub", "to_fifo.npy"});
    }
    SECTION("a socket is refused and left as it was") {
        const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
        REQUIRE(sock >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string path = (dir / "sock.npy").string();
        REQUIRE(path.size() < sizeof addr.sun_path);
        std::copy(path.begin(), path.end(), addr.sun_path);
        REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        CHECK_THAT(error_of([&] { smb::npy::write(dir / "sock.npy", shape, v); }),
                   Contains("cannot write: it is a socket; only a regular file is replaced"));
        CHECK(fs::is_socket(dir / "sock.npy"));
        ::close(sock);
        CHECK(dir.entries() == std::vector<std::string>{"sock.npy", "sub"});
    }
    SECTION("a character device is refused and left as it was") {
        // A copy of /dev/null's node (1, 3) in the scratch directory; creating it needs CAP_MKNOD.
        if (::mknod((dir / "null.npy").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
            WARN("SKIPPED: cannot create a device node here (mknod: " << std::strerror(errno)
                                                                  << "); the device case is not exercised");
            return;
        }
        CHECK_THAT(error_of([&] { smb::npy::write(dir / "null.npy", shape, v); }),
                   Contains("cannot write: it is a character device; only a regular file is replaced"));
        CHECK(fs::is_character_file(dir / "null.npy"));
        CHECK(dir.entries() == std::vector<std::string>{"null.npy", "sub"});
    }
}

namespace {

// In a child process: an AtomicFile for `target` with some bytes written, then `sig` raised.
// Returns the child's wait status.
int die_mid_write(const fs::path& target, int sig) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        // As in a program: the default actions (Catch2 installs its own handlers for SIGINT and
        // SIGTERM while a test runs, and AtomicFile leaves a program's handlers alone).
        for (const int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, SIG_DFL);
        try {
            smb::detail::AtomicFile f(target);
            f.write("half a file");
            ::raise(sig);
        } catch (...) {
        }
        ::_exit(99);  // not reached when the signal kills
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST_CASE("atomic file: SIGINT, SIGTERM and SIGHUP leave no temporary behind", "[npy][atomic]") {
    TempDir dir;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
        INFO("signal " << sig);
        spit(dir / "out.npy", "old");
        const int status = die_mid_write(dir / "out.npy", sig);
        CHECK(WIFSIGNALED(status));
        CHECK((WIFSIGNALED(status) ? WTERMSIG(status) : -1) == sig);
        CHECK(dir.entries() == std::vector<std::string>{"out.npy"});
        CHECK(slurp(dir / "out.npy") == "old");
    }
}

TEST_CASE("atomic file: several files are replaced all or none", "[npy][atomic]") {
    TempDir dir;
    spit(dir / "a.txt", "old a");
    fs::create_directory(dir / "b.txt");
    CHECK_THROWS_WITH(smb::detail::write_files_atomically({{dir / "a.txt", "new a"}, {dir / "b.txt", "new b"}}),
                      (dir / "b.txt").string() + ": cannot write: it is a directory");
    CHECK(slurp(dir / "a.txt") == "old a");
    CHECK(dir.entries() == std::vector<std::string>{"a.txt", "b.txt"});
    smb::detail::write_files_atomically({{dir / "a.txt", "new a"}, {dir / "c.txt", "new c"}});
    CHECK(slurp(dir / "a.txt") == "new a");
    CHECK(slurp(dir / "c.txt") == "new c");
    CHECK(dir.entries() == std::vector<std::string>{"a.txt", "b.txt", "c.txt"});
    // Destroyed without commit(): the temporary goes, the target stays.
    {
        smb::detail::AtomicFile f(dir / "a.txt");
        f.write("never");
        CHECK(fs::exists(f.temporary()));
    }
    CHECK(slurp(dir / "a.txt") == "new a");
    CHECK(dir.entries() == std::vector<std::string>{"a.txt", "b.txt", "c.txt"});
}
