// The backward batch call (op backward) and the explicit softmax Jacobian.
//   backward_batch: rows x cols with strides; threads take contiguous blocks of rows
//     (schedule(static)), each row computed by the same code whatever the thread count, so the
//     results are bit-identical for any number of threads. Fewer rows than threads, each of at
//     least layout::kMinSplitCols (the forward's split threshold): each row is cut in `threads`
//     slices (layout::split_slice, as the forward's split rows), each slice's sum is computed by
//     its thread (BackwardSplit::reduce, detail/split.hpp), the partial sums are added in slice
//     order, and each thread writes its slice with that sum. The result then depends on the
//     thread count only through the order of that double sum (within the documented bound,
//     whose eps_d term counts double sums of any order; deterministic for a given count).
//   softmax_jacobian / jacobian_vjp: the NumPy guide's explicit J = diag(y) - y y^T and the
//     backward through it, O(n^2): a baseline that shows what the O(n) backward saves.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/shape.hpp"
#include "detail/split.hpp"
#include "layout.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

using layout::kMinParallelElements;
using layout::kMinSplitCols;

// [begin, end) of the bytes `rows` rows of `cols` floats with stride `ld` cover.
std::pair<std::uintptr_t, std::uintptr_t> extent(const float* p, std::size_t rows, std::size_t cols, std::size_t ld) {
    std::size_t n;
    if (!detail::span_elements<sizeof(float)>(rows, cols, ld, n)) throw std::invalid_argument("shape overflows size_t");
    const auto b = reinterpret_cast<std::uintptr_t>(p);
    return {b, b + n * sizeof(float)};
}

void validate(const Variant& v, const BackwardArgs& a, std::size_t ldy, std::size_t lddy, std::size_t lddx) {
    if (v.op != Op::backward)
        throw std::invalid_argument("variant '" + std::string(v.name) + "' computes " + std::string(to_string(v.op)) +
                                    ", not the softmax / log_softmax backward");
    if (a.threads < 1) throw std::invalid_argument("threads must be >= 1");
    if (a.rows == 0 || a.cols == 0) return;
    if (a.y == nullptr || a.dy == nullptr || a.dx == nullptr)
        throw std::invalid_argument("null y, dy or dx with a non-empty shape");
    const std::size_t ld_min = std::min({ldy, lddy, lddx});
    if (ld_min < a.cols)
        throw std::invalid_argument("row stride (" + std::to_string(ld_min) + ") is smaller than cols (" +
                                    std::to_string(a.cols) + ")");
    const auto out = extent(a.dx, a.rows, a.cols, lddx);
    const auto check = [&](const float* in, std::size_t ld, const char* name) {
        const auto e = extent(in, a.rows, a.cols, ld);
        const bool same = in == a.dx && ld == lddx;
        if (!same && e.first < out.second && out.first < e.second)
            throw std::invalid_argument(std::string("dx and ") + name +
                                        " overlap without being the same rows (in place needs the same pointer and stride)");
    };
    check(a.y, ldy, "y");
    check(a.dy, lddy, "dy");
    if (!available(v)) throw std::runtime_error(unavailable_reason(v));
}

}  // namespace

void backward_batch(const Variant& v, const BackwardArgs& a) {
    const std::size_t ldy = a.ld_y ? a.ld_y : a.cols;
    const std::size_t lddy = a.ld_dy ? a.ld_dy : a.cols;
    const std::size_t lddx = a.ld_dx ? a.ld_dx : a.cols;
    validate(v, a, ldy, lddy, lddx);
    if (a.rows == 0 || a.cols == 0) return;
    const RowParams p{a.output, false};
    const auto row = [&](std::size_t r) { v.backward(a.y + r * ldy, a.dy + r * lddy, a.dx + r * lddx, a.cols, p); };
    const BackwardSplit* split = detail::backward_split_of(v);
    if (detail::splits_rows(split != nullptr, a.rows, a.cols, a.threads, kMinSplitCols)) {
        const int parts = a.threads;
        std::vector<double> part(std::size_t(parts), 0.0);
        for (std::size_t r = 0; r < a.rows; ++r) {
            const float *y = a.y + r * ldy, *dy = a.dy + r * lddy;
            float* dx = a.dx + r * lddx;
#pragma omp parallel num_threads(parts)
            {
                // Every reduction is done (the loop's barrier) before any slice is written, so dx
                // may be y or dy.
#pragma omp for schedule(static)
                for (int k = 0; k < parts; ++k) {
                    const auto [b, e] = layout::split_slice(a.cols, parts, k);
                    part[std::size_t(k)] = split->reduce(y + b, dy + b, e - b, p);
                }
                double s = 0;
                for (double q : part) s += q;  // slice order, the same sum on every thread
#pragma omp for schedule(static)
                for (int k = 0; k < parts; ++k) {
                    const auto [b, e] = layout::split_slice(a.cols, parts, k);
                    split->write(y + b, dy + b, dx + b, e - b, p, s);
                }
            }
        }
        return;
    }
    if (a.threads == 1 || a.rows == 1 || a.rows * a.cols < kMinParallelElements) {
        for (std::size_t r = 0; r < a.rows; ++r) row(r);
        return;
    }
    const int threads = int(std::min<std::size_t>(std::size_t(a.threads), a.rows));
    const auto rows = static_cast<std::ptrdiff_t>(a.rows);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::ptrdiff_t r = 0; r < rows; ++r) row(std::size_t(r));
}

void softmax_jacobian(const float* y, std::size_t n, float* J) {
    if (n > kJacobianMaxN)
        throw std::invalid_argument("the explicit Jacobian is n x n: n = " + std::to_string(n) + " is above the cap (" +
                                    std::to_string(kJacobianMaxN) + ")");
    for (std::size_t i = 0; i < n; ++i) {
        const double yi = y[i];
        float* row = J + i * n;
        // y_i y_j is exact in double; the diagonal y_i - y_i^2 is rounded once in double first.
        for (std::size_t j = 0; j < n; ++j) row[j] = float(-(yi * double(y[j])));
        row[i] = float(yi - yi * yi);
    }
}

void jacobian_vjp(const float* J, const float* dy, std::size_t n, float* dx) {
    // dx_i = sum_j J_ji dy_j, accumulated row by row of J (contiguous, vectorisable); the
    // products of floats are exact in double.
    std::vector<double> acc(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
        const double d = dy[j];
        const float* row = J + j * n;
        for (std::size_t i = 0; i < n; ++i) acc[i] += double(row[i]) * d;
    }
    for (std::size_t i = 0; i < n; ++i) dx[i] = float(acc[i]);
}

}  // namespace smb
