#include <cstdint>
#include <stdexcept>
#include <string>

#include "softmaxbench/softmax.hpp"

namespace smb {
namespace {

void validate(const Variant& v, const BatchArgs& a, std::size_t ldx, std::size_t ldy) {
    if (a.threads < 1) throw std::invalid_argument("threads must be >= 1");
    if (a.rows == 0 || a.cols == 0) return;
    if (a.x == nullptr || a.y == nullptr) throw std::invalid_argument("null x or y with a non-empty shape");
    if (ldx < a.cols || ldy < a.cols)
        throw std::invalid_argument("row stride (" + std::to_string(ldx < a.cols ? ldx : ldy) +
                                    ") is smaller than cols (" + std::to_string(a.cols) + ")");
    const auto span = [&](std::size_t ld) {
        if (a.rows - 1 > (SIZE_MAX - a.cols) / ld) throw std::invalid_argument("shape overflows size_t");
        return (a.rows - 1) * ld + a.cols;
    };
    const auto xb = reinterpret_cast<std::uintptr_t>(a.x);
    const auto yb = reinterpret_cast<std::uintptr_t>(a.y);
    const std::uintptr_t xe = xb + span(ldx) * sizeof(float);
    const std::uintptr_t ye = yb + span(ldy) * sizeof(float);
    const bool in_place = xb == yb && ldx == ldy;
    if (!in_place && xb < ye && yb < xe)
        throw std::invalid_argument("x and y overlap without being the same rows (in place needs x == y and equal strides)");
    if (!available(v))
        throw std::runtime_error("variant " + std::string(v.name) + " needs " +
                                 std::string(to_string(v.isa)) + ", not available here (dispatch ISA: " +
                                 std::string(to_string(dispatch_isa())) + ")");
}

}  // namespace

void softmax_batch(const Variant& v, const BatchArgs& a) {
    const std::size_t ldx = a.ld_x ? a.ld_x : a.cols;
    const std::size_t ldy = a.ld_y ? a.ld_y : a.cols;
    validate(v, a, ldx, ldy);
    if (a.rows == 0 || a.cols == 0) return;
    const RowParams p{a.output, a.masked_safe};
    if (a.threads == 1 || a.rows == 1) {
        // No parallel region at all: even a disabled `omp parallel ... if(false)` costs a team
        // set-up (~0.3 us measured), more than a whole 64-element row.
        for (std::size_t r = 0; r < a.rows; ++r) v.row(a.x + r * ldx, a.y + r * ldy, a.cols, p);
        return;
    }
    const auto rows = static_cast<std::ptrdiff_t>(a.rows);
#pragma omp parallel for schedule(static) num_threads(a.threads)
    for (std::ptrdiff_t r = 0; r < rows; ++r)
        v.row(a.x + std::size_t(r) * ldx, a.y + std::size_t(r) * ldy, a.cols, p);
}

}  // namespace smb
