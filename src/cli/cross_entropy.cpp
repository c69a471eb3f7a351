// softmaxbench run --op cross_entropy: logits X (float32 .npy, or bf16 bits with --dtype bf16;
// 1-D = one row, 2-D = rows x classes) and targets T (int64 or int32 .npy, one per row) to the loss (and the gradient),
// with smb::cross_entropy_batch. Both outputs are written with the project's atomic writer:
// either every output is replaced or none is.
#include "cli/cross_entropy.hpp"

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>
#include <type_traits>
#include <vector>

#include "detail/atomic_file.hpp"
#include "npy/npy.hpp"
#include "softmaxbench/cross_entropy.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::cli {

const char* const kCrossEntropyRunDetails =
    "With --op cross_entropy: run --op cross_entropy --variant V --targets T.npy\n"
    "  [--reduction mean|sum|none] [--label-smoothing E] [--ignore-index I] X.npy LOSS.npy [GRAD.npy]\n"
    "X holds float32 logits (1-D: one row; 2-D: rows x classes); T holds one int64 or int32\n"
    "class per row (shape (rows,); a 1-D X also takes shape ()). LOSS is float32 of shape\n"
    "(rows,) with --reduction none (an ignored row has loss 0), else shape (). GRAD, when\n"
    "given, is the gradient of that loss w.r.t. X (X's shape): (softmax - onehot_E) / rows\n"
    "counted with mean. Every row ignored with mean gives a NaN loss. A target outside\n"
    "[0, classes) other than I is an error naming the row. V is a cross_entropy variant:\n"
    "ce_fused.<isa>.poly6 (fast), ce_fused.<isa>.accurate, ce_log_softmax.<isa>,\n"
    "ce_softmax_log.<isa> (an unknown name lists them all). Both outputs are replaced together\n"
    "or not at all.\n"
    "With --dtype bf16, X holds bf16 bit patterns ('<u2' or '|V2'; anything else is an error)\n"
    "and V is a ce_fused variant ending in .bf16 (GRAD in bf16, '<u2') or .bf16_f32 (GRAD\n"
    "float32); LOSS is float32 either way ('softmaxbench list --op cross_entropy --dtype bf16').\n\n";

namespace {

// The .npy bytes of a float32 array, or of bf16 bits as '<u2' (format 1.0, data at a multiple
// of 64 bytes).
template <class T>
std::string npy_bytes(const std::vector<std::size_t>& shape, const std::vector<T>& data) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, std::uint16_t>);
    std::string header = npy::format_header(shape);
    if constexpr (std::is_same_v<T, std::uint16_t>) header.replace(header.find("<f4"), 3, "<u2");
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += char(header.size() & 0xff);
    out += char(header.size() >> 8);
    out += header;
    static_assert(std::endian::native == std::endian::little, "the .npy bytes are written little-endian");
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(T));
    return out;
}

struct Targets {
    std::vector<std::size_t> shape;
    std::vector<std::int64_t> i64;
    std::vector<std::int32_t> i32;
    bool is_i32 = false;
    std::size_t size() const { return is_i32 ? i32.size() : i64.size(); }
};

Targets read_targets(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw npy::Error(file, "cannot open");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw npy::Error(file, "not a NumPy .npy file");
    const unsigned major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
    if (minor != 0 || major < 1 || major > 3) throw npy::Error(file, "unsupported .npy format version");
    const std::size_t lb = major == 1 ? 2 : 4, pre = 8 + lb;
    if (bytes.size() < pre) throw npy::Error(file, "truncated .npy preamble");
    std::size_t hlen = 0;
    for (std::size_t i = 0; i < lb; ++i) hlen |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    if (bytes.size() < pre + hlen) throw npy::Error(file, "truncated header");
    const npy::Header h = npy::parse_header(std::string_view(bytes).substr(pre, hlen), file);
    Targets t;
    if (h.descr == "<i8") t.is_i32 = false;
    else if (h.descr == "<i4") t.is_i32 = true;
    else throw npy::Error(file, "targets must be int64 ('<i8') or int32 ('<i4'), not '" + h.descr + "'");
    if (h.fortran_order) throw npy::Error(file, "Fortran-order arrays are not supported");
    if (h.shape.size() > 1) throw npy::Error(file, "targets must be 1-D (one per row)");
    t.shape = h.shape;
    std::size_t count = 1;
    for (std::size_t d : h.shape) count *= d;
    const std::size_t esize = t.is_i32 ? 4 : 8, have = bytes.size() - pre - hlen;
    if (have != count * esize)
        throw npy::Error(file, "data size " + std::to_string(have) + " bytes does not match the shape (" +
                                   std::to_string(count * esize) + " bytes)");
    const char* p = bytes.data() + pre + hlen;
    if (t.is_i32) {
        t.i32.resize(count);
        std::memcpy(t.i32.data(), p, have);
    } else {
        t.i64.resize(count);
        std::memcpy(t.i64.data(), p, have);
    }
    return t;
}

}  // namespace

