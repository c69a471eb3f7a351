// Golden test: the output bits of every variant, frozen. A hash (FNV-1a/64 of the output floats'
// bits) per variant name, output (softmax, log_softmax) and thread count (1, 2) over every test
// distribution and size (reference/distributions.hpp, fixed seed), compared with the committed
// tests/test_golden.expected. Any changed output bit of any variant fails it: refactors must keep
// the arithmetic, and an intended change of arithmetic is its own commit with its own measurement.
//
// Inputs: the ordinary finite rows of the accuracy tests (no NaN, no inf, no logits near
// FLT_MAX, no rows long enough for tie counts past 2^24), and naive only inside its domain.
// Threads = 2 hashes the same single rows (a 65537-element row splits across the threads,
// RowSplit; every split form, including the long-row form used from RowSplit::long_from, is
// hashed on it) and one 512 x 33 batch per distribution (row-parallel).
//
// Across CPUs: no kernel uses an instruction whose result differs between vendors. The
// approximations SSE rcpps/rsqrtps (Intel and AMD differ) do not occur in libsoftmaxbench.a
// (objdump -d shows no rcp* or rsqrt* instruction); the rest is IEEE-exact arithmetic (add, mul,
// FMA, div, sqrt, conversions, min/max, vscalefps/pd, permutes, integer ops), so an AVX-512 Intel
// Xeon and an AMD Zen 4/5 give the same bits. The scalar variants call glibc's exp/log, whose
// ifunc picks the FMA implementation on every CPU with FMA and AVX2 (both vendors' AVX-512
// parts): the same bits too.
//
// Build type: the hashes are those of a Release build (-O3). An unoptimised build rounds some
// a*b + c differently (GCC contracts them into FMAs only when optimising; e.g. xsimd 8.1's fma
// on AVX-512 is a plain a*b + c, and xsimd's exp uses it), so in any other build type the test
// is skipped (exit 77), saying so.
//
// Not hashed: the auto entries (their output is the output of the variant they pick, hashed under
// that name; what they pick is test_auto's subject). Variants this CPU (or SOFTMAXBENCH_FORCE_ISA)
// cannot run are listed as skipped. Exit code 77 (ctest SKIP_RETURN_CODE) when nothing could run.
//
// Regenerating (only when a commit intends to change arithmetic, or adds a variant; never to
// make this test pass after a refactor):
//   build/test/tests/test_golden --write tests/test_golden.expected
// keeps the lines of variants this CPU cannot run and rewrites the others; review the diff: only
// the lines the commit means to change may change.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "reference/distributions.hpp"
#include "reference/scoring.hpp"
#include "softmaxbench/softmax.hpp"
#include "split_forms.hpp"

using namespace smb;

namespace {

struct Fnv {
    std::uint64_t h = 1469598103934665603ull;
    void add(const std::vector<float>& y) {
        for (float f : y) {
            std::uint32_t u;
            std::memcpy(&u, &f, sizeof u);
            for (int b = 0; b < 4; ++b) h = (h ^ ((u >> (8 * b)) & 0xFFu)) * 1099511628211ull;
        }
    }
};

// The hash of one variant (with the split form of f) for one output and thread count.
std::uint64_t hash_of(const test::Form& f, Output out, int threads) {
    const Variant& v = *f.v;
    Fnv h;
    for (const auto& d : ref::distributions()) {
        for (std::size_t n : ref::test_sizes()) {
            const std::vector<float> x = ref::make_row(d.name, n, 42);
            if (!ref::in_domain(v, x)) continue;
            h.add(test::batch(f, x, 1, n, out, threads));
        }
        if (threads > 1) {
            const std::size_t rows = 512, cols = 33;
            const std::vector<float> x = ref::make_row(d.name, rows * cols, 43);
            if (ref::in_domain(v, x)) h.add(test::batch(f, x, rows, cols, out, threads));
        }
    }
    return h.h;
}

std::string key(std::string_view name, Output out, int threads, bool long_form) {
    return std::string(name) + (long_form ? "+long_split" : "") + " " + std::string(to_string(out)) + " " +
           std::to_string(threads);
}

}  // namespace

