// The peers: other libraries' softmax (oneDNN, XNNPACK, ...) and a memcpy of the same rows (one
// read + one write per element: the bandwidth floor a softmax cannot beat).
//
// Written once, behind this interface, and used by both the benchmark (softmax_bench registers
// one entry per peer and op) and the accuracy scoring (peer_accuracy runs every peer on every
// sweep row). A peer is a row of all_peers(): its name, the ops it supports, its dtype, the
// capability (CPU code path) it runs in this process, and a factory of configured calls on a
// rows x cols batch with a thread count.
//
// Each peer is compiled in when CMake found its library; otherwise built() is false and make()
// throws NotBuilt, so the list (and the benchmark's names) is the same on every machine.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "softmaxbench/softmax.hpp"

namespace smb::peers {

// What a peer is asked to compute: `rows` contiguous rows of `cols` floats (row stride = cols),
// softmax or log_softmax along the rows, on `threads` threads.
struct Shape {
    std::size_t rows = 0, cols = 0;
    int threads = 1;
    Output output = Output::softmax;
};

// A configured call (primitive / operator created once, outside any timed loop).
class Runner {
public:
    virtual ~Runner() = default;
    // Computes the whole batch from x into y. Throws std::runtime_error on a library error.
    virtual void run(const float* x, float* y) = 0;
    // The call as the benchmark times it. The default is run(); a peer whose user-facing call
    // allocates its own output (pytorch_api: torch::softmax) times that call and may leave y
    // unwritten.
    virtual void run_timed(const float* x, float* y) { run(x, y); }
    // The library's own name for the code path it picked (oneDNN: impl_info_str()), or "".
    virtual std::string impl_info() const { return {}; }
};

struct NotBuilt : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Peer {
    std::string_view name;         // base name: onednn, xnnpack, memcpy, ...
    std::string_view what;         // one line: the library call
    bool softmax = true;           // ops supported
    bool log_softmax = false;
    std::string_view dtype = "f32";
    bool scored = true;            // false: not a softmax (memcpy) or the same kernel as another
                                   // peer (pytorch_api); peer_accuracy skips it
    bool (*built)() = nullptr;
    std::string (*version)() = nullptr;     // e.g. "2.7.3 (git hash ...)", "not built"
    // The CPU code path the library runs in this process ("avx2", "avx512"), or "" when the
    // library does not say before a call (oneDNN's impl_info() names it per primitive).
    std::string (*capability)() = nullptr;
    // Appended to the name in labels and benchmark names: "" by default; pytorch: ".<cap>" when
    // ATEN_CPU_CAPABILITY forces a capability (read once per process, so a second process
    // measures the other one and the names differ).
    std::string (*label_suffix)() = nullptr;
    std::unique_ptr<Runner> (*make)(const Shape&) = nullptr;

    bool supports(Output o) const { return o == Output::softmax ? softmax : log_softmax; }
};

// Every peer, in a fixed order.
std::span<const Peer> all_peers();
// By base name; nullptr when unknown.
const Peer* find_peer(std::string_view name);
// name + label_suffix(), e.g. "pytorch", "pytorch.avx512".
std::string label(const Peer& p);
// The benchmark entry (and accuracy row) name of an op: label, with ":log" for log_softmax
// (as our variants), except oneDNN's "onednn_log" (kept: committed results and the report
// scripts use it).
std::string entry_name(const Peer& p, Output out);

// ---- the peers (one .cpp each) ---------------------------------------------------------------
// oneDNN 2.x softmax_v2 (softmax_accurate / softmax_log); OpenMP threads set per call.
bool onednn_built();
std::string onednn_version();  // "major.minor.patch (git hash)" or "not built"
std::unique_ptr<Runner> make_onednn(const Shape& s);

// XNNPACK xnn_create_softmax_nc_f32 (softmax only); a pthreadpool of `threads` (none for 1).
bool xnnpack_built();
std::string xnnpack_version();  // the distribution package version (no version API)
std::unique_ptr<Runner> make_xnnpack(const Shape& s);

// PyTorch (libtorch): at::_softmax_out / at::_log_softmax_out into a preallocated output
// (pytorch), and torch::softmax / torch::log_softmax as users call them (pytorch_api).
bool pytorch_built();
std::string pytorch_version();
std::string pytorch_capability();    // "avx2", "avx512", ... (ATen's choice in this process)
std::string pytorch_label_suffix();  // "" unless ATEN_CPU_CAPABILITY is set: "." + capability
std::unique_ptr<Runner> make_pytorch(const Shape& s);
std::unique_ptr<Runner> make_pytorch_api(const Shape& s);

// std::memcpy of the rows (split into `threads` contiguous chunks under OpenMP when > 1).
std::unique_ptr<Runner> make_memcpy(const Shape& s);

}  // namespace smb::peers
