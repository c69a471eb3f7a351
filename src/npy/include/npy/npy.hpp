// Reading and writing NumPy .npy files holding float32 arrays (and bf16 bit patterns: read_bf16,
// write_bf16).
//
// Reader: format versions 1.0, 2.0 and 3.0; dtype '<f4' (float32, little-endian), C order,
// one or two dimensions (any of them may be 0). Writer: format version 1.0, dtype '<f4',
// C order, header padded with spaces so the data starts at a multiple of 64 bytes; the file
// is written through smb::detail::AtomicFile (detail/atomic_file.hpp): a temporary in the
// destination's directory, fsync'ed and renamed over the target, so the target is either the
// complete new file or left as it was (a symbolic link is written through; an existing target
// that is not a regular file is refused; an existing file keeps its permission bits).
//
// Every failure throws smb::npy::Error whose what() is a single line "<file>: <problem>"; text
// taken from the file (a key, a dtype, a shape) is cut after ~200 characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smb::detail {
class AtomicFile;  // detail/atomic_file.hpp (built into the same library): write(AtomicFile&, ...)
}  // namespace smb::detail

namespace smb::npy {

class Error : public std::runtime_error {
public:
    // what() becomes "<file>: <problem>"; control characters in either part are escaped so
    // the message is always one line.
    Error(std::string_view file, std::string_view problem);
};

// A float32 array in C (row-major) order.
struct Array {
    std::vector<std::size_t> shape;  // 1 or 2 entries when returned by read()
    std::vector<float> data;         // product(shape) elements

    // The array seen as rows of its last axis: a 1-D array of n elements is 1 row of n.
    std::size_t rows() const { return shape.size() >= 2 ? shape[0] : 1; }
    std::size_t cols() const { return shape.empty() ? 1 : shape.back(); }
};

// An array of bf16 values as their bit patterns (bf16 has no NumPy dtype: files hold them as
// '<u2', uint16 little-endian, or '|V2', two raw bytes). See README.md for making one.
struct Bf16Array {
    std::vector<std::size_t> shape;
    std::vector<std::uint16_t> data;
    std::size_t rows() const { return shape.size() >= 2 ? shape[0] : 1; }
    std::size_t cols() const { return shape.empty() ? 1 : shape.back(); }
};

// The parsed header dictionary of an .npy file.
struct Header {
    std::string descr;                // e.g. "<f4"; a structured dtype is rejected while parsing
    bool fortran_order = false;
    std::vector<std::size_t> shape;   // () gives an empty vector
};

// Parses the header dictionary text (the bytes between the length field and the data,
// padding and the terminating newline included), e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// Keys may come in any order; all three are required and no others are allowed. Only the
// syntax is checked here (dtype and dimensionality are checked by read()). `file` is used
// for error messages only.
Header parse_header(std::string_view text, std::string_view file);

// The header dictionary the writer emits for `shape` (without padding or newline), e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }
std::string format_header(std::span<const std::size_t> shape);

// Reads a float32 1-D or 2-D C-order .npy file. The file's size must match the header exactly
// (no truncated data, no trailing bytes).
Array read(const std::filesystem::path& file);

// Writes `data` (C order, product(shape) elements) as a float32 .npy file of `shape`
// (any number of dimensions, 0-d included), atomically replacing `file`.
void write(const std::filesystem::path& file, std::span<const std::size_t> shape,
           std::span<const float> data);
inline void write(const std::filesystem::path& file, const Array& a) {
    write(file, a.shape, a.data);
}
// The same into an AtomicFile the caller created (e.g. before long work, so an unwritable
// OUTPUT fails early), then committed.
void write(detail::AtomicFile& out, std::span<const std::size_t> shape, std::span<const float> data);

// bf16: read() with dtype '<u2' or '|V2' instead of '<f4' (any other dtype is an Error naming
// it), the same checks otherwise; write() of '<u2' bit patterns.
Bf16Array read_bf16(const std::filesystem::path& file);
void write_bf16(const std::filesystem::path& file, std::span<const std::size_t> shape,
                std::span<const std::uint16_t> data);
void write_bf16(detail::AtomicFile& out, std::span<const std::size_t> shape, std::span<const std::uint16_t> data);

}  // namespace smb::npy
