// The registry as JSON: what `softmaxbench list --json` prints and what the benchmark records in
// its context (key "variants"), so the scripts read every variant's fields and facts from the
// results themselves and copy no table.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "softmaxbench/softmax.hpp"

namespace smb::detail {

// A JSON array with one object per variant, in registry order (keys: see `softmaxbench list
// --help`); an unbounded (infinite) number is null. Ends with a newline.
std::string list_json(Op op = Op::forward);  // the f32 variants of one op (the benchmark's context)
// The variants of the given ops and dtypes, op by op and, within an op, dtype by dtype, in the
// order given (`list --json`: forward, backward, cross_entropy; f32, bf16, bf16_f32).
std::string list_json(std::span<const Op> ops, std::span<const Dtype> dtypes);


}  // namespace smb::detail