int main(int argc, char** argv) {
    const bool write = argc == 3 && std::strcmp(argv[1], "--write") == 0;
    const std::string path = argc >= 2 ? argv[argc - 1] : "";
    if (path.empty() || (argc == 3 && !write) || argc > 3) {
        std::fprintf(stderr, "usage: test_golden [--write] EXPECTED_FILE\n");
        return 2;
    }
#ifndef SMB_GOLDEN_BUILD_TYPE
#define SMB_GOLDEN_BUILD_TYPE "unknown"
#endif
    if (std::string_view(SMB_GOLDEN_BUILD_TYPE) != "Release") {
        std::printf("skipped: the golden hashes are those of a Release build; this is a %s build\n",
                    SMB_GOLDEN_BUILD_TYPE);
        return 77;
    }
    // Expected lines: "<variant name>[+long_split] <output> <threads> <hash hex>".
    std::map<std::string, std::string> expected;
    {
        std::ifstream in(path);
        if (!in && !write) {
            std::fprintf(stderr, "test_golden: cannot read %s\n", path.c_str());
            return 2;
        }
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            const auto sp = line.rfind(' ');
            expected[line.substr(0, sp)] = line.substr(sp + 1);
        }
    }

    std::map<std::string, std::string> got;
    std::vector<std::string> skipped, failures;
    std::size_t checked = 0;
    for (const Variant& reg : all_variants()) {
        if (reg.algorithm == Algorithm::auto_pick) continue;
        if (!available(reg)) {
            skipped.push_back(std::string(reg.name));
            continue;
        }
        for (const test::Form& form : test::split_forms({&reg}))
            for (Output out : {Output::softmax, Output::log_softmax})
                for (int t : {1, 2}) {
                    const bool long_form = form.long_form;
                    if (long_form && t == 1) continue;  // one thread never splits a row
                    // The expected line may name the variant by its name or by an older name.
                    std::string k = key(reg.name, out, t, long_form);
                    for (const VariantAlias& a : variant_aliases())
                        if (a.name == reg.name && !expected.count(k) && expected.count(key(a.alias, out, t, long_form)))
                            k = key(a.alias, out, t, long_form);
                    char hex[17];
                    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash_of(form, out, t)));
                    got[k] = hex;
                    ++checked;
                    const auto it = expected.find(k);
                    if (it == expected.end()) failures.push_back(k + ": no expected hash (a new variant?)");
                    else if (it->second != hex)
                        failures.push_back(k + ": hash " + hex + ", expected " + it->second);
                }
    }
    // Every expected line must still name a variant (renames keep the old name as an alias) and be
    // checked, unless its variant cannot run here.
    for (const auto& [k, h] : expected) {
        const std::string name = k.substr(0, k.find_first_of(" +"));
        const Variant* v = find_variant(name);
        if (!v) failures.push_back(k + ": the expected file names a variant that no longer resolves");
        else if (available(*v) && !got.count(k)) failures.push_back(k + ": expected, but not computed");
    }

    if (!skipped.empty()) {
        std::printf("skipped (not available on this CPU or under SOFTMAXBENCH_FORCE_ISA):");
        for (const auto& s : skipped) std::printf(" %s", s.c_str());
        std::printf("\n");
    }
    if (write) {
        for (const auto& [k, h] : expected)
            if (!got.count(k)) got[k] = h;  // variants this CPU cannot run: kept as they were
        std::ofstream o(path, std::ios::trunc);
        o << "# Golden output hashes (tests/test_golden.cpp): <variant>[+long_split] <output> <threads> "
             "<FNV-1a/64 of the output bits>.\n# Regenerate only for an intended change of arithmetic; see "
             "tests/test_golden.cpp.\n";
        for (const auto& [k, h] : got) o << k << ' ' << h << '\n';
        std::printf("wrote %zu hashes to %s\n", got.size(), path.c_str());
        return o ? 0 : 1;
    }
    for (const auto& f : failures) std::printf("FAIL %s\n", f.c_str());
    std::printf("%zu hashes checked, %zu variants skipped, %zu failures\n", checked, skipped.size(), failures.size());
    if (!failures.empty()) return 1;
    return checked == 0 ? 77 : 0;
}
