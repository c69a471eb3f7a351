// The batch calls' row-parallel path (src/core/batch.cpp, batch_bf16.cpp): whole rows, each
// thread a contiguous block of them, given to the variant's rows form (detail/split.hpp,
// RowsForm) in one call per block, or to its row function row by row.
#pragma once

#include <omp.h>

#include <cstddef>

#include "detail/split.hpp"

namespace smb::detail {

// Rows [0, rows) of n elements on `threads` threads (1: no parallel region at all, whose team
// set-up alone costs more than a short row). rows_fn null: row(x_r, y_r, n, p) for each row.
template <class Tx, class Ty, class Row>
void run_rows(RowsFn<Tx, Ty> rows_fn, Row row, const Tx* x, std::size_t ldx, Ty* y, std::size_t ldy, std::size_t rows,
              std::size_t n, RowParams p, int threads) {
    const auto block = [&](std::size_t b, std::size_t e) {
        if (rows_fn) return rows_fn(x + b * ldx, ldx, y + b * ldy, ldy, e - b, n, p);
        for (std::size_t r = b; r < e; ++r) row(x + r * ldx, y + r * ldy, n, p);
    };
    if (threads <= 1) return block(0, rows);
#pragma omp parallel num_threads(threads)
    {
        const auto nt = std::size_t(omp_get_num_threads()), t = std::size_t(omp_get_thread_num());
        block(rows * t / nt, rows * (t + 1) / nt);
    }
}

// The rows form of v for these element types (nullptr: none).
template <class Tx, class Ty>
RowsFn<Tx, Ty> rows_fn_of(const Variant& v, const Tx* x, const Ty* y) {
    const RowsForm* f = rows_form_of(v);
    return f ? f->get(x, y) : nullptr;
}

}  // namespace smb::detail
