// Instructions per batch call, counted by single-stepping one call under gdb: a measurement
// tool, not part of the build (issue 14's per-call costs). For VMs without hardware counters
// (`perf stat -e instructions` says "not supported") where valgrind cannot run AVX-512 code.
//
//   g++ -O2 -g -std=c++20 -I src/include -I build/test/generated/public bench/uarch/call_cost.cpp \
//       build/test/libsoftmaxbench.a -fopenmp -o /tmp/call_cost
//   gdb -q -batch -x bench/uarch/call_cost_gdb.py --args /tmp/call_cost guarded.avx512 64
//
// The program runs softmax_batch(variant, 1 x cols, 1 thread) twice (warm: auto's pick and the
// one-time checks are done), then once inside call_batch() and once as the picked variant's row
// function inside call_row(); the gdb script counts the instructions each executes, by function.
// batch minus row = what the batch call adds around the row (call_row's own ~13 instructions
// of argument set-up cancel against call_batch's few).
// Intel Xeon (family 6, model 167), g++ 12, Release, 1x64, 1 thread, batch / row:
//   before the one-row tail call (6ab8d3a): guarded.avx512 337 / 198 (+139), auto 377 / 198
//   (+179: 40 for the pick), auto.accurate 608 / 424 (+184);
//   after it: guarded.avx512 279 / 198 (+81), auto 295 / 198 (+97: 16 for the pick),
//   auto.accurate 521 / 424 (+97).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "softmaxbench/softmax.hpp"

extern "C" [[gnu::noinline]] void call_batch(const smb::Variant* v, const smb::BatchArgs* a) {
    smb::softmax_batch(*v, *a);
    asm volatile("");
}
extern "C" [[gnu::noinline]] void call_row(const smb::Variant* v, const smb::BatchArgs* a) {
    v->row(a->x, a->y, a->cols, {a->output, a->masked_safe});
    asm volatile("");
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: call_cost VARIANT COLS\n");
        return 2;
    }
    const smb::Variant* v = smb::find_variant(argv[1]);
    if (v == nullptr) {
        std::fprintf(stderr, "call_cost: no variant '%s'\n", argv[1]);
        return 2;
    }
    const std::size_t cols = std::strtoull(argv[2], nullptr, 10);
    std::vector<float> x(cols), y(cols);
    for (std::size_t i = 0; i < cols; ++i) x[i] = float((i * 37) % 17) * 0.3f - 2;
    smb::BatchArgs a;
    a.x = x.data();
    a.y = y.data();
    a.rows = 1;
    a.cols = cols;
    smb::softmax_batch(*v, a);
    smb::softmax_batch(*v, a);
    const smb::Variant* row =
        v->algorithm == smb::Algorithm::auto_pick ? &smb::select_variant(cols, 1, a.output, v->max_ulp) : v;
    call_batch(v, &a);
    call_row(row, &a);
    std::printf("%s 1x%zu: row function of %s\n", argv[1], cols, std::string(row->name).c_str());
}
