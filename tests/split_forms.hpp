// The batch call as the thread, special-position and golden tests run it, and the split forms
// they run it with (header only, no test framework: test_golden has its own main).
//
// A Variant names no split plumbing (softmax.hpp); the batch call finds it with detail::split_of.
// A split may have a second form for long rows (RowSplit::long_split), which the batch call uses
// only from RowSplit::long_from elements, past what the tests can score: the tests run that form
// on their shorter rows through detail::softmax_batch_split, as a Form with long_form set.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "detail/split.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::test {

struct Form {
    const Variant* v;
    const RowSplit* split = nullptr;  // nullptr: the variant's own (detail::split_of)
    bool long_form = false;
    // The variant's name, and " (long-row split form)" for the long form.
    std::string label() const { return std::string(v->name) + (long_form ? " (long-row split form)" : ""); }
};

// Each of vs as it is, followed by its split's long-row form when it has one.
inline std::vector<Form> split_forms(const std::vector<const Variant*>& vs) {
    std::vector<Form> forms;
    for (const Variant* v : vs) {
        forms.push_back(Form{v});
        if (const RowSplit* s = detail::split_of(*v); s && s->long_split) forms.push_back(Form{v, s->long_split, true});
    }
    return forms;
}

// Whether the batch call may split one row of f across threads.
inline bool splits(const Form& f) { return f.split != nullptr || detail::split_of(*f.v) != nullptr; }

// The batch call on rows x cols of x into y (same size; filled with -777 first).
inline void batch_into(const Form& f, const std::vector<float>& x, std::vector<float>& y, std::size_t rows,
                       std::size_t cols, Output out, int threads, bool masked = false) {
    y.assign(x.size(), -777.0f);
    BatchArgs a;
    a.x = x.data();
    a.y = y.data();
    a.rows = rows;
    a.cols = cols;
    a.output = out;
    a.threads = threads;
    a.masked_safe = masked;
    detail::softmax_batch_split(*f.v, f.split, a);
}

inline std::vector<float> batch(const Form& f, const std::vector<float>& x, std::size_t rows, std::size_t cols,
                                Output out, int threads, bool masked = false) {
    std::vector<float> y;
    batch_into(f, x, y, rows, cols, out, threads, masked);
    return y;
}
inline std::vector<float> batch(const Variant& v, const std::vector<float>& x, std::size_t rows, std::size_t cols,
                                Output out, int threads, bool masked = false) {
    return batch(Form{&v}, x, rows, cols, out, threads, masked);
}

}  // namespace smb::test