int cmd_run_cross_entropy(const CrossEntropyRunOptions& opt) {
    const Variant* v = find_variant(opt.variant);
    if (v == nullptr || v->op != Op::cross_entropy) {
        std::string names;
        for (Dtype d : {Dtype::f32, Dtype::bf16, Dtype::bf16_f32})
            for (const Variant& c : all_variants(Op::cross_entropy, d)) names += (names.empty() ? "" : ", ") + std::string(c.name);
        throw CrossEntropyUsageError(
            (v == nullptr ? "unknown variant '" + opt.variant + "'"
                          : "variant '" + opt.variant + "' computes " + std::string(to_string(v->op)) + ", not cross_entropy") +
            "; the cross_entropy variants: " + names);
    }
    if (opt.bf16 != (v->dtype != Dtype::f32))
        throw CrossEntropyUsageError(opt.bf16 ? "variant '" + opt.variant +
                                                    "' takes float32 logits; with --dtype bf16 use a .bf16 or .bf16_f32 "
                                                    "variant ('softmaxbench list --op cross_entropy --dtype bf16')"
                                              : "variant '" + opt.variant + "' takes bf16 logits: add --dtype bf16");
    Reduction red;
    if (!parse_reduction(opt.reduction, red))
        throw CrossEntropyUsageError("--reduction must be none, mean or sum (got '" + opt.reduction + "')");
    if (!(opt.label_smoothing >= 0.0f && opt.label_smoothing <= 1.0f))
        throw CrossEntropyUsageError("--label-smoothing must be in [0, 1]");
    dispatch_isa();  // throws on a bad SOFTMAXBENCH_FORCE_ISA
    if (!available(*v))
        throw std::runtime_error(unavailable_reason(*v) + "; run 'softmaxbench list' to see the available variants");
    // The outputs' temporaries first: an unwritable output fails before any work.
    { detail::AtomicFile probe_loss(opt.loss); }
    if (!opt.grad.empty()) { detail::AtomicFile probe_grad(opt.grad); }

    npy::Array x;
    npy::Bf16Array xb;
    if (opt.bf16) {
        xb = npy::read_bf16(opt.input);
        x.shape = xb.shape;
    } else {
        x = npy::read(opt.input);
    }
    const Targets t = read_targets(opt.targets);
    const std::size_t rows = opt.bf16 ? xb.rows() : x.rows(), cols = opt.bf16 ? xb.cols() : x.cols();
    const std::size_t elements = opt.bf16 ? xb.data.size() : x.data.size();
    const bool shape_ok = t.shape.empty() ? x.shape.size() == 1 : t.shape[0] == rows;
    if (!shape_ok)
        throw std::runtime_error(opt.targets + ": " + std::to_string(t.size()) + " targets for " + std::to_string(rows) +
                                 " rows of " + opt.input);
    std::vector<float> loss(red == Reduction::none ? rows : 1);
    const bool grad16 = v->dtype == Dtype::bf16;
    std::vector<float> grad(opt.grad.empty() || grad16 ? 0 : elements);
    std::vector<std::uint16_t> grad_bf16(opt.grad.empty() || !grad16 ? 0 : elements);
    CrossEntropyArgs a;
    if (opt.bf16) a.x_bf16 = xb.data.data();
    else a.x = x.data.data();
    a.rows = rows;
    a.cols = cols;
    a.targets = t.is_i32 ? static_cast<const void*>(t.i32.data()) : static_cast<const void*>(t.i64.data());
    a.target_type = t.is_i32 ? TargetType::i32 : TargetType::i64;
    a.loss = loss.data();
    a.grad = grad.empty() ? nullptr : grad.data();
    a.grad_bf16 = grad_bf16.empty() ? nullptr : grad_bf16.data();
    a.reduction = red;
    a.ignore_index = opt.ignore_index;
    a.label_smoothing = opt.label_smoothing;
    a.threads = opt.threads;
    cross_entropy_batch(*v, a);

    std::vector<std::pair<std::filesystem::path, std::string>> files;
    files.emplace_back(opt.loss, npy_bytes(red == Reduction::none ? std::vector<std::size_t>{rows} : std::vector<std::size_t>{}, loss));
    if (!opt.grad.empty()) files.emplace_back(opt.grad, grad16 ? npy_bytes(x.shape, grad_bf16) : npy_bytes(x.shape, grad));
    detail::write_files_atomically(files);
    return 0;
}

}  // namespace smb::cli
