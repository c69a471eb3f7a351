// The registry as JSON: what `softmaxbench list --json` prints and what the benchmark records in
// its context (key "variants"), so the scripts read every variant's fields and facts from the
// results themselves and copy no table.
#pragma once
#include <string>

#include "softmaxbench/softmax.hpp"

namespace smb::detail {

// A JSON array with one object per variant, in registry order (keys: see `softmaxbench list
// --help`); an unbounded (infinite) number is null. Ends with a newline.
std::string list_json(Op op = Op::forward);  // the variants of one op (`list --json --op`)

}  // namespace smb::detail
